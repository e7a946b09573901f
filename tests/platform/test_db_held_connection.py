"""``dccflow.db.HeldConnection``: the DCC's transactions one after another on one kept connection and Session, each
as ``session_scope`` gives it — committed or rolled back whole, starting with nothing of the one before — and a
connection the database refused, or SQLAlchemy gave up, replaced by a new one. Re-run on PostgreSQL by
tests/postgres/test_pg_held_connection.py."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import select

from dccflow.db import HeldConnection, dispose_engine, get_engine, serializable, session_scope
from dccsim.smki_authority import SmkiAuthorityGeneration


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'held.db'}"
    yield url
    dispose_engine(url)


@pytest.fixture
def engine(db_url):
    engine = get_engine(db_url)
    with session_scope(engine) as s:  # a table every database of these tests has, emptied
        s.exec(delete(SmkiAuthorityGeneration))
    return engine


def _generation(engine) -> int | None:
    with session_scope(engine) as s:
        row = s.get(SmkiAuthorityGeneration, 1)
        return None if row is None else row.generation


def test_a_block_commits_when_it_ends_and_rolls_back_whole_on_an_error(engine):
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=1))
    assert _generation(engine) == 1  # committed: another connection reads it
    with pytest.raises(RuntimeError, match="refused"), held.session() as s:
        s.get(SmkiAuthorityGeneration, 1).generation = 2
        s.flush()  # written in the transaction...
        raise RuntimeError("refused")
    assert _generation(engine) == 1  # ...and rolled back with it
    held.close()


def test_each_transaction_starts_as_a_new_session_would(engine):
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=1))
        s.info["cache"] = "of this transaction"
    assert s.info["cache"] == "of this transaction"  # the caller reads what its block left, after it ends
    with session_scope(engine) as other:  # another process moves the row on meanwhile
        other.get(SmkiAuthorityGeneration, 1).generation = 5
    with held.session() as again:
        assert again is s  # the same Session...
        assert "cache" not in again.info  # ...with nothing of the last transaction's
        assert again.get(SmkiAuthorityGeneration, 1).generation == 5  # read anew, not the object loaded before
    held.close()


def test_a_transaction_the_database_refused_is_followed_by_one_on_a_new_connection(engine):
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=1))
        first = s.connection()
    with pytest.raises(IntegrityError), held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=2))  # the same key: refused at the flush
    with held.session() as s:
        assert s.get(SmkiAuthorityGeneration, 1).generation == 1
        assert s.connection() is not first  # the pool's connection checked out anew (the pool reset it)
    held.close()


def test_an_invalidated_connection_is_replaced(engine):
    held = HeldConnection(serializable(engine))
    with pytest.raises(SQLAlchemyError), held.session() as s:  # a disconnect in the transaction: it fails
        s.connection().invalidate()
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=3))
    assert _generation(engine) == 3


def test_a_transaction_opened_while_the_connection_is_in_use_gets_a_pooled_one(engine):
    held = HeldConnection(engine)  # reads that hold no write lock (a serializable one would wait for the other)
    seen: dict[str, object] = {}
    with held.session() as outer:
        outer.get(SmkiAuthorityGeneration, 1)
        kept = outer.connection()

        def other_thread() -> None:
            with held.session() as s:
                seen["connection"] = s.connection()
                seen["generation"] = s.get(SmkiAuthorityGeneration, 1)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(timeout=30)
    assert "connection" in seen and seen["connection"] is not kept
    held.close()


def test_close_gives_the_connection_back_to_the_pool(engine):
    held = HeldConnection(engine)
    out_before = engine.pool.checkedout()
    with held.session() as s:
        s.get(SmkiAuthorityGeneration, 1)
    assert engine.pool.checkedout() == out_before + 1  # kept between transactions
    held.close()
    assert engine.pool.checkedout() == out_before


def _raw_insert(s, generation: int) -> None:
    """A Core write on the Session's connection, as the DCC's prepared statements make them."""
    s.connection().execute(SmkiAuthorityGeneration.__table__.insert().values(id=generation, generation=generation))


def _rows(engine) -> dict[int, int]:
    with session_scope(engine) as s:
        return {r.id: r.generation for r in s.exec(select(SmkiAuthorityGeneration))}


def test_a_rollback_in_the_block_undoes_what_was_written_so_far_and_the_block_goes_on(engine):
    """As the intake undoes a DCC fault of a Non-Device request (``Intake.undo``) and goes on to log the request:
    whether what was written so far went through the connection alone or through the ORM too."""
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        _raw_insert(s, 1)  # Core only: the Session has begun no transaction of its own
        s.rollback()
        _raw_insert(s, 2)
    assert _rows(engine) == {2: 2}
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=3, generation=3))
        s.flush()  # the ORM's work: a Session transaction, joined to the connection's
        _raw_insert(s, 4)
        s.rollback()
        _raw_insert(s, 5)
        s.add(SmkiAuthorityGeneration(id=6, generation=6))
    assert _rows(engine) == {2: 2, 5: 5, 6: 6}
    held.close()


def test_a_rollback_before_any_flush_discards_the_sessions_pending_changes(engine):
    with session_scope(engine) as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=1))
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        row = s.get(SmkiAuthorityGeneration, 1)
        row.generation = 7  # changed in memory, not flushed: no Session transaction yet
        s.rollback()
        assert s.get(SmkiAuthorityGeneration, 1).generation == 1  # read again
        row.generation = 9
        s.add(SmkiAuthorityGeneration(id=2, generation=2))  # added, not flushed (the Session's transaction begins)
        s.rollback()
        assert s.get(SmkiAuthorityGeneration, 1).generation == 1
        assert s.get(SmkiAuthorityGeneration, 2) is None
    assert _rows(engine) == {1: 1}
    with held.session() as s:  # changes left unflushed when the block ends are written with it
        s.get(SmkiAuthorityGeneration, 1).generation = 8
    assert _rows(engine) == {1: 8}
    held.close()


def test_savepoints_inside_the_transaction(engine):
    """Group commit takes each request of a batch in a SAVEPOINT of one transaction (``dccsim.group_commit``)."""
    held = HeldConnection(serializable(engine))
    with held.session() as s:
        kept = s.begin_nested()
        _raw_insert(s, 1)
        kept.commit()
        refused = s.begin_nested()
        _raw_insert(s, 2)
        refused.rollback()
        _raw_insert(s, 3)
    assert _rows(engine) == {1: 1, 3: 3}
    held.close()
