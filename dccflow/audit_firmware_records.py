"""The DCC's records of Manage Firmware that the obligations audit judges (BAD 7.5.3; register
``dccflow.domain.obligations_firmware``, checks ``dccflow.audit_firmware``): each SRV 11.1 distribution to a Device
(the CH's acknowledgment, the download-complete Response, N22 / N23), each DCC-initiated CH upgrade (SEC AB 5.1's
checks, AB 5.2's notice, the activation) and the Firmware Version the SMI holds for each Device. Filled by the audit
activity (``dccflow_app.scenarios.audit_firmware``) from ``dccsim.firmware_records``; plain data here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DistributionRec(BaseModel):
    request_id: str
    device_id: str
    supplier_id: str
    started_at: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    download_completed_at: datetime | None = None
    alert: str | None = None
    alert_at: datetime | None = None


class ChUpgradeRec(BaseModel):
    chf_id: str
    to_version: str
    security_urgent: bool = False
    #: AB 5.1 (a)-(d) as the DCC checked them
    checks: dict[str, bool] = Field(default_factory=dict)
    distributed_at: datetime | None = None
    refused: str = ""
    notice_at: datetime | None = None
    notified: list[str] = Field(default_factory=list)
    activated_at: datetime | None = None
    activated: bool | None = None


class FirmwareRecords(BaseModel):
    distributions: list[DistributionRec] = Field(default_factory=list)
    ch_upgrades: list[ChUpgradeRec] = Field(default_factory=list)
    #: Device ID → the Firmware Version the SMI holds at the end of the run
    smi_versions: dict[str, str | None] = Field(default_factory=dict)
