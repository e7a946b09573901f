"""Threshold Anomaly Detection (BAD 7.8.2.5.2; SEC Appendix AB 12, 13.1): a request over the User's threshold is
quarantined, not rejected: the User is notified, nothing goes to the Device until the User releases it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from dcc_support import (
    CHF,
    ESME,
    SUPPLIER_A,
    add_to_chf,
    commission,
    delivered,
    log_entry,
    now,
    premises,
    request_id,
    use_recording_wan,
    valid_and_signed_by_dcc,
)
from sqlmodel import select

from activities.store import UserOutboxEntry
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus
from dccsim.inventory import Inventory
from dccsim.records import QuarantinedItem, ServiceLevelRecord

OTHER = ("00-DB-12-03-00-00-09-02", "00-DB-12-03-00-00-09-03", "00-DB-12-03-00-00-09-04")


async def settle(predicate, timeout: float = 10.0):
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def setup(rt):
    premises(rt)
    with session_scope(rt.engine) as s:
        for device in OTHER:
            Inventory(s).add(device, DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    rt.dcc.set_anomaly_threshold(user_id=SUPPLIER_A, srv="8.11", limit=2, window=timedelta(hours=1), at=now())
    return use_recording_wan(rt)


async def test_a_request_over_the_threshold_is_quarantined_and_the_user_notified(stack):
    rt = stack.runtime
    wan = setup(rt)
    for counter, device in zip((1, 2), OTHER[:2], strict=True):
        assert (await rt.dcc.submit(add_to_chf(rt, counter=counter, device=device), now())).code == "I99"
    await settle(lambda: len(wan.commands) == 2)
    third = await rt.dcc.submit(add_to_chf(rt, counter=3, device=OTHER[2]), now())
    assert third.outcome == "accepted" and third.code == "I99"  # acknowledged: quarantine is not rejection
    rid = request_id(SUPPLIER_A, CHF, 3)
    (notice,) = delivered(rt, kind="dcc_alert", request_id=rid)
    alert = valid_and_signed_by_dcc(notice.xml)
    assert (notice.recipient, alert.dcc_alert_code) == (SUPPLIER_A, "N999")
    breach = alert.body["DCCAlert"]["QuarantinedRequest"]["ADUserThresholdBreach"]
    assert breach["RequestID"] == rid and len(breach["QuarantineEventRef"]) == 20
    assert log_entry(rt, rid).stage == "quarantined"
    await asyncio.sleep(0.5)
    assert len(wan.commands) == 2  # nothing sent to the Device (AB 13.1)
    # while over the threshold, the User's next request is held too
    with session_scope(rt.engine) as s:
        Inventory(s).add("00-DB-12-03-00-00-09-05", DeviceType.ESME, SmiStatus.PENDING, now(), reason="test")
    assert (await rt.dcc.submit(add_to_chf(rt, counter=4, device="00-DB-12-03-00-00-09-05"), now())).code == "I99"
    assert log_entry(rt, request_id(SUPPLIER_A, CHF, 4)).stage == "quarantined"

    # released by the User (AB 12.3(a)): the Command goes out, the quarantine time is not counted (H3.15(b))
    rt.dcc.set_anomaly_threshold(user_id=SUPPLIER_A, srv="8.11", limit=100, window=timedelta(hours=1), at=now())
    await rt.dcc.release_quarantined(breach["QuarantineEventRef"], now() + timedelta(minutes=5))
    await settle(lambda: len(wan.commands) == 3 and delivered(rt, kind="service_response", request_id=rid))
    with session_scope(rt.engine) as s:
        item = s.get(QuarantinedItem, breach["QuarantineEventRef"])
        measured = s.exec(select(ServiceLevelRecord).where(ServiceLevelRecord.ref == rid)).one()
    assert item.status == "released" and measured.excluded_seconds >= 300 and measured.within_target


async def test_a_deleted_quarantined_request_is_never_sent(stack):
    rt = stack.runtime
    wan = setup(rt)
    rt.dcc.set_anomaly_threshold(user_id=SUPPLIER_A, srv="8.11", limit=0, window=timedelta(hours=1), at=now())
    await rt.dcc.submit(add_to_chf(rt, counter=1, device=OTHER[0]), now())
    with session_scope(rt.engine) as s:
        (item,) = s.exec(select(QuarantinedItem)).all()
    rt.dcc.delete_quarantined(item.quarantine_event_ref, now())
    with pytest.raises(ValueError, match="already deleted"):
        await rt.dcc.release_quarantined(item.quarantine_event_ref, now())
    await asyncio.sleep(0.3)
    assert wan.commands == [] and log_entry(rt, item.request_id).stage == "deleted"


async def test_release_is_refused_after_the_window(stack):
    rt = stack.runtime
    setup(rt)
    rt.dcc.set_anomaly_threshold(user_id=SUPPLIER_A, srv="8.11", limit=0, window=timedelta(hours=1), at=now())
    await rt.dcc.submit(add_to_chf(rt, counter=1, device=OTHER[0]), now())
    with session_scope(rt.engine) as s:
        (item,) = s.exec(select(QuarantinedItem)).all()
    with pytest.raises(ValueError, match="archived"):
        await rt.dcc.release_quarantined(item.quarantine_event_ref, now() + timedelta(hours=121))


async def test_critical_requests_are_counted_at_the_signed_pre_command(stack):
    """TAD applies to the Signed Pre-Command of a Critical request (AB 12.1, 13.1(a); BAD 7.8.2.1)."""
    rt = stack.runtime
    premises(rt)
    wan = use_recording_wan(rt)
    rt.dcc.set_anomaly_threshold(user_id=SUPPLIER_A, srv="8.1.1", limit=0, window=timedelta(hours=1), at=now())
    sr = commission(rt)
    pre_command = await rt.dcc.submit(sr, now())
    assert valid_and_signed_by_dcc(pre_command.xml).body["PreCommand"]  # the Service Request is not counted
    rid = request_id(SUPPLIER_A, ESME, 10)
    entry = UserOutboxEntry(step_key="t", request_id=rid, workflow_id="t", srv="8.1.1", xml=sr, created_at=now())
    spc = rt.duis_client.signed_pre_command(entry, pre_command.xml, now())
    assert (await rt.dcc.submit(spc, now())).code == "I99"
    (notice,) = delivered(rt, kind="dcc_alert")
    assert notice.request_id == rid and log_entry(rt, rid).stage == "quarantined"
    await asyncio.sleep(0.3)
    assert wan.commands == []
