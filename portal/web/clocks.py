"""Working-day clocks for targets (referrals, deliveries, jobs, grants).

Times are naive UTC as stored; whether a day is a working day is judged on its Europe/London
calendar date. Rules:
- n working days after a start: the same time of day on the n-th working day after the start's
  date (a start on a non-working day counts from that day, so Saturday + 1 = Monday... the
  n-th working day after it).
- Pauses push a deadline back by the time paused: for hour and day targets by the elapsed
  paused time; for working-day targets by the number of working days touched by the pause.
  More pausing never makes a deadline earlier.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from portal.timeutil import LONDON

Unit = Literal["hours", "working_days", "days", "months"]


def _local_date(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(LONDON).date()


def is_working_day(day: date, holidays: Iterable[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: datetime, n: int, holidays: Iterable[date]) -> datetime:
    holidays = frozenset(holidays)
    day = _local_date(start)
    moved = 0
    result = start
    while moved < n:
        day += timedelta(days=1)
        result += timedelta(days=1)
        if is_working_day(day, holidays):
            moved += 1
    return result


def add_calendar_days(start: datetime, n: int) -> datetime:
    return start + timedelta(days=n)


def add_months(start: date | datetime, n: int):
    """Same day n months later, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = start.month - 1 + n
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def add_hours(start: datetime, hours: int) -> datetime:
    return start + timedelta(hours=hours)


@dataclass(frozen=True)
class Target:
    amount: int
    unit: Unit

    def due(self, start: datetime, holidays: Iterable[date] = ()) -> datetime:
        if self.unit == "hours":
            return add_hours(start, self.amount)
        if self.unit == "working_days":
            return add_working_days(start, self.amount, holidays)
        if self.unit == "days":
            return add_calendar_days(start, self.amount)
        return add_months(start, self.amount)

    @property
    def label(self) -> str:
        names = {"hours": "hour", "working_days": "working day", "days": "day", "months": "month"}
        name = names[self.unit]
        return f"{self.amount} {name}{'' if self.amount == 1 else 's'}"


def _working_days_touched(start: datetime, end: datetime, holidays: frozenset) -> int:
    first, last = _local_date(start), _local_date(end)
    count = 0
    day = first
    while day <= last:
        if is_working_day(day, holidays):
            count += 1
        day += timedelta(days=1)
    return count


def is_paused(pauses: Sequence[tuple[datetime, datetime | None]]) -> bool:
    return any(end is None for _, end in pauses)


def due_with_pauses(start: datetime, target: Target, pauses: Sequence[tuple[datetime, datetime | None]],
                    holidays: Iterable[date] = ()) -> datetime | None:
    """The deadline pushed back by closed pauses; None while a pause is open."""
    if is_paused(pauses):
        return None
    holidays = frozenset(holidays)
    due = target.due(start, holidays)
    if target.unit == "working_days":
        days = sum(_working_days_touched(s, e, holidays) for s, e in pauses if e > s)
        return add_working_days(due, days, holidays) if days else due
    paused = sum(((e - s) for s, e in pauses if e > s), timedelta())
    return due + paused


def elapsed_excluding_pauses(start: datetime, end: datetime,
                             pauses: Sequence[tuple[datetime, datetime | None]]) -> timedelta:
    total = end - start
    for s, e in pauses:
        s2, e2 = max(s, start), min(e or end, end)
        if e2 > s2:
            total -= e2 - s2
    return max(total, timedelta())


def time_left(due: datetime, now: datetime) -> timedelta:
    return due - now


def clock_status(due: datetime | None, now: datetime, stopped_at: datetime | None = None,
                 paused: bool = False) -> str:
    if paused or due is None:
        return "paused"
    if stopped_at is not None:
        return "met" if stopped_at <= due else "missed"
    if now > due:
        return "overdue"
    if _local_date(due) == _local_date(now):
        return "due_today"
    return "on_track"


def humanise(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60

    def part(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if days >= 2:
        return part(days, "day")
    if days == 1:
        return part(1, "day") + (f" {part(hours, 'hour')}" if hours else "")
    if hours:
        return part(hours, "hour") + (f" {part(minutes, 'minute')}" if minutes else "")
    return part(max(minutes, 1), "minute")


def describe_time_left(due: datetime, now: datetime) -> str:
    delta = due - now
    if delta.total_seconds() < 0:
        return f"Overdue by {humanise(delta)}"
    return f"Due in {humanise(delta)}"
