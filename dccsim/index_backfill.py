"""Filling in an index once for what was written before it existed (``dccsim.request_devices``,
``dccsim.rejection_devices``): the first reader does it in a serializable transaction of its own and leaves a mark
(a one-row table), so no later reader scans the indexed table again, and two readers at once do it once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import Select

from dccflow.db import is_conflict, serializable, session_scope

log = logging.getLogger(__name__)


def backfill_once(engine: Engine, mark: type[SQLModel], fill: Callable[[Session], int], counted: str) -> int:
    """Run ``fill`` (it indexes what has no rows yet and gives how many it read) unless ``mark``'s row exists, then
    add that row with the count in its column ``counted``; the count (0 once done, or when another reader did it
    meanwhile)."""
    with session_scope(engine) as s:
        if s.get(mark, 1) is not None:
            return 0
    try:
        with session_scope(serializable(engine)) as s:  # one reader at a time: a second finds the first's mark
            if s.get(mark, 1) is not None:
                return 0
            read = fill(s)
            s.add(mark(completed_at=datetime.now(UTC), **{counted: read}))
    except DBAPIError as exc:
        if not (isinstance(exc, IntegrityError) or is_conflict(exc)):
            raise
        return 0  # PostgreSQL: another reader's transaction did the same at the same time
    return read


def index_missing(engine: Engine, mark: type[SQLModel], counted: str, *, indexed: Select, source: Select,
                  record: Callable[[Session, Any], None], what: str) -> int:
    """``backfill_once`` for an index whose entries are made from one source row each: ``indexed`` selects the keys
    that have entries already, ``source`` every source row (its key first), and ``record(session, row)`` writes the
    entries of one row. Logs how many rows of ``what`` it indexed, and gives that number."""
    def fill(s: Session) -> int:
        done = set(s.exec(indexed))
        read = 0
        for row in s.exec(source):
            if row[0] not in done:
                read += 1
                record(s, row)
        return read

    read = backfill_once(engine, mark, fill, counted)
    if read:
        log.info("indexed %d %s written before the index", read, what)
    return read
