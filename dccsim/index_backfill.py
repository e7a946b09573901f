"""Filling in an index once for what was written before it existed (``dccsim.request_devices``,
``dccsim.rejection_devices``): the first reader does it in a serializable transaction of its own and leaves a mark
(a one-row table), so no later reader scans the indexed table again, and two readers at once do it once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel

from dccflow.db import is_conflict, serializable, session_scope


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
