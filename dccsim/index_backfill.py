"""Filling in an index once for what was written before it existed (``dccsim.request_devices``,
``dccsim.rejection_devices``, ``dccsim.pc_report_devices``): the first reader does it in a serializable transaction
of its own and leaves a mark (a one-row table), so no later reader scans the indexed table again, and two readers
at once do it once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Field, Session, SQLModel
from sqlmodel.sql.expression import Select

from dccflow.db import is_conflict, serializable, session_scope

log = logging.getLogger(__name__)


class IndexBackfillMark(SQLModel):
    """The one row of an index's backfill table, present once what was written before the index existed has its
    entries (:func:`index_missing`); each table adds the column counting what it read."""

    id: int = Field(default=1, primary_key=True)
    completed_at: datetime


def index_missing(engine: Engine, mark: type[IndexBackfillMark], counted: str, *, indexed: Select, source: Select,
                  record: Callable[[Session, Any], None], what: str) -> int:
    """Give every source row written before the index existed its entries, once, unless ``mark``'s row says it was
    done: ``indexed`` selects the keys that have entries already, ``source`` every source row (its key first), and
    ``record(session, row)`` writes one row's entries. Then ``mark``'s row, with the number of rows read in its column
    ``counted``. Gives that number (0 once done, or when another reader did it meanwhile) and logs it."""
    with session_scope(engine) as s:
        if s.get(mark, 1) is not None:
            return 0
    try:
        with session_scope(serializable(engine)) as s:  # one reader at a time: a second finds the first's mark
            if s.get(mark, 1) is not None:
                return 0
            done = set(s.exec(indexed))
            read = 0
            for row in s.exec(source):
                if row[0] not in done:
                    read += 1
                    record(s, row)
            s.add(mark(completed_at=datetime.now(UTC), **{counted: read}))
    except DBAPIError as exc:
        if not (isinstance(exc, IntegrityError) or is_conflict(exc)):
            raise
        return 0  # PostgreSQL: another reader's transaction did the same at the same time
    if read:
        log.info("indexed %d %s written before the index", read, what)
    return read
