"""The compliance audit as a product (``dccflow audit``): process instances read from any Temporal history (or a
saved run) are judged against the obligation register and their BPMN models, and reported as text, JSON, XES
(:mod:`dccflow.audit_report_xes`) or one HTML page (:mod:`dccflow.audit_report_html`).

Input (:class:`AuditInput`): audit *units* — the process instances one scenario (or one root process) ran
together, the DCC's records about their Devices when they could be read — each of *cases* (one process workflow:
its BAD process, the process events it recorded with BPMN id, actor and SEC/BAD refs, and its ``Deadline``
outcomes). The obligations audit is :func:`dccflow.audit.evaluate`, run once per unit as ``dccflow run`` runs it at
the end of a scenario (the events of all the unit's processes, since an obligation applies when a step citing it
was reached in whichever process). Conformance (``replay``) is computed by the caller per case
(:mod:`dccflow.audit_report_conformance`), since the models live above the kernel.

The audit never says "met" for a rule it did not check: without the DCC's records, every verdict that needs them
becomes "not assessed" (:func:`needs_records`), and a register entry with nothing to observe is "not assessed"
with the register's reason (:class:`dccflow.domain.obligation_model.Judged`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from dccflow.audit import evaluate
from dccflow.audit_context import ObligationFacts, Verdict, cites
from dccflow.audit_records import DccRecords
from dccflow.domain.obligation_model import Judged, Obligation
from dccflow.domain.obligations import AUDIT_REGISTER
from dccflow.domain.obligations_inventory import INVENTORY_REGISTER
from dccflow.events import ObligationOutcome, ProcessEvent

#: the register the audit judges with: ``dccflow run``'s (BAD 7.2, 7.6, 7.7, 7.1.2.4.3-4) and the rest of BAD 7.1's
#: governance tables, which no process dccflow runs can show (``obligations_inventory``: "not assessed", with why)
AUDIT_SCOPE: tuple[Obligation, ...] = (*AUDIT_REGISTER, *INVENTORY_REGISTER)
SCOPE_BY_ID: dict[str, Obligation] = {o.id: o for o in AUDIT_SCOPE}
#: the verdicts in the order a reader wants them; "not assessed" covers the register's "not assessable"
VERDICTS = ("breached", "met", "not assessed", "not applicable")
#: checks of :data:`dccflow.audit.CHECKS` that judge the process events alone (the rest read the DCC's records)
EVENT_ONLY_CHECKS = frozenset({"step", "order", "recovery"})  # "recovery_records" reads the SMI, alerts, requests
NO_RECORDS = "the DCC's records for these Devices were not read (no database given), so this was not checked"


class ProcessCase(BaseModel):
    """One process instance: a process workflow and what its history says."""

    workflow_id: str
    run_id: str | None = None
    #: the BAD process (the workflow's ``BadProcess`` search attribute, its StepRegistry's and BPMN model's name)
    process: str
    #: the audit unit it belongs to (the scenario or root workflow)
    unit: str
    status: str = "completed"
    started: datetime | None = None
    closed: datetime | None = None
    events: list[ProcessEvent] = Field(default_factory=list)
    outcomes: list[ObligationOutcome] = Field(default_factory=list)
    #: why the events could not be read, if they could not
    note: str = ""


class AuditUnit(BaseModel):
    unit: str
    cases: list[ProcessCase]
    #: the DCC's records about the unit's Devices; None: not read
    records: DccRecords | None = None
    #: the verdicts the run's own audit gave (``dccflow run --json``), used when the records are not at hand
    recorded_verdicts: list[Verdict] | None = None
    device_ids: list[str] = Field(default_factory=list)


class AuditInput(BaseModel):
    """What ``dccflow audit`` reads, and what ``dccflow run --save DIR`` writes (``audit-input.json``)."""

    source: str
    units: list[AuditUnit]


class Deviation(BaseModel):
    kind: str  # "missing", "out of order", "not in model"
    bpmn_id: str
    at: datetime | None = None
    detail: str = ""


class CaseConformance(BaseModel):
    """A case replayed on its BPMN model: ``fitness`` None when it could not be replayed (``note`` says why)."""

    method: str = "alignments"
    fitness: float | None = None
    deviations: list[Deviation] = Field(default_factory=list)
    #: events of the case whose element the replayed net has no transition for (sub-process contents, boundary…)
    not_replayed: list[str] = Field(default_factory=list)
    note: str = ""

    @property
    def fits(self) -> bool | None:
        return None if self.fitness is None else not self.deviations


class CaseResult(BaseModel):
    workflow_id: str
    process: str
    unit: str
    status: str
    started: datetime | None
    closed: datetime | None
    events: list[ProcessEvent]
    conformance: CaseConformance
    note: str = ""


class UnitVerdict(Verdict):
    unit: str
    #: the processes of the unit whose steps cite the entry's trigger (all of them for an entry with none)
    processes: list[str] = Field(default_factory=list)


class RegisterRow(ObligationFacts):
    """One entry of the register for the processes in scope, and how the units in scope fared against it."""

    why: str = ""
    processes: list[str]
    #: the worst verdict over the units: breached > met > not assessed > not applicable
    verdict: str
    counts: dict[str, int]


class AuditReport(BaseModel):
    source: str
    generated_at: datetime
    cases: list[CaseResult]
    verdicts: list[UnitVerdict]
    #: the register view: one row per entry the processes in scope were judged against
    obligations: list[RegisterRow]
    summary: dict[str, dict[str, int]]


def needs_records(o: Obligation | None, outcomes: Iterable[ObligationOutcome]) -> bool:
    """Whether judging ``o`` reads the DCC's records (a workflow Deadline outcome or the events alone do not)."""
    if o is None or o.judged is Judged.NOT_ASSESSABLE:
        return False
    if o.judged is Judged.TIMED:
        rule = o.timing
        if rule and rule.deadline_refs and any(cites(x.refs, rule.deadline_refs) for x in outcomes):
            return False
        return o.check is not None and o.check not in EVENT_ONLY_CHECKS
    return (o.check or "step") not in EVENT_ONLY_CHECKS


def judge_unit(unit: AuditUnit, register: Iterable[Obligation] = AUDIT_SCOPE) -> list[Verdict]:
    """The unit's verdicts: :func:`dccflow.audit.evaluate` on all its processes' events and outcomes, as a scenario
    run is judged; without the records, the run's own verdicts if recorded, else the record-reading ones become
    "not assessed"."""
    events = sorted((e for c in unit.cases for e in c.events), key=lambda e: e.at)
    # a parent process carries its children's Deadline outcomes too (Install and Commission its Post Commissioning)
    outcomes = list({x.model_dump_json(): x for c in unit.cases for x in c.outcomes}.values())
    if unit.records is None and unit.recorded_verdicts is not None:
        return list(unit.recorded_verdicts)
    verdicts = evaluate(events, outcomes, unit.records or DccRecords(), register)
    if unit.records is not None:
        return verdicts
    out = []
    for v in verdicts:
        if v.verdict in ("met", "breached") and needs_records(SCOPE_BY_ID.get(v.obligation), outcomes):
            v = v.model_copy(update={"verdict": "not assessed", "detail": f"{NO_RECORDS} ({v.detail})"
                                     if v.detail else NO_RECORDS, "actual": None})
        out.append(v)
    return out


def _processes_of(o: Obligation | None, unit: AuditUnit) -> list[str]:
    if o is None or not o.applies_when:
        return sorted({c.process for c in unit.cases})
    return sorted({c.process for c in unit.cases if any(cites(e.refs, o.applies_when) for e in c.events)})


def _worst(counts: dict[str, int]) -> str:
    return next((v for v in VERDICTS if counts.get(v)), "not applicable")


def register_view(verdicts: list[UnitVerdict], register: Iterable[Obligation] = AUDIT_SCOPE) -> list[RegisterRow]:
    """One row per register entry (and per workflow deadline no entry claims) that the units in scope were judged
    against, with how its verdicts fell."""
    rows: dict[str, RegisterRow] = {}
    by_id = {o.id: o for o in register}
    for v in verdicts:
        key = v.obligation if v.obligation in by_id else f"{v.obligation}:{v.ref}:{v.summary}"
        row = rows.get(key)
        if row is None:
            o = by_id.get(v.obligation)
            row = rows[key] = RegisterRow(obligation=v.obligation, bad_step=v.bad_step, actor=v.actor, ref=v.ref,
                                          summary=v.summary, judged=v.judged, why=o.why if o else "",
                                          processes=[], verdict="not applicable", counts={})
        row.counts[v.verdict] = row.counts.get(v.verdict, 0) + 1
        row.processes = sorted(set(row.processes) | set(v.processes))
        row.verdict = _worst(row.counts)
    return list(rows.values())


def build_report(data: AuditInput, replay: Callable[[ProcessCase], CaseConformance],
                 register: Iterable[Obligation] = AUDIT_SCOPE, now: datetime | None = None) -> AuditReport:
    """Judge every unit against the register and replay every case (``replay``: on its BPMN model)."""
    register = tuple(register)
    by_id = {o.id: o for o in register}
    cases, verdicts = [], []
    for unit in data.units:
        for c in unit.cases:
            conformance = replay(c) if not c.note else CaseConformance(method="none", note=c.note)
            cases.append(CaseResult(workflow_id=c.workflow_id, process=c.process, unit=unit.unit, status=c.status,
                                    started=c.started, closed=c.closed, events=sorted(c.events, key=lambda e: e.at),
                                    conformance=conformance, note=c.note))
        for v in judge_unit(unit, register):
            verdicts.append(UnitVerdict(**v.model_dump(), unit=unit.unit,
                                        processes=_processes_of(by_id.get(v.obligation), unit)))
    rows = register_view(verdicts, register)
    return AuditReport(source=data.source, generated_at=now or datetime.now(UTC), cases=cases, verdicts=verdicts,
                       obligations=rows, summary=summarise(cases, verdicts, rows))


def summarise(cases: list[CaseResult], verdicts: list[UnitVerdict], rows: list[RegisterRow]) -> dict:
    """The counts every format prints (text, JSON, XES log attributes, HTML summary): they must agree."""
    replayed = [c for c in cases if c.conformance.fitness is not None]
    return {
        "scope": {"units": len({c.unit for c in cases}), "process_instances": len(cases),
                  "processes": len({c.process for c in cases}), "events": sum(len(c.events) for c in cases)},
        "obligations": {v: sum(1 for r in rows if r.verdict == v) for v in VERDICTS},
        "verdicts": {v: sum(1 for x in verdicts if x.verdict == v) for v in VERDICTS},
        "conformance": {"replayed": len(replayed),
                        "fitting": sum(1 for c in replayed if not c.conformance.deviations),
                        "deviating": sum(1 for c in replayed if c.conformance.deviations),
                        "not_replayed": len(cases) - len(replayed),
                        "deviations": sum(len(c.conformance.deviations) for c in replayed)},
    }


def _t(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def as_text(report: AuditReport) -> str:
    """The report for a terminal: the summary, each breach, each deviating case."""
    s = report.summary
    lines = [f"dccflow audit of {report.source}",
             f"scope: {s['scope']['process_instances']} process instances of {s['scope']['processes']} processes "
             f"in {s['scope']['units']} units, {s['scope']['events']} process events",
             "obligations: " + ", ".join(f"{n} {k}" for k, n in s["obligations"].items()),
             "verdicts: " + ", ".join(f"{n} {k}" for k, n in s["verdicts"].items()),
             "conformance: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s["conformance"].items())]
    for v in report.verdicts:
        if v.verdict == "breached":
            device = f" {v.device_id}" if v.device_id else ""
            when = f" (due {_t(v.due)}, actual {_t(v.actual) if v.actual else 'never'})" if v.due else ""
            lines.append(f"breached {v.ref} [{v.obligation}]{device}{when} in {v.unit}: {v.detail}")
    for c in report.cases:
        conf = c.conformance
        fitness = f"fitness {conf.fitness:.3f}" if conf.fitness is not None else f"not replayed: {conf.note}"
        lines.append(f"{c.process} {c.workflow_id}: {fitness}")
        for d in conf.deviations:
            lines.append(f"  {d.kind}: {d.bpmn_id}" + (f" ({d.detail})" if d.detail else ""))
    return "\n".join(lines)
