"""The generic part of a durable fleet campaign (``workflows.campaign``): the settings every campaign takes, the state
every campaign keeps (the items pending, in flight, succeeded and failed; the waves; paused, halted, cancelled) as
one serializable model carried across continue-as-new, and the pure rules applied to it: which wave an item
belongs to, when a wave is over, when a wave's failure rate halts the campaign.

One mechanism for every fleet-wide piece of work (issue 15): the Organisation Certificate rollover (BAD 7.7.2.5.6,
``workflows.org_cert_rollover``, one wave of every Device, never halting) and the firmware wave campaign (BAD 7.5.3,
``workflows.firmware_campaign``, a canary wave first, halting above a failure rate).

DECISIONS where the Code is silent (it has no campaign rules: a Supplier's own planning, digest 03 §F):

* waves: the sizes given, the last size repeating (``1,10,100``: 1, then 10, then 100 at a time); none given: one
  wave of every item;
* a wave's failure rate is its failed items over its items; the campaign halts when that rate is *above* the
  threshold (``halt_above``) and items remain; the last wave never halts (nothing is left to protect);
* a halted campaign is paused with its reason; ``resume`` clears both and the next wave starts; with neither a
  ``resume`` nor a ``cancel`` within ``halt_timeout`` (default 30 days) it stops by itself, as halted (a campaign
  does not wait for ever; its report then lists the Devices never started);
* ``cancel`` starts nothing more; items in flight finish; the items never started are reported as such.

Deterministic: time is passed in (``workflow.now()``); nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from dccflow.events import ProcessEvent


class CampaignSettings(BaseModel):
    """What every campaign's input holds besides its own work."""

    #: items in flight at once
    concurrency: int = Field(default=50, ge=1)
    #: continue-as-new once the history has this many events (besides when the server suggests it); tests force it
    history_threshold: int | None = None
    #: start paused (``resume`` starts the work)
    paused: bool = False
    #: wave sizes, the last one repeating; empty: one wave of every item
    waves: list[int] = Field(default_factory=list)
    #: halt after a wave whose failure rate (0-1) is above this; None: never halt
    halt_above: float | None = Field(default=None, ge=0, le=1)
    #: how long a halted campaign waits for ``resume`` or ``cancel`` before it stops by itself; None: for ever
    halt_timeout: timedelta | None = timedelta(days=30)


class ItemFailure(BaseModel):
    """An item that failed: why, when, and what it showed (a Device's firmware version and alerts)."""

    item: str
    reason: str
    at: datetime
    version: str | None = None
    alerts: list[str] = Field(default_factory=list)


class WaveResult(BaseModel):
    number: int
    size: int
    failed: int
    started_at: datetime
    ended_at: datetime

    @property
    def failure_rate(self) -> float:
        return self.failed / self.size if self.size else 0.0


class CampaignCore(BaseModel):
    """The state every campaign keeps; a campaign's own state model extends it (its ``inp`` its own input)."""

    inp: CampaignSettings
    campaign_id: str
    phase: str = "preparing"
    pending: list[str] = Field(default_factory=list)
    in_flight: list[str] = Field(default_factory=list)
    succeeded: list[str] = Field(default_factory=list)
    failed: list[ItemFailure] = Field(default_factory=list)
    paused: bool = False
    #: why the campaign halted (a wave's failure rate); None when it is not halted
    halted: str | None = None
    #: the last halt's reason, kept for the report after a resume or a cancel
    last_halt: str | None = None
    halted_at: datetime | None = None
    cancelled: bool = False
    #: the wave being worked: its number (from 1), items still to start, items it holds, failures so far
    wave: int = 0
    wave_open: bool = False
    wave_left: int = 0
    wave_size: int = 0
    wave_failed: int = 0
    wave_started_at: datetime | None = None
    waves: list[WaveResult] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    runs: int = 1
    #: the campaign's own process events (waves, halts; ``CampaignEngine.campaign_steps``), not the items'
    events: list[ProcessEvent] = Field(default_factory=list)


class CampaignProgress(BaseModel):
    """What a campaign's ``progress`` query shows (a campaign's own progress model extends it)."""

    campaign_id: str
    #: the campaign's phase; ``halted`` while a wave's failure rate has halted it
    phase: str
    paused: bool
    halted: str | None = None
    cancelled: bool = False
    total: int
    pending: int
    in_flight: int
    succeeded: int
    failed: int
    wave: int = 0
    waves: list[WaveResult] = Field(default_factory=list)
    runs: int


def wave_size(sizes: list[int], number: int, pending: int) -> int:
    """The size of wave ``number`` (from 1): the sizes given, the last one repeating; none: everything pending."""
    if not sizes:
        return pending
    return max(1, sizes[min(number, len(sizes)) - 1])


def progress_fields(st: CampaignCore) -> dict:
    """The generic fields of a campaign's progress (``CampaignProgress``)."""
    return dict(campaign_id=st.campaign_id, phase="halted" if st.halted else st.phase, paused=st.paused,
                halted=st.halted, cancelled=st.cancelled,
                total=len(st.pending) + len(st.in_flight) + len(st.succeeded) + len(st.failed),
                pending=len(st.pending), in_flight=len(st.in_flight), succeeded=len(st.succeeded),
                failed=len(st.failed), wave=st.wave, waves=list(st.waves), runs=st.runs)


def start_item(st: CampaignCore) -> str | None:
    """The next item to start, moved in flight, or None when none may start now (paused, halted, cancelled, the
    wave's items all started, or ``concurrency`` in flight)."""
    if st.paused or st.cancelled or not st.wave_open or st.wave_left <= 0 or not st.pending \
            or len(st.in_flight) >= st.inp.concurrency:
        return None
    item = st.pending.pop(0)
    st.wave_left -= 1
    st.in_flight.append(item)
    return item


def record(st: CampaignCore, item: str, failure: ItemFailure | None) -> None:
    """An item's outcome: succeeded, or failed (counted against the wave it started in: a wave stays open until
    its items in flight have finished)."""
    st.in_flight = [i for i in st.in_flight if i != item]
    if failure is None:
        st.succeeded.append(item)
    else:
        st.failed.append(failure)
        st.wave_failed += 1


def advance_waves(st: CampaignCore, now: datetime) -> tuple[WaveResult | None, int | None]:
    """Close the open wave once its items have all started and finished, halting the campaign when its failure
    rate is above ``halt_above`` and items remain; then open the next wave unless paused, halted or cancelled.
    Returns (the wave just closed, the number of the wave just opened)."""
    closed = opened = None
    if st.wave_open and (st.wave_left <= 0 or not st.pending or st.cancelled) and not st.in_flight:
        closed = WaveResult(number=st.wave, size=st.wave_size - max(st.wave_left, 0), failed=st.wave_failed,
                            started_at=st.wave_started_at or now, ended_at=now)
        st.waves.append(closed)
        st.wave_open, st.wave_left = False, 0
        limit = st.inp.halt_above
        if st.pending and not st.cancelled and limit is not None and closed.failure_rate > limit:
            st.halted = st.last_halt = (f"wave {closed.number}: {closed.failed} of {closed.size} failed "
                                        f"({closed.failure_rate:.1%}), above {limit:.1%}")
            st.paused, st.halted_at = True, now
    if not st.wave_open and st.pending and not st.paused and not st.cancelled:
        st.wave += 1
        st.wave_size = st.wave_left = min(wave_size(st.inp.waves, st.wave, len(st.pending)), len(st.pending))
        st.wave_open, st.wave_failed, st.wave_started_at = True, 0, now
        opened = st.wave
    return closed, opened


def parse_waves(text: str) -> list[int]:
    """``1,10,100`` → [1, 10, 100] (each at least 1)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"waves {text!r}: give sizes as whole numbers, e.g. 1,10,100") from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"waves {text!r}: give at least one size, each at least 1, e.g. 1,10,100")
    return sizes


def parse_rate(text: str) -> float:
    """``2%`` or ``0.02`` → 0.02."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"rate {text!r}: give a percentage (2%) or a fraction (0.02)") from None
    if not 0 <= value <= 1:
        raise ValueError(f"rate {text!r} must be between 0% and 100%")
    return value
