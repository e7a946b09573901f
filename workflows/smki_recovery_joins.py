"""Two compromises at once as one procedure (BAD 7.7.3.4.1 Manage Incident; SEC Appendix L 3.2 as the BAD quotes it: the
DCC may run "a common set of procedural steps" for several notified compromises; L 6.3.1.3(f); digest 05 §D.1 item 7,
§D.9) — workflow code of ``workflows.smki_recovery``.

A compromise notified while another Incident is still running over any of the same Devices (the DCC's register,
``dccsim.smki_recovery_incidents``) is offered to that Incident (signal ``join_compromise``). DECISION (the Code
leaves how open) — the running procedure takes it in, and the second Incident ends ``end_joined_incident``, when its
own steps already recover the second compromise's credentials on the same Devices, before those steps are done:

* a **Root OCA** recovery (BAD 7.7.3.4.5) covers a Supplier's or Network Operator's **Organisation Certificate** key
  on Devices it covers, until its post-recovery: every cell is reset by the Contingency Command and each Subscriber
  then places a certificate for a new key under the new Issuing OCA (L 5.3.1-5.3.2);
* an **Issuing OCA** recovery (BAD 7.7.3.4.8) covers it until its recovery starts: each Subscriber replaces its
  certificates with new ones from the new Issuing OCA (L 6.3.2.7-6.3.2.8);
* an **Organisation** recovery covers a repeated notification of the same Subscriber's same certificate, until its
  post-recovery.

One procedure then: one timeline (``compromise_joined`` in the running Incident's), one set of clocks (its PMA
decision, recovery deadline and report — the joined Subscriber's confirmation is the running Incident's), the union
of the Devices; at its end the joined certificate is revoked (its CRR, L 4.x.1.1 — at the end, as for Method 1 and the
Issuing OCA, so as not to refuse the Subscriber's own replacements) and the joined compromise's attacker is probed on
its Devices (``joined_compromise_closed``): refused, or the Device is not recovered.

Otherwise (the running procedure does not recover that key — e.g. the DCC's Recovery key while a Method 2 signs with
it — or it is past the step that would) the two cannot be one procedure and must not run at once on a Device: the
second waits (``waits_for_running_incident``) until the running Incident's workflow ends, then runs its own. A
compromise sharing no Device with a running Incident runs on its own at once.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery import Ocnf, Probe, ProbeResult, RecoveryWorldActivities
    from dccflow.domain.recovery import CompromisedKey, IncidentPhase
    from dccsim.smki_recovery import RecoveryActivities, Revocation
    from dccsim.smki_recovery_incidents import (
        IncidentClaim,
        JoinedRef,
        OpenIncident,
        RecoveryIncidentActivities,
    )
    from workflows.smki_recovery_model import ACT, DCC_ACT, SmkiRecoveryInput

#: ``workflow.patched`` id of the join steps (drills started before them run without)
JOINS_PATCH = "smki-recovery-joins"
#: how long the second Incident waits for the running one's answer
ANSWER_WAIT = timedelta(hours=1)
#: how often a compromise that could not join looks whether the running Incident has ended
WAIT_POLL = timedelta(hours=6)
_P = IncidentPhase
_K = CompromisedKey
#: the phases after which the running procedure no longer covers a joined key, by its own compromised key
_TOO_LATE = {
    _K.ROOT_OCA: frozenset({_P.POST_RECOVERY, _P.COMPLETE, _P.REPORTED}),
    _K.ISSUING_OCA: frozenset({_P.RECOVERY, _P.POST_RECOVERY, _P.COMPLETE, _P.REPORTED}),
    _K.ORGANISATION: frozenset({_P.POST_RECOVERY, _P.COMPLETE, _P.REPORTED}),
}
_ENDED = frozenset({_P.NO_COMPROMISE, _P.NOT_CONFIRMED, _P.PMA_DECLINED, _P.PMA_NOT_DECIDED, _P.JOINED})


class JoinRequest(BaseModel):
    """The second compromise, offered to the running Incident."""

    incident_id: str
    #: the DCC's Incident reference (``recovery_raise_incident``)
    reference: str = ""
    workflow_id: str
    compromised: str
    subscriber_id: str
    #: the compromised certificates' serials (its notification file)
    serials: list[str]
    #: Device → the cell its compromised certificate is in
    cells: dict[str, str]
    #: its attacker's Commands before (Device → accepted / refused / unreachable)
    before: dict[str, str] = Field(default_factory=dict)


class JoinAnswer(BaseModel):
    accepted: bool
    incident_id: str
    reason: str


class JoinedCompromise(BaseModel):
    """A compromise the running Incident took in: what the drill's output shows of it."""

    incident_id: str
    #: the DCC's Incident reference of the joined compromise
    reference: str = ""
    compromised: str
    subscriber_id: str
    serials: list[str]
    cells: dict[str, str]
    joined_at: str
    revoked: list[str] = Field(default_factory=list)
    #: before / after → Device → accepted / refused / unreachable
    attacker: dict[str, dict[str, str]] = Field(default_factory=dict)


def start(wf, inp: SmkiRecoveryInput) -> None:
    """At the start of ``run``: what the join decision reads (no Command)."""
    wf.join_input = inp


def joinable(wf, req: JoinRequest) -> str | None:
    """None when the running procedure recovers ``req``'s credentials on its Devices (module doc), else why not."""
    inp: SmkiRecoveryInput | None = getattr(wf, "join_input", None)
    if inp is None:
        return "the running Incident has not started its procedure yet"
    if wf.phase in _ENDED:
        return f"the running Incident ended ({wf.phase.value})"
    if req.compromised != _K.ORGANISATION.value:
        return f"a compromised {req.compromised} key is recovered by its own method only"
    late = _TOO_LATE.get(inp.compromised)
    if late is None:
        return f"a {inp.compromised.value} recovery does not replace Organisation Certificates"
    if wf.phase in late:
        return f"the running procedure is past its Subscribers' replacements ({wf.phase.value})"
    if inp.compromised == _K.ORGANISATION and (req.subscriber_id != inp.subscriber_id or
                                              not set(req.serials) <= set(getattr(wf, "join_serials", ()))):
        return "another certificate than the running Incident's: two Organisation recoveries are not one"
    outside = [d for d in req.cells if d not in wf.affected]
    if outside:
        return f"{len(outside)} of its Devices are outside the running procedure ({', '.join(outside[:3])})"
    return None


async def on_join(wf, req: JoinRequest) -> None:
    """The running Incident's answer to ``join_compromise``: take it in (module doc) or say why not."""
    wf.record("join_offered", detail=f"Incident {req.incident_id}: the {req.compromised} key of {req.subscriber_id} "
                                     f"on {len(req.cells)} Device(s)")
    why = joinable(wf, req)
    if why is None:
        wf.joined.append(JoinedCompromise(incident_id=req.incident_id, reference=req.reference,
                                          compromised=req.compromised,
                                          subscriber_id=req.subscriber_id, serials=req.serials, cells=req.cells,
                                          joined_at=workflow.now().isoformat(), attacker={"before": req.before}))
        wf.record("compromise_joined", detail=f"Incident {req.reference or req.incident_id}: the {req.compromised} "
                                              f"key of {req.subscriber_id} (serial(s) {', '.join(req.serials)}) on "
                                              f"{len(req.cells)} Device(s) joins this procedure (L 3.2)")
    await workflow.get_external_workflow_handle(req.workflow_id).signal(
        "join_answer", JoinAnswer(accepted=why is None, incident_id=wf.incident, reason=why or "joined"))
    wf.record("join_answered", detail=f"Incident {req.incident_id}: " + ("joined" if why is None else f"not: {why}"))


async def join_or_wait(wf, inp: SmkiRecoveryInput, ocnf: Ocnf):
    """The second Incident's side, once its notification file is known: an end (joined) or None (run on its own,
    after the overlapping Incident if it could not join)."""
    wf.join_serials = sorted({e.serial for e in ocnf.entries})
    found: OpenIncident | None = await workflow.execute_activity_method(
        RecoveryIncidentActivities.recovery_open_incident, IncidentClaim(
            incident_id=inp.incident_id, workflow_id=workflow.info().workflow_id, compromised=inp.compromised.value,
            subscriber_id=inp.subscriber_id, device_ids=ocnf.device_ids()), **DCC_ACT)
    if found is None:
        return None
    await workflow.get_external_workflow_handle(found.workflow_id).signal("join_compromise", JoinRequest(
        incident_id=inp.incident_id, reference=wf.incident, workflow_id=workflow.info().workflow_id,
        compromised=inp.compromised.value, subscriber_id=inp.subscriber_id, serials=wf.join_serials,
        cells={e.device_id: e.cell for e in ocnf.entries}, before=dict(wf.attacker.get("before", {}))))
    try:
        await workflow.wait_condition(lambda: wf.join_reply is not None, timeout=ANSWER_WAIT)
    except TimeoutError:
        pass
    answer: JoinAnswer | None = wf.join_reply
    if answer is not None and answer.accepted:
        await workflow.execute_activity_method(RecoveryIncidentActivities.recovery_incident_joined, JoinedRef(
            incident_id=inp.incident_id, joined_to=found.incident_id, device_ids=ocnf.device_ids()), **DCC_ACT)
        wf.record("joined_running_incident", detail=f"Incident {found.incident_id} ({found.compromised} key of "
                                                    f"{found.subscriber_id}) covers its {len(found.shared)} shared "
                                                    "Device(s): one procedure, its timeline and clocks (L 3.2)")
        return ("end_joined_incident", IncidentPhase.JOINED,
                f"joined Incident {found.incident_id}: its procedure recovers this compromise")
    why = answer.reason if answer is not None else "no answer"
    wf.record("waits_for_running_incident", detail=f"Incident {found.incident_id} ({found.compromised}) runs over "
                                                   f"{len(found.shared)} of its Devices and cannot take it in: {why}; "
                                                   "its own procedure follows once that one ends")
    while await workflow.execute_activity_method(RecoveryIncidentActivities.recovery_incident_running,
                                                 found.workflow_id, **DCC_ACT):
        await workflow.sleep(WAIT_POLL)
    return None


async def close_joined(wf, inp: SmkiRecoveryInput) -> None:
    """At the running procedure's end: each joined certificate revoked, its attacker probed on its Devices."""
    for joined in wf.joined:
        joined.revoked = await workflow.execute_activity_method(RecoveryActivities.recovery_revoke, Revocation(
            incident_id=joined.incident_id, user_id=joined.subscriber_id, serials=joined.serials,
            requested_at=workflow.now()), **DCC_ACT)
        after: dict[str, str] = {}
        for device_id, cell in joined.cells.items():
            result: ProbeResult = await workflow.execute_activity_method(
                RecoveryWorldActivities.recovery_attacker_probe,
                Probe(incident_id=joined.incident_id, device_id=device_id, cell=cell, label="after"), **ACT)
            after[device_id] = result.outcome
            if result.outcome == "accepted" and device_id not in wf.not_recovered:
                wf.not_recovered[device_id] = f"the key of joined Incident {joined.incident_id} still accepted"
        joined.attacker["after"] = after
        counts = {o: sum(1 for v in after.values() if v == o) for o in ("accepted", "refused", "unreachable")}
        wf.record("joined_compromise_closed", detail=f"Incident {joined.incident_id}: certificate(s) "
                                                     f"{', '.join(joined.revoked) or 'revoked already'} revoked; its "
                                                     "attacker's Commands " + ", ".join(
                                                         f"{n} {o}" for o, n in counts.items() if n))


__all__ = ["JOINS_PATCH", "JoinAnswer", "JoinRequest", "JoinedCompromise", "close_joined", "join_or_wait",
           "joinable", "on_join", "start"]
