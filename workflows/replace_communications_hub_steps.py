"""The steps of Replace Communications Hub (BAD 7.6.1) as data: BPMN element id, actor and the SEC/BAD clauses each
step fulfils (digest 04 §B). ``bpmn/replace_communications_hub.bpmn`` holds the same ids; a test keeps them equal.
The decommissioning of the old CH reuses the steps of Remove and Decommission Device (``decommission_steps``)."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry
from workflows.decommission_steps import DECOMMISSION_STEPS

AB = "SEC Appendix AB"
_FROM_DECOMMISSION = ("device_decommissioned_by_dcc", "gpf_decommissioned_with_chf", "gpf_not_decommissioned",
                      "gpf_status_not_read", "end_service_request_failed")

REPLACE_CH_STEPS = StepRegistry("replace_communications_hub", [
    ProcessStep(bpmn_id="start_replace_ch", name="A CH of an Enrolled SMS is to be replaced", actor="Supplier",
                refs=("BAD 7.6.1.1", "BAD 7.6.1.5")),
    ProcessStep(bpmn_id="install_replacement_ch",
                name="Install Communications Hub: the old CH removed, the new one fitted and powered",
                actor="Installer", refs=("BAD 7.6.1.6.4", "BAD 7.2.1.6.4")),
    ProcessStep(bpmn_id="new_chf_commissioned_by_dcc", name="The DCC sets the new CHF 'commissioned'", actor="DCC",
                refs=("BAD 7.6.1.6.4", "SEC Appendix AC 4.1", "SEC Appendix AC 8.3")),
    ProcessStep(bpmn_id="end_new_ch_not_on_wan",
                name="The new CH did not reach the SM WAN: no Device Log can be restored", actor="Supplier",
                refs=("BAD 7.6.1.6.4", "BAD 7.2.2")),
    ProcessStep(bpmn_id="restore_han_device_log",
                name="Restore HAN Device Log (SRV 8.12.1, CCS03) from the DCC's record; N30 to the other RS",
                actor="Supplier", refs=("BAD 7.6.1.6.5", "SRV 8.12.1", f"{AB} 10.1(a)", f"{AB} 10.4",
                                        "SEC Appendix AC 8.1", "SEC Appendix AC 8.2")),
    ProcessStep(bpmn_id="han_device_rejoined",
                name="A meter re-joined the new HAN: 'Device joined SMHAN' (0x8183)", actor="Device",
                refs=("BAD 7.6.1.6.5",)),
    ProcessStep(bpmn_id="han_device_not_rejoined", name="A meter did not re-join the new HAN in time",
                actor="Supplier", refs=("BAD 7.6.1.6.5",)),
    ProcessStep(bpmn_id="read_inventory_new_ch",
                name="Read Inventory (SRV 8.2) of the new CHF against the Supplier's own: HAN Devices the restore "
                     "missed", actor="Supplier", refs=("BAD 7.6.1.6.5", "BAD 7.4.1.6.3", "SRV 8.2")),
    ProcessStep(bpmn_id="add_missing_han_device",
                name="Update HAN Device Log - Add (SRV 8.11, CCS01) of a Device missing from the restore; N24 / N25",
                actor="Supplier", refs=("BAD 7.6.1.6.5", "BAD 7.2.1.6.7", "SRV 8.11", "SEC Appendix AC 8.2")),
    ProcessStep(bpmn_id="restore_gpf_device_log",
                name="Restore GPF Device Log (SRV 8.12.2, GCS59) from the DCC's record; N31 to the Gas Supplier",
                actor="Supplier", refs=("BAD 7.6.1.6.6", "SRV 8.12.2", f"{AB} 10.1(b)", f"{AB} 10.5",
                                        "SEC Appendix AC 8.2")),
    ProcessStep(bpmn_id="unjoin_gsme_from_old_gpf",
                name="Unjoin Service (Non-Critical): the GSME from the old GPF (SRV 8.8.2, CS04B)",
                actor="Gas Supplier", refs=("BAD 7.6.1.6.7", "BAD 7.6.2.5.3", "SRV 8.8.2", "SEC Appendix AC 6.1",
                                            f"{AB} 10.2")),
    ProcessStep(bpmn_id="join_gsme_to_new_gpf",
                name="Join Service (Non-Critical): the GSME to the new GPF (SRV 8.7.2); the new GPF commissioned",
                actor="Gas Supplier", refs=("BAD 7.6.1.6.7", "SRV 8.7.2", f"{AB} 10.1(c)", "SEC Appendix AC 4.10")),
    ProcessStep(bpmn_id="decommission_old_ch", name="Decommission Device: the old CHF (SRV 8.3), its GPF with it",
                actor="Supplier", refs=("BAD 7.6.1.6.8", "BAD 7.6.2.5.5", "SRV 8.3", f"{AB} 10.1(d)", "SEC H6.2",
                                        "SEC H6.5")),
    *(DECOMMISSION_STEPS[s] for s in _FROM_DECOMMISSION),
    ProcessStep(bpmn_id="return_old_ch",
                name="Communications Hub Status Update - Fault / No Fault Return (SRV 8.14.3 / 8.14.4)",
                actor="Supplier", refs=("BAD 7.6.1.6.9", "BAD 7.9.1.6.2", "SRV 8.14.3", "SRV 8.14.4")),
    ProcessStep(bpmn_id="post_commissioning_new_gpf",
                name="Post Commissioning Obligations for the new GPF (BAD 7.2.3, a child process) by its Responsible "
                     "Supplier, the Gas Supplier", actor="Gas Supplier",
                refs=("BAD 7.6.1.6.10", "SEC Appendix AC 8.3", "SEC Appendix AC 5.2", "BAD 7.2.3")),
    ProcessStep(bpmn_id="end_ch_replaced",
                name="The new CH serves the SMS; the old one is decommissioned and returned", actor="Supplier",
                refs=("BAD 7.6.1.6.10", "BAD 7.2.3")),
])
