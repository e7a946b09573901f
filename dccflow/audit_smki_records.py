"""The SMKI's records the obligations audit judges for Manage Security Credentials (BAD 7.7.2; register
``dccflow.domain.obligations_msc``, checks ``dccflow.audit_msc``): the SMKI Repository's certificates with their
revocation time, the Device CSRs the SMKI checked (issued or refused, and the count it checked the limit against),
and the OCA's Certificate Revocation Requests. Filled by the audit activity (``dccflow_app.scenarios.audit_smki``)
from ``dccsim.smki``'s tables; plain data here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CertificateRec(BaseModel):
    """A certificate of the SMKI Repository: a Device Certificate (``device_id``) or an Organisation Certificate
    (``user_id``), in the order the repository lodged them."""

    serial: str
    device_id: str | None = None
    user_id: str | None = None
    usage: str | None = None
    #: the start of its validity: for a Device Certificate, when it was Issued
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    #: SHA-256 of the SubjectPublicKeyInfo (SEC L11.4: no Public Key in two certificates)
    key_hash: str = ""


class CsrRec(BaseModel):
    """A Device CSR the SMKI checked (BAD 7.7.2.5.3; SEC Appendix M 2.3.1.7-2.3.1.9)."""

    device_id: str
    usage: str
    at: datetime
    outcome: str  # "issued" | "refused"
    reason: str = ""
    #: Device Certificates already Issued for the Device ID when the SMKI checked the limit (None: not reached)
    issued_before: int | None = None
    serial: str | None = None
    #: the CSR's PKCS#10 signature verifies (None: unreadable)
    signature_valid: bool | None = None
    #: the issued certificate carries the CSR's Public Key and the Device ID (None: nothing issued)
    matches_certificate: bool | None = None


class CrrRec(BaseModel):
    """A Certificate Revocation Request the OCA acted on (BAD 7.7.2.5.4)."""

    user_id: str
    reason: str = ""
    requested_at: datetime
    revoked_at: datetime
    serials: list[str] = Field(default_factory=list)


class SmkiRecords(BaseModel):
    certificates: list[CertificateRec] = Field(default_factory=list)
    csrs: list[CsrRec] = Field(default_factory=list)
    revocations: list[CrrRec] = Field(default_factory=list)
    #: DC-04: fewer than this many Device Certificates per Device ID (``DEVICE_CERTIFICATE_LIMITS.per_device``)
    per_device_limit: int = 100

    def device_certificates(self, device_id: str) -> list[CertificateRec]:
        return [c for c in self.certificates if c.device_id == device_id]
