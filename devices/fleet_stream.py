"""The fleet's rows, chunk by chunk, as scratch SQLite files (``Shard``) the builder copies into the fleet's
tables with one ``INSERT ... SELECT`` per table, in SQLite's C code: the builder's connection binds no parameter
and converts nothing per row. A scratch file has plain tables, no index, no journal: nothing in it needs to
survive (the files are in a temporary directory removed at the end; a chunk is in the fleet only once the
builder's copy of it commits).

For a large fleet the files are made by a second process while the builder's process copies the previous
chunk: on 2 cores, making rows (Python: ids, install codes, tuples, binding them) and writing the fleet (SQLite:
B-tree inserts, 12 B-trees per device) overlap instead of taking turns. It is started with ``spawn`` (never
``fork``: the builder may run inside a process with threads, e.g. a Temporal worker's), gets the ``RowMaker``
(plain data), and sends each file's name down a pipe; it runs at most ``AHEAD`` chunks ahead of the builder, so
memory and scratch space do not grow with the fleet. The builder decides everything durable: which rows are
committed when, and what a failure undoes; if it stops early (a clash, an error, an interrupt), the maker is
stopped and its files removed. Small fleets are made in the builder's own process (a process costs ≈0.3 s).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from devices.fleet_rows import DEVICE_COLUMNS, PLAN_COLUMNS, REGISTRATION_COLUMNS, RowMaker

#: premises from which the rows are made in a second process (when the machine has a second CPU)
PARALLEL_FROM = 20_000
#: chunks the maker may have written that the writer has not yet copied
AHEAD = 2
#: the schema name the builder attaches a chunk's file as
SCHEMA = "fleet_rows"


class Shard(NamedTuple):
    """A chunk's rows in a scratch SQLite file (``write_shard``), and how many devices they are."""

    path: Path
    devices: int


def chunks(start: int, count: int, size: int) -> Iterator[range]:
    for first in range(start, start + count, size):
        yield range(first, min(first + size, start + count))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parallel_for(count: int) -> bool:
    """Whether a fleet of ``count`` premises gets its rows from a second process."""
    return count >= PARALLEL_FROM and _cpus() > 1


def write_shard(path: str, maker: RowMaker, numbers: range) -> int:
    """The rows of premises ``numbers`` into a new scratch file at ``path`` (tables ``plan``, ``device`` and
    ``dcc_registration``; ``devices.fleet_rows``); returns the number of devices."""
    devices, registrations = maker.rows(numbers)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")  # scratch: a crash loses the file, which is thrown away anyway
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        for name, columns, rows in (("plan", PLAN_COLUMNS, maker.plan_rows), ("device", DEVICE_COLUMNS, devices),
                                    ("dcc_registration", REGISTRATION_COLUMNS, registrations)):
            key = " INTEGER PRIMARY KEY" if name == "plan" else ""
            db.execute(f"CREATE TABLE {name} ({columns[0]}{key}, {', '.join(columns[1:])})")
            db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(columns))})", rows)  # noqa: S608
        db.execute("COMMIT")
    finally:
        db.close()
    return len(devices)


def _make(pipe: Connection, maker: RowMaker, start: int, count: int, size: int, directory: str) -> None:
    """The second process: each chunk's rows into a scratch file, its name down the pipe (or the error that
    stopped it); at most ``AHEAD`` chunks not yet acknowledged."""
    try:
        waiting = 0
        for k, numbers in enumerate(chunks(start, count, size)):
            while waiting >= AHEAD:
                pipe.recv()
                waiting -= 1
            path = os.path.join(directory, f"chunk-{k}.db")
            pipe.send(("chunk", path, write_shard(path, maker, numbers)))
            waiting += 1
    except (BrokenPipeError, ConnectionResetError, EOFError):  # the writer stopped: nothing more is wanted
        return
    except BaseException as exc:  # noqa: BLE001 - reported to the writer, which raises it
        try:
            pipe.send(("error", f"{type(exc).__name__}: {exc}", 0))
        except OSError:
            pass
    finally:
        pipe.close()


class RowMakerFailed(RuntimeError):
    pass


def stream(maker: RowMaker, start: int, count: int, size: int, *,
           parallel: bool | None = None) -> Iterator[tuple[range, Shard]]:
    """Each chunk of ``size`` premises from ``start`` on, with its scratch file (removed when the caller asks for
    the next chunk: copy it before); made by a second process if ``parallel`` (default: ``parallel_for(count)``),
    else here. Closing the iterator early stops the second process and removes the files."""
    directory = tempfile.mkdtemp(prefix="dccflow-fleet-")
    try:
        if parallel_for(count) if parallel is None else parallel:
            yield from _from_process(maker, start, count, size, directory)
        else:
            for k, numbers in enumerate(chunks(start, count, size)):
                path = os.path.join(directory, f"chunk-{k}.db")
                yield numbers, Shard(Path(path), write_shard(path, maker, numbers))
                os.unlink(path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _from_process(maker: RowMaker, start: int, count: int, size: int,
                  directory: str) -> Iterator[tuple[range, Shard]]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=_make, args=(theirs, maker, start, count, size, directory),
                              name="dccflow-fleet-rows", daemon=True)
    try:
        process.start()
        theirs.close()  # the child holds the only other end: EOF when it ends
        for numbers in chunks(start, count, size):
            try:
                kind, detail, devices = ours.recv()
            except EOFError:
                process.join(5)
                raise RowMakerFailed(f"the row-making process ended early (exit code {process.exitcode})") from None
            if kind == "error":
                raise RowMakerFailed(f"the row-making process failed: {detail}")
            yield numbers, Shard(Path(detail), devices)
            os.unlink(detail)
            try:
                ours.send("copied")
            except OSError:  # it made the last chunk and ended
                pass
    finally:
        ours.close()
        if process.pid is not None:
            process.join(10)
            if process.is_alive():  # pragma: no cover - blocked elsewhere than on the pipe
                process.terminate()
                process.join()
