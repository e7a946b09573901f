"""The DCC's record of each CHF's Device Log: the latest CS14 'CHF Device Log Changed' Alert, whether received over
the SM WAN or returned by SRV 8.13 after a local join (BAD 7.2.2.6.3). BAD 7.2.1.6.7: the DCC keeps the latest and
discards older ones; Replace Communications Hub restores the new CHF's Device Log from it (BAD 7.6.1; SEC Appendix
AC 8.1). The GPF's counterpart, from GCS62, is ``dccsim.gpf_device_log``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from dccsim.models import LatestCs14


def superseded(held_at: datetime | None, at: datetime) -> bool:
    """Whether a Device Log alert raised at ``at`` is older than the one held (raised at ``held_at``): the DCC keeps
    the latest only (BAD 7.2.1.6.7), for the CHF's CS14 and the GPF's GCS62 (``dccsim.gpf_device_log``) alike; one
    of the same time replaces it. A time read back without its zone is UTC."""
    if held_at is None:
        return False
    return held_at.replace(tzinfo=held_at.tzinfo or UTC) > at.replace(tzinfo=at.tzinfo or UTC)


def keep_cs14(s: Session, chf_id: str, at: datetime, device_log: list[dict]) -> bool:
    """Store a CS14 unless a later one is already held (a retried delivery may bring an older one after a newer
    one). Returns whether it was stored."""
    row = s.get(LatestCs14, chf_id)
    if superseded(row.at if row is not None else None, at):
        return False
    row = row or LatestCs14(chf_id=chf_id, at=at)
    row.at, row.device_log = at, list(device_log)
    s.add(row)
    return True
