"""What the campaign benches (``bench/firmware_campaign.py``, ``bench/org_cert_rollover.py``) share: the sample
campaign's shape read from its histories, the bare engine's worker, a timed run with its CPU, and the printed rates."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bare_campaign import BareCampaignWorkflow, BareSpawn
from bare_engine import BARE_TASK_QUEUE, BARE_WORKFLOWS, BareActivities
from install_fleet import _child_ids, _cpu, _shape_of
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Worker

T = TypeVar("T")


async def sample_shapes(client: Client, campaign_id: str, before: set[str], spawned_for: Callable[[str], bool]):
    """The sample campaign's shape: (activities before its child, after it, the Device's shape, the shapes of the
    workflows started meanwhile outside the campaign's tree whose ids ``spawned_for`` keeps)."""
    histories: dict[str, WorkflowHistory] = {}
    async for wf in client.list_workflows():
        if wf.id not in before and wf.task_queue != BARE_TASK_QUEUE:
            histories[wf.id] = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
    campaign = await _shape_of(client, campaign_id, histories)
    kinds = [s.kind for s in campaign.steps if s.kind != "timer"]
    child = kinds.index("child")
    device = next(s.child for s in campaign.steps if s.kind == "child")
    in_tree = {campaign_id} | _child_ids(histories, campaign_id)
    spawned = [await _shape_of(client, wf_id, histories) for wf_id in sorted(histories)
               if wf_id not in in_tree and spawned_for(wf_id)]
    return kinds[:child].count("activity"), kinds[child + 1:].count("activity"), device, spawned


def bare_worker(client: Client) -> Worker:
    """The bare engine's worker: its workflows and the campaign of them, with activities that do nothing."""
    noop = BareActivities(client)
    return Worker(client, task_queue=BARE_TASK_QUEUE, workflows=[*BARE_WORKFLOWS, BareCampaignWorkflow],
                  activities=[noop.bench_noop, noop.bench_signal, BareSpawn(client).bench_spawn])


def print_sample(head: int, tail: int, device, spawned: list, types: str) -> None:
    """One Device's work in the sample campaign: its steps and those of the workflows spawned for it."""
    counts = device.count()
    for shape in spawned:
        counts.update(shape.count())
    print(f"one Device: {', '.join(f'{n} {what}' for what, n in sorted(counts.items()))} "
          f"({types}); the campaign: {head} activities before, {tail} after", flush=True)


async def timed(server: list[int], run: Callable[[], Awaitable[T]]) -> tuple[T, tuple[float, float, float]]:
    """``run()``'s result and its (real seconds, workers' CPU seconds, the Temporal server's CPU seconds)."""
    cpu0, began = _cpu(server), time.perf_counter()
    result = await run()
    return result, (time.perf_counter() - began, *(b - a for a, b in zip(cpu0, _cpu(server), strict=True)))


def print_rates(n: int, campaign_label: str, real: tuple[float, float, float],
                bare_run: tuple[float, float, float]) -> None:
    """Devices per minute and CPU per Device of the campaign and of the bare engine, and their ratio."""
    for label, (seconds, workers, server_cpu) in (
            (f"campaign: Devices/min ({campaign_label})", real),
            ("bare engine: Devices/min (same workflows, no-op activities, same timers and signals)", bare_run)):
        print(f"  {seconds:7.1f} s {n / seconds * 60:9.1f}  {label}; CPU per Device: workers "
              f"{workers / n * 1000:.0f} ms, Temporal server {server_cpu / n * 1000:.0f} ms")
    print(f"  ratio campaign : bare engine = {real[0] / bare_run[0]:.2f}x")
