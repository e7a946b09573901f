"""The recovery of a compromised Issuing OCA Private Key (BAD 7.7.3.4.8; SEC Appendix L 6.3 as the BAD quotes it; digest
05 §D.8) in two phases, run by ``workflows.smki_recovery_dcc_keys``:

1. **the DCC** (L 6.3.1.7, 6.3.2.3-6.3.2.6): the compromised key destroyed and a new Issuing OCA made the SMKI's
   (``dccsim.smki_recovery_oca``); a Key Activation Ceremony for the Recovery key and a Key Generation Ceremony for a
   new Recovery key and certificate — signed by the new Issuing OCA — then every Device's Recovery cell rolled over by
   Commands signed with the replaced Recovery key (the Recovery key rollover's steps, §D.11 item 1: L's reading);
2. **the Subscribers** (L 6.3.2.7-6.3.2.8): each Subscriber replaces its certificate in the Supplier cells of the
   Devices with one issued by the new Issuing OCA, by SRV 6.15.1 (the Organisation Certificate rollover campaign,
   ``workflows.org_cert_rollover``, as a child); the DCC monitors (L 6.3.2.9) and, the replacements done, revokes
   the old Issuing OCA certificate (the Organisation ARL; the decision in ``dccsim.smki_recovery_oca``). Devices not
   replaced are reported (L 6.3.2.10).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery import Ocnf
    from dccflow.domain.recovery import CEREMONY_AFTER, CUSTODIAN_QUORUM, IncidentPhase
    from dccflow.parties import DCC_ID
    from dccflow.search import device_search_attributes
    from dccsim.smki_recovery_keys import (
        GeneratedKey,
        Hierarchy,
        KeyGeneration,
        KeyRetirement,
        RecoveryKeyActivities,
    )
    from dccsim.smki_recovery_oca import IssuingOcaActivities, NewIssuingOca, RevokedOca
    from workflows.org_cert_rollover import OrgCertRolloverWorkflow
    from workflows.org_cert_rollover_model import CampaignInput, CampaignReport, CampaignState, campaign_workflow_id
    from workflows.smki_recovery_methods import Recovery, _dcc_replace, _report_not_recovered
    from workflows.smki_recovery_model import DCC_ACT, SmkiRecoveryInput
    from workflows.smki_recovery_network import NETWORK_OPERATORS_PATCH
    from workflows.smki_recovery_network import after_issuing_oca as network_after_issuing_oca


async def issuing_oca(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf, deadline) -> None:
    """After the PMA's approval: the two phases."""
    new: NewIssuingOca = await workflow.execute_activity_method(
        IssuingOcaActivities.recovery_new_issuing_oca, Hierarchy(incident_id=inp.incident_id), **DCC_ACT)
    wf.record("issuing_oca_replaced", detail=f"the compromised key destroyed; new Issuing OCA {new.serial} "
                                             f"(replaces {new.replaced_serial}) (L 6.3.1.7, 6.3.2.3)")
    wf.phase = IncidentPhase.RECOVERY
    await workflow.sleep(CEREMONY_AFTER)
    wf.record("key_activation_ceremony", detail=f"{CUSTODIAN_QUORUM} Key Custodians: the Recovery Private Key "
                                                "(L 6.3.2.5)")
    key: GeneratedKey = await workflow.execute_activity_method(
        RecoveryKeyActivities.recovery_generate_dcc_key, KeyGeneration(incident_id=inp.incident_id, role="Recovery"),
        **DCC_ACT)
    wf.record("key_generation_ceremony", detail=f"a new Recovery key; certificate {key.serial} signed by the new "
                                                "Issuing OCA (L 6.3.2.4)")
    recovery_cells = Ocnf(incident_id=ocnf.incident_id, subscriber_id=ocnf.subscriber_id,
                          entries=[e for e in ocnf.entries if e.cell == "Recovery"])
    await _dcc_replace(wf, inp, recovery_cells, key.certificate, deadline)
    await workflow.execute_activity_method(RecoveryKeyActivities.recovery_retire_dcc_key, KeyRetirement(
        incident_id=inp.incident_id, role="Recovery"), **DCC_ACT)
    wf.record("replaced_key_destroyed", detail=f"the Recovery Certificate {key.replaces} issued by the compromised "
                                               "Issuing OCA revoked; the DCC signs with the new key")
    # phase 2 (L 6.3.2.7-6.3.2.8): each Subscriber's own certificates in the Supplier cells, by 6.15.1 (a cell holding
    # the DCC's ACB certificate is not a Subscriber's: L rolls over the DCC's Recovery Certificate only)
    holders: dict[str, list[str]] = {}
    for e in ocnf.entries:
        if e.cell == "Supplier" and e.holder and e.holder != DCC_ID:
            holders.setdefault(e.holder, []).append(e.device_id)
    for supplier, devices in sorted(holders.items()):
        campaign_id = campaign_workflow_id(supplier, f"issuing-oca-{inp.incident_id}")
        report: CampaignReport = await workflow.execute_child_workflow(
            OrgCertRolloverWorkflow.run,
            CampaignState(inp=CampaignInput(supplier_id=supplier, device_ids=devices,
                                            response_timeout=inp.response_timeout), campaign_id=campaign_id),
            id=campaign_id, search_attributes=device_search_attributes("org_cert_rollover", devices))
        wf.not_recovered.update({f.device_id: f"the Supplier's 6.15.1 failed: {f.reason}"
                                 for f in report.failed_devices})
        wf.record("subscriber_replaced_certificates", detail=f"{supplier}: {report.replaced} replaced, "
                                                             f"{report.failed} not; serial {report.new_serial} "
                                                             "under the new Issuing OCA (L 6.3.2.8)")
    if workflow.patched(NETWORK_OPERATORS_PATCH):  # L 6.3.2.8: the Network Operators, workflows.smki_recovery_network
        await network_after_issuing_oca(wf, inp, list(wf.affected))
    revoked: RevokedOca = await workflow.execute_activity_method(
        IssuingOcaActivities.recovery_revoke_issuing_oca, Hierarchy(incident_id=inp.incident_id), **DCC_ACT)
    wf.record("issuing_oca_revoked", detail=f"Issuing OCA {revoked.serial or new.replaced_serial} revoked: the "
                                            "Organisation ARL (L 6.3.1.7, 6.3.2.9(c))")
    await _report_not_recovered(wf)
    wf.phase = IncidentPhase.POST_RECOVERY
