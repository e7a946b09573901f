"""Wall time of SMKI Recovery drills (BAD 7.7.3; issue #16's targets) on the embedded time-skipping server.

    python bench/smki_drill.py [--sms 200 1000] [--method2-sms 3] [--profile]

For each ``--sms``: a fresh data directory, the time-skipping server and dccflow's workers in this process, the fleet
built in service (timed apart), then the whole-fleet Root recovery (``root``: the Contingency method — every Device to
'recovery', a Contingency-signed Command to each, 'recovered' + N44, the SMKI on the new Root, the Responsible
Suppliers' new certificates and their 6.21 handbacks, every status back). Then a Method 2 drill (a Supplier's key lost,
``--method2-sms`` SMS: 'recovery', the DCC's ACB certificate by Recovery-signed Command, N44, the 6.21 handback) with
one Communications Hub off the SM WAN throughout, so that its Devices are retried daily until the 30-day recovery
deadline and reported (``end_recovered_partly``): the drill spans 30 days on the Code's clock. Targets (issue #16,
Done when): 1,000 SMS Root recovery under 60 s; the Method 2 drill under 10 s.

``--split`` runs the DCC's and the fleet's workers in a second process (``DCCFLOW_WORKER_SYSTEMS=dcc,devices``), this
one keeping the User side, as a deployment using both cores would.

Prints, per run: the fleet build's wall time, the drill's wall time and its CPU time in this process (the workers, the
DCC and the devices, not the Temporal server: steadier than wall time on a shared machine), the drill's span on the
Code's clock, its end and the load average (the machine may be shared: note it beside the figures). ``--profile`` runs
the drills under cProfile (the workers run in this process: the activities and the DCC's code are in it) and prints
the top functions by cumulative and by own time. Nothing is asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def _drill(runtime, client, inp):
    from dccflow.config import USER_TASK_QUEUE
    from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id

    handle = await client.start_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                         id=smki_recovery_workflow_id(inp.incident_id))
    return await handle.result()


async def run_one(kind: str, sms: int, profile: cProfile.Profile | None, straggler: bool = False,
                  split: bool = False) -> dict:
    from dccflow.config import Settings
    from dccflow.domain.recovery import CompromisedKey, RecoveryMethod
    from dccflow.parties import DCC_ID
    from dccflow_app.campaigns import build_in_service_fleet
    from dccflow_app.embedded import start_time_skipping
    from dccflow_app.runtime import Runtime, register_search_attributes
    from workflows.smki_recovery_model import SmkiRecoveryInput

    with tempfile.TemporaryDirectory(prefix="dccflow-bench-drill-") as tmp:
        env = await start_time_skipping(data_dir=Path(tmp) if split else None)
        try:
            await register_search_attributes(env.client)
            # --split: this process runs the User side only, a second one the DCC and the fleet
            systems = {"worker_systems": ("user",)} if split else {}
            runtime = Runtime(Settings(data_dir=Path(tmp), **systems), env.client)
            t0 = time.perf_counter()
            built = build_in_service_fleet(runtime.engine, sms, datetime.now(UTC))
            build = time.perf_counter() - t0
            incident = f"BENCH-{uuid.uuid4().hex[:8].upper()}"
            if kind == "method-2" and straggler:  # one CH off the SM WAN throughout: retried daily to the deadline
                from sqlmodel import select

                from dccflow.db import session_scope
                from devices.fleet import Fleet
                from devices.models import DeviceState

                with session_scope(runtime.engine) as s:
                    chf = s.exec(select(DeviceState.device_id).where(DeviceState.device_type == "CHF")).first()
                Fleet(runtime.engine).set_sm_wan(chf, connected=False, at=datetime.now(UTC))
            if kind == "root":
                inp = SmkiRecoveryInput(incident_id=incident, compromised=CompromisedKey.ROOT_OCA, subscriber_id=DCC_ID)
            else:
                inp = SmkiRecoveryInput(incident_id=incident, subscriber_id="90-B3-D5-1F-30-01-00-00",
                                        method=RecoveryMethod.METHOD_2, subscriber_can_sign=False)
            other = None
            if split:
                import subprocess

                other = subprocess.Popen([sys.executable, "-m", "dccflow_app.worker"], stderr=subprocess.DEVNULL, env={
                    **os.environ, "DCCFLOW_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                    "DCCFLOW_DATA_DIR": tmp, "DCCFLOW_WORKER_SYSTEMS": "dcc,devices"})
            try:
                async with runtime.serving():
                    t0, cpu0 = time.perf_counter(), time.process_time()
                    if profile is not None:
                        profile.enable()
                    try:
                        result = await _drill(runtime, env.client, inp)
                    finally:
                        if profile is not None:
                            profile.disable()
                    drill, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            finally:
                if other is not None:
                    other.terminate()
                    other.wait()
        finally:
            await env.shutdown()
    span = (result.events[-1].at - result.events[0].at) if result.events else None
    return dict(kind=kind, sms=sms, devices=getattr(built, "devices", None) or len(result.devices), build_s=build,
                drill_s=drill, cpu_s=cpu, span=span, end=result.end, recovered=len(result.recovered),
                affected=len(result.devices), not_recovered=len(result.not_recovered))


def _print(r: dict) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{r['kind']:<8} {r['sms']:>6} SMS ({r['affected']} Devices affected): fleet built in {r['build_s']:6.1f} s; "
          f"drill {r['drill_s']:6.1f} s wall ({r['cpu_s']:.1f} s CPU in this process), {r['span']} on the Code's "
          f"clock; {r['end']}, {r['recovered']} recovered, "
          f"{r['not_recovered']} not (load average {load})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, nargs="+", default=[200, 1000], help="fleet sizes of the Root recovery")
    parser.add_argument("--method2-sms", type=int, default=3, help="SMS of the Method 2 drill (0: skip it)")
    parser.add_argument("--no-straggler", action="store_true", help="Method 2: no CH off the SM WAN (the drill "
                        "then ends after the handback, not at the 30-day deadline)")
    parser.add_argument("--profile", action="store_true", help="cProfile the drills; print the top functions")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--profile-out", help="with --profile: also dump the raw stats to this file (pstats)")
    parser.add_argument("--split", action="store_true", help="the DCC's and the fleet's workers in a second process "
                        "(python -m dccflow_app.worker with DCCFLOW_WORKER_SYSTEMS=dcc,devices); CPU in this process "
                        "is then the User side's (and the DCC's intake of its requests) only")
    args = parser.parse_args()
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    profile = cProfile.Profile() if args.profile else None
    runs = [("method-2", args.method2_sms)] if args.method2_sms else []
    runs += [("root", n) for n in args.sms]
    for kind, sms in runs:
        _print(asyncio.run(run_one(kind, sms, profile, not args.no_straggler, args.split)))
    if profile is not None:
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        for key in ("cumulative", "tottime"):
            buf = io.StringIO()
            pstats.Stats(profile, stream=buf).sort_stats(key).print_stats(args.top)
            print(buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
