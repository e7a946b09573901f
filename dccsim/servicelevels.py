"""Service levels: each measured activity is recorded against its Target Response Time when it ends (SEC H3.14,
H3.15), and a month's figures are computed for the H13 report (SEC H13.1, H13.4; digest 08 §A.12, §F.1–F.2).

Times are the DCC's own (the ``at`` it is given: virtual time under the time-skipping test server). Clock rules
(H3.15; digest 08 §F.2): a Pre-Command from receipt of the Critical Service Request; a Non-Critical on-demand
Service Response from receipt of the request, a Critical one from receipt of the Signed Pre-Command, a
future-dated one from its execution date-time; quarantine time is disregarded; a Device Alert from its
arrival at the CHF (taken as the time the Device raised it), a DCC Alert from the DCC event that caused it
(the sources name no start for DCC Alerts; digest 08 §F.2 ambiguity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from dccflow.prepared import Prepared
from dccsim.config import CPM_LEVELS, TARGETS
from dccsim.records import ServiceLevelRecord

_INSERT = Prepared(ServiceLevelRecord.__table__.insert())  # compiled once per dialect (dccflow.prepared)


def record(s: Session, measure: str, ref: str, *, started_at: datetime, stopped_at: datetime,
           srv: str | None = None, user_id: str | None = None, excluded_seconds: float = 0.0,
           new: bool = False) -> None:
    """Record one measurement (once: a retried step does not measure twice). ``new``: the caller knows it was
    not measured before (the unique (measure, ref) would refuse a second record anyway)."""
    if not new:
        exists = s.exec(select(ServiceLevelRecord.id).where(ServiceLevelRecord.measure == measure,
                                                            ServiceLevelRecord.ref == ref)).first()
        if exists is not None:
            return
    values = dict(measure=measure, ref=ref, srv=srv, user_id=user_id, started_at=started_at, stopped_at=stopped_at,
                  target_seconds=TARGETS[measure].target.total_seconds(), excluded_seconds=excluded_seconds)
    if new:
        _INSERT.execute(s.connection(), values)  # Core: no object for a row nothing reads back here
    else:
        s.add(ServiceLevelRecord(**values))


@dataclass(frozen=True)
class Figure:
    measure: str
    target_seconds: float
    clause: str
    count: int
    within: int
    #: Code Performance Measure Target and Minimum Service Level (%), if the measure is one
    levels: tuple[float, float] | None

    @property
    def percent(self) -> float | None:
        return 100.0 * self.within / self.count if self.count else None

    @property
    def verdict(self) -> str:
        """H13.4: at or above Target; below Target (reason required); below Minimum (also remediation)."""
        if self.levels is None or self.percent is None:
            return ""
        target, minimum = self.levels
        if self.percent >= target:
            return "meets Target"
        return "below Target" if self.percent >= minimum else "below Minimum"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def latest_month(s: Session) -> date | None:
    last = s.exec(select(ServiceLevelRecord.stopped_at).order_by(ServiceLevelRecord.stopped_at.desc())).first()
    return date(last.year, last.month, 1) if last else None


def monthly_figures(s: Session, month: date) -> list[Figure]:
    """Every measure for the Performance Measurement Period (a calendar month, H13.1), in target order."""
    start, end = month_bounds(month)
    rows = s.exec(select(ServiceLevelRecord).where(ServiceLevelRecord.stopped_at >= start,
                                                   ServiceLevelRecord.stopped_at < end)).all()
    figures = []
    for measure, target in TARGETS.items():
        mine = [r for r in rows if r.measure == measure]
        figures.append(Figure(measure=measure, target_seconds=target.target.total_seconds(), clause=target.clause,
                              count=len(mine), within=sum(r.within_target for r in mine),
                              levels=CPM_LEVELS.get(measure)))
    return figures
