"""The DCC's own post-commissioning duties (BAD 7.2.3.5.7; SEC Appendix AC 5.1, 5.3, 5.12) on durable timers: a
CHF the DCC cannot reach is retried daily; after 7 days its duties are overdue and the DCC raises an Incident."""

from __future__ import annotations

from datetime import UTC, timedelta

from dcc_support import CHF, premises
from sqlmodel import select

from dccflow.audit import evaluate
from dccflow.db import session_scope
from dccflow.events import ProcessEvent
from dccflow_app.scenarios.audit import read_dcc_records
from dccsim.models import SmiStatusChange
from dccsim.post_commissioning_duties import duty_workflow_id
from dccsim.records import DccIncident, DccPostCommissioningDuty


async def test_an_unreachable_chf_is_retried_daily_then_overdue_with_an_incident(stack):
    rt = stack.runtime
    premises(rt)  # the CHF commissioned on the SMI; no simulated CH answers on the SM WAN
    assert await rt.dcc.start_post_commissioning_duties() == 1
    assert await rt.dcc.start_post_commissioning_duties() == 0  # once per Commissioning
    with session_scope(rt.engine) as s:
        commissioned = s.exec(select(SmiStatusChange.at).where(SmiStatusChange.device_id == CHF,
                                                               SmiStatusChange.to_status == "commissioned")).one()
    commissioned = commissioned.replace(tzinfo=UTC)
    handle = stack.client.get_workflow_handle(duty_workflow_id(CHF, commissioned))
    await stack.env.sleep(timedelta(days=8))  # the time-skipping server runs the 7 days and the daily retries
    outcome = await handle.result()
    # overdue, an Incident (AC 5.12), and the CHF listed in the Post Commissioning Information (AC 5.6(a), (c))
    assert outcome == f"Incident INC-AC5.12-{CHF}-{commissioned:%Y%m%d}; listed (AC 5.6)"
    with session_scope(rt.engine) as s:
        duties = {d.duty: d for d in s.exec(select(DccPostCommissioningDuty))}
        (incident,) = s.exec(select(DccIncident)).all()
    assert set(duties) == {"chf-credentials", "recovery-interrogation"}
    for d in duties.values():  # tried on the day and on each following day until the 7 days were over
        assert d.outcome == "overdue" and d.done_at is None and d.attempts == 7
        assert d.due - d.commissioned_at == timedelta(days=7) and "not reachable" in d.detail
    assert incident.device_id == CHF and incident.clause == "SEC Appendix AC 5.12"
    assert "5.12(a)" in incident.summary and "5.6(a)" in incident.summary
    assert incident.raised_at.replace(tzinfo=UTC) >= commissioned + timedelta(days=7)

    # the audit judges the DCC from these records
    start = commissioned
    events = [ProcessEvent(bpmn_id="chf_commissioned_by_dcc", actor="DCC", at=start, refs=["SEC Appendix AC 4.1"],
                           device_id=CHF),
              ProcessEvent(bpmn_id="end", actor="DCC", at=start + timedelta(days=8), refs=[], device_id=CHF)]
    verdicts = {v.obligation: v for v in evaluate(events, [], read_dcc_records(rt.engine, [CHF]))}
    assert verdicts["chf-post-commissioning"].verdict == "breached"
    assert verdicts["recovery-cell-interrogation"].verdict == "breached"
    assert verdicts["chf-incident"].verdict == "met" and incident.ref in verdicts["chf-incident"].detail
