"""A snapshot of the DCC's own records that the obligations audit (:mod:`dccflow.audit`) judges: SMI devices
and status history, DCC Alerts sent, Service Requests accepted and refused, service-level measurements, CH
asset records, Post Commissioning Information and Device Log records. Filled by the audit activity
(``dccflow_app.scenarios.audit``) from the DCC's database; plain data here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field


class DeviceRec(BaseModel):
    device_id: str
    device_type: str
    smi_status: str | None = None
    chf_id: str | None = None
    associated_with: str | None = None
    mpxn: str | None = None
    #: the Responsible Supplier's User ID at the end of the run (Smart Meters; a GPF by its GSME's MPRN)
    responsible_supplier: str | None = None


class SmiChangeRec(BaseModel):
    device_id: str
    from_status: str | None
    to_status: str
    at: datetime


class AlertRec(BaseModel):
    code: str
    device_id: str | None
    recipient: str
    at: datetime
    request_id: str | None = None


class RequestRec(BaseModel):
    """A Service Request the DCC accepted (request log) or refused (rejection log)."""

    request_id: str | None
    originator: str | None
    target: str | None
    srv: str | None
    at: datetime
    completed_at: datetime | None = None
    response_code: str | None = None
    join_time_period: int | None = None
    rejected: bool = False


class ServiceLevelRec(BaseModel):
    measure: str
    clause: str
    ref: str
    srv: str | None
    started_at: datetime
    stopped_at: datetime
    target_seconds: float
    elapsed_seconds: float


class ChAssetRec(BaseModel):
    chf_id: str
    srv: str
    at: datetime
    incident_ref: str | None = None
    details: dict = Field(default_factory=dict)


class PcInfoRec(BaseModel):
    device_id: str
    keys_regenerated_at: datetime | None = None
    device_certificate_stored_at: datetime | None = None
    network_operator_cell_at: datetime | None = None
    organisation_certificate_replaced_at: datetime | None = None


class DutyRec(BaseModel):
    """One of the DCC's own post-commissioning duties (AC 5.1 'chf-credentials', AC 5.3 'recovery-interrogation')."""

    device_id: str
    duty: str
    commissioned_at: datetime
    due: datetime
    done_at: datetime | None = None
    outcome: str | None = None
    recovery_certificate: bool | None = None
    attempts: int = 0
    detail: str = ""


class IncidentRec(BaseModel):
    ref: str
    device_id: str | None
    clause: str
    raised_at: datetime
    summary: str


class PcReportRec(BaseModel):
    """A Post Commissioning report or daily information the DCC compiled (AC 5.5, 5.8, 5.9, 5.11)."""

    kind: str
    period: str
    recipient: str
    compiled_at: datetime
    available_until: datetime | None = None
    marking: str
    device_ids: list[str] = Field(default_factory=list)


class DccRecords(BaseModel):
    devices: list[DeviceRec] = Field(default_factory=list)
    smi_changes: list[SmiChangeRec] = Field(default_factory=list)
    alerts: list[AlertRec] = Field(default_factory=list)
    requests: list[RequestRec] = Field(default_factory=list)
    service_levels: list[ServiceLevelRec] = Field(default_factory=list)
    ch_assets: list[ChAssetRec] = Field(default_factory=list)
    pc_info: list[PcInfoRec] = Field(default_factory=list)
    #: the DCC's own post-commissioning duties and the Incidents it raised (AC 5.1, 5.3, 5.12)
    dcc_duties: list[DutyRec] = Field(default_factory=list)
    incidents: list[IncidentRec] = Field(default_factory=list)
    pc_reports: list[PcReportRec] = Field(default_factory=list)
    #: CHF id → when the DCC last recorded its Device Log (AC 8.1)
    device_logs: dict[str, datetime] = Field(default_factory=dict)
    #: GPF id → when the DCC last stored its Device Log from a GCS62 (AC 8.1; BAD 7.2.1.6.12)
    gpf_device_logs: dict[str, datetime] = Field(default_factory=dict)
    join_allowance_seconds: int = 0
    #: SRVs a Supplier may still send to a Device whose post-commissioning steps are overdue (AC 5.13)
    exempt_srvs: list[str] = Field(default_factory=list)
    restriction_after_days: int = 14
    #: AC 5.2's 7 days; AC 5.13(a) restricts from then while the steps below are missing
    obligation_period_days: int = 7
    #: Device Type → the Post Commissioning Information steps whose absence restricts the Supplier (AC 5.13(a))
    restricting_steps: dict[str, list[str]] = Field(default_factory=dict)

    def type_of(self, device_id: str | None) -> str | None:
        return next((d.device_type for d in self.devices if d.device_id == device_id), None)

    def device(self, device_id: str | None) -> DeviceRec | None:
        return next((d for d in self.devices if d.device_id == device_id), None)

    def status_at(self, device_id: str, at: datetime) -> str | None:
        status = None
        for c in self.smi_changes:
            if c.device_id == device_id and c.at <= at:
                status = c.to_status
        return status

    def first_change(self, device_id: str, to: Iterable[str]) -> SmiChangeRec | None:
        to = set(to)
        return next((c for c in self.smi_changes if c.device_id == device_id and c.to_status in to), None)
