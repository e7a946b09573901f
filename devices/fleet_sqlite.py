"""The fleet builder's SQLite connection while it writes (``devices.builder``): a chunk's scratch file attached
while it is copied, the last chunk committed durably, and the build's own page cache and WAL checkpoints. Each
setting is given back afterwards; none of them trades durability. On other databases each is a no-op."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from devices.fleet_stream import SCHEMA, Shard
from devices.wal_checkpoint import WalCheckpointer


@contextmanager
def attached(conn: Connection, tables: tuple | Shard) -> Iterator[None]:
    """A ``Shard``'s file attached as ``SCHEMA`` while its chunk is copied (and detached after the transaction)."""
    if not isinstance(tables, Shard):
        yield
        return
    dbapi = conn.connection.dbapi_connection
    dbapi.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(tables.path),))
    try:
        yield
    finally:
        dbapi.execute(f"DETACH DATABASE {SCHEMA}")


@contextmanager
def durable_commit(conn: Connection) -> Iterator[None]:
    """SQLite: commit the last chunk with ``synchronous=FULL``: the WAL is synced at that commit (earlier chunks
    are in that WAL or were synced into the database by a checkpoint), so when ``build_fleet`` returns the whole
    fleet is on disk, whatever the engine's own setting (``synchronous=NORMAL`` only makes a crash lose the last
    commits, never corrupt)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    mode = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    conn.exec_driver_sql("PRAGMA synchronous=FULL")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA synchronous={int(mode)}")
        conn.commit()


#: with checkpoints in a thread of their own (``devices.wal_checkpoint``), the builder waits for the last one to end
#: before every so many chunks, so that the WAL restarts from its beginning (SQLite restarts it only for a
#: transaction begun with every frame copied): the WAL holds at most that many chunks (≈35 MB each)
WAL_RESTART_EVERY = 4
#: SQLite page cache of the builder's connection while it copies (KiB): a chunk's new pages (≈35 MB) stay in
#: memory until its commit writes each once to the WAL, instead of spilling half-filled pages and writing them again
BUILD_CACHE_KIB = 65_536


@contextmanager
def build_session(conn: Connection) -> Iterator[WalCheckpointer | None]:
    """SQLite: the builder's connection for the build: a larger page cache (``BUILD_CACHE_KIB``) and, on a WAL
    database file, its checkpoints made by a thread of their own (``devices.wal_checkpoint``) instead of in the
    commits; yields that checkpointer. The connection's own settings are given back after (both are
    per-connection settings: nothing about durability)."""
    if conn.dialect.name != "sqlite":
        yield None
        return
    size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    automatic = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    path = next((row[2] for row in conn.exec_driver_sql("PRAGMA database_list") if row[1] == "main"), "")
    wal = path and str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() == "wal"
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BUILD_CACHE_KIB}")
    checkpointer = None
    if wal:
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        checkpointer = WalCheckpointer(path)
    conn.commit()
    try:
        yield checkpointer
    finally:
        if checkpointer is not None:
            checkpointer.close()
        conn.exec_driver_sql(f"PRAGMA cache_size={int(size)}")
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(automatic)}")
        conn.commit()
