"""What every check of the obligations audit shares (:mod:`dccflow.audit`, :mod:`dccflow.audit_post_commissioning`):
the :class:`Verdict`, the context a check judges (:class:`AuditContext`) and how references and deadlines are
matched and computed."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from dccflow.audit_records import DccRecords
from dccflow.domain.calendar import working_day_deadline
from dccflow.domain.obligations import Obligation, TimeRule
from dccflow.events import ProcessEvent

Outcome = Literal["met", "breached", "not applicable", "not assessed"]


class ObligationFacts(BaseModel):
    """What an audit line says of the obligation it judges: its register entry, BAD step, actor, reference."""

    obligation: str
    bad_step: str
    actor: str
    ref: str
    summary: str
    judged: str


class Verdict(ObligationFacts):
    verdict: Outcome
    due: datetime | None = None
    actual: datetime | None = None
    device_id: str | None = None
    detail: str = ""


# -- helpers -----------------------------------------------------------------------------------------------------
def cites(refs: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether any ref is one of ``wanted`` or a sub-section of one ("BAD 7.2.2" covers "BAD 7.2.2.6.1",
    "SEC H5.1" covers "SEC H5.1(a)")."""
    wanted = tuple(wanted)
    for ref in refs:
        covering = _covering(ref)
        for w in wanted:
            if w in covering:
                return True
    return False


@functools.lru_cache(maxsize=65536)
def _covering(ref: str) -> frozenset[str]:
    """The references ``ref`` is one of or a sub-section of: itself and each leading part of it that ends before a
    '.', '(' or ' ' ("BAD 7.2.2.6.1": "BAD", "BAD 7", "BAD 7.2", "BAD 7.2.2", "BAD 7.2.2.6" and itself). An audit
    asks this of the same few hundred references for every step of every obligation: set look-ups, not a scan of
    prefixes each time."""
    return frozenset([ref, *(ref[:i] for i, ch in enumerate(ref) if ch in ".( ")])


def due_after(start: datetime, rule: TimeRule) -> datetime:
    if rule.unit == "working days":
        return working_day_deadline(start, rule.amount)
    if rule.unit == "days":
        return start + timedelta(days=rule.amount)
    return start + timedelta(seconds=rule.amount)


class AuditContext:
    def __init__(self, o: Obligation, events: list[ProcessEvent], triggers: list[ProcessEvent], rec: DccRecords):
        self.o, self.events, self.triggers, self.rec = o, events, triggers, rec
        self.end = max((e.at for e in events), default=None)

    def v(self, verdict: Outcome, *, due=None, actual=None, device_id=None, detail: str = "") -> Verdict:
        o = self.o
        return Verdict(obligation=o.id, bad_step=o.bad_step, actor=o.actor, ref=o.ref, summary=o.summary,
                       judged=o.judged.value, verdict=verdict, due=due, actual=actual, device_id=device_id,
                       detail=detail)

    def devices(self, types: Iterable[str] | None = None) -> list[tuple[str, ProcessEvent]]:
        """The Devices the triggering steps were about (first step per Device), of ``types`` if given."""
        seen: dict[str, ProcessEvent] = {}
        for e in self.triggers:
            if e.device_id and e.device_id not in seen and (types is None or self.rec.type_of(e.device_id) in types):
                seen[e.device_id] = e
        return list(seen.items())

    def not_reached(self, what: str) -> Verdict:
        return self.v("not applicable", detail=what)
