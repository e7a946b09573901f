"""The simulated DCC's User Interface over HTTP, shaped like DCC's boxed test DCC (SEC H3.1, H3.3(a)/(c)).

``POST /api/v1/serviceRequest`` (``Content-Type: application/xml``) takes one signed DUIS Service Request and
returns the DCC's synchronous reply. The HTTP status is the "first acknowledgement" of BAD 7.8.5.4.1 and the
DUIS ``ResponseCode`` in the body the second (digest 06 §F.1: "HTTP 200 plus an E-code" for User-correctable
rejections):

=========================  =====================================================================================
HTTP reply                 meaning
=========================  =====================================================================================
200, DUIS body             the DCC's signed synchronous reply: the Acknowledgement I99 (Non-Critical, and a
                           Signed Pre-Command, AB 6.1, 7.1), the Pre-Command (Critical, AB 6.4(b)), the Service
                           Response itself (Non-Device: no Acknowledgement, AB 16.1), or an E-code rejection
                           of a request the DCC could read (AB 6.3: the User is told why)
200, empty body            accepted with no synchronous DUIS reply
400, **empty body**        rejected silently: the signature check (AB 6.1(d)) failed, and AB 6.3 says such a
                           request gets no response. HTTP still needs a status; 400 with a zero-length body
                           carries no DUIS Response, no code and no reason.
400, problem+json          not accepted and no DUIS Response can be formed (no readable RequestID or SRV,
                           e.g. malformed XML): ``{"responseCode": "E1", "detail": …}``
403, problem+json          ``X-Dccflow-Sim-Time`` without a valid ``X-Dccflow-Sim-Time-Auth``: a User cannot set
                           the DCC's clock (below); nothing is processed
413, problem+json          larger than ``MAX_MESSAGE_BYTES``; refused before any parsing
415, problem+json          not ``application/xml`` (or ``text/xml``)
422, problem+json          an unreadable or out-of-range ``X-Dccflow-Sim-Time``
503, problem+json          the DCC Systems cannot accept requests now (BAD 7.8.5.4.1: the User raises an
                           Incident); ``Retry-After`` is set
=========================  =====================================================================================

A signed DUIS reply that is a rejection also carries ``X-Dccflow-Reason``, a diagnostic (not part of DUIS)
with the check that failed.

Requests that arrive at the same moment are taken together in one database transaction, a SAVEPOINT each, and
committed once (``dccsim.group_commit``); every reply still leaves only after the commit that made its request
durable.

**Simulation clock.** The DCC stamps and checks requests at the time it receives them. Under Temporal that
time is the workflow's virtual time (``dccflow.clock``), which the time-skipping server moves forward; the DCC
in the same process cannot read it from the request it serves, so the embedded stack's own sender passes it in
``X-Dccflow-Sim-Time`` (ISO 8601 with a UTC offset). Only the simulation may set the DCC's time, never a User
(a time before a revocation would make a revoked certificate acceptable): the header counts only with
``X-Dccflow-Sim-Time-Auth``, an HMAC-SHA256 over the time and the body's digest under a key that the stack
(``dccflow_app.http_stack``) creates in memory and shares only with its own sender (``SimClock``). The time never
goes backwards (an earlier one is raised to the latest the DCC has used) and must be within ``SIM_TIME_RANGE``.
Without the header the DCC uses its own clock: the wall clock, or the latest simulation time if that is later.

A client that disconnects before its body has arrived gets nothing (nothing was taken); the DCC logs one line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect

from dccflow.duis.schema import MAX_MESSAGE_BYTES
from dccsim.endpoints import DUIS_MEDIA_TYPE
from dccsim.service import DccService, SubmitReply

log = logging.getLogger(__name__)

SERVICE_REQUEST_PATH = "/api/v1/serviceRequest"
SIM_TIME_HEADER = "X-Dccflow-Sim-Time"
SIM_TIME_AUTH_HEADER = "X-Dccflow-Sim-Time-Auth"
#: the times the simulation's clock may give the DCC (UTC): anything else cannot be a simulation's time, and the
#: DCC's deadlines (up to 90 days ahead) and signed date-times must stay representable
SIM_TIME_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))
REASON_HEADER = "X-Dccflow-Reason"
PROBLEM_MEDIA_TYPE = "application/problem+json"
XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})


class BodyTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class HttpReply:
    """An HTTP reply of the DCC User Interface, before it is a framework's response object (the endpoint answers
    through FastAPI and straight over ASGI alike: ``ServiceRequestEndpoint``)."""

    status: int
    body: bytes = b""
    media_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        return Response(content=self.body, status_code=self.status, media_type=self.media_type,
                        headers=dict(self.headers) or None)

    async def send(self, send: Callable) -> None:
        """Send it over ASGI with the headers Starlette's ``Response`` would give it."""
        headers = [(b"content-length", str(len(self.body)).encode("latin-1"))]
        if self.media_type is not None:
            headers.append((b"content-type", self.media_type.encode("latin-1")))
        headers.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def problem_reply(status: int, title: str, detail: str = "", headers: dict[str, str] | None = None,
                  **extra) -> HttpReply:
    """An RFC 9457 problem document (rendered as Starlette's ``JSONResponse`` renders it)."""
    body = {"status": status, "title": title, **({"detail": detail} if detail else {}), **extra}
    return HttpReply(status, json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None,
                                        separators=(",", ":")).encode("utf-8"),
                     PROBLEM_MEDIA_TYPE, tuple((headers or {}).items()))


def problem(status: int, title: str, detail: str = "", headers: dict[str, str] | None = None,
            **extra) -> Response:
    """An RFC 9457 problem document."""
    return problem_reply(status, title, detail, headers, **extra).response()


def media_type(request: Request) -> str:
    return _media_type(request.headers.get("content-type"))


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes (by Content-Length first, then as it streams)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {declared} is over the {limit}-byte limit")
    return await _gathered(request.stream(), limit)


async def _gathered(chunks_in, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in chunks_in:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _asgi_body(receive: Callable):
    """The body's chunks as ASGI delivers them (``Request.stream``'s rule: a disconnect is ``ClientDisconnect``)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


class SimTimeForged(ValueError):
    """``X-Dccflow-Sim-Time`` that the simulation did not set."""


def parse_sim_time(value: str) -> datetime:
    """An ``X-Dccflow-Sim-Time`` value: ISO 8601 with a UTC offset, within ``SIM_TIME_RANGE``."""
    try:
        at = datetime.fromisoformat(value.strip())
        if at.tzinfo is None:
            raise ValueError(f"{SIM_TIME_HEADER} needs a UTC offset, got {value!r}")
        at = at.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{SIM_TIME_HEADER} {value!r} is outside the years 1 to 9999 in UTC") from exc
    low, high = SIM_TIME_RANGE
    if not low <= at < high:
        raise ValueError(f"{SIM_TIME_HEADER} {value!r} is outside {low.isoformat()} to {high.isoformat()}")
    return at


class SimClock:
    """The DCC's clock on the HTTP interface: the simulation's time when the stack's own sender vouches for it,
    else the DCC's own clock; never earlier than the latest time the DCC has used.

    ``stamp`` (the sender's side) gives the two headers for a request body; ``time_for`` (the DCC's side)
    checks them. The key lives in this object only: create one per stack and hand it to both sides."""

    def __init__(self, wall_clock: Callable[[], datetime] | None = None, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)
        self._wall_clock = wall_clock or _wall_clock
        self._latest: datetime | None = None

    def _tag(self, value: str, body: bytes) -> str:
        return hmac.new(self._key, value.encode() + b"\n" + hashlib.sha256(body).digest(), hashlib.sha256).hexdigest()

    def stamp(self, at: datetime, body: bytes) -> dict[str, str]:
        value = at.isoformat()
        return {SIM_TIME_HEADER: value, SIM_TIME_AUTH_HEADER: self._tag(value, body)}

    def now(self) -> datetime:
        """The DCC's own clock: the wall clock, unless the simulation has already moved past it."""
        wall = self._wall_clock()
        return max(wall, self._latest) if self._latest is not None else wall

    def time_for(self, value: str | None, tag: str | None, body: bytes) -> datetime:
        """The time to take a request at. Raises ``SimTimeForged`` or ``ValueError`` (unreadable, out of range)."""
        if value is None:
            return self.now()
        if tag is None or not hmac.compare_digest(tag.strip().lower(), self._tag(value, body)):
            raise SimTimeForged(f"{SIM_TIME_HEADER} is the simulation's own clock: a User cannot set the DCC's time")
        at = parse_sim_time(value)
        if self._latest is not None and at < self._latest:
            return self._latest  # the DCC's time never goes backwards
        self._latest = at
        return at


def _header_safe(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat.encode("ascii", "replace").decode("ascii")[:limit]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _http_reply(reply: SubmitReply) -> HttpReply:
    """The DCC's synchronous reply as the HTTP reply documented above."""
    if reply.outcome == "silent":
        return HttpReply(400)  # AB 6.3: no DUIS response at all
    if reply.outcome == "accepted":
        return HttpReply(200, reply.xml or b"", DUIS_MEDIA_TYPE if reply.xml else None)
    reason = ((REASON_HEADER, _header_safe(reply.reason)),) if reply.reason else ()
    if reply.xml is not None:
        return HttpReply(200, reply.xml, DUIS_MEDIA_TYPE, reason)
    return problem_reply(400, "Service Request not accepted", reply.reason or "", responseCode=reply.code)


class ServiceRequestEndpoint:
    """``POST /api/v1/serviceRequest`` as documented above, whatever serves the HTTP: the FastAPI route (and DCC
    Boxed's services through it, ``dccsim.boxed_api``) and, for the commonest request of all, ASGI directly
    (``DccApp``), which spares each request the framework's routing, dependency and response machinery."""

    def __init__(self, app: FastAPI, dcc: DccService, clock: SimClock, max_bytes: int):
        self.app, self.dcc, self.clock, self.max_bytes = app, dcc, clock, max_bytes

    async def answer(self, header: Callable[[str], str | None], body: Callable[[], Awaitable[bytes]]) -> HttpReply:
        """The reply to one request, given its headers by lower-case name and a reader of its body (which raises
        ``BodyTooLarge`` or ``ClientDisconnect``)."""
        if not self.app.state.accepting or self.dcc.client is None:
            return problem_reply(503, "the DCC Systems cannot accept Service Requests now",
                                 "raise an Incident if this persists (BAD 7.8.5.4.1)", headers={"Retry-After": "5"})
        if _media_type(header("content-type")) not in XML_MEDIA_TYPES:
            return problem_reply(415, "a DUIS Service Request is sent as application/xml",
                                 f"got Content-Type {header('content-type')!r}")
        try:
            xml = await body()
        except BodyTooLarge as exc:
            return problem_reply(413, "Service Request too large", str(exc))
        except ClientDisconnect:
            log.info("a client disconnected before its Service Request had arrived: nothing taken")
            return HttpReply(400)  # nobody is left to read it
        try:
            at = self.clock.time_for(header(SIM_TIME_LOWER), header(SIM_TIME_AUTH_LOWER), xml)
        except SimTimeForged as exc:
            return problem_reply(403, f"{SIM_TIME_HEADER} is not accepted from a User", str(exc))
        except ValueError as exc:
            return problem_reply(422, f"unreadable {SIM_TIME_HEADER}", str(exc))
        try:
            reply = await self.dcc.submit(xml, at, together=True)  # with whatever arrives meanwhile: group commit
        except Exception:  # noqa: BLE001 - anything the DCC could not finish: it has not accepted the request
            log.exception("the DCC could not take a Service Request")
            return problem_reply(503, "the DCC Systems cannot accept the Service Request",
                                 "raise an Incident if this persists (BAD 7.8.5.4.1)", headers={"Retry-After": "5"})
        return _http_reply(reply)

    async def route(self, request: Request) -> Response:
        """The FastAPI route's answer."""
        reply = await self.answer(request.headers.get, lambda: read_limited(request, self.max_bytes))
        return reply.response()

    async def asgi(self, scope: dict, receive: Callable, send: Callable) -> None:
        """The answer straight over ASGI (``DccApp``): the headers, body and reply Starlette would give."""
        headers: dict[str, str] = {}
        for name, value in reversed(scope["headers"]):  # the first of a repeated header, as Starlette reads it
            headers[name.decode("latin-1")] = value.decode("latin-1")
        declared = headers.get("content-length", "")

        async def body() -> bytes:
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise BodyTooLarge(f"Content-Length {declared} is over the {self.max_bytes}-byte limit")
            return await _gathered(_asgi_body(receive), self.max_bytes)

        await (await self.answer(headers.get, body)).send(send)


SIM_TIME_LOWER, SIM_TIME_AUTH_LOWER = SIM_TIME_HEADER.lower(), SIM_TIME_AUTH_HEADER.lower()


class DccApp(FastAPI):
    """The DCC User Interface app: FastAPI's, with ``POST /api/v1/serviceRequest`` taken straight over ASGI while
    nobody has added a middleware to the app (which would then see every request: FastAPI serves them all)."""

    service_requests: ServiceRequestEndpoint

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] == "http" and scope["path"] == SERVICE_REQUEST_PATH and scope["method"] == "POST"
                and not scope.get("root_path") and not self.user_middleware):
            await self.service_requests.asgi(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_dcc_app(dcc: DccService, *, max_bytes: int = MAX_MESSAGE_BYTES,
                   sim_clock: SimClock | None = None) -> DccApp:
    """The DCC User Interface app. ``app.state.accepting = False`` makes it answer 503 (e.g. Planned
    Maintenance, SEC H3.2). ``sim_clock``: shared with the stack's own sender (a new one, whose key nobody
    else holds, by default: no request can then set the time)."""
    app = DccApp(title="dccflow simulated DCC: DCC User Interface", version="5.4",
                 description=__doc__.split("\n\n")[0])
    app.state.accepting = True
    app.service_requests = endpoint = ServiceRequestEndpoint(app, dcc, sim_clock or SimClock(), max_bytes)

    async def service_request(request: Request) -> Response:
        """Submit one signed DUIS Service Request (SEC H3.3(a)); the reply is the DCC's synchronous answer."""
        return await endpoint.route(request)

    app.add_api_route(SERVICE_REQUEST_PATH, service_request, methods=["POST"], openapi_extra={
        "requestBody": {"required": True, "content": {DUIS_MEDIA_TYPE: {"schema": {"type": "string"}}}}})
    return app
