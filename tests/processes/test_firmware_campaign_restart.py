"""Durability of the firmware wave campaign (issue 15): the worker process is killed (SIGKILL) in the middle of the
campaign, its canary wave's Devices downloading the image, and a new worker takes over on the same database. The
campaign finishes with every Device upgraded exactly once: the DCC logged one SRV 11.1 naming each Device and one
SRV 11.3 (one image activation) for each, and refused nothing as a replay.

As ``test_worker_restart.py``: the first worker runs in a subprocess on the time-skipping server with time skipping
off (nothing awaits a result), so the campaign advances in real time and parks with the canary's meters in their
Zigbee OTA download (a 10-minute device timer); it is killed there, when no activity and no workflow task of the
campaign, its children or the DCC's workflows is running (an activity abandoned by a dead worker would hold the
time-skipping server's clock until its start-to-close timeout passed in real time)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from campaign_support import SUPPLIER_ID, assert_upgraded_exactly_once, firmware_requests, fleet_esmes
from sqlmodel import select
from test_worker_restart import _quiet, kill_worker, worker_in_subprocess

from dccflow.config import Settings
from dccflow.db import get_engine, session_scope
from dccflow.events import ProcessEvent
from dccflow_app.campaigns import firmware_versions, start_firmware_campaign
from dccflow_app.runtime import Runtime
from dccsim.models import RequestLogEntry
from dccsim.processing import dcc_workflow_id
from dccsim.suspension import cpl_workflow_id
from workflows.firmware_campaign_model import FirmwareCampaignInput


async def _kill_point(client, handle, engine, canary: list[str]) -> list[str]:
    """Wait until both canary Devices have been sent the image (11.1) and everything is idle; their workflows."""
    children = [f"firmware-upgrade-{device_id}-{handle.id}" for device_id in canary]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        try:
            steps = [{e.bpmn_id for e in await client.get_workflow_handle(child).query(
                "process_events", result_type=list[ProcessEvent])} for child in children]
        except Exception:  # noqa: BLE001 - not yet started
            continue
        if not all("update_firmware" in s for s in steps):
            continue
        with session_scope(engine) as s:
            logged = list(s.exec(select(RequestLogEntry.request_id)))
        ids = [handle.id, *children, cpl_workflow_id(1), *(dcc_workflow_id(r) for r in logged)]
        if await _quiet(client, ids) and await _quiet(client, ids):
            return children
    raise AssertionError("the canary wave did not reach its download within 90 s")


async def test_killed_worker_mid_campaign_every_device_upgraded_exactly_once(tmp_path: Path):
    async with worker_in_subprocess(tmp_path) as (env, first):
        engine = get_engine(Settings(data_dir=tmp_path).db_url)
        esmes = fleet_esmes(engine, 6)
        handle = await start_firmware_campaign(env.client, FirmwareCampaignInput(
            supplier_id=SUPPLIER_ID, model="ESME", to_version="2.0.0", waves=[2, 4]))

        await _kill_point(env.client, handle, engine, esmes[:2])
        await kill_worker(first)
        # killed in the middle: the first worker sent the canary's 11.1s; no meter runs the new version yet, the
        # second wave not started
        assert firmware_requests(engine) == ({d: 1 for d in esmes[:2]}, {})
        assert firmware_versions(engine, esmes) == {d: "1.0.0" for d in esmes}

        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        async with runtime.serving():
            report = await asyncio.wait_for(handle.result(), timeout=180)

        assert_upgraded_exactly_once(report, runtime.engine, esmes, [2, 4])
