"""A firmware wave campaign's input, state, steps and report (BAD 7.5.3 over every Device of a Device Model; issue
15): the generic campaign's (``workflows.campaign_model``) extended with the release and each Device's outcome.

The steps are data: ``bpmn/firmware_campaign.bpmn`` holds the same ids (a test keeps them equal). Each Device's own
steps are its ``FirmwareUpgrade`` workflow's (``bpmn/firmware_upgrade.bpmn``, the call activity ``upgrade_device``).

Deterministic: nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.domain.alerts import FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE, DeviceAlert
    from dccflow.events import ProcessEvent, ProcessStep, StepRegistry
    from workflows.campaign_model import (
        CampaignCore,
        CampaignProgress,
        CampaignSettings,
        ItemFailure,
        WaveResult,
        progress_fields,
    )
    from workflows.firmware_upgrade import NOT_DISTRIBUTED

PROCESS = "firmware_campaign"
_REFS = ("BAD 7.5.3",)

FIRMWARE_CAMPAIGN_STEPS = StepRegistry(PROCESS, [
    ProcessStep(bpmn_id="start_firmware_campaign", name="The Supplier plans a firmware campaign for a Device Model",
                actor="Supplier", refs=("BAD 7.5.3.1",)),
    ProcessStep(bpmn_id="select_devices",
                name="The Devices of the model it serves, commissioned, not yet at the version", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="release_on_cpl",
                name="The manufacturer's release is put on the CPL (the Panel's extract to the DCC)", actor="Panel",
                refs=("BAD 7.5.3.5", "BAD 7.1.2.4.1")),
    ProcessStep(bpmn_id="wave_started", name="A wave starts (the canary first)", actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="upgrade_device", name="Manage Firmware for each Device of the wave (FirmwareUpgrade)",
                actor="Supplier", refs=("BAD 7.5.3.6.1", "BAD 7.5.3.6.2", "BAD 7.5.3.6.3", "BAD 7.5.3.6.6")),
    ProcessStep(bpmn_id="wave_passed", name="The wave's failure rate is within the threshold", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="campaign_halted", name="The wave's failure rate passed the threshold: the campaign halts",
                actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="campaign_resumed", name="The Supplier resumes it: the next wave", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="cancelled_at_halt", name="The Supplier cancels it at the halt", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="halt_review_elapsed",
                name="Neither resumed nor cancelled within the halt timeout: the campaign stops", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="campaign_paused", name="The Supplier pauses the campaign: no Device starts",
                actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="campaign_unpaused", name="The Supplier resumes the paused campaign", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="pause_over", name="Devices start again", actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="campaign_cancelled", name="The Supplier cancels the campaign: no Device starts",
                actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="end_campaign_complete", name="Every Device runs the new firmware", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="end_campaign_incomplete", name="Some Devices failed (each reported)", actor="Supplier",
                refs=_REFS),
    ProcessStep(bpmn_id="end_campaign_halted", name="Stopped at a halt: the Devices left are not upgraded",
                actor="Supplier", refs=_REFS),
    ProcessStep(bpmn_id="end_campaign_cancelled", name="Cancelled: the Devices left are not upgraded",
                actor="Supplier", refs=_REFS),
])

#: the alerts a Device's FirmwareUpgrade steps stand for (its report's "alerts"): the Device Alerts, and the DCC
#: Alerts that end a distribution (N22 ``image_not_delivered``, N23 ``download_not_confirmed``; BAD 7.5.3.6.2)
ALERT_OF_STEP = {
    "distribution_receipt_success": f"0x{DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_SUCCESS:04X}",
    "distribution_receipt_failure": f"0x{DeviceAlert.FIRMWARE_DISTRIBUTION_RECEIPT_FAILURE:04X}",
    "future_dated_activation_alert": f"0x{FUTURE_DATED_FIRMWARE_ACTIVATION_MESSAGE_CODE:04X}",
    **{step: code for code, step in NOT_DISTRIBUTED.items()},
}
_ALERT_CODE = re.compile(r"N\d{1,3}|0x[0-9A-Fa-f]{4}")


class FirmwareCampaignInput(CampaignSettings):
    supplier_id: str
    #: the Device Model (the SMI's model; the simulator's Devices without one: their Device Type, e.g. ESME)
    model: str
    manufacturer: str | None = None
    to_version: str
    #: a selection of Devices; None: every commissioned Device of the model the Supplier serves
    device_ids: list[str] | None = None
    image_size: int = 4096
    #: have the release put on the CPL first (once, for the campaign; BAD 7.5.3.5)
    list_on_cpl: bool = True
    #: a future-dated activation this long after the CS06 is sent; None: at once
    activate_after: timedelta | None = None
    response_timeout: timedelta = timedelta(hours=2)
    #: the defaults of ``dccflow campaign firmware``: a canary, then 10, then 100 at a time; halt above 2%
    waves: list[int] = Field(default_factory=lambda: [1, 10, 100])
    halt_above: float | None = Field(default=0.02, ge=0, le=1)


class FirmwareCampaignState(CampaignCore):
    inp: FirmwareCampaignInput
    phase: Literal["preparing", "upgrading", "done"] = "preparing"
    manufacturer: str | None = None
    already_at_version: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    end: str | None = None


class FirmwareCampaignProgress(CampaignProgress):
    model: str
    to_version: str


class DeviceRow(BaseModel):
    """One Device in the final report."""

    device_id: str
    outcome: Literal["upgraded", "failed", "not started", "already at version"]
    firmware_version: str | None
    alerts: list[str] = Field(default_factory=list)
    reason: str = ""


class FirmwareCampaignReport(BaseModel):
    """The final report: the waves, the totals and each Device's outcome. Compact: an upgraded Device is its id
    (it runs ``to_version``; its alerts ``success_alerts``), a failed one its reason, version and alerts."""

    campaign_id: str
    supplier_id: str
    manufacturer: str | None
    model: str
    to_version: str
    end: str
    #: all upgraded, some failed, halted after wave N, cancelled
    outcome: str
    halted: str | None
    waves: list[WaveResult]
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    upgraded: int
    failed: int
    not_started: int
    upgraded_devices: list[str]
    failed_devices: list[ItemFailure]
    not_started_devices: list[str]
    already_at_version: list[str]
    excluded: list[str]
    success_alerts: list[str]
    events: list[ProcessEvent] = Field(default_factory=list)

    def rows(self) -> list[DeviceRow]:
        rows = [DeviceRow(device_id=d, outcome="upgraded", firmware_version=self.to_version,
                          alerts=self.success_alerts) for d in self.upgraded_devices]
        rows += [DeviceRow(device_id=f.item, outcome="failed", firmware_version=f.version, alerts=f.alerts,
                           reason=f.reason) for f in self.failed_devices]
        rows += [DeviceRow(device_id=d, outcome="not started", firmware_version=None) for d in self.not_started_devices]
        rows += [DeviceRow(device_id=d, outcome="already at version", firmware_version=self.to_version)
                 for d in self.already_at_version]
        return sorted(rows, key=lambda r: r.device_id)


def campaign_workflow_id(model: str, to_version: str) -> str:
    """The business key: the Device Model and the version (one campaign per release of a model)."""
    return f"firmware-campaign-{model}-{to_version}"


def alerts_of(result) -> list[str]:
    """The alerts a Device's ``FirmwareUpgradeResult`` shows: those its steps stand for, and the DCC Alert or
    Device Alert that stopped it."""
    codes = [ALERT_OF_STEP[e.bpmn_id] for e in result.events if e.bpmn_id in ALERT_OF_STEP]
    if result.stopped_by and _ALERT_CODE.fullmatch(result.stopped_by):
        codes.append(result.stopped_by)
    return list(dict.fromkeys(codes))


def success_alerts(inp: FirmwareCampaignInput) -> list[str]:
    return [ALERT_OF_STEP["distribution_receipt_success"],
            *([ALERT_OF_STEP["future_dated_activation_alert"]] if inp.activate_after is not None else [])]


def end_of(st: FirmwareCampaignState) -> tuple[str, str]:
    """(the end event, the outcome) of a finished campaign."""
    if st.cancelled and st.halted:
        return "end_campaign_halted", f"halted after wave {st.waves[-1].number if st.waves else 0}"
    if st.cancelled:
        return "end_campaign_cancelled", "cancelled"
    return ("end_campaign_incomplete", "some failed") if st.failed else ("end_campaign_complete", "all upgraded")


def progress(st: FirmwareCampaignState) -> FirmwareCampaignProgress:
    return FirmwareCampaignProgress(**progress_fields(st), model=st.inp.model, to_version=st.inp.to_version)


def report(st: FirmwareCampaignState) -> FirmwareCampaignReport:
    end, outcome = end_of(st)
    return FirmwareCampaignReport(
        campaign_id=st.campaign_id, supplier_id=st.inp.supplier_id, manufacturer=st.manufacturer, model=st.inp.model,
        to_version=st.inp.to_version, end=end, outcome=outcome, halted=st.last_halt, waves=list(st.waves),
        started_at=st.started_at, finished_at=st.finished_at,
        total=len(st.succeeded) + len(st.failed) + len(st.pending), upgraded=len(st.succeeded),
        failed=len(st.failed), not_started=len(st.pending), upgraded_devices=sorted(st.succeeded),
        failed_devices=sorted(st.failed, key=lambda f: f.item), not_started_devices=sorted(st.pending),
        already_at_version=list(st.already_at_version), excluded=list(st.excluded),
        success_alerts=success_alerts(st.inp), events=list(st.events))
