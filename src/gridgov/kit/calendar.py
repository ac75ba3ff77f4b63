"""Working-hours arithmetic for deadlines: time limits count office hours on workdays only.

China moves workdays around public holidays (调休), so the calendar takes both a set of
holidays and a set of extra workdays (weekend days that are worked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gridgov.config import get_settings

OFFICE_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)


@dataclass(frozen=True)
class WorkCalendar:
    timezone: str = "Asia/Shanghai"
    periods: tuple[tuple[time, time], ...] = OFFICE_PERIODS
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of office time after ``start`` (aware; returned in UTC-aware)."""
        zone = ZoneInfo(self.timezone)
        cursor = start.astimezone(zone)
        remaining = timedelta(hours=hours)
        for _ in range(3_660):  # ten years of days: a bound, never reached in practice
            if self.is_workday(cursor.date()):
                for begin, end in self.periods:
                    period_start = datetime.combine(cursor.date(), begin, zone)
                    period_end = datetime.combine(cursor.date(), end, zone)
                    if cursor >= period_end:
                        continue
                    cursor = max(cursor, period_start)
                    available = period_end - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(start.tzinfo)
                    remaining -= available
                    cursor = period_end
            cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0, 0), zone)
        raise ValueError("time limit too long for the calendar")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours from ``start`` to ``end`` (negative when end is earlier)."""
        if end < start:
            return -self.working_hours_between(end, start)
        zone = ZoneInfo(self.timezone)
        cursor, stop = start.astimezone(zone), end.astimezone(zone)
        total = timedelta()
        while cursor.date() <= stop.date():
            if self.is_workday(cursor.date()):
                for begin, finish in self.periods:
                    lo = max(cursor, datetime.combine(cursor.date(), begin, zone))
                    hi = min(stop, datetime.combine(cursor.date(), finish, zone))
                    if hi > lo:
                        total += hi - lo
            cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0, 0), zone)
        return total.total_seconds() / 3600


def office_calendar() -> WorkCalendar:
    """The calendar every deadline uses (case and workflow step): time zone, holidays and
    调休 workdays from the settings."""
    settings = get_settings()
    return WorkCalendar(
        timezone=settings.timezone,
        holidays=settings.dates(settings.holidays),
        extra_workdays=settings.dates(settings.extra_workdays),
    )
