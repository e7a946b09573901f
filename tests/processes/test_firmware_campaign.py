"""Firmware wave campaign (BAD 7.5.3 over every Device of a model; issue 15) on an in-service fleet, on the
time-skipping server: waves (the canary first, the last size repeating), each Device a FirmwareUpgrade child; a
wave whose failure rate passes the threshold halts the campaign (the next wave never starts) until resumed; cancel;
continue-as-new keeps the state; the histories replay."""

from __future__ import annotations

from datetime import timedelta

from campaign_support import SUPPLIER_ID, firmware_requests, fleet_esmes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from dccflow_app.campaigns import firmware_versions, start_firmware_campaign
from workflows.firmware_campaign import FirmwareCampaignWorkflow
from workflows.firmware_campaign_model import FirmwareCampaignInput


async def _until_halted(stack, handle):
    """Step the time-skipping server's clock until the campaign halts (awaiting its result would let the server
    skip past the halt, to its end)."""
    with stack.env.auto_time_skipping_disabled():
        for _ in range(100):
            progress = await handle.query(FirmwareCampaignWorkflow.progress)
            if progress.halted is not None:
                return progress
            await stack.env.sleep(timedelta(minutes=5))
    raise AssertionError(f"the campaign did not halt: {progress}")


def _inp(**kw) -> FirmwareCampaignInput:
    return FirmwareCampaignInput(**{"supplier_id": SUPPLIER_ID, "model": "ESME", "to_version": "2.0.0", **kw})


async def test_waves_upgrade_every_device_once_and_report_each(stack):
    esmes = fleet_esmes(stack.runtime.engine, 4)
    handle = await start_firmware_campaign(stack.client, _inp(waves=[1, 2]))
    assert handle.id == "firmware-campaign-ESME-2.0.0"
    report = await handle.result()

    assert (report.end, report.outcome, report.upgraded, report.failed) == ("end_campaign_complete", "all upgraded",
                                                                             4, 0)
    assert [(w.number, w.size, w.failed) for w in report.waves] == [(1, 1, 0), (2, 2, 0), (3, 1, 0)]
    assert firmware_versions(stack.runtime.engine, esmes) == {d: "2.0.0" for d in esmes}
    assert [(r.device_id, r.outcome, r.firmware_version, r.alerts) for r in report.rows()] == [
        (d, "upgraded", "2.0.0", ["0x8F72"]) for d in esmes]
    update, activate = firmware_requests(stack.runtime.engine)
    assert update == {d: 1 for d in esmes} and activate == {d: 1 for d in esmes}
    assert [e.bpmn_id for e in report.events][:3] == ["start_firmware_campaign", "select_devices", "release_on_cpl"]
    assert [e.bpmn_id for e in report.events].count("wave_passed") == 3

    # started again for the same model and version: a new run finds every Device already there
    again = await (await start_firmware_campaign(stack.client, _inp())).result()
    assert (again.total, again.already_at_version) == (0, esmes)


async def test_a_failing_canary_halts_the_campaign_before_the_next_wave_and_resume_goes_on(stack):
    esmes = fleet_esmes(stack.runtime.engine, 5)
    stack.runtime.fleet.set_fault(esmes[0], "firmware-corrupt", "download")  # the canary's image fails its hash
    handle = await start_firmware_campaign(stack.client, _inp(waves=[1, 2], halt_above=0.02))
    halted = await _until_halted(stack, handle)

    assert halted.phase == "halted" and halted.paused and halted.in_flight == 0
    assert halted.halted == "wave 1: 1 of 1 failed (100.0%), above 2.0%"
    assert (halted.succeeded, halted.failed, halted.pending) == (0, 1, 4)
    with stack.env.auto_time_skipping_disabled():
        await stack.env.sleep(timedelta(days=2))
        still = await handle.query(FirmwareCampaignWorkflow.progress)
    assert (still.phase, still.wave, still.pending) == ("halted", 1, 4)  # the next wave never started
    assert firmware_versions(stack.runtime.engine, esmes) == {d: "1.0.0" for d in esmes}

    resumed = await handle.execute_update(FirmwareCampaignWorkflow.resume)
    assert resumed.halted is None and not resumed.paused
    report = await handle.result()
    assert (report.end, report.outcome, report.upgraded, report.failed) == ("end_campaign_incomplete", "some failed",
                                                                             4, 1)
    (failed,) = report.failed_devices
    # its version as the Supplier knows it: not read back (no 11.2 after a rejected image) and the in-service
    # fleet's SMI records none
    assert failed.item == esmes[0] and failed.version is None and failed.alerts == ["0x8F1C"]
    assert firmware_versions(stack.runtime.engine, esmes[:1]) == {esmes[0]: "1.0.0"}
    assert report.halted == "wave 1: 1 of 1 failed (100.0%), above 2.0%"
    steps = [e.bpmn_id for e in report.events]
    assert steps.index("campaign_halted") < steps.index("campaign_resumed") < steps.index("end_campaign_incomplete")
    assert firmware_versions(stack.runtime.engine, esmes[1:]) == {d: "2.0.0" for d in esmes[1:]}


async def test_cancel_at_a_halt_reports_the_devices_never_started(stack):
    esmes = fleet_esmes(stack.runtime.engine, 3)
    stack.runtime.fleet.set_fault(esmes[0], "firmware-corrupt", "download")
    handle = await start_firmware_campaign(stack.client, _inp(waves=[1], halt_above=0.5))
    await _until_halted(stack, handle)
    cancelled = await handle.execute_update(FirmwareCampaignWorkflow.cancel)
    assert cancelled.cancelled
    report = await handle.result()
    assert (report.end, report.outcome, report.not_started) == ("end_campaign_halted", "halted after wave 1", 2)
    assert [(r.device_id, r.outcome) for r in report.rows()] == [(esmes[0], "failed"), (esmes[1], "not started"),
                                                                 (esmes[2], "not started")]


async def test_a_halted_campaign_not_resumed_within_the_halt_timeout_stops_as_halted(stack):
    esmes = fleet_esmes(stack.runtime.engine, 3)
    stack.runtime.fleet.set_fault(esmes[0], "firmware-corrupt", "download")
    report = await (await start_firmware_campaign(stack.client, _inp(waves=[1]))).result()
    assert (report.end, report.outcome, report.upgraded, report.not_started) == ("end_campaign_halted",
                                                                                  "halted after wave 1", 0, 2)
    steps = [e.bpmn_id for e in report.events]
    assert steps[-3:] == ["campaign_halted", "halt_review_elapsed", "end_campaign_halted"]
    assert report.finished_at - report.waves[0].ended_at >= timedelta(days=30)


async def test_continue_as_new_keeps_the_waves_and_the_histories_replay(stack):
    from workflows import USER_WORKFLOWS
    from workflows.firmware_upgrade import FirmwareUpgradeWorkflow

    esmes = fleet_esmes(stack.runtime.engine, 4)
    handle = await start_firmware_campaign(stack.client, _inp(waves=[1, 1], concurrency=1, history_threshold=20))
    report = await handle.result()
    progress = await handle.query(FirmwareCampaignWorkflow.progress)
    assert progress.runs > 1 and report.upgraded == 4
    assert [w.size for w in report.waves] == [1, 1, 1, 1]
    update, _ = firmware_requests(stack.runtime.engine)
    assert update == {d: 1 for d in esmes}

    replayer = Replayer(workflows=[*USER_WORKFLOWS, FirmwareUpgradeWorkflow], data_converter=pydantic_data_converter)
    histories, run_id = [], handle.first_execution_run_id
    while run_id:
        history = await stack.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        histories.append(history)
        run_id = history.events[-1].workflow_execution_continued_as_new_event_attributes.new_execution_run_id or None
    assert len(histories) > 1
    histories.append(await stack.client.get_workflow_handle(f"firmware-upgrade-{esmes[0]}-{handle.id}")
                     .fetch_history())
    for history in histories:
        await replayer.replay_workflow(history, raise_on_replay_failure=True)


async def test_a_campaign_larger_than_the_default_threshold_raises_it_first_and_nothing_is_quarantined(stack):
    """The DCC quarantines a User's requests beyond its Anomaly Detection Threshold (AB 12.2). A campaign raises the
    Supplier's ADT for 11.1, 11.3 and 11.2 by its Devices before its first one, so none is held (a 10,000-Device
    campaign against the default of 10,000 a day had its last Device quarantined)."""
    from sqlmodel import select

    from dccflow.db import session_scope
    from dccsim.config import AnomalyThreshold
    from dccsim.records import QuarantinedItem

    dcc = stack.runtime.dcc
    dcc.config.default_user_threshold = AnomalyThreshold(limit=2, window=timedelta(hours=24))
    esmes = fleet_esmes(stack.runtime.engine, 4)
    report = await (await start_firmware_campaign(stack.client, _inp(waves=[4]))).result()

    assert (report.end, report.upgraded, report.failed) == ("end_campaign_complete", 4, 0)
    assert firmware_versions(stack.runtime.engine, esmes) == {d: "2.0.0" for d in esmes}
    with session_scope(stack.runtime.engine) as s:
        assert s.exec(select(QuarantinedItem)).all() == []
    selected = next(e.detail for e in report.events if e.bpmn_id == "select_devices")
    assert selected.endswith("the Supplier's ADT now 11.1: 6, 11.3: 6, 11.2: 6")
    # asked again (a retried activity, a second campaign of the same size), the thresholds stay as they are
    assert dcc.raise_anomaly_threshold(user_id=SUPPLIER_ID, srv="11.1", at_least=6, at=report.events[0].at) == 6
