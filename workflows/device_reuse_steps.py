"""The steps of re-using a decommissioned Device (SEC Appendix AD 3.8.101.5, AC 7.1; digest 04 §E.6) as data; the
install half is Install and Commission's (``install_commission_steps``), the same ProcessSteps.
``bpmn/device_reuse.bpmn`` holds the same ids; a test keeps them equal."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry
from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS

_INSTALL = ("install_devices", "update_han_device_log", "n24_whitelist_update_successful",
            "n25_whitelist_update_unsuccessful", "end_join_unsuccessful", "commission_device", "set_import_mpxn",
            "end_service_request_failed")

DEVICE_REUSE_STEPS = StepRegistry("device_reuse", [
    ProcessStep(bpmn_id="start_device_reuse", name="A decommissioned Device is to be used again", actor="Supplier",
                refs=("BAD 7.6.2.2", "SEC Appendix AD 3.8.101.5")),
    ProcessStep(bpmn_id="commission_device_as_is", name="Commission Device (SRV 8.1.1) of the Device as it is",
                actor="Supplier", refs=("SRV 8.1.1", "SEC H5.3")),
    ProcessStep(bpmn_id="commission_refused_while_decommissioned",
                name="Commission Device (8.1.1) while 'decommissioned': refused", actor="DCC",
                refs=("SEC H5.3", "SEC Appendix AB 6.1(c)")),
    ProcessStep(bpmn_id="device_pre_notification",
                name="Device Pre-notification (SRV 12.2): 'decommissioned' → 'pending'", actor="Supplier",
                refs=("SRV 12.2", "SEC Appendix AC 7.1", "SEC Appendix AD 3.8.101.5")),
    ProcessStep(bpmn_id="pre_notification_refused", name="The DCC refused the 12.2", actor="DCC",
                refs=("SEC Appendix AD 3.8.101.5", "BAD 7.8.5")),
    ProcessStep(bpmn_id="end_reuse_refused", name="The Device stays as it was", actor="Supplier",
                refs=("SEC Appendix AD 3.8.101.5",)),
    *(INSTALL_COMMISSION_STEPS[s] for s in _INSTALL),
    ProcessStep(bpmn_id="end_device_reused", name="The Device is commissioned again", actor="Supplier",
                refs=("BAD 7.2.1.6.10", "SEC H5.1(a)")),
])
