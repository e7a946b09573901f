"""A lock file that queues the writers of one SQLite database across processes, waking the next one at once.

SQLite has one writer at a time. A connection that finds the write lock taken waits in SQLite's busy handler,
which sleeps and tries again: 1 ms, then 2, 5, 10… up to 100 ms between tries. Two DCC processes on one database
(``bench/dcc_pipeline.py --workers 2`` serves the DCC's HTTP interface from two) each run a transaction per Service
Request lasting about a millisecond, so the one that waits sleeps longer than the other holds the lock, and both are
idle part of the time (``docs/performance.md``, round nine). :class:`WriterLock` is an exclusive ``flock`` on a file
beside the database (``<database>-writer.lock``), taken before the transaction begins and given up after it ends; a
process that finds it taken tries again after pauses of 20 µs growing to 200 µs, so it goes on within 0.2 ms of the
other's commit.

It only orders the transactions that take it (``dccflow.db.HeldConnection``'s: the DCC's intake and its processing
of Device Responses); SQLite's own locking still decides what is safe, and any other writer still waits in the
busy handler. Nothing is held between transactions. In one process, threads take it one after another; a
transaction opened while the same thread holds it (two DCC services on one database, one called inside the
other's transaction) does not take it again, so it cannot wait for itself. A transaction waits for it no longer
than SQLite's busy timeout, then goes on without it. Where ``fcntl`` does not exist (Windows), or for a database
with no file (``:memory:``), or when the lock file cannot be made, there is no lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["WriterLock", "lock_path_for", "writer_lock_for"]

log = logging.getLogger(__name__)

SUFFIX = "-writer.lock"
#: seconds a transaction waits for the lock before going on without it: SQLite's busy timeout (``dccflow.db``)
WAIT = 30.0
#: between tries while another holds the lock: from the first to the longest (a DCC transaction lasts ~1 ms)
FIRST_PAUSE, LONGEST_PAUSE = 20e-6, 200e-6


#: what ``WriterLock.acquire`` took, besides the file's descriptor (the flock and this process's turn): this thread
#: holds it already; nothing (not had within ``WAIT``); this process's turn only (no lock file)
_ALREADY_HELD, _NOT_HAD, _THREADS_ONLY = object(), object(), object()


def _lock_within(fd: int, seconds: float) -> bool:
    """Take the exclusive ``flock`` on ``fd``, trying again after short pauses, for at most ``seconds``. (A blocking
    ``flock`` would wake at once too, but could wait for ever: a holder stopped in a debugger, say.)"""
    deadline = time.monotonic() + seconds
    pause = FIRST_PAUSE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


class WriterLock:
    """An exclusive ``flock`` on ``path``, shared by the threads of this process (one holder at a time)."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None
        self._pid = os.getpid()
        self._threads = threading.Lock()
        self._owner: int | None = None
        self._warned = False

    @contextmanager
    def held(self) -> Iterator[bool]:
        """Hold the lock for the block, waiting for another process or thread to give it up first; gives whether it
        is held. Already held by this thread: the block runs as it is (True). Not had within ``WAIT``: the block runs
        without it (False), and SQLite's own locking decides, as it would with no lock file."""
        turn = self.acquire()
        try:
            yield turn is not _NOT_HAD and turn is not _THREADS_ONLY
        finally:
            self.release(turn)

    def acquire(self) -> object:
        """``held()`` without the context manager (a transaction's hot path, ``dccflow.db.HeldConnection``): take the
        lock and give the token to hand to :meth:`release` when done, whatever happens in between."""
        if self._pid != os.getpid():
            self._forked()
        me = threading.get_ident()
        if self._owner == me:
            return _ALREADY_HELD
        if not self._threads.acquire(timeout=WAIT):
            return _NOT_HAD
        try:
            fd = self._open()
            locked = fd is not None and _lock_within(fd, WAIT)
        except BaseException:
            self._threads.release()
            raise
        self._owner = me  # this thread's turn in the process either way: a transaction inside it does not wait
        return fd if locked else _THREADS_ONLY

    def release(self, turn: object) -> None:
        """Give back what :meth:`acquire` took (its ``turn``)."""
        if turn is _ALREADY_HELD or turn is _NOT_HAD:
            return
        self._owner = None
        try:
            if turn is not _THREADS_ONLY:
                fcntl.flock(turn, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _forked(self) -> None:
        """In a forked child: the parent's open file is the parent's lock (a flock belongs to the open file, which
        the fork shares), and its holder and thread lock are the parent's: this process starts with its own."""
        if self._fd is not None:
            os.close(self._fd)  # the parent's hold stays: it also has the file open
        self._fd, self._owner, self._threads, self._pid = None, None, threading.Lock(), os.getpid()

    def _open(self) -> int | None:
        """The lock file, opened once (read-only: a ``flock`` needs no write access, so a file another user made
        serves too); None when it cannot be made or opened (a read-only folder…): no lock, as on Windows."""
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                if not self._warned:
                    log.warning("no writer lock for %s (%s): SQLite's busy handler alone", self.path, exc)
                    self._warned = True
                return None
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def lock_path_for(engine: Engine) -> str | None:
    """The lock file of ``engine``'s database: a SQLite database in a file; otherwise none."""
    if engine.dialect.name != "sqlite" or fcntl is None:
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # in memory, or a URI filename (``mode=memory``, shared caches…): no file of its own to name
    return os.path.abspath(database) + SUFFIX


_locks: dict[str, WriterLock] = {}
_registry = threading.Lock()


def writer_lock_for(engine: Engine) -> WriterLock | None:
    """This process's :class:`WriterLock` for ``engine``'s database (one per file, whatever engine names it)."""
    path = lock_path_for(engine)
    if path is None:
        return None
    with _registry:
        lock = _locks.get(path)
        if lock is None:
            lock = _locks[path] = WriterLock(path)
        return lock
