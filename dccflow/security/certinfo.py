"""Shared SMKI certificate vocabulary: key-usage kinds, errors, device identities, inspection.

Re-exported by :mod:`dccflow.security.pki`; see its docstring for the encoding choices.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID

from dccflow.security._der import decode_hardware_module_name, encode_hardware_module_name
from dccflow.security.identifiers import eui64_bytes, format_eui64
from dccflow.security.per_certificate import per_certificate

__all__ = [
    "DEVICE_HW_TYPE",
    "HARDWARE_MODULE_NAME_OID",
    "CertificateError",
    "KeyUsageKind",
    "entity_id_of",
    "hardware_module_ids",
    "hardware_module_san",
    "key_usage_of",
    "role_code_of",
    "utc",
]

HARDWARE_MODULE_NAME_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4")
DEVICE_HW_TYPE = "2.25.279452393986662228877477831429985685308"


class KeyUsageKind(StrEnum):
    DIGITAL_SIGNING = "DigitalSigning"
    KEY_AGREEMENT = "KeyAgreement"


class CertificateError(ValueError):
    """A certificate, CSR or certification path is not acceptable.

    ``reason`` is one of: 'bad csr signature', 'unsupported key', 'device id mismatch',
    'untrusted issuer', 'path too long', 'unsupported critical extension', 'revoked',
    'not yet valid', 'expired', 'not a CA', 'path length exceeded'.
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hardware_module_san(device_id: str) -> x509.SubjectAlternativeName:
    der = encode_hardware_module_name(DEVICE_HW_TYPE, eui64_bytes(device_id))
    return x509.SubjectAlternativeName([x509.OtherName(HARDWARE_MODULE_NAME_OID, der)])


def hardware_module_ids(san: x509.SubjectAlternativeName) -> list[bytes]:
    ids = []
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == HARDWARE_MODULE_NAME_OID:
            ids.append(decode_hardware_module_name(other.value)[1])
    return ids


# --------------------------------------------------------------------------- inspection


@per_certificate
def entity_id_of(cert: x509.Certificate) -> str | None:
    """EUI-64 (``XX-XX-..``) from subject x500UniqueIdentifier or the hardwareModuleName SAN. Read once per
    certificate (immutable): the DCC asks it of every request's signer (check B)."""
    for attribute in cert.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER):
        value = attribute.value
        if isinstance(value, bytes) and len(value) == 9 and value[0] == 0:
            value = value[1:]  # an X.520 BIT STRING (DCC's ZAZ1 certificates) read with its unused-bits octet
        try:
            return format_eui64(value) if isinstance(value, bytes) else format_eui64(eui64_bytes(value))
        except ValueError:
            continue
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for raw in hardware_module_ids(san):
            if len(raw) == 8:
                return format_eui64(raw)
    except (x509.ExtensionNotFound, ValueError):
        pass
    return None


def role_code_of(cert: x509.Certificate) -> str | None:
    """The Remote Party Role code carried in the subject's OU, if any."""
    for attribute in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        return str(attribute.value)
    return None


def key_usage_of(cert: x509.Certificate) -> KeyUsageKind | None:
    """DigitalSigning / KeyAgreement when exactly one of the two bits is set, else None."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.digital_signature and not usage.key_agreement:
        return KeyUsageKind.DIGITAL_SIGNING
    if usage.key_agreement and not usage.digital_signature:
        return KeyUsageKind.KEY_AGREEMENT
    return None
