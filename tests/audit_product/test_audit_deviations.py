"""Issue #17: a history with an injected deviation is reported as exactly that — a required step skipped is the
one "missing" step of its case, a deadline missed the one breach — and a real late run's breach carries its
deadline and actual time."""

from __future__ import annotations

from datetime import timedelta

from audit_support import load, report_of


def _breaches(report) -> list[tuple[str, str | None]]:
    return sorted((v.obligation, v.device_id) for v in report.verdicts if v.verdict == "breached")


def test_a_conforming_run_fits_its_model_and_breaches_nothing(dual_fuel_run):
    report = report_of(load(dual_fuel_run))
    [case] = report.cases
    assert case.process == "install_commission"
    assert case.conformance.fitness == 1.0 and case.conformance.deviations == []
    assert _breaches(report) == []
    assert report.summary["conformance"] == {"replayed": 1, "fitting": 1, "deviating": 0, "not_replayed": 0,
                                             "deviations": 0}


def test_a_skipped_step_and_a_missed_deadline_are_reported_as_exactly_that(dual_fuel_run):
    data = load(dual_fuel_run)
    [case] = data.units[0].cases
    # inject: the ESME's SRV 8.1.1 Commission Device never happened; the installer's confirmation that the CH is on
    # the SM WAN (which starts BAD 7.2.1.6.6's 5 Working Days) came 10 days earlier, so SRV 8.14.1 was late
    case.events = [e for e in case.events if e.bpmn_id != "commission_device"]
    ids = [e.bpmn_id for e in case.events]
    for e in case.events[:ids.index("chf_commissioned_by_dcc") + 1]:
        e.at -= timedelta(days=10)
    [deadline] = [x for x in case.outcomes if "BAD 7.2.1.6.6" in x.refs]
    deadline.due, deadline.met = deadline.due - timedelta(days=10), False

    report = report_of(data)
    [result] = report.cases
    assert [(d.kind, d.bpmn_id) for d in result.conformance.deviations] == [("missing", "commission_device")]
    assert 0 < result.conformance.fitness < 1
    [breach] = [v for v in report.verdicts if v.verdict == "breached"]
    assert (breach.obligation, breach.ref, breach.actor) == ("install-success-report", "BAD 7.2.1.6.6", "Supplier")
    assert breach.due == deadline.due and breach.actual == deadline.actual and breach.actual > breach.due
    assert report.summary["obligations"]["breached"] == 1 and report.summary["conformance"]["deviating"] == 1


def test_steps_out_of_order_and_unknown_to_the_model_are_named(dual_fuel_run):
    data = load(dual_fuel_run)
    [case] = data.units[0].cases
    by_id = {e.bpmn_id: e for e in case.events}
    # the ESME commissioned before its HAN join was confirmed; a step the model lacks
    a, b = by_id["n24_whitelist_update_successful"], by_id["commission_device"]
    a.at, b.at = b.at, a.at
    case.events.append(by_id["end_sms_enrolled"].model_copy(update={"bpmn_id": "phone_the_customer"}))
    [result] = report_of(data).cases
    kinds = {(d.kind, d.bpmn_id) for d in result.conformance.deviations}
    assert ("not in model", "phone_the_customer") in kinds
    assert any(k == "out of order" and i in ("commission_device", "n24_whitelist_update_successful")
               for k, i in kinds)
    assert not any(k == "missing" and i not in ("commission_device", "n24_whitelist_update_successful")
                   for k, i in kinds)


def test_a_real_late_run_is_breached_with_its_deadline_and_actual_time(late_run):
    report = report_of(load(late_run))
    assert {c.process for c in report.cases} == {"install_commission", "post_commissioning"}
    late = [v for v in report.verdicts if v.verdict == "breached" and v.obligation == "device-post-commissioning"]
    assert late and all(v.ref == "SEC Appendix AC 5.2" and v.actual and v.due and v.actual > v.due for v in late)
    # the same verdicts as the run's own audit at the end of `dccflow run`
    import json

    run = json.loads((late_run / "run.json").read_text())
    from dccflow.domain.obligations import AUDIT_BY_ID

    ours = sorted((v.obligation, v.verdict, v.device_id) for v in report.verdicts
                  if v.obligation in AUDIT_BY_ID or v.obligation == "workflow-deadline")
    assert ours == sorted((v["obligation"], v["verdict"], v["device_id"]) for v in run["regulation"])
