"""The recovery of a compromised DCC key (BAD 7.7.3.4.7; SEC Appendix L 6.2 as the BAD quotes it; digest 05 §D.7) as
workflow code run by ``workflows.smki_recovery`` once the DCC's SRO has confirmed the Compromise:

* **Recovery key rollover** (L 6.2) — the Other Compromise Notification Files (Annex D) to the Subscribers, the SMKI
  PMA's decision, a Key Activation Ceremony for the (compromised, still current) Recovery Private Key and a Key
  Generation Ceremony for its replacement (``dccsim.smki_recovery_keys``); then Commands to every Device holding the
  Recovery Certificate, each carrying the new certificate and signed with the **replaced** Recovery key (L 6.2.2.4),
  which the Device verifies against its Recovery cell (``devices.catalogue.ENTITLED_TO_REPLACE``). A Device off the SM
  WAN is retried until the PMA-approved deadline (L 3.1(c)) and caught up on its return, else reported to its
  Responsible Supplier (L 6.2.2.5). Then the replaced key is destroyed and its certificate revoked (L 6.2.3.2).

No SMI status change and no DCC Alert are stated for it (§D.7 notes): Devices keep working. A Device that misses the
rollover still trusts the compromised key after the DCC destroyed its own copy — the attacker's Command is still
accepted there; the drill reports it (its remaining path is the Contingency method, §D.5, not run here).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.org_cert_rollover import Activation, CampaignRef, RolloverActivities
    from activities.smki_recovery import Ocnf
    from dccflow.domain.devices import DeviceType
    from dccflow.domain.recovery import CEREMONY_AFTER, CUSTODIAN_QUORUM, IncidentPhase, RecoveryMethod
    from dccflow.domain.roles import RemotePartyRole
    from dccsim.smki_recovery import CellReplacement, DeviceSet, RecoveryActivities, Replaced
    from dccsim.smki_recovery_keys import (
        Adopted,
        ContingencyActivities,
        GeneratedKey,
        Hierarchy,
        KeyGeneration,
        KeyRetirement,
        NewHierarchy,
        RecoveryKeyActivities,
    )
    from devices.catalogue import CELLS
    from workflows.smki_recovery_methods import Ended, Recovery, _dcc_replace, _handback, _report_not_recovered
    from workflows.smki_recovery_model import ACT, DCC_ACT, SmkiRecoveryInput
    from workflows.smki_recovery_network import NETWORK_OPERATORS_PATCH
    from workflows.smki_recovery_network import after_root as network_after_root
    from workflows.smki_recovery_oca import issuing_oca
    from workflows.smki_recovery_rollover import contingency_key_rollover

#: the cell each DCC-key method replaces on the Devices
_CELL = {RecoveryMethod.RECOVERY_KEY_ROLLOVER: "Recovery"}


async def run_dcc_key_method(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf) -> Ended | None:
    """L 6.2: pre-recovery, the PMA's decision, the ceremonies, the Commands, the replaced key retired; L 5 for the
    Contingency method."""
    assert wf.method is not None
    if wf.method.method == RecoveryMethod.CONTINGENCY:
        return await _contingency(wf, inp, ocnf)
    if wf.method.method == RecoveryMethod.CONTINGENCY_KEY_ROLLOVER:
        wf.record("pma_notified", detail="contingency-key: the Contingency Private Key or Symmetric Key (L 6.1.1.1)")
        wf.record("annex_d_sent", detail=f"{len(wf.affected)} Device(s) holding the Root; to "
                                         f"{', '.join(wf.responsible_suppliers) or 'no Subscriber'} (L 6.1.1.2)")
        wf.record("pma_decision_requested", detail="affected Devices and Subscribers, unauthorised use of the "
                                                   "Contingency Private Key, vulnerabilities, steps, timescales "
                                                   "(L 6.1.1.3)")
        ended, deadline = await _pma_gate(wf, inp, "L 6.1.1.6")
        if ended is not None:
            return ended
        await contingency_key_rollover(wf, inp, ocnf, deadline)
        return None
    if wf.method.method == RecoveryMethod.ISSUING_OCA:
        wf.record("annex_d_sent", detail=f"{len(ocnf.entries)} cell(s) holding a certificate of the Issuing OCA on "
                                         f"{len(wf.affected)} Device(s) (L 6.3.1.2)")
        wf.record("pma_notified", detail="issuing-oca: the Issuing OCA Private Key (L 6.3.1.1)")
        wf.record("pma_decision_requested", detail="affected Devices and Subscribers, unauthorised use, "
                                                   "vulnerabilities, steps, timescales, common basis (L 6.3.1.3)")
        ended, deadline = await _pma_gate(wf, inp, "L 6.3.1.6")
        if ended is not None:
            return ended
        await issuing_oca(wf, inp, ocnf, deadline)
        return None
    cell = _CELL[wf.method.method]
    subscribers = wf.responsible_suppliers
    wf.record("annex_d_sent", detail=f"{len(ocnf.entries)} {cell} cell(s) on {len(wf.affected)} Device(s); to "
                                     f"{', '.join(subscribers) or 'no Subscriber'} (L 6.2.1.2)")
    wf.record("pma_notified", detail=f"{wf.method.method.value}: the {cell} Private Key (L 6.2.1.1)")
    wf.record("pma_decision_requested", detail="affected Devices and Subscribers, unauthorised use of the key, "
                                               "vulnerabilities, steps, timescales (L 6.2.1.3)")
    ended, deadline = await _pma_gate(wf, inp, "L 6.2.1.6")
    if ended is not None:
        return ended
    wf.phase = IncidentPhase.RECOVERY
    await workflow.sleep(CEREMONY_AFTER)
    wf.record("key_activation_ceremony", detail=f"{CUSTODIAN_QUORUM} Key Custodians: the {cell} Private Key being "
                                                "replaced activated (L 6.2.2.2)")
    new: GeneratedKey = await workflow.execute_activity_method(
        RecoveryKeyActivities.recovery_generate_dcc_key, KeyGeneration(incident_id=inp.incident_id, role=cell),
        **DCC_ACT)
    wf.record("key_generation_ceremony", detail=f"a new {cell} key and certificate, serial {new.serial} "
                                                f"(replaces {new.replaces}) (L 6.2.2.3)")
    await _dcc_replace(wf, inp, ocnf, new.certificate, deadline)
    retired = await workflow.execute_activity_method(
        RecoveryKeyActivities.recovery_retire_dcc_key, KeyRetirement(incident_id=inp.incident_id, role=cell),
        **DCC_ACT)
    wf.record("replaced_key_destroyed", detail=f"the replaced {cell} Private Key destroyed; certificate "
                                               f"{retired.revoked_serial or new.replaces} revoked (L 6.2.3.2)")
    await _report_not_recovered(wf)
    wf.phase = IncidentPhase.POST_RECOVERY
    await _new_key_accepted(wf, inp, cell, new)
    return None


async def _pma_gate(wf: Recovery, inp: SmkiRecoveryInput, clause: str):
    """D.9.1: the decision requested and awaited; an end when declined or undecided, else the recovery deadline."""
    decision = await wf.await_pma(inp)
    if decision is None or not decision.approve:
        wf.record("pma_declined", detail=decision.reason if decision else "no decision")
        wf.record("parties_told_of_decision", detail="L 3.1(d): the outcome and the PMA's reasons")
        if decision is None:
            return ("end_pma_not_decided", IncidentPhase.PMA_NOT_DECIDED, "no decision of the SMKI PMA"), None
        return ("end_pma_declined", IncidentPhase.PMA_DECLINED, f"the SMKI PMA declined: {decision.reason}"), None
    deadline = workflow.now() + (decision.recovery_deadline or inp.recovery_deadline)
    wf.record("pma_approved", detail=f"recovery deadline {deadline.isoformat()}")
    wf.record("parties_told_of_decision", detail=f"the PMA's decision to the affected Subscribers ({clause})")
    return None, deadline


async def _contingency(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf) -> Ended | None:
    """L 5 (BAD 7.7.3.4.5): the Root OCA Private Key compromised. Annex D files, the PMA's decision, every Device to
    'recovery', the Key Generation Ceremonies (a new Root embedding a new wrappedApexContingencyKey, a new Issuing OCA
    and new DCC certificates), the Key Activation Ceremony for the Contingency keys the deployed Root wraps, then the
    Contingency-signed Command to every Device resetting all its cells (``devices.contingency``): 'recovered' + N44.
    Not built: the revocations and the ARL (L 5.1.6), the SMKI's move to the new hierarchy and the Responsible
    Suppliers' 6.21 under the new Issuing OCA (L 5.3.1-5.3.2): the Devices stay 'recovered'."""
    wf.record("annex_d_sent", detail=f"{len(wf.affected)} Device(s), every cell (L 5.1.1); to "
                                     f"{', '.join(wf.responsible_suppliers) or 'no Subscriber'}")
    wf.record("pma_notified", detail="contingency: the Root OCA Private Key; the Contingency Private Key may be "
                                     "used (L 5.1.1)")
    wf.record("pma_decision_requested", detail="affected Devices and Subscribers, unauthorised use of the Root OCA "
                                               "Private Key, vulnerabilities, steps, timescales (L 5.1.2)")
    ended, deadline = await _pma_gate(wf, inp, "L 5.1.5")
    if ended is not None:
        return ended
    devices = DeviceSet(incident_id=inp.incident_id, device_ids=wf.affected)
    await workflow.execute_activity_method(RecoveryActivities.recovery_set_status, devices, **DCC_ACT)
    wf.record("devices_to_recovery", detail=f"{len(wf.affected)} Device(s): every Party but the DCC refused (L 5.2.1)")
    wf.phase = IncidentPhase.RECOVERY
    await workflow.sleep(CEREMONY_AFTER)
    new: NewHierarchy = await workflow.execute_activity_method(
        ContingencyActivities.recovery_generate_hierarchy, Hierarchy(incident_id=inp.incident_id), **DCC_ACT)
    wf.record("key_generation_ceremony", detail=f"new Contingency keys; Root {new.root_serial} embedding the new "
                                                f"wrappedApexContingencyKey; Issuing OCA {new.issuing_serial} "
                                                "(L 5.2.4-5.2.6)")
    wf.record("key_activation_ceremony", detail=f"{CUSTODIAN_QUORUM} Key Custodians: the Contingency Private Key "
                                                "and the Contingency Symmetric Key's parts (L 5.2.7)")
    await _dcc_replace(wf, inp, ocnf, None, deadline, contingency=True)
    adopted: Adopted = await workflow.execute_activity_method(
        ContingencyActivities.recovery_adopt_hierarchy, Hierarchy(incident_id=inp.incident_id), **DCC_ACT)
    wf.record("root_and_issuing_oca_revoked", detail=f"the ARL: {', '.join(adopted.revoked) or 'revoked already'}; "
                                                     "the replaced keys destroyed; the SMKI on the new Root (L 5.1.6)")
    wf.phase = IncidentPhase.POST_RECOVERY
    # L 5.3.1: each Responsible Supplier's Organisation Certificate under the new Issuing OCA
    supplier_cell = {e.device_id for e in ocnf.entries if RemotePartyRole.SUPPLIER in
                     CELLS[DeviceType(e.device_type)]}
    suppliers = await workflow.execute_activity_method(RecoveryActivities.recovery_responsible_suppliers, DeviceSet(
        incident_id=inp.incident_id, device_ids=[d for d in wf.recovered if d in supplier_cell]), **DCC_ACT)
    to_hand = {d: "Supplier" for d, found in suppliers.items() if found}
    for supplier in sorted({s for found in suppliers.values() for s in found}):
        ref = CampaignRef(campaign_id=f"smki-recovery-{inp.incident_id}-{supplier}", supplier_id=supplier)
        issued = await workflow.execute_activity_method(RolloverActivities.rollover_issue_certificate, ref, **ACT)
        await workflow.execute_activity_method(RolloverActivities.rollover_activate_certificate, Activation(
            campaign_id=ref.campaign_id, supplier_id=supplier,
            replaced=[d for d, found in suppliers.items() if supplier in found]), **ACT)
        wf.record("replacement_certificates_obtained", detail=f"{supplier}: serial {issued.serial}, under the new "
                                                              "Issuing OCA (L 5.3.1)")
    await _handback(wf, inp, to_hand, [d for d in wf.recovered if d not in to_hand])
    if workflow.patched(NETWORK_OPERATORS_PATCH):  # L 5.3.1-5.3.2(b): workflows.smki_recovery_network
        await network_after_root(wf, inp)
    else:
        wf.record("network_operators_handed_back", detail="the Network Operator cells keep the DCC's ACB "
                                                          "certificate (L 5.3.2(b) not built)")
    await _report_not_recovered(wf)
    return None


async def _new_key_accepted(wf: Recovery, inp: SmkiRecoveryInput, cell: str, new: GeneratedKey) -> None:
    """The DCC's own Command signed with its new key (placing the new certificate again: no change) is accepted by
    a recovered Device: the DCC keeps control of the cell."""
    done = [d for d in wf.recovered if d not in wf.not_recovered]
    if not done:
        return
    result: Replaced = await workflow.execute_activity_method(
        RecoveryActivities.recovery_replace_cell, CellReplacement(
            incident_id=f"{inp.incident_id}-new-key", device_id=done[0], cell=cell, certificate=new.certificate),
        **DCC_ACT)
    if result.outcome == "replaced":
        wf.record("new_key_accepted", device_id=done[0], detail=f"the DCC's Command signed with the new {cell} key")
