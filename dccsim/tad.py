"""Threshold Anomaly Detection (BAD 7.8.2; SEC G6; Appendix AB 12–13; Appendix AA; digest 06 §C).

Every Non-Critical Service Request and every Critical Signed Pre-Command is counted, per User and SRV, before
its Command may be sent (AB 13.1; the Critical case counts the Signed Pre-Command, AB 12.1, BAD 7.8.2.1);
Non-Device requests are exempt (AB 16.1(c)). Counting comes first, then "exceeds" means count > limit in the
rolling window (digest 06 §C.7). A breach is not a rejection: the item is quarantined, the User is notified
(AB 12.2) and no Command is sent until the User releases it (AB 12.3(a), 13.1(b)(ii)); deleted items are
never sent (AB 12.3(b)). Order of the ADTs: DCC-set aggregate, then User-set (BAD 7.8.2.5.2 step 3; the
packet-inspection ADT of G6.6(b) was never specified and is not modelled).

Thresholds are the User's ADT File as applied by the DCC (``set_threshold``, AA 3.7) or the configured
defaults (``DccConfig``); they are data in the DCC's database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from dccflow.prepared import Prepared
from dccsim.config import AnomalyThreshold, DccConfig
from dccsim.models import insert_values
from dccsim.records import AnomalyCount, AnomalyDetectionThreshold, QuarantinedItem

USER_BREACH = "ADUserThresholdBreach"
DCC_BREACH = "ADDCCThresholdBreach"


@dataclass(frozen=True)
class Breach:
    kind: str
    threshold: AnomalyThreshold
    count: int

    @property
    def detail(self) -> str:
        who = "User-set" if self.kind == USER_BREACH else "DCC-set"
        return (f"{who} Anomaly Detection Threshold exceeded: {self.count} in {self.threshold.window} "
                f"(limit {self.threshold.limit})")


def set_threshold(s: Session, *, user_id: str | None, srv: str, limit: int, window: timedelta,
                  at: datetime) -> None:
    """Apply an ADT (User-set, SEC G6.3 / AA 3.7; or DCC-set aggregate with ``user_id=None``, G6.6)."""
    row = s.exec(select(AnomalyDetectionThreshold).where(AnomalyDetectionThreshold.user_id == user_id,
                                                         AnomalyDetectionThreshold.srv == srv)).first()
    row = row or AnomalyDetectionThreshold(user_id=user_id, srv=srv, limit=limit, window_seconds=0, applied_at=at)
    row.limit, row.window_seconds, row.applied_at = limit, int(window.total_seconds()), at
    s.add(row)


def user_threshold(s: Session, config: DccConfig, *, user_id: str, srv: str) -> AnomalyThreshold:
    """The User-set ADT in force for ``srv`` (the DCC's default for Users when the User set none)."""
    row = s.exec(select(AnomalyDetectionThreshold).where(AnomalyDetectionThreshold.user_id == user_id,
                                                         AnomalyDetectionThreshold.srv == srv)).first()
    return _as_threshold(row, config.default_user_threshold)


def _as_threshold(row: AnomalyDetectionThreshold | None, default: AnomalyThreshold) -> AnomalyThreshold:
    return AnomalyThreshold(limit=row.limit, window=timedelta(seconds=row.window_seconds)) if row else default


_thresholds = AnomalyDetectionThreshold.__table__
_counts = AnomalyCount.__table__
#: the DCC-set (``user_id`` NULL) and the User's ADT of an SRV, in one query (``dccflow.prepared``: the intake's path)
_APPLIED = Prepared(sa_select(_thresholds.c.user_id, _thresholds.c.limit, _thresholds.c.window_seconds).where(
    _thresholds.c.srv == bindparam("srv"),
    or_(_thresholds.c.user_id.is_(None), _thresholds.c.user_id == bindparam("user_id"))))
#: both counts of an SRV, each over its own window, in one index-only range scan (``ix_dcc_anomaly_count_srv_at_user``)
_COUNTED = Prepared(sa_select(
    func.count(case((_counts.c.at > bindparam("dcc_from"), 1))),
    func.count(case((and_(_counts.c.user_id == bindparam("user_id"), _counts.c.at > bindparam("user_from")), 1))),
).where(_counts.c.srv == bindparam("srv"), _counts.c.at > bindparam("from_"), _counts.c.at <= bindparam("at")))


def count_and_check(s: Session, config: DccConfig, *, user_id: str, srv: str, request_id: str,
                    at: datetime) -> Breach | None:
    """Count the item, then apply the DCC-set and the User-set ADTs (BAD 7.8.2.5.2): both thresholds in one
    query, both counts in another (each over its own window)."""
    insert_values(s, AnomalyCount, dict(user_id=user_id, srv=srv, request_id=request_id, at=at))  # counted first
    conn = s.connection()
    applied = {user: AnomalyThreshold(limit=limit, window=timedelta(seconds=window))
               for user, limit, window in _APPLIED.all(conn, {"srv": srv, "user_id": user_id})}
    dcc_set = applied.get(None, config.default_dcc_threshold)
    user_set = applied.get(user_id, config.default_user_threshold)
    all_counted, users_counted = _COUNTED.first(conn, {
        "srv": srv, "user_id": user_id, "at": at, "dcc_from": at - dcc_set.window, "user_from": at - user_set.window,
        "from_": at - max(dcc_set.window, user_set.window)})
    for kind, threshold, count in ((DCC_BREACH, dcc_set, all_counted), (USER_BREACH, user_set, users_counted)):
        if count > threshold.limit:
            return Breach(kind, threshold, count)
    return None


def quarantine(s: Session, *, request_id: str, user_id: str, srv: str, breach: Breach,
               at: datetime) -> QuarantinedItem:
    """Hold the item (AB 12.2). Its QuarantineEventRef is 20 digits: the time and a sequence number."""
    number = s.exec(select(func.count()).select_from(QuarantinedItem)).one() + 1
    item = QuarantinedItem(quarantine_event_ref=f"{at:%Y%m%d%H%M%S}{number % 10**6:06d}", request_id=request_id,
                           user_id=user_id, srv=srv, breach=breach.kind, detail=breach.detail, at=at)
    s.add(item)
    return item


def quarantined_item(s: Session, event_ref: str) -> QuarantinedItem:
    item = s.get(QuarantinedItem, event_ref)
    if item is None:
        raise LookupError(f"no quarantined item {event_ref}")
    return item
