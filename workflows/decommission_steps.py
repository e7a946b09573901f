"""The steps of Remove and Decommission Device (BAD 7.6.2) as data: BPMN element id, actor and the SEC/BAD clauses
each step fulfils (digest 04 §C-§E). ``bpmn/decommission.bpmn`` holds the same ids; a test keeps them equal."""

from __future__ import annotations

from dccflow.events import ProcessStep, StepRegistry

AD = "SEC Appendix AD"

DECOMMISSION_STEPS = StepRegistry("decommission", [
    ProcessStep(bpmn_id="start_decommission", name="The Responsible Supplier decides to remove a Device",
                actor="Supplier", refs=("BAD 7.6.2.1", "BAD 7.6.2.5.1")),
    # 7.6.2.5.3 Unjoin Service (optional: no SEC obligation to unjoin first, BAD 7.6.2.1)
    ProcessStep(bpmn_id="unjoin_critical",
                name="Unjoin Service (Critical) (SRV 8.8.1, CS04AC): Pre-Command signed", actor="Supplier",
                refs=("BAD 7.6.2.5.3", "SRV 8.8.1", "SEC Appendix AC 6.1", "SEC Appendix AB 11.2")),
    ProcessStep(bpmn_id="unjoin_non_critical", name="Unjoin Service (Non-Critical) (SRV 8.8.2, CS04AC / CS04B)",
                actor="Supplier", refs=("BAD 7.6.2.5.3", "SRV 8.8.2", "SEC Appendix AC 6.1")),
    ProcessStep(bpmn_id="unjoin_not_done",
                name="The unjoin failed: no SEC obligation to unjoin before decommissioning", actor="Supplier",
                refs=("BAD 7.6.2.1",)),
    # 7.6.2.5.4 Update HAN Device Log - Remove Device
    ProcessStep(bpmn_id="remove_from_chf_device_log",
                name="Update HAN Device Log - Remove Device (SRV 8.11, CCS02)", actor="Supplier",
                refs=("BAD 7.6.2.5.4", "SRV 8.11")),
    ProcessStep(bpmn_id="remove_not_done", name="The removal from the CHF Device Log failed", actor="Supplier",
                refs=("BAD 7.6.2.5.4",)),
    # 7.6.2.5.5 Decommission Device (Non-Device)
    ProcessStep(bpmn_id="decommission_device", name="Decommission Device (SRV 8.3, Non-Device)",
                actor="Supplier", refs=("BAD 7.6.2.5.5", "SRV 8.3", "SEC H6.2", "SEC H6.3", "SEC H6.5")),
    ProcessStep(bpmn_id="device_decommissioned_by_dcc",
                name="The DCC sets it 'decommissioned', ends its Associations, cancels its schedules (N6) and "
                     "future-dated requests (N33)", actor="DCC",
                refs=("SEC H6.4(a)", "SEC H6.4(b)", f"{AD} 3.8.100.5(a)", f"{AD} 3.8.100.5(e)",
                      f"{AD} 3.8.100.5(g)", "SEC Appendix AB 16.1(d)(i)")),
    ProcessStep(bpmn_id="mpxn_link_ended", name="Smart Meter: its MPAN / MPRN link ended; N1 / N2 to the Network "
                                                "Operator", actor="DCC",
                refs=(f"{AD} 3.8.100.5(b)", f"{AD} 3.8.100.5(d)", "SEC Appendix AC 9.1")),
    ProcessStep(bpmn_id="gpf_decommissioned_with_chf",
                name="CHF: its GPF 'decommissioned' too; the GPF's schedules (N6) and future-dated requests (N34) "
                     "cancelled; N9 to the other Parties", actor="DCC",
                refs=(f"{AD} 3.8.100.5(c)", f"{AD} 3.8.100.5(f)", f"{AD} 3.8.100.5(h)", "SEC H6.4(c)",
                      "SEC Appendix AB 10.3")),
    # what the Supplier finds on the SMI (SRV 8.2) after the 8.3 of a CHF, when the GPF is not 'decommissioned'
    # (``workflows.decommission._gpf_of_chf``): the 8.3 of the CHF was carried out (H6.4), AD (a) kept the GPF out of
    # it; the audit judges the GPF's status against its status at the 8.3 (``dccflow.audit_life.decommissioned``)
    ProcessStep(bpmn_id="gpf_not_decommissioned",
                name="CHF: its GPF left as it was — 'pending' (never commissioned), 'withdrawn' or already "
                     "'decommissioned' (SRV 8.2 shows its status)", actor="DCC",
                refs=(f"{AD} 3.8.100.5(a)", f"{AD} 3.8.100.5(c)", "SEC H6.4", "SRV 8.2")),
    ProcessStep(bpmn_id="gpf_status_not_read",
                name="CHF: its GPF's SMI status could not be read (SRV 8.2): what the 8.3 did to it is not known",
                actor="Supplier", refs=("SRV 8.2", "BAD 7.8.5")),
    ProcessStep(bpmn_id="h6_6_period_elapsed",
                name="A reasonable period without a replacement CHF: the SMS's other Devices decommissioned",
                actor="DCC", refs=("SEC H6.6", "BAD 7.6.1.6.8")),
    ProcessStep(bpmn_id="decommission_rejected", name="The DCC rejects the 8.3: the sender is not entitled (or the "
                                                      "Device cannot be decommissioned)", actor="DCC",
                refs=("SEC H6.5", "BAD 7.6.2.5.5", "BAD 7.8.5")),
    ProcessStep(bpmn_id="end_device_decommissioned", name="The Device is decommissioned", actor="Supplier",
                refs=("BAD 7.6.2.5.5",)),
    ProcessStep(bpmn_id="end_decommission_refused", name="Nothing changed on the SMI", actor="Supplier",
                refs=("BAD 7.6.2.5.5",)),
    ProcessStep(bpmn_id="end_service_request_failed", name="A Service Request failed", actor="Supplier",
                refs=("BAD 7.8.5",)),
])
