"""The steps of Install and Commission (BAD 7.2.1) as data: BPMN element id, actor, and the SEC/BAD clauses
each step fulfils. ``bpmn/install_commission.bpmn`` holds the same ids; a test keeps them equal."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

INSTALL_COMMISSION_STEPS = StepRegistry("install_commission", [
    ProcessStep(bpmn_id="start_installation", name="Installer on site", actor="Installer",
                refs=("BAD 7.2.1.5", "BAD 7.2.1.6.1")),
    ProcessStep(bpmn_id="install_communications_hub", name="Install Communications Hub", actor="Installer",
                refs=("BAD 7.2.1.6.4", "SEC Appendix I 4.4")),
    ProcessStep(bpmn_id="chf_commissioned_by_dcc", name="DCC sets the CHF 'commissioned'", actor="DCC",
                refs=("BAD 7.2.1.6.4", "SEC Appendix AC 4.1", "SEC Appendix AC 4.2")),
    ProcessStep(bpmn_id="end_install_and_leave", name="No SM WAN: Install and Leave applies", actor="Supplier",
                refs=("BAD 7.2.1.6.4", "BAD 7.2.2")),
    ProcessStep(bpmn_id="install_devices", name="Install Devices", actor="Installer",
                refs=("BAD 7.2.1.6.5",)),
    ProcessStep(bpmn_id="ch_status_update_install_success",
                name="Communications Hub Status Update - Install Success (SRV 8.14.1)", actor="Supplier",
                refs=("BAD 7.2.1.6.6", "SRV 8.14.1")),
    ProcessStep(bpmn_id="update_han_device_log", name="Update HAN Device Log - Add Device (SRV 8.11)",
                actor="Supplier", refs=("BAD 7.2.1.6.7", "SRV 8.11", "SEC Appendix AB 6.1(k)")),
    ProcessStep(bpmn_id="n24_whitelist_update_successful",
                name="N24 Successful CHF Whitelist Update: device 'installed not commissioned'", actor="DCC",
                refs=("BAD 7.2.1.6.7", "SEC Appendix AD 3.8.109.4(a)", "SEC Appendix AC 4.4")),
    ProcessStep(bpmn_id="n25_whitelist_update_unsuccessful",
                name="N25 Potentially Unsuccessful CHF Whitelist Update", actor="DCC",
                refs=("BAD 7.2.1.6.7", "SEC Appendix AD 3.8.109.4(b)")),
    ProcessStep(bpmn_id="end_join_unsuccessful", name="Device did not join the SM HAN", actor="Supplier",
                refs=("BAD 7.2.1.6.7",)),
    ProcessStep(bpmn_id="commission_device", name="Commission Device (SRV 8.1.1)", actor="Supplier",
                refs=("BAD 7.2.1.6.10", "SRV 8.1.1", "SEC H5.2", "SEC H5.3", "SEC Appendix AC 4.11",
                      "SEC Appendix AC 4.12", "SEC Appendix AC 4.13")),
    ProcessStep(bpmn_id="end_service_request_failed", name="A Service Request failed", actor="Supplier",
                refs=("BAD 7.8.5",)),
    ProcessStep(bpmn_id="end_sms_enrolled", name="Electricity SMS Enrolled", actor="Supplier",
                refs=("SEC H5.1(a)", "BAD 7.2.1.1")),
])
