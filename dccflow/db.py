"""One SQLAlchemy engine per database URL, shared by the DCC, the fleet and the User-side stores.

The three systems keep separate tables (``smi_*``/``dcc_*``, ``device_*``, ``user_*``) and talk to each other
only through their interfaces; sharing a database file is an embedding convenience, not a coupling.

Each system's tables are those its models register with ``SQLModel.metadata``; :func:`get_engine` creates every
table registered by the time it is called (so a caller gets the tables of the models it imported). The
composition root registers all of them first (``dccflow_app.database``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import bindparam, event, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import SQLModel, create_engine

from dccflow.prepared import Prepared
from dccflow.session import Session
from dccflow.writer_lock import writer_lock_for

_engines: dict[str, Engine] = {}
#: per engine, the same engine with serializable transactions (:func:`serializable`)
_serializable: dict[Engine, Engine] = {}
#: per database URL, how many registered tables ``create_all`` has seen
_tables_created: dict[str, int] = {}
_lock = threading.Lock()


def _sqlite_engine(url: str, *, begin_immediate: bool = False) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")  # a pool event: statements run without engine listeners (dccflow.prepared)
    def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - driver hook
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        if begin_immediate:  # the driver begins nothing by itself; SQLAlchemy's begin says BEGIN IMMEDIATE
            dbapi_conn.isolation_level = None

    if begin_immediate:
        engine.dialect.do_begin = _begin_immediate  # this engine's own dialect object
    return engine


def _begin_immediate(dbapi_conn) -> None:  # pragma: no cover - driver hook
    dbapi_conn.execute("BEGIN IMMEDIATE")


def get_engine(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _sqlite_engine(url) if url.startswith("sqlite") else create_engine(url)
            _engines[url] = engine
        if _tables_created.get(url) != len(SQLModel.metadata.tables):  # models registered since: their tables
            SQLModel.metadata.create_all(engine)
            _tables_created[url] = len(SQLModel.metadata.tables)
        return engine


def serializable(engine: Engine) -> Engine:
    """``engine`` with serializable transactions: each sees one snapshot of the database and commits only if
    running it alone, before or after each concurrent one, would have done the same. On PostgreSQL (whose default,
    READ COMMITTED, gives each statement a new snapshot) that is ``SERIALIZABLE``, and a transaction that conflicts
    with a concurrent one is refused (:func:`is_conflict`), for the caller to run it again. On SQLite (one writer)
    the transaction starts with ``BEGIN IMMEDIATE``: it holds the write lock from its first read, so another
    process's writers wait for it (Python's driver would otherwise begin at the first write, leaving the reads
    before it outside the transaction: two worker processes could both act on what they read). That is a second
    engine on the same file whose driver begins nothing by itself and whose dialect begins with ``BEGIN
    IMMEDIATE``: an engine listener would have put every statement of every engine on SQLAlchemy's slower path
    for listeners (``dccflow.prepared``)."""
    if engine.dialect.name not in ("postgresql", "sqlite"):
        return engine
    with _lock:
        if engine not in _serializable:
            _serializable[engine] = (engine.execution_options(isolation_level="SERIALIZABLE")
                                     if engine.dialect.name == "postgresql"
                                     else _sqlite_engine(str(engine.url), begin_immediate=True))
        return _serializable[engine]


#: PostgreSQL's SQLSTATEs for a transaction refused because of a concurrent one: serialization failure, deadlock
_CONFLICTS = frozenset({"40001", "40P01"})


def is_conflict(exc: BaseException) -> bool:
    """``exc`` refused a transaction because of a concurrent one: running it again may succeed."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICTS


def dispose_engine(url: str) -> None:
    """Close the pooled connections of ``url``'s engine and forget it (a test dropping its database, a worker
    shutting down); the next :func:`get_engine` opens a new one."""
    with _lock:
        engine = _engines.pop(url, None)
        _tables_created.pop(url, None)
    if engine is not None:
        twin = _serializable.pop(engine, None)
        if twin is not None and twin is not engine:
            twin.dispose()
        engine.dispose()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends normally, rolled back on any error (so a rejected
    request leaves nothing behind)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class HeldConnection:
    """One connection of ``engine``, and one ``Session`` on it, kept for a caller that runs many short transactions one
    after another (the DCC's intake: a transaction per Service Request). Each :meth:`session` is a transaction as
    :func:`session_scope` gives it: committed when the block ends normally (what the ORM holds flushed first),
    rolled back on any error. It starts as a new Session would: its ``info`` empty, no object in it (each
    transaction's objects are detached when it ends, as ``Session.close`` detaches them), so a transaction reads
    what the database holds, never what an earlier one loaded.

    The transaction is begun on the connection itself, and the Session lends it as it is to the Core and prepared
    statements it runs (``Session.lends_bound_transaction``); the ORM's own work joins it with a Session transaction
    of its own. A ``Session.rollback()`` in the block rolls the whole transaction back, as in a ``session_scope``,
    and the block may go on writing (the intake undoing a DCC fault, ``Intake.undo``): the Session then begins a
    new transaction, committed when the block ends. (``Session.commit()`` in the block, while that transaction is
    open, only writes what the ORM holds: the block's end commits.) What this saves, per transaction, is the pool's
    check-out and return of a connection, a Session made and closed, and the Session's own transaction when only
    Core statements ran, which on a request's hot path cost more than its BEGIN and COMMIT
    (``docs/performance.md``).

    One transaction at a time: a :meth:`session` opened while the connection is in use (another thread, or a
    transaction opened inside one) gets a pooled connection, as :func:`session_scope`. After a database error, or
    when SQLAlchemy has given the connection up (a disconnect invalidates it), the connection is given back to the
    pool and the next :meth:`session` connects anew. Between transactions it holds nothing open: no transaction,
    no snapshot, no lock.

    On a SQLite file, each transaction also holds the database's writer lock (``dccflow.writer_lock``) from before
    it begins until it has ended, so that the DCC's processes on one database take turns without sleeping in
    SQLite's busy handler."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._session: Session | None = None
        self._in_use = threading.Lock()
        self._writers = writer_lock_for(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        if not self._in_use.acquire(blocking=False):
            with session_scope(self.engine) as session:
                yield session
            return
        # one generator for the writer lock, the transaction and the Session: a request's transaction is short, and
        # each context manager more cost microseconds of its own (``docs/performance.md``)
        writers = self._writers
        turn = writers.acquire() if writers is not None else None
        try:
            session = self._session
            if session is None:
                session = self._session = Session(bind=self.engine.connect(), expire_on_commit=False)
                session.lends_bound_transaction = True
            conn = session.bind
            session.info.clear()  # as a new Session's (read after the block by the caller: cleared now, not then)
            failed = True
            try:
                transaction = conn.begin()
                try:
                    yield session
                    session.flush()  # what the ORM holds, written in the transaction (joined by a Session one)
                    if session.in_transaction():
                        session.commit()  # the Session's part ends; one it began itself (after a rollback) commits
                    if transaction.is_active:
                        transaction.commit()
                except BaseException:
                    session.rollback()
                    if transaction.is_active:
                        transaction.rollback()
                    raise
                failed = False
            except BaseException as exc:
                failed = isinstance(exc, SQLAlchemyError)  # the database's or SQLAlchemy's: not the caller's own
                raise
            finally:
                if session.identity_map or session._new or session._deleted:
                    session.expunge_all()  # nothing of this transaction stays in the next
                if failed or conn.invalidated or conn.in_transaction():
                    self._drop()  # whatever state the driver was left in, the next transaction starts on a new one
        finally:
            if writers is not None:
                writers.release(turn)
            self._in_use.release()

    def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
                session.bind.close()  # back to the pool, which rolls back anything left and discards a broken one
            except Exception:  # noqa: BLE001 - a connection already broken: nothing more to release
                pass

    def close(self) -> None:
        """Give the connection back to the pool (the owner stops taking transactions, or its engine is disposed)."""
        with self._in_use:
            self._drop()


def update_row(session: Session, model: type[SQLModel], key: object, **values: object) -> None:
    """UPDATE the columns ``values`` of the row whose (one-column) primary key is ``key``, at once, with Core on the
    session's connection (its transaction): for a row the session does not otherwise change, so there is nothing to
    read back and no unit-of-work flush. Compiled once per table and set of columns (``dccflow.prepared``)."""
    _updates(model.__table__, tuple(sorted(values))).execute(
        session.connection(), {"b_key": key, **{f"b_{name}": value for name, value in values.items()}})


@functools.cache
def _updates(table, columns: tuple[str, ...]) -> Prepared:
    (key,) = table.primary_key.columns  # bind names apart from the columns' (SQLAlchemy reserves those)
    return Prepared(update(table).where(key == bindparam("b_key")).values(
        **{name: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns}))


def upsert(session: Session, model: type[SQLModel], rows: list[dict], *, update: list[str]) -> None:
    """INSERT ``rows`` or, where the primary key exists, UPDATE only the ``update`` columns, in the session's
    transaction. SQLite and PostgreSQL do it in one ``INSERT … ON CONFLICT … DO UPDATE``; another database reads
    each row first."""
    if not rows:
        return
    table = model.__table__
    key = [c.name for c in table.primary_key.columns]
    dialect = session.connection().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        for values in rows:
            existing = session.get(model, tuple(values[name] for name in key))
            if existing is None:
                session.add(model(**values))
            else:
                for name in update:
                    setattr(existing, name, values[name])
        session.flush()
        return
    statement = insert(table)
    statement = statement.on_conflict_do_update(index_elements=key,
                                                set_={name: statement.excluded[name] for name in update})
    session.connection().execute(statement, rows)
