"""What a scenario run is judged by: the scenario's declared expectation against what the run showed.

A catalogued scenario declares its expected end (the BPMN end event, and whether that is the process completing
or one of its failure branches), the SMI statuses it leaves, the steps it must show, and what else it demonstrates
(obligation verdicts of the audit, Post Commissioning outcomes, HAN devices reported not joined). A run that meets
every part exits 0, a failure branch included when that branch is what the scenario is for; a run that misses any
part exits 1 and each miss is listed, expected against actual.

A run with faults added on the command line (``--fault``) is no longer the catalogued scenario: its only rule is
that the process completes (a documented failure branch is exit 1).

Pure functions of their inputs: the scenario workflow calls :func:`judge` (deterministic).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from dccflow_app.scenarios.catalogue import Scenario


class Difference(BaseModel, frozen=True):
    """One part of the expectation the run did not meet."""

    what: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected}, got {self.actual}"


class RunFacts(BaseModel, frozen=True):
    """What a finished scenario run showed, as the judge needs it."""

    result: str  # completed / failed
    end: str  # the BPMN end event reached
    statuses: dict[str, str | None]  # Device Type → SMI status
    event_ids: frozenset[str]  # BPMN ids of the steps recorded
    #: obligation id of the audit register → the verdicts of its rows
    verdicts: dict[str, tuple[str, ...]] = {}
    post_commissioning: frozenset[str] = frozenset()  # outcomes of the Post Commissioning children
    not_joined: tuple[str, ...] = ()  # Device Types of HAN devices reported not joined
    cells: dict[str, dict[str, str]] = {}  # Device Type → cell → holder (User ID or "DCC")
    alerts: frozenset[tuple[str, str | None, str]] = frozenset()  # (code, Device Type, recipient)
    refusals: frozenset[tuple[str, str, str, str | None]] = frozenset()  # (SRV, sender, code, Device Type)
    #: follow-on processes by step id: (result, end, outcome)
    follow_on: dict[str, tuple[str, str, str | None]] = {}


def _verdict(rows: Iterable[str]) -> str:
    """One word for an obligation's rows: 'breached' if any row is, 'met' if all are, else the distinct verdicts."""
    rows = list(rows)
    if not rows:
        return "not judged"
    if "breached" in rows:
        return "breached"
    if all(v == "met" for v in rows):
        return "met"
    return " / ".join(sorted(set(rows)))


def judge(scenario: Scenario, facts: RunFacts, faults: Iterable[str] = ()) -> list[Difference]:
    """Every part of ``scenario``'s expectation that ``facts`` do not meet (empty: the run met it)."""
    if list(faults):  # an ad hoc fault: the process must complete, nothing more is promised
        if facts.result != "completed":
            return [Difference(what="result (run with --fault)", expected="completed",
                               actual=f"{facts.result} at {facts.end}")]
        return []
    differences: list[Difference] = []
    if facts.end != scenario.expected_end or facts.result != scenario.expected_result:
        differences.append(Difference(what="end", expected=f"{scenario.expected_end} ({scenario.expected_result})",
                                      actual=f"{facts.end} ({facts.result})"))
    for device_type, status in scenario.expected_statuses.items():
        actual = facts.statuses.get(device_type)
        if actual != status:
            differences.append(Difference(what=f"{device_type} SMI status", expected=status,
                                          actual=actual or "not on the SMI"))
    missing = [step for step in scenario.expected_events if step not in facts.event_ids]
    if missing:
        differences.append(Difference(what="steps", expected=", ".join(scenario.expected_events),
                                      actual=f"missing {', '.join(missing)}"))
    for obligation, verdict in scenario.expected_verdicts:
        actual = _verdict(facts.verdicts.get(obligation, ()))
        if actual != verdict:
            differences.append(Difference(what=f"obligation {obligation}", expected=verdict, actual=actual))
    if scenario.expected_post_commissioning is not None and facts.post_commissioning != {
            scenario.expected_post_commissioning}:
        differences.append(Difference(what="Post Commissioning Obligations",
                                      expected=scenario.expected_post_commissioning,
                                      actual=", ".join(sorted(facts.post_commissioning)) or "none"))
    for device_type, cell, holder in scenario.expected_cells:
        actual = facts.cells.get(device_type, {}).get(cell)
        if actual != holder:
            differences.append(Difference(what=f"{device_type} {cell} cell", expected=holder,
                                          actual=actual or "empty"))
    for code, device_type, recipient in scenario.expected_alerts:
        if not any(c == code and r == recipient and (device_type is None or d == device_type)
                   for c, d, r in facts.alerts):
            on = f" on the {device_type}" if device_type else ""
            differences.append(Difference(what=f"DCC Alert {code}{on} to {recipient}", expected="delivered",
                                          actual="not delivered"))
    for srv, sender, code, device_type in scenario.expected_refusals:
        if not any(r[:3] == (srv, sender, code) and (device_type is None or r[3] == device_type)
                   for r in facts.refusals):
            on = f" to the {device_type}" if device_type else ""
            differences.append(Difference(what=f"SRV {srv} from {sender}{on}", expected=f"refused {code}",
                                          actual="not refused so"))
    differences += _follow_on_differences(scenario, facts)
    for device_type, cells in sorted(facts.cells.items()):
        for cell, holder in cells.items():
            if holder in scenario.unexpected_cell_holders:
                differences.append(Difference(what=f"{device_type} {cell} cell", expected=f"not {holder}",
                                              actual=holder))
    if sorted(facts.not_joined) != sorted(scenario.expected_not_joined):
        differences.append(Difference(what="HAN devices not joined",
                                      expected=", ".join(sorted(scenario.expected_not_joined)) or "none",
                                      actual=", ".join(sorted(facts.not_joined)) or "none"))
    return differences


def _follow_on_differences(scenario: Scenario, facts: RunFacts) -> list[Difference]:
    """Each follow-on process step against what its ``expect.processes`` entry declares."""
    differences = []
    for step in scenario.follow_on:
        seen = facts.follow_on.get(step.step_id)
        if seen is None:
            differences.append(Difference(what=f"{step.step_id} ({step.process})", expected="run",
                                          actual="not started"))
            continue
        result, end, outcome = seen
        if (step.expected_end is not None and end != step.expected_end) or \
                (step.expected_result is not None and result != step.expected_result):
            differences.append(Difference(what=f"{step.step_id} end",
                                          expected=f"{step.expected_end or 'any'} ({step.expected_result or 'any'})",
                                          actual=f"{end} ({result})"))
        if step.expected_outcome is not None and outcome != step.expected_outcome:
            differences.append(Difference(what=f"{step.step_id} outcome", expected=step.expected_outcome,
                                          actual=outcome or "none"))
    return differences


def follow_on_facts(seen: Iterable) -> dict[str, tuple[str, str, str | None]]:
    """The follow-on processes of a run (``processes.FollowOnSeen``) as the judge reads them."""
    return {s.step_id: (s.result, s.end, s.outcome) for s in seen}


def follow_on_event_ids(seen: Iterable) -> frozenset[str]:
    return frozenset(e.bpmn_id for s in seen for e in s.events)


def snapshot_facts(snap) -> dict:
    """The cells, DCC Alerts and refusals of a run's snapshot (``report.Snapshot``), by Device Type."""
    type_of = {d.device_id: d.device_type for d in snap.devices}
    return dict(cells={d.device_type: d.cells for d in snap.devices},
                alerts=frozenset((a.code, type_of.get(a.device_id), a.recipient) for a in snap.dcc_alerts),
                refusals=frozenset((r.srv, r.sender, r.code, type_of.get(r.target)) for r in snap.refusals))


def verdicts_by_obligation(regulation: Iterable) -> dict[str, tuple[str, ...]]:
    """The audit's rows (``dccflow.audit.Verdict``) as obligation id → its rows' verdicts."""
    table: dict[str, list[str]] = {}
    for row in regulation:
        table.setdefault(row.obligation, []).append(row.verdict)
    return {obligation: tuple(verdicts) for obligation, verdicts in table.items()}


def describe(scenario: Scenario) -> str:
    """The expectation in one line, for ``dccflow scenarios``."""
    branch = "" if scenario.expected_result == "completed" else " (failure branch)"
    parts = [f"ends {scenario.expected_end}{branch}"]
    parts += [f"{obligation} {verdict}" for obligation, verdict in scenario.expected_verdicts]
    if scenario.expected_post_commissioning:
        parts.append(f"post-commissioning {scenario.expected_post_commissioning}")
    if scenario.expected_not_joined:
        parts.append(f"not joined: {', '.join(scenario.expected_not_joined)}")
    parts += [f"then {step.step_id} ends {step.expected_end}" for step in scenario.follow_on if step.expected_end]
    return "; ".join(parts)
