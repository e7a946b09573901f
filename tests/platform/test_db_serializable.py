"""``dccflow.db.serializable`` on SQLite: a transaction that reads then writes holds the database from its first
read, so two of them (two worker processes' DCC transactions, here two connections) cannot both act on what they
read. Python's driver alone begins a transaction at the first write, which leaves the reads before it outside: both
would read the same count and one increment would be lost."""

from __future__ import annotations

import threading

from sqlmodel import Session

from dccflow.db import get_engine, serializable
from dccsim.smki import SmkiAuthorityGeneration


def _increment(engine, read: threading.Event, other_read: threading.Event, results: list[int]) -> None:
    with Session(serializable(engine)) as s:
        row = s.get(SmkiAuthorityGeneration, 1)
        seen = row.generation
        read.set()
        # the other transaction may read meanwhile only if this one's read is outside a transaction (at most 2 s)
        other_read.wait(timeout=2)
        row.generation = seen + 1
        s.add(row)
        s.commit()
        results.append(seen)


def test_two_serializable_transactions_that_read_then_write_do_not_interleave(tmp_path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'dccflow.db'}")
    with Session(engine) as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=0))
        s.commit()
    first_read, second_read, results = threading.Event(), threading.Event(), []
    first = threading.Thread(target=_increment, args=(engine, first_read, second_read, results))
    first.start()
    assert first_read.wait(timeout=10)
    second = threading.Thread(target=_increment, args=(engine, second_read, threading.Event(), results))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)

    assert sorted(results) == [0, 1]  # the second read what the first wrote
    with Session(engine) as s:
        assert s.get(SmkiAuthorityGeneration, 1).generation == 2  # no increment lost


def test_a_plain_transaction_on_sqlite_still_begins_at_its_first_write(tmp_path) -> None:
    """Only ``serializable`` transactions take the write lock as they start: a reader elsewhere is not held up."""
    engine = get_engine(f"sqlite:///{tmp_path / 'dccflow.db'}")
    with Session(engine) as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=0))
        s.commit()
    with Session(serializable(engine)) as holder:
        holder.get(SmkiAuthorityGeneration, 1)  # the write lock held from here
        with Session(engine) as reader:
            assert reader.get(SmkiAuthorityGeneration, 1).generation == 0  # WAL: readers go on
