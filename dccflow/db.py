"""One SQLAlchemy engine per database URL, shared by the DCC, the fleet and the User-side stores.

The three systems keep separate tables (``smi_*``/``dcc_*``, ``device_*``, ``user_*``) and talk to each other
only through their interfaces; sharing a database file is an embedding convenience, not a coupling.

Each system's tables are those its models register with ``SQLModel.metadata``; :func:`get_engine` creates every
table registered by the time it is called (so a caller gets the tables of the models it imported). The
composition root registers all of them first (``dccflow_app.database``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

_engines: dict[str, Engine] = {}
#: per database URL, how many registered tables ``create_all`` has seen
_tables_created: dict[str, int] = {}
_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            kwargs: dict = {}
            if url.startswith("sqlite"):
                kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            engine = create_engine(url, **kwargs)
            if url.startswith("sqlite"):
                @event.listens_for(engine, "connect")
                def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - driver hook
                    cur = dbapi_conn.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute("PRAGMA synchronous=NORMAL")
                    cur.execute("PRAGMA foreign_keys=ON")
                    cur.close()
            _engines[url] = engine
        if _tables_created.get(url) != len(SQLModel.metadata.tables):  # models registered since: their tables
            SQLModel.metadata.create_all(engine)
            _tables_created[url] = len(SQLModel.metadata.tables)
        return engine


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
