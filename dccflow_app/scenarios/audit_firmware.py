"""The DCC's records of Manage Firmware for the obligations audit (BAD 7.5.3; ``dccflow.audit_firmware``): each 11.1
distribution to the run's Devices, each DCC-initiated upgrade of the run's CHs, and the Firmware Version the SMI
holds for each Device (``dccsim.firmware_records``, ``dccsim.models.SmiDevice``)."""

from __future__ import annotations

from sqlmodel import select

from dccflow.audit_firmware_records import ChUpgradeRec, DistributionRec, FirmwareRecords
from dccflow.moments import as_utc


def firmware_records(s, ids: set[str]) -> FirmwareRecords:
    from dccsim.firmware_records import ChFirmwareRecord, FirmwareDistribution
    from dccsim.models import SmiDevice

    distributions = [DistributionRec(request_id=d.request_id, device_id=d.device_id, supplier_id=d.supplier_id,
                                     started_at=as_utc(d.started_at), attempts=d.attempts,
                                     delivered_at=as_utc(d.delivered_at),
                                     download_completed_at=as_utc(d.download_completed_at), alert=d.alert,
                                     alert_at=as_utc(d.alert_at))
                     for d in s.exec(select(FirmwareDistribution).where(FirmwareDistribution.device_id.in_(ids))
                                     .order_by(FirmwareDistribution.started_at))]
    upgrades = [ChUpgradeRec(chf_id=u.chf_id, to_version=u.to_version, security_urgent=u.security_urgent,
                             checks=dict(u.checks or {}), distributed_at=as_utc(u.distributed_at), refused=u.refused,
                             notice_at=as_utc(u.notice_at), notified=list(u.notified or []),
                             activated_at=as_utc(u.activated_at), activated=u.activated)
                for u in s.exec(select(ChFirmwareRecord).where(ChFirmwareRecord.chf_id.in_(ids)))]
    versions = {d.device_id: d.firmware_version for d in s.exec(select(SmiDevice).where(SmiDevice.device_id.in_(ids)))}
    return FirmwareRecords(distributions=distributions, ch_upgrades=upgrades, smi_versions=versions)
