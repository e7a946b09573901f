"""The steps of Transitional Change of Supplier (BAD 7.7.1) as data; ``bpmn/change_of_supplier.bpmn`` holds the same
ids."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

_GAINING = "Gaining Supplier"
_COS_REFS = ("BAD 7.7.1.5.4", "SRV 6.23", "SEC Appendix AB 8.1")

CHANGE_OF_SUPPLIER_STEPS = StepRegistry("change_of_supplier", [
    ProcessStep(bpmn_id="start_cos", name="Change of Supplier: the Gaining Supplier is (or is to be) registered",
                actor=_GAINING, refs=("BAD 7.7.1.5",)),
    ProcessStep(bpmn_id="read_inventory", name="Read Inventory (SRV 8.2): the Devices of the SMS to gain",
                actor=_GAINING, refs=("BAD 7.7.1.5.3", "BAD 7.4.1.6.3", "SRV 8.2")),
    ProcessStep(bpmn_id="update_security_credentials_cos",
                name="Update Security Credentials (CoS) (SRV 6.23), one per Device", actor=_GAINING, refs=_COS_REFS),
    ProcessStep(bpmn_id="cos_credentials_replaced",
                name="Service Response: the Device holds the Gaining Supplier's certificate; N27 to the Losing "
                     "Supplier", actor="DCC",
                refs=("BAD 7.7.1.5.4", "SEC Appendix AD 3.8.74.4", "SEC Appendix AB 8.5")),
    ProcessStep(bpmn_id="cos_refused_n26",
                name="DCC Alert N26: the CoS Party's access control failed (Registration Data)", actor="DCC",
                refs=("BAD 7.7.1.5.4", "SEC Appendix AB 8.1(b)", "SEC Appendix AB 8.3", "SEC Appendix AD 3.8.74.4")),
    ProcessStep(bpmn_id="cos_request_rejected",
                name="The DCC rejected the Service Request (AB 6.1) or the CoS Party's Signed Pre-Command (AB 8.4)",
                actor="DCC", refs=("BAD 7.7.1.5.4", "SEC Appendix AB 6.3", "SEC Appendix AB 8.6")),
    ProcessStep(bpmn_id="cos_device_failed",
                name="Service Response: the Device did not execute the Command (its Supplier cell unchanged)",
                actor="Device", refs=("BAD 7.7.1.5.4", "BAD 7.8.5")),
    ProcessStep(bpmn_id="cos_no_response", name="No Service Response nor DCC Alert in time", actor=_GAINING,
                refs=("BAD 7.7.1.5.4", "BAD 7.8.5")),
    ProcessStep(bpmn_id="mixed_supplier_cells",
                name="Mixed ownership: the SMS's Supplier cells hold different Suppliers' certificates",
                actor=_GAINING, refs=("BAD 7.7.1.5.4",)),
    ProcessStep(bpmn_id="retry_update_security_credentials_cos",
                name="Update Security Credentials (CoS) (SRV 6.23) resent for a Device that failed", actor=_GAINING,
                refs=_COS_REFS),
    ProcessStep(bpmn_id="update_supplier_name", name="Update Supplier Name (SRV 3.4) on the Smart Meter",
                actor=_GAINING, refs=("BAD 7.7.1.5.5", "BAD 7.5.1.5.2", "SRV 3.4")),
    ProcessStep(bpmn_id="update_supplier_name_not_done",
                name="Update Supplier Name not done (not supported, or refused)", actor=_GAINING,
                refs=("BAD 7.7.1.5.5",)),
    ProcessStep(bpmn_id="configure_tariff", name="Configure Device: the Gaining Supplier's tariff (SRV 1.1.1)",
                actor=_GAINING, refs=("BAD 7.7.1.5.6", "BAD 7.3.1.6.3", "SRV 1.1.1")),
    ProcessStep(bpmn_id="configure_tariff_not_done", name="Tariff not configured (not supported, or refused)",
                actor=_GAINING, refs=("BAD 7.7.1.5.6",)),
    ProcessStep(bpmn_id="end_cos_completed",
                name="Change of Supplier completed: every Device holds the Gaining Supplier's certificate",
                actor=_GAINING, refs=("BAD 7.7.1.5.4",)),
    ProcessStep(bpmn_id="end_cos_partial",
                name="Change of Supplier partial: some Devices still hold the Losing Supplier's certificate",
                actor=_GAINING, refs=("BAD 7.7.1.5.4",)),
    ProcessStep(bpmn_id="end_cos_refused_n26", name="Change of Supplier refused by the CoS Party (N26)",
                actor=_GAINING, refs=("SEC Appendix AB 8.3", "SEC Appendix AD 3.8.74.4")),
    ProcessStep(bpmn_id="end_cos_rejected", name="Change of Supplier rejected by the DCC", actor=_GAINING,
                refs=("SEC Appendix AB 6.3", "SEC Appendix AB 8.6")),
    ProcessStep(bpmn_id="end_cos_device_failed", name="Change of Supplier failed: no Device executed the Command",
                actor=_GAINING, refs=("BAD 7.7.1.5.4", "BAD 7.8.5")),
    ProcessStep(bpmn_id="end_cos_no_devices", name="No Device of the fuel on the SMI for the MPxN", actor=_GAINING,
                refs=("BAD 7.7.1.5.3",)),
])
