"""SMKI Recovery (BAD 7.7.3; SEC Appendix L as the BAD quotes it; digest 05 §D) as one durable workflow per Incident:
Manage Incident (BAD 7.7.3.4.1), then the chosen method (``workflows.smki_recovery_methods``), with the Code's clocks
as durable timers — the Subscriber's 24-hour confirmation (L 3.2), the SMKI PMA's decision (a setting: L gives it no
time), the PMA-approved recovery deadline bounding the DCC's retries (L 3.1(c)) and the three-Working-Day report
(L 3.1(f)). On the time-skipping server a 30-day recovery takes seconds.

The actors' decisions arrive as signals — ``subscriber_confirmation`` (the SMKI SRO, L 3.3) and ``pma_decision``
(the SMKI PMA, L 4.2.1.7) — so a person can drive a drill; a drill's simulated actors send the same answers at the
times the input gives (``simulate_actors``). ``drill_status`` (a query) shows the phase, the Devices done and the
deadlines pending. The DCC's own steps are activities on its task queue (``dccsim.smki_recovery``); the Subscriber's
compromise files and the attacker are ``activities.smki_recovery``.

The attacker: at the compromise an attacker copies the private key; before recovery its Command (a CS02b straight
over the SM WAN) is accepted by the affected Device, after recovery refused — the drill proves the hole is closed,
and the legitimate Supplier's own Critical Command (SRV 6.15.1) is accepted.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.smki_recovery import KeyCopy, Ocnf, OcnfQuery, Probe, ProbeResult, RecoveryWorldActivities
    from activities.smki_recovery_root import RecoveryRootActivities
    from dccflow.domain.calendar import add_working_days
    from dccflow.domain.recovery import (
        AFFECTED_CELLS,
        ANY_SUBSCRIBER,
        CONFIRMATION_PERIOD,
        CONTINGENCY_PROBE,
        DCC_KEY_METHODS,
        DCC_KEYS,
        NO_ATTACKER_PROBE,
        PMA_DECISION_REFS,
        PMA_DECISION_WAIT,
        REPORT_WORKING_DAYS,
        IncidentPhase,
        MethodRow,
        choose_method,
    )
    from dccflow.messages import InboundMessage
    from dccsim.smki_recovery import DeviceSet, IncidentRef, RecoveryActivities
    from workflows.base import Deadline, ProcessResult, ProcessWorkflow
    from workflows.smki_recovery_dcc_keys import run_dcc_key_method
    from workflows.smki_recovery_handback import is_answer
    from workflows.smki_recovery_joins import (
        JOINS_PATCH,
        JoinAnswer,
        JoinedCompromise,
        JoinRequest,
        close_joined,
        join_or_wait,
        on_join,
    )
    from workflows.smki_recovery_joins import start as start_joins
    from workflows.smki_recovery_methods import NOTHING_AFFECTED, run_method
    from workflows.smki_recovery_model import ACT, DCC_ACT, PmaDecision, SmkiRecoveryInput
    from workflows.smki_recovery_network import NetworkOperatorReport
    from workflows.smki_recovery_steps import SMKI_RECOVERY_STEPS

class DrillStatus(BaseModel):
    incident_id: str
    phase: str
    method: str | None = None
    devices: list[str] = Field(default_factory=list)
    recovered: list[str] = Field(default_factory=list)
    not_recovered: dict[str, str] = Field(default_factory=dict)
    #: obligation → due (the deadlines still open)
    deadlines_pending: dict[str, datetime] = Field(default_factory=dict)
    #: the Incidents of other compromises this procedure took in (``workflows.smki_recovery_joins``)
    joined: list[str] = Field(default_factory=list)


class SmkiRecoveryResult(ProcessResult):
    outcome: Literal["completed", "failed"]
    incident: str = ""
    method: str | None = None
    phase: str = ""
    devices: list[str] = Field(default_factory=list)
    recovered: list[str] = Field(default_factory=list)
    #: Device → why it was not recovered (off the SM WAN until the deadline, refused)
    not_recovered: dict[str, str] = Field(default_factory=dict)
    #: the attacker's Commands: label (before / after) → Device → accepted / refused / unreachable
    attacker: dict[str, dict[str, str]] = Field(default_factory=dict)
    hole_closed: bool | None = None
    #: the Network Operator cells after a Root or Issuing OCA recovery (``workflows.smki_recovery_network``)
    network_operators: NetworkOperatorReport | None = None
    #: the other compromises this procedure took in (``workflows.smki_recovery_joins``)
    joined: list[JoinedCompromise] = Field(default_factory=list)


def smki_recovery_workflow_id(incident_id: str) -> str:
    return f"smki-recovery-{incident_id}"


@workflow.defn(name="SmkiRecovery")
class SmkiRecoveryWorkflow(ProcessWorkflow):
    steps = SMKI_RECOVERY_STEPS

    def __init__(self) -> None:
        super().__init__()
        self.phase = IncidentPhase.NOTIFIED
        self.confirmation: bool | None = None
        self.decision: PmaDecision | None = None
        self.decision_requested = False
        self.method: MethodRow | None = None
        self.affected: list[str] = []
        self.recovered: list[str] = []
        self.not_recovered: dict[str, str] = {}
        self.attacker: dict[str, dict[str, str]] = {}
        self.deadlines: list[Deadline] = []
        self.incident = ""
        self.responsible_suppliers: list[str] = []
        self.network_operators: NetworkOperatorReport | None = None
        self.joined: list[JoinedCompromise] = []
        self.join_reply: JoinAnswer | None = None
        #: RequestID → the Service Response (or DCC Alert) answering it; the RequestIDs awaited (the handback)
        self.answers: dict[str, InboundMessage] = {}
        self.awaiting: set[str] = set()
        self._received: set[tuple] = set()

    def _receive(self, message: InboundMessage) -> None:
        """``ProcessWorkflow._receive`` (each message kept once) by a set, and each answer indexed by RequestID: a
        whole fleet's 6.21 Service Responses come here (``workflows.smki_recovery_handback``)."""
        key = (message.kind, message.request_id, message.response_code, message.dcc_alert_code,
               message.device_alert_code, message.device_id)
        if key in self._received:
            return
        self._received.add(key)
        self.inbox.append(message)
        if is_answer(message):
            self.answers.setdefault(message.request_id, message)
            self.awaiting.discard(message.request_id)

    # -- the actors' answers ----------------------------------------------------------------------------------
    @workflow.signal
    def subscriber_confirmation(self, confirmed: bool) -> None:
        """The Subscriber's SMKI SRO, by the DCC's SMKI operational recovery mechanism (L 3.3)."""
        if self.confirmation is None:
            self.confirmation = confirmed

    @workflow.signal
    def pma_decision(self, decision: PmaDecision) -> None:
        """The SMKI PMA's decision, by secured electronic means (L 4.2.1.7, 4.3.1.7)."""
        if self.decision is None:
            self.decision = decision

    @workflow.signal
    async def join_compromise(self, request: JoinRequest) -> None:
        """Another compromise for overlapping Devices, offered by its Incident (L 3.2; ``smki_recovery_joins``)."""
        await on_join(self, request)

    @workflow.signal
    def join_answer(self, answer: JoinAnswer) -> None:
        """The running Incident's answer to this one's ``join_compromise``."""
        self.join_reply = answer

    @workflow.query
    def drill_status(self) -> DrillStatus:
        return DrillStatus(incident_id=self.incident, phase=self.phase.value,
                           method=self.method.method.value if self.method else None, devices=self.affected,
                           recovered=self.recovered, not_recovered=self.not_recovered,
                           deadlines_pending={d.obligation: d.due for d in self.deadlines if d.outcome is None},
                           joined=[j.reference or j.incident_id for j in self.joined])

    async def _simulated_actors(self, inp: SmkiRecoveryInput) -> None:
        if inp.subscriber_confirms != "silent":
            await workflow.sleep(inp.confirms_after)
            self.subscriber_confirmation(inp.subscriber_confirms == "yes")
        if inp.pma_decision == "silent":
            return
        await workflow.wait_condition(lambda: self.decision_requested)
        await workflow.sleep(inp.pma_decides_after)
        self.pma_decision(PmaDecision(approve=inp.pma_decision == "approve", recovery_deadline=inp.recovery_deadline,
                                      reason="" if inp.pma_decision == "approve" else
                                      "the drill's PMA directs that the Recovery Private Key not be used"))

    def deadline(self, obligation: str, actor: str, refs: tuple[str, ...], due: datetime) -> Deadline:
        d = Deadline(self, obligation, actor, refs, due)
        self.deadlines.append(d)
        return d

    # -- Manage Incident (BAD 7.7.3.4.1) -------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: SmkiRecoveryInput) -> SmkiRecoveryResult:
        self.record("compromise_notified", detail=f"{inp.compromised.value} key of {inp.subscriber_id}")
        start_joins(self, inp)
        actors = asyncio.ensure_future(self._simulated_actors(inp)) if inp.simulate_actors else None
        self.incident = await workflow.execute_activity_method(
            RecoveryActivities.recovery_raise_incident,
            IncidentRef(incident_id=inp.incident_id, subscriber_id=inp.subscriber_id,
                        compromised=inp.compromised.value), **DCC_ACT)
        self.phase = IncidentPhase.INCIDENT_RAISED
        self.record("incident_raised", detail=f"Incident {self.incident}; the SMKI PMA notified")
        ocnf = await self._ocnf(inp)
        self.affected = ocnf.device_ids()
        await self._copy_and_probe(inp, ocnf, "before")
        if workflow.patched(JOINS_PATCH):  # an Incident running over the same Devices: join it, or wait for it
            joined = await join_or_wait(self, inp, ocnf)
            if joined is not None:
                return self._end(inp, *joined, actors, completed=True)
        # L 3.2: confirmation within 24 hours of the DCC's request (RCV-07)
        self.phase = IncidentPhase.AWAITING_CONFIRMATION
        self.record("confirmation_requested", detail=f"by telephone and email; Incident {self.incident}")
        confirmation = self.deadline("RCV-07 the Subscriber confirms or denies the Compromise within 24 hours",
                                     "Subscriber", ("SEC Appendix L 3.2",), workflow.now() + CONFIRMATION_PERIOD)
        try:
            await workflow.wait_condition(lambda: self.confirmation is not None, timeout=CONFIRMATION_PERIOD)
        except TimeoutError:
            pass
        if self.confirmation is None:
            return self._end(inp, "end_not_confirmed", IncidentPhase.NOT_CONFIRMED,
                             "no confirmation from an SMKI SRO within 24 hours (L 3.2)", actors)
        confirmation.met()
        if not self.confirmation:
            self.record("compromise_denied")
            return self._end(inp, "end_incident_closed", IncidentPhase.NO_COMPROMISE,
                             "the Subscriber found no Compromise: the Incident is closed (IMP 2.12)", actors,
                             completed=True)
        self.phase = IncidentPhase.CONFIRMED
        self.record("compromise_confirmed")
        suppliers = await workflow.execute_activity_method(
            RecoveryActivities.recovery_responsible_suppliers,
            DeviceSet(incident_id=inp.incident_id, device_ids=self.affected), **DCC_ACT)
        told = self.responsible_suppliers = sorted({s for found in suppliers.values() for s in found})
        self.record("responsible_suppliers_informed", detail=", ".join(told) or "none")
        self.method = choose_method(inp.compromised, subscriber_can_sign=inp.subscriber_can_sign,
                                    replacement_certificates=inp.replacement_certificates, forced=inp.method)
        self.record("method_chosen", detail=f"{self.method.method.value}: {self.method.title} ({self.method.bad}, "
                                            f"{self.method.appendix_l})" + (" (forced)" if inp.method else ""))
        self.phase = IncidentPhase.PRE_RECOVERY
        run = run_dcc_key_method if self.method.method in DCC_KEY_METHODS else run_method
        ended = await run(self, inp, ocnf)
        if ended is not None:
            return self._end(inp, *ended, actors)
        await self._copy_and_probe(inp, ocnf, "after")
        if self.joined and workflow.patched(JOINS_PATCH):
            await close_joined(self, inp)
        # post-recovery: the PMA told of completion and of the Devices not recovered (RCV-50); the report (RCV-05)
        self.phase = IncidentPhase.COMPLETE
        self.record("recovery_complete", detail=f"{len(self.recovered)} recovered, "
                                                f"{len(self.not_recovered)} not recovered")
        self.deadline("RCV-05 the recovery report to the SMKI PMA within 3 Working Days", "DCC",
                      ("SEC Appendix L 3.1(f)",), add_working_days(workflow.now(), REPORT_WORKING_DAYS)).met()
        self.phase = IncidentPhase.REPORTED
        self.record("recovery_report", detail="steps and timing, communications to the Devices, anomalies")
        # no Device affected (the OCNF is empty): nothing trusts the compromised key, there is no hole to close
        closed = self.hole_closed() if inp.compromised not in NO_ATTACKER_PROBE and self.affected else True
        partly = bool(self.not_recovered) or not closed
        return self._end(inp, "end_recovered_partly" if partly else "end_recovered", IncidentPhase.REPORTED,
                         (f"nothing to recover on Devices: {NOTHING_AFFECTED}"
                          if not self.affected else
                          "every affected Device recovered; the compromised key's Commands refused"
                          if inp.compromised not in NO_ATTACKER_PROBE else
                          "every Device's cells reset under the new Root and handed back") if not partly
                         else f"{len(self.not_recovered)} Device(s) not recovered: "
                              + "; ".join(f"{d}: {r}" for d, r in self.not_recovered.items()), actors,
                         completed=not partly)

    def hole_closed(self) -> bool:
        """Every affected Device refuses the attacker's Command after recovery (unreachable ones: not recovered)."""
        after = self.attacker.get("after", {})
        return bool(after) and all(v != "accepted" for v in after.values())

    async def _ocnf(self, inp: SmkiRecoveryInput) -> Ocnf:
        cells = [c.value for c in AFFECTED_CELLS.get(inp.compromised, ())]
        return await workflow.execute_activity_method(
            RecoveryWorldActivities.recovery_ocnf,
            OcnfQuery(incident_id=inp.incident_id, subscriber_id=inp.subscriber_id, cells=cells,
                      device_ids=inp.device_ids, any_subscriber=inp.compromised in ANY_SUBSCRIBER), **ACT)

    async def _copy_and_probe(self, inp: SmkiRecoveryInput, ocnf: Ocnf, label: str) -> None:
        """The attacker's Command to each affected Device (in the cell its certificate was in)."""
        if not ocnf.entries:
            return
        if label == "before":
            await workflow.execute_activity_method(RecoveryWorldActivities.recovery_attacker_copy_key,
                                                   KeyCopy(incident_id=inp.incident_id, user_id=inp.subscriber_id,
                                                           authority=DCC_KEYS.get(inp.compromised)), **ACT)
        if inp.compromised in NO_ATTACKER_PROBE:  # copied (the tests use it), no Command of its own to probe with
            return
        seen: dict[str, str] = {}
        probe = (RecoveryRootActivities.recovery_contingency_probe if inp.compromised in CONTINGENCY_PROBE
                 else RecoveryWorldActivities.recovery_attacker_probe)
        for entry in ocnf.entries:
            result: ProbeResult = await workflow.execute_activity_method(
                probe,
                Probe(incident_id=inp.incident_id, device_id=entry.device_id, cell=entry.cell, label=label), **ACT)
            seen[entry.device_id] = result.outcome
        self.attacker[label] = seen
        counts = {o: sum(1 for v in seen.values() if v == o) for o in ("accepted", "refused", "unreachable")}
        self.record(f"attacker_probe_{label}", detail=", ".join(f"{n} {o}" for o, n in counts.items() if n))

    def _end(self, inp: SmkiRecoveryInput, end: str, phase: IncidentPhase, reason: str, actors, *,
             completed: bool = False) -> SmkiRecoveryResult:
        if actors is not None and not actors.done():
            actors.cancel()
        self.phase = phase
        self.record(end, detail=reason)
        return SmkiRecoveryResult(outcome="completed" if completed else "failed", end=end, reason=reason,
                                  events=self.events, obligations=self.obligations, incident=self.incident,
                                  method=self.method.method.value if self.method else None, phase=phase.value,
                                  devices=self.affected, recovered=self.recovered, not_recovered=self.not_recovered,
                                  attacker=self.attacker, hole_closed=self.hole_closed() if "after" in self.attacker
                                  else None, network_operators=self.network_operators,
                                  joined=self.joined)

    async def await_pma(self, inp: SmkiRecoveryInput) -> PmaDecision | None:
        """D.9.1: the decision gate. The decision is due ``pma_decision_due`` after the request (RCV-19; decision 3
        of ``dccflow.domain.recovery``); the DCC waits ``PMA_DECISION_WAIT`` at most."""
        self.phase = IncidentPhase.PMA_DECISION_PENDING
        self.decision_requested = True
        due = self.deadline("RCV-19 the SMKI PMA decides the steps and timescales", "SMKI PMA",
                            PMA_DECISION_REFS.get(self.method.method.value if self.method else "",
                                                  ("SEC Appendix L 4.2.1.7", "SEC Appendix L 4.3.1.7")),
                            workflow.now() + inp.pma_decision_due)
        try:
            await workflow.wait_condition(lambda: self.decision is not None, timeout=PMA_DECISION_WAIT)
        except TimeoutError:
            return None
        due.met()
        return self.decision


SMKI_RECOVERY_WORKFLOWS = (SmkiRecoveryWorkflow,)
