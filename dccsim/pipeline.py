"""The checks every incoming Service Request goes through, in order (BAD 7.8.4; SEC Appendix AB 6.1):

schema and header (A) → signature (D, silent on failure, AB 6.3) → certificate validity (E) → the signer is
the originator and acts in an Eligible User Role for the SRV (B) → SR-specific checks: SMI status (C),
registration data (F, K) → anti-replay of the RequestID counter.

A failed check raises; nothing has been written by then, so a rejected request leaves the DCC unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlmodel import Session, func, select

from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import ServiceRequestDef, SrProcessing, UnknownServiceRequest, lookup_srv
from dccflow.duis.messages import DuisRequest, request_from_element
from dccflow.duis.schema import DuisError, secure_parse, validate
from dccflow.parties import USERS
from dccflow.security.pki import CertificateError, entity_id_of
from dccflow.security.xmldsig import SignatureError, verify
from dccsim.handlers import HANDLERS, Ctx, Handler
from dccsim.models import RequestLogEntry
from dccsim.rejections import Check, ServiceRequestRejected, SilentlyRejected
from dccsim.smki import SmkiRepository


@dataclass
class Checked:
    request: DuisRequest
    xml: bytes
    digest: str
    definition: ServiceRequestDef
    role: UserRole
    handler: Handler | None
    #: the same bytes were accepted before: answer with what was answered then
    duplicate_of: RequestLogEntry | None = None

    @property
    def processing(self) -> SrProcessing:
        return self.definition.processing


def check_request(xml: bytes, *, session: Session, smki: SmkiRepository, at: datetime) -> Checked:
    # A — verify: well-formed, no DTD, within size, valid against DUIS 5.4
    try:
        root = secure_parse(xml)
        validate(root)
        request = request_from_element(root)
    except DuisError as exc:
        raise ServiceRequestRejected(Check.VERIFY, str(exc)) from exc
    header = request.header
    rid = header.request_id

    # D — the User's signature (AB 6.1(d)); a failure is silent (AB 6.3)
    try:
        cert = verify(root, smki.find)
    except SignatureError as exc:
        raise SilentlyRejected(f"{rid}: {exc}") from exc

    # E — the signing certificate is valid: path to the Root, in date, not revoked (AB 6.1(e))
    try:
        smki.confirm_validity(cert, at)
    except CertificateError as exc:
        raise ServiceRequestRejected(Check.CERTIFICATE_VALIDITY, str(exc), rid) from exc

    # B — the signer is the originator and acts in an Eligible User Role for this SRV (AB 6.1(b))
    signer = entity_id_of(cert)
    if signer != header.originator:
        raise ServiceRequestRejected(
            Check.ELIGIBLE_USER_ROLE, f"signed by {signer} but RequestID originator is {header.originator}", rid)
    try:
        definition = lookup_srv(header.service_reference_variant)
    except UnknownServiceRequest as exc:
        raise ServiceRequestRejected(Check.NOT_SUPPORTED, str(exc), rid) from exc
    user = USERS.get(header.originator)
    if user is None:
        raise ServiceRequestRejected(Check.ELIGIBLE_USER_ROLE, f"{header.originator} is not a DCC User ID", rid)
    role = user.role
    if role not in definition.eligible_roles:
        raise ServiceRequestRejected(
            Check.ELIGIBLE_USER_ROLE,
            f"SRV {definition.srv} '{definition.name}' is not open to User {header.originator} acting as "
            f"{role.value} (eligible: {', '.join(sorted(r.value for r in definition.eligible_roles))})",
            rid,
        )

    digest = hashlib.sha256(etree.tostring(root, method="c14n", exclusive=True)).hexdigest()
    previous = session.get(RequestLogEntry, rid)
    if previous is not None:
        if previous.digest == digest:
            return Checked(request, xml, digest, definition, role, HANDLERS.get(definition.srv), previous)
        raise ServiceRequestRejected(Check.REPLAY, f"RequestID {rid} was already used for another request", rid)

    # C, F, K — SR-specific rules against the SMI and registration data
    handler = HANDLERS.get(definition.srv)
    if handler is None:
        raise ServiceRequestRejected(
            Check.NOT_SUPPORTED, f"SRV {definition.srv} '{definition.name}' is not simulated by this DCC", rid)
    try:
        handler.check(Ctx(session=session, request=request, at=at))
    except ServiceRequestRejected as exc:
        exc.request_id = rid
        raise

    # anti-replay: the counter must exceed every counter this originator used towards this target
    last = session.exec(
        select(func.max(RequestLogEntry.counter)).where(
            RequestLogEntry.originator == header.originator, RequestLogEntry.target == header.target)
    ).one()
    if last is not None and header.counter <= last:
        raise ServiceRequestRejected(
            Check.REPLAY, f"counter {header.counter} is not above {last}, the last used by "
            f"{header.originator} towards {header.target}", rid)
    return Checked(request, xml, digest, definition, role, handler)
