"""The SMKI's own logs in the DCC's database: the OCA's Certificate Revocation Requests and the Device CSRs the
SMKI checked (what the SMKI audit checks read, ``dccflow_app.scenarios.audit_smki``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel


class SmkiRevocationRequest(SQLModel, table=True):
    """The OCA's log of Certificate Revocation Requests (BAD 7.7.2.5.4; SEC Appendix B 4.9.3, 4.9.5): whose
    Organisation Certificates, why, when the request came and when the OCA revoked them (REV-03, REV-08)."""

    __tablename__ = "smki_revocation_request"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    reason: str = ""
    requested_at: datetime
    revoked_at: datetime
    #: the serials this request revoked (none when all were revoked already: revocation is permanent)
    serials: list = Field(default_factory=list, sa_column=Column(JSON))


class SmkiCsrRecord(SQLModel, table=True):
    """The SMKI's log of Device CSRs (BAD 7.7.2.5.3; SEC Appendix M 2.3.1.7-2.3.1.9): the CSR, the Device
    Certificates already Issued for the Device ID when it was checked, and the outcome (issued with the serial,
    or refused with the reason) — what the DC-02, DC-04, DC-06 audit checks read."""

    __tablename__ = "smki_csr_record"

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True)
    usage: str
    at: datetime
    csr_der: bytes = b""
    issued_before: int | None = None
    outcome: str  # "issued" | "refused"
    reason: str = ""
    serial: str | None = None
