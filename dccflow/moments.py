"""Moments as dccflow keeps them: in UTC. A database that drops the zone (SQLite's date-times) gives a moment back
naive, and a naive moment here always means UTC; :func:`as_utc` reads it so, once, for every module that compares
or stores what the database returned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

__all__ = ["as_utc"]


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: None) -> None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` with its zone; a naive one (as the database gives it back) taken as UTC; None stays None."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
