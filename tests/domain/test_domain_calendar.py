"""GB Working Days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest

from dccflow.domain.calendar import (
    TABLE_YEARS,
    add_working_days,
    bank_holidays,
    holidays_from_package,
    is_working_day,
    last_working_day_of_month,
    next_working_day,
    nth_working_day_of_month,
    previous_working_day,
    working_day_deadline,
    working_days_between,
)

# England & Wales non-working holidays (gov.uk bank-holiday lists; Christmas Day and Good Friday included).
HOLIDAYS_2026 = {
    date(2026, 1, 1),  # New Year's Day
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May
    date(2026, 5, 25),  # Spring
    date(2026, 8, 31),  # Summer
    date(2026, 12, 25),  # Christmas Day (Friday)
    date(2026, 12, 28),  # Boxing Day substitute (26th is a Saturday)
}
HOLIDAYS_2027 = {
    date(2027, 1, 1),
    date(2027, 3, 26),  # Good Friday
    date(2027, 3, 29),  # Easter Monday
    date(2027, 5, 3),
    date(2027, 5, 31),
    date(2027, 8, 30),
    date(2027, 12, 27),  # Christmas Day substitute (25th is a Saturday)
    date(2027, 12, 28),  # Boxing Day substitute
}


@pytest.mark.parametrize("year, expected", [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)])
def test_weekday_holidays(year: int, expected: set[date]) -> None:
    weekday_holidays = {d for d in bank_holidays(year) if d.weekday() < 5}
    assert weekday_holidays == expected
    for d in expected:
        assert not is_working_day(d)


def test_generated_table_matches_the_holidays_package() -> None:
    assert TABLE_YEARS[0] <= 2000 and TABLE_YEARS[-1] >= 2059
    for year in TABLE_YEARS:
        assert bank_holidays(year) == holidays_from_package(year), year


def test_years_outside_the_table_fall_back_to_the_package() -> None:
    year = TABLE_YEARS[-1] + 2
    assert bank_holidays(year) == holidays_from_package(year)
    assert date(year, 12, 25) in bank_holidays(year)
    assert is_working_day(date(year, 12, 25)) is False


def test_england_and_wales_have_the_same_holidays() -> None:
    years = range(2020, 2031)
    eng = set(holidays.country_holidays("GB", subdiv="ENG", years=years))
    wls = set(holidays.country_holidays("GB", subdiv="WLS", years=years))
    assert eng == wls


def test_scottish_only_holidays_are_working_days() -> None:
    assert is_working_day(date(2026, 1, 2))  # 2 January is a bank holiday in Scotland only
    assert is_working_day(date(2026, 11, 30))  # St Andrew's Day (Monday), Scotland only


def test_one_off_bank_holidays() -> None:
    assert not is_working_day(date(2022, 9, 19))  # State Funeral of Queen Elizabeth II
    assert not is_working_day(date(2023, 5, 8))  # Coronation of King Charles III


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert is_working_day(date(2026, 3, 9))  # Monday
    assert is_working_day(datetime(2026, 3, 9, 23, 59, tzinfo=UTC))


def test_add_from_friday_skips_the_weekend() -> None:
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)
    assert add_working_days(friday, 5) == date(2026, 3, 13)
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday
    assert add_working_days(friday, 0) == friday
    assert add_working_days(date(2026, 3, 9), -1) == friday


def test_add_across_christmas_and_new_year() -> None:
    # 2026: 24 Dec (Thu) -> 25 Fri holiday, weekend, 28 Mon substitute -> 29 Tue.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # 31 Dec 2026 (Thu) -> 1 Jan holiday -> weekend -> Mon 4 Jan 2027.
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # 2027: 24 Dec (Fri) -> 27 and 28 substitutes -> Wed 29 Dec.
    assert add_working_days(date(2027, 12, 24), 1) == date(2027, 12, 29)
    assert add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 4)


def test_add_across_easter() -> None:
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # Maundy Thursday -> Tuesday
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert add_working_days(date(2027, 3, 30), -1) == date(2027, 3, 25)


def test_add_keeps_type_time_and_zone() -> None:
    start = datetime(2026, 3, 6, 16, 45, 12, 5, tzinfo=UTC)
    result = add_working_days(start, 1)
    assert isinstance(result, datetime)
    assert result == datetime(2026, 3, 9, 16, 45, 12, 5, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    bst = add_working_days(datetime(2026, 3, 27, 9, 0, tzinfo=london), 1)  # clocks change on 29 March
    assert bst == datetime(2026, 3, 30, 9, 0, tzinfo=london) and bst.utcoffset() == timedelta(hours=1)
    plain = add_working_days(date(2026, 3, 6), 1)
    assert type(plain) is date


def test_add_rejects_non_int() -> None:
    with pytest.raises(TypeError):
        add_working_days(date(2026, 3, 6), 1.5)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        add_working_days(date(2026, 3, 6), True)  # type: ignore[call-overload]


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 6)) == -1
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 6)) == 0
    assert working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 4  # 29, 30, 31 Dec and 4 Jan
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0  # to a Sunday
    for n in range(0, 40):
        start = date(2026, 12, 1)
        assert working_days_between(start, add_working_days(start, n)) == n
    easter = (datetime(2026, 4, 2, 23, tzinfo=UTC), datetime(2026, 4, 7, 1, tzinfo=UTC))
    assert working_days_between(*easter) == 1


def test_deadline_is_the_exclusive_end_of_the_nth_working_day() -> None:
    start = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday afternoon
    assert working_day_deadline(start, 1) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # end of Monday
    assert working_day_deadline(start, 5) == datetime(2026, 3, 14, 0, 0, tzinfo=UTC)  # end of next Friday
    assert working_day_deadline(start, 0) == datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
    # SRV 8.14.1 within 5 Working Days of installer confirmation on Christmas Eve 2026.
    assert working_day_deadline(datetime(2026, 12, 24, 10, tzinfo=UTC), 5) == datetime(2027, 1, 6, tzinfo=UTC)


def test_deadline_time_zone_handling() -> None:
    london = ZoneInfo("Europe/London")
    # 23:30 UTC on Thursday 2 July 2026 is already Friday 3 July in London (BST).
    start = datetime(2026, 7, 2, 23, 30, tzinfo=UTC)
    assert working_day_deadline(start, 1) == datetime(2026, 7, 4, tzinfo=UTC)  # UTC day: Thu -> Fri
    in_london = working_day_deadline(start, 1, tz=london)
    assert in_london == datetime(2026, 7, 7, tzinfo=london)  # London day: Fri -> Mon
    assert in_london.utcoffset() == timedelta(hours=1)
    other = datetime(2026, 3, 6, 15, tzinfo=timezone(timedelta(hours=5)))
    assert working_day_deadline(other, 1).tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        working_day_deadline(datetime(2026, 3, 6, 15), 1)
    with pytest.raises(ValueError, match=">= 0"):
        working_day_deadline(start, -1)


def test_month_helpers() -> None:
    assert nth_working_day_of_month(2026, 1, 1) == date(2026, 1, 2)  # 1 Jan is a holiday
    assert nth_working_day_of_month(2026, 1, 15) == date(2026, 1, 22)  # SEC H3.21 forecast date
    assert last_working_day_of_month(2026, 12) == date(2026, 12, 31)
    assert last_working_day_of_month(2027, 12) == date(2027, 12, 31)
    assert last_working_day_of_month(2026, 5) == date(2026, 5, 29)  # 31 Sun, 30 Sat
    with pytest.raises(ValueError, match="fewer than 25"):
        nth_working_day_of_month(2026, 2, 25)
    assert next_working_day(date(2026, 4, 2)) == date(2026, 4, 7)
    assert previous_working_day(date(2026, 4, 7)) == date(2026, 4, 2)


def test_pure_and_deterministic() -> None:
    first = [add_working_days(date(2030, 1, 1), n) for n in range(300)]
    second = [add_working_days(date(2030, 1, 1), n) for n in range(300)]
    assert first == second
    assert bank_holidays(2030) is bank_holidays(2030)  # cached per year
