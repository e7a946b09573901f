"""The Post Commissioning Information and reports the DCC compiles each day (SEC Appendix AC 5.5-5.9, 5.11), on
the DCC's daily cycle (a durable timer), for a Meter whose Supplier never does its steps."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dccflow.db import session_scope
from dccflow_app.scenarios.runner import run_scenario
from dccsim.post_commissioning_reports import PANEL, compile_day
from dccsim.records import DccPcReport


def _verdicts(report, obligation, device_id=None):
    return [v for v in report.regulation if v.obligation == obligation and device_id in (None, v.device_id)]


async def test_a_meter_without_its_steps_is_listed_from_day_7_and_reported_daily_to_its_supplier(stack):
    report = await run_scenario(stack.client, "post-commissioning-missed")
    assert report.expected_end_reached, report.differences
    esme = next(d.device_id for d in report.devices if d.device_type == "ESME")
    chf = next(d.device_id for d in report.devices if d.device_type == "CHF")
    commissioned = next(e.at for e in report.events if e.bpmn_id == "commission_device")
    with session_scope(stack.runtime.engine) as s:
        rows = list(s.exec(select(DccPcReport).order_by(DccPcReport.period)))
    daily = [r for r in rows if r.kind == "daily-supplier"]
    assert daily and {r.recipient for r in daily} == {"90-B3-D5-1F-30-01-00-00"}  # the Import Supplier (AC 5.9)
    first = datetime.fromisoformat(daily[0].period).replace(tzinfo=UTC)
    # AC 5.6: listed once commissioned for 7 days: the first report is for the day the 7 days ended
    assert first.date() == (commissioned + timedelta(days=7)).date()
    for r in daily:
        (entry,) = r.content["devices"]
        assert entry["device_id"] == esme and entry["limbs"] == ["5.6(c)(i)", "5.6(c)(ii)", "5.6(c)(iii)"]
        assert entry["commissioned_on"] == commissioned.date().isoformat()
        day_end = datetime.fromisoformat(r.period).replace(tzinfo=UTC) + timedelta(days=1)
        assert r.marking == "CONFIDENTIAL" and r.available_until.replace(tzinfo=UTC) == day_end + timedelta(days=30)
    # the day's Post Commissioning Information (AC 5.5): the ESME listed, the CHF (its DCC duties done) not
    info = [r for r in rows if r.kind == "daily-information"]
    assert [r.period for r in info] == [r.period for r in daily]
    assert all({d["device_id"] for d in r.content["devices"]} == {esme} for r in info)
    assert all(chf not in {d["device_id"] for d in r.content["devices"]} for r in info)
    # the audit judges the DCC by them
    # (the DCC's reporting goes on after the audit ran, while the time-skipping server moves the clock to the
    # scenario's end: the audit counts the reports up to the last day it judged, named at the end of its detail)
    for obligation in ("pc-daily-update", "pc-daily-supplier-report"):
        (v,) = _verdicts(report, obligation, esme)
        last_judged = v.detail.rsplit("…", 1)[-1]
        judged = [r for r in daily if r.period[:10] <= last_judged]
        assert judged == daily[:len(judged)] and len(daily) - len(judged) <= 1, (obligation, v.detail)
        assert v.verdict == "met" and f"{len(judged)} days {daily[0].period[:10]}…" in v.detail, obligation
    assert _verdicts(report, "pc-reports-confidential")[0].verdict == "met"
    month_ended = any(r.kind == "monthly" for r in rows)  # the run crossed a month's end (run near one)
    assert _verdicts(report, "pc-monthly-report")[0].verdict == ("met" if month_ended else "not assessed")

    # AC 5.8: after the month's last day, the report to the Panel, the SSC and the Authority
    day = first.date()
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    assert compile_day(stack.runtime.engine, last) == 1
    with session_scope(stack.runtime.engine) as s:
        (monthly,) = s.exec(select(DccPcReport).where(DccPcReport.kind == "monthly",
                                                      DccPcReport.period == last.strftime("%Y-%m"))).all()
    assert monthly.period == last.strftime("%Y-%m") and monthly.recipient == PANEL and monthly.marking == "CONFIDENTIAL"
    counts = monthly.content["counts"]["90-B3-D5-1F-30-01-00-00|ESME"]
    assert counts["total"] == 1 and counts["removed"] == 0 and counts["listed 6 months ago"] == 0
    if not month_ended:  # the first monthly report with the ESME: it was added since the last one
        assert counts["added"] == 1 and counts["listed 1 month ago"] == 0
