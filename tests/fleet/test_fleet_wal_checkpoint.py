"""The fleet builder's WAL checkpoints in a thread of their own (``devices.wal_checkpoint``): what a writer with
automatic checkpoints off committed reaches the database file, and the WAL restarts instead of growing."""

from __future__ import annotations

import sqlite3

from devices.wal_checkpoint import WalCheckpointer


def _write(db: sqlite3.Connection, first: int) -> None:
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, ?)", ((i, "x" * 500) for i in range(first, first + 2_000)))
    db.execute("COMMIT")


def test_checkpoints_reach_the_database_file_and_the_wal_restarts(tmp_path):
    path = tmp_path / "w.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    checkpointer = WalCheckpointer(str(path))
    try:
        _write(db, 0)
        checkpointer.request()
        checkpointer.settle()
        assert path.stat().st_size > 2_000 * 500  # the committed pages are in the database file, not only the WAL
        wal = path.with_name("w.db-wal").stat().st_size
        for k in range(1, 4):  # each round begins with every frame copied: the WAL is written from its start
            _write(db, k * 2_000)
            checkpointer.request()
            checkpointer.settle()
        assert path.with_name("w.db-wal").stat().st_size <= wal
    finally:
        checkpointer.close()
    assert checkpointer.error is None and checkpointer.checkpoints == 4
    other = sqlite3.connect(path)
    assert other.execute("SELECT count(*) FROM t").fetchone() == (8_000,)


def test_settle_does_not_wait_for_a_thread_that_ended(tmp_path):
    checkpointer = WalCheckpointer(str(tmp_path / "missing" / "w.db"))  # cannot open: the thread ends at once
    checkpointer.request()
    checkpointer.settle()
    checkpointer.close()
    assert checkpointer.error is not None and checkpointer.checkpoints == 0
