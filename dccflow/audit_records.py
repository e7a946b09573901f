"""A snapshot of the DCC's own records that the obligations audit (:mod:`dccflow.audit`) judges: SMI devices
and status history, DCC Alerts sent, Service Requests accepted and refused, service-level measurements, CH
asset records, Post Commissioning Information and Device Log records. Filled by the audit activity
(``dccflow.scenarios.audit``) from the DCC's database; plain data here."""

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


class DccRecords(BaseModel):
    devices: list[DeviceRec] = Field(default_factory=list)
    smi_changes: list[SmiChangeRec] = Field(default_factory=list)
    alerts: list[AlertRec] = Field(default_factory=list)
    requests: list[RequestRec] = Field(default_factory=list)
    service_levels: list[ServiceLevelRec] = Field(default_factory=list)
    ch_assets: list[ChAssetRec] = Field(default_factory=list)
    pc_info: list[PcInfoRec] = Field(default_factory=list)
    #: CHF id → when the DCC last recorded its Device Log (AC 8.1)
    device_logs: dict[str, datetime] = Field(default_factory=dict)
    join_allowance_seconds: int = 0
    #: SRVs a Supplier may still send to a Device whose post-commissioning steps are overdue (AC 5.13)
    exempt_srvs: list[str] = Field(default_factory=list)
    restriction_after_days: int = 14

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
