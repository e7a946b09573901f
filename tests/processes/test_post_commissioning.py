"""Post Commissioning Obligations (BAD 7.2.3; SEC Appendix AC 5.2, 5.13) as the scenarios run them."""

from __future__ import annotations

from datetime import timedelta

from dccflow_app.scenarios.runner import run_scenario


def _at(report, bpmn_id):
    return next(e.at for e in report.events if e.bpmn_id == bpmn_id)


async def test_steps_done_on_day_2_meet_the_obligation(stack):
    report = await run_scenario(stack.client, "post-commissioning-met")
    assert report.expected_end_reached, report.post_commissioning
    (pc,) = report.post_commissioning
    assert pc.outcome == "met"
    ids = [e.bpmn_id for e in report.events]
    for step in ("issue_security_credentials", "obtain_device_certificate", "update_security_credentials_device",
                 "replace_organisation_certificate", "end_post_commissioning_met"):
        assert step in ids
    commissioned = _at(report, "commission_device")
    assert _at(report, "issue_security_credentials") - commissioned >= timedelta(days=2)
    seven_day = next(o for o in report.obligations if "7 days" in o.obligation)
    assert seven_day.met and seven_day.actual <= seven_day.due
    assert seven_day.due - commissioned == timedelta(days=7)


async def test_steps_never_done_breach_on_day_7_and_the_supplier_breaches_ac_5_13_on_day_15(stack):
    report = await run_scenario(stack.client, "post-commissioning-missed")
    assert report.expected_end_reached
    (pc,) = report.post_commissioning
    assert pc.outcome == "not met"
    commissioned = _at(report, "commission_device")
    assert timedelta(days=7) <= _at(report, "post_commissioning_overdue") - commissioned < timedelta(days=8)
    assert timedelta(days=14) <= _at(report, "restricted_after_14_days") - commissioned < timedelta(days=15)
    # the DCC does not refuse it (AC 5.13 binds the Supplier: "shall not send"); the audit judges the Supplier
    sent = next(e for e in report.events if e.bpmn_id == "routine_request_accepted")
    assert sent.at - commissioned >= timedelta(days=15)
    assert "routine_request_refused" not in [e.bpmn_id for e in report.events]
    (breach,) = [v for v in report.regulation if v.obligation == "supplier-restriction"]
    assert breach.verdict == "breached" and "SRV 6.20.1" in breach.detail and "accepted" in breach.detail
    seven_day = next(o for o in report.obligations if "7 days" in o.obligation)
    assert not seven_day.met and seven_day.actual is None
