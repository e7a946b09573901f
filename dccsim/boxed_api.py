"""DCC Boxed's three DUIS web services on the simulated DCC's HTTP interface, so that DCC's own client tooling
(and any test suite written for DCC Boxed) runs unchanged against dccflow (issue #19; SEC H3.3(a); DUIS 5.4
'Transform', 'Send Command' and 'Non-Device' services).

=========================  =====================================================================================
endpoint                   takes (``Content-Type: application/xml``, body a signed DUIS request)
=========================  =====================================================================================
``POST /api/v1/serviceD``  a Non-Device Service Request (CommandVariant 8): the reply is the Service Response
``POST /api/v1/serviceT``  a Critical Service Request (CommandVariant 4): the reply is the Pre-Command (I0),
                           which the User signs and sends to serviceS as a Signed Pre-Command (CV 5–7)
``POST /api/v1/serviceS``  a Non-Critical Service Request (CV 1–3) or a Signed Pre-Command (CV 5–7): the
                           reply is the Acknowledgement (I99), or the Command itself for Local Delivery
=========================  =====================================================================================

There is one pipeline behind these and ``/api/v1/serviceRequest``: each request is handed, byte for byte, to the
same route (``dccsim.http_api``), so every check, reply and HTTP status is that route's (a signed DUIS response
with I0 / I99 when taken, an E-code when refused; 400 with no body when the signature fails, AB 6.3). The
asynchronous Service Responses and Alerts go to each User's registered receive URL (``dccsim.endpoints``).

Decision (DUIS is silent on what a DCC does with a request sent to the wrong service): a request whose
CommandVariant belongs to another of the three services is not processed; the reply is 400 problem+json naming
the service to use. A request whose CommandVariant cannot be read is passed on, and the pipeline's check A
answers it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from lxml import etree
from starlette.requests import ClientDisconnect

from dccflow.duis.schema import MAX_MESSAGE_BYTES, NS_SR, secure_parse
from dccsim.endpoints import DUIS_MEDIA_TYPE
from dccsim.http_api import (
    SERVICE_REQUEST_PATH,
    XML_MEDIA_TYPES,
    BodyTooLarge,
    media_type,
    problem,
    read_limited,
)

log = logging.getLogger(__name__)

#: DCC Boxed's path of each DUIS web service, and the CommandVariants it takes (DUIS 5.4 CommandVariant table)
BOXED_SERVICES: dict[str, frozenset[int]] = {
    "/api/v1/serviceD": frozenset({8}),
    "/api/v1/serviceT": frozenset({4}),
    "/api/v1/serviceS": frozenset({1, 2, 3, 5, 6, 7}),
}


def service_for(command_variant: int) -> str | None:
    """The DCC Boxed path that takes a CommandVariant."""
    return next((path for path, variants in BOXED_SERVICES.items() if command_variant in variants), None)


def command_variant_of(xml: bytes) -> int | None:
    """The request's ``Header/CommandVariant``, or None when it cannot be read (the pipeline then says why)."""
    try:
        text = secure_parse(xml).findtext(f"{{{NS_SR}}}Header/{{{NS_SR}}}CommandVariant")
        return int(text) if text is not None else None
    except (etree.LxmlError, ValueError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - secure_parse's own refusals (size, DTD): check A answers them
        return None


def _replayed(request: Request, body: bytes) -> Request:
    """The same HTTP request with its body, already read, delivered again (ASGI ``receive``)."""
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive=receive)


def add_boxed_services(app: FastAPI, *, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
    """Serve serviceD, serviceS and serviceT on ``app`` (made by ``dccsim.http_api.create_dcc_app``), each
    handing its requests to the app's ``/api/v1/serviceRequest`` route."""
    take = next(route.endpoint for route in app.routes if getattr(route, "path", None) == SERVICE_REQUEST_PATH)

    def route(path: str, variants: frozenset[int]):
        async def service(request: Request) -> Response:
            if media_type(request) not in XML_MEDIA_TYPES:
                return await take(request)  # the route's own 503 / 415 answer
            try:
                xml = await read_limited(request, max_bytes)
            except BodyTooLarge as exc:
                return problem(413, "Service Request too large", str(exc))
            except ClientDisconnect:
                log.info("a client disconnected before its request to %s had arrived: nothing taken", path)
                return Response(status_code=400)
            cv = command_variant_of(xml)
            if cv is not None and cv not in variants:
                right = service_for(cv)
                return problem(400, f"CommandVariant {cv} is not taken by {path}",
                               f"send it to {right}" if right else "no DUIS service takes that CommandVariant",
                               service=right)
            return await take(_replayed(request, xml))

        service.__name__ = f"boxed_{path.rsplit('/', 1)[-1]}"
        service.__doc__ = (f"DCC Boxed's {path.rsplit('/', 1)[-1]}: a signed DUIS request with CommandVariant "
                           f"{', '.join(map(str, sorted(variants)))}; the reply is the DCC's signed synchronous one.")
        return service

    for path, variants in BOXED_SERVICES.items():
        app.add_api_route(path, route(path, variants), methods=["POST"], openapi_extra={
            "requestBody": {"required": True, "content": {DUIS_MEDIA_TYPE: {"schema": {"type": "string"}}}}})
