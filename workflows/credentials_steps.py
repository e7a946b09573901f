"""The steps of the Manage Security Credentials processes (BAD 7.7.2.5.5-8) as data; ``bpmn/request_handover.bpmn``,
``bpmn/update_security_credentials_krp.bpmn`` and ``bpmn/device_credential_regeneration.bpmn`` hold the same ids."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

_FAILED = ProcessStep(bpmn_id="end_service_request_failed", name="A Service Request failed", actor="Supplier",
                      refs=("BAD 7.8.5",))

REQUEST_HANDOVER_STEPS = StepRegistry("request_handover", [
    ProcessStep(bpmn_id="start_request_handover",
                name="A trust anchor cell holds a DCC Organisation Certificate", actor="Supplier",
                refs=("BAD 7.7.2.5.5", "BAD 7.2.1.5 Table 4")),
    ProcessStep(bpmn_id="request_handover",
                name="Request Handover of DCC Controlled Device (SRV 6.21): the DCC's certificate replaced (CS02b)",
                actor="Supplier", refs=("BAD 7.7.2.5.5", "SRV 6.21", "SEC Appendix AD 3.8.73")),
    ProcessStep(bpmn_id="handover_refused", name="The DCC or the Device refused the handover", actor="DCC",
                refs=("BAD 7.7.2.5.5", "BAD 7.8.5")),
    ProcessStep(bpmn_id="end_handover_done", name="The cell holds the new Organisation Certificate",
                actor="Supplier", refs=("BAD 7.7.2.5.5",)),
    ProcessStep(bpmn_id="end_handover_refused", name="The cell is unchanged", actor="Supplier",
                refs=("BAD 7.7.2.5.5",)),
    _FAILED,
])

KRP_STEPS = StepRegistry("update_security_credentials_krp", [
    ProcessStep(bpmn_id="start_update_security_credentials_krp",
                name="A Known Remote Party's Organisation Certificate is to be replaced", actor="Supplier",
                refs=("BAD 7.7.2.5.6",)),
    ProcessStep(bpmn_id="update_security_credentials_krp",
                name="Update Security Credentials (KRP) (SRV 6.15.1): Critical, CS02b", actor="Supplier",
                refs=("BAD 7.7.2.5.6", "SRV 6.15.1", "SEC Appendix AD 3.8.66")),
    ProcessStep(bpmn_id="krp_refused", name="The DCC or the Device refused the replacement", actor="DCC",
                refs=("BAD 7.7.2.5.6", "BAD 7.8.5")),
    ProcessStep(bpmn_id="end_krp_updated", name="The cell holds the new Organisation Certificate",
                actor="Supplier", refs=("BAD 7.7.2.5.6",)),
    ProcessStep(bpmn_id="end_krp_refused", name="The cell is unchanged", actor="Supplier",
                refs=("BAD 7.7.2.5.6",)),
    _FAILED,
])

REGENERATION_STEPS = StepRegistry("device_credential_regeneration", [
    ProcessStep(bpmn_id="start_device_credential_regeneration",
                name="The Device's key pairs and Device Certificates are to be regenerated", actor="Supplier",
                refs=("BAD 7.7.2.5.7", "BAD 7.7.2.5.8", "BAD 7.7 (periodic replacement)")),
    ProcessStep(bpmn_id="issue_security_credentials",
                name="Issue Security Credentials (SRV 6.17): new key pair, Device CSR (CS02c)", actor="Supplier",
                refs=("BAD 7.7.2.5.7", "SRV 6.17", "SEC Appendix AD 3.8.68")),
    ProcessStep(bpmn_id="obtain_device_certificate", name="Obtain Device Certificate from the SMKI (Device CSR)",
                actor="Supplier", refs=("BAD 7.7.2.5.3", "SEC L11.6")),
    ProcessStep(bpmn_id="update_security_credentials_device",
                name="Update Security Credentials (Device) (SRV 6.15.2): store the Device Certificate (CS02d)",
                actor="Supplier", refs=("BAD 7.7.2.5.8", "SRV 6.15.2", "SEC Appendix AD 3.8.67")),
    ProcessStep(bpmn_id="end_device_credentials_regenerated",
                name="The Device uses its new keys and Device Certificates", actor="Supplier",
                refs=("BAD 7.7.2.5.8",)),
    _FAILED,
])
