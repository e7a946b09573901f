"""The DCC's record of each GPF's Device Log, from the 'Backup GPF Device Log' Alert (GCS62) the GPF sends after its
Device Log changes (BAD 7.2.1.6.12: "the data is stored for use during the Communications Hub replacement process
(as described in section 7.6.1) to restore the GPF device Log (Service Request 8.12.2)"; 7.2.2.6.3-4: returned by
SRV 8.13 after a local join). SEC Appendix AC 8.1: the DCC keeps an up-to-date record of each GPF's Device Log.

The Alert is kept per GPF (a GPF has no MPxN and no Responsible Supplier: it is not forwarded to a User); only the
latest one is kept, as for the CHF's CS14 (BAD 7.2.1.6.7).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dccsim.chf_device_log import superseded
from dccsim.inventory import Inventory
from dccsim.models import GpfDeviceLogBackup


def keep_gcs62(s: Session, gpf_id: str, at: datetime, device_log: list[dict], received_via: str = "sm-wan") -> bool:
    """Store a GCS62 unless a later one is already held. Returns whether it was stored."""
    row = s.get(GpfDeviceLogBackup, gpf_id)
    if superseded(row.at if row is not None else None, at):
        return False
    dev = Inventory(s).find(gpf_id)
    row = row or GpfDeviceLogBackup(gpf_id=gpf_id, at=at)
    row.chf_id = dev.chf_id if dev is not None else row.chf_id
    row.at, row.device_log, row.received_via = at, list(device_log), received_via
    s.add(row)
    return True


def gpf_device_log_to_restore(s: Session, gpf_id: str) -> list[dict] | None:
    """The GPF Device Log a Replace Communications Hub restores with SRV 8.12.2 (BAD 7.6.1): the latest GCS62's,
    or None when the DCC never received one."""
    row = s.get(GpfDeviceLogBackup, gpf_id)
    return list(row.device_log) if row is not None else None
