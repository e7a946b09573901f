"""Install and Commission (BAD 7.2.1), electricity, end to end on the time-skipping test server."""

from __future__ import annotations

from datetime import timedelta

from process_support import assert_valid_and_signed, late_install_report, run_messages
from sqlmodel import select

from activities.store import UserOutboxEntry
from dccflow.db import session_scope
from dccflow_app.scenarios.runner import run_scenario
from dccsim.models import DeliveredMessage, RequestLogEntry, SmiStatusChange


def _statuses(report) -> dict[str, str]:
    return {d.device_type: d.smi_status for d in report.devices}


def report_device_type(report, device_id: str | None) -> str | None:
    return next((d.device_type for d in report.devices if d.device_id == device_id), None)


def _alerts(report) -> list[tuple[str, str]]:
    return [(a.code, a.recipient) for a in report.dcc_alerts]


async def test_happy_path_commissions_chf_and_esme(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    assert report.result == "completed", report.reason
    assert report.end == "end_sms_enrolled"
    assert report.expected_end_reached
    assert _statuses(report) == {"CHF": "commissioned", "GPF": "pending", "ESME": "commissioned"}
    # N16 to the Electricity Distributor, N24 to the Import Supplier (BAD 7.2.1.6.7)
    assert ("N16", "90-B3-D5-1F-30-02-00-00") in _alerts(report)
    assert ("N24", "90-B3-D5-1F-30-01-00-00") in _alerts(report)
    assert "N25" not in [c for c, _ in _alerts(report)]
    ids = [e.bpmn_id for e in report.events]
    # the ESME is fitted first: it powers the CH (BAD 7.2.1.6.4)
    assert ids == ["start_installation", "install_electricity_smart_meter", "install_communications_hub",
                   "chf_commissioned_by_dcc", "ch_status_update_install_success", "update_han_device_log",
                   "n24_whitelist_update_successful", "commission_device", "set_import_mpxn", "end_sms_enrolled"]
    fitted = next(e for e in report.events if e.bpmn_id == "install_electricity_smart_meter")
    assert report_device_type(report, fitted.device_id) == "ESME"
    # the 5-Working-Day obligation for SRV 8.14.1 was met (BAD 7.2.1.6.6)
    (ob,) = report.obligations
    assert ob.met and ob.actual <= ob.due
    # the ESME went pending → whitelisted → installed not commissioned → commissioned
    with session_scope(stack.runtime.engine) as s:
        esme = [d.device_id for d in report.devices if d.device_type == "ESME"][0]
        history = [c.to_status for c in s.exec(
            select(SmiStatusChange).where(SmiStatusChange.device_id == esme).order_by(SmiStatusChange.id))]
    assert history == ["pending", "whitelisted", "installed not commissioned", "commissioned"]


async def test_process_is_found_by_device_and_mpxn(stack):
    report = await run_scenario(stack.client, "install-commission-electricity")
    desc = await stack.client.get_workflow_handle(report.workflow_id).describe()
    attrs = {k.name: v for k, v in desc.typed_search_attributes}
    assert set(attrs["DeviceIds"]) == {d.device_id for d in report.devices}
    assert len(attrs["Mpxns"]) == 1 and attrs["BadProcess"] == "install_commission"


async def test_every_duis_message_is_schema_valid_and_signed(stack):
    await run_scenario(stack.client, "install-commission-electricity")
    with session_scope(stack.runtime.engine) as s:
        sent = [r.xml for r in s.exec(select(UserOutboxEntry))]
        received = [r.xml for r in s.exec(select(DeliveredMessage))]
        srvs = sorted(r.srv for r in s.exec(select(RequestLogEntry)))
    assert srvs == ["6.20.1", "8.1.1", "8.11", "8.14.1"]
    assert len(received) >= 7  # 4 Service Responses, N16, N24, device alert 0x8183
    messages = run_messages(stack.runtime.engine)
    assert set(sent + received) <= set(messages)
    assert_valid_and_signed(messages, stack.runtime.smki)


async def test_join_timeout_sends_n25_and_ends_in_failure_branch(stack):
    report = await run_scenario(stack.client, "install-commission-electricity", ["join-timeout"])
    assert report.result == "failed"
    assert report.end == "end_join_unsuccessful"
    assert not report.expected_end_reached
    assert ("N25", "90-B3-D5-1F-30-01-00-00") in _alerts(report)
    assert "N24" not in [c for c, _ in _alerts(report)]
    # the ESME stays whitelisted: never 'installed not commissioned', never commissioned
    assert _statuses(report)["ESME"] == "whitelisted"
    assert "commission_device" not in [e.bpmn_id for e in report.events]
    # N25 came after the Join Time Period (300 s) plus the network allowance (60 s) (AD 3.8.109.4)
    added = next(e for e in report.events if e.bpmn_id == "update_han_device_log")
    n25 = next(e for e in report.events if e.bpmn_id == "n25_whitelist_update_unsuccessful")
    assert n25.at - added.at >= timedelta(seconds=360)


async def test_no_wan_stops_before_any_service_request(stack):
    report = await run_scenario(stack.client, "install-commission-electricity", ["no-wan"])
    assert report.result == "failed"
    assert report.end == "end_install_and_leave"
    assert "Install and Leave" in report.reason
    assert _statuses(report)["CHF"] == "pending"
    with session_scope(stack.runtime.engine) as s:
        assert s.exec(select(UserOutboxEntry)).all() == []
        assert s.exec(select(RequestLogEntry)).all() == []


async def test_late_install_report_breaches_the_five_working_day_obligation(stack):
    from dccflow.domain.calendar import working_day_deadline

    _premises, result = await late_install_report(stack, timedelta(days=9))
    assert result.outcome == "completed"  # the process still completes…
    (ob,) = result.obligations  # …but the Supplier breached BAD 7.2.1.6.6
    assert not ob.met
    confirmed = next(e.at for e in result.events if e.bpmn_id == "install_communications_hub")
    assert ob.due == working_day_deadline(confirmed, 5)
    assert ob.actual - confirmed >= timedelta(days=9)
