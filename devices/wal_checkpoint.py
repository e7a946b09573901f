"""Checkpoint an SQLite database's WAL from a thread of its own while one connection goes on writing (the fleet
builder, ``devices.builder``): the copy of committed pages into the database file, and its fsyncs, leave the
writer's thread, which has automatic checkpoints off for the while (``PRAGMA wal_autocheckpoint=0``).

Durability is the journal's, not the checkpoint's: a commit is durable once its WAL frames are (the builder's
last commit is synced with ``synchronous=FULL``); a checkpoint only moves committed pages into the database file,
and syncs the WAL before and the database file after (this thread's connection keeps SQLite's default
``synchronous=FULL``). ``PASSIVE``: it never waits for, nor blocks, the writer. SQLite restarts the WAL from its
beginning only for a write transaction begun with every frame copied, so the writer calls ``settle()`` before
some of its transactions (``devices.fleet_sqlite.WAL_RESTART_EVERY``): the WAL stays a few chunks long instead of
growing with the fleet, and the other checkpoints run while the writer writes.
"""

from __future__ import annotations

import sqlite3
import threading
import time


class WalCheckpointer:
    """``request()`` after each commit; ``settle()`` to wait for the checkpoints requested; ``close()`` at the end."""

    def __init__(self, path: str):
        self._path = path
        self._changed = threading.Condition()
        self._requested = self._done = 0
        self._ended = False  # the thread has stopped (asked to, or by an error)
        self._stopping = False
        self.checkpoints = 0
        #: CPU time this thread has spent checkpointing (s)
        self.cpu = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dccflow-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        db = None
        try:
            db = sqlite3.connect(self._path, isolation_level=None, timeout=30)
            while True:
                with self._changed:
                    while self._done == self._requested and not self._stopping:
                        self._changed.wait()
                    if self._stopping and self._done == self._requested:
                        return
                    target = self._requested
                began = time.thread_time()
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.cpu += time.thread_time() - began
                self.checkpoints += 1
                with self._changed:
                    self._done = target
                    self._changed.notify_all()
        except sqlite3.Error as exc:  # the writer's own automatic checkpoints take over after the build
            self.error = exc
        finally:
            if db is not None:
                db.close()
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def request(self) -> None:
        with self._changed:
            self._requested += 1
            self._changed.notify_all()

    def settle(self) -> None:
        """Wait until every checkpoint requested so far has run (at once if the thread has stopped)."""
        with self._changed:
            while self._done < self._requested and not self._ended:
                self._changed.wait()

    def close(self) -> None:
        """Let the checkpoints requested run (the database file then holds every commit made before the last
        request), and stop."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join()
