"""Benchmark the fleet builder: ``python bench/fleet.py --sms 100000 --dual-fuel``.

Builds the fleet into a fresh SQLite database (a temporary directory unless ``--data-dir`` is given) exactly as
``dccflow fleet create`` does, and prints the wall and CPU time (the builder's process and the process that
makes the rows, ``devices.fleet_stream``), the cost per device, the rows written, the peak resident memory of
each process and the load average (the machine is shared: CPU time is the steadier figure). It also prints what
bounds the build, and its floor: on 2 cores the rows are made in one process while the other writes them into
SQLite (a thread of it checkpointing the WAL), so the build takes at least the busiest thread's CPU time, and at
least half of all the CPU time; the build's wall time is printed as a multiple of that floor.
``--in-process`` makes the rows in the builder's process (no second process); ``--core`` writes through
SQLAlchemy Core ``insert`` of dicts instead of the fast path: the baseline. Target (issue #18, 5): 1,000,000
dual-fuel SMS (4,000,000 devices) in under 60 s and under 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=100_000)
    parser.add_argument("--dual-fuel", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--core", action="store_true", help="write through Core insert of dicts (the baseline)")
    parser.add_argument("--in-process", action="store_true", help="make the rows in the builder's process")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from dccflow.config import Settings
    from dccflow_app.database import open_database
    from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange
    from devices.builder import FleetSpec, build_fleet
    from devices.cli import prepare_market
    from devices.fleet_stream import parallel_for
    from devices.models import DeviceState

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="dccflow-bench-")
        data_dir = Path(tmp.name)
    load_before = os.getloadavg()
    began, cpu_began, children_began = time.perf_counter(), time.process_time(), _children_cpu()
    engine = open_database(Settings(data_dir=data_dir).db_url)
    prepare_market(engine)
    setup = time.perf_counter() - began
    writer_began = time.process_time()
    parallel = False if args.in_process else None
    report = build_fleet(engine, FleetSpec(sms=args.sms, dual_fuel=args.dual_fuel, seed=args.seed),
                         datetime.now(UTC), raw=not args.core, parallel=parallel)
    total = time.perf_counter() - began
    writer_cpu = time.process_time() - writer_began
    own_cpu, maker_cpu = time.process_time() - cpu_began, _children_cpu() - children_began
    cpu = own_cpu + maker_cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    two = not args.core and not args.in_process and parallel_for(args.sms)
    with engine.connect() as conn:
        counts = {t.__tablename__: conn.execute(select(func.count()).select_from(t.__table__)).scalar()
                  for t in (DeviceState, SmiDevice, SmiStatusChange, RegistrationData)}
    db = Path(engine.url.database)
    size_mib = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    rows, n = sum(counts.values()), report.devices
    how = "Core insert (baseline)" if args.core else "fast path, rows made in a second process" if two \
        else "fast path, rows made in the builder's process"
    print(f"fleet: {report.premises} SMS, {n} devices ({'dual' if args.dual_fuel else 'single'} fuel), {how}")
    print(f"rows: {rows:,} ({', '.join(f'{k} {v:,}' for k, v in counts.items())})")
    print(f"time: {total:.1f} s wall, {cpu:.1f} s CPU (builder {own_cpu:.1f} s + row maker {maker_cpu:.1f} s; "
          f"market set-up {setup:.1f} s, build {report.seconds:.1f} s, {n / report.seconds:,.0f} devices/s)")
    print(f"per device: {report.seconds / n * 1e6:.1f} us wall (build), {cpu / n * 1e6:.1f} us CPU (whole run), "
          f"per row written {report.seconds / rows * 1e6:.1f} us wall")
    busy = report.seconds - report.waiting
    checkpoints = report.checkpoint_cpu
    if two:
        writer_thread = writer_cpu - checkpoints
        floor = max(writer_thread, maker_cpu, checkpoints, (writer_cpu + maker_cpu) / 2)
        bound = "the writer (SQLite)" if floor == writer_thread else "the row maker" if floor == maker_cpu \
            else "both cores' total"
        print(f"bound: the writer (SQLite copying the rows into 12 B-trees a device, commits) {writer_thread:.1f} s "
              f"= {writer_thread / n * 1e6:.1f} us a device; the row maker (ids, install codes, scratch files) "
              f"{maker_cpu:.1f} s = {maker_cpu / n * 1e6:.1f} us; the WAL checkpoints (a thread of the builder) "
              f"{checkpoints:.1f} s = {checkpoints / n * 1e6:.1f} us; the writer waited {report.waiting:.1f} s for "
              f"rows")
        print(f"floor on 2 free cores: {floor:.1f} s of build ({floor / n * 1e6:.1f} us a device), set by {bound} "
              f"(the busiest thread's CPU, or half of all the CPU); build {report.seconds:.1f} s = "
              f"{report.seconds / floor:.2f}x that floor")
    else:
        print(f"split (wall): making rows {report.waiting:.1f} s ({report.waiting / n * 1e6:.1f} us a device), "
              f"writing them {busy:.1f} s ({busy / n * 1e6:.1f} us a device), one process; WAL checkpoints "
              f"{checkpoints:.1f} s CPU in a thread of their own")
    print(f"peak memory (max RSS): builder {peak_mib:.0f} MiB + row maker {child_peak_mib:.0f} MiB = "
          f"{peak_mib + child_peak_mib:.0f} MiB; database {size_mib:.0f} MiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after, on {os.cpu_count()} CPUs")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
