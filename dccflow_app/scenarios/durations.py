"""Durations of a scenario file's timeline: ``0``, ``90 minutes``, ``3 working days``, ``30 days``, ``2 weeks``,
``1 year``.

A :class:`Duration` keeps its unit and count: a Working Day (SEC Section A; ``dccflow.domain.calendar``) is not
a fixed length of time, nor is a calendar year, so ``3 working days`` becomes a date only against a start
(:meth:`Duration.after`), with the GB calendar, when the timeline runs. Minutes, hours, days and weeks are fixed
lengths (:meth:`Duration.fixed`).

Ordering two steps written in different kinds of unit (``4 days`` after ``3 working days``) depends on the start
date. :func:`may_precede` answers "can ``b`` come before ``a`` for some start date?" from the smallest and
largest length each duration can have over the calendar's table years (2000-2059), so a timeline is accepted
only when its order holds whatever day it starts on.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, Field

from dccflow.domain.calendar import LONGEST_SPAN_DAYS, TABLE_YEARS, add_working_days, is_working_day


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working days"
    WEEKS = "weeks"
    YEARS = "years"


_FIXED = {Unit.MINUTES: timedelta(minutes=1), Unit.HOURS: timedelta(hours=1), Unit.DAYS: timedelta(days=1),
          Unit.WEEKS: timedelta(weeks=1)}
_SINGULAR = {"minute": Unit.MINUTES, "hour": Unit.HOURS, "day": Unit.DAYS, "working day": Unit.WORKING_DAYS,
             "week": Unit.WEEKS, "year": Unit.YEARS}
_WORDS = {**{u.value: u for u in Unit}, **_SINGULAR}
_TEXT = re.compile(r"(?P<count>\d+)\s+(?P<unit>[a-z]+(?:\s+[a-z]+)?)", re.ASCII)
#: how a duration is written, for error messages and the JSON Schema
USAGE = "0 or N minutes|hours|days|working days|weeks|years"
#: the JSON Schema pattern of the written form (the integer 0 is also accepted)
PATTERN = (r"^\s*(0|\d+\s+(minutes?|hours?|days?|working\s+days?|weeks?|years?))\s*$")


#: the longest a scenario's duration may be (``LONGEST_SPAN_DAYS``), as many of each unit (working days: 250 a year)
MAX_COUNT = {Unit.MINUTES: LONGEST_SPAN_DAYS * 1440, Unit.HOURS: LONGEST_SPAN_DAYS * 24, Unit.DAYS: LONGEST_SPAN_DAYS,
             Unit.WEEKS: LONGEST_SPAN_DAYS // 7, Unit.YEARS: round(LONGEST_SPAN_DAYS / 365.25),
             Unit.WORKING_DAYS: round(LONGEST_SPAN_DAYS / 365.25) * 250}


class NotADuration(ValueError):
    """The text is not a duration; the message says how one is written."""


class Duration(BaseModel, frozen=True):
    """A length of time from a scenario's start: ``count`` ``unit``s (kept as written, see the module doc)."""

    count: int = Field(ge=0)
    unit: Unit = Unit.MINUTES

    @property
    def is_zero(self) -> bool:
        return self.count == 0

    def fixed(self) -> timedelta | None:
        """The length as a timedelta, or None for Working Days and years (their length depends on the start)."""
        if self.is_zero:
            return timedelta(0)
        step = _FIXED.get(self.unit)
        return None if step is None else step * self.count

    def after(self, start: datetime) -> datetime:
        """The moment this long after ``start``: Working Days counted on the GB calendar, keeping the time of
        day (``dccflow.domain.calendar.add_working_days``); years keep the date (29 February → 28 February)."""
        fixed = self.fixed()
        if fixed is not None:
            return start + fixed
        if self.unit is Unit.WORKING_DAYS:
            return add_working_days(start, self.count)
        year = start.year + self.count
        day = min(start.day, 28) if (start.month, start.day) == (2, 29) else start.day
        return start.replace(year=year, day=day)

    def bounds(self) -> tuple[timedelta, timedelta]:
        """The shortest and longest this duration can be, over every start date of the calendar's table years."""
        fixed = self.fixed()
        if fixed is not None:
            return fixed, fixed
        if self.unit is Unit.YEARS:
            return _year_bounds(self.count)
        return _working_day_bounds(self.count)

    def __str__(self) -> str:
        if self.is_zero:
            return "0"
        unit = self.unit.value
        return f"{self.count} {unit[:-1] if self.count == 1 else unit}"


ZERO = Duration(count=0)


def parse_duration(value: object) -> Duration:
    """``0`` (the number or the text) or ``N unit`` with a unit of :class:`Unit` (singular or plural, lower case)."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool):
        raise NotADuration(f"{value!r} is not a duration (write {USAGE})")
    if isinstance(value, int) and value == 0:
        return ZERO
    if isinstance(value, str):
        text = " ".join(value.split())
        if text == "0":
            return ZERO
        match = _TEXT.fullmatch(text)
        if match and match["unit"] in _WORDS:
            unit, count = _WORDS[match["unit"]], int(match["count"])
            if count > MAX_COUNT[unit]:
                raise NotADuration(f'"{value}" is longer than a scenario runs: at most {MAX_COUNT[Unit.YEARS]} '
                                   f"years ({MAX_COUNT[unit]:,} {unit.value})")
            return Duration(count=count, unit=unit)
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise NotADuration(f"{shown} is not a duration (write {USAGE})")


def may_precede(later: Duration, earlier: Duration) -> bool:
    """Whether ``later`` can fall strictly before ``earlier`` for some start date (see the module doc)."""
    return later.bounds()[0] < earlier.bounds()[1]


def surely_precedes(later: Duration, earlier: Duration) -> bool:
    """Whether ``later`` falls strictly before ``earlier`` whatever the start date."""
    return later.bounds()[1] < earlier.bounds()[0]


@lru_cache(maxsize=1)
def _calendar() -> tuple[date, list[int]]:
    """The first day of the table years and the running count of Working Days from it, day by day."""
    first = date(TABLE_YEARS.start, 1, 1)
    days = (date(TABLE_YEARS.stop, 1, 1) - first).days
    running, count = [], 0
    for i in range(days):
        running.append(count)
        if is_working_day(first + timedelta(days=i)):
            count += 1
    return first, running


@lru_cache(maxsize=256)
def _working_day_bounds(n: int) -> tuple[timedelta, timedelta]:
    """Fewest and most calendar days ``n`` Working Days take from any start (day 0 not counted, as
    ``add_working_days``) in the table years."""
    _, running = _calendar()
    # Working Days in (i, j] = running[j + 1] - running[i + 1]; j is the first day reaching n
    shortest = longest = None
    stop = len(running) - 1
    for i in range(stop):
        target = running[i + 1] + n
        j = bisect_left(running, target, lo=i + 1) - 1
        if j + 1 >= len(running) or running[j + 1] != target:
            break  # past the table's end: later starts add nothing new
        span = j - i
        shortest = span if shortest is None else min(shortest, span)
        longest = span if longest is None else max(longest, span)
    if shortest is None:  # longer than the table: a generous bound
        shortest, longest = n, n * 2 + 14
    return timedelta(days=shortest), timedelta(days=longest)


def _year_bounds(n: int) -> tuple[timedelta, timedelta]:
    """``n`` calendar years: 365 days a year plus the 29 Februaries they may cross."""
    leap = n // 4
    return timedelta(days=365 * n + leap), timedelta(days=365 * n + leap + (1 if n % 4 else 0))
