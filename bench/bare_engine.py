"""The bare engine for ``bench/install_fleet.py``: a tree of workflows of a given shape (activities, timers,
child workflows, in the order a real workflow had them) whose activities do nothing — Temporal's own cost for
that much work. A module of its own so that the workflow sandbox can import it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity, workflow
from temporalio.client import Client

BARE_TASK_QUEUE = "bench-bare-engine"


class Step(BaseModel):
    kind: str  # "activity", "local" (a local activity), "timer" or "child"
    seconds: float = 0
    #: a timer that the real workflow cancelled (a wait that ended on a signal): cancelled after the next step
    cancelled: bool = False
    child: Shape | None = None


class Shape(BaseModel):
    workflow_type: str
    #: whether the real workflow runs in the workflow sandbox (``workflow.defn(sandboxed=False)`` opts out): the
    #: bare engine runs its copy the same way
    sandboxed: bool = True
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
            c[{"activity": "activities", "local": "local activities", "child": "child workflows"}.get(step.kind) or (
                "timers cancelled" if step.cancelled else "timers fired")] += 1
            if step.child is not None:
                c.update(step.child.count())
        for other in self.spawned:
            c.update(other.count())
        return c


Step.model_rebuild()


class BareActivities:
    """No-op activities; ``bench_signal`` signals its workflow as the User's inbox signals a process."""

    def __init__(self, client: Client):
        self.client = client
        self._sending: set[asyncio.Task] = set()

    @activity.defn(name="bench_noop")
    async def bench_noop(self) -> None:
        return None

    @activity.defn(name="bench_signal")
    async def bench_signal(self, count: int) -> None:
        """Signal the workflow ``count`` times just after this activity completes, as a Service Response
        arrives after the send: each signal then costs a workflow task of its own, as in the installs."""
        handle = self.client.get_workflow_handle(activity.info().workflow_id)

        async def later(n: int) -> None:
            await asyncio.sleep(0.1 * (n + 1))
            await handle.signal(BareEngineWorkflow.ping)

        for n in range(count):
            task = asyncio.get_running_loop().create_task(later(n))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)


class BareInput(BaseModel):
    shape: Shape
    #: also receive the real workflow's signals, sent by its own activities
    with_signals: bool = False


class _BareEngine:
    def __init__(self) -> None:
        self.pings = 0

    @workflow.signal
    def ping(self) -> None:
        self.pings += 1

    async def _run(self, inp: BareInput) -> int:
        shape, base = inp.shape, workflow.info().workflow_id
        activities = sum(step.kind == "activity" for step in shape.steps)
        signals = shape.signals if inp.with_signals and activities else 0
        per_activity = [signals // activities + (n < signals % activities) for n in range(activities)] \
            if signals else []
        pending: list[asyncio.Future] = []  # timers the real workflow cancelled: cancelled after the next step
        expected = 0
        for i, step in enumerate(shape.steps):
            if step.kind == "timer" and step.cancelled:
                pending.append(asyncio.ensure_future(workflow.sleep(step.seconds)))
                continue
            if step.kind == "activity" and per_activity and per_activity[0]:
                count = per_activity.pop(0)
                expected += count
                await workflow.execute_activity_method(BareActivities.bench_signal, count,
                                                       start_to_close_timeout=timedelta(seconds=60))
                await workflow.wait_condition(lambda: self.pings >= expected)  # noqa: B023 - awaited here
            elif step.kind == "activity":
                per_activity = per_activity[1:]
                await workflow.execute_activity_method(BareActivities.bench_noop,
                                                       start_to_close_timeout=timedelta(seconds=60))
            elif step.kind == "local":
                await workflow.execute_local_activity_method(BareActivities.bench_noop,
                                                             start_to_close_timeout=timedelta(seconds=60))
            elif step.kind == "timer":
                await workflow.sleep(step.seconds)
            elif step.child is not None:
                child = BareInput(shape=step.child.without_spawned(), with_signals=inp.with_signals)
                await workflow.execute_child_workflow(bare_workflow_for(child.shape), child, id=f"{base}-c{i}")
            _cancel(pending)
            pending = []
        _cancel(pending)
        await workflow.wait_condition(lambda: self.pings >= signals)
        return 1


@workflow.defn(name="BenchBareEngine")
class BareEngineWorkflow(_BareEngine):
    @workflow.run
    async def run(self, inp: BareInput) -> int:
        return await self._run(inp)


@workflow.defn(name="BenchBareEngineUnsandboxed", sandboxed=False)
class BareEngineUnsandboxedWorkflow(_BareEngine):
    """The copy of a workflow that runs outside the sandbox."""

    @workflow.run
    async def run(self, inp: BareInput) -> int:
        return await self._run(inp)


BARE_WORKFLOWS = [BareEngineWorkflow, BareEngineUnsandboxedWorkflow]


def bare_workflow_for(shape: Shape):
    """The bare engine's workflow for a shape: sandboxed or not, as the real one."""
    return BareEngineWorkflow.run if shape.sandboxed else BareEngineUnsandboxedWorkflow.run


def _cancel(timers: list[asyncio.Future]) -> None:
    for timer in timers:
        timer.cancel()
