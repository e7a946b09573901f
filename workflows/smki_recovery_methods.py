"""The recovery methods of BAD 7.7.3.4.2-4 (SEC Appendix L 4.1-4.3; digest 05 §D.2-§D.4) as workflow code run by
``workflows.smki_recovery.Recovery`` once the Compromise is confirmed. Each reuses the credential
machinery that exists:

* **Method 1** — the Subscriber replaces its certificates itself: the Organisation Certificate rollover campaign
  (``workflows.org_cert_rollover``, SRV 6.15.1 on every notified Device, signed with the compromised key the cells
  still hold) as a child workflow; then the OCA revokes the compromised certificate (``dccflow.domain.recovery``
  decision 2). No SMI status change, no PMA gate (L 4.1).
* **Method 2** — the DCC puts its ACB certificate in the Supplier cells with Commands signed by its Recovery key
  (``dccsim.smki_recovery``), each Device 'recovered' + N44; the Subscriber obtains a replacement certificate (the
  rollover's issue / activate activities); the Responsible Supplier hands each Device back with SRV 6.21
  (``workflows.credentials.RequestHandoverWorkflow``) and the DCC restores the status before.
* **Method 3** — the Subscriber's replacement certificate installed by the DCC's Recovery-signed Commands, each
  Device back to its status before + N45.

A **Network Operator's** own Organisation Certificate (its Network Operator cells) goes the same three ways with the
Network Operators' machinery (``workflows.smki_recovery_no_key``): its own 6.15.1s (Method 1), the Responsible
Supplier's 6.21 placing its new certificate (Method 2), the DCC installing it with no SMI status change (Method 3).

A Device off the SM WAN is retried every ``retry_every`` until the PMA-approved recovery deadline (L 3.1(c)) and is
caught up when it returns within it; the rest are reported to the Responsible Suppliers (RCV-33).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.org_cert_rollover import Activation, CampaignRef, RolloverActivities
    from activities.smki_recovery import Ocnf, OcnfEntry
    from dccflow.domain.recovery import (
        CEREMONY_AFTER,
        CUSTODIAN_QUORUM,
        METHOD3_NO_STATUS_CHANGE,
        IncidentPhase,
        RecoveryMethod,
    )
    from dccflow.search import device_search_attributes
    from dccsim.smki_recovery import (
        CellBatch,
        CellReplacement,
        DeviceDone,
        DeviceSet,
        DoneBatch,
        RecoveryActivities,
        Replaced,
        Revocation,
    )
    from workflows import smki_recovery_no_key as no_key
    from workflows.credentials import (
        CellReplacementInput,
        CredentialProcessResult,
        RequestHandoverWorkflow,
        UpdateSecurityCredentialsKrpWorkflow,
        credential_workflow_id,
    )
    from workflows.org_cert_rollover import OrgCertRolloverWorkflow
    from workflows.org_cert_rollover_model import CampaignInput, CampaignReport, CampaignState, campaign_workflow_id
    from workflows.smki_recovery_handback import BATCHED_HANDBACK, send_handbacks
    from workflows.smki_recovery_model import ACT, DCC_ACT, SmkiRecoveryInput

#: Devices whose Recovery-signed Commands are in flight at once
PARALLEL = 200
#: Devices per recovery-Command activity (``RecoveryActivities.recovery_replace_cells``)
BATCH = 100
#: why a drill whose OCNF is empty recovers nothing (decided: it ends recovered, the certificate revoked)
NOTHING_AFFECTED = "no Device in scope holds the compromised certificate (the OCNF names none)"
#: a recovered Device with no Responsible Supplier (a GPF with no Gas Supplier; the DCC's key): nobody to alert
NO_RECIPIENT = "no Responsible Supplier"
Ended = tuple[str, IncidentPhase, str]
#: the recovery workflow (``workflows.smki_recovery.SmkiRecoveryWorkflow``): its record, state and PMA gate
Recovery = Any


async def run_method(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf) -> Ended | None:
    """The chosen method; an end (id, phase, reason) when it stops early (the PMA declines), else None."""
    assert wf.method is not None
    serials = sorted({e.serial for e in ocnf.entries})
    wf.record("ocnf_submitted", detail=f"{len(ocnf.entries)} certificate slot(s) on {len(wf.affected)} Device(s); "
                                       f"serial(s) {', '.join(serials) or 'none'}")
    operator = no_key.network_operator_key(inp)  # a Network Operator's own key (``smki_recovery_no_key``)
    if wf.method.method == RecoveryMethod.METHOD_1:
        await _method1(wf, inp, ocnf, serials, operator)
        return None
    await _revoke(wf, inp, serials)
    devices = DeviceSet(incident_id=inp.incident_id, device_ids=wf.affected)
    if operator and wf.method.method == RecoveryMethod.METHOD_3:
        # L 4.3.1.3: 'recovery' only "where the Compromise affects Supplier or CSP Certificates" (§D.11 item 4)
        wf.record("pma_notified", detail=f"{wf.method.method.value}: the Recovery Private Key; "
                                         f"{METHOD3_NO_STATUS_CHANGE}")
    else:
        wf.record("pma_notified", detail=f"{wf.method.method.value}: the Recovery Private Key")
        await workflow.execute_activity_method(RecoveryActivities.recovery_set_status, devices, **DCC_ACT)
        wf.record("devices_to_recovery", detail=f"{len(wf.affected)} Device(s): User traffic refused")
    wf.record("pma_decision_requested", detail="affected Devices, vulnerabilities, steps, timescales")
    decision = await wf.await_pma(inp)
    if decision is None or not decision.approve:
        wf.record("pma_declined", detail=decision.reason if decision else "no decision")
        await workflow.execute_activity_method(RecoveryActivities.recovery_restore, devices, **DCC_ACT)
        wf.record("statuses_restored")
        wf.record("parties_told_of_decision", detail="L 3.1(d): the outcome and the PMA's reasons")
        if decision is None:
            return "end_pma_not_decided", IncidentPhase.PMA_NOT_DECIDED, "no decision of the SMKI PMA"
        return "end_pma_declined", IncidentPhase.PMA_DECLINED, f"the SMKI PMA declined: {decision.reason}"
    deadline = workflow.now() + (decision.recovery_deadline or inp.recovery_deadline)
    wf.record("pma_approved", detail=f"recovery deadline {deadline.isoformat()}")
    wf.record("parties_told_of_decision", detail="the PMA's decision relayed to the Subscriber (L 4.2.1.8)")
    wf.phase = IncidentPhase.RECOVERY
    # L 4.3.2.3 (Method 3: the DCC installs it) / L 4.2.2.7 (Method 2: for the handover; obtained while the DCC
    # works): a replacement certificate not signed by the compromised key, for a new key pair of the Subscriber's
    ref = CampaignRef(campaign_id=f"smki-recovery-{inp.incident_id}", supplier_id=inp.subscriber_id)
    if operator:  # a Network Operator's: the Root / Issuing OCA recoveries' activity, not the Supplier rollover's
        issued = await no_key.issue(inp)
    else:
        issued = await workflow.execute_activity_method(RolloverActivities.rollover_issue_certificate, ref, **ACT)
    wf.record("replacement_certificates_obtained", detail=f"serial {issued.serial}")
    await workflow.sleep(CEREMONY_AFTER)
    wf.record("key_activation_ceremony", detail=f"{CUSTODIAN_QUORUM} Key Custodians")
    await _dcc_replace(wf, inp, ocnf, issued.certificate if wf.method.method == RecoveryMethod.METHOD_3 else None,
                       deadline)
    if operator:
        await no_key.activate(inp)
    else:
        await workflow.execute_activity_method(RolloverActivities.rollover_activate_certificate, Activation(
            campaign_id=ref.campaign_id, supplier_id=inp.subscriber_id, replaced=list(wf.recovered)), **ACT)
    if wf.method.method == RecoveryMethod.METHOD_2:
        cells = {e.device_id: e.cell for e in ocnf.entries}
        # L 5.3.2(b) as for a Root recovery: the Responsible Supplier's 6.21 places the Network Operator's certificate
        await _handback(wf, inp, cells, certificate_of={d: inp.subscriber_id for d in cells} if operator else None)
    await _report_not_recovered(wf)
    wf.phase = IncidentPhase.POST_RECOVERY
    await _legitimate_command(wf, inp, ocnf)
    if operator:
        await no_key.check_keys(wf, inp, ocnf, issued)
    return None


async def _revoke(wf: Recovery, inp: SmkiRecoveryInput, serials: list[str],
                  step: str = "compromised_certificate_revoked") -> None:
    revoked = await workflow.execute_activity_method(RecoveryActivities.recovery_revoke, Revocation(
        incident_id=inp.incident_id, user_id=inp.subscriber_id, serials=serials, requested_at=workflow.now()),
        **DCC_ACT)
    wf.record(step, detail=", ".join(revoked) or "revoked already")


async def _method1(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf, serials: list[str], operator: bool = False
                   ) -> None:
    """L 4.1: the Subscriber's own 6.15.1 rollover on the notified Devices, then the revocation; ``operator``: a
    Network Operator's own 6.15.1s on its Network Operator cells (``workflows.smki_recovery_no_key``)."""
    wf.record("pma_notified", detail="method-1: the Subscriber recovers with its own key (L 4.1.1.3)")
    wf.phase = IncidentPhase.RECOVERY
    devices = [e.device_id for e in ocnf.entries if e.cell == "Supplier"]
    if devices:
        campaign_id = campaign_workflow_id(inp.subscriber_id, serials[0])
        report: CampaignReport = await workflow.execute_child_workflow(
            OrgCertRolloverWorkflow.run,
            CampaignState(inp=CampaignInput(supplier_id=inp.subscriber_id, device_ids=devices,
                                            response_timeout=inp.response_timeout), campaign_id=campaign_id),
            id=campaign_id, search_attributes=device_search_attributes("org_cert_rollover", devices))
        wf.recovered.extend(report.replaced_devices)
        wf.not_recovered.update({f.device_id: f.reason for f in report.failed_devices})
        wf.record("replacement_certificates_obtained", detail=f"serial {report.new_serial}")
        wf.record("subscriber_replaced_certificates",
                  detail=f"{report.replaced} replaced, {report.failed} not (Annex C progress file)")
    if operator:
        await no_key.method1(wf, inp, ocnf)
    if not wf.affected:  # L 4.1.2.2 is met vacuously: no Device in scope holds the compromised certificate
        wf.record("subscriber_replaced_certificates", detail=f"none to replace: {NOTHING_AFFECTED}")
    await _revoke(wf, inp, serials, "subscriber_certificate_revoked")
    await _report_not_recovered(wf)
    wf.phase = IncidentPhase.POST_RECOVERY
    await _legitimate_command(wf, inp, ocnf)
    if operator:
        await no_key.check_keys(wf, inp, ocnf)


async def _dcc_replace(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf, certificate: str | None,
                       deadline, *, contingency: bool = False, send=None, done_detail: str = "") -> None:
    """L 4.2.2.4-6 / 4.3.2.5-7: Recovery-signed Commands to every notified Device, retried until the deadline.
    One activity per ``BATCH`` Devices (all batches at once) and one for their 'recovered' / N44-N45, not one per
    Device: a whole fleet in a few activities. ``send(device_ids, attempt) -> list[Replaced]``: another way to
    replace (the Contingency key rollover's Root replacement)."""
    assert wf.method is not None
    by_device: dict[str, list[OcnfEntry]] = {}
    for entry in ocnf.entries:
        by_device.setdefault(entry.device_id, []).append(entry)
    pending, attempt, reasons = list(by_device), 1, {}
    told_unreachable: set[str] = set()
    if not pending:  # L 4.2.2.4 / 4.3.2.5 met vacuously
        wf.record("recovery_commands_sent", detail=f"none: {NOTHING_AFFECTED}")

    async def replace(chunk: list[str], attempt: int) -> list[Replaced]:
        return await workflow.execute_activity_method(RecoveryActivities.recovery_replace_cells, CellBatch(
            replacements=[CellReplacement(incident_id=inp.incident_id, device_id=e.device_id, cell=e.cell,
                                          certificate=certificate, attempt=attempt, contingency=contingency)
                          for d in chunk for e in by_device[d]]), **DCC_ACT)

    while pending:
        chunks = [pending[start:start + BATCH] for start in range(0, len(pending), BATCH)]
        outcomes = [o for done in await asyncio.gather(*((send or replace)(c, attempt) for c in chunks))
                    for o in done]
        replaced = [o.device_id for o in outcomes if o.outcome == "replaced"]
        told: dict[str, list[str]] = {}
        if replaced and wf.method.alert is not None:  # the DCC keys' rollovers name no alert (§D.11 item 11)
            told = await workflow.execute_activity_method(RecoveryActivities.recovery_devices_done, DoneBatch(done=[
                DeviceDone(incident_id=inp.incident_id, device_id=d, method=wf.method.method.value,
                           subscriber_id=inp.subscriber_id) for d in replaced]), **DCC_ACT)
        pending = []
        for outcome in outcomes:
            if outcome.outcome == "replaced":
                wf.recovered.append(outcome.device_id)
                wf.record("recovery_commands_sent", device_id=outcome.device_id, detail=f"attempt {attempt}")
                to = told.get(outcome.device_id)
                wf.record("device_recovered", device_id=outcome.device_id,
                          detail=(f"{wf.method.alert.value} to {', '.join(to)}" if to else
                                  f"{NO_RECIPIENT} for the {wf.method.alert.value}") if wf.method.alert else
                          done_detail or "the Device's confirmation recorded (L 6.2.2.4)")
            elif outcome.outcome == "unreachable":
                pending.append(outcome.device_id)
                reasons[outcome.device_id] = f"off the SM WAN until the recovery deadline ({outcome.reason})"
                if outcome.device_id not in told_unreachable:
                    told_unreachable.add(outcome.device_id)
                    wf.record("device_unreachable", device_id=outcome.device_id, detail=outcome.reason)
            else:
                wf.not_recovered[outcome.device_id] = f"refused by the Device: {outcome.reason}"
        if not pending or workflow.now() + inp.retry_every > deadline:
            break
        await workflow.sleep(inp.retry_every)
        attempt += 1
    wf.not_recovered.update({d: reasons[d] for d in pending})


async def _handback(wf: Recovery, inp: SmkiRecoveryInput, cells: dict[str, str],
                    direct: list[str] = (), certificate_of: dict[str, str] | None = None) -> None:
    """L 4.2.2.8, 5.3.2: the Responsible Supplier's 6.21 per recovered Device (``cells``: the cell it replaces), then
    the status before the Compromise; ``direct``: Devices with nothing to hand back (restored at once). The 6.21s go
    in batches from this workflow (``workflows.smki_recovery_handback``); histories made before ``BATCHED_HANDBACK``
    replay a ``RequestHandover`` child workflow per Device. ``certificate_of``: Device → whose certificate the 6.21
    places when not the sender's (a Network Operator's own key, ``workflows.smki_recovery_no_key``)."""
    await workflow.sleep(inp.handback_after)
    # the Device's Responsible Supplier now: a Change of Supplier may have moved the MPxN on since the Compromise
    suppliers = await workflow.execute_activity_method(RecoveryActivities.recovery_responsible_suppliers, DeviceSet(
        incident_id=inp.incident_id, device_ids=list(cells)), **DCC_ACT)
    if direct:  # first: a Communications Hub back in service carries the 6.21s to its meters
        await _restore(wf, inp, list(direct))
    handed, due = [], [d for d in wf.recovered if d in cells]
    senders = {d: (suppliers.get(d) or [inp.subscriber_id])[0] for d in due}
    if workflow.patched(BATCHED_HANDBACK):  # batches of 6.21s, not a child workflow per Device
        outcomes = await send_handbacks(wf, inp, due, cells, senders, certificate_of)
        for device_id in due:
            outcome = outcomes[device_id]
            wf.record("handover_requested", device_id=device_id,
                      detail=f"by {senders[device_id]}: {outcome.end}: {outcome.reason}")
            if outcome.completed:
                handed.append(device_id)
            else:
                wf.not_recovered[device_id] = f"the Responsible Supplier's handover failed: {outcome.reason}"
        due = []
    for start in range(0, len(due), PARALLEL):  # the Responsible Suppliers' 6.21s, PARALLEL at a time
        chunk = due[start:start + PARALLEL]
        results: list[CredentialProcessResult] = await asyncio.gather(*(_credential_child(
            RequestHandoverWorkflow.run, "request_handover", d, inp, cells[d], senders[d]) for d in chunk))
        for device_id, result in zip(chunk, results, strict=True):
            wf.record("handover_requested", device_id=device_id,
                      detail=f"by {senders[device_id]}: {result.end}: {result.reason}")
            if result.outcome == "completed":
                handed.append(device_id)
            else:
                wf.not_recovered[device_id] = f"the Responsible Supplier's handover failed: {result.reason}"
    if handed:
        await _restore(wf, inp, handed)


async def _restore(wf: Recovery, inp: SmkiRecoveryInput, devices: list[str]) -> None:
    await workflow.execute_activity_method(RecoveryActivities.recovery_restore, DeviceSet(
        incident_id=inp.incident_id, device_ids=devices), **DCC_ACT)
    for device_id in devices:
        wf.record("previous_status_restored", device_id=device_id)


async def _report_not_recovered(wf: Recovery) -> None:
    if wf.not_recovered:
        wf.record("devices_not_recovered_reported", detail=", ".join(sorted(wf.not_recovered)))


async def _legitimate_command(wf: Recovery, inp: SmkiRecoveryInput, ocnf: Ocnf) -> None:
    """The Supplier's own Critical Command (6.15.1 re-placing its current certificate) on a recovered Device."""
    done = [e for e in ocnf.entries if e.device_id in wf.recovered and e.device_id not in wf.not_recovered]
    if not done:
        return
    result: CredentialProcessResult = await _credential_child(
        UpdateSecurityCredentialsKrpWorkflow.run, "update_security_credentials_krp", done[0].device_id, inp,
        done[0].cell)
    if result.outcome == "completed":
        wf.record("legitimate_command_accepted", device_id=done[0].device_id, detail=result.reason)


async def _credential_child(run, process: str, device_id: str, inp: SmkiRecoveryInput, cell: str,
                            sender: str | None = None):
    cell_name = "NetworkOperator" if cell == "Network Operator" else cell
    child = CellReplacementInput(device_id=device_id, sender_id=sender or inp.subscriber_id, cell=cell_name,
                                 response_timeout=inp.response_timeout, instance=f"recovery-{inp.incident_id}")
    try:
        return await workflow.execute_child_workflow(
            run, child, id=credential_workflow_id(process, device_id, child.instance),
            search_attributes=device_search_attributes(process, [device_id]))
    except ChildWorkflowError as exc:
        return CredentialProcessResult(outcome="failed", end="end_service_request_failed", reason=str(exc.cause))

