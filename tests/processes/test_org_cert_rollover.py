"""Organisation Certificate rollover campaign (BAD 7.7.2.5.6; SRV 6.15.1 round trips) on an in-service fleet, on the
time-skipping server: every Device's Supplier cell ends holding the new certificate; pause and resume; a Device
that refuses is reported with its reason while the rest complete; continue-as-new keeps the state; Threshold
Anomaly Detection (BAD 7.8.2) is got through by pacing and by releasing what is quarantined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import SUPPLIER
from dccflow_app.campaigns import build_in_service_fleet, start_rollover, supplier_cell_serials
from dccsim.records import QuarantinedItem
from devices.premises import premises_ids
from workflows.org_cert_rollover import OrgCertRolloverWorkflow
from workflows.org_cert_rollover_model import CampaignInput

SUPPLIER_ID = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]


def _fleet(stack, count: int, faults=None) -> list[str]:
    report = build_in_service_fleet(stack.runtime.engine, count, datetime.now(UTC), faults=faults)
    return [premises_ids(n).esme_id for n in range(report.first_number, report.last_number + 1)]


async def test_campaign_puts_the_new_certificate_in_every_supplier_cell(stack):
    esmes = _fleet(stack, 4)
    before = supplier_cell_serials(stack.runtime.engine, esmes)
    old = str(stack.runtime.keys.get(SUPPLIER_ID).cert.serial_number)
    assert set(before.values()) == {old}

    handle = await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID, concurrency=2))
    assert handle.id == f"org-cert-rollover-{SUPPLIER_ID}-{old}"
    report = await handle.result()

    assert (report.total, report.replaced, report.failed) == (4, 4, 0)
    assert report.previous_serial == old and report.new_serial != old
    assert report.replaced_devices == sorted(esmes) and report.failed_devices == []
    assert supplier_cell_serials(stack.runtime.engine, esmes) == {d: report.new_serial for d in esmes}
    # the Supplier signs with its new key from now on
    assert report.activated and str(stack.runtime.keys.get(SUPPLIER_ID).cert.serial_number) == report.new_serial
    # starting it again for the same certificate is not a second campaign: that certificate is no longer current
    again = await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID, device_ids=[]))
    assert again.id == f"org-cert-rollover-{SUPPLIER_ID}-{report.new_serial}"
    assert (await again.result()).total == 0


async def test_a_refusing_device_is_reported_with_its_reason_and_the_rest_complete(stack):
    esmes = _fleet(stack, 3)
    stack.runtime.fleet.set_fault(esmes[1], "refuse-signature")
    report = await (await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID))).result()

    assert (report.replaced, report.failed) == (2, 1)
    (failed,) = report.failed_devices
    assert failed.device_id == esmes[1] and failed.reason.startswith("Service Response")
    assert report.replaced_devices == sorted([esmes[0], esmes[2]])
    cells = supplier_cell_serials(stack.runtime.engine, esmes)
    assert cells[esmes[1]] == report.previous_serial
    assert cells[esmes[0]] == cells[esmes[2]] == report.new_serial

    # the Supplier now signs with its new key, but that Device's Commands with the retired one: the next campaign
    # reaches it (and the others, with the new key)
    stack.runtime.fleet.clear_fault(esmes[1], "refuse-signature")
    # (real time: each wait on the idle time-skipping server may jump years, past the certificates' expiry)
    with stack.env.auto_time_skipping_disabled():
        second = await (await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID))).result()
    assert second.previous_serial == report.new_serial
    assert (second.replaced, second.failed) == (3, 0)
    assert set(supplier_cell_serials(stack.runtime.engine, esmes).values()) == {second.new_serial}


async def test_pause_stops_new_round_trips_and_resume_finishes(stack):
    esmes = _fleet(stack, 4)
    handle = await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID, concurrency=1))
    paused = await handle.execute_update(OrgCertRolloverWorkflow.pause)
    assert paused.paused and paused.in_flight == 0 and paused.replaced < 4
    await stack.env.sleep(timedelta(hours=6))
    still = await handle.query(OrgCertRolloverWorkflow.progress)
    assert (still.replaced, still.failed, still.in_flight) == (paused.replaced, paused.failed, 0)
    assert still.pending == 4 - still.replaced - still.failed > 0

    resumed = await handle.execute_update(OrgCertRolloverWorkflow.resume)
    assert not resumed.paused
    report = await handle.result()
    assert report.replaced == 4
    assert set(supplier_cell_serials(stack.runtime.engine, esmes).values()) == {report.new_serial}


async def test_continue_as_new_keeps_the_campaign_state(stack):
    esmes = _fleet(stack, 5)
    handle = await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID, concurrency=1,
                                                              history_threshold=20))
    report = await handle.result()
    progress = await handle.query(OrgCertRolloverWorkflow.progress)
    assert progress.runs > 1  # it continued as new at least once
    assert (report.total, report.replaced) == (5, 5)
    assert report.replaced_devices == sorted(esmes)
    assert report.previous_serial and report.new_serial and report.started_at < report.finished_at


async def test_the_campaign_paces_itself_under_the_suppliers_threshold(stack):
    esmes = _fleet(stack, 5)
    stack.runtime.dcc.set_anomaly_threshold(user_id=SUPPLIER_ID, srv="6.15.1", limit=2, window=timedelta(hours=1),
                                            at=datetime.now(UTC))
    report = await (await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID))).result()
    assert report.replaced == 5
    with session_scope(stack.runtime.engine) as s:
        assert s.exec(select(QuarantinedItem)).all() == []
    assert report.finished_at - report.started_at >= timedelta(hours=2)  # 2 an hour: 3 windows
    assert set(supplier_cell_serials(stack.runtime.engine, esmes).values()) == {report.new_serial}


async def test_a_quarantined_signed_pre_command_is_released_by_the_supplier(stack):
    esmes = _fleet(stack, 3)
    # the DCC's aggregate threshold, which the Supplier does not know: the third item is quarantined (one at a
    # time: the simulated DCC counts concurrent items each in its own transaction)
    stack.runtime.dcc.set_anomaly_threshold(user_id=None, srv="6.15.1", limit=2, window=timedelta(hours=24),
                                            at=datetime.now(UTC))
    report = await (await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID,
                                                                     concurrency=1))).result()
    assert report.replaced == 3
    assert len(report.released_from_quarantine) == 1
    with session_scope(stack.runtime.engine) as s:
        assert [q.status for q in s.exec(select(QuarantinedItem))] == ["released"]
    assert set(supplier_cell_serials(stack.runtime.engine, esmes).values()) == {report.new_serial}


async def test_the_campaign_and_its_device_workflows_replay_deterministically(stack):
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from workflows import USER_WORKFLOWS

    esmes = _fleet(stack, 3)
    stack.runtime.dcc.set_anomaly_threshold(user_id=SUPPLIER_ID, srv="6.15.1", limit=2, window=timedelta(hours=1),
                                            at=datetime.now(UTC))
    handle = await start_rollover(stack.client, CampaignInput(supplier_id=SUPPLIER_ID, concurrency=2,
                                                              history_threshold=25))
    await handle.execute_update(OrgCertRolloverWorkflow.pause)
    await handle.execute_update(OrgCertRolloverWorkflow.resume)
    report = await handle.result()
    assert report.replaced == 3
    replayer = Replayer(workflows=USER_WORKFLOWS, data_converter=pydantic_data_converter)
    histories, run_id = [], handle.first_execution_run_id
    while run_id:  # the campaign's runs, following continue-as-new
        history = await stack.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id or None
    assert len(histories) > 1  # it continued as new
    for device in esmes:
        histories.append(await stack.client.get_workflow_handle(f"{handle.id}-{device}").fetch_history())
    for history in histories:
        await replayer.replay_workflow(history, raise_on_replay_failure=True)
