"""Security-credential data (BAD 7.7.2): DUIS CredentialType ↔ the key usage of a Device's key pair, the trust anchor
cells a Service Request may name, and the SMKI's Device Certificate issuance limits (digest 05 §C.3).

One place for these facts: the DCC's handlers (``dccsim.handlers.credentials``), the SMKI (``dccsim.smki``) and the
User's processes (``workflows.credentials``) read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from dccflow.domain.roles import RemotePartyRole
from dccflow.security.certinfo import KeyUsageKind

#: DUIS CredentialType (duis-5.4.xsd) → the key usage of the key pair the Device regenerates (SRV 6.17, 6.24.2)
CREDENTIAL_USAGE = MappingProxyType({"Digital Signature": KeyUsageKind.DIGITAL_SIGNING,
                                     "Key Agreement": KeyUsageKind.KEY_AGREEMENT})
DIGITAL_SIGNATURE = "Digital Signature"
KEY_AGREEMENT = "Key Agreement"

#: DUIS RemotePartyRole values a 6.15.1 / 6.21 may target, and the trust anchor cell (BAD Table 11)
CELLS = MappingProxyType({"Supplier": RemotePartyRole.SUPPLIER,
                          "NetworkOperator": RemotePartyRole.NETWORK_OPERATOR})
SUPPLIER_CELL = "Supplier"
NETWORK_OPERATOR_CELL = "NetworkOperator"


@dataclass(frozen=True)
class DeviceCertificateLimits:
    """What the SMKI checks when it issues Device Certificates (BAD 7.7.2.5.3; SEC Appendix M 2.3.1.7-2.5.1.4)."""

    #: fewer than this many Device Certificates previously Issued for the Device ID (M 2.3.1.8(a)(ii), 2.4.1.3(b),
    #: 2.5.1.3(d)); beyond it the Subscriber asks the Service Desk to review the threshold (M 2.3.1.8 v)
    per_device: int = 100
    #: a batch of more CSRs is rejected whole (M 2.3.1.7(b)(ii), 2.5.1.2(b))
    per_batch: int = 50_000
    #: how long an issued certificate stays on the pickup page / in the response file (M 2.3.1.9, 2.5.1.4)
    pickup: timedelta = timedelta(days=30)


DEVICE_CERTIFICATE_LIMITS = DeviceCertificateLimits()


class DeviceCertificateLimitReached(ValueError):
    """The SMKI refuses a Device CSR: the Device ID already has its limit of Device Certificates (DC-04)."""


def check_device_certificate_count(device_id: str, issued: int,
                                   limits: DeviceCertificateLimits = DEVICE_CERTIFICATE_LIMITS) -> None:
    """Raise :class:`DeviceCertificateLimitReached` unless fewer than ``limits.per_device`` Device Certificates
    have been issued for ``device_id`` (BAD 7.7.2.5.3: "fewer than 100 ... previously Issued")."""
    if issued >= limits.per_device:
        raise DeviceCertificateLimitReached(
            f"{issued} Device Certificates have already been issued for {device_id} (BAD 7.7.2.5.3: fewer than "
            f"{limits.per_device}); the Subscriber may ask the DCC Service Desk to review the threshold")


def check_batch_size(count: int, limits: DeviceCertificateLimits = DEVICE_CERTIFICATE_LIMITS) -> None:
    """Raise ``ValueError`` for a batch of more Device CSRs than ``limits.per_batch`` (rejected whole, DC-03)."""
    if count > limits.per_batch:
        raise ValueError(f"a batch of {count} Device CSRs is rejected whole (at most {limits.per_batch})")
