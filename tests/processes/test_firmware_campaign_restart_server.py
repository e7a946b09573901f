"""Durability of the firmware wave campaign across a Temporal **server** restart (issue 15): the dev server of
``dccflow up`` (``dccflow_app.embedded.start_dev_server``: history in a SQLite file) is killed (SIGKILL) in the
middle of a campaign, its canary's meter downloading the image, and started again on the same database file and
port. dccflow's workers stay up meanwhile (their polls fail, then reach the new server). The campaign finishes with
every Device upgraded exactly once: the DCC logged one SRV 11.1 naming each Device and one SRV 11.3 (one image
activation) for each, and refused nothing as a replay.

The time-skipping test server keeps nothing across a restart, so this runs on the dev server in real time: the
meters' Zigbee OTA download (10 minutes, ``devices.catalogue.OTA_DOWNLOAD_SECONDS``) is shortened for the test, as
``bench/firmware_campaign.py --ota-seconds`` does, and the campaign is small (3 ESMEs, waves 1 then 2). The kill
comes when no activity and no workflow task is running (``_kill_point``): an activity whose completion a dead server
never received would be retried only after its 60 s start-to-close timeout (a correct, but slow, path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from campaign_support import SUPPLIER_ID, assert_upgraded_exactly_once, firmware_requests, fleet_esmes
from port_support import free_ports
from temporalio.client import WorkflowExecutionStatus
from test_firmware_campaign_restart import _kill_point

import devices.catalogue as catalogue
import devices.firmware as device_firmware
from dccflow.config import Settings
from dccflow_app.campaigns import firmware_versions, start_firmware_campaign
from dccflow_app.embedded import start_dev_server
from dccflow_app.runtime import Runtime
from dccflow_app.server_checks import _children_listening
from workflows.firmware_campaign import FirmwareCampaignWorkflow
from workflows.firmware_campaign_model import FirmwareCampaignInput

#: the meters' OTA download in this test: long enough to stop the server in it, short enough to keep the test short
OTA_SECONDS = 8




async def _kill_server(port: int) -> None:
    """SIGKILL the dev server this process started on ``port`` (no orderly shutdown: nothing is flushed)."""
    (pid,) = _children_listening(port)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _children_listening(port) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not _children_listening(port), "the dev server still listens after SIGKILL"


async def test_server_killed_mid_campaign_and_restarted_every_device_upgraded_exactly_once(tmp_path: Path,
                                                                                             monkeypatch):
    # the meters' Zigbee OTA pull (its fixed minimum and its rate) in real time, for this test only
    monkeypatch.setattr(catalogue, "OTA_DOWNLOAD_SECONDS", OTA_SECONDS)
    monkeypatch.setattr(device_firmware, "OTA_DOWNLOAD_SECONDS", OTA_SECONDS)
    monkeypatch.setattr(device_firmware, "OTA_BYTES_PER_SECOND", 10**9)
    port, ui_port = free_ports(2)
    env = await start_dev_server(tmp_path, port=port, ui_port=ui_port)
    second = None
    try:
        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        esmes = fleet_esmes(runtime.engine, 3)
        async with runtime.serving():  # the workers live through the server's restart
            handle = await start_firmware_campaign(env.client, FirmwareCampaignInput(
                supplier_id=SUPPLIER_ID, model="ESME", to_version="2.0.0", waves=[1, 2]))
            await _kill_point(env.client, handle, runtime.engine, esmes[:1])
            await _kill_server(port)
            with contextlib.suppress(Exception):  # the SDK's handle on the dead server: reap it
                await env.shutdown()
            env = None
            # stopped in the middle: the canary's meter was sent the image (11.1), no meter runs the new version
            # yet, the second wave has not started
            assert firmware_requests(runtime.engine) == ({esmes[0]: 1}, {})
            assert firmware_versions(runtime.engine, esmes) == {d: "1.0.0" for d in esmes}

            second = await start_dev_server(tmp_path, port=port, ui_port=ui_port)  # same SQLite file, same port
            again = second.client.get_workflow_handle_for(FirmwareCampaignWorkflow.run, handle.id)
            assert (await again.describe()).status == WorkflowExecutionStatus.RUNNING  # found in the file
            report = await asyncio.wait_for(again.result(), timeout=240)

        assert_upgraded_exactly_once(report, runtime.engine, esmes, [1, 2])
    finally:
        for server in (env, second):
            if server is not None:
                with contextlib.suppress(Exception):
                    await server.shutdown()
