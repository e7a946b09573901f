"""Typed builders for the security-credential Service Requests (6.15.1, 6.15.2, 6.17, 6.21, 6.23, 6.24.1, 6.24.2).

Certificates are base64 text (``str``) or raw DER (``bytes``, which are base64-encoded here).
See :mod:`dccflow.duis.requests` for the conventions shared by every builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from dccflow.duis._build import CredentialType, RemotePartyRole, aware, b64, build_srv
from dccflow.duis.schema import DuisError

__all__ = [
    "issue_security_credentials",
    "request_handover_of_dcc_controlled_device",
    "retrieve_device_security_credentials_device",
    "retrieve_device_security_credentials_krp",
    "update_security_credentials_cos",
    "update_security_credentials_device",
    "update_security_credentials_krp",
]

Cert = str | bytes


def _cert(value: Cert | None, what: str) -> str | None:
    return None if value is None else b64(value, what)


def _path(certificates: Sequence[Cert]) -> dict:
    if isinstance(certificates, str | bytes) or not certificates:
        raise DuisError("certification_path_certificates must be a non-empty sequence of certificates")
    return {"Certificate": [b64(c, "certification path certificate") for c in certificates]}


def update_security_credentials_krp(
    *,
    request_id: str,
    remote_party_role: RemotePartyRole,
    certification_path_certificates: Sequence[Cert],
    apply_time_based_cpv_checks: bool,
    digital_signing_certificate: Cert | None = None,
    key_agreement_certificate: Cert | None = None,
    key_agreement_top_up_certificate: Cert | None = None,
    remote_party_floor_seq_number: int | None = None,
    remote_party_prepayment_top_up_floor_seq_number: int | None = None,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 6.15.1 'Update Security Credentials (KRP)' - replace Supplier / NO certificates (CS02b)."""
    replacement = {
        "DigitalSigningCertificate": _cert(digital_signing_certificate, "digital_signing_certificate"),
        "KeyAgreementCertificate": _cert(key_agreement_certificate, "key_agreement_certificate"),
        "KeyAgreementTopUpCertificate": _cert(
            key_agreement_top_up_certificate, "key_agreement_top_up_certificate"
        ),
    }
    if all(v is None for v in replacement.values()):
        raise DuisError("update_security_credentials_krp needs at least one replacement certificate")
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "RemotePartyRole": remote_party_role,
        "RemotePartyFloorSeqNumber": remote_party_floor_seq_number,
        "RemotePartyPrepaymentTopUpFloorSeqNumber": remote_party_prepayment_top_up_floor_seq_number,
        "ReplacementCertificates": {"SupplierOrNetworkOperatorCertificates": replacement},
        "CertificationPathCertificates": _path(certification_path_certificates),
        "ApplyTimeBasedCPVChecks": apply_time_based_cpv_checks,
    }
    return build_srv("6.15.1", request_id=request_id, body=body, command_variant=command_variant)


def update_security_credentials_device(
    *, request_id: str, device_certificate: Cert, command_variant: int | None = None
) -> etree._Element:
    """SRV 6.15.2 'Update Security Credentials (Device)' - store a new Device certificate (CS02d)."""
    body = {"DeviceCertificate": b64(device_certificate, "device_certificate")}
    return build_srv("6.15.2", request_id=request_id, body=body, command_variant=command_variant)


def issue_security_credentials(
    *, request_id: str, credential_type: CredentialType, command_variant: int | None = None
) -> etree._Element:
    """SRV 6.17 'Issue Security Credentials' - the Device generates a new key pair (CS02c)."""
    body = {"CredentialType": credential_type}
    return build_srv("6.17", request_id=request_id, body=body, command_variant=command_variant)


def request_handover_of_dcc_controlled_device(
    *,
    request_id: str,
    remote_party_role: RemotePartyRole,
    digital_signing_certificate: Cert,
    certification_path_certificates: Sequence[Cert],
    apply_time_based_cpv_checks: bool,
    key_agreement_certificate: Cert | None = None,
    key_agreement_top_up_certificate: Cert | None = None,
    remote_party_floor_seq_number: int | None = None,
    remote_party_prepayment_top_up_floor_seq_number: int | None = None,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 6.21 'Request Handover of DCC Controlled Device' - replace the DCC's certificates."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "RemotePartyRole": remote_party_role,
        "RemotePartyFloorSeqNumber": remote_party_floor_seq_number,
        "RemotePartyPrepaymentTopUpFloorSeqNumber": remote_party_prepayment_top_up_floor_seq_number,
        "ReplacementCertificates": {
            "DigitalSigningCertificate": b64(digital_signing_certificate, "digital_signing_certificate"),
            "KeyAgreementCertificate": _cert(key_agreement_certificate, "key_agreement_certificate"),
            "KeyAgreementTopUpCertificate": _cert(
                key_agreement_top_up_certificate, "key_agreement_top_up_certificate"
            ),
        },
        "CertificationPathCertificates": _path(certification_path_certificates),
        "ApplyTimeBasedCPVChecks": apply_time_based_cpv_checks,
    }
    return build_srv("6.21", request_id=request_id, body=body, command_variant=command_variant)


def update_security_credentials_cos(
    *,
    request_id: str,
    import_mpxn: str,
    supplier_floor_seq_number: int,
    digital_signing_certificate: Cert,
    certification_path_certificates: Sequence[Cert],
    apply_time_based_cpv_checks: bool,
    key_agreement_certificate: Cert | None = None,
    key_agreement_top_up_certificate: Cert | None = None,
    supplier_prepayment_top_up_floor_seq_number: int | None = None,
    execution_datetime: datetime | None = None,
    command_variant: int | None = None,
) -> etree._Element:
    """SRV 6.23 'Update Security Credentials (CoS)' - the gaining Supplier's certificates."""
    body = {
        "ExecutionDateTime": aware(execution_datetime, "execution_datetime"),
        "SupplierFloorSeqNumber": supplier_floor_seq_number,
        "SupplierPrepaymentTopUpFloorSeqNumber": supplier_prepayment_top_up_floor_seq_number,
        "SupplierReplacementCertificates": {
            "DigitalSigningCertificate": b64(digital_signing_certificate, "digital_signing_certificate"),
            "KeyAgreementCertificate": _cert(key_agreement_certificate, "key_agreement_certificate"),
            "KeyAgreementTopUpCertificate": _cert(
                key_agreement_top_up_certificate, "key_agreement_top_up_certificate"
            ),
        },
        "CertificationPathCertificates": _path(certification_path_certificates),
        "ApplyTimeBasedCPVChecks": apply_time_based_cpv_checks,
        "ImportMPxN": import_mpxn,
    }
    return build_srv("6.23", request_id=request_id, body=body, command_variant=command_variant)


def retrieve_device_security_credentials_krp(
    *, request_id: str, remote_party_roles: Sequence[RemotePartyRole], command_variant: int | None = None
) -> etree._Element:
    """SRV 6.24.1 'Retrieve Device Security Credentials (KRP)' - the certificates in the named cells (CS02a)."""
    roles = [remote_party_roles] if isinstance(remote_party_roles, str) else list(remote_party_roles)
    if not 1 <= len(roles) <= 7:
        raise DuisError("retrieve_device_security_credentials_krp names 1 to 7 remote party roles")
    return build_srv("6.24.1", request_id=request_id, body={"RemotePartyRole": roles},
                     command_variant=command_variant)


def retrieve_device_security_credentials_device(
    *, request_id: str, credential_type: CredentialType, command_variant: int | None = None
) -> etree._Element:
    """SRV 6.24.2 'Retrieve Device Security Credentials (Device)' - the Device's own certificate (CS02e)."""
    return build_srv("6.24.2", request_id=request_id, body={"CredentialType": credential_type},
                     command_variant=command_variant)
