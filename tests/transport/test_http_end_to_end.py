"""The simulated DCC behind a real HTTP boundary: every byte between the User side and the DCC crosses a
loopback socket (uvicorn on 127.0.0.1, ephemeral ports)."""

from __future__ import annotations

import httpx
from sqlmodel import select
from transport_support import AT, CHF, SUPPLIER_ID, ch_install_success, put_chf_on_smi, tampered

from activities.http_transport import HttpTransport
from activities.store import UserInboxEntry, UserOutboxEntry
from dccflow.db import session_scope
from dccflow.duis.responses import parse_response
from dccflow.duis.schema import secure_parse
from dccflow.parties import DCC_ID
from dccflow.security.pki import entity_id_of
from dccflow.security.xmldsig import verify
from dccflow_app.scenarios.runner import run_scenario
from dccsim.endpoints import HttpDelivery
from dccsim.http_api import REASON_HEADER, SERVICE_REQUEST_PATH
from dccsim.models import DeliveredMessage, RequestLogEntry

XML = {"Content-Type": "application/xml"}


async def test_install_and_commission_completes_over_http(http_stack):
    rt = http_stack.runtime
    assert isinstance(rt.duis_client.transport, HttpTransport)
    assert isinstance(rt.outbound._endpoint, HttpDelivery)
    report = await run_scenario(http_stack.client, "install-commission-electricity")
    assert report.result == "completed", report.reason
    assert report.expected_end_reached and report.end == "end_sms_enrolled"
    assert {d.device_type: d.smi_status for d in report.devices} == {
        "CHF": "commissioned", "GPF": "pending", "ESME": "commissioned"}
    assert {"N16", "N24"} <= {a.code for a in report.dcc_alerts}
    with session_scope(rt.engine) as s:
        srvs = sorted(r.srv for r in s.exec(select(RequestLogEntry)))
        sent = len(s.exec(select(UserOutboxEntry)).all())
        delivered = len(s.exec(select(DeliveredMessage)).all())
        received = len(s.exec(select(UserInboxEntry)).all())
    assert srvs == ["6.20.1", "8.1.1", "8.11", "8.14.1"]  # 6.20.1: the ESME's Import MPxN (BAD 7.2.1.6.11)
    # what the DCC sent is what the Users received, and it went over the sockets: every request (the Critical
    # 8.1.1 twice: the request, then its Signed Pre-Command) and the asynchronous Responses and Alerts
    assert received == delivered >= 6
    assert rt.http.dcc_server.requests_served == sent + 1
    assert rt.http.user_server.requests_served >= 6
    assert all(url.startswith(f"{http_stack.user_url}/duis/") for url in rt.http.registry.all().values())


async def test_rejection_over_http_is_a_signed_e_code(http_stack):
    rt = http_stack.runtime  # the CHF is not on the SMI: the request is refused
    async with httpx.AsyncClient(base_url=http_stack.dcc_url) as http:
        reply = await http.post(SERVICE_REQUEST_PATH, content=ch_install_success(rt, 1), headers=XML)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    answer = parse_response(reply.content)
    assert answer.kind == "service_response"
    assert answer.response_code.startswith("E")
    assert answer.request_id == f"{SUPPLIER_ID}:{DCC_ID}:1"
    assert entity_id_of(verify(secure_parse(reply.content), rt.smki.find)) == DCC_ID
    assert CHF in reply.headers[REASON_HEADER]
    # the same through the User side's transport
    async with HttpTransport(http_stack.dcc_url) as transport:
        sent = await transport.submit(ch_install_success(rt, 2), AT)
    assert (sent.outcome, sent.code) == ("rejected", answer.response_code)
    assert parse_response(sent.xml).request_id == f"{SUPPLIER_ID}:{DCC_ID}:2"
    with session_scope(rt.engine) as s:
        assert s.exec(select(RequestLogEntry)).all() == []


async def test_bad_signature_gets_no_duis_answer(http_stack):
    rt = http_stack.runtime
    put_chf_on_smi(rt)
    forged = tampered(ch_install_success(rt, 1))
    async with httpx.AsyncClient(base_url=http_stack.dcc_url) as http:
        reply = await http.post(SERVICE_REQUEST_PATH, content=forged, headers=XML)
    assert reply.status_code == 400
    assert reply.content == b""  # SEC AB 6.3: rejected silently
    async with HttpTransport(http_stack.dcc_url) as transport:
        sent = await transport.submit(forged, AT)
    assert sent.outcome == "silent" and sent.xml is None and sent.code is None
    with session_scope(rt.engine) as s:
        assert s.exec(select(RequestLogEntry)).all() == []
        assert s.exec(select(DeliveredMessage)).all() == []


async def test_non_device_request_is_answered_at_the_simulation_time(http_stack):
    """The stack's own sender tells its DCC the simulation's time (an authenticated X-Dccflow-Sim-Time)."""
    rt = http_stack.runtime
    put_chf_on_smi(rt)
    reply = await rt.http.transport.submit(ch_install_success(rt, 7), AT)
    assert (reply.outcome, reply.code) == ("accepted", "I0")
    request_id = f"{SUPPLIER_ID}:{DCC_ID}:7"
    answer = parse_response(reply.xml)  # Non-Device: no acknowledgement (AB 16.1(a)): the Service Response
    assert (answer.request_id, answer.response_code) == (request_id, "I0")
    assert answer.at == AT
    with session_scope(rt.engine) as s:
        logged = s.get(RequestLogEntry, request_id)
    assert logged.received_at.replace(tzinfo=AT.tzinfo) == AT  # the simulation clock, not the wall clock
