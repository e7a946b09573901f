"""The DCC's persisted data: the Smart Metering Inventory, registration data, the request log, what it
delivered to Users, the latest CS14 per CHF, and the SMKI repository (public certificates only). The DCC's
other records (rejections, anomaly detection, service levels, CH assets, WAN coverage) are in
``dccsim.records``, registered with the same metadata at the end of this module."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import JSON, Column, Field, Session, SQLModel

from dccflow.prepared import Prepared
from dccsim.index_backfill import IndexBackfillMark


class SmiDevice(SQLModel, table=True):
    """A Device on the Smart Metering Inventory (SEC H5; BAD 7.1.1)."""

    __tablename__ = "smi_device"

    device_id: str = Field(primary_key=True)
    device_type: str
    #: ``None`` for Type 2 Devices, which have no SMI Status (SEC Appendix AC 2.9)
    smi_status: str | None
    #: the CHF the Device is Associated with (BAD 7.2.1.6.7)
    chf_id: str | None = Field(default=None, index=True)
    #: the Meter or GPF a Type 1 / Type 2 Device is joined to (BAD 7.2.1.6.12)
    associated_with: str | None = None
    mpxn: str | None = Field(default=None, index=True)
    secondary_import_mpan: str | None = None
    export_mpan: str | None = None
    #: Communications Hub asset state as reported by 8.14.x (BAD 7.2.1.6.6)
    ch_install_state: str | None = None
    status_changed_at: datetime | None = None
    #: Device details given by 'Device Pre-notification' (SRV 12.2; AD 3.8.113) or 'Update Inventory' (8.4)
    manufacturer: str | None = None
    model: str | None = None
    smets_chts_version: str | None = None
    firmware_version: str | None = None
    esme_variant: str | None = None
    #: the User who added the Device to the SMI (AD 3.8.101.4.1b, 4.2b); ``None`` when the DCC did (AC 2.4)
    added_by: str | None = None


class SmiStatusChange(SQLModel, table=True):
    __tablename__ = "smi_status_change"

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True)
    from_status: str | None
    to_status: str
    at: datetime
    reason: str


class SmiLinkChange(SQLModel, table=True):
    """A change of one of a Device's SMI links (``field``: ``chf_id``, ``associated_with``, ``mpxn``): the CHF it is
    Associated with (AC 4.3(a)), the Meter / GPF it is joined to, its MPxN (AC 4.3(b)), ended by decommissioning
    (H6.4(b), AD 3.8.100.5(b)) or moved by a CH replacement (8.12.x). With the status history, what the SMI held
    at any past moment (``dccflow.audit_records.DccRecords.link_at``)."""

    __tablename__ = "smi_link_change"

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True)
    field: str
    from_value: str | None
    to_value: str | None
    at: datetime
    reason: str


class RegistrationData(SQLModel, table=True):
    """Registration Data for a Metering Point (BAD 7.8.1; SEC E2.1, E2.2): who is, was or will be registered,
    from when until when (``effective_to`` exclusive, ``None``: open-ended), and where the Metering Point is."""

    __tablename__ = "dcc_registration"

    id: int | None = Field(default=None, primary_key=True)
    mpxn: str = Field(index=True)
    fuel: str
    supplier_id: str
    network_operator_id: str
    effective_from: datetime
    effective_to: datetime | None = None
    uprn: int | None = Field(default=None, index=True, sa_type=BigInteger)  # 12 digits
    postcode: str | None = Field(default=None, index=True)
    address_identifier: str | None = None


class RequestLogEntry(SQLModel, table=True):
    """Every Service Request the DCC accepted, with its processing stage (used for anti-replay, for
    idempotent retransmission and for service-level measurement). Rejected requests are never here: they are
    in ``dccsim.records.RejectedRequest``.

    Stages: ``pre_command_sent`` (Critical, awaiting the Signed Pre-Command), ``accepted``, ``quarantined``,
    ``waiting_execution`` (future-dated), ``command_sent``, ``responded``, ``completed``, ``failed``,
    ``deleted`` (a quarantined item the User deleted), ``cancelled`` (a future-dated request cancelled before its
    execution time by a decommissioning, a suspension or a Change of Supplier, ``dccsim.pending_work``).
    """

    __tablename__ = "dcc_request_log"
    #: anti-replay looks up the highest counter per originator and target (``dccsim.pipeline``)
    __table_args__ = (Index("ix_dcc_request_log_counter", "originator", "target", "counter"),)

    request_id: str = Field(primary_key=True)
    originator: str = Field(index=True)
    target: str = Field(index=True)
    counter: int = Field(sa_type=BigInteger)  # the Originator Counter: 64 bits
    srv: str
    processing: str = ""
    digest: str
    received_at: datetime
    xml: bytes
    #: the synchronous reply: the Acknowledgement (Non-Critical), the Pre-Command (Critical) or the Service
    #: Response (Non-Device); a retransmission of the same request gets the same bytes
    reply: bytes | None = None
    stage: str = "accepted"
    #: ExecutionDateTime of a future-dated request (SEC H3.11(b), H3.12)
    execution_at: datetime | None = None
    #: Critical requests: the Pre-Command's GBCS Payload and when it was sent (SEC H3.14(a))
    pre_command_payload: bytes | None = None
    pre_command_at: datetime | None = None
    #: Critical requests: the Signed Pre-Command as received and the Acknowledgement it got (AB 7.1)
    spc_xml: bytes | None = None
    spc_digest: str | None = None
    spc_reply: bytes | None = None
    spc_received_at: datetime | None = None
    #: the Device's Response as received (kept so that a retried step does not send the Command again)
    device_response: dict | None = Field(default=None, sa_column=Column(JSON))
    #: time the request spent in quarantine, excluded from response times (SEC H3.15(b))
    quarantined_seconds: float = 0.0
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


class GpfDeviceLogBackup(SQLModel, table=True):
    """The most recent 'Backup GPF Device Log' Alert (GCS62) per GPF, with the CHF of its Communications Hub: kept
    for Replace Communications Hub, which restores the GPF Device Log from it (SRV 8.12.2; BAD 7.2.1.6.12,
    7.2.2.6.3, 7.6.1). A GPF has no MPxN, so the Alert goes to no User; it is the DCC's own record (AC 8.1)."""

    __tablename__ = "dcc_gpf_device_log_backup"

    gpf_id: str = Field(primary_key=True)
    chf_id: str | None = Field(default=None, index=True)
    at: datetime
    device_log: list = Field(default_factory=list, sa_column=Column(JSON))
    #: how it reached the DCC: "sm-wan" (from the GPF) or the RequestID of the SRV 8.13 that returned it
    received_via: str = "sm-wan"


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


class RequestNamedDevice(SQLModel, table=True):
    """A Device a Non-Device Service Request names (``dccflow.search.devices_named``), as written: the index
    ``dccsim.request_devices`` keeps."""

    __tablename__ = "dcc_request_device"

    request_id: str = Field(primary_key=True)
    device_id: str = Field(primary_key=True, index=True)


class RequestDeviceIndexComplete(IndexBackfillMark, table=True):
    """Present once every request logged before ``dcc_request_device`` existed has its rows (``ensure_indexed``)."""

    __tablename__ = "dcc_request_device_backfill"

    requests_read: int = 0


def insert_new(session: Session, row: SQLModel) -> None:
    """INSERT a new row at once with SQLAlchemy Core on the session's connection (same transaction, none of the
    unit-of-work's bookkeeping): for rows of the hot path that are written once and not changed afterwards in
    the transaction. ``row`` stays detached; columns left ``None`` are SQL NULL (an autoincrement key is filled by
    the database; a JSON column holds NULL, not JSON 'null')."""
    insert_values(session, type(row), {c.name: getattr(row, c.name) for c in type(row).__table__.columns})


def insert_values(session: Session, model: type[SQLModel], values: dict) -> None:
    """``insert_new`` without building the model object first (every column the model needs must be given).
    The INSERT is compiled once per dialect and set of columns (``dccflow.prepared``)."""
    _inserts(model.__table__).execute(session.connection(), {k: v for k, v in values.items() if v is not None})


@functools.cache
def _inserts(table) -> Prepared:
    return Prepared(table.insert())


from dccsim import firmware_records as _firmware_records  # noqa: E402, F401 - 11.1 distributions, CH upgrades
from dccsim import life_records as _life_records  # noqa: E402, F401 - CPL, suspension and H6.6 records
from dccsim import records as _records  # noqa: E402, F401 - registers the DCC's other tables
