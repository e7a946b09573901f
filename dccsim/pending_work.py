"""Work the DCC holds for a Device and cancels when the Device leaves service: future-dated (DSP) requests whose
Command has not been sent (SEC H3.20; BAD 7.6.2.5.5, 7.1.2.4.3).

* Decommissioning (SRV 8.3): N33 to the sender of each cancelled request for the Device, N34 for those of the GPF
  of a decommissioned CHF (AD 3.8.100.5(g), (h)); schedules: N6 (AD (e), (f)).
* Suspension: N41 per cancelled request, N40 per schedule (BAD 7.1.2.4.3).
* Change of Supplier (SRV 6.23): the Losing Supplier's only, N38 each; its DCC Schedules, N17 each
  (AD 3.8.75.4(b), (c); ``dccsim.handlers.cos``, ``dccsim.schedules``).

A cancelled request is at stage ``cancelled``: its DCC workflow, when its execution time comes, finds it so and sends
nothing (``dccsim.processing.Processing.recheck_at_execution``). Only requests still waiting for their execution
time are cancelled; one whose time has come is being sent (BAD 7.8.5.4.1) and is no longer "pending".

DCC Schedules (``dccsim.schedules``, created by SRV 5.1) still active for the Device are cancelled the same way: one
N6 / N40 to each schedule's owner (AD 3.8.100.5(e): "to the DCC Schedule owner(s)").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from dccflow.domain.ids import eui64_key
from dccsim.handlers.base import Notice
from dccsim.models import RequestLogEntry

#: the stage of a future-dated request the DCC still holds before its execution time (``dccsim.intake``)
HELD = "accepted"


def held_future_dated(s: Session, device_ids: Iterable[str], originator: str | None = None) -> list[RequestLogEntry]:
    """The future-dated requests addressed to these Devices that the DCC still holds, oldest first; only
    ``originator``'s if given (a CoS cancels the Losing Supplier's, AD 3.8.75.4(c))."""
    wanted = {eui64_key(d) for d in device_ids}
    if not wanted:
        return []
    query = select(RequestLogEntry).where(RequestLogEntry.execution_at != None,  # noqa: E711
                                          RequestLogEntry.stage == HELD)
    if originator is not None:
        query = query.where(RequestLogEntry.originator == originator)
    rows = s.exec(query.order_by(RequestLogEntry.received_at)).all()
    return [r for r in rows if eui64_key(r.target) in wanted]


def cancel_future_dated(s: Session, device_ids: Iterable[str], alert_code: str, at: datetime, *,
                        originator: str | None = None) -> list[Notice]:
    """Cancel the held future-dated requests for the Devices (``originator``'s only, if given); one ``alert_code``
    notice to each request's sender, naming the cancelled request (SEC H3.20: "notify the User")."""
    notices = []
    for entry in held_future_dated(s, device_ids, originator):
        entry.stage, entry.completed_at = "cancelled", at
        s.add(entry)
        notices.append(Notice(alert_code, entry.originator, eui64_key(entry.target),
                              {"cancelled_request_id": entry.request_id}, tag=entry.request_id))
    return notices


def cancel_schedules(s: Session, device_ids: Iterable[str], alert_code: str, at: datetime, why: str, *,
                     owner: str | None = None) -> list[Notice]:
    """Cancel the active DCC Schedules of the Devices (``owner``'s only, if given: a CoS cancels the Losing
    Supplier's, AD 3.8.75.4(b)); one ``alert_code`` notice to each schedule's owner."""
    from dccsim.schedules import active

    notices = []
    for device_id in dict.fromkeys(eui64_key(d) for d in device_ids):
        for schedule in active(s, device_id, owner):
            schedule.status, schedule.cancelled_at, schedule.cancelled_reason = f"cancelled ({why})", at, why
            s.add(schedule)
            notices.append(Notice(alert_code, schedule.owner, schedule.device_id,
                                  {"schedule_id": schedule.schedule_id}, names_request=False,
                                  tag=f"schedule-{schedule.schedule_id}"))
    return notices
