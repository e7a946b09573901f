"""The bare engine for ``bench/org_cert_rollover.py`` and ``bench/firmware_campaign.py``: a campaign of the real
one's shape — its own activities before and after, then one child per Device, ``concurrency`` at a time (in waves,
when given), each a copy of a real Device's workflow (its activities doing nothing, its timers, the signals it
received), with copies of the workflows the DCC ran for that Device started by an activity's client call, as the
DCC's are — Temporal's own cost for the same work. A module of its own so that the sandbox can import it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bare_engine import BARE_TASK_QUEUE, BareActivities, BareInput, Shape, bare_workflow_for
from pydantic import BaseModel, Field
from temporalio import activity, workflow
from temporalio.client import Client


class BareCampaignInput(BaseModel):
    count: int
    concurrency: int
    #: activities of the campaign before its first child, and after its last
    head: int
    tail: int
    device: Shape
    #: the DCC's workflows for one Device (started beside the Device's)
    dcc: list[Shape] = Field(default_factory=list)
    #: wave sizes (the last repeating), each wave's Devices all finished before the next starts, as the firmware
    #: campaign's; empty: one wave of every Device (the rollover's)
    waves: list[int] = Field(default_factory=list)
    #: Devices finished by earlier runs of this campaign (continue-as-new, as the real campaign's)
    done: int = 0


class Spawn(BaseModel):
    workflow_id: str
    shape: Shape


class BareSpawn:
    """Starts the copy of a DCC workflow by a client call, as the DCC's activity starts the real one."""

    def __init__(self, client: Client):
        self.client = client

    @activity.defn(name="bench_spawn")
    async def bench_spawn(self, spawn: Spawn) -> None:
        await self.client.start_workflow(bare_workflow_for(spawn.shape), BareInput(shape=spawn.shape),
                                         id=spawn.workflow_id, task_queue=BARE_TASK_QUEUE)


def _wave_sizes(sizes: list[int], count: int) -> list[int]:
    out: list[int] = []
    while sum(out) < count:
        out.append(min(sizes[min(len(out), len(sizes) - 1)] if sizes else count, count - sum(out)))
    return out


@workflow.defn(name="BenchBareCampaign")
class BareCampaignWorkflow:
    @workflow.run
    async def run(self, inp: BareCampaignInput) -> int:
        base = workflow.info().workflow_id
        for _ in range(inp.head if inp.done == 0 else 0):
            await workflow.execute_activity_method(BareActivities.bench_noop,
                                                   start_to_close_timeout=timedelta(seconds=60))
        slots = asyncio.Semaphore(inp.concurrency)

        # the Device's first activity (sending the request, which starts the DCC's workflows) is the spawn here
        steps = list(inp.device.steps)
        first = next(n for n, step in enumerate(steps) if step.kind == "activity")
        device_shape = inp.device.without_spawned().model_copy(update={"steps": steps[:first] + steps[first + 1:]})

        async def device(i: int) -> None:
            async with slots:
                for j, shape in enumerate(inp.dcc):
                    await workflow.execute_activity_method(BareSpawn.bench_spawn, Spawn(
                        workflow_id=f"{base}-d{i}-dcc{j}", shape=shape), start_to_close_timeout=timedelta(seconds=60))
                await workflow.execute_child_workflow(bare_workflow_for(device_shape),
                                                      BareInput(shape=device_shape, with_signals=True),
                                                      id=f"{base}-d{i}")

        done = 0
        for size in _wave_sizes(inp.waves, inp.count):
            if done < inp.done:  # finished by an earlier run
                done += size
                continue
            await asyncio.gather(*(device(i) for i in range(done, done + size)))
            done += size
            # between waves, as the real campaign does, so that one history does not grow without bound
            if done < inp.count and workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(inp.model_copy(update={"done": done}))
        for _ in range(inp.tail):
            await workflow.execute_activity_method(BareActivities.bench_noop,
                                                   start_to_close_timeout=timedelta(seconds=60))
        return inp.count
