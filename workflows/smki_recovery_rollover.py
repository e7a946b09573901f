"""The Contingency key rollover (BAD 7.7.3.4.6; SEC Appendix L 6.1 as the BAD quotes it; digest 05 §D.6) as workflow
code run by ``workflows.smki_recovery_dcc_keys`` once the DCC's SRO has confirmed that the Contingency Private Key
or the Contingency Symmetric Key is compromised.

Pre-recovery (L 6.1.1): the PMA told, the Annex D files to the Subscribers, the PMA's decision. Recovery (L 6.1.2):
the Key Generation Ceremonies — a new Contingency Key Pair and Symmetric Key, a new Root OCA key and a replacement
Root OCA Certificate embedding the new wrappedApexContingencyKey, signed by the new **and the existing** Root key
(L 6.1.2.4; §D.11 item 2), a new Issuing OCA — lodged (``dccsim.smki_contingency_rollover``); the target deadline and
the new Root's serial notified; then each responsible organisation's Root replacement on its Devices (the Supplier
cell's holder, the DCC for CHFs: ``activities.smki_recovery_root``), one activity per batch of Devices, retried until
the deadline (a Device off the SM WAN: caught up on its return, else reported, L 6.1.2.9). Post-recovery (L 6.1.3):
the replaced Root, Issuing OCA and Contingency keys destroyed and the SMKI on the new Root; nothing revoked and no
SMI status change (§D.6 notes) — the DCC validates paths to either Root meanwhile.

The attacker copies the Contingency key and Symmetric Key: its Contingency Command is authenticated by every Device
before, refused after by each whose Root cell holds the new Root (a straggler still trusts it: reported); the DCC's
own Command with the new Contingency key is authenticated after (``new_key_accepted``).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery import Ocnf, Probe, ProbeResult
    from activities.smki_recovery_root import DCC_NEW_KEY, RecoveryRootActivities, RootBatch
    from dccflow.domain.recovery import CEREMONY_AFTER, CUSTODIAN_QUORUM, IncidentPhase
    from dccsim.smki_contingency_rollover import ContingencyRolloverActivities, ReplacementRoot
    from dccsim.smki_recovery import Replaced
    from dccsim.smki_recovery_keys import Hierarchy
    from workflows.smki_recovery_methods import Recovery, _dcc_replace, _report_not_recovered
    from workflows.smki_recovery_model import ACT, DCC_ACT, SmkiRecoveryInput


async def contingency_key_rollover(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf, deadline) -> None:
    """After the PMA's approval (L 6.1.1.5): L 6.1.2 and 6.1.3."""
    wf.phase = IncidentPhase.RECOVERY
    await workflow.sleep(CEREMONY_AFTER)
    wf.record("key_activation_ceremony", detail=f"{CUSTODIAN_QUORUM} Key Custodians: the existing Root OCA Private "
                                                "Key, to sign the replacement Root (L 6.1.2.3-6.1.2.4)")
    root: ReplacementRoot = await workflow.execute_activity_method(
        ContingencyRolloverActivities.recovery_generate_replacement_root, Hierarchy(incident_id=inp.incident_id),
        **DCC_ACT)
    wf.record("key_generation_ceremony", detail=f"new Contingency Key Pair and Symmetric Key; replacement Root "
                                                f"{root.serial} embedding the new wrappedApexContingencyKey, signed "
                                                f"by the new and the existing ({root.replaces}) Root keys; Issuing "
                                                f"OCA {root.issuing_serial}; lodged (L 6.1.2.3-6.1.2.5)")
    wf.record("annex_d_sent", detail=f"the target deadline {deadline.isoformat()} and the replacement Root's serial "
                                     f"{root.serial} to the responsible organisations (L 6.1.2.6)")

    async def send(device_ids: list[str], attempt: int) -> list[Replaced]:
        return await workflow.execute_activity_method(
            RecoveryRootActivities.recovery_replace_root, RootBatch(
                incident_id=inp.incident_id, device_ids=device_ids, certificate=root.certificate,
                link_signature=root.link_signature, attempt=attempt), **ACT)

    await _dcc_replace(wf, inp, ocnf, None, deadline, send=send,
                       done_detail=f"the replacement Root {root.serial} in the Root cell (L 6.1.2.7-6.1.2.8)")
    await _report_not_recovered(wf)
    wf.phase = IncidentPhase.POST_RECOVERY
    await workflow.execute_activity_method(ContingencyRolloverActivities.recovery_adopt_replacement_root,
                                           Hierarchy(incident_id=inp.incident_id), **DCC_ACT)
    wf.record("replaced_key_destroyed", detail=f"the replaced Root OCA ({root.replaces}), Issuing OCA and Contingency "
                                               "private keys and Symmetric Key destroyed; the SMKI on the new Root; "
                                               "nothing revoked (L 6.1.3.2)")
    done = [d for d in wf.recovered if d not in wf.not_recovered]
    if done:
        result: ProbeResult = await workflow.execute_activity_method(
            RecoveryRootActivities.recovery_contingency_probe, Probe(
                incident_id=inp.incident_id, device_id=done[0], cell="Root", label=DCC_NEW_KEY), **ACT)
        if result.outcome == "accepted":
            wf.record("new_key_accepted", device_id=done[0],
                      detail="the DCC's Contingency Command with the new key and Symmetric Key authenticated")
