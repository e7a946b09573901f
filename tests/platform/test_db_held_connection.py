"""``dccflow.db.HeldConnection``: the DCC's transactions one after another on one kept connection and Session, each
as ``session_scope`` gives it — committed or rolled back whole, starting with nothing of the one before — and a
connection the database refused, or SQLAlchemy gave up, replaced by a new one. Re-run on PostgreSQL by
tests/postgres/test_pg_held_connection.py."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

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
