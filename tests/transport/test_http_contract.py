"""The HTTP contract of the DCC User Interface and of the Users' receiving endpoint (in-memory ASGI; the
loopback-socket runs are in test_http_end_to_end.py)."""

from __future__ import annotations

import re
import socket
from datetime import datetime

import httpx
import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from transport_support import AT, SUPPLIER_ID, ch_install_success, put_chf_on_smi

from activities.http_transport import DccUnavailable, HttpTransport, create_user_receiver_app
from activities.store import UserInboxEntry
from dccflow.db import session_scope
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import build_service_response
from dccflow.parties import DCC_ID
from dccflow.security.xmldsig import sign
from dccsim.endpoints import DeliveryFailed, HttpDelivery, UserEndpointRegistry
from dccsim.http_api import SERVICE_REQUEST_PATH, SimClock, create_dcc_app
from dccsim.models import RequestLogEntry

XML = {"Content-Type": "application/xml"}


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dcc.test")


async def test_oversize_request_is_refused_before_parsing(stack):
    app = create_dcc_app(stack.runtime.dcc, max_bytes=1000)
    junk = b"<" * 1001  # not XML: parsing it would have produced an E1 rejection instead

    async def chunked():
        for i in range(0, len(junk), 100):
            yield junk[i:i + 100]

    async with _client(app) as http:
        declared = await http.post(SERVICE_REQUEST_PATH, content=junk, headers=XML)
        streamed = await http.post(SERVICE_REQUEST_PATH, content=chunked(), headers=XML)  # no Content-Length
    for reply in (declared, streamed):
        assert reply.status_code == 413
        assert reply.headers["content-type"] == "application/problem+json"
        assert "responseCode" not in reply.json()


async def test_unreadable_requests_are_told_why(stack):
    clock = SimClock()
    xml = ch_install_success(stack.runtime, 1)
    async with _client(create_dcc_app(stack.runtime.dcc, sim_clock=clock)) as http:
        malformed = await http.post(SERVICE_REQUEST_PATH, content=b"<sr:Request", headers=XML)
        wrong_type = await http.post(SERVICE_REQUEST_PATH, content=b"{}", headers={"Content-Type": "application/json"})
        naive_time = await http.post(SERVICE_REQUEST_PATH, content=xml,
                                     headers={**XML, **clock.stamp(datetime(2025, 3, 4, 10, 30), xml)})
    # no RequestID to answer to: no DUIS Response can be formed, the code comes as a problem document
    assert malformed.status_code == 400
    assert malformed.json()["responseCode"] == "E1"
    assert "malformed XML" in malformed.json()["detail"]
    assert wrong_type.status_code == 415
    assert naive_time.status_code == 422 and "UTC offset" in naive_time.json()["detail"]


async def test_dcc_that_cannot_accept_answers_503(stack, monkeypatch):
    app = create_dcc_app(stack.runtime.dcc)
    xml = ch_install_success(stack.runtime, 1)
    async with _client(app) as http:
        app.state.accepting = False  # e.g. Planned Maintenance (SEC H3.2)
        closed = await http.post(SERVICE_REQUEST_PATH, content=xml, headers=XML)
        app.state.accepting = True

        async def broken(xml, at, **_):
            raise RuntimeError("database unavailable")

        monkeypatch.setattr(stack.runtime.dcc, "submit", broken)
        failing = await http.post(SERVICE_REQUEST_PATH, content=xml, headers=XML)
    for reply in (closed, failing):
        assert reply.status_code == 503
        assert reply.headers["retry-after"]
        assert "Incident" in reply.json()["detail"]


async def test_transport_faults_raise_and_refusals_do_not_retry(stack):
    app = create_dcc_app(stack.runtime.dcc, max_bytes=100)
    app.state.accepting = False
    async with HttpTransport("http://dcc.test", client=_client(app)) as transport:
        with pytest.raises(DccUnavailable, match="HTTP 503"):  # retryable: Temporal retries the activity
            await transport.submit(ch_install_success(stack.runtime, 1), AT)
        app.state.accepting = True
        with pytest.raises(ApplicationError) as refused:
            await transport.submit(ch_install_success(stack.runtime, 2), AT)
    assert refused.value.non_retryable and "413" in str(refused.value)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with HttpTransport(f"http://127.0.0.1:{port}", timeout=2) as transport:
        with pytest.raises(DccUnavailable, match="could not be reached"):
            await transport.submit(ch_install_success(stack.runtime, 3), AT)


async def test_transport_gives_the_same_reply_as_the_dcc_in_process(stack):
    """Over HTTP the User gets exactly what the DCC answers in process (a retransmission of the same bytes
    is answered with the same reply, so both paths can be asked)."""
    rt = stack.runtime
    put_chf_on_smi(rt)
    first, replay = ch_install_success(rt, 5), ch_install_success(rt, 4)  # 4: counter not above 5
    clock = SimClock()  # the DCC takes both at AT, as the in-process one does
    async with HttpTransport("http://dcc.test", client=_client(create_dcc_app(rt.dcc, sim_clock=clock)),
                             sim_clock=clock) as transport:
        accepted_direct = await rt.dcc.submit(first, AT)
        accepted = await transport.submit(first, AT)
        rejected_direct = await rt.dcc.submit(replay, AT)
        rejected = await transport.submit(replay, AT)
    assert accepted_direct.outcome == "accepted"
    assert (accepted.outcome, accepted.code, accepted.xml) == ("accepted", accepted_direct.code, accepted_direct.xml)
    assert rejected_direct.outcome == "rejected" and rejected_direct.code.startswith("E")
    assert (rejected.outcome, rejected.code) == ("rejected", rejected_direct.code)
    assert rejected.reason.split() == rejected_direct.reason.split()
    with session_scope(rt.engine) as s:
        assert [r.counter for r in s.exec(select(RequestLogEntry))] == [5]


def _dcc_response(rt, request_id: str, code: str = "I0", signer=None) -> bytes:
    el = build_service_response(request_id=request_id, response_code=code, at=AT, service_reference_variant="8.14.1")
    cred = signer or rt.smki.dcc_credential()
    return to_bytes(sign(el, cred.key, cred.cert))


async def test_receiver_keeps_what_the_dcc_signed_and_refuses_the_rest(stack):
    rt = stack.runtime
    request_id = f"{SUPPLIER_ID}:{DCC_ID}:9"
    app = create_user_receiver_app(rt.inbox)
    async with _client(app) as http:
        ok = await http.post(f"/duis/{SUPPLIER_ID}", content=_dcc_response(rt, request_id), headers=XML)
        forged = await http.post(f"/duis/{SUPPLIER_ID}", headers=XML,
                                 content=_dcc_response(rt, request_id, signer=rt.keys.get(SUPPLIER_ID)))
        stranger = await http.post("/duis/01-02-03-04-05-06-07-08", content=_dcc_response(rt, request_id),
                                   headers=XML)
        not_xml = await http.post(f"/duis/{SUPPLIER_ID}", content=b"hello", headers={"Content-Type": "text/plain"})
    assert ok.status_code == 204
    assert forged.status_code == 400 and "not by the DCC" in forged.json()["detail"]
    assert stranger.status_code == 404
    assert not_xml.status_code == 415
    with session_scope(rt.engine) as s:
        kept = s.exec(select(UserInboxEntry)).all()
    assert [(e.recipient, e.request_id, e.code) for e in kept] == [(SUPPLIER_ID, request_id, "I0")]


async def test_delivery_needs_a_registered_url_and_a_2xx(stack):
    rt = stack.runtime
    registry = UserEndpointRegistry(rt.engine)
    good = _dcc_response(rt, f"{SUPPLIER_ID}:{DCC_ID}:9")
    async with _client(create_user_receiver_app(rt.inbox)) as http:
        delivery = HttpDelivery(registry, client=http)
        with pytest.raises(DeliveryFailed, match="no receive URL"):
            await delivery(SUPPLIER_ID, good)
        registry.register(SUPPLIER_ID, f"http://users.test/duis/{SUPPLIER_ID}")
        await delivery(SUPPLIER_ID, good)
        with pytest.raises(DeliveryFailed, match="HTTP 400"):
            await delivery(SUPPLIER_ID, b"<not-duis/>")
    assert registry.all() == {SUPPLIER_ID: f"http://users.test/duis/{SUPPLIER_ID}"}


async def test_the_direct_asgi_path_answers_exactly_as_the_fastapi_route(stack, monkeypatch):
    """``POST /api/v1/serviceRequest`` is served straight over ASGI (``DccApp``) unless a middleware was added to
    the app; both give the same status, headers and body for every kind of reply of the contract."""
    from starlette.middleware.base import BaseHTTPMiddleware

    rt = stack.runtime
    put_chf_on_smi(rt)
    clock = SimClock()
    direct = create_dcc_app(rt.dcc, sim_clock=clock, max_bytes=20_000)
    routed = create_dcc_app(rt.dcc, sim_clock=clock, max_bytes=20_000)
    seen: list[str] = []

    async def watching(request, call_next):
        seen.append(request.url.path)
        return await call_next(request)

    routed.add_middleware(BaseHTTPMiddleware, dispatch=watching)  # FastAPI then serves every request
    first, replay = ch_install_success(rt, 7), ch_install_success(rt, 6)
    cases = [(first, {**XML, **clock.stamp(AT, first)}),  # accepted: the Service Response
             (replay, {**XML, **clock.stamp(AT, replay)}),  # refused with a DUIS E-code and X-Dccflow-Reason
             (b"<sr:Request", XML),  # no DUIS Response can be formed: a problem document
             (b"{}", {"Content-Type": "application/json"}),  # 415
             (b"<" * 20_001, XML),  # 413
             (first, {**XML, "X-Dccflow-Sim-Time": AT.isoformat()}),  # 403: a User cannot set the time
             (first, {**XML, **clock.stamp(datetime(2025, 3, 4, 10, 30), first)})]  # 422: no UTC offset
    answers = {}
    for name, app in (("direct", direct), ("routed", routed)):
        async with _client(app) as http:
            answers[name] = [await http.post(SERVICE_REQUEST_PATH, content=body, headers=headers)
                             for body, headers in cases]
            app.state.accepting = False
            answers[name].append(await http.post(SERVICE_REQUEST_PATH, content=first, headers=XML))  # 503
    assert seen == [SERVICE_REQUEST_PATH] * len(answers["routed"])  # the routed app's requests went through FastAPI
    statuses = [r.status_code for r in answers["direct"]]
    assert statuses == [200, 200, 400, 415, 413, 403, 422, 503]
    def unsigned(content: bytes) -> bytes:  # a rejection is signed afresh each time (ECDSA signatures vary)
        return re.sub(rb"<ds:SignatureValue>[^<]*</ds:SignatureValue>", b"", content)

    for one, other in zip(answers["direct"], answers["routed"], strict=True):
        assert (one.status_code, unsigned(one.content)) == (other.status_code, unsigned(other.content))
        assert sorted(one.headers.items()) == sorted(other.headers.items())
    assert answers["direct"][1].headers["x-dccflow-reason"]
    assert answers["direct"][7].headers["retry-after"] == "5"
