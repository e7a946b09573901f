"""What the DCC records of Manage Firmware (BAD 7.5.3), for its own workflows and for the obligations audit
(``dccflow.audit_firmware``):

* ``FirmwareDistribution``: one row per SRV 11.1 and Device the DCC distributes the image to (BAD 7.5.3.6.2): its
  attempts to reach the Device's CH, when the CH acknowledged the image, when the download completed (the meter's
  Firmware Distribution Receipt reaching the DCC through the CH), and the DCC Alert that ended it (N22 / N23);
* ``ChFirmwareRecord``: one row per DCC-initiated CH upgrade (BAD 7.5.3.6.5; SEC AB 5.1-5.2): the AB 5.1 checks
  and their outcome, when the relevant Users were told, and when the image was activated.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel


class FirmwareDistribution(SQLModel, table=True):
    __tablename__ = "dcc_firmware_distribution"

    request_id: str = Field(primary_key=True)
    device_id: str = Field(primary_key=True)
    supplier_id: str
    started_at: datetime
    #: dispatches of the image to the Device's CH (the first included)
    attempts: int = 0
    delivered_at: datetime | None = None
    download_completed_at: datetime | None = None
    #: N22 (the CH never acknowledged) or N23 (no download-complete Response), and when it was sent
    alert: str | None = None
    alert_at: datetime | None = None


class ChFirmwareRecord(SQLModel, table=True):
    __tablename__ = "dcc_ch_firmware"

    workflow_id: str = Field(primary_key=True)
    chf_id: str = Field(index=True)
    to_version: str
    security_urgent: bool = False
    #: AB 5.1 (a)-(d) as the DCC checked them before distributing: {"a": true, ...}
    checks: dict = Field(default_factory=dict, sa_column=Column(JSON))
    distributed_at: datetime | None = None
    refused: str = ""
    #: AB 5.2: when the relevant Users were told, and who
    notice_at: datetime | None = None
    notified: list = Field(default_factory=list, sa_column=Column(JSON))
    activated_at: datetime | None = None
    activated: bool | None = None
