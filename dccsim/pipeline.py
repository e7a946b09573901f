"""The checks every incoming Service Request or Signed Pre-Command goes through, in order (BAD 7.8.4.4; SEC
Appendix AB 6.1, 7.1; digest 06 §E.0). Failing fast in the listed order is compliant (AB 6.3, 7.3).

Service Request:
  A verify (secure parse, DUIS 5.4 schema, header ↔ body) → D signature (failure: silent, AB 6.3) →
  E certificate validity → B a DCC User in an Eligible User Role, with a Command Variant the SRV allows →
  (a retransmission of an accepted request is recognised here) → supported by this DCC → S3 execution time →
  H3.16 Device Type → F Registration Data at the relevant time → C / S4 SMI status → SR-specific (G–K) →
  anti-replay of the RequestID counter.
Signed Pre-Command (CommandVariant 5–7, ``Body/SignedPreCommand``):
  7.1(a) verify → 7.1(c) signature (failure: notified, AB 7.3) → 7.1(d) certificate validity (failure: silent,
  AB 7.3(b)) → 7.1(b) Eligible User Role for the SR type → it answers the Pre-Command the DCC sent for that
  RequestID, unexpired, and its GBCS Payload is that Pre-Command's, signed by the sender.

Threshold Anomaly Detection comes after (``dccsim.tad``): it is not a rejection (BAD 7.8.2.5.2).
A failed check raises; nothing has been written by then, so a rejected request leaves the DCC unchanged.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree
from sqlmodel import Session, func, select

from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import ServiceRequestDef, UnknownServiceRequest, lookup_srv
from dccflow.duis.messages import DuisRequest, request_from_element
from dccflow.duis.schema import NS_DS, DuisError, secure_parse, validate
from dccflow.duis.srv import service_reference_for
from dccflow.gbcs import GbcsError, verify_signed
from dccflow.messages import CommandSignature
from dccflow.parties import USERS
from dccflow.security.pki import CertificateError, entity_id_of
from dccflow.security.xmldsig import SignatureError, verify
from dccsim.config import DccConfig
from dccsim.eligibility import check_device_type, check_eligible_user, check_future_dated, check_smi_status
from dccsim.handlers import HANDLERS, Ctx, Handler
from dccsim.models import RequestLogEntry
from dccsim.post_commissioning import check_post_commissioning
from dccsim.rejections import Check, ServiceRequestRejected, SilentlyRejected
from dccsim.smki import SmkiRepository

SIGNED_PRE_COMMAND = "SignedPreCommand"
SPC_COMMAND_VARIANTS = frozenset({5, 6, 7})


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
    #: Signed Pre-Command: the Service Request it completes, and the User's signature for the Command
    entry: RequestLogEntry | None = None
    signature: CommandSignature | None = None

    @property
    def is_signed_pre_command(self) -> bool:
        return self.request.body_element == SIGNED_PRE_COMMAND


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def content_digest(root: etree._Element) -> str:
    """SHA-256 of the request's canonical form without its signature: the same request sent again (even
    signed anew) is a retransmission, anything else under the same RequestID a replay."""
    unsigned = copy.deepcopy(root)
    for signature in unsigned.findall(f"{{{NS_DS}}}Signature"):
        unsigned.remove(signature)
    return hashlib.sha256(etree.tostring(unsigned, method="c14n", exclusive=True)).hexdigest()


def verify_request(xml: bytes) -> tuple[etree._Element, DuisRequest]:
    """Check A: well-formed, no DTD, within size (no entity is ever expanded), valid against DUIS 5.4, and a
    header consistent with the body."""
    try:
        root = secure_parse(xml)
        validate(root)
        request = request_from_element(root)
        header = request.header
        if service_reference_for(header.service_reference_variant) != header.service_reference:
            raise DuisError(f"ServiceReference {header.service_reference} does not match ServiceReferenceVariant "
                            f"{header.service_reference_variant}")
        try:
            expected = lookup_srv(header.service_reference_variant).body_element
        except UnknownServiceRequest:
            expected = None  # answered as 'not supported' once the sender is known
        if expected and request.body_element not in (expected, SIGNED_PRE_COMMAND):
            raise DuisError(f"SRV {header.service_reference_variant} carries a {expected} body, "
                            f"not {request.body_element}")
    except DuisError as exc:
        raise ServiceRequestRejected(Check.VERIFY, str(exc)) from exc
    return root, request


def check_request(xml: bytes, *, session: Session, smki: SmkiRepository, at: datetime,
                  config: DccConfig) -> Checked:
    root, request = verify_request(xml)
    header = request.header
    rid = header.request_id
    spc = request.body_element == SIGNED_PRE_COMMAND
    try:
        cert = _check_signature(root, smki, spc)
        _check_certificate(cert, smki, at, spc)
        definition, role = _check_user_and_role(cert, request, spc)
        digest = content_digest(root)
        if spc:
            return _check_signed_pre_command(request, xml, digest, definition, role, cert, session, at, config)
        previous = session.get(RequestLogEntry, rid)
        handler = HANDLERS.get(definition.srv)
        if previous is not None and previous.digest == digest:
            return Checked(request, xml, digest, definition, role, handler, duplicate_of=previous)
        if handler is None:
            raise ServiceRequestRejected(
                Check.NOT_SUPPORTED, f"SRV {definition.srv} '{definition.name}' is not simulated by this DCC")
        ctx = Ctx(session=session, request=request, at=at, definition=definition, role=role)
        check_future_dated(ctx, config)
        check_device_type(ctx, handler)
        check_eligible_user(ctx, handler, config)
        check_smi_status(ctx, handler)
        check_post_commissioning(ctx, handler)  # BAD 7.2.3.5.7: the 14-day restriction
        handler.check(ctx)
        _check_replay(session, request, previous)
        return Checked(request, xml, digest, definition, role, handler)
    except ServiceRequestRejected as exc:
        exc.request_id = rid
        raise


def _check_signature(root: etree._Element, smki: SmkiRepository, spc: bool) -> x509.Certificate:
    """D: the sender's Digital Signature (AB 6.1(d); 7.1(c)). A certificate the SMKI Repository does not hold
    leaves the signature uncheckable, which is a failure of this check."""
    try:
        return verify(root, smki.find)
    except SignatureError as exc:
        if spc:  # AB 7.3: notified
            raise ServiceRequestRejected(Check.SIGNATURE, f"Signed Pre-Command signature: {exc}") from exc
        raise SilentlyRejected(Check.SIGNATURE, str(exc)) from exc  # AB 6.3: no response


def _check_certificate(cert: x509.Certificate, smki: SmkiRepository, at: datetime, spc: bool) -> None:
    """E: Confirm Validity: path to the Root, in date, not revoked (AB 6.1(e); 7.1(d))."""
    try:
        smki.confirm_validity(cert, at)
    except CertificateError as exc:
        if spc:  # AB 7.3(b): no notification
            raise SilentlyRejected(Check.CERTIFICATE_VALIDITY, str(exc)) from exc
        raise ServiceRequestRejected(Check.CERTIFICATE_VALIDITY, str(exc)) from exc


def _check_user_and_role(cert: x509.Certificate, request: DuisRequest,
                         spc: bool) -> tuple[ServiceRequestDef, UserRole]:
    """B: the signer is the RequestID's originator, a DCC User whose User Role is an Eligible User Role for the
    SRV (AB 6.1(b), 7.1(b); SEC H3.5), using a Command Variant that SRV allows."""
    header = request.header
    signer = entity_id_of(cert)
    if signer != header.originator:
        raise ServiceRequestRejected(Check.USER, f"signed by {signer} but the RequestID's originator is "
                                                 f"{header.originator}")
    user = USERS.get(header.originator)
    if user is None:
        raise ServiceRequestRejected(Check.USER, f"{header.originator} is not a DCC User ID (SEC H3.5)")
    try:
        definition = lookup_srv(header.service_reference_variant)
    except UnknownServiceRequest as exc:
        raise ServiceRequestRejected(Check.NOT_SUPPORTED, str(exc)) from exc
    if user.role not in definition.eligible_roles:
        raise ServiceRequestRejected(
            Check.ELIGIBLE_USER_ROLE,
            f"SRV {definition.srv} '{definition.name}' is not open to User {header.originator} acting as "
            f"{user.role.value} (eligible: {', '.join(sorted(r.value for r in definition.eligible_roles))})")
    cv = header.command_variant
    allowed = definition.allowed_command_variants & SPC_COMMAND_VARIANTS if spc else \
        definition.allowed_command_variants - SPC_COMMAND_VARIANTS
    if cv not in allowed:
        what = "a Signed Pre-Command" if spc else "a Service Request"
        raise ServiceRequestRejected(Check.COMMAND_VARIANT, f"CommandVariant {cv} is not one {what} for SRV "
                                                            f"{definition.srv} may use ({sorted(allowed)})")
    return definition, user.role


def _check_replay(session: Session, request: DuisRequest, previous: RequestLogEntry | None) -> None:
    """Anti-replay: a RequestID is used once, and the counter exceeds every counter this originator used
    towards this target (digest 06 §E.11: 'reject a replayed or duplicate RequestID')."""
    header = request.header
    if previous is not None:
        raise ServiceRequestRejected(Check.REPLAY, f"RequestID {header.request_id} was already used for a "
                                                   "different request")
    last = session.exec(select(func.max(RequestLogEntry.counter)).where(
        RequestLogEntry.originator == header.originator, RequestLogEntry.target == header.target)).one()
    if last is not None and header.counter <= last:
        raise ServiceRequestRejected(Check.REPLAY, f"counter {header.counter} is not above {last}, the last used "
                                                   f"by {header.originator} towards {header.target}")


def _check_signed_pre_command(request: DuisRequest, xml: bytes, digest: str, definition: ServiceRequestDef,
                              role: UserRole, cert: x509.Certificate, session: Session, at: datetime,
                              config: DccConfig) -> Checked:
    """The Signed Pre-Command answers the Pre-Command the DCC sent for this RequestID (BAD 7.8.4.4.2)."""
    rid = request.header.request_id
    entry = session.get(RequestLogEntry, rid)
    checked = Checked(request, xml, digest, definition, role, HANDLERS.get(definition.srv), entry=entry)
    if entry is not None and entry.spc_digest == digest:
        checked.duplicate_of = entry
        return checked
    if entry is None or entry.stage != "pre_command_sent" or entry.pre_command_payload is None:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"no Pre-Command for {rid} awaits a Signed "
                                                               "Pre-Command")
    if entry.srv != definition.srv:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"the Pre-Command for {rid} is for SRV {entry.srv}, "
                                                               f"not {definition.srv}")
    if at - _aware(entry.pre_command_at) > config.pre_command_expiry:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"the Pre-Command for {rid} expired "
                                                               f"{config.pre_command_expiry} after it was sent")
    try:
        signed = base64.b64decode(request.body["GBCSPayload"], validate=True)
        payload, signature = verify_signed(signed, cert.public_key())
    except (GbcsError, binascii.Error, ValueError) as exc:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"GBCS Payload: {exc}") from exc
    if payload != entry.pre_command_payload:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, "the signed GBCS Payload is not the Pre-Command the "
                                                               f"DCC sent for {rid}")
    checked.signature = CommandSignature(signer_issuer=cert.issuer.rfc4514_string(),
                                         signer_serial=str(cert.serial_number), value_b64=signature)
    return checked
