"""The DCC's persisted data: the Smart Metering Inventory, registration data, the request log, what it
delivered to Users, the latest CS14 per CHF, and the SMKI repository (public certificates only)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel


class SmiDevice(SQLModel, table=True):
    """A Device on the Smart Metering Inventory (SEC H5; BAD 7.1.1)."""

    __tablename__ = "smi_device"

    device_id: str = Field(primary_key=True)
    device_type: str
    smi_status: str
    #: the CHF the Device is Associated with (BAD 7.2.1.6.7)
    chf_id: str | None = Field(default=None, index=True)
    #: the Meter or GPF a Type 1 / Type 2 Device is joined to (BAD 7.2.1.6.12)
    associated_with: str | None = None
    mpxn: str | None = Field(default=None, index=True)
    #: Communications Hub asset state as reported by 8.14.x (BAD 7.2.1.6.6)
    ch_install_state: str | None = None
    status_changed_at: datetime | None = None


class SmiStatusChange(SQLModel, table=True):
    __tablename__ = "smi_status_change"

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True)
    from_status: str | None
    to_status: str
    at: datetime
    reason: str


class RegistrationData(SQLModel, table=True):
    """Registration Data for a Metering Point (BAD 7.8.1): who is registered, from when."""

    __tablename__ = "dcc_registration"

    id: int | None = Field(default=None, primary_key=True)
    mpxn: str = Field(index=True)
    fuel: str
    supplier_id: str
    network_operator_id: str
    effective_from: datetime


class RequestLogEntry(SQLModel, table=True):
    """Every Service Request the DCC accepted, with its processing stage (used for anti-replay, for
    idempotent retransmission and for service-level measurement)."""

    __tablename__ = "dcc_request_log"

    request_id: str = Field(primary_key=True)
    originator: str = Field(index=True)
    target: str = Field(index=True)
    counter: int
    srv: str
    digest: str
    received_at: datetime
    xml: bytes
    acknowledgement: bytes | None = None
    stage: str = "accepted"
    response_code: str | None = None
    completed_at: datetime | None = None


class DeliveredMessage(SQLModel, table=True):
    """A DUIS Response or Alert the DCC sent to a User (the DCC's outbound log)."""

    __tablename__ = "dcc_delivered"

    id: int | None = Field(default=None, primary_key=True)
    #: what this message is for, e.g. "<RequestID>:response" — retried processing never sends it twice
    delivery_key: str = Field(index=True, unique=True)
    recipient: str = Field(index=True)
    kind: str
    request_id: str | None = Field(default=None, index=True)
    response_code: str | None = None
    dcc_alert_code: str | None = None
    device_alert_code: int | None = None
    device_id: str | None = Field(default=None, index=True)
    at: datetime
    xml: bytes


class LatestCs14(SQLModel, table=True):
    """The most recent CS14 'CHF Device Log Changed' per CHF; older ones are discarded (BAD 7.2.1.6.7)."""

    __tablename__ = "dcc_latest_cs14"

    chf_id: str = Field(primary_key=True)
    at: datetime
    device_log: list = Field(default_factory=list, sa_column=Column(JSON))


class PendingJoin(SQLModel, table=True):
    """A whitelisting awaiting the CHF's confirming CS14 (SEC AD 3.8.109.4)."""

    __tablename__ = "dcc_pending_join"

    request_id: str = Field(primary_key=True)
    chf_id: str = Field(index=True)
    device_id: str
    supplier_id: str


class SmkiCertificate(SQLModel, table=True):
    """The SMKI Repository: certificates looked up by issuer and serial (signature checks, SEC L)."""

    __tablename__ = "smki_certificate"

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(index=True)
    serial: str = Field(index=True)  # decimal string: serials exceed 64-bit integers
    subject_entity_id: str | None = Field(default=None, index=True)
    role_code: str | None = None
    usage: str | None = None
    is_ca: bool = False
    pem: bytes
    revoked_at: datetime | None = None
