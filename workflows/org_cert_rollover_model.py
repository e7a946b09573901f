"""The state of an Organisation Certificate rollover campaign (BAD 7.7.2.5.6) as one serializable model, carried
across continue-as-new, and the pure rules the campaign workflow applies to it: which Device starts next, how the
Supplier paces itself under its own Anomaly Detection Threshold (SEC G6.3; Appendix AB 13.1; BAD 7.8.2), the
progress a query shows and the final report.

Deterministic: time is passed in (``workflow.now()``), nothing here reads a clock or does I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.org_cert_rollover import Threshold

Outcome = Literal["replaced", "failed"]


class CampaignInput(BaseModel):
    supplier_id: str
    #: the Devices to roll over; None: every Device the Supplier serves (``rollover_prepare``)
    device_ids: list[str] | None = None
    #: per-device round trips in flight at once
    concurrency: int = Field(default=50, ge=1)
    #: how long each Device's Service Response is waited for
    response_timeout: timedelta = timedelta(hours=2)
    #: continue-as-new once the history has this many events (besides when the server suggests it); tests force it
    history_threshold: int | None = None
    #: start paused (``resume`` starts the work)
    paused: bool = False


class DeviceOutcome(BaseModel):
    device_id: str
    outcome: Outcome
    reason: str = ""
    at: datetime
    #: the DCC quarantined the Signed Pre-Command and the Supplier released it (AB 12.3(a))
    released_from_quarantine: bool = False


class CampaignState(BaseModel):
    """Everything the campaign knows; the workflow's only state (continue-as-new passes it on). Compact, so that
    10,000 Devices stay far inside Temporal's payload limit: a replaced Device is its id, a failed one its id,
    reason and time, and the ADT budget counts round trips per minute."""

    inp: CampaignInput
    campaign_id: str
    phase: Literal["preparing", "rolling", "activating", "done"] = "preparing"
    new_serial: str | None = None
    previous_serial: str | None = None
    threshold: Threshold | None = None
    #: the DCC Alert code of the DCC's quarantine notice (AB 12.2)
    quarantine_alert_code: str = "N999"
    pending: list[str] = Field(default_factory=list)
    in_flight: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    failed: list[DeviceOutcome] = Field(default_factory=list)
    #: Devices whose Signed Pre-Command the DCC quarantined and the Supplier released (AB 12.3(a))
    released: list[str] = Field(default_factory=list)
    paused: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: round trips counted against the ADT, by the minute in which each finished (its Signed Pre-Command was
    #: counted by then), as ``YYYY-MM-DDTHH:MM`` of the minute's end
    counted: dict[str, int] = Field(default_factory=dict)
    runs: int = 1
    activated: bool = False


class Progress(BaseModel):
    campaign_id: str
    supplier_id: str
    phase: str
    paused: bool
    new_serial: str | None
    total: int
    pending: int
    in_flight: int
    replaced: int
    failed: int
    released_from_quarantine: int
    runs: int


class CampaignReport(BaseModel):
    """Each Device's outcome (replaced, or failed with its reason) and the totals."""

    campaign_id: str
    supplier_id: str
    previous_serial: str | None
    new_serial: str | None
    activated: bool
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    replaced: int
    failed: int
    replaced_devices: list[str]
    failed_devices: list[DeviceOutcome]
    released_from_quarantine: list[str]


def campaign_workflow_id(supplier_id: str, serial: str) -> str:
    """The business key: the Supplier's User ID and the serial of the Organisation Certificate being replaced
    (one rollover per certificate: starting it again finds the same campaign)."""
    return f"org-cert-rollover-{supplier_id}-{serial}"


def device_workflow_id(campaign_id: str, device_id: str) -> str:
    return f"{campaign_id}-{device_id}"


def progress(st: CampaignState) -> Progress:
    return Progress(campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id, phase=st.phase, paused=st.paused,
                    new_serial=st.new_serial,
                    total=len(st.pending) + len(st.in_flight) + len(st.replaced) + len(st.failed),
                    pending=len(st.pending), in_flight=len(st.in_flight), replaced=len(st.replaced),
                    failed=len(st.failed), released_from_quarantine=len(st.released), runs=st.runs)


def report(st: CampaignState) -> CampaignReport:
    p = progress(st)
    return CampaignReport(campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id,
                          previous_serial=st.previous_serial, new_serial=st.new_serial, activated=st.activated,
                          started_at=st.started_at, finished_at=st.finished_at, total=p.total, replaced=p.replaced,
                          failed=p.failed, replaced_devices=sorted(st.replaced),
                          failed_devices=sorted(st.failed, key=lambda o: o.device_id),
                          released_from_quarantine=sorted(st.released))


def _minute_end(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def budget(st: CampaignState, now: datetime) -> tuple[int, datetime | None]:
    """How many more round trips may start now without the Supplier exceeding its own ADT for SRV 6.15.1, and
    (when none) when one may: every round trip in flight, and every one finished within the window, may have been
    counted in it (counting comes first, then 'exceeds' is count > limit, AB 13.1; digest 06 §C.7). A round trip
    is taken to count from the end of the minute in which it finished (so a little longer than the DCC
    counts it)."""
    if st.threshold is None or st.threshold.limit < 1:  # no ADT, or one that quarantines every item: no pacing
        return st.inp.concurrency, None
    window = timedelta(seconds=st.threshold.window_seconds)
    st.counted = {m: n for m, n in st.counted.items() if datetime.fromisoformat(m) > now - window}
    room = st.threshold.limit - sum(st.counted.values()) - len(st.in_flight)
    if room > 0:
        return room, None
    oldest = min((datetime.fromisoformat(m) for m in st.counted), default=None)
    return 0, (oldest + window + timedelta(seconds=1)) if oldest is not None else None


def record(st: CampaignState, outcome: DeviceOutcome) -> None:
    st.in_flight = [d for d in st.in_flight if d != outcome.device_id]
    if outcome.outcome == "replaced":
        st.replaced.append(outcome.device_id)
    else:
        st.failed.append(outcome)
    if outcome.released_from_quarantine:
        st.released.append(outcome.device_id)
    minute = _minute_end(outcome.at).isoformat(timespec="minutes")
    st.counted[minute] = st.counted.get(minute, 0) + 1
