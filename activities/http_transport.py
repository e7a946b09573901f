"""The User's side of the DCC User Interface over HTTP: sending Service Requests and receiving what the DCC
delivers. The wire contract is documented in ``dccsim.http_api``.

* ``HttpTransport`` is a ``DccTransport`` (``activities.duis_client``): it POSTs the signed request and turns
  the HTTP reply back into the DCC's ``SubmitReply``. A transport fault (no connection, timeout, 5xx) raises
  ``DccUnavailable`` so that Temporal retries the activity; a refusal that re-sending cannot cure (413, 415,
  422) raises a non-retryable ``ApplicationError``.
* ``create_user_receiver_app`` is the User's receiving endpoint: ``POST /duis/{user_id}`` hands the signed DUIS
  XML to ``UserInbox.receive`` (which verifies the DCC's signature and routes it).
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect
from temporalio.exceptions import ApplicationError

from activities.inbox import InboundRejected, UserInbox
from dccflow.duis.responses import response_code_of
from dccflow.duis.schema import MAX_MESSAGE_BYTES, DuisError
from dccflow.http1 import HttpFault, KeepAliveClient
from dccflow.http1 import Response as LeanResponse
from dccflow.http_client import LazyHttpClient
from dccflow.parties import USERS
from dccflow.security.xmldsig import SignatureError
from dccsim.endpoints import DUIS_MEDIA_TYPE
from dccsim.http_api import (
    REASON_HEADER,
    SERVICE_REQUEST_PATH,
    XML_MEDIA_TYPES,
    BodyTooLarge,
    SimClock,
    media_type,
    problem,
    read_limited,
)
from dccsim.service import SubmitReply

log = logging.getLogger(__name__)

RECEIVE_PATH = "/duis/{user_id}"
DCC_REFUSED = "DccHttpRefused"
#: a 200 reply that is not a DUIS Response with a DUIS code: the same bytes would get it again (not retried)
DCC_REPLY_UNREADABLE = "DccReplyUnreadable"


class DccUnavailable(RuntimeError):
    """The DCC could not be reached or could not accept the request now (retryable)."""


class HttpTransport(LazyHttpClient):
    """``DccTransport`` over HTTP to ``base_url`` (e.g. ``http://127.0.0.1:8480``). To an ``http://`` DCC it sends
    through ``dccflow.http1.KeepAliveClient`` (kept-alive connections, ``httptools``); given an ``httpx`` client
    (e.g. one bound to an ASGI app) or an ``https://`` URL, through ``httpx``."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, client: httpx.AsyncClient | None = None,
                 sim_clock: SimClock | None = None):
        super().__init__(timeout=timeout, client=client)
        self.base_url = base_url.rstrip("/")
        #: the embedded stack's sender tells its own DCC the simulation's time (``dccsim.http_api.SimClock``)
        self.sim_clock = sim_clock
        self._lean: KeepAliveClient | None = None

    async def __aenter__(self) -> HttpTransport:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def submit(self, xml: bytes, at: datetime | None) -> SubmitReply:
        headers = {"Content-Type": DUIS_MEDIA_TYPE}
        if at is not None and self.sim_clock is not None:
            headers.update(self.sim_clock.stamp(at, xml))
        url = self.base_url + SERVICE_REQUEST_PATH
        try:
            lean = await self._lean_client()
            if lean is not None:
                reply = await lean.post(SERVICE_REQUEST_PATH, xml, headers)
            else:
                reply = await self._http().post(url, content=xml, headers=headers)
        except (httpx.HTTPError, HttpFault) as exc:
            raise DccUnavailable(f"the DCC at {url} could not be reached: {exc!r}") from exc
        return self.interpret(reply)

    async def _lean_client(self) -> KeepAliveClient | None:
        """The kept-alive client for ``base_url`` as it is now (the embedded stack sets it once its server has
        a port), or None to send through ``httpx``."""
        if self._own_client is False or not self.base_url.startswith("http://"):
            return None
        if self._lean is None or self._lean.origin != self.base_url:
            if self._lean is not None:
                await self._lean.aclose()
            self._lean = KeepAliveClient(self.base_url, timeout=self.timeout)
        return self._lean

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
            self._lean = None
        await super().aclose()

    @staticmethod
    def interpret(reply: httpx.Response | LeanResponse) -> SubmitReply:
        status, body = reply.status_code, reply.content
        if status == 200:
            if not body.strip():
                return SubmitReply(outcome="accepted")
            # read securely, the code checked; the message is validated and verified by whoever takes it in
            # (the inbox, the Pre-Command check), as a reply handed over in process is
            try:
                code = response_code_of(body)
            except DuisError as exc:
                raise ApplicationError(f"the DCC's reply is not a DUIS Response: {exc}", type=DCC_REPLY_UNREADABLE,
                                       non_retryable=True) from exc
            if code.startswith("E"):
                reason = reply.headers.get(REASON_HEADER) or f"DCC answered {code}"
                return SubmitReply(outcome="rejected", xml=body, code=code, reason=reason)
            return SubmitReply(outcome="accepted", xml=body, code=code)
        if status == 400 and not body:
            return SubmitReply(outcome="silent", reason="no DUIS response from the DCC (HTTP 400, empty body): "
                                                        "rejected silently, SEC AB 6.3")
        detail = _problem_detail(reply)
        if status == 400 and detail.get("responseCode"):
            return SubmitReply(outcome="rejected", code=detail["responseCode"], reason=detail.get("detail"))
        if status >= 500 or status in (408, 429):
            raise DccUnavailable(f"the DCC answered HTTP {status}: {detail.get('title') or reply.text[:200]}")
        raise ApplicationError(f"the DCC refused the request: HTTP {status} {detail.get('title', '')} "
                               f"{detail.get('detail', '')}".strip(), status, type=DCC_REFUSED, non_retryable=True)


def _problem_detail(reply: httpx.Response | LeanResponse) -> dict:
    try:
        data = reply.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def create_user_receiver_app(inbox: UserInbox, *, max_bytes: int = MAX_MESSAGE_BYTES) -> FastAPI:
    """The Users' receiving endpoint (SEC H3.3(c)–(f)): ``POST /duis/{user_id}`` with signed DUIS XML.

    204 once the message is kept (and routed, when a workflow waits for it); 400 if it is not a DUIS message
    signed by the DCC; 404 for a User ID that is not a DCC User; 413/415 as for the DCC's endpoint.
    """
    app = FastAPI(title="dccflow DCC Users: receiving endpoint")

    @app.post(RECEIVE_PATH, status_code=204, openapi_extra={
        "requestBody": {"required": True, "content": {DUIS_MEDIA_TYPE: {"schema": {"type": "string"}}}}})
    async def receive(user_id: str, request: Request) -> Response:
        if user_id not in USERS:
            return problem(404, "not a DCC User ID", user_id)
        if media_type(request) not in XML_MEDIA_TYPES:
            return problem(415, "DUIS messages are delivered as application/xml")
        try:
            xml = await read_limited(request, max_bytes)
        except BodyTooLarge as exc:
            return problem(413, "message too large", str(exc))
        except ClientDisconnect:
            log.info("the DCC disconnected before its delivery to %s had arrived: it will retry", user_id)
            return Response(status_code=400)
        try:
            await inbox.receive(user_id, xml)
        except (DuisError, SignatureError, InboundRejected) as exc:
            log.warning("refused a delivery to %s: %s", user_id, exc)
            return problem(400, "not a DUIS message signed by the DCC", str(exc))
        return Response(status_code=204)

    return app
