"""The DCC's other persisted records: the audit log of rejected requests, Threshold Anomaly Detection
(thresholds, counted items, quarantine), the service-level measurements, Communications Hub asset records
and the SM WAN coverage table behind 'Request WAN Matrix'."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import JSON, Column, Field, SQLModel

from dccsim.index_backfill import IndexBackfillMark


class RejectedRequest(SQLModel, table=True):
    """Audit of every refused Service Request or Signed Pre-Command (AB 6.3, 7.3): kept apart from the request
    log, so a rejection changes nothing the DCC relies on (SMI, request log, registration, devices)."""

    __tablename__ = "dcc_rejected_request"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    request_id: str | None = Field(default=None, index=True)
    originator: str | None = None
    srv: str | None = None
    signed_pre_command: bool = False
    check: str
    code: str | None = None
    #: rejected without any response to the sender (AB 6.3 / 7.3(b))
    silent: bool = False
    reason: str
    size: int


class RejectionNamedDevice(SQLModel, table=True):
    """A Device a rejected request names, as the audit matches it: the RequestID's target, or a Device ID in the
    rejection's reason (``dccsim.rejection_devices``)."""

    __tablename__ = "dcc_rejection_device"

    rejection_id: int = Field(primary_key=True)
    device_id: str = Field(primary_key=True, index=True)


class RejectionDeviceIndexComplete(IndexBackfillMark, table=True):
    """Present once every rejection recorded before ``dcc_rejection_device`` existed has its rows
    (``dccsim.rejection_devices.ensure_indexed``)."""

    __tablename__ = "dcc_rejection_device_backfill"

    rejections_read: int = 0


class AnomalyDetectionThreshold(SQLModel, table=True):
    """An ADT as applied by the DCC (SEC G6.3 User-set, ``user_id`` set; G6.6 DCC-set aggregate, ``user_id``
    ``None``): more than ``limit`` counted items of ``srv`` within ``window_seconds`` is a breach."""

    __tablename__ = "dcc_anomaly_threshold"
    __table_args__ = (UniqueConstraint("user_id", "srv"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str | None = Field(default=None, index=True)
    srv: str = Field(index=True)
    limit: int
    window_seconds: int
    applied_at: datetime


class AnomalyCount(SQLModel, table=True):
    """One Service Request or Signed Pre-Command counted by Threshold Anomaly Detection (BAD 7.8.2.5.2)."""

    __tablename__ = "dcc_anomaly_count"
    #: what ``tad.count_and_check`` reads: the counts of an SRV in a window, by User (an index-only range scan)
    __table_args__ = (Index("ix_dcc_anomaly_count_srv_at_user", "srv", "at", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    srv: str = Field(index=True)
    request_id: str
    at: datetime = Field(index=True)


class QuarantinedItem(SQLModel, table=True):
    """A Service Request or Signed Pre-Command held after an ADT breach (AB 12.2, 12.3; AA 4.5)."""

    __tablename__ = "dcc_quarantine"

    quarantine_event_ref: str = Field(primary_key=True)  # 20 digits (DUIS ADBreach/QuarantineEventRef)
    request_id: str = Field(index=True)
    user_id: str = Field(index=True)
    srv: str
    #: which ADT: ADUserThresholdBreach or ADDCCThresholdBreach (DUIS QuarantinedRequest choice)
    breach: str
    detail: str
    at: datetime
    #: quarantined → released | deleted; after the release window it can only be archived (AA 4.5)
    status: str = "quarantined"
    resolved_at: datetime | None = None


class ServiceLevelRecord(SQLModel, table=True):
    """One measured activity against its Target Response Time (SEC H3.14, H3.15; H13 reporting)."""

    __tablename__ = "dcc_service_level"
    __table_args__ = (UniqueConstraint("measure", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    measure: str = Field(index=True)
    #: what was measured: a RequestID, or a delivery key for alerts
    ref: str
    srv: str | None = None
    user_id: str | None = None
    started_at: datetime
    stopped_at: datetime = Field(index=True)
    target_seconds: float
    #: quarantine time, disregarded (SEC H3.15(b))
    excluded_seconds: float = 0.0

    @property
    def elapsed_seconds(self) -> float:
        return (self.stopped_at - self.started_at).total_seconds() - self.excluded_seconds

    @property
    def within_target(self) -> bool:
        return self.elapsed_seconds <= self.target_seconds


class ChAssetRecord(SQLModel, table=True):
    """What a 'Communications Hub Status Update' (SRV 8.14.1–8.14.4) told the DCC about a Communications Hub
    (BAD 7.2.1.6.6, 7.2.2.6.1, 7.9.1.6.2; SEC Appendix I 4.10, 11.1)."""

    __tablename__ = "dcc_ch_asset"
    #: the records that raised an Incident, indexed alone: numbering the next one counts them, not every record
    __table_args__ = (Index("ix_dcc_ch_asset_incident", "incident_ref", sqlite_where=text("incident_ref IS NOT NULL"),
                            postgresql_where=text("incident_ref IS NOT NULL")),)

    id: int | None = Field(default=None, primary_key=True)
    chf_id: str = Field(index=True)
    srv: str
    state: str
    user_id: str
    request_id: str
    at: datetime
    mpxn: str | None = None
    #: the Incident the DCC raises on 'Install No SM WAN' (SEC Appendix I 4.10)
    incident_ref: str | None = None
    details: dict = Field(default_factory=dict, sa_column=Column(JSON))


class WanCoverage(SQLModel, table=True):
    """The SM WAN coverage table 'Request WAN Matrix' (SRV 12.1) answers from: one row per CSP Region
    answer for a UPRN, or for a postcode (and optionally an address identifier)."""

    __tablename__ = "dcc_wan_coverage"

    id: int | None = Field(default=None, primary_key=True)
    uprn: int | None = Field(default=None, index=True, sa_type=BigInteger)  # 12 digits
    postcode: str | None = Field(default=None, index=True)
    address_identifier: str | None = None
    csp_region: str
    coverage_available: bool
    wan_technology: str
    connectivity_likelihood: str
    anticipated_coverage_date: date | None = None
    auxiliary_equipment_required: str | None = None
    additional_information: str | None = None


class DccPostCommissioningDuty(SQLModel, table=True):
    """One of the DCC's own post-commissioning duties for a Device, with its deadline and what came of it (BAD
    7.2.3.5.7): AC 5.1 for a CHF ('chf-credentials': new keys, Device Certificates stored, an Organisation
    Certificate replaced) and AC 5.3 for a CHF, GPF or Smart Meter ('recovery-interrogation': is the Recovery
    cell populated with a DCC Recovery Certificate?). Carried out by ``dccsim.post_commissioning_duties``."""

    __tablename__ = "dcc_post_commissioning_duty"
    __table_args__ = (UniqueConstraint("device_id", "duty", "commissioned_at"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True)
    device_type: str
    #: "chf-credentials" (AC 5.1) or "recovery-interrogation" (AC 5.3)
    duty: str
    commissioned_at: datetime
    #: AC 5.1, 5.3: within 7 days of Commissioning
    due: datetime
    done_at: datetime | None = None
    #: AC 5.3 result: True when the Recovery cell holds the DCC Recovery Certificate (None: not interrogated)
    recovery_certificate: bool | None = None
    attempts: int = 0
    #: "done", "overdue" (the 7 days passed first), or None while under way
    outcome: str | None = None
    detail: str = ""


class DccIncident(SQLModel, table=True):
    """An Incident the DCC raised (Incident Management Policy; here AC 5.12 for a CHF's post-commissioning)."""

    __tablename__ = "dcc_incident"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)
    device_id: str | None = Field(default=None, index=True)
    clause: str
    raised_at: datetime
    summary: str


class PcReportListedDevice(SQLModel, table=True):
    """A Device a Post Commissioning report lists (``dccsim.pc_report_devices``): the audit finds a Device's reports
    without reading every report's listing."""

    __tablename__ = "dcc_pc_report_device"

    report_id: int = Field(primary_key=True)
    device_id: str = Field(primary_key=True, index=True)


class PcReportDeviceIndexComplete(IndexBackfillMark, table=True):
    """Present once every report compiled before ``dcc_pc_report_device`` existed has its rows
    (``dccsim.pc_report_devices.ensure_indexed``)."""

    __tablename__ = "dcc_pc_report_device_backfill"

    reports_read: int = 0


class DccPcReport(SQLModel, table=True):
    """What the DCC compiles from the Post Commissioning Information (SEC Appendix AC 5.5, 5.8, 5.9, 5.11):
    ``daily-information`` (the day's listing, AC 5.5-5.7), ``daily-supplier`` (AC 5.9: per Supplier, available for
    30 days) and ``monthly`` (AC 5.8: to the Panel, the Security Sub-Committee and the Authority). Each is marked
    confidential (AC 5.11). Compiled by ``dccsim.post_commissioning_reports``."""

    __tablename__ = "dcc_pc_report"
    __table_args__ = (UniqueConstraint("kind", "period", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    #: the day ("2026-12-13") or month ("2026-12") reported on
    period: str = Field(index=True)
    recipient: str
    compiled_at: datetime
    #: AC 5.9: available for at least 30 days after the day reported on
    available_until: datetime | None = None
    marking: str = "CONFIDENTIAL"
    content: dict = Field(default_factory=dict, sa_column=Column(JSON))
