"""A scenario's timeline after its start (workflow code): world events and follow-on process steps, each at its time
on a durable timer of the Scenario workflow, while the main install process runs as its child.

The timeline is one sequence in time order (the file's order among steps at the same time, world events before
processes): a world event is carried out (``world_events``), a process step starts its child workflow through the
registry (``dccflow_app.scenarios.processes``) without waiting for it, so that a later event can happen while it
runs. :func:`run_timeline` returns once every event is done and every follow-on process has ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dccflow.config import USER_TASK_QUEUE
    from dccflow.events import ObligationOutcome, ProcessEvent
    from dccflow.search import process_search_attributes
    from dccflow_app.scenarios.processes import REGISTRY, FollowOnContext, FollowOnPremises, FollowOnSeen
    from dccflow_app.scenarios.scenario import FollowOn, Scenario, WorldEvent
    from dccflow_app.scenarios.world_events import WorldEventApplied, carry_out


class Timeline:
    """The Scenario workflow's timeline runner; ``workflow_ids`` (for progress queries) grows as children start."""

    def __init__(self, scenario: Scenario, start: datetime, premises: FollowOnPremises,
                 parties: dict[str, str] | None = None):
        self.scenario, self.start, self.premises = scenario, start, premises
        self.context = FollowOnContext(premises=premises, start=start, parties=parties or {})
        self.workflow_ids: list[str] = []

    def _order(self) -> list[WorldEvent | FollowOn]:
        steps: list[tuple[datetime, int, int, WorldEvent | FollowOn]] = []
        for i, event in enumerate(self.scenario.events):
            steps.append((event.at.after(self.start), 0, i, event))
        for i, step in enumerate(self.scenario.follow_on):
            steps.append((step.at.after(self.start), 1, i, step))
        return [s for *_, s in sorted(steps, key=lambda s: s[:3])]

    async def run(self) -> tuple[list[WorldEventApplied], list[FollowOnSeen]]:
        applied: list[WorldEventApplied] = []
        children = []
        for step in self._order():
            delay = step.at.after(self.start) - workflow.now()
            if delay > timedelta(0):
                await workflow.sleep(delay)
            if isinstance(step, WorldEvent):
                applied.append(await carry_out(step, self.premises.devices, self.start, self.premises.mpan,
                                               self.premises.mprn))
            else:
                children.append((step, *await self._start(step)))
        seen = []
        for step, workflow_id, handle in children:
            result = await handle
            seen.append(REGISTRY[step.process].summarise(step, workflow_id, result))
        return applied, seen

    async def _start(self, step: FollowOn):
        process = REGISTRY[step.process]
        inp = process.build_input(self.context, step)
        workflow_id = process.workflow_id(inp)
        devices, mpxns = process.search(inp)
        self.workflow_ids.append(workflow_id)
        handle = await workflow.start_child_workflow(
            process.workflow, inp, id=workflow_id, task_queue=USER_TASK_QUEUE,
            search_attributes=process_search_attributes(step.process, devices, mpxns))
        return workflow_id, handle


async def run_timeline(scenario: Scenario, start: datetime, premises: FollowOnPremises,
                       parties: dict[str, str] | None = None,
                       on_start=None) -> tuple[list[WorldEventApplied], list[FollowOnSeen]]:
    """Run ``scenario``'s events and follow-on steps (module doc); ``on_start(timeline)`` lets the caller see the
    children's ids as they start."""
    timeline = Timeline(scenario, start, premises, parties)
    if on_start is not None:
        on_start(timeline)
    return await timeline.run()


def audited(events: list[ProcessEvent], outcomes: list[ObligationOutcome], follow_on: list[FollowOnSeen]) -> dict:
    """The main process's events and deadline outcomes with the follow-on processes', as ``AuditRequest`` fields
    (an obligation applies when a step citing it was reached, in whichever process)."""
    return {"events": sorted([*events, *(e for s in follow_on for e in s.events)], key=lambda e: e.at),
            "outcomes": [*outcomes, *(o for s in follow_on for o in s.obligations)]}
