"""The steps of Post Commissioning Obligations (BAD 7.2.3) as data; ``bpmn/post_commissioning.bpmn`` holds the
same ids."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

POST_COMMISSIONING_STEPS = StepRegistry("post_commissioning", [
    ProcessStep(bpmn_id="start_post_commissioning", name="Meter or GPF commissioned", actor="Supplier",
                refs=("BAD 7.2.3.4",)),
    ProcessStep(bpmn_id="request_handover_supplier_cell",
                name="Request Handover of DCC Controlled Device (SRV 6.21): the GPF's Supplier cell", actor="Supplier",
                refs=("BAD 7.7.2.5.5", "BAD 7.2.1.5 Table 4", "SRV 6.21")),
    ProcessStep(bpmn_id="issue_security_credentials", name="Issue Security Credentials (SRV 6.17): new key pair",
                actor="Supplier", refs=("BAD 7.2.3.5.2", "BAD 7.7.2.5.7", "SEC Appendix AC 5.2(b)")),
    ProcessStep(bpmn_id="obtain_device_certificate", name="Obtain Device Certificate from the SMKI (device CSR)",
                actor="Supplier", refs=("BAD 7.2.3.5.3", "BAD 7.7.2.5.3", "SEC Appendix AC 5.2(b)")),
    ProcessStep(bpmn_id="update_security_credentials_device",
                name="Update Security Credentials (Device) (SRV 6.15.2): store the Device Certificate",
                actor="Supplier", refs=("BAD 7.2.3.5.4", "BAD 7.7.2.5.8", "SEC Appendix AC 5.2(b)")),
    ProcessStep(bpmn_id="update_network_operator_certificate",
                name="Request Handover of DCC Controlled Device (SRV 6.21): Network Operator cell (GPF)",
                actor="Supplier", refs=("BAD 7.2.3.5.5", "BAD 7.7.2.5.5", "SEC Appendix AC 5.2(a)")),
    ProcessStep(bpmn_id="replace_organisation_certificate",
                name="Update Security Credentials (KRP) (SRV 6.15.1): replace an Organisation Certificate",
                actor="Supplier", refs=("BAD 7.2.3.5.6", "BAD 7.7.2.5.6", "SEC Appendix AC 5.2(c)")),
    ProcessStep(bpmn_id="post_commissioning_overdue",
                name="7 days passed without the Post Commissioning steps", actor="Supplier",
                refs=("SEC Appendix AC 5.2", "SEC Appendix AC 5.13")),
    ProcessStep(bpmn_id="restricted_after_14_days",
                name="14 days passed without the steps: the Supplier may send the Device only the exempt Service "
                     "Requests", actor="Supplier", refs=("BAD 7.2.3.5.7", "SEC Appendix AC 5.13")),
    ProcessStep(bpmn_id="post_commissioning_steps_due", name="The Supplier's day for the Post Commissioning steps",
                actor="Supplier", refs=("BAD 7.2.3.1", "SEC Appendix AC 5.2")),
    ProcessStep(bpmn_id="routine_request_due", name="A routine Service Request's day (the Device may be restricted)",
                actor="Supplier", refs=("BAD 7.2.3.5.7",)),
    ProcessStep(bpmn_id="routine_request_refused", name="A routine Service Request refused by the DCC",
                actor="DCC", refs=("BAD 7.2.3.5.7",)),
    ProcessStep(bpmn_id="routine_request_accepted",
                name="A routine Service Request accepted (the DCC does not enforce AC 5.13; the audit judges it)",
                actor="DCC", refs=("BAD 7.2.3.5.7",)),
    ProcessStep(bpmn_id="end_post_commissioning_met", name="Post Commissioning Obligations met", actor="Supplier",
                refs=("SEC Appendix AC 5.2",)),
    ProcessStep(bpmn_id="end_post_commissioning_not_met", name="Post Commissioning Obligations not met",
                actor="Supplier", refs=("SEC Appendix AC 5.2", "SEC Appendix AC 5.13", "BAD 7.2.3.5.7")),
    ProcessStep(bpmn_id="end_service_request_failed", name="A Service Request failed", actor="Supplier",
                refs=("BAD 7.8.5",)),
])
