"""Durability of a scenario's timeline on `dccflow up`'s kind of server: the Temporal dev server (SQLite, no time
skipping), the workers in a process of their own. The worker is SIGKILLed in the middle of the timeline, while the
install runs and the scenario waits on the durable timer of its first world event; a new worker takes over, the
timeline goes on in real time (the CH off the SM WAN at 1 minute, back at 2), and nothing is done twice."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from port_support import free_ports
from temporalio.api.enums.v1 import EventType
from test_worker_restart import _kill_point, _request_log, _start_worker, _subject

from dccflow.config import USER_TASK_QUEUE, Settings
from dccflow.db import get_engine
from dccflow_app.embedded import start_dev_server
from dccflow_app.runtime import Runtime
from dccflow_app.scenarios.catalogue import scenario_from_file
from dccflow_app.scenarios.harness import ScenarioRequest, ScenarioWorkflow

LIBRARY = Path(__file__).resolve().parents[2] / "dccflow_app" / "scenarios" / "library"
EVENTS = """  - at: 1 minute
    event: ch_off_wan
    device: chf
    for: 1 minute
"""




def _short_life(tmp_path: Path) -> Path:
    text = (LIBRARY / "install-commission-electricity.yaml").read_text(encoding="utf-8")
    text = text.replace("name: install-commission-electricity", "name: short-life")
    text = text.replace("expect:\n", EVENTS + "expect:\n", 1)
    path = tmp_path / "short-life.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_worker_killed_mid_timeline_on_the_dev_server_finishes_with_nothing_done_twice(tmp_path: Path):
    definition = scenario_from_file(_short_life(tmp_path))
    port, ui_port = free_ports(2)
    env = await start_dev_server(tmp_path, port=port, ui_port=ui_port)
    first = None
    try:
        first = await _start_worker(f"127.0.0.1:{port}", tmp_path, tmp_path / "worker1.log")
        engine = get_engine(Settings(data_dir=tmp_path).db_url)
        scenario_id = f"scenario-short-life-{uuid.uuid4().hex[:8]}"
        handle = await env.client.start_workflow(
            ScenarioWorkflow.run, ScenarioRequest(scenario="short-life", definition=definition), id=scenario_id,
            task_queue=USER_TASK_QUEUE)
        before_kill = await _kill_point(env.client, scenario_id, engine)
        history = [e async for e in handle.fetch_history_events()]
        assert EventType.EVENT_TYPE_TIMER_STARTED in {e.event_type for e in history}  # waiting on the timeline
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        first = None

        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        async with runtime.serving():
            report = await asyncio.wait_for(handle.result(), timeout=300)

        assert report.result == "completed" and report.differences == [], (report.reason, report.differences)
        assert [w.event for w in report.world_events] == ["ch_off_wan", "ch_on_wan"]
        started = history[0].event_time.ToDatetime().replace(tzinfo=report.world_events[0].at.tzinfo)
        # each at its time on the timeline: 1 and 2 minutes after the scenario started
        assert [w.at - started >= timedelta(minutes=m) for w, m in zip(report.world_events, (1, 2), strict=True)] \
            == [True, True]
        # each world event carried out once, by one activity
        history = [e async for e in handle.fetch_history_events()]
        world = [e for e in history if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                 and e.activity_task_scheduled_event_attributes.activity_type.name == "scenario_world_event"]
        assert len(world) == 2
        # the first worker sent part of the install; each Service Request reached the DCC once
        logged = _request_log(runtime.engine)
        assert 0 < len(before_kill) < len(logged)
        assert [k for k, n in Counter(_subject(e) for e in logged).items() if n > 1] == []
        assert runtime.fleet.get(report.devices[0].device_id).wan_connected  # back on the SM WAN
    finally:
        if first is not None:
            first.kill()
            await first.wait()
        await env.shutdown()
