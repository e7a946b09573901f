"""``dccflow.prepared``: the intake's statements compiled once per dialect and run on the driver write and read the
same rows as SQLAlchemy's own execution, in the caller's transaction, with SQLAlchemy's errors and events. Re-run on
PostgreSQL by tests/postgres/test_pg_dcc.py (``DCCFLOW_DATABASE_URL``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import select as orm_select

from dccflow.db import dispose_engine, get_engine, session_scope
from dccflow.prepared import Prepared
from dccsim.models import RequestLogEntry
from dccsim.records import ChAssetRecord

AT = datetime(2025, 3, 4, 10, 30, 0, 123456, tzinfo=UTC)
_log = RequestLogEntry.__table__
_assets = ChAssetRecord.__table__


@pytest.fixture
def engine(tmp_path):
    url = os.environ.get("DCCFLOW_DATABASE_URL") or f"sqlite:///{tmp_path / 'prepared.db'}"
    yield get_engine(url)
    dispose_engine(url)


def _entry(request_id: str, counter: int) -> dict:
    return dict(request_id=request_id, originator="90-B3-D5-1F-30-01-00-00", target="00-DB-12-34-56-78-90-C1",
                counter=counter, srv="8.14.1", digest="ab" * 32, received_at=AT, xml=b"<x/>")


def test_rows_written_through_the_driver_are_those_sqlalchemy_writes(engine):
    insert = Prepared(_log.insert())
    with session_scope(engine) as s:
        insert.execute(s.connection(), _entry("A:1", 2**63 - 1))  # quarantined_seconds, stage: column defaults
        s.connection().execute(_log.insert(), _entry("A:2", 7))
        insert_asset = Prepared(_assets.insert())
        details = {"CHFLocation": "Under stairs", "AerialInstall": False}
        insert_asset.execute(s.connection(), dict(chf_id="C", srv="8.14.1", state="installed", user_id="U",
                                                  request_id="A:1", at=AT, details=details))
    with session_scope(engine) as s:
        ours, theirs = s.get(RequestLogEntry, "A:1"), s.get(RequestLogEntry, "A:2")
        assert ours.model_dump(exclude={"request_id", "counter"}) == theirs.model_dump(exclude={"request_id",
                                                                                              "counter"})
        assert (ours.counter, ours.stage, ours.quarantined_seconds, ours.received_at) == (2**63 - 1, "accepted",
                                                                                        0.0, AT)
        asset = s.exec(orm_select(ChAssetRecord)).one()
        assert (asset.details, asset.at) == (details, AT)


def test_reads_return_the_columns_python_values_and_see_the_transactions_writes(engine):
    read = Prepared(select(_log.c.received_at, _log.c.counter).where(_log.c.originator == bindparam("o")))
    with session_scope(engine) as s:
        Prepared(_log.insert()).execute(s.connection(), _entry("A:1", 5))
        assert read.all(s.connection(), {"o": "90-B3-D5-1F-30-01-00-00"}) == [(AT, 5)]
        assert read.first(s.connection(), {"o": "nobody"}) is None
        s.rollback()  # the driver's statements were the transaction's: gone with it
    with session_scope(engine) as s:
        assert read.all(s.connection(), {"o": "90-B3-D5-1F-30-01-00-00"}) == []


def test_a_duplicate_key_is_sqlalchemys_integrity_error_and_listeners_see_the_statements(engine):
    insert = Prepared(_log.insert())
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with session_scope(engine) as s:
        insert.execute(s.connection(), _entry("A:1", 5))
    with pytest.raises(IntegrityError), session_scope(engine) as s:  # on the driver's cursor
        insert.execute(s.connection(), _entry("A:1", 6))
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with pytest.raises(IntegrityError), session_scope(engine) as s:  # through exec_driver_sql, listened to
            insert.execute(s.connection(), _entry("A:1", 7))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert any(statement.lstrip().upper().startswith("INSERT INTO DCC_REQUEST_LOG") for statement in seen)
    with session_scope(engine) as s:
        assert s.get(RequestLogEntry, "A:1").counter == 5


def test_literal_values_in_a_statement_are_bound_as_compiled(engine):
    """An anonymous literal (``limit(1)``, a ``case`` result) is compiled as ``param_1``…; a prepared statement binds
    it as SQLAlchemy would (it once looked it up by its anonymous key and failed)."""
    from sqlalchemy import case, func

    with session_scope(engine) as s:
        for i in range(3):
            Prepared(_log.insert()).execute(s.connection(), _entry(f"A:{i}", i))
    newest = Prepared(select(_log.c.request_id).where(_log.c.srv == bindparam("srv"))
                      .order_by(_log.c.counter.desc()).limit(1))
    counted = Prepared(select(func.count(case((_log.c.counter > bindparam("above"), 1)))))
    with session_scope(engine) as s:
        assert newest.all(s.connection(), {"srv": "8.14.1"}) == [("A:2",)]
        assert counted.first(s.connection(), {"above": 0}) == (2,)


def test_once_the_listeners_are_removed_statements_go_straight_to_the_driver(engine, monkeypatch):
    """An engine keeps ``_has_events`` after its last listener is removed; the statements must not stay on the
    listened path for good (a bench that captured statements then timed the pipeline on the slow path)."""
    from sqlalchemy.engine import Connection

    insert = Prepared(_log.insert())
    listened: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        listened.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    with session_scope(engine) as s:
        insert.execute(s.connection(), _entry("A:1", 5))
    event.remove(engine, "before_cursor_execute", listener)
    assert len(listened) == 1 and engine._has_events  # SQLAlchemy's flag stays set

    def refuse(*_args, **_kwargs):
        raise AssertionError("a statement went through exec_driver_sql with no listener left")

    monkeypatch.setattr(Connection, "exec_driver_sql", refuse)
    with session_scope(engine) as s:
        insert.execute(s.connection(), _entry("A:2", 6))
        assert [r for (r,) in Prepared(select(_log.c.request_id).order_by(_log.c.request_id)).all(s.connection())] \
            == ["A:1", "A:2"]
    assert len(listened) == 1


def test_one_instant_in_several_columns_and_then_others_each_stored_as_sqlalchemy_stores_it(engine):
    """A date-time conversion is shared by the columns of one type and kept for the last value (a request writes
    its instant as received, completed and measured): each row still holds its own instants, a naive one is still
    refused, and what is stored is what SQLAlchemy's own execution stores."""
    insert = Prepared(_log.insert())
    later = datetime(2025, 3, 4, 11, 0, tzinfo=UTC)
    other_zone = datetime.fromisoformat("2025-03-04T12:00:00+01:00")  # equal to ``later``, another object
    with session_scope(engine) as s:
        insert.execute(s.connection(), {**_entry("A:1", 1), "completed_at": AT, "execution_at": AT})
        insert.execute(s.connection(), {**_entry("A:2", 2), "received_at": later, "completed_at": AT})
        insert.execute(s.connection(), {**_entry("A:3", 3), "received_at": other_zone, "completed_at": later})
        s.connection().execute(_log.insert(), {**_entry("A:4", 4), "received_at": other_zone, "completed_at": later})
    with session_scope(engine) as s:
        rows = {r.request_id: (r.received_at, r.completed_at, r.execution_at)
                for r in s.exec(orm_select(RequestLogEntry))}
    assert rows == {"A:1": (AT, AT, AT), "A:2": (later, AT, None), "A:3": (later, later, None),
                    "A:4": (later, later, None)}
    with pytest.raises(Exception, match="timezone"), session_scope(engine) as s:
        insert.execute(s.connection(), {**_entry("A:5", 5), "received_at": datetime(2025, 3, 4, 10, 30)})
