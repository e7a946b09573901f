"""Durability: the worker process is killed (SIGKILL) in the middle of a dual-fuel Install and Commission
(BAD 7.2.1) and a new one is started on the same database. The process completes as if nothing happened, and
the DCC's request log shows that no Service Request was sent twice: the User side's outbox
(``activities/duis_client.py``) and the workflows' histories carry everything the new worker needs.

The first worker runs in a subprocess, on the time-skipping server, with time skipping off (the test is not
waiting for a result), so the install advances in real time and parks at the ESME's SM HAN join (a 20 s
durable timer on the device side), with the Supplier waiting for N24 and the DCC's join watch open. It is
killed there, when no activity and no workflow task is running: the time-skipping test server keeps time
skipping locked for an activity abandoned by a dead worker (until its start-to-close timeout has passed in real
time, and after its retry too), so a kill inside an activity would stall this test's remaining timers. Then a
new worker (in this process, with its workflow cache) takes over and the test waits for the result, which
lets the server skip the remaining join and deadline timers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.store import UserOutboxEntry
from dccflow.config import USER_TASK_QUEUE, Settings
from dccflow.db import get_engine, session_scope
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow.events import ProcessEvent
from dccflow_app.embedded import start_time_skipping
from dccflow_app.runtime import Runtime, register_search_attributes
from dccflow_app.scenarios.harness import ScenarioRequest, ScenarioWorkflow
from dccsim.models import RequestLogEntry
from dccsim.processing import dcc_workflow_id
from dccsim.records import RejectedRequest
from devices.models import DeviceState

WORKER = Path(__file__).with_name("worker_process.py")
#: the step the first worker reaches before it is killed: the ESME whitelisted on the CHF (SRV 8.11), its join
#: pending; SRV 8.1.1 for the ESME and everything for gas still to come
KILL_AFTER = "update_han_device_log"
_BUSY = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
         EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED}


async def _start_worker(address: str, data_dir: Path, log: Path) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), address, str(data_dir), stdout=asyncio.subprocess.PIPE,
        stderr=log.open("wb"), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert line.strip() == b"ready", f"worker did not start: {log.read_text()[-2000:]}"
    return proc


@contextlib.asynccontextmanager
async def worker_in_subprocess(data_dir: Path) -> AsyncIterator[tuple[WorkflowEnvironment, asyncio.subprocess.Process]]:
    """The time-skipping server (its codec key in ``data_dir``, which the worker subprocess reads too) and a first
    worker in a subprocess on it, over the database in ``data_dir``; on the way out the worker, if it still runs,
    is killed and the server shut down."""
    env = await start_time_skipping(data_dir=data_dir)
    first = None
    try:
        await register_search_attributes(env.client)
        address = env.client.service_client.config.target_host
        first = await _start_worker(address, data_dir, data_dir / "worker1.log")
        yield env, first
    finally:
        if first is not None and first.returncode is None:
            first.kill()
            await first.wait()
        await env.shutdown()


async def kill_worker(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the worker process, as a crash would, and reap it."""
    proc.send_signal(signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL


async def _quiet(client: Client, workflow_ids: list[str]) -> bool:
    """No activity and no workflow task of these workflows is scheduled or running."""
    for wf_id in workflow_ids:
        handle = client.get_workflow_handle(wf_id)
        try:
            desc = await handle.describe()
            events = [e async for e in handle.fetch_history_events()]
        except RPCError:
            continue  # not started
        if desc.raw_description.pending_activities or events[-1].event_type in _BUSY:
            return False
    return True


def _request_log(engine) -> list[RequestLogEntry]:
    with session_scope(engine) as s:
        return list(s.exec(select(RequestLogEntry)))


async def _kill_point(client: Client, scenario_id: str, engine) -> list[str]:
    """Wait until the process has recorded KILL_AFTER and everything is idle; the RequestIDs logged so far."""
    deadline = time.monotonic() + 60
    scenario = client.get_workflow_handle(scenario_id)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        child_id = await scenario.query(ScenarioWorkflow.process_workflow_id)
        if child_id is None:
            continue
        try:
            events = await client.get_workflow_handle(child_id).query("process_events",
                                                                      result_type=list[ProcessEvent])
        except RPCError:
            continue  # named by the scenario, not yet started (a loaded server)
        if KILL_AFTER not in {e.bpmn_id for e in events}:
            continue
        logged = _request_log(engine)
        ids = [scenario_id, child_id, *(dcc_workflow_id(e.request_id) for e in logged)]
        if await _quiet(client, ids) and await _quiet(client, ids):
            return [e.request_id for e in logged]
    raise AssertionError(f"the install did not reach {KILL_AFTER!r} within 60 s")


def _subject(entry: RequestLogEntry) -> tuple[str, str, str]:
    """What a request asks for: its SRV, its target and its body (header and signature aside)."""
    request = request_from_element(secure_parse(entry.xml))
    return entry.srv, entry.target, json.dumps(request.body, sort_keys=True, default=str)


@pytest.mark.parametrize("scenario", ["install-commission-dual-fuel", "whole-life-dual-fuel"])
async def test_killed_worker_mid_install_is_replaced_and_nothing_is_sent_twice(tmp_path: Path, scenario: str):
    """Also for the whole-life scenario: killed at its start, its timeline (Post Commissioning on day 2, the CH off
    the SM WAN from day 20, a fault on the GSME, a routine request on day 40) goes on under the new worker."""
    async with worker_in_subprocess(tmp_path) as (env, first):
        engine = get_engine(Settings(data_dir=tmp_path).db_url)
        scenario_id = f"scenario-restart-{uuid.uuid4().hex[:8]}"
        handle = await env.client.start_workflow(
            ScenarioWorkflow.run, ScenarioRequest(scenario=scenario), id=scenario_id,
            task_queue=USER_TASK_QUEUE)

        before_kill = await _kill_point(env.client, scenario_id, engine)
        with session_scope(engine) as s:
            esme_joined = s.exec(select(DeviceState.han_joined).where(DeviceState.device_type == "ESME")).one()
            whitelisted_at = s.exec(select(RequestLogEntry.received_at).where(RequestLogEntry.srv == "8.11")).one()
        # time skipping is off until the test waits for the result: the server's clock runs in real time
        since_8_11 = await env.get_current_time() - whitelisted_at.replace(tzinfo=UTC)
        await kill_worker(first)
        # killed in the middle: the ESME's 20 s join had neither completed nor started to (its timer had not fired)
        assert not esme_joined and since_8_11 < timedelta(seconds=15), since_8_11

        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        async with runtime.serving():
            report = await asyncio.wait_for(handle.result(), timeout=60)

        assert report.result == "completed" and report.differences == [], (report.reason, report.differences)
        if scenario == "whole-life-dual-fuel":  # the timeline went on after the kill, each event at its time
            assert [w.event for w in report.world_events] == ["ch_off_wan", "ch_on_wan", "fault_on", "fault_off",
                                                              "registration_data_change"]
            assert "routine_request_accepted" in {e.bpmn_id for e in report.events}
            assert [(p.process, p.end) for p in report.processes] == [
                ("change_of_supplier", "end_cos_completed"), ("replace_communications_hub", "end_ch_replaced"),
                ("decommission", "end_device_decommissioned")]
        # (the whole life's CH replacement: the new CHF and GPF come last, so they are the ones shown here)
        assert {d.device_type: d.smi_status for d in report.devices} == {
            "CHF": "commissioned", "GPF": "commissioned", "ESME": "commissioned",
            "GSME": "commissioned" if scenario == "install-commission-dual-fuel" else "decommissioned"}
        logged = _request_log(runtime.engine)
        # the first worker sent part of the install, the new one the rest
        assert 0 < len(before_kill) < len(logged)
        assert set(before_kill) <= {e.request_id for e in logged}
        # each Service Request reached the DCC once, under one RequestID: no (SRV, target, body) twice
        repeated = [k for k, n in Counter(_subject(e) for e in logged).items() if n > 1]
        # (the whole life's routine request on day 40 is a second SRV 6.20.1, as its own step, by design)
        assert [k[:2] for k in repeated] == ([] if scenario == "install-commission-dual-fuel" else
                                             [("6.20.1", report.devices[2].device_id)])
        ids = {d.device_type: d.device_id for d in reversed(report.devices)}  # the premises' own (listed first)
        sent = [(e.srv, e.target) for e in logged]
        assert sent.count(("8.11", ids["CHF"])) == 2  # the ESME's and the GSME's whitelisting, once each
        assert {("8.1.1", ids["ESME"]), ("8.1.1", ids["GSME"]), ("8.7.2", ids["GSME"])} <= set(sent)
        # nothing was refused as a replay or otherwise: no second, different transmission of a RequestID
        with session_scope(runtime.engine) as s:
            assert s.exec(select(RejectedRequest)).all() == []
            outbox = list(s.exec(select(UserOutboxEntry)))
        # the User's outbox: one entry per process step, each answered, and the DCC logged exactly those
        assert len({o.step_key for o in outbox}) == len(outbox) == len(logged)
        assert {o.request_id for o in outbox} == {e.request_id for e in logged}
        assert all(o.reply_code for o in outbox)
