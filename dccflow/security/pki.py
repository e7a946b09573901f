"""SMKI certificate primitives for the simulated DCC (ECDSA P-256 / SHA-256, ``cryptography``).

Hierarchy: a self-signed root (Root OCA / Root DCA) issues issuing CAs (pathLen 0), which issue
Organisation Certificates (to Users and the DCC) and Device Certificates (from device CSRs).

Encoding choices (GB SMKI, simplified where noted):

* Organisation Certificate subject, RDNs in this order: ``O`` = organisation name, ``OU`` = the
  Remote Party Role code exactly as given (e.g. ``"02"`` supplier, ``"07"`` issuing authority),
  ``CN`` (default ``"<organisation> <DigitalSigning|KeyAgreement>"``), ``x500UniqueIdentifier``
  (OID 2.5.4.45) = the entity's EUI-64 as 16 upper-case hex characters without separators,
  encoded as a UTF8String.  (Real SMKI uses a BIT STRING of the 8 octets; :func:`entity_id_of`
  reads that form too.)  RFC 4514 renders it as ``2.5.4.45=90B3D51F30010000``.
* One key usage per certificate, critical: digitalSignature *or* keyAgreement.
* Device Certificates have an empty subject and a critical subjectAltName holding an RFC 4108
  ``hardwareModuleName`` otherName (OID 1.3.6.1.5.5.7.8.4) whose ``hwSerialNum`` is the device's
  EUI-64 as 8 raw octets and whose ``hwType`` is :data:`DEVICE_HW_TYPE` (a locally allocated
  UUID-based OID, not an official SMKI value).
* Serial numbers: 64 random bits (``secrets``), never zero; they may exceed a signed 64-bit SQL
  integer, so store them as text/decimal.
* Every time is passed in explicitly (``not_before``, ``at``); nothing here reads the clock.
  Naive datetimes are taken as UTC.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dccflow.security.certinfo import (
    DEVICE_HW_TYPE,
    HARDWARE_MODULE_NAME_OID,
    CertificateError,
    KeyUsageKind,
    entity_id_of,
    hardware_module_ids,
    hardware_module_san,
    key_usage_of,
    role_code_of,
    utc,
)
from dccflow.security.identifiers import eui64_bytes
from dccflow.security.pathval import verify_path

__all__ = [
    "DEVICE_HW_TYPE",
    "HARDWARE_MODULE_NAME_OID",
    "CertificateError",
    "Credential",
    "KeyUsageKind",
    "create_issuing_ca",
    "create_root",
    "entity_id_of",
    "issue_device_certificate",
    "issue_organisation_certificate",
    "key_usage_of",
    "make_device_csr",
    "new_private_key",
    "role_code_of",
    "verify_path",
]


@dataclass
class Credential:
    """A private key and the certificate for its public key."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes) -> Credential:
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except TypeError:  # cryptography's word for an encrypted key without a password
            raise ValueError("the private key is encrypted: give it unencrypted (e.g. `openssl ec -in K -out K2`)"
                             ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("credential key must be an EC P-256 private key (the DUIS and SMKI profile)")
        cert = x509.load_pem_x509_certificate(cert_pem)
        if cert.public_key() != key.public_key():
            raise ValueError("certificate does not match the private key")
        return cls(key=key, cert=cert)

    @property
    def issuer_name(self) -> str:
        """RFC 4514 issuer name, the form written to ``ds:X509IssuerName``."""
        return self.cert.issuer.rfc4514_string()

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    @property
    def subject_name(self) -> str:
        return self.cert.subject.rfc4514_string()


# --------------------------------------------------------------------------- building blocks


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _random_serial() -> int:
    serial = 0
    while serial == 0:
        serial = secrets.randbits(64)
    return serial


def _subject(
    common_name: str, organisation: str | None, role_code: str | None, entity_id: str | None
) -> x509.Name:
    attributes = []
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if role_code:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role_code))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if entity_id:
        hex16 = eui64_bytes(entity_id).hex().upper()
        attributes.append(x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, hex16))
    return x509.Name(attributes)


def _key_usage(*, signing: bool = False, agreement: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=agreement,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _end_entity_usage(usage: KeyUsageKind) -> x509.KeyUsage:
    usage = KeyUsageKind(usage)
    return _key_usage(
        signing=usage is KeyUsageKind.DIGITAL_SIGNING, agreement=usage is KeyUsageKind.KEY_AGREEMENT
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    valid_days: int,
    serial: int | None,
) -> x509.CertificateBuilder:
    if valid_days <= 0:
        raise ValueError("valid_days must be positive")
    start = utc(not_before)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial if serial is not None else _random_serial())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _signed_by(builder: x509.CertificateBuilder, ca: Credential) -> x509.Certificate:
    try:
        ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())
    return builder.add_extension(aki, critical=False).sign(ca.key, hashes.SHA256())


def _check_p256(public_key: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise CertificateError("unsupported key", "SMKI keys are ECDSA P-256")
    return public_key


# --------------------------------------------------------------------------- issuing


def create_root(
    common_name: str = "SMKI Root",
    *,
    not_before: datetime,
    valid_days: int = 3650,
    organisation: str | None = None,
    role_code: str | None = None,
    entity_id: str | None = None,
    extensions: tuple[x509.ExtensionType, ...] = (),
) -> Credential:
    """Self-signed root CA (basicConstraints CA:true, keyCertSign + cRLSign); ``extensions`` non-critical (e.g. the
    wrappedApexContingencyKey, ``dccflow.security.contingency``)."""
    key = new_private_key()
    subject = _subject(common_name, organisation, role_code, entity_id)
    builder = (
        _builder(subject, subject, key.public_key(), not_before, valid_days, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return Credential(key=key, cert=builder.sign(key, hashes.SHA256()))


def create_issuing_ca(
    root: Credential,
    common_name: str,
    *,
    not_before: datetime,
    valid_days: int = 3650,
    organisation: str | None = None,
    role_code: str | None = None,
    entity_id: str | None = None,
) -> Credential:
    """Issuing CA under ``root`` (CA:true, pathLen 0).  E.g. ``role_code="07"`` mirrors DUIS samples."""
    key = new_private_key()
    subject = _subject(common_name, organisation, role_code, entity_id)
    builder = (
        _builder(subject, root.cert.subject, key.public_key(), not_before, valid_days, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
    )
    return Credential(key=key, cert=_signed_by(builder, root))


def issue_organisation_certificate(
    ca: Credential,
    *,
    entity_id: str,
    role_code: str,
    usage: KeyUsageKind,
    organisation: str,
    not_before: datetime,
    valid_days: int = 825,
    common_name: str | None = None,
    serial: int | None = None,
) -> Credential:
    """New P-256 key pair and an Organisation Certificate for it (see module docstring)."""
    if not role_code:
        raise ValueError("role_code must be a non-empty Remote Party Role code")
    usage = KeyUsageKind(usage)
    key = new_private_key()
    subject = _subject(common_name or f"{organisation} {usage.value}", organisation, role_code, entity_id)
    builder = _builder(subject, ca.cert.subject, key.public_key(), not_before, valid_days, serial)
    builder = builder.add_extension(_end_entity_usage(usage), critical=True)
    return Credential(key=key, cert=_signed_by(builder, ca))


def make_device_csr(key: ec.EllipticCurvePrivateKey, device_id: str) -> x509.CertificateSigningRequest:
    """A device CSR: empty subject, critical subjectAltName with the device's hardwareModuleName."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(hardware_module_san(device_id), critical=True)
        .sign(key, hashes.SHA256())
    )


def issue_device_certificate(
    ca: Credential,
    csr: x509.CertificateSigningRequest,
    *,
    device_id: str,
    usage: KeyUsageKind,
    not_before: datetime,
    valid_days: int = 9125,
    serial: int | None = None,
) -> x509.Certificate:
    """Device Certificate for the CSR's key after checking the CSR's self-signature.

    If the CSR names a device (hardwareModuleName), it must be ``device_id``.
    Raises :class:`CertificateError`.
    """
    if not csr.is_signature_valid:
        raise CertificateError("bad csr signature", "the CSR's signature does not verify")
    public_key = _check_p256(csr.public_key())
    wanted = eui64_bytes(device_id)
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        requested = hardware_module_ids(san)
    except x509.ExtensionNotFound:
        requested = []
    except ValueError as exc:
        raise CertificateError("device id mismatch", f"unreadable subjectAltName in CSR: {exc}") from exc
    if any(found != wanted for found in requested):
        raise CertificateError("device id mismatch", f"CSR is for another device than {device_id}")
    builder = (
        _builder(x509.Name([]), ca.cert.subject, public_key, not_before, valid_days, serial)
        .add_extension(hardware_module_san(device_id), critical=True)
        .add_extension(_end_entity_usage(usage), critical=True)
    )
    return _signed_by(builder, ca)
