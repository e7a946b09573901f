"""Benchmark the fleet builder: ``python bench/fleet.py --sms 100000 --dual-fuel``.

Builds the fleet into a fresh SQLite database (a temporary directory unless ``--data-dir`` is given) exactly as
``dccflow fleet create`` does, and prints the wall and CPU time, the cost per device, the rows written, the peak
resident memory of the process and the load average (the machine is shared: CPU time is the steadier figure).
``--core`` writes through SQLAlchemy Core ``insert`` of dicts instead of the fast path (``devices.bulk``): the
baseline. Target (issue #18, 5): 1,000,000 dual-fuel SMS (4,000,000 devices) in under 60 s and under 2 GiB.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms", type=int, default=100_000)
    parser.add_argument("--dual-fuel", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--core", action="store_true", help="write through Core insert of dicts (the baseline)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from dccflow.config import Settings
    from dccflow_app.database import open_database
    from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange
    from devices.builder import FleetSpec, build_fleet
    from devices.cli import prepare_market
    from devices.models import DeviceState

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="dccflow-bench-")
        data_dir = Path(tmp.name)
    began, cpu_began = time.perf_counter(), time.process_time()
    engine = open_database(Settings(data_dir=data_dir).db_url)
    prepare_market(engine)
    setup = time.perf_counter() - began
    report = build_fleet(engine, FleetSpec(sms=args.sms, dual_fuel=args.dual_fuel, seed=args.seed),
                         datetime.now(UTC), raw=not args.core)
    total, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with engine.connect() as conn:
        counts = {t.__tablename__: conn.execute(select(func.count()).select_from(t.__table__)).scalar()
                  for t in (DeviceState, SmiDevice, SmiStatusChange, RegistrationData)}
    db = Path(engine.url.database)
    size_mib = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    rows = sum(counts.values())
    print(f"fleet: {report.premises} SMS, {report.devices} devices ({'dual' if args.dual_fuel else 'single'} fuel), "
          f"{'Core insert (baseline)' if args.core else 'fast path'}")
    print(f"rows: {rows:,} ({', '.join(f'{k} {v:,}' for k, v in counts.items())})")
    print(f"time: {total:.1f} s wall, {cpu:.1f} s CPU (market set-up {setup:.1f} s, build {report.seconds:.1f} s, "
          f"{report.devices / report.seconds:,.0f} devices/s)")
    print(f"per device: {report.seconds / report.devices * 1e6:.1f} us wall, {cpu / report.devices * 1e6:.1f} us CPU "
          f"(whole run); per row written {report.seconds / rows * 1e6:.1f} us wall")
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB; database {size_mib:.0f} MiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
