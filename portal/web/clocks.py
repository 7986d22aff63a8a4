"""Target clocks: hours, working days, calendar days and months, with pauses.

Times. The database holds naive UTC datetimes, so every function here reads a naive datetime as
UTC (an aware one is converted) and returns naive UTC. Whether a moment is on a working day is
judged on its Europe/London calendar date, and day, working-day and month arithmetic keeps the
London wall-clock time: 28 days from 10:00 on 10 October is 10:00 on 7 November, although the
clocks went back in between. Hours are plain elapsed time.

Working days. Monday to Friday, excluding the holiday set (England and Wales bank holidays by
default; pass ``bank_holidays(extra)`` to add local closure days). n working days after a start on
a working day is the same London time of day on the n-th working day after the start's date, so
Friday 16:00 + 2 is Tuesday 16:00. A start on a non-working day counts as 09:00 on the next
working day: Saturday 11:00 + 2 is Wednesday 09:00, and Saturday + 0 is Monday 09:00.

Pauses. A target is an amount of running clock time. The clock runs from the start except while
paused, and for working-day targets only on working days (each exactly 24 hours long: UK clocks
change on Sundays). The deadline is the last moment at which the running time has not passed the
target. With no pauses that is exactly the plain rule above. So a pause pushes the deadline back by
the running time it covers: its elapsed length for hours, days and months; for working days, the
part of it on working days (a pause over a weekend costs nothing, as the clock was stopped
anyway). A pause that starts after the deadline changes nothing (the case was already overdue),
and more pausing can never make a deadline earlier. While a pause is open there is no deadline.
"""

import calendar
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.timeutil import LONDON
from portal.web.bank_holidays import ENGLAND_AND_WALES

Unit = Literal["hours", "working_days", "days", "months"]
Status = Literal["met", "missed", "overdue", "due_today", "on_track", "paused"]
Pause = tuple[datetime, datetime | None]
D = TypeVar("D", date, datetime)

UNITS: tuple[str, ...] = ("hours", "working_days", "days", "months")
WORKING_DAY_STARTS = time(9, 0)
_DAY = timedelta(days=1)


# Time zones ------------------------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    """Naive UTC; a naive input is taken to be UTC already."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _london(moment: datetime) -> datetime:
    return _utc(moment).replace(tzinfo=UTC).astimezone(LONDON)


def _from_london(wall: datetime) -> datetime:
    """Naive UTC for a naive London wall-clock time."""
    return wall.replace(tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


def london_date(moment: datetime) -> date:
    """The Europe/London calendar date of a (naive UTC) moment."""
    return _london(moment).date()


def _midnight(day: date) -> datetime:
    """Naive UTC for 00:00 London on that day."""
    return _from_london(datetime.combine(day, time()))


def _as_set(holidays: Iterable[date]) -> frozenset[date] | set[date]:
    return holidays if isinstance(holidays, (frozenset, set)) else frozenset(holidays)


# Working days ----------------------------------------------------------------------------

def is_working_day(d: date, holidays: Iterable[date] = ENGLAND_AND_WALES) -> bool:
    """Monday to Friday and not a holiday; a datetime is judged on its London date."""
    if isinstance(d, datetime):
        d = london_date(d)
    return d.weekday() < 5 and d not in _as_set(holidays)


def next_working_day(d: date, holidays: Iterable[date] = ENGLAND_AND_WALES) -> date:
    """The first working day strictly after d."""
    holidays = _as_set(holidays)
    d += _DAY
    while not is_working_day(d, holidays):
        d += _DAY
    return d


def _effective_start(start: datetime, holidays) -> datetime:
    """The start itself on a working day; otherwise 09:00 London on the next working day."""
    day = london_date(start)
    if is_working_day(day, holidays):
        return _utc(start)
    return _from_london(datetime.combine(next_working_day(day, holidays), WORKING_DAY_STARTS))


def add_working_days(start: D, n: int, holidays: Iterable[date] = ENGLAND_AND_WALES) -> D:
    """The same London time of day on the n-th working day after the start's date.

    A start on a non-working day counts from 09:00 on the next working day. Given a date, returns
    the date (the n-th working day after it, or after the next working day if it is not one).
    """
    if n < 0:
        raise ValueError("n must be 0 or more")
    holidays = _as_set(holidays)
    if isinstance(start, datetime):
        local = _london(_effective_start(start, holidays))
        day, clock = local.date(), local.time()
    else:
        day = start if is_working_day(start, holidays) else next_working_day(start, holidays)
        clock = None
    for _day in range(n):
        day = next_working_day(day, holidays)
    # A working day is never a clock-change Sunday, so this wall time exists and is unambiguous.
    return day if clock is None else _from_london(datetime.combine(day, clock))


# Calendar arithmetic ---------------------------------------------------------------------

def add_calendar_days(start: D, n: int) -> D:
    """n days later at the same London wall-clock time (or the date n days later)."""
    if not isinstance(start, datetime):
        return start + timedelta(days=n)
    local = _london(start).replace(tzinfo=None)
    return _from_london(local + timedelta(days=n))


def _shift_months(day: date, n: int) -> date:
    index = day.month - 1 + n
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def add_months(start: D, n: int) -> D:
    """The same day n months later, clamped to the month's end (31 August + 6 months = 28 or 29
    February). A datetime keeps its London wall-clock time and the month is that of its London
    date."""
    if not isinstance(start, datetime):
        return _shift_months(start, n)
    local = _london(start).replace(tzinfo=None)
    return _from_london(datetime.combine(_shift_months(local.date(), n), local.time()))


def add_hours(start: datetime, h: float) -> datetime:
    """Plain elapsed hours (the urgent 2-hour contact target)."""
    return _utc(start) + timedelta(hours=h)


# Targets ---------------------------------------------------------------------------------

_NAMES = {"hours": "hour", "working_days": "working day", "days": "day", "months": "month"}


@dataclass(frozen=True)
class Target:
    """A response target such as 2 hours, 2 working days, 28 days or 6 months."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}")
        if not isinstance(self.amount, int) or isinstance(self.amount, bool) or self.amount < 0:
            raise ValueError("amount must be a whole number, 0 or more")

    @property
    def label(self) -> str:
        return f"{self.amount} {_NAMES[self.unit]}{'' if self.amount == 1 else 's'}"

    def due(self, start: datetime, holidays: Iterable[date] = ENGLAND_AND_WALES) -> datetime:
        """The deadline with no pauses (naive UTC)."""
        if self.unit == "hours":
            return add_hours(start, self.amount)
        if self.unit == "working_days":
            return add_working_days(start, self.amount, holidays)
        if self.unit == "days":
            return add_calendar_days(start, self.amount)
        return add_months(start, self.amount)


# Pauses ----------------------------------------------------------------------------------

def is_paused(pauses: Sequence[Pause]) -> bool:
    """True while any pause is open (no end yet)."""
    return any(end is None for _, end in pauses)


def _merged(pauses: Iterable[Pause], open_until: datetime | None = None) -> list[tuple]:
    """Closed pauses as sorted, non-overlapping (start, end) in naive UTC; an open pause ends at
    open_until (or is dropped without it); empty and backwards pauses are dropped."""
    spans = []
    for s, e in pauses:
        if e is None:
            if open_until is None:
                continue
            e = open_until
        s, e = _utc(s), _utc(e)
        if e > s:
            spans.append((s, e))
    spans.sort()
    merged: list[list[datetime]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _minus(a: datetime, b: datetime | None, pauses: list[tuple]) -> Iterator[tuple]:
    """The parts of [a, b) (b None: no end) not covered by the merged pauses."""
    for ps, pe in pauses:
        if pe <= a:
            continue
        if b is not None and ps >= b:
            break
        if ps > a:
            yield a, ps
        a = max(a, pe)
        if b is not None and a >= b:
            return
    yield a, b


def _running_periods(start: datetime, working_days: bool, holidays) -> Iterator[tuple]:
    """When the clock can run, ignoring pauses: from the start on, or only on working days."""
    if not working_days:
        yield start, None
        return
    day = london_date(start)
    while True:
        if is_working_day(day, holidays):
            yield max(start, _midnight(day)), _midnight(day + _DAY)
        day += _DAY


def due_with_pauses(start: datetime, target: Target, pauses: Sequence[Pause],
                    holidays: Iterable[date] = ENGLAND_AND_WALES) -> datetime | None:
    """The deadline once the clock has run for the target's time outside the pauses.

    None while a pause is open. See the module docstring for the rule.
    """
    if is_paused(pauses):
        return None
    holidays = _as_set(holidays)
    start = _utc(start)
    if target.unit == "working_days":
        start = _effective_start(start, holidays)
        remaining = target.amount * _DAY  # every working day is 24 hours long
    else:
        remaining = target.due(start, holidays) - start
    merged = _merged(pauses)
    for period in _running_periods(start, target.unit == "working_days", holidays):
        for a, b in _minus(*period, merged):
            if b is None or b - a > remaining:
                return a + remaining
            remaining -= b - a
    raise AssertionError("unreachable: the running periods never end")  # pragma: no cover


def elapsed_excluding_pauses(start: datetime, end: datetime, pauses: Sequence[Pause]) -> timedelta:
    """Elapsed time from start to end, less the paused time between them (an open pause counts
    as paused up to end). Overlapping pauses are counted once. Never negative."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta()
    total = end - start
    for s, e in _merged(pauses, open_until=end):
        s, e = max(s, start), min(e, end)
        if e > s:
            total -= e - s
    return total


# Status and wording ----------------------------------------------------------------------

def time_left(due: datetime, now: datetime) -> timedelta:
    """Negative once overdue."""
    return _utc(due) - _utc(now)


def clock_status(due: datetime | None, now: datetime, stopped_at: datetime | None = None,
                 paused: bool = False) -> Status:
    """Where a clock stands.

    met / missed: the milestone was recorded (stopped_at) on or before / after the due time.
    paused: no due time (a pause is open) or paused is passed. overdue: now is after the due time.
    due_today: due later today (same Europe/London date). on_track: otherwise.
    """
    if stopped_at is not None and due is not None:
        return "met" if _utc(stopped_at) <= _utc(due) else "missed"
    if paused or due is None:
        return "paused"
    if _utc(now) > _utc(due):
        return "overdue"
    if london_date(due) == london_date(now):
        return "due_today"
    return "on_track"


_UNITS = {
    "day": lambda n: ngettext("%(num)d day", "%(num)d days", n),
    "hour": lambda n: ngettext("%(num)d hour", "%(num)d hours", n),
    "minute": lambda n: ngettext("%(num)d minute", "%(num)d minutes", n),
}


def _count(n: int, word: str) -> str:
    return _UNITS[word](n)


def humanise(delta: timedelta) -> str:
    """A rough size of a time span, ignoring its sign: "3 days", "1 day 2 hours",
    "1 hour 20 minutes", "5 minutes", "less than 1 minute". Rounded down."""
    minutes_total = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days >= 2:
        return _count(days, "day")
    if days == 1:
        return _count(1, "day") + (f" {_count(hours, 'hour')}" if hours else "")
    if hours:
        return _count(hours, "hour") + (f" {_count(minutes, 'minute')}" if minutes else "")
    if minutes:
        return _count(minutes, "minute")
    return _("less than 1 minute")


def describe_time_left(due: datetime, now: datetime) -> str:
    """For the queue's tag: "Due in 1 hour 20 minutes", "Due in 3 days", "Overdue by 2 days"."""
    delta = time_left(due, now)
    if delta < timedelta():
        return _("Overdue by %(time)s", time=humanise(delta))
    return _("Due in %(time)s", time=humanise(delta))


# One reading of a clock, and its tag -------------------------------------------------------

TAG_COLOURS = {"met": "green", "missed": "red", "overdue": "red", "due_today": "yellow",
               "due_soon": "yellow", "on_track": "grey", "paused": "blue", "window": "blue"}


@dataclass(frozen=True)
class Reading:
    """Where a clock stands, as every page shows it: a status, its words and what the clock is for.

    met / missed: the milestone was recorded on or before / after the due time; overdue: still
    open past it; due_today, due_soon, on_track: still open before it; paused: no clock runs.
    """

    label: str  # "Contact by", "Decision due"
    status: str
    text: str  # "Met", "Missed by 2 days", "Overdue by 3 hours", "Due in 4 days", "Paused"
    due: date | datetime | None = None

    @property
    def colour(self) -> str:
        return TAG_COLOURS[self.status]


def _day_count(n: int) -> str:
    return _count(n, "day")


def read_clock(label: str, due: date | datetime | None, now: datetime, *, stopped_at: date | datetime | None = None,
               paused: bool = False, due_soon_days: int = 0) -> Reading:
    """The one function that reads a clock, for a due time (a datetime, naive UTC) or a due date.

    A due date is compared with the Europe/London date of `now`. A milestone recorded on time is
    "met" for good, however long ago; a clock with no due time, or paused, is "paused".
    """
    if stopped_at is not None and due is not None:
        if isinstance(due, datetime):
            late = _utc(stopped_at) - _utc(due) if isinstance(stopped_at, datetime) else None
            on_time = late is not None and late <= timedelta()
            words = humanise(late) if late is not None else ""
        else:
            day = london_date(stopped_at) if isinstance(stopped_at, datetime) else stopped_at
            on_time, words = day <= due, _day_count((day - due).days)
        if on_time:
            return Reading(label, "met", _("Met"), due)
        return Reading(label, "missed", _("Missed by %(time)s", time=words), due)
    if paused or due is None:
        return Reading(label, "paused", _("Paused"), due)
    if isinstance(due, datetime):
        status = clock_status(due, now)
        if status == "on_track" and due_soon_days and time_left(due, now) <= timedelta(days=due_soon_days):
            status = "due_soon"
        return Reading(label, status, describe_time_left(due, now), due)
    left = (due - london_date(now)).days
    if left < 0:
        return Reading(label, "overdue", _("Overdue by %(time)s", time=_day_count(-left)), due)
    if left == 0:
        return Reading(label, "due_today", _("Due today"), due)
    return Reading(label, "due_soon" if left <= due_soon_days else "on_track",
                   _("Due in %(time)s", time=_day_count(left)), due)
