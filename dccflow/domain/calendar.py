"""GB Working Days and Working-Day deadlines.

A Working Day (SEC Section A) is any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a
day that is a bank holiday in England and Wales (Banking and Financial Dealings Act 1971). Section A is not
among the reference texts; digest 07 section 0.1 gives this reading and asks for it to be verified.

The holiday dates come from the ``holidays`` package: ``holidays.country_holidays("GB", subdiv="ENG")``.
Its England list includes Christmas Day, Good Friday, the bank holidays and their substitute days, and
one-off bank holidays (e.g. 2022-09-19, 2023-05-08). Wales ("WLS") has the same dates; the tests check it.
For 2000-2059 the dates are read from a table generated from that package (``_bank_holidays``), because
the package cannot run inside the Temporal workflow sandbox (it calls ``gettext``) and because a fixed
table keeps workflow replays deterministic across package upgrades. Other years fall back to the package
itself, which works everywhere except inside a workflow sandbox.

Everything here is a pure function of its arguments: no wall clock, so it is safe in Temporal workflow
code. Holiday sets are built once per year and cached.

Meaning of "within N Working Days from X" (used by :func:`working_day_deadline`): X's calendar date in the
chosen time zone is day 0 whether or not it is a Working Day; count forward N Working Days; the deadline is
the end of that day, returned as the first instant of the next calendar day (an exclusive bound: the
obligation is met if done strictly before it). N = 0 means by the end of X's own day. The default time zone
is UTC, as Temporal workflow time is UTC; pass ``ZoneInfo("Europe/London")`` to use GB civil days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import overload

import dccflow.domain._bank_holidays as _bank_holidays

HOLIDAY_COUNTRY = "GB"
HOLIDAY_SUBDIVISION = "ENG"  # England; England and Wales share the same bank holidays
#: Years served from the generated table (no call to the ``holidays`` package).
TABLE_YEARS = range(_bank_holidays.FIRST_YEAR, _bank_holidays.LAST_YEAR + 1)
#: the longest a simulated timeline runs, in days: a hundred years (a scenario's durations and the fleet's timed
#: faults are bounded by it, so that no timer overflows or never ends)
LONGEST_SPAN_DAYS = 36_525


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """The non-working holidays (Christmas Day, Good Friday, E&W bank holidays) of ``year``."""
    packed = _bank_holidays.ENGLAND_AND_WALES.get(year)
    if packed is None:
        return holidays_from_package(year)
    return frozenset(date(year, int(mmdd[:2]), int(mmdd[2:])) for mmdd in packed.split())


def holidays_from_package(year: int) -> frozenset[date]:
    """The same holidays computed by the ``holidays`` package (not usable inside a workflow sandbox)."""
    import holidays  # imported lazily: only needed outside the table's years

    table = holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=HOLIDAY_SUBDIVISION, years=year)
    return frozenset(d for d in table if d.year == year)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def is_working_day(d: date | datetime) -> bool:
    """True if ``d`` (its date part, for a datetime) is a GB Working Day."""
    day = _as_date(d)
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_working_day(d: date) -> date:
    """The first Working Day strictly after ``d``."""
    return add_working_days(_as_date(d), 1)


def previous_working_day(d: date) -> date:
    """The last Working Day strictly before ``d``."""
    return add_working_days(_as_date(d), -1)


@overload
def add_working_days(start: datetime, n: int) -> datetime: ...
@overload
def add_working_days(start: date, n: int) -> date: ...
def add_working_days(start: date | datetime, n: int) -> date | datetime:
    """Move ``n`` Working Days from ``start`` (backwards if ``n`` is negative).

    ``start`` itself is not counted, whether or not it is a Working Day: Friday + 1 is the next Monday
    (if that is not a bank holiday), and Saturday + 1 is also that Monday. ``n == 0`` returns ``start``
    unchanged. A datetime keeps its time of day and tzinfo; a date gives a date.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int number of Working Days, got {n!r}")
    step = timedelta(days=1 if n >= 0 else -1)
    day = _as_date(start)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    if isinstance(start, datetime):
        return datetime.combine(day, start.timetz()).replace(fold=start.fold)
    return day


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """The number of Working Days in the date range (a, b]: after ``a``, up to and including ``b``.

    Negative (minus the count in (b, a]) when ``b`` is before ``a``; 0 when they are the same day.
    For a Working Day ``b`` this is the ``n`` with ``add_working_days(a, n) == b``. Datetimes count by
    their own date part; convert them to the wanted time zone first.
    """
    start, end = _as_date(a), _as_date(b)
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def working_day_deadline(start: datetime, n: int, tz: tzinfo = UTC) -> datetime:
    """The exclusive deadline for something due "within ``n`` Working Days from ``start``".

    ``start`` must be timezone-aware. Its date in ``tz`` is day 0; the result is midnight (in ``tz``) at
    the start of the calendar day after the ``n``-th Working Day, as an aware datetime in ``tz``.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got naive {start.isoformat()}")
    if n < 0:
        raise ValueError(f"n must be >= 0 Working Days, got {n}")
    last_day = add_working_days(start.astimezone(tz).date(), n)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)


def nth_working_day_of_month(year: int, month: int, n: int) -> date:
    """The ``n``-th Working Day (1-based) of a month, e.g. SEC H3.21's '15th Working Day of January'."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    result = add_working_days(date(year, month, 1) - timedelta(days=1), n)
    if result.month != month:
        raise ValueError(f"{year}-{month:02d} has fewer than {n} Working Days")
    return result


def last_working_day_of_month(year: int, month: int) -> date:
    """The last Working Day of a month."""
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return previous_working_day(first_of_next)


def _print_table() -> None:
    """Print the ``_bank_holidays.ENGLAND_AND_WALES`` entries, regenerated from the ``holidays`` package."""
    for year in TABLE_YEARS:
        days = " ".join(d.strftime("%m%d") for d in sorted(holidays_from_package(year)))
        print(f'    {year}: "{days}",')


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    import sys

    if sys.argv[1:] == ["--print-table"]:
        _print_table()
    else:
        print("usage: python -m dccflow.domain.calendar --print-table")
