"""Start a scenario and follow it: used by ``dccflow run`` and by the tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from temporalio.client import Client, WorkflowExecutionStatus

from dccflow.config import USER_TASK_QUEUE
from dccflow.events import ProcessEvent
from dccflow_app.scenarios.catalogue import Scenario, get_scenario
from dccflow_app.scenarios.harness import ScenarioReport, ScenarioRequest, ScenarioWorkflow
from devices.faults import fault_usage, parse_fault


def validate_request(name: str, faults: list[str], definition: Scenario | None = None) -> ScenarioRequest:
    """The scenario exists and takes each fault, written ``NAME[:PARAM]`` as ``dccflow fleet faults`` lists them
    (parsed by the fleet's own parser, ``devices.faults.parse_fault``); a bad name or parameter is named."""
    scenario = definition or get_scenario(name)
    for fault in faults:
        if "=" in fault:
            raise ValueError(f"fault {fault!r}: a scenario's fault is set on its own device, not at a rate "
                             f"(write NAME[:PARAM], e.g. wan-after:3)")
        spec, _value = parse_fault(fault)
        if spec.name not in scenario.faults:
            raise ValueError(f"scenario {name} does not take fault {spec.name!r} "
                             f"(it takes: {fault_usage(scenario.faults)})")
    return ScenarioRequest(scenario=name, faults=faults, definition=definition)


CLOSED_CHECK_EVERY = 50  # polls (10 s at the default 0.2 s) between checks that the long poll was not lost


async def _refetch_if_closed(handle, result: asyncio.Future) -> asyncio.Future:
    """The result is awaited with one long poll; on a starved machine that poll was seen to stay open after the
    workflow had closed, leaving ``dccflow run`` idle forever. A closed workflow's result is fetched afresh."""
    try:
        closed = (await asyncio.wait_for(handle.describe(), 10)).status != WorkflowExecutionStatus.RUNNING
    except Exception:  # noqa: BLE001 - the describe is only a safety net; the long poll goes on
        return result
    if not closed or result.done():
        return result
    result.cancel()
    return asyncio.ensure_future(handle.result())


async def run_scenario(client: Client, name: str, faults: list[str] | None = None, *,
                       on_event: Callable[[ProcessEvent], None] | None = None,
                       poll_seconds: float = 0.2, definition: Scenario | None = None) -> ScenarioReport:
    request = validate_request(name, list(faults or []), definition)
    handle = await client.start_workflow(
        ScenarioWorkflow.run, request, id=f"scenario-{name}-{uuid.uuid4().hex[:8]}", task_queue=USER_TASK_QUEUE)
    result = asyncio.ensure_future(handle.result())
    seen = 0
    child = None
    follow_seen: dict[str, int] = {}  # follow-on workflow id → events shown
    polls = 0
    while not result.done():
        await asyncio.wait([result], timeout=poll_seconds)
        polls += 1
        if not result.done() and polls % CLOSED_CHECK_EVERY == 0:
            result = await _refetch_if_closed(handle, result)
        if on_event is None or result.done():
            continue
        try:
            if child is None:
                child_id = await handle.query(ScenarioWorkflow.process_workflow_id)
                child = client.get_workflow_handle(child_id) if child_id else None
            if child is not None:
                events = await child.query("process_events", result_type=list[ProcessEvent])
                for event in events[seen:]:
                    on_event(event)
                seen = len(events)
            for follow_id in await handle.query(ScenarioWorkflow.follow_on_workflow_ids):
                events = await client.get_workflow_handle(follow_id).query("process_events",
                                                                           result_type=list[ProcessEvent])
                for event in events[follow_seen.get(follow_id, 0):]:
                    on_event(event)
                follow_seen[follow_id] = len(events)
        except Exception:  # noqa: BLE001 - progress is best effort; the result is what counts
            pass
    report = result.result()
    if on_event is not None:
        for event in report.events[seen:]:
            on_event(event)
        for process in report.processes:
            for event in process.events[follow_seen.get(process.workflow_id, 0):]:
                on_event(event)
    return report
