"""The steps of a meter exchange as data: the removal half is Remove and Decommission Device's (BAD 7.6.2,
``decommission_steps``), the install half Install and Commission's (BAD 7.2.1, ``install_commission_steps``) — the same
ProcessSteps, not copies. ``bpmn/meter_exchange.bpmn`` holds the same ids; a test keeps them equal."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry
from workflows.decommission_steps import DECOMMISSION_STEPS
from workflows.install_commission_steps import INSTALL_COMMISSION_STEPS

_REMOVAL = ("remove_from_chf_device_log", "remove_not_done", "decommission_device", "device_decommissioned_by_dcc",
            "mpxn_link_ended", "decommission_rejected", "end_decommission_refused", "end_service_request_failed")
_INSTALL = ("install_devices", "update_han_device_log", "n24_whitelist_update_successful",
            "n25_whitelist_update_unsuccessful", "end_join_unsuccessful", "commission_device", "set_import_mpxn")

METER_EXCHANGE_STEPS = StepRegistry("meter_exchange", [
    ProcessStep(bpmn_id="start_meter_exchange", name="A meter is to be replaced by a new one on the same CH",
                actor="Supplier", refs=("BAD 7.6", "BAD 7.6.2.1")),
    *(DECOMMISSION_STEPS[s] for s in _REMOVAL),
    *(INSTALL_COMMISSION_STEPS[s] for s in _INSTALL),
    ProcessStep(bpmn_id="end_meter_exchanged", name="The new meter is commissioned; the old one decommissioned",
                actor="Supplier", refs=("BAD 7.6.2.5.5", "BAD 7.2.1.6.10", "SEC H5.1(a)")),
])
