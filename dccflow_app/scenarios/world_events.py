"""World events on a scenario's timeline: what happens to a premises' Devices outside any process (a fault switched
on or off, the CH losing or regaining the SM WAN), each at its time on a durable timer of the scenario workflow
while the process runs as its child.

``run_world_events`` is workflow code (deterministic: times from ``workflow.now()`` and the GB calendar);
``WorldEventActivities.scenario_world_event`` changes the fleet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.clock import activity_now
    from dccflow_app.scenarios.scenario import WorldEvent


class WorldEventApplied(BaseModel):
    """One world event carried out on a Device."""

    event: str
    device_type: str
    device_id: str
    fault: str | None = None
    at: datetime


class WorldEventActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def scenario_world_event(self, event: WorldEventApplied) -> WorldEventApplied:
        """Carry out one world event on the fleet (idempotent: a retry sets the same state again)."""
        from devices.faults import parse_fault

        fleet = self.rt.fleet
        if event.event in ("fault_on", "fault_off"):
            spec, param = parse_fault(event.fault or "")
            if event.event == "fault_on":
                fleet.set_fault(event.device_id, spec.name, param, at=activity_now())
            else:
                fleet.clear_fault(event.device_id, spec.name)
        elif event.event == "ch_off_wan":
            fleet.set_sm_wan(event.device_id, connected=False, at=activity_now())
        else:
            fleet.set_sm_wan(event.device_id, connected=True, at=activity_now())
        return event.model_copy(update={"at": activity_now()})


async def run_world_events(events: tuple[WorldEvent, ...], start: datetime,
                           devices: dict[str, str]) -> list[WorldEventApplied]:
    """Wait for each event's time (a durable timer) and carry it out; ``devices`` maps Device Type → Device ID."""
    applied = []
    for event in events:
        delay = event.at.after(start) - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        applied.append(await workflow.execute_activity_method(
            WorldEventActivities.scenario_world_event,
            WorldEventApplied(event=event.event, device_type=event.device_type,
                              device_id=devices[event.device_type], fault=event.fault, at=workflow.now()),
            start_to_close_timeout=timedelta(seconds=60)))
    return applied
