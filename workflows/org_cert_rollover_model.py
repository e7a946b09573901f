"""The state of an Organisation Certificate rollover campaign (BAD 7.7.2.5.6) as one serializable model, carried
across continue-as-new (the generic campaign's, ``workflows.campaign_model``, extended), and the pure rules the
campaign workflow applies to it: which Device starts next, how the
Supplier paces itself under its own Anomaly Detection Threshold (SEC G6.3; Appendix AB 13.1; BAD 7.8.2), the
progress a query shows and the final report.

Deterministic: time is passed in (``workflow.now()``), nothing here reads a clock or does I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.org_cert_rollover import Threshold
    from workflows.campaign_model import (
        CampaignCore,
        CampaignProgress,
        CampaignSettings,
        ItemFailure,
        progress_fields,
    )

Outcome = Literal["replaced", "failed"]


class CampaignInput(CampaignSettings):
    """The rollover's input; ``concurrency``, ``history_threshold`` and ``paused`` are every campaign's
    (``CampaignSettings``). No waves and no halting: one wave of every Device."""

    supplier_id: str
    #: the Devices to roll over; None: every Device the Supplier serves (``rollover_prepare``)
    device_ids: list[str] | None = None
    #: how long each Device's Service Response is waited for
    response_timeout: timedelta = timedelta(hours=2)


class DeviceOutcome(BaseModel):
    device_id: str
    outcome: Outcome
    reason: str = ""
    at: datetime
    #: the DCC quarantined the Signed Pre-Command and the Supplier released it (AB 12.3(a))
    released_from_quarantine: bool = False


class CampaignState(CampaignCore):
    """Everything the campaign knows; the workflow's only state (continue-as-new passes it on): the generic
    campaign's (``CampaignCore``: pending, in flight, succeeded = replaced, failed, paused, runs) and the
    rollover's own. Compact, so that 10,000 Devices stay far inside Temporal's payload limit: a replaced Device is
    its id, a failed one its id, reason and time, and the ADT budget counts round trips per minute."""

    inp: CampaignInput
    #: preparing, rolling, activating, done
    phase: Literal["preparing", "rolling", "activating", "done"] = "preparing"
    new_serial: str | None = None
    previous_serial: str | None = None
    threshold: Threshold | None = None
    #: the DCC Alert code of the DCC's quarantine notice (AB 12.2)
    quarantine_alert_code: str = "N999"
    #: Devices whose Signed Pre-Command the DCC quarantined and the Supplier released (AB 12.3(a))
    released: list[str] = Field(default_factory=list)
    #: round trips counted against the ADT, by the minute in which each finished (its Signed Pre-Command was
    #: counted by then), as ``YYYY-MM-DDTHH:MM`` of the minute's end
    counted: dict[str, int] = Field(default_factory=dict)
    activated: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_before_the_generic_campaign(cls, data: object) -> object:
        """A state carried across continue-as-new by the rollover before it ran on the generic campaign
        (``replaced``, and failures as ``DeviceOutcome``): read as the generic campaign's."""
        if isinstance(data, dict) and "replaced" in data and "succeeded" not in data:
            data = {**data, "succeeded": data["replaced"],
                    "failed": [{"item": f["device_id"], "reason": f.get("reason", ""), "at": f["at"]}
                               if "device_id" in f else f for f in data.get("failed", [])]}
            data.pop("replaced")
        return data


class Progress(CampaignProgress):
    supplier_id: str
    new_serial: str | None
    #: Devices whose Supplier cell holds the new certificate (the campaign's ``succeeded``)
    replaced: int
    released_from_quarantine: int


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
    return Progress(**progress_fields(st), supplier_id=st.inp.supplier_id, new_serial=st.new_serial,
                    replaced=len(st.succeeded), released_from_quarantine=len(st.released))


def report(st: CampaignState) -> CampaignReport:
    p = progress(st)
    return CampaignReport(campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id,
                          previous_serial=st.previous_serial, new_serial=st.new_serial, activated=st.activated,
                          started_at=st.started_at, finished_at=st.finished_at, total=p.total, replaced=p.replaced,
                          failed=p.failed, replaced_devices=sorted(st.succeeded),
                          failed_devices=sorted((DeviceOutcome(device_id=f.item, outcome="failed", reason=f.reason,
                                                               at=f.at, released_from_quarantine=f.item in st.released)
                                                 for f in st.failed), key=lambda o: o.device_id),
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


def outcome_of(st: CampaignState, outcome: DeviceOutcome) -> ItemFailure | None:
    """A Device's round trip as the campaign records it (``campaign_model.record`` moves it out of flight): counted
    against the ADT in the minute it finished, released from quarantine or not; None when replaced."""
    if outcome.released_from_quarantine:
        st.released.append(outcome.device_id)
    minute = _minute_end(outcome.at).isoformat(timespec="minutes")
    st.counted[minute] = st.counted.get(minute, 0) + 1
    if outcome.outcome == "replaced":
        return None
    return ItemFailure(item=outcome.device_id, reason=outcome.reason, at=outcome.at)
