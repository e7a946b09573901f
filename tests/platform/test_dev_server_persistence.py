"""`dccflow up`'s server keeps its history in a SQLite file: a process run before a restart is still found
after it, by its device id, as the Web UI would find it."""

from __future__ import annotations

import asyncio
import contextlib

from port_support import free_ports
from temporalio.client import WorkflowExecutionStatus

from dccflow.config import Settings
from dccflow_app.embedded import start_dev_server
from dccflow_app.scenarios.runner import run_scenario
from worker import run_workers


async def test_completed_workflows_survive_a_restart(tmp_path):
    port, ui_port = free_ports(2)
    env = await start_dev_server(tmp_path, port=port, ui_port=ui_port)
    try:
        stop = asyncio.Event()
        workers = asyncio.ensure_future(run_workers(env.client, Settings(data_dir=tmp_path), stop))
        # no-wan ends before any timer, so this runs in real time in well under a second
        report = await run_scenario(env.client, "install-commission-electricity", ["no-wan"])
        stop.set()
        await workers
    finally:
        await env.shutdown()
    assert report.end == "end_install_and_leave"

    env = await start_dev_server(tmp_path, port=port, ui_port=ui_port)
    try:
        chf = report.devices[0].device_id
        found = []
        for _ in range(50):  # visibility is eventually consistent
            found = [w async for w in env.client.list_workflows(f"DeviceIds = '{chf}'")]
            if found:
                break
            await asyncio.sleep(0.1)
        assert [w.id for w in found] == [report.workflow_id]
        assert found[0].status == WorkflowExecutionStatus.COMPLETED
        desc = await env.client.get_workflow_handle(report.workflow_id).describe()
        assert desc.status == WorkflowExecutionStatus.COMPLETED
    finally:
        with contextlib.suppress(Exception):
            await env.shutdown()
