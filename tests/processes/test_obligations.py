"""The obligations audit: the register covers the BAD 7.2 governance tables, and the verdicts of real runs are
right (met / breached with deadline and actual time; not applicable when the step was not reached)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from process_support import late_install_report
from typer.testing import CliRunner

from dccflow.audit import CHECKS, DccRecords, cites, evaluate
from dccflow.domain.calendar import working_day_deadline
from dccflow.domain.obligations import REGISTER, Judged
from dccflow.events import ObligationOutcome, ProcessEvent
from dccflow_app.scenarios.runner import run_scenario

_HEADER = re.compile(r"^(7\.[27](?:\.\d+)+) \S")
_CLAUSE = re.compile(r"^(?:Section )?([A-Z]?\d+(?:\.\d+)*)\s*(\([a-z]\))?$")


def governance_rows(text: str) -> set[tuple[str, str]]:
    """(BAD step, "SEC Appendix X clause") for every row of the 7.2.1.8, 7.2.2.9, 7.2.3.7, 7.7.1.7 and 7.7.2.7 tables,
    parsed from the BAD's text (tab-separated: Actor, SEC Document, Clause, Text; step headings between the rows). A
    clause cell naming two clauses ("2.3.1.7 (a) and 2.6.1.7 (a)", Appendix M) is a row for each."""
    rows, step, inside = set(), None, False
    for line in text.splitlines():
        if re.match(r"^7\.(2\.\d\.\d+|7\.[12]\.7) Governance$", line):
            inside, step = True, None
            continue
        if not inside:
            continue
        if re.match(r"^7\.(2\.\d\.\d+|3|7\.\d) [A-Z][A-Za-z]", line) and "\t" not in line:  # "7.7.3 SMKI ..."
            inside = False
            continue
        parts = line.split("\t")
        if _HEADER.match(parts[0]) and all(not p.strip() for p in parts[1:]):
            step = parts[0].split(" ")[0]
            continue
        if len(parts) < 4:
            continue
        doc = parts[1].split(" - ")[0].strip().rstrip(" -")
        for clause in parts[2].split(" and "):
            if m := _CLAUSE.match(clause.strip()):
                rows.add((step, f"{'SEC' if doc == 'Smart Energy Code' else doc} {m.group(1)}{m.group(2) or ''}"))
    return rows


def _bad_text() -> str:
    from dccflow.duis.schema import shared_dir

    files = sorted((shared_dir() / "reference").glob("004_*.txt"))
    assert files, f"the BAD reference text (reference/004_*.txt) is missing from {shared_dir()}"
    return files[0].read_text(encoding="utf-8")


def test_register_covers_every_row_of_the_governance_tables():
    rows = governance_rows(_bad_text())
    assert len(rows) >= 50  # the parser found the three tables
    registered = {(o.bad_step, ref) for o in REGISTER for ref in o.refs}
    assert sorted(rows - registered) == []
    # and every entry said to come from the tables is a row of them, under the same step
    assert [o.id for o in REGISTER if o.source == "table" and not any((o.bad_step, r) in rows for r in o.refs)] == []


def test_register_entries_say_how_they_are_judged():
    from dccsim.config import TARGETS

    assert len({o.id for o in REGISTER}) == len(REGISTER)
    for o in REGISTER:
        if o.judged is Judged.NOT_ASSESSABLE:
            assert o.why, o.id
        else:
            assert o.check in CHECKS or (o.judged is Judged.TIMED and o.timing is not None), o.id
        if o.judged is Judged.TIMED:
            assert o.timing is not None and (o.timing.deadline_refs or o.timing.from_refs or o.check), o.id
        if o.check == "service_level":
            assert o.params["measure"] in TARGETS and o.clause in TARGETS[o.params["measure"]].clause


def test_refs_match_at_section_boundaries():
    assert cites(["BAD 7.2.2.6.1"], ["BAD 7.2.2"])
    assert cites(["SEC H5.1(a)"], ["SEC H5.1"])
    assert not cites(["BAD 7.2.1.6.10"], ["BAD 7.2.1.6.1"])
    assert not cites(["SEC Appendix AC 4.12"], ["SEC Appendix AC 4.1"])
    assert cites(["SEC Appendix AC 5.12(b)"], ["SEC Appendix AC"])  # ends before a space
    assert cites(["BAD 7.2.2"], ["BAD 7.2.2"]) and not cites(["BAD 7.2"], ["BAD 7.2.2"])  # never a parent by a child
    assert cites(["SEC H5.1", "BAD 7.8.1"], ["BAD 7.9", "BAD 7.8"])  # any ref, any wanted
    assert not cites([], ["BAD 7"]) and not cites(["BAD 7"], [])
    assert not cites(["BAD 7.2 "], ["BAD 7.2 x"])  # longer than the ref


def _event(bpmn_id: str, at: datetime, *refs: str, device_id: str | None = "CH") -> ProcessEvent:
    return ProcessEvent(bpmn_id=bpmn_id, actor="Supplier", at=at, refs=list(refs), device_id=device_id)


def _one(verdicts, obligation: str):
    (v,) = [v for v in verdicts if v.obligation == obligation]
    return v


def test_steps_of_other_processes_are_judged_by_the_refs_they_cite():
    """Install and Leave steps, unknown to the audit's code, are judged through their BAD/SRV refs."""
    installed = datetime(2026, 11, 30, 10, tzinfo=UTC)  # a Monday
    events = [_event("install_communications_hub", installed, "BAD 7.2.1.6.4", "SEC Appendix I 4.4"),
              _event("leave_without_wan", installed, "BAD 7.2.2"),
              _event("ch_status_update_no_wan", installed + timedelta(days=4), "BAD 7.2.2.6.1", "SRV 8.14.2")]
    late = evaluate(events, [], DccRecords())
    report = _one(late, "no-wan-report")
    assert report.verdict == "breached"
    assert report.due == working_day_deadline(installed, 3) and report.actual == installed + timedelta(days=4)
    # a workflow Deadline citing the clause wins over the events
    deadline = ObligationOutcome(obligation="SRV 8.14.2 within 3 Working Days", actor="Supplier",
                                 refs=["BAD 7.2.2.6.1"], due=installed + timedelta(days=5),
                                 actual=installed + timedelta(days=4), met=True)
    assert _one(evaluate(events, [deadline], DccRecords()), "no-wan-report").verdict == "met"
    # nothing of Install and Leave happened: not applicable; the run ended early: not assessed
    assert _one(evaluate(events[:1], [], DccRecords()), "no-wan-report").verdict == "not applicable"
    assert _one(evaluate(events[:2], [], DccRecords()), "no-wan-report").verdict == "not assessed"
    # the DCC had no 8.14.2 record, so the Incident (Appendix I 4.10) was not raised
    assert _one(late, "no-wan-incident").verdict == "breached"


# -- real runs ----------------------------------------------------------------------------------------------------
def _verdicts(report, obligation):
    return [v for v in report.regulation if v.obligation == obligation]


async def test_happy_path_meets_every_obligation_it_reaches(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.expected_end_reached
    assert [v.obligation for v in report.regulation if v.verdict == "breached"] == []
    (srv_8141,) = _verdicts(report, "install-success-report")
    confirmed = next(e.at for e in report.events if e.bpmn_id == "chf_commissioned_by_dcc")
    sent = next(e.at for e in report.events if e.bpmn_id == "ch_status_update_install_success")
    assert srv_8141.verdict == "met" and srv_8141.ref == "BAD 7.2.1.6.6" and srv_8141.actor == "Supplier"
    assert srv_8141.due == working_day_deadline(confirmed, 5) and confirmed <= srv_8141.actual <= sent
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    (watch,) = _verdicts(report, "join-watch")  # N24 before the Join Time Period + allowance ran out
    assert watch.verdict == "met" and watch.device_id == esme and watch.actual <= watch.due
    for obligation in ("n24-installed-not-commissioned", "installed-not-commissioned", "meter-commissioned",
                       "commission-guard", "chf-first", "n16-to-network-operator", "pre-command-time"):
        assert {v.verdict for v in _verdicts(report, obligation)} == {"met"}, obligation
    assert _verdicts(report, "n25-not-joined")[0].verdict == "not applicable"
    # 7 days after commissioning had not passed when the run ended
    (pc,) = _verdicts(report, "device-post-commissioning")
    assert pc.verdict == "not assessed" and pc.actual is None
    assert {v.verdict for v in _verdicts(report, "ch-tools")} == {"not assessed"}


async def test_join_timeout_judges_n25_and_leaves_commissioning_unreached(stack):
    report = await run_scenario(stack.client, "install-commission-electricity", ["join-timeout"])
    (watch,) = _verdicts(report, "join-watch")
    added = next(e.at for e in report.events if e.bpmn_id == "update_han_device_log")
    assert watch.verdict == "met" and watch.actual - added >= timedelta(seconds=300)
    assert "N25" in watch.detail
    assert _verdicts(report, "n25-not-joined")[0].verdict == "met"
    assert _verdicts(report, "meter-commissioned")[0].verdict == "not applicable"
    assert _verdicts(report, "n24-installed-not-commissioned")[0].verdict == "not applicable"


async def test_post_commissioning_met_on_day_2(stack):
    report = await run_scenario(stack.client, "post-commissioning-met")
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    commissioned = next(e.at for e in report.events if e.bpmn_id == "commission_device")
    (v,) = _verdicts(report, "device-post-commissioning")
    assert (v.verdict, v.ref, v.actor, v.device_id) == ("met", "SEC Appendix AC 5.2", "Supplier", esme)
    assert timedelta(days=7) <= v.due - commissioned < timedelta(days=7, minutes=1)
    assert timedelta(days=2) <= v.actual - commissioned < timedelta(days=3)
    assert _verdicts(report, "pc-information")[0].verdict == "met"  # the DCC recorded each step (AC 5.4)
    (restriction,) = _verdicts(report, "supplier-restriction")  # steps done in 7 days: AC 5.13(a) never applied
    assert (restriction.verdict, restriction.device_id) == ("not applicable", esme)


async def test_post_commissioning_missed_is_breached_and_restricted(stack):
    report = await run_scenario(stack.client, "post-commissioning-missed")
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    commissioned = next(e.at for e in report.events if e.bpmn_id == "commission_device")
    (v,) = _verdicts(report, "device-post-commissioning")
    assert (v.verdict, v.device_id, v.actual) == ("breached", esme, None)
    assert timedelta(days=7) <= v.due - commissioned < timedelta(days=7, minutes=1)
    # the routine request of day 15, which the Supplier should not have sent (AC 5.13(a): restricted from day 7)
    (supplier,) = _verdicts(report, "supplier-restriction")
    assert supplier.verdict == "breached" and supplier.ref == "SEC Appendix AC 5.13" and "6.20.1" in supplier.detail
    assert timedelta(days=7) - timedelta(minutes=1) < supplier.due - commissioned <= timedelta(days=7)
    assert supplier.actual - commissioned >= timedelta(days=15)
    assert not _verdicts(report, "dcc-14-day-restriction")  # the DCC has no such duty (AC 5.13 binds the Supplier)


async def test_han_device_joins_are_audited_through_their_refs(stack):
    report = await run_scenario(stack.client, "install-commission-ppmid-ihd")
    ids = {d.device_type: d.device_id for d in report.devices}
    (ppmid,) = _verdicts(report, "type1-commissioning")  # AC 4.9: the PPMID is Commissioned by its join
    assert (ppmid.verdict, ppmid.device_id) == ("met", ids["PPMID"])
    (ihd,) = _verdicts(report, "type2-association")  # AC 4.8(c): the IHD is Associated, no SMI status
    assert (ihd.verdict, ihd.device_id) == ("met", ids["IHD"])
    assert {v.verdict for v in _verdicts(report, "join-guard")} == {"met"}


async def test_install_and_leave_reports_no_wan_within_three_working_days(stack):
    report = await run_scenario(stack.client, "install-and-leave-wan-after-3-days")
    installed = next(e.at for e in report.events if cites(e.refs, ["BAD 7.2.1.6.4", "SEC Appendix I 4.4"]))
    (v,) = _verdicts(report, "no-wan-report")
    assert v.verdict == "met" and v.ref == "SEC Appendix I 4.8(d)" and v.due == working_day_deadline(installed, 3)
    assert v.actual <= v.due
    assert _verdicts(report, "no-wan-incident")[0].verdict == "met"  # the DCC raised its Incident (App I 4.10)
    # the PPMID was joined locally before the ESME was commissioned: AC 4.9 cannot apply to it (BAD 7.2.2.7)
    ppmid = next(d for d in report.devices if d.device_type == "PPMID")
    assert ppmid.smi_status == "installed not commissioned"
    (type1,) = _verdicts(report, "type1-commissioning")
    assert (type1.verdict, type1.device_id) == ("not applicable", ppmid.device_id) and "7.2.2.7" in type1.detail
    assert not [v for v in report.regulation if v.verdict == "breached"]


async def test_gas_only_install_is_judged_on_the_gas_sms_alone(stack):
    report = await run_scenario(stack.client, "install-commission-gas-hot-shoe")
    enrolment = _verdicts(report, "enrolment")
    assert [(v.verdict, v.detail) for v in enrolment] == [("met", "gas SMS Enrolled")]  # no electricity SMS here
    assert not [v for v in report.regulation if v.verdict == "breached"]


async def test_late_install_report_is_a_breach_with_its_times(stack):
    from dccflow_app.scenarios.audit import AuditActivities, AuditRequest

    premises, result = await late_install_report(stack, timedelta(days=9))
    verdicts = await AuditActivities(stack.runtime).scenario_audit(AuditRequest(
        events=result.events, outcomes=result.obligations, device_ids=[premises.chf_id, premises.esme_id]))
    (v,) = [v for v in verdicts if v.obligation == "install-success-report"]
    confirmed = next(e.at for e in result.events if e.bpmn_id == "install_communications_hub")
    assert v.verdict == "breached" and v.due == working_day_deadline(confirmed, 5)
    assert v.actual - confirmed >= timedelta(days=9)


def test_cli_prints_the_verdicts(tmp_path):
    from dccflow_app.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["run", "post-commissioning-met", "--json", "--data-dir", str(tmp_path / "j")])
    assert result.exit_code == 0, result.output
    regulation = json.loads(result.stdout)["regulation"]
    v = next(v for v in regulation if v["obligation"] == "device-post-commissioning")
    assert v["verdict"] == "met" and v["ref"] == "SEC Appendix AC 5.2" and v["due"] and v["actual"]
    result = runner.invoke(app, ["run", "install-commission-electricity", "--data-dir", str(tmp_path / "h")])
    assert result.exit_code == 0, result.output
    assert "obligations (BAD 7.2" in result.stdout
    assert re.search(r"Obligations: \d+ met", result.stdout)


def test_a_deadline_no_entry_claims_is_still_reported():
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    stray = ObligationOutcome(obligation="Return local responses within 2 days", actor="Supplier",
                              refs=["BAD 7.2.2.6.4", "SEC Appendix AC 2.11"], due=at, actual=None, met=False)
    (v,) = [v for v in evaluate([], [stray], DccRecords()) if v.obligation == "workflow-deadline"]
    assert (v.verdict, v.ref, v.bad_step, v.due, v.actual) == ("breached", "SEC Appendix AC 2.11", "7.2.2.6.4", at,
                                                              None)
