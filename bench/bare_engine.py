"""The bare engine for ``bench/install_fleet.py``: a tree of workflows of a given shape (activities, timers,
child workflows, in the order a real workflow had them) whose activities do nothing — Temporal's own cost for
that much work. A module of its own so that the workflow sandbox can import it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity, workflow

BARE_TASK_QUEUE = "bench-bare-engine"


class Step(BaseModel):
    kind: str  # "activity", "timer" or "child"
    seconds: float = 0
    #: a timer that the real workflow cancelled (a wait that ended on a signal): cancelled after the next step
    cancelled: bool = False
    child: Shape | None = None


class Shape(BaseModel):
    workflow_type: str
    steps: list[Step] = Field(default_factory=list)
    #: workflows started by the activities of this one's tree (the DCC's and the fleet's), by a client call as
    #: those activities do: the bench starts them beside the root
    spawned: list[Shape] = Field(default_factory=list)
    #: signals the real workflow received (DUIS messages from the inbox, the DCC's CS14 wake-ups): counted for
    #: the record, not sent by the bare engine, whose measure is activities and timers
    signals: int = 0

    def without_spawned(self) -> Shape:
        return self.model_copy(update={"spawned": []})

    def count(self) -> Counter:
        c = Counter({"workflows": 1, "signals received": self.signals})
        for step in self.steps:
            c[{"activity": "activities", "child": "child workflows"}.get(step.kind) or (
                "timers cancelled" if step.cancelled else "timers fired")] += 1
            if step.child is not None:
                c.update(step.child.count())
        for other in self.spawned:
            c.update(other.count())
        return c


Step.model_rebuild()


@activity.defn(name="bench_noop")
async def bench_noop() -> None:
    return None


@workflow.defn(name="BenchBareEngine")
class BareEngineWorkflow:
    @workflow.run
    async def run(self, shape: Shape) -> int:
        base = workflow.info().workflow_id
        pending: list[asyncio.Future] = []  # a timer the real workflow cancelled: cancelled after the next step
        for i, step in enumerate(shape.steps):
            if step.kind == "timer" and step.cancelled:
                _cancel(pending)
                pending = [asyncio.ensure_future(workflow.sleep(step.seconds))]
                continue
            if step.kind == "activity":
                await workflow.execute_activity(bench_noop, start_to_close_timeout=timedelta(seconds=60))
            elif step.kind == "timer":
                await workflow.sleep(step.seconds)
            elif step.child is not None:
                await workflow.execute_child_workflow(BareEngineWorkflow.run, step.child.without_spawned(),
                                                      id=f"{base}-c{i}")
            _cancel(pending)
            pending = []
        _cancel(pending)
        return 1


def _cancel(timers: list[asyncio.Future]) -> None:
    for timer in timers:
        timer.cancel()
