"""The DCC's record of each CHF's Device Log: the latest CS14 'CHF Device Log Changed' Alert, whether received over
the SM WAN or returned by SRV 8.13 after a local join (BAD 7.2.2.6.3). BAD 7.2.1.6.7: the DCC keeps the latest and
discards older ones; Replace Communications Hub restores the new CHF's Device Log from it (BAD 7.6.1; SEC Appendix
AC 8.1). The GPF's counterpart, from GCS62, is ``dccsim.gpf_device_log``."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dccflow.security.certinfo import utc
from dccsim.models import LatestCs14


def keep_cs14(s: Session, chf_id: str, at: datetime, device_log: list[dict]) -> bool:
    """Store a CS14 unless a later one is already held (a retried delivery may bring an older one after a newer
    one). Returns whether it was stored."""
    row = s.get(LatestCs14, chf_id)
    if row is not None and utc(row.at) > utc(at):
        return False
    row = row or LatestCs14(chf_id=chf_id, at=at)
    row.at, row.device_log = at, list(device_log)
    s.add(row)
    return True
