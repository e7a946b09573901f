"""SMKI certificate primitives: issuing, inspection, device CSRs and path validation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from security_support import NOT_BEFORE, SUPPLIER_ID, Smki

from dccflow.security import (
    HARDWARE_MODULE_NAME_OID,
    CertificateError,
    Credential,
    KeyUsageKind,
    create_issuing_ca,
    create_root,
    entity_id_of,
    issue_device_certificate,
    issue_organisation_certificate,
    key_usage_of,
    make_device_csr,
    new_private_key,
    role_code_of,
    verify_path,
)

AT = NOT_BEFORE + timedelta(days=30)
DEVICE_ID = "00-DB-12-34-56-78-90-A0"


def _path_reason(cert: x509.Certificate, intermediates, root: x509.Certificate, **kwargs) -> str:
    with pytest.raises(CertificateError) as info:
        verify_path(cert, intermediates, root, **kwargs)
    return info.value.reason


# --------------------------------------------------------------------------- organisation certificates


def test_organisation_certificate_chains_to_root(smki: Smki) -> None:
    verify_path(smki.signer.cert, [smki.ca.cert], smki.root.cert, at=AT)
    verify_path(smki.agreement.cert, [smki.ca.cert], smki.root.cert, at=AT)
    verify_path(smki.ca.cert, [], smki.root.cert, at=AT)
    verify_path(smki.root.cert, [], smki.root.cert, at=AT)


def test_organisation_certificate_contents(smki: Smki) -> None:
    cert = smki.signer.cert
    assert entity_id_of(cert) == SUPPLIER_ID
    assert role_code_of(cert) == "02"
    assert key_usage_of(cert) is KeyUsageKind.DIGITAL_SIGNING
    assert key_usage_of(smki.agreement.cert) is KeyUsageKind.KEY_AGREEMENT
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Acme Energy"
    assert subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)[0].value == "90B3D51F30010000"
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Acme Energy DigitalSigning"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_agreement
    assert cert.serial_number.bit_length() <= 64 and cert.serial_number > 0
    assert smki.signer.serial != smki.agreement.serial
    assert smki.signer.issuer_name == "CN=U1,OU=07"
    assert cert.not_valid_before_utc == NOT_BEFORE
    assert cert.not_valid_after_utc == NOT_BEFORE + timedelta(days=825)


def test_ca_certificates(smki: Smki) -> None:
    root_bc = smki.root.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    ca_bc = smki.ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert root_bc.ca and ca_bc.ca and ca_bc.path_length == 0
    assert smki.root.cert.issuer == smki.root.cert.subject
    assert smki.ca.cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert role_code_of(smki.ca.cert) == "07" and entity_id_of(smki.ca.cert) is None
    assert key_usage_of(smki.root.cert) is None


def test_credential_pem_round_trip(smki: Smki) -> None:
    copy = Credential.from_pem(smki.signer.key_pem(), smki.signer.cert_pem())
    assert copy.cert == smki.signer.cert and copy.serial == smki.signer.serial
    assert copy.key.private_numbers() == smki.signer.key.private_numbers()
    assert smki.signer.key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(ValueError):
        Credential.from_pem(smki.signer.key_pem(), smki.agreement.cert_pem())


# --------------------------------------------------------------------------- path validation failures


def test_revoked_serial(smki: Smki) -> None:
    chain = ([smki.ca.cert], smki.root.cert)
    assert _path_reason(smki.signer.cert, *chain, at=AT, revoked_serials={smki.signer.serial}) == "revoked"
    assert _path_reason(smki.signer.cert, *chain, at=AT, revoked_serials={smki.ca.serial}) == "revoked"
    verify_path(smki.signer.cert, *chain, at=AT, revoked_serials={smki.agreement.serial})


def test_expired_and_not_yet_valid(smki: Smki) -> None:
    chain = ([smki.ca.cert], smki.root.cert)
    assert _path_reason(smki.signer.cert, *chain, at=NOT_BEFORE + timedelta(days=826)) == "expired"
    assert _path_reason(smki.signer.cert, *chain, at=NOT_BEFORE - timedelta(seconds=1)) == "not yet valid"


def test_naive_time_is_utc(smki: Smki) -> None:
    verify_path(smki.signer.cert, [smki.ca.cert], smki.root.cert, at=datetime(2025, 6, 1, 12, 0))


def test_certificate_from_another_root_is_untrusted(smki: Smki) -> None:
    # Same names as the real hierarchy, different keys: only the signatures tell them apart.
    other_root = create_root("Root OCA", not_before=NOT_BEFORE)
    other_ca = create_issuing_ca(other_root, "U1", not_before=NOT_BEFORE, role_code="07")
    other = issue_organisation_certificate(
        other_ca,
        entity_id=SUPPLIER_ID,
        role_code="02",
        usage=KeyUsageKind.DIGITAL_SIGNING,
        organisation="Acme Energy",
        not_before=NOT_BEFORE,
    )
    assert _path_reason(other.cert, [other_ca.cert], smki.root.cert, at=AT) == "untrusted issuer"
    assert _path_reason(other.cert, [smki.ca.cert], smki.root.cert, at=AT) == "untrusted issuer"
    verify_path(other.cert, [other_ca.cert], other_root.cert, at=AT)


def test_missing_intermediate_is_untrusted(smki: Smki) -> None:
    assert _path_reason(smki.signer.cert, [], smki.root.cert, at=AT) == "untrusted issuer"


def test_end_entity_cannot_act_as_ca(smki: Smki) -> None:
    child = issue_organisation_certificate(
        smki.signer,
        entity_id=SUPPLIER_ID,
        role_code="02",
        usage=KeyUsageKind.DIGITAL_SIGNING,
        organisation="Mallory",
        not_before=NOT_BEFORE,
    )
    reason = _path_reason(child.cert, [smki.signer.cert, smki.ca.cert], smki.root.cert, at=AT)
    assert reason == "not a CA"


def test_path_length_constraint(smki: Smki) -> None:
    sub_ca = create_issuing_ca(smki.ca, "Sub CA", not_before=NOT_BEFORE)
    leaf = issue_organisation_certificate(
        sub_ca,
        entity_id=SUPPLIER_ID,
        role_code="02",
        usage=KeyUsageKind.DIGITAL_SIGNING,
        organisation="Acme Energy",
        not_before=NOT_BEFORE,
    )
    reason = _path_reason(leaf.cert, [sub_ca.cert, smki.ca.cert], smki.root.cert, at=AT)
    assert reason == "path length exceeded"


# --------------------------------------------------------------------------- device certificates


def test_device_certificate_from_csr(smki: Smki) -> None:
    key = new_private_key()
    csr = make_device_csr(key, DEVICE_ID)
    assert csr.is_signature_valid and len(csr.subject) == 0
    cert = issue_device_certificate(
        smki.ca, csr, device_id=DEVICE_ID, usage=KeyUsageKind.KEY_AGREEMENT, not_before=NOT_BEFORE
    )
    assert cert.public_key() == key.public_key()
    assert len(cert.subject) == 0
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert [o.type_id for o in san.value.get_values_for_type(x509.OtherName)] == [HARDWARE_MODULE_NAME_OID]
    assert entity_id_of(cert) == DEVICE_ID
    assert key_usage_of(cert) is KeyUsageKind.KEY_AGREEMENT
    assert role_code_of(cert) is None
    assert cert.not_valid_after_utc == NOT_BEFORE + timedelta(days=9125)
    verify_path(cert, [smki.ca.cert], smki.root.cert, at=AT)


def test_tampered_csr_rejected(smki: Smki) -> None:
    csr = make_device_csr(new_private_key(), DEVICE_ID)
    der = csr.public_bytes(serialization.Encoding.DER)
    device_octets = bytes.fromhex(DEVICE_ID.replace("-", ""))
    assert der.count(device_octets) == 1
    tampered = x509.load_der_x509_csr(der.replace(device_octets, bytes.fromhex("00DB1234567890FF")))
    with pytest.raises(CertificateError) as info:
        issue_device_certificate(
            smki.ca, tampered, device_id=DEVICE_ID, usage=KeyUsageKind.DIGITAL_SIGNING, not_before=NOT_BEFORE
        )
    assert info.value.reason == "bad csr signature"


def test_csr_for_another_device_rejected(smki: Smki) -> None:
    csr = make_device_csr(new_private_key(), "00-DB-12-34-56-78-90-A1")
    with pytest.raises(CertificateError) as info:
        issue_device_certificate(
            smki.ca, csr, device_id=DEVICE_ID, usage=KeyUsageKind.DIGITAL_SIGNING, not_before=NOT_BEFORE
        )
    assert info.value.reason == "device id mismatch"


def test_bit_string_unique_identifier_is_read(smki: Smki) -> None:
    # Real SMKI encodes x500UniqueIdentifier as a BIT STRING of the 8 octets; entity_id_of reads it.
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.name import _ASN1Type

    key = new_private_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "DCC"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER, bytes.fromhex("90B3D51F30000002"), _ASN1Type.BitString
            ),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(smki.ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_BEFORE + timedelta(days=1))
        .sign(smki.ca.key, hashes.SHA256())
    )
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert entity_id_of(reloaded) == "90-B3-D5-1F-30-00-00-02"
