"""The Network Operators' certificates in SMKI Recovery (digest 05 §D.5, §D.8; ``activities.smki_recovery_network``) as
workflow code run by ``workflows.smki_recovery_dcc_keys`` and ``workflows.smki_recovery_oca``:

* **after a Root OCA compromise** (BAD 7.7.3.4.5 post-recovery; SEC Appendix L 5.3.1-5.3.2 as the BAD quotes it): the
  Contingency Command put the DCC's new ACB certificate in every Network Operator cell (L 5.2.8(f)). Each Network
  Operator registered for an affected Device's Metering Point obtains a new Organisation Certificate under the new
  Issuing OCA (L 5.3.1, "the affected Subscriber"); then the **Responsible Supplier** replaces the DCC's ACB
  certificate in the Network Operator cell with it — L 5.3.2(b) "an Organisation Certificate to which the Network
  Operator is the Subscriber", by the SRV 6.21 the BAD names (batched as the Supplier cells' handbacks,
  ``workflows.smki_recovery_handback``, ``certificate_of`` the Network Operator; the DCC signs the CS02b with its ACB
  key; N42 to the Network Operator, AD 3.8.73.4);
* **after an Issuing OCA compromise** (BAD 7.7.3.4.8; L 6.3.2.7-6.3.2.8): each Network Operator whose certificate —
  issued by the compromised Issuing OCA — is in a Network Operator cell obtains one from the new Issuing OCA and
  replaces its own by SRV 6.15.1 (``UpdateSecurityCredentialsKrpWorkflow``; the Command signed with the key the cell
  still holds), then signs with the new key; before the old Issuing OCA is revoked (the DCC's Confirm Validity would
  refuse the 6.15.1 otherwise, as for the Suppliers).

Then the check a drill shows: per Device, a Command signed with the Network Operator's **previous** key (under the
compromised chain) is refused, one signed with its **new** key accepted. The Devices done and not, the new serials
and the probes are ``NetworkOperatorReport`` (the drill's ``network_operators``). A Device whose Network Operator
cell is not replaced is also in the drill's ``not_recovered``.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery_network import (
        NoCell,
        NoCellQuery,
        NoCertificate,
        NoIssued,
        NoProbeBatch,
        RecoveryNetworkActivities,
    )
    from dccflow.search import device_search_attributes
    from workflows.credentials import (
        CellReplacementInput,
        CredentialProcessResult,
        UpdateSecurityCredentialsKrpWorkflow,
        credential_workflow_id,
    )
    from workflows.smki_recovery_handback import send_handbacks
    from workflows.smki_recovery_model import ACT, SmkiRecoveryInput

#: ``workflow.patched`` id of the Network Operators' steps (drills started before them run without)
NETWORK_OPERATORS_PATCH = "smki-recovery-network-operators"
#: Network Operators' 6.15.1s in flight at once (a child workflow each); Devices per probe activity
PARALLEL = 200
PROBE_BATCH = 100
NO_CELL = "NetworkOperator"


class NetworkOperatorReport(BaseModel):
    """The Network Operator cells of a drill: what a user sees in its output."""

    #: Device → the Network Operator whose new certificate its Network Operator cell now holds
    done: dict[str, str] = Field(default_factory=dict)
    #: Device → why its Network Operator cell was not replaced
    not_done: dict[str, str] = Field(default_factory=dict)
    #: Network Operator → the serial of its new Organisation Certificate
    certificates: dict[str, str] = Field(default_factory=dict)
    #: "previous" / "current" key → Device → accepted / refused / unreachable
    probes: dict[str, dict[str, str]] = Field(default_factory=dict)

    @property
    def hole_closed(self) -> bool:
        """Every probed Device refuses the previous key and accepts the new one."""
        before, after = self.probes.get("previous", {}), self.probes.get("current", {})
        return bool(after) and all(v == "refused" for v in before.values()) and all(
            v == "accepted" for v in after.values())


async def _cells(wf, inp: SmkiRecoveryInput, device_ids: list[str]) -> list[NoCell]:
    return await workflow.execute_activity_method(
        RecoveryNetworkActivities.recovery_network_operator_cells,
        NoCellQuery(incident_id=inp.incident_id, device_ids=device_ids), **ACT)


async def _certificate(wf, inp: SmkiRecoveryInput, operator: str, report: NetworkOperatorReport, *,
                       activate: bool) -> None:
    req = NoCertificate(incident_id=inp.incident_id, user_id=operator)
    issued: NoIssued = await workflow.execute_activity_method(
        RecoveryNetworkActivities.recovery_network_operator_certificate, req, **ACT)
    if activate:
        await workflow.execute_activity_method(RecoveryNetworkActivities.recovery_network_operator_activate, req,
                                               **ACT)
    report.certificates[operator] = issued.serial
    if activate:  # after a Root recovery (L 5.3.1); after an Issuing OCA one it is in its 6.15.1's record
        wf.record("replacement_certificates_obtained", detail=f"Network Operator {operator}: serial "
                                                              f"{issued.serial} (replaces {issued.previous_serial}), "
                                                              "under the new Issuing OCA (L 5.3.1)")


async def _child(run, process: str, inp: SmkiRecoveryInput, cell: NoCell, sender: str) -> CredentialProcessResult:
    child = CellReplacementInput(device_id=cell.device_id, sender_id=sender, cell=NO_CELL,
                                 certificate_of=cell.network_operator_id, response_timeout=inp.response_timeout,
                                 instance=f"recovery-{inp.incident_id}-no")
    try:
        return await workflow.execute_child_workflow(
            run, child, id=credential_workflow_id(process, cell.device_id, child.instance),
            search_attributes=device_search_attributes(process, [cell.device_id]))
    except ChildWorkflowError as exc:
        return CredentialProcessResult(outcome="failed", end="end_service_request_failed", reason=str(exc.cause))


async def _hand_back(wf, inp: SmkiRecoveryInput, due: list[NoCell], report: NetworkOperatorReport) -> None:
    """The Responsible Suppliers' 6.21s placing the Network Operators' certificates, batched as the Supplier cells'
    handbacks are (``workflows.smki_recovery_handback``): each still its own Service Request and Service Response."""
    outcomes = await send_handbacks(wf, inp, [c.device_id for c in due], {c.device_id: NO_CELL for c in due},
                                    {c.device_id: c.supplier_id or "" for c in due},
                                    {c.device_id: c.network_operator_id or "" for c in due})
    for cell in due:
        outcome = outcomes.get(cell.device_id)
        wf.record("handover_requested", device_id=cell.device_id,
                  detail=f"Network Operator cell, by {cell.supplier_id}: {cell.network_operator_id}'s certificate: "
                         + (f"{outcome.end}: {outcome.reason}" if outcome else "not sent"))
        if outcome is not None and outcome.completed:
            report.done[cell.device_id] = cell.network_operator_id or ""
        else:
            report.not_done[cell.device_id] = f"the 6.21 failed: {outcome.reason if outcome else 'not sent'}"


async def krp_updates(wf, inp: SmkiRecoveryInput, due: list[NoCell], report: NetworkOperatorReport) -> None:
    """The Network Operator's own 6.15.1s (a child ``UpdateSecurityCredentialsKrp`` each), ``PARALLEL`` at a time."""
    for start in range(0, len(due), PARALLEL):
        chunk = due[start:start + PARALLEL]
        results = await asyncio.gather(*(_child(UpdateSecurityCredentialsKrpWorkflow.run,
                                                "update_security_credentials_krp", inp, c, c.network_operator_id or "")
                                         for c in chunk))
        for cell, result in zip(chunk, results, strict=True):
            if result.outcome == "completed":
                report.done[cell.device_id] = cell.network_operator_id or ""
            else:
                report.not_done[cell.device_id] = f"the 6.15.1 failed: {result.reason}"


async def probe_keys(wf, inp: SmkiRecoveryInput, cells: list[NoCell], report: NetworkOperatorReport) -> None:
    """Per Device done: the Network Operator's previous key, then its new one, on the Network Operator cell."""
    done = [c for c in cells if c.device_id in report.done]
    for key in ("previous", "current"):
        batches = await asyncio.gather(*(workflow.execute_activity_method(
            RecoveryNetworkActivities.recovery_network_operator_probe,
            NoProbeBatch(incident_id=inp.incident_id, key=key,
                         devices={c.device_id: c.network_operator_id or "" for c in done[i:i + PROBE_BATCH]}),
            **ACT) for i in range(0, len(done), PROBE_BATCH)))
        report.probes[key] = {r.device_id: r.outcome for results in batches for r in results}


def _summary(report: NetworkOperatorReport) -> str:
    counts = {k: {o: sum(1 for v in seen.values() if v == o) for o in ("accepted", "refused", "unreachable")}
              for k, seen in report.probes.items()}
    probes = "; ".join(f"{k} key: " + ", ".join(f"{n} {o}" for o, n in c.items() if n) for k, c in counts.items())
    return (f"{len(report.done)} Network Operator cell(s) replaced, {len(report.not_done)} not"
            + (f"; {probes}" if probes else ""))


def finish_report(wf, report: NetworkOperatorReport) -> None:
    """A Device whose Network Operator cell was not replaced, or still takes the previous key, is not recovered."""
    for device_id, why in report.not_done.items():
        if device_id not in wf.not_recovered and not why.startswith("no Network Operator registered"):
            wf.not_recovered[device_id] = f"its Network Operator cell: {why}"
    for device_id, outcome in report.probes.get("previous", {}).items():
        if outcome == "accepted" and device_id not in wf.not_recovered:
            wf.not_recovered[device_id] = "its Network Operator cell still takes the Network Operator's previous key"


async def after_root(wf, inp: SmkiRecoveryInput) -> None:
    """L 5.3.1-5.3.2(b): the Network Operators' new certificates into the Network Operator cells of the Devices
    recovered, by their Responsible Suppliers' 6.21."""
    report = wf.network_operators = NetworkOperatorReport()
    recovered = [d for d in wf.recovered if d not in wf.not_recovered]
    cells = await _cells(wf, inp, recovered)
    due: list[NoCell] = []
    for cell in cells:
        if cell.network_operator_id is None:
            report.not_done[cell.device_id] = ("no Network Operator registered for its Metering Point: the cell "
                                               "keeps the DCC's ACB certificate (L 5.2.8(f))")
        elif cell.supplier_id is None:
            report.not_done[cell.device_id] = "no Responsible Supplier to send the 6.21 (L 5.3.2)"
        else:
            due.append(cell)
    # the cells hold the DCC's ACB certificate: nothing needs the Network Operator's old key any more
    for operator in sorted({c.network_operator_id for c in due if c.network_operator_id}):
        await _certificate(wf, inp, operator, report, activate=True)
    await _hand_back(wf, inp, due, report)
    await probe_keys(wf, inp, due, report)
    finish_report(wf, report)
    wf.record("network_operators_handed_back", detail=_summary(report))


async def after_issuing_oca(wf, inp: SmkiRecoveryInput, device_ids: list[str]) -> None:
    """L 6.3.2.7-6.3.2.8: each Network Operator's own certificates in the Network Operator cells replaced by its
    6.15.1 with one the new Issuing OCA signed; then it signs with the new key."""
    report = wf.network_operators = NetworkOperatorReport()
    cells = await _cells(wf, inp, device_ids)
    own = [c for c in cells if c.network_operator_id is not None and c.holder == c.network_operator_id]
    for cell in cells:
        if cell not in own and cell.holder not in ("", "DCC"):
            report.not_done[cell.device_id] = (f"its Network Operator cell holds {cell.holder}'s certificate, not "
                                               "the registered Network Operator's: not replaced by this drill")
    for operator in sorted({c.network_operator_id for c in own if c.network_operator_id}):
        await _certificate(wf, inp, operator, report, activate=False)
        mine = [c for c in own if c.network_operator_id == operator]
        await krp_updates(wf, inp, mine, report)
        await workflow.execute_activity_method(RecoveryNetworkActivities.recovery_network_operator_activate,
                                               NoCertificate(incident_id=inp.incident_id, user_id=operator), **ACT)
        replaced = sum(1 for c in mine if c.device_id in report.done)
        wf.record("subscriber_replaced_certificates", detail=f"Network Operator {operator}: {replaced} replaced, "
                                                             f"{len(mine) - replaced} not; serial "
                                                             f"{report.certificates[operator]} under the new Issuing "
                                                             "OCA (L 6.3.2.8)")
    await probe_keys(wf, inp, own, report)
    finish_report(wf, report)


__all__ = ["NETWORK_OPERATORS_PATCH", "NetworkOperatorReport", "after_issuing_oca", "after_root"]
