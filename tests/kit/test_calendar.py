from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from gridgov.kit.calendar import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_hours_skip_lunch_and_evenings() -> None:
    calendar = WorkCalendar()
    # Monday 2026-11-30 11:00 + 2 h: one hour before lunch, one after (13:30–14:30).
    assert calendar.add_working_hours(local(2026, 11, 30, 11, 0), 2) == local(2026, 11, 30, 14, 30)
    # Friday 17:00 + 1 h: half an hour on Friday, half on Monday morning.
    assert calendar.add_working_hours(local(2026, 12, 4, 17, 0), 1) == local(2026, 12, 7, 9, 0)
    # Reported at night: the clock starts with the next office period.
    assert calendar.add_working_hours(local(2026, 11, 30, 22, 0), 1) == local(2026, 12, 1, 9, 30)


def test_holidays_and_swapped_workdays() -> None:
    calendar = WorkCalendar(
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
        extra_workdays=frozenset({date(2026, 10, 10)}),  # a Saturday worked (调休)
    )
    # Wednesday 2026-09-30 17:00 + 1 h: Oct 1 and 2 are holidays, Oct 3-4 a weekend.
    assert calendar.add_working_hours(local(2026, 9, 30, 17, 0), 1) == local(2026, 10, 5, 9, 0)
    assert calendar.is_workday(date(2026, 10, 10)) and not calendar.is_workday(date(2026, 10, 1))


def test_between_is_the_inverse_of_add() -> None:
    calendar = WorkCalendar()
    start = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    for hours in (0.5, 3, 7.5, 20, 100):
        end = calendar.add_working_hours(start, hours)
        assert abs(calendar.working_hours_between(start, end) - hours) < 1e-6
