"""The CoS Party: the DCC acting in its second capacity for Transitional Change of Supplier (BAD 7.7.1.4: "the DCC -
acting as both the DCC and the CoS Party"; SEC Appendix AB 8). It is its own actor with its own key and certificate,
the DCC Transitional CoS Certificate that Devices hold in their ``transitionalCoS`` trust anchor cell (BAD Table 11
row 10, Table 4; authority key ``dcc-transcos``, ``devices.anchors.DCC_ANCHOR_KEYS``).

Three signers stay distinct (digest 05 §B.10):

* the DCC signs the communication carrying the 'CoS Update Security Credentials' SR to the CoS Party (AB 8.1(a))
  with its own Digital Signing key (``SmkiRepository.dcc_credential``): :func:`forward`;
* the CoS Party checks it (AB 8.1(b)(i)-(iv)) and, if satisfied, signs the GBCS Payload of a CS02b 'Update Security
  Credentials' Command substantively identical to the SR (AB 8.2) with the Transitional CoS key:
  :meth:`CosParty.check_and_sign`;
* the ACB key is the DCC's for Non-Critical Commands (not used here: the Device verifies the CoS Party's signature
  against its ``transitionalCoS`` cell, ``devices.catalogue.ENTITLED_TO_REPLACE``).

What each actor did is kept in :class:`CosRecord`, one row per SRV 6.23, for the obligations audit (COS-01..COS-13,
``dccflow.domain.obligations``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from sqlmodel import JSON, Column, Field, Session, SQLModel

from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow.duis.tree import parse_datetime
from dccflow.gbcs import sign_payload
from dccflow.messages import GbcsCommand
from dccflow.security.pki import CertificateError, Credential, entity_id_of
from dccflow.security.xmldsig import SignatureError, verify_with_digest
from dccsim.inventory import Registration
from dccsim.smki import SmkiAuthorityKey, SmkiRepository

#: the CoS Party's key and certificate (``devices.anchors.DCC_ANCHOR_KEYS[RemotePartyRole.TRANSITIONAL_COS]``)
COS_PARTY_KEY = "dcc-transcos"
#: the Supplier User Role registered for each fuel (the Responsible Supplier, SEC H3.8)
SUPPLIER_FUEL = {"Import Supplier": "electricity", "Gas Supplier": "gas"}
#: where a 6.23 body carries the Organisation Certificates to place (DUIS ReplacementCertificatesCoS)
REPLACEMENT = "SupplierReplacementCertificates"
CERTIFICATE_ELEMENTS = ("DigitalSigningCertificate", "KeyAgreementCertificate", "KeyAgreementTopUpCertificate")


class CosRecord(SQLModel, table=True):
    """What the DCC and the CoS Party did with one 'CoS Update Security Credentials' SR (AB 8; AD 3.8.75.4)."""

    __tablename__ = "dcc_cos_record"

    request_id: str = Field(primary_key=True)
    sender: str = Field(index=True)
    device_id: str = Field(index=True)
    mpxn: str | None = None
    #: AB 8.1(a): the DCC's Digitally Signed communication to the CoS Party, and its signer ("issuer #serial")
    forwarded_at: datetime | None = None
    forward_signer: str | None = None
    #: AB 8.1(b): the CoS Party's checks, "passed" or "failed", and why
    cos_checked_at: datetime | None = None
    cos_outcome: str | None = None
    cos_reason: str = ""
    #: AB 8.2: the Signed Pre-Command's GBCS Payload (payload + signature) and its signer ("issuer #serial")
    spc: bytes | None = None
    spc_signer: str | None = None
    #: AB 8.4: the DCC's checks of the Signed Pre-Command, "passed" or "failed", the clause that failed, why
    spc_checked_at: datetime | None = None
    spc_outcome: str | None = None
    spc_failed_check: str | None = None
    spc_reason: str = ""
    #: AB 8.6(b): the CoS Party was told why its Signed Pre-Command was rejected (not where 8.4(c) failed)
    cos_party_notified: bool | None = None
    #: the SR's execution date-time (future-dated) and when the Command went to the Device (AB 8.5, 14.2)
    execution_at: datetime | None = None
    command_sent_at: datetime | None = None
    #: AD 3.8.75.4: the Supplier registered immediately before the Gaining Supplier, told with N27 on success; the
    #: DCC Schedules (ids) and held future-dated requests (RequestIDs) of it cancelled then, with N17 / N38 each
    losing_supplier: str | None = None
    n27_at: datetime | None = None
    cancelled_schedules: list = Field(default_factory=list, sa_column=Column(JSON))
    cancelled_requests: list = Field(default_factory=list, sa_column=Column(JSON))


@dataclass(frozen=True)
class CosForward:
    """The DCC's Digitally Signed communication to the CoS Party carrying the SR as the User sent it (AB 8.1(a)):
    ECDSA P-256 / SHA-256 over the SR's bytes, with the signing certificate named by issuer and serial."""

    sr_xml: bytes
    signature_b64: str
    signer_issuer: str
    signer_serial: str

    @property
    def signer(self) -> str:
        return f"{self.signer_issuer} #{self.signer_serial}"


def forward(sr_xml: bytes, dcc: Credential) -> CosForward:
    """AB 8.1(a): the DCC signs the communication with its own key."""
    value = dcc.key.sign(sr_xml, ec.ECDSA(hashes.SHA256()))
    return CosForward(sr_xml=sr_xml, signature_b64=base64.b64encode(value).decode(),
                      signer_issuer=dcc.cert.issuer.rfc4514_string(), signer_serial=str(dcc.cert.serial_number))


def certificates_in(body: dict) -> dict[str, x509.Certificate]:
    """The Organisation Certificates a 6.23 body (or the SR body a CS02b carries) places, by DUIS element name."""
    placed = body.get(REPLACEMENT) or {}
    out = {}
    for name in CERTIFICATE_ELEMENTS:
        if placed.get(name):
            out[name] = x509.load_der_x509_certificate(base64.b64decode(placed[name]))
    return out


def responsible_supplier(session: Session, mpxn: str, when: datetime) -> str | None:
    """The Party who is (or is to be) the Responsible Supplier for ``mpxn`` at ``when`` per Registration Data."""
    reg = Registration(session).at(mpxn, when)
    return reg.supplier_id if reg is not None else None


@dataclass
class CosDecision:
    passed: bool
    reason: str = ""
    #: AB 8.2: the Signed Pre-Command's GBCS Payload (payload + signature) and its signer
    spc: bytes | None = None
    spc_signer: str | None = None
    checks: list[str] = field(default_factory=list)


class CosChecksFailed(Exception):
    pass


class CosParty:
    """The CoS Party (AB 8.1(b)-8.3(a)). ``key_name``: the authority key it signs with — the Transitional CoS key;
    tests give it another DCC key to show the DCC refusing its Signed Pre-Command (AB 8.4(c))."""

    def __init__(self, smki: SmkiRepository, key_name: str = COS_PARTY_KEY):
        self.smki = smki
        self.key_name = key_name

    def credential(self, session: Session) -> Credential:
        row = session.get(SmkiAuthorityKey, self.key_name)
        if row is None:
            raise RuntimeError(f"the CoS Party has no '{self.key_name}' key "
                               "(devices.anchors.ensure_dcc_anchor_credentials not run)")
        return Credential.from_pem(row.key_pem, row.cert_pem)

    def check_and_sign(self, session: Session, message: CosForward, command: GbcsCommand,
                       at: datetime) -> CosDecision:
        """AB 8.1(b) "immediately prior to creating" the Signed Pre-Command, then AB 8.2 (or 8.3(a): no further
        processing, the DCC is told why). ``command`` is the CS02b the DCC Transformed the SR into; the CoS Party
        signs its payload only if the SR it carries is the one it checked."""
        decision = CosDecision(passed=False)
        try:
            request = self._check(session, message, at, decision)
            if command.params.get("request_body") != request.body or command.target != request.header.target:
                raise CosChecksFailed("the Command to sign is not substantively identical to the SR (AB 8.2(a))")
        except CosChecksFailed as exc:
            decision.reason = str(exc)
            return decision
        cred = self.credential(session)
        decision.passed = True
        decision.spc = sign_payload(command.signed_payload(), cred.key)
        decision.spc_signer = f"{cred.cert.issuer.rfc4514_string()} #{cred.cert.serial_number}"
        return decision

    def _check(self, session: Session, message: CosForward, at: datetime, decision: CosDecision):
        # (i) Check Cryptographic Protection of the communication and of the SR within it
        dcc_cert = self.smki.find(message.signer_issuer, int(message.signer_serial))
        if dcc_cert is None:
            raise CosChecksFailed(f"8.1(b)(i): the communication's signer {message.signer} is not in the SMKI "
                                  "Repository")
        try:
            dcc_cert.public_key().verify(base64.b64decode(message.signature_b64), message.sr_xml,
                                         ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError) as exc:
            raise CosChecksFailed("8.1(b)(i): the DCC's signature on the communication does not verify") from exc
        try:
            root = secure_parse(message.sr_xml)
            sr_cert, _digest = verify_with_digest(root, self.smki.find)
        except (SignatureError, etree.LxmlError, ValueError) as exc:
            raise CosChecksFailed(f"8.1(b)(i): the SR's signature: {exc}") from exc
        decision.checks.append("8.1(b)(i)")
        # (ii) Confirm Validity of both certificates
        for what, cert in (("communication", dcc_cert), ("SR", sr_cert)):
            try:
                self.smki.confirm_validity(cert, at, session=session)
            except CertificateError as exc:
                raise CosChecksFailed(f"8.1(b)(ii): the {what}'s certificate: {exc}") from exc
        decision.checks.append("8.1(b)(ii)")
        request = request_from_element(root)
        sender = request.header.originator
        # (iii) the sender and the User ID in each Organisation Certificate are the same User
        certificates = certificates_in(request.body)
        if not certificates:
            raise CosChecksFailed("8.1(b)(iii): the SR carries no Organisation Certificate")
        if entity_id_of(sr_cert) != sender:
            raise CosChecksFailed(f"8.1(b)(iii): the SR is signed by {entity_id_of(sr_cert)}, sent as {sender}")
        for name, cert in certificates.items():
            if entity_id_of(cert) != sender:
                raise CosChecksFailed(f"8.1(b)(iii): the {name} is {entity_id_of(cert)}'s, not the sender {sender}'s")
        decision.checks.append("8.1(b)(iii)")
        # (iv) that User is (or is to be) the Responsible Supplier for the SR's MPxN on the execution date, or today
        mpxn = request.body.get("ImportMPxN")
        when = _execution(request.body) or at
        registered = responsible_supplier(session, mpxn, when) if mpxn else None
        if registered != sender:
            raise CosChecksFailed(f"8.1(b)(iv): the Responsible Supplier for {mpxn} on {when.date().isoformat()} "
                                  f"is {registered or 'nobody'} per Registration Data, not {sender}")
        decision.checks.append("8.1(b)(iv)")
        return request


def _execution(body: dict) -> datetime | None:
    text = body.get("ExecutionDateTime")
    return parse_datetime(text) if isinstance(text, str) and text else None
