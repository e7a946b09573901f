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
from datetime import datetime

from cryptography import x509
from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import ServiceRequestDef, SrProcessing, UnknownServiceRequest, lookup_srv
from dccflow.duis.messages import DuisRequest, request_from_element
from dccflow.duis.schema import NS_DS, DuisError, secure_parse, validate
from dccflow.duis.srv import service_reference_for
from dccflow.duis.tree import NS_XSI
from dccflow.gbcs import GbcsError, verify_signed
from dccflow.messages import CommandSignature
from dccflow.moments import as_utc
from dccflow.parties import DCC_ID, USERS
from dccflow.prepared import Prepared
from dccflow.security.pki import CertificateError, KeyUsageKind, entity_id_of
from dccflow.security.xmldsig import SignatureError, verify_with_digest
from dccsim.config import DccConfig
from dccsim.eligibility import check_device_type, check_eligible_user, check_future_dated, check_smi_status
from dccsim.handler_registry import HANDLERS, Ctx, Handler
from dccsim.models import RequestLogEntry, SmkiCertificate
from dccsim.rejections import Check, ServiceRequestRejected, SilentlyRejected
from dccsim.smki import SmkiRepository

_log = RequestLogEntry.__table__
#: what anti-replay asks the request log, in one statement (a RequestID names its originator and target): whether
#: the RequestID is logged (its primary key), and the highest counter the originator used towards the target
#: (index ``ix_dcc_request_log_counter``); compiled once per dialect, run on the driver (``dccflow.prepared``)
_SEEN = Prepared(select(
    select(_log.c.request_id).where(_log.c.request_id == bindparam("request_id")).scalar_subquery(),
    select(func.max(_log.c.counter)).where(_log.c.originator == bindparam("originator"),
                                           _log.c.target == bindparam("target")).scalar_subquery()))

#: the largest RequestID counter the request log holds: databases store signed 64-bit integers, DUIS allows
#: counters up to 2**64 - 1 (``dccflow.domain.ids.MAX_REQUEST_COUNTER``); larger ones are refused as not supported
MAX_STORED_COUNTER = 2**63 - 1

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


def content_digest(root: etree._Element) -> str:
    """SHA-256 of the request's canonical form without its signature: the same request sent again (even
    signed anew) is a retransmission, anything else under the same RequestID a replay. In the pipeline it
    is the Reference digest the signature check has just verified (``verify_with_digest``), which is this
    same hash (inclusive Canonical XML 1.0 of the document minus its enveloped Signature, as ``URI=""``
    digests it: ``dccflow.security.xmldsig``)."""
    unsigned = copy.deepcopy(root.getroottree()).getroot() if root.getparent() is None else copy.deepcopy(root)
    for signature in unsigned.findall(f"{{{NS_DS}}}Signature"):
        if signature.tail:  # the text after the Signature stays in the document
            previous = signature.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + signature.tail
            else:
                unsigned.text = (unsigned.text or "") + signature.tail
        unsigned.remove(signature)
    whole = unsigned.getroottree() if unsigned.getparent() is None else unsigned
    return hashlib.sha256(etree.tostring(whole, method="c14n", exclusive=False, with_comments=False)).hexdigest()


def verify_request(xml: bytes) -> tuple[etree._Element, DuisRequest]:
    """Check A: well-formed, no DTD, within size (no entity is ever expanded), valid against DUIS 5.4, and a
    header consistent with the body."""
    try:
        root = secure_parse(xml)
        validate(root)
        _refuse_xsi(root)
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


#: ``xsi:`` attributes that change how an element is read; the DUIS 5.4 schema declares no nillable element and
#: no type a request must name by ``xsi:type`` (its abstract types are only extended), so a request has none
_XSI_REFUSED = etree.XPath("(//@xsi:nil | //@xsi:type)[1]", namespaces={"xsi": NS_XSI})  # one pass, in libxml2


def _refuse_xsi(root: etree._Element) -> None:
    found = _XSI_REFUSED(root)
    if found:
        attribute = found[0]
        element, name = etree.QName(attribute.getparent()).localname, etree.QName(attribute.attrname).localname
        raise DuisError(f"<{element}> carries xsi:{name}: DUIS requests use neither xsi:nil nor xsi:type")


@dataclass(frozen=True)
class Verified:
    """A request that passed the checks needing no database: A (``verify_request``) and D (its signature)."""

    request: DuisRequest
    cert: x509.Certificate
    #: the verified Reference digest (``content_digest``)
    digest: str


def verify_and_authenticate(xml: bytes, smki: SmkiRepository) -> Verified:
    """Checks A and D, in that order (AB 6.1(a), (d); 7.1(a), (c)): they read no database (the signer's
    certificate comes from the SMKI Repository's cache), so the DCC runs them before it opens the transaction
    that takes the request (``DccService.submit``); ``check_request`` goes on from E."""
    root, request = verify_request(xml)
    try:
        cert, digest = _check_signature(root, smki, request.body_element == SIGNED_PRE_COMMAND)
    except ServiceRequestRejected as exc:
        exc.request_id = request.header.request_id
        raise
    return Verified(request, cert, digest)


def check_request(xml: bytes, *, session: Session, smki: SmkiRepository, at: datetime,
                  config: DccConfig, verified: Verified | None = None) -> Checked:
    """Every check of the request in order; ``verified``: A and D already passed (``verify_and_authenticate``
    of these very bytes)."""
    verified = verified or verify_and_authenticate(xml, smki)
    request, cert, digest = verified.request, verified.cert, verified.digest
    header = request.header
    rid = header.request_id
    spc = request.body_element == SIGNED_PRE_COMMAND
    try:
        _check_certificate(cert, smki, at, spc, session)
        definition, role = _check_user_and_role(cert, request, spc)
        _check_non_device_target(request, definition)
        if spc:
            return _check_signed_pre_command(request, xml, digest, definition, role, cert, session, at, config)
        # most RequestIDs are new: ask the log with one indexed read, load the entry only when there is one; the
        # same read gives the counter anti-replay compares with (nothing of this request is written before
        # ``_check_replay``: the checks only read, so it is what the log holds then)
        logged, last = _SEEN.first(session.connection(), {"request_id": rid, "originator": header.originator,
                                                          "target": header.target})
        previous = session.get(RequestLogEntry, rid) if logged is not None else None
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
        # no post-commissioning refusal: AC 5.13 binds the Supplier (see dccsim.post_commissioning)
        handler.check(ctx)
        _check_replay(request, previous, last)
        return Checked(request, xml, digest, definition, role, handler)
    except ServiceRequestRejected as exc:
        exc.request_id = rid
        raise


def _check_signature(root: etree._Element, smki: SmkiRepository, spc: bool) -> tuple[x509.Certificate, str]:
    """D: the sender's Digital Signature (AB 6.1(d); 7.1(c)). A certificate the SMKI Repository does not hold
    leaves the signature uncheckable, which is a failure of this check. Returns the signer's certificate and
    the request's content digest (the verified Reference digest, see ``content_digest``)."""
    try:
        cert, digest = verify_with_digest(root, smki.find)
        return cert, digest.hex()
    except (SignatureError, etree.C14NError) as exc:  # a document c14n refuses (a relative namespace URI): uncheckable
        if spc:  # AB 7.3: notified
            raise ServiceRequestRejected(Check.SIGNATURE, f"Signed Pre-Command signature: {exc}") from exc
        raise SilentlyRejected(Check.SIGNATURE, str(exc)) from exc  # AB 6.3: no response


def _check_certificate(cert: x509.Certificate, smki: SmkiRepository, at: datetime, spc: bool,
                       session: Session) -> None:
    """E: Confirm Validity: path to the Root, in date, not revoked (AB 6.1(e); 7.1(d))."""
    try:
        smki.confirm_validity(cert, at, session=session)
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


def _check_non_device_target(request: DuisRequest, definition: ServiceRequestDef) -> None:
    """A Non-Device request's Business Target ID is the DCC's own EUI-64 (SEC H4.3; DUIS RequestID), whose
    counters anti-replay keeps: any other target would start a fresh counter sequence for the same service."""
    target = request.header.target
    if definition.processing is SrProcessing.NON_DEVICE and target != DCC_ID:
        raise ServiceRequestRejected(Check.NON_DEVICE_TARGET, f"SRV {definition.srv} is a Non-Device request: its "
                                                              f"target must be the DCC's ID {DCC_ID}, not {target}")


def _check_replay(request: DuisRequest, previous: RequestLogEntry | None, last: int | None) -> None:
    """Anti-replay: a RequestID is used once, and the counter exceeds ``last``, the highest counter this
    originator used towards this target (digest 06 §E.11: 'reject a replayed or duplicate RequestID')."""
    header = request.header
    if previous is not None:
        raise ServiceRequestRejected(Check.REPLAY, f"RequestID {header.request_id} was already used for a "
                                                   "different request")
    if header.counter > MAX_STORED_COUNTER:
        raise ServiceRequestRejected(Check.NOT_SUPPORTED, f"RequestID counter {header.counter} is above "
                                                          f"{MAX_STORED_COUNTER} (2**63 - 1), the largest this DCC "
                                                          "stores; DUIS allows up to 2**64 - 1")
    if last is not None and header.counter <= last:
        raise ServiceRequestRejected(Check.REPLAY, f"counter {header.counter} is not above {last}, the last used "
                                                   f"by {header.originator} towards {header.target}")


def _verify_command_signature(signed: bytes, cert: x509.Certificate,
                              session: Session) -> tuple[bytes, str, x509.Certificate]:
    """The GBCS Payload's signature, by the sender's key or — a Supplier with several MPIDs replacing another
    MPID's certificate on a Device (BAD 7.2.1.6.9) — by a current Digital Signing Organisation Certificate of
    another User ID of the sender's Party, or another of the sender's own (a Device still holding its previous
    certificate after a rollover, BAD 7.7.2.5.6). Returns the payload, the signature and the signer's certificate."""
    try:
        return (*verify_signed(signed, cert.public_key()), cert)
    except GbcsError:
        user = USERS.get(entity_id_of(cert) or "")
        others = [u for u, d in USERS.items() if user is not None and d.party == user.party]
        if not others:
            raise
    pems = session.scalars(select(SmkiCertificate.pem).where(
        SmkiCertificate.subject_entity_id.in_(others), SmkiCertificate.usage == KeyUsageKind.DIGITAL_SIGNING.value,
        SmkiCertificate.revoked_at == None)).all()  # noqa: E711
    for pem in pems:
        other = x509.load_pem_x509_certificate(pem)
        try:
            return (*verify_signed(signed, other.public_key()), other)
        except GbcsError:
            continue
    raise GbcsError("the signature on the GBCS Payload does not verify with the sender's Party's certificates")


def command_signer_identity(signed: bytes, issuer: str, serial: int, session: Session) -> tuple[str, int]:
    """(issuer, serial) of the certificate whose key signed a Signed Pre-Command's GBCS Payload: the XML signer's
    (``issuer``, ``serial``) or another of its Party's (``_verify_command_signature``). The Command carries it."""
    pem = session.scalars(select(SmkiCertificate.pem).where(SmkiCertificate.issuer == issuer,
                                                           SmkiCertificate.serial == str(serial))).first()
    if pem is None:
        return issuer, serial
    try:
        _payload, _signature, signer = _verify_command_signature(signed, x509.load_pem_x509_certificate(pem),
                                                                 session)
    except GbcsError:
        return issuer, serial
    return signer.issuer.rfc4514_string(), signer.serial_number


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
    if at - as_utc(entry.pre_command_at) > config.pre_command_expiry:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"the Pre-Command for {rid} expired "
                                                               f"{config.pre_command_expiry} after it was sent")
    try:
        signed = base64.b64decode(request.body["GBCSPayload"], validate=True)
        payload, signature, cert = _verify_command_signature(signed, cert, session)
    except (GbcsError, binascii.Error, ValueError) as exc:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, f"GBCS Payload: {exc}") from exc
    if payload != entry.pre_command_payload:
        raise ServiceRequestRejected(Check.SIGNED_PRE_COMMAND, "the signed GBCS Payload is not the Pre-Command the "
                                                               f"DCC sent for {rid}")
    checked.signature = CommandSignature(signer_issuer=cert.issuer.rfc4514_string(),
                                         signer_serial=str(cert.serial_number), value_b64=signature)
    return checked
