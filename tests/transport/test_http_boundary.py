"""The DCC's HTTP endpoint under attack (issue 11): only the simulation sets the DCC's time, and a client that
goes away mid-body leaves one quiet log line."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from sqlmodel import select
from transport_support import AT, SUPPLIER_ID, ch_install_success, put_chf_on_smi

from dccflow.db import session_scope
from dccflow.duis.responses import parse_response
from dccflow_app.http_stack import LoopbackServer
from dccsim.http_api import SERVICE_REQUEST_PATH, SIM_TIME_AUTH_HEADER, SIM_TIME_HEADER, SimClock, create_dcc_app
from dccsim.models import RequestLogEntry
from dccsim.records import RejectedRequest

XML = {"Content-Type": "application/xml"}


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dcc.test")


def _logged(rt) -> list[RequestLogEntry]:
    with session_scope(rt.engine) as s:
        return list(s.exec(select(RequestLogEntry)))


async def test_a_user_cannot_set_the_dccs_time_to_make_a_revoked_certificate_acceptable(stack):
    rt = stack.runtime
    put_chf_on_smi(rt)
    revoked_at = datetime.now(UTC) - timedelta(hours=1)
    rt.smki.revoke(rt.keys.get(SUPPLIER_ID).cert, revoked_at)
    xml = ch_install_success(rt, 1)
    before = (revoked_at - timedelta(days=1)).isoformat()
    async with _client(create_dcc_app(rt.dcc)) as http:
        bare = await http.post(SERVICE_REQUEST_PATH, content=xml, headers={**XML, SIM_TIME_HEADER: before})
        guessed = await http.post(SERVICE_REQUEST_PATH, content=xml, headers={
            **XML, SIM_TIME_HEADER: before, SIM_TIME_AUTH_HEADER: "00" * 32})
        stamped_elsewhere = await http.post(SERVICE_REQUEST_PATH, content=xml, headers={
            **XML, **SimClock().stamp(revoked_at - timedelta(days=1), xml)})  # another stack's key
        plain = await http.post(SERVICE_REQUEST_PATH, content=xml, headers=XML)  # the DCC's own clock
    for reply in (bare, guessed, stamped_elsewhere):
        assert reply.status_code == 403, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
        assert "cannot set the DCC's time" in reply.json()["detail"]
    assert plain.status_code == 200  # Confirm Validity at the DCC's own time: revoked (AB 6.1(e))
    assert parse_response(plain.content).response_code == "E1"
    assert _logged(rt) == []


async def test_the_simulations_time_is_honoured_never_backwards_and_within_range(stack):
    rt = stack.runtime
    put_chf_on_smi(rt)
    clock = SimClock()
    later = AT + timedelta(days=3)
    xml_late, xml_early = ch_install_success(rt, 1), ch_install_success(rt, 2)
    async with _client(create_dcc_app(rt.dcc, sim_clock=clock)) as http:
        late = await http.post(SERVICE_REQUEST_PATH, content=xml_late, headers={**XML, **clock.stamp(later, xml_late)})
        early = await http.post(SERVICE_REQUEST_PATH, content=xml_early, headers={**XML, **clock.stamp(AT, xml_early)})
        extremes = []
        for value in (datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))),
                      datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
                      datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))):
            xml = ch_install_success(rt, 3)
            extremes.append(await http.post(SERVICE_REQUEST_PATH, content=xml,
                                            headers={**XML, **clock.stamp(value, xml)}))
    assert (late.status_code, early.status_code) == (200, 200)
    assert sorted((e.counter, e.received_at.replace(tzinfo=UTC)) for e in _logged(rt)) == [(1, later), (2, later)]
    for reply in extremes:  # even from the stack itself: the DCC never signs a date it cannot represent
        assert reply.status_code == 422, reply.text
        assert SIM_TIME_HEADER in reply.json()["detail"]
    with session_scope(rt.engine) as s:
        assert s.exec(select(RejectedRequest)).all() == []


async def test_a_client_that_disconnects_mid_body_leaves_one_log_line(stack, caplog):
    rt = stack.runtime
    server = LoopbackServer(create_dcc_app(rt.dcc))
    await server.start()
    try:
        with caplog.at_level(logging.INFO):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(f"POST {SERVICE_REQUEST_PATH} HTTP/1.1\r\nHost: dcc\r\nContent-Type: application/xml\r\n"
                         "Content-Length: 100000\r\n\r\n<sr:Request".encode())
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            await writer.wait_closed()
            for _ in range(100):
                if any("disconnected" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
    finally:
        await server.stop()
    assert [r.getMessage() for r in caplog.records if "disconnected" in r.getMessage()] == [
        "a client disconnected before its Service Request had arrived: nothing taken"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert _logged(rt) == []


def test_the_transport_reads_the_dccs_code_securely_and_refuses_a_reply_that_is_not_a_duis_response():
    """The transport reads the ResponseCode of a 200 reply (the inbox or the Pre-Command check validates and
    verifies the message it takes in); a body that is not an ``sr:Response`` with a DUIS code is refused, naming
    what is wrong, and not retried."""
    from temporalio.exceptions import ApplicationError

    from activities.http_transport import HttpTransport
    from dccflow.duis.messages import to_bytes
    from dccflow.duis.responses import build_service_response
    from dccflow.duis.schema import DuisError, DuisParseError, DuisSchemaError
    from dccflow.http1 import Headers, Response

    def reply(body: bytes, **headers: str) -> Response:
        return Response(200, Headers({"content-type": "application/xml", **headers}), body)

    good = to_bytes(build_service_response(request_id="90-B3-D5-1F-30-01-00-00:00-00-00-00-00-00-00-01:1",
                                           response_code="I99", at=AT, service_reference_variant="8.14.1"))
    assert HttpTransport.interpret(reply(good)).code == "I99"
    rejected = HttpTransport.interpret(reply(good.replace(b">I99<", b">E40<"), **{"x-dccflow-reason": "why"}))
    assert (rejected.outcome, rejected.code, rejected.reason) == ("rejected", "E40", "why")
    for body, error, named in ((good.replace(b">I99<", b">I7<"), DuisSchemaError, "'I7' is not a DUIS"),
                               (good.replace(b"<sr:ResponseCode>I99</sr:ResponseCode>", b""), DuisSchemaError,
                                "lacks ResponseCode"),
                               (good.replace(b"sr:Response", b"sr:Request"), DuisError, "not a DUIS Response"),
                               (good[:-20], DuisParseError, "malformed XML")):
        with pytest.raises(ApplicationError, match=named) as refused:  # the same bytes would get it again
            HttpTransport.interpret(reply(body))
        assert refused.value.non_retryable and refused.value.type == "DccReplyUnreadable"
        assert isinstance(refused.value.__cause__, error)
