"""DCC Schedules (BAD 7.8.3; digest 06 §C), as far as Transitional Change of Supplier needs them: SRV 5.1 'Create
Schedule' (a Non-Device request, AB 16.1) keeps a DCC Schedule owned by its sender for one Device; a successful CoS
cancels the Losing Supplier's active ones with one DCC Alert N17 'Schedule removal because of CoS' each (BAD
7.7.1.5.4; SEC Appendix AD 3.8.75.4(b)), as decommissioning and suspension cancel them all
(``dccsim.pending_work.cancel_schedules``).

DECISION (simulation scope): the DCC keeps the Schedule but does not yet run its instances (SRV 5.2 / 5.3 and the
scheduled Service Requests are not simulated); what CoS needs — who owns which active Schedule on which Device —
is kept.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, Session, SQLModel, select

from dccflow.domain.ids import eui64_key
from dccsim.handlers.base import Ctx, Handler, Outcome

ACTIVE = "active"


class DccSchedule(SQLModel, table=True):
    """A DCC Schedule (DUIS DSPSchedule) and its state: ``active`` until cancelled."""

    __tablename__ = "dcc_schedule"

    schedule_id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(index=True)
    device_id: str = Field(index=True)
    #: the scheduled Service Reference Variant (DUIS DSPScheduledServiceReferenceVariant)
    srv: str
    frequency: str
    start_date: date
    end_date: date | None = None
    created_by_request: str
    created_at: datetime
    status: str = ACTIVE
    cancelled_at: datetime | None = None
    cancelled_reason: str | None = None


class CreateSchedule(Handler):
    """SRV 5.1 'Create Schedule' (BAD 7.8.3.5.1): a Non-Device request; the Device it schedules for is the one the
    generic checks judge (SMI status C, eligibility F), the reply carries the new DSPScheduleID."""

    srv = "5.1"

    def _device_id(self, ctx: Ctx) -> str:
        return eui64_key(ctx.body["DeviceID"])

    def status_device(self, ctx: Ctx) -> str | None:
        return self._device_id(ctx)

    def eligibility_device(self, ctx: Ctx) -> str | None:
        return self._device_id(ctx)

    def check(self, ctx: Ctx) -> None:
        ctx.device(self._device_id(ctx))

    def execute(self, ctx: Ctx) -> Outcome:
        body = ctx.body
        row = DccSchedule(owner=ctx.originator, device_id=self._device_id(ctx),
                          srv=str(body["DSPScheduledServiceReferenceVariant"]),
                          frequency=str(body["ScheduleFrequency"]), start_date=_date(body["ScheduleStartDate"]),
                          end_date=_date(body["ScheduleEndDate"]) if body.get("ScheduleEndDate") else None,
                          created_by_request=ctx.request_id, created_at=ctx.at)
        ctx.session.add(row)
        ctx.session.flush()
        return Outcome(payload=("DSPScheduleID", str(row.schedule_id)),
                       detail=f"DCC Schedule {row.schedule_id} for {row.device_id}")


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def active(session: Session, device_id: str, owner: str | None = None) -> list[DccSchedule]:
    q = select(DccSchedule).where(DccSchedule.device_id == eui64_key(device_id), DccSchedule.status == ACTIVE)
    if owner is not None:
        q = q.where(DccSchedule.owner == owner)
    return list(session.exec(q.order_by(DccSchedule.schedule_id)))

