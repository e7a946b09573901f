"""The DCC pipeline's durable floor and its throughput under concurrency over HTTP (issue #18, targets 1–3), for
``bench/dcc_pipeline.py``.

The floor of one Service Request is what any implementation of this DCC must do for it, measured in the same run:

* the XML and crypto work, with the same functions the pipeline uses: hardened parse, DUIS 5.4 schema
  validation, the signature check (exclusive c14n, the Reference digest, one ECDSA P-256 verify), the Service
  Response built from its template, signed (c14n, digest, one ECDSA P-256 sign) and serialised;
* the database work, in raw ``sqlite3`` on a copy of the bench database taken just before: the very statements the
  pipeline issued for the same kind of request (the revocation, request-log, SMI and anti-replay reads, and the
  request log entry, CH asset record, logged response and service-level rows it writes), with their parameters as
  the pipeline bound them, then one commit, on a connection with the bench database's own pragmas (WAL,
  synchronous=NORMAL, foreign keys on) — the durable write the DCC must make before it replies.

Throughput: a DCC HTTP server in its own process (uvicorn with httptools and uvloop, the product's app; ``--workers``
processes sharing one port) on the same database, and 16 senders in this process sharing one ``HttpTransport`` (its
kept-alive connections, ``dccflow.http1``). Only six User IDs of the simulated
Parties are Eligible for SRV 8.14.1; a User's RequestID counters must rise (anti-replay), so each User sends one
request at a time (its senders take turns): at most six requests are in flight, enough to keep the server busy.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from dccflow.db import serializable
from dccflow.duis.messages import to_bytes
from dccflow.duis.responses import build_service_response
from dccflow.duis.schema import secure_parse, validate
from dccflow.security.xmldsig import sign, verify_with_digest

#: the pragmas the floor's raw connection copies from the bench database's own connection
PRAGMAS = ("journal_mode", "synchronous", "foreign_keys")
SENDERS = 16
KEY_ENV = "DCCFLOW_BENCH_SIM_KEY"


def xml_and_crypto(smki, batch: list[tuple[str, bytes]], at: datetime, srv: str = "8.14.1") -> list[float]:
    """Seconds per request of the XML work and the two ECDSA operations, with the pipeline's own functions."""
    dcc = smki.dcc_credential()
    times = []
    for rid, xml in batch:
        start = time.perf_counter()
        root = secure_parse(xml)
        validate(root)
        verify_with_digest(root, smki.find)
        to_bytes(sign(build_service_response(request_id=rid, response_code="I0", at=at,
                                             service_reference_variant=srv), dcc.key, dcc.cert))
        times.append(time.perf_counter() - start)
    return times


def request_by_request(smki, batch: list[tuple[str, bytes]], captured: list[list], replay: RawReplay | None,
                       at: datetime) -> tuple[list[float], list[float]]:
    """The floor of each request as a DCC must do it, one request after the other: its XML and ECDSA work
    (``xml_and_crypto``), then its statements and commit in raw ``sqlite3`` (``RawReplay``; none without one).
    Seconds per request of each part. Done phase by phase instead (all the XML of a chunk, then all its SQL), each
    part would run with its own code and data alone in the CPU's caches: faster than any DCC taking requests one
    at a time can run them (the DUIS schema's validation alone takes ~19 us warm and ~110-170 us once 16 MiB
    have passed through the caches; ``docs/performance.md``, round six)."""
    xml_times: list[float] = []
    sql_times: list[float] = []
    for i, request in enumerate(batch):
        xml_times += xml_and_crypto(smki, [request], at)
        sql_times += replay.run([captured[i]]) if replay is not None else [0.0]
    return xml_times, sql_times


def database_path(engine: Engine) -> Path:
    return Path(engine.url.database)


def snapshot(engine: Engine, dest: Path) -> Path:
    """A consistent copy of the bench database (SQLite's online backup)."""
    src, dst = sqlite3.connect(database_path(engine)), sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return dest


def pragmas_of(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in PRAGMAS}


DRIVER_CALLS = ("do_execute", "do_executemany", "do_execute_no_params", "do_commit")


@contextmanager
def driver_calls(engine: Engine, wrap: Callable[[str, Callable], Callable]) -> Iterator[None]:
    """Replace, for the block, each dialect method by which SQLAlchemy (and ``dccflow.prepared``) calls the driver
    (:data:`DRIVER_CALLS`) by ``wrap(name, original)``, on ``engine``'s dialect and on its serializable twin's (the
    intake's transactions, ``dccflow.db.serializable``). Unlike an engine event listener, this leaves nothing behind:
    an engine that ever had a listener keeps SQLAlchemy's (and ``Prepared``'s) slower path for listeners."""
    dialects = list({id(d): d for d in (engine.dialect, serializable(engine).dialect)}.values())
    originals = [(d, name, d.__dict__.get(name)) for d in dialects for name in DRIVER_CALLS]
    for dialect in dialects:
        for name in DRIVER_CALLS:
            setattr(dialect, name, wrap(name, getattr(dialect, name)))
    try:
        yield
    finally:
        for dialect, name, own in originals:  # back to what the dialect had (its class's, or its own)
            if own is None:
                delattr(dialect, name)
            else:
                setattr(dialect, name, own)


async def capture(engine: Engine, submit: Callable, batch: list[tuple[str, bytes]], at: datetime) -> list[list]:
    """Run ``submit`` over ``batch`` and keep, per request, the statements the pipeline sent to the driver
    (with their bound parameters) in the transaction that took the request, up to its commit: the request's
    own work (what a request may start after its reply is not part of the floor)."""
    captured: list[list] = []

    def keep(statement, parameters, executemany):
        if not (captured[-1] and captured[-1][-1][0] == "COMMIT"):
            captured[-1].append((statement, parameters, executemany))

    def wrap(name: str, original: Callable) -> Callable:
        if name == "do_commit":
            def committing(dbapi_connection):
                keep("COMMIT", None, False)
                return original(dbapi_connection)
            return committing
        if name == "do_execute_no_params":
            def executing_no_params(cursor, statement, context=None):
                keep(statement, (), False)
                return original(cursor, statement, context)
            return executing_no_params

        def executing(cursor, statement, parameters, context=None):
            keep(statement, parameters, name == "do_executemany")
            return original(cursor, statement, parameters, context)
        return executing

    with driver_calls(engine, wrap):
        for i, (rid, xml) in enumerate(batch):
            captured.append([])
            reply = await submit(xml, at + timedelta(seconds=i))
            if reply.outcome != "accepted":
                raise SystemExit(f"capture: {rid} was {reply.outcome}: {reply.reason}")
    return captured


class RawReplay:
    """A raw ``sqlite3`` connection to the floor's copy, with the bench database's pragmas, replaying captured
    requests: each request's statements, then one commit."""

    def __init__(self, path: Path, pragmas: dict[str, object]):
        self.con = sqlite3.connect(path, timeout=30, check_same_thread=False)  # as ``dccflow.db`` connects
        for name, value in pragmas.items():
            self.con.execute(f"PRAGMA {name}={value}")

    def run(self, captured: list[list]) -> list[float]:
        """Seconds per request."""
        times = []
        for statements in captured:
            start = time.perf_counter()
            cur = self.con.cursor()
            for statement, parameters, many in statements:
                if statement == "COMMIT":
                    continue
                if many:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
                    if cur.description is not None:
                        cur.fetchall()
            self.con.commit()
            times.append(time.perf_counter() - start)
        return times

    def close(self) -> None:
        self.con.close()


def shape(captured: list[list]) -> tuple[float, float, float]:
    """(reads, writes, commits) per request in a captured run."""
    n = len(captured) or 1
    reads = sum(1 for req in captured for s, _, _ in req if s.lstrip().upper().startswith("SELECT"))
    commits = sum(1 for req in captured for s, _, _ in req if s == "COMMIT")
    writes = sum(len(req) for req in captured) - reads - commits
    return reads / n, writes / n, commits / n


# -- throughput over HTTP, the DCC in its own process ----------------------------------------------------------
async def start_server(database_url: str, key: bytes,
                       workers: int = 1) -> tuple[list[asyncio.subprocess.Process], str]:
    """The product's DCC HTTP app served by uvicorn in ``workers`` other processes on the same database, all
    listening on one port (``SO_REUSEPORT``: the kernel shares the connections out among them)."""
    procs: list[asyncio.subprocess.Process] = []
    url = None
    for _ in range(workers):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "serve", database_url, *([url] if url else []),
            stdout=asyncio.subprocess.PIPE, env={**os.environ, KEY_ENV: key.hex()})
        procs.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        if not line:
            await stop_server(procs)
            raise SystemExit("the DCC server process did not start")
        url = line.decode().strip()
    assert url is not None
    return procs, url


async def stop_server(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux ``/proc``; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Throughput:
    rate: float
    #: CPU seconds per request: the server processes', the senders' (this process)
    server_cpu: float
    client_cpu: float

    @property
    def capacity_2_cores(self) -> float:
        """Requests per second two otherwise idle cores could serve at this CPU cost per request."""
        return 2 / (self.server_cpu + self.client_cpu) if self.server_cpu + self.client_cpu else 0.0


async def throughput(url: str, key: bytes, per_user: dict[str, list[tuple[str, bytes]]], at: datetime,
                     senders: int = SENDERS, server_pids: list[int] | None = None) -> Throughput:
    """Service Requests per second with ``senders`` concurrent senders over one keep-alive client, and the CPU per
    request of the servers (``server_pids``) and of the senders: steadier than the rate on a shared machine."""
    from activities.http_transport import HttpTransport
    from dccsim.http_api import SimClock

    users = list(per_user)
    pending = {user: iter(reqs) for user, reqs in per_user.items()}
    turns = {user: asyncio.Lock() for user in users}
    clock = SimClock(key=key)
    done = 0

    async def sender(index: int, transport) -> None:
        nonlocal done
        user = users[index % len(users)]
        while True:
            async with turns[user]:  # a User's counters must arrive in order
                item = next(pending[user], None)
                if item is None:
                    return
                rid, xml = item
                reply = await transport.submit(xml, at)
            if reply.outcome != "accepted":
                raise SystemExit(f"over HTTP, {rid} was {reply.outcome}: {reply.reason}")
            done += 1

    async with HttpTransport(url, sim_clock=clock) as transport:
        first = next(iter(per_user.values()))[0]  # connect before timing
        await transport.submit(first[1], at)
        pending[users[0]] = iter(per_user[users[0]][1:])
        start, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server_pids or [])
        await asyncio.gather(*(sender(i, transport) for i in range(senders)))
        elapsed = time.perf_counter() - start
        return Throughput(done / elapsed, (cpu_seconds(server_pids or []) - server_cpu) / done,
                          (time.process_time() - cpu) / done)


def _serve(database_url: str, url: str | None = None) -> None:
    """One DCC server process; ``url``: another's, whose port this one shares."""
    import socket

    import uvicorn

    from dccsim.http_api import SimClock, create_dcc_app

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from dcc_pipeline import build_dcc

    from dccflow.db import get_engine

    dcc = build_dcc(get_engine(database_url))
    clock = SimClock(key=bytes.fromhex(os.environ[KEY_ENV]))
    # IPPROTO_TCP given: asyncio sets TCP_NODELAY only on connections whose socket says TCP (without uvloop, a reply
    # written in two parts would otherwise wait ~40 ms for the client's delayed ACK: dccflow_app.http_stack)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", int(url.rsplit(":", 1)[1]) if url else 0))
    sock.listen(128)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(create_dcc_app(dcc, sim_clock=clock), log_config=None, log_level="warning",
                            access_log=False, lifespan="off")
    try:
        import uvloop  # the event loop uvicorn itself picks when it runs the server (``loop="auto"``)
    except ImportError:  # pragma: no cover - not on Windows
        asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
    else:
        uvloop.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if sys.argv[1:2] == ["serve"]:
        _serve(*sys.argv[2:4])
