"""``dccflow.session.Session.get`` reads a row with a prepared statement instead of SQLAlchemy's ORM query: the
objects it gives must be what sqlmodel's own ``Session.get`` gives — the same values (JSON, datetimes, booleans
through their types), persistent in the session, changed and flushed as usual — and everything it does not handle
must reach SQLAlchemy. Runs on PostgreSQL too (tests/postgres/test_pg_session_get.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import object_session
from sqlalchemy.orm.base import instance_state
from sqlmodel import Session as SqlModelSession

from activities.store import AlertRoute
from dccflow.db import dispose_engine, get_engine, session_scope
from dccflow.session import Session
from dccsim.models import RequestLogEntry
from devices.models import DeviceState

AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'session.db'}"
    yield url
    dispose_engine(url)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    with session_scope(engine) as s:
        s.add(RequestLogEntry(request_id="R1", originator="90-B3-D5-1F-30-01-00-00", target="00-DB-12-03-00-00-00-01",
                              counter=2**40, srv="6.21", digest="d", received_at=AT, xml=b"<x/>",
                              device_response={"response": {"success": True}, "delivered": True}))
        s.add(DeviceState(device_id="00-DB-12-03-00-00-00-01", device_type="ESME", installed=True,
                          counters={"90-B3-D5-1F-30-01-00-00": [7, "R0", True]}))
        s.add(AlertRoute(recipient="90-B3-D5-1F-30-01-00-00", device_id="00-DB-12-03-00-00-00-01",
                         workflow_id="wf-1", device_alerts=False))
    return engine


KEYS = [(RequestLogEntry, "R1"), (DeviceState, "00-DB-12-03-00-00-00-01"),
        (AlertRoute, ("90-B3-D5-1F-30-01-00-00", "00-DB-12-03-00-00-00-01"))]


def test_session_scope_opens_the_quicker_session(engine) -> None:
    with session_scope(engine) as s:
        assert isinstance(s, Session)


@pytest.mark.parametrize(("model", "key"), KEYS, ids=lambda v: getattr(v, "__name__", None) or "key")
def test_it_loads_what_sqlalchemy_loads(engine, model, key) -> None:
    with SqlModelSession(engine) as theirs, Session(engine) as ours:
        orm_queries = []
        event.listen(ours, "do_orm_execute", orm_queries.append)
        expected, got = theirs.get(model, key), ours.get(model, key)
        assert orm_queries == []  # read by the prepared statement, not by an ORM query
        assert got.model_dump() == expected.model_dump()
        assert type(got) is model and object_session(got) is ours
        state = instance_state(got)
        assert state.persistent and not state.modified and got not in ours.dirty
        assert ours.get(model, key) is got  # the identity map answers the second time
        assert ours.get(model, "no such key" if not isinstance(key, tuple) else ("no", "such")) is None


def test_types_come_back_as_python_values(engine) -> None:
    with Session(engine) as s:
        entry = s.get(RequestLogEntry, "R1")
        device = s.get(DeviceState, "00-DB-12-03-00-00-00-01")
        route = s.get(AlertRoute, ("90-B3-D5-1F-30-01-00-00", "00-DB-12-03-00-00-00-01"))
    assert entry.device_response == {"response": {"success": True}, "delivered": True}
    assert entry.received_at.replace(tzinfo=UTC) == AT and entry.counter == 2**40
    assert device.counters == {"90-B3-D5-1F-30-01-00-00": [7, "R0", True]} and device.installed is True
    assert route.device_alerts is False


def test_a_loaded_object_is_changed_and_flushed_as_usual(engine) -> None:
    with session_scope(engine) as s:
        entry = s.get(RequestLogEntry, "R1")
        entry.stage = "completed"
        assert entry in s.dirty
        device = s.get(DeviceState, "00-DB-12-03-00-00-00-01")
        device.counters = {**device.counters, "90-B3-D5-1F-30-01-00-01": [1, "R9", True]}
    with SqlModelSession(engine) as s:
        assert s.get(RequestLogEntry, "R1").stage == "completed"
        assert set(s.get(DeviceState, "00-DB-12-03-00-00-00-01").counters) == {"90-B3-D5-1F-30-01-00-00",
                                                                               "90-B3-D5-1F-30-01-00-01"}


def test_pending_changes_are_flushed_before_the_read(engine) -> None:
    with session_scope(engine) as s:
        s.add(DeviceState(device_id="00-DB-12-04-00-00-00-01", device_type="GSME"))
        s.get(DeviceState, "00-DB-12-03-00-00-00-01").installed = False
        # the pending row is found (autoflush), and it is the very object added
        added = s.get(DeviceState, "00-DB-12-04-00-00-00-01")
        assert added is not None and added.device_type == "GSME"
        s.rollback()
    with Session(engine) as s:
        assert s.get(DeviceState, "00-DB-12-04-00-00-00-01") is None  # rolled back with the rest
        assert s.get(DeviceState, "00-DB-12-03-00-00-00-01").installed is True


def test_expired_and_deleted_objects_follow_sqlalchemy(engine) -> None:
    with Session(engine) as s:
        entry = s.get(RequestLogEntry, "R1")
        s.expire(entry)
        assert s.get(RequestLogEntry, "R1") is entry and entry.srv == "6.21"  # refreshed
        s.delete(entry)
        s.flush()
        assert s.get(RequestLogEntry, "R1") is None
        s.rollback()


def test_options_go_to_sqlalchemy(engine) -> None:
    with Session(engine) as s:
        entry = s.get(RequestLogEntry, "R1", populate_existing=True)
        assert entry.srv == "6.21"
        assert s.get(RequestLogEntry, {"request_id": "R1"}) is entry


def test_rows_are_what_the_orm_select_gives(engine) -> None:
    from sqlalchemy import bindparam
    from sqlmodel import select

    from dccflow.session import Rows
    from dccsim.inventory import Registration
    from dccsim.models import RegistrationData

    mpan = "1012345678901"
    with session_scope(engine) as s:
        reg = Registration(s)
        for n, supplier in enumerate(("90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-03-00-00")):
            reg.add(mpxn=mpan, fuel="electricity", supplier_id=supplier, network_operator_id="90-B3-D5-1F-30-02-00-00",
                    effective_from=AT.replace(day=1 + n))
    query = Rows(RegistrationData, RegistrationData.mpxn == bindparam("mpxn"),
                 order_by=(RegistrationData.effective_from.desc(),))
    with SqlModelSession(engine) as theirs, Session(engine) as ours:
        expected = list(theirs.exec(select(RegistrationData).where(RegistrationData.mpxn == mpan)
                                    .order_by(RegistrationData.effective_from.desc())))
        held = ours.get(RegistrationData, expected[0].id)
        got = ours.rows(query, {"mpxn": mpan})
        assert [r.model_dump() for r in got] == [r.model_dump() for r in expected]
        assert got[0] is held and all(object_session(r) is ours for r in got)  # what the session holds, as it is
        got[1].effective_to = AT
        ours.commit()
    with SqlModelSession(engine) as s:
        assert s.get(RegistrationData, expected[1].id).effective_to is not None


def test_connection_is_the_active_transactions_and_sqlalchemys_rules_hold_otherwise(engine) -> None:
    """``Session.connection`` hands back its active transaction's connection (the same one SQLAlchemy gives), a
    new transaction's after a commit or a rollback, the same through a SAVEPOINT, and leaves a failed transaction
    to SQLAlchemy, which refuses it."""
    from sqlalchemy.exc import IntegrityError, PendingRollbackError, SAWarning

    with Session(engine) as s:
        first = s.connection()
        assert s.connection() is first and s.connection(bind_arguments={"mapper": None}) is first
        assert SqlModelSession.connection(s) is first  # SQLAlchemy's own answer
        s.commit()
        second = s.connection()
        assert second is not first and not first.in_transaction()
        nested = s.begin_nested()
        assert s.connection() is second
        nested.rollback()
        assert s.connection() is second
        with pytest.warns(SAWarning, match="execution_options ignored"):  # SQLAlchemy's path, and its warning
            assert s.connection(execution_options={"isolation_level": "SERIALIZABLE"}) is second
        s.rollback()
        assert s.connection() is not second
        s.add(RequestLogEntry(request_id="R1", originator="x", target="y", counter=1, srv="6.21", digest="d",
                              received_at=AT, xml=b"<x/>"))  # the primary key of the fixture's entry
        with pytest.raises(IntegrityError):
            s.flush()
        with pytest.raises(PendingRollbackError):
            s.connection()  # the failed transaction is SQLAlchemy's to refuse, not handed back
        s.rollback()
        assert s.get(RequestLogEntry, "R1").srv == "6.21"  # and the session goes on as SQLAlchemy's does
