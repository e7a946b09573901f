"""A firmware campaign's report shows, per failed Device, the alerts its FirmwareUpgrade steps stand for (BAD
7.5.3.6.2): the Device Alerts, and the DCC Alerts that end a distribution — N22 (image not delivered to the CH)
and N23 (no download-complete Response from the CH) — from the steps themselves, not only from what stopped
the process."""

from __future__ import annotations

from datetime import UTC, datetime

from dccflow.events import ProcessEvent
from workflows.firmware_campaign_model import ALERT_OF_STEP, alerts_of
from workflows.firmware_upgrade import NOT_DISTRIBUTED, FirmwareUpgradeResult
from workflows.firmware_upgrade_steps import FIRMWARE_UPGRADE_STEPS

AT = datetime(2026, 12, 7, 10, tzinfo=UTC)


def _result(*steps: str, stopped_by: str | None) -> FirmwareUpgradeResult:
    events = [ProcessEvent(bpmn_id=s, actor=FIRMWARE_UPGRADE_STEPS[s].actor, at=AT,
                           refs=list(FIRMWARE_UPGRADE_STEPS[s].refs), device_id="ESME-1") for s in steps]
    return FirmwareUpgradeResult(outcome="failed", end="end_not_distributed", reason="", events=events,
                                 stopped_by=stopped_by)


def test_download_not_confirmed_is_reported_as_n23():
    assert ALERT_OF_STEP["download_not_confirmed"] == "N23"
    # from the step, whatever stopped the process (here: the receipt's timeout after it)
    assert alerts_of(_result("update_firmware", "download_not_confirmed", stopped_by="timeout")) == ["N23"]
    # and once, when N23 is also what stopped it
    assert alerts_of(_result("update_firmware", "download_not_confirmed", stopped_by="N23")) == ["N23"]


def test_every_dcc_alert_that_ends_a_distribution_has_its_code_in_the_report():
    assert {step: ALERT_OF_STEP.get(step) for step in NOT_DISTRIBUTED.values()} == {
        "image_not_delivered": "N22", "download_not_confirmed": "N23"}
    assert all(step in FIRMWARE_UPGRADE_STEPS.ids for step in ALERT_OF_STEP)
