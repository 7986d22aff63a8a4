"""Working-day clocks and bank holidays. All datetimes here are naive UTC, as stored."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.timeutil import LONDON
from portal.web.bank_holidays import ENGLAND_AND_WALES, bank_holidays
from portal.web.clocks import (
    UNITS,
    Target,
    add_calendar_days,
    add_hours,
    add_months,
    add_working_days,
    clock_status,
    describe_time_left,
    due_with_pauses,
    elapsed_excluding_pauses,
    humanise,
    is_paused,
    is_working_day,
    london_date,
    next_working_day,
    time_left,
)

H = ENGLAND_AND_WALES


def utc(*args) -> datetime:
    return datetime(*args)


def london(*args) -> datetime:
    """Naive UTC for a London wall-clock time."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


# Bank holidays ----------------------------------------------------------------------------

def _easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher), independent of the shipped list."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    d = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=d.weekday())


def _by_rule(year: int) -> set[date]:
    """England and Wales bank holidays from the rules, with substitute days."""
    easter = _easter(year)
    days = {easter - timedelta(days=2), easter + timedelta(days=1), _first_monday(year, 5),
            _last_monday(year, 5), _last_monday(year, 8)}
    new_year = date(year, 1, 1)
    days.add(new_year if new_year.weekday() < 5 else _first_monday(year, 1))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() < 5 and boxing.weekday() < 5:
        days |= {christmas, boxing}
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Saturday moves to Monday
        days |= {christmas, date(year, 12, 28)}
    else:  # Christmas on Saturday or Sunday: both move to the Monday and Tuesday after
        days |= {date(year, 12, 27), date(year, 12, 28)}
    return days


@pytest.mark.parametrize("year", range(2023, 2029))
def test_bank_holidays_match_the_rules(year):
    expected = _by_rule(year)
    if year == 2023:
        expected.add(date(2023, 5, 8))  # coronation of King Charles III
    assert {d for d in ENGLAND_AND_WALES if d.year == year} == expected


def test_easter_dates_are_the_known_ones():
    known = {2023: date(2023, 4, 9), 2024: date(2024, 3, 31), 2025: date(2025, 4, 20),
             2026: date(2026, 4, 5), 2027: date(2027, 3, 28), 2028: date(2028, 4, 16)}
    assert {y: _easter(y) for y in known} == known
    for easter in known.values():
        assert easter - timedelta(days=2) in ENGLAND_AND_WALES  # Good Friday
        assert easter + timedelta(days=1) in ENGLAND_AND_WALES  # Easter Monday


def test_bank_holidays_are_all_weekdays_and_the_known_substitutes():
    assert all(d.weekday() < 5 for d in ENGLAND_AND_WALES)
    assert len({d for d in ENGLAND_AND_WALES if 2023 <= d.year <= 2028}) == 6 * 8 + 1
    for substitute in (date(2023, 1, 2), date(2026, 12, 28), date(2027, 12, 27),
                       date(2027, 12, 28), date(2028, 1, 3)):
        assert substitute in ENGLAND_AND_WALES


def test_extra_closure_days_are_added():
    assert bank_holidays() is ENGLAND_AND_WALES
    extra = bank_holidays([date(2025, 12, 24), "2025-12-31", datetime(2026, 1, 2, 12)])
    assert extra - ENGLAND_AND_WALES == {date(2025, 12, 24), date(2025, 12, 31), date(2026, 1, 2)}
    assert extra >= ENGLAND_AND_WALES
    with pytest.raises(ValueError, match="Invalid isoformat string"):
        bank_holidays(["24/12/2025"])


# Working days -----------------------------------------------------------------------------

def test_is_working_day():
    assert is_working_day(date(2025, 6, 13), H)  # Friday
    assert not is_working_day(date(2025, 6, 14), H)  # Saturday
    assert not is_working_day(date(2025, 6, 15), H)  # Sunday
    assert not is_working_day(date(2025, 12, 25), H)
    assert is_working_day(date(2025, 12, 25), ())  # no holidays given
    assert not is_working_day(date(2025, 12, 24), bank_holidays(["2025-12-24"]))
    # A datetime is judged on its London date: 23:30 UTC on a Friday in June is Saturday there.
    assert not is_working_day(utc(2025, 6, 13, 23, 30), H)


def test_next_working_day():
    assert next_working_day(date(2025, 6, 13), H) == date(2025, 6, 16)
    assert next_working_day(date(2025, 12, 24), H) == date(2025, 12, 29)


@pytest.mark.parametrize(("start", "n", "due"), [
    # Friday 16:00 + 2 working days: Tuesday 16:00
    (london(2025, 6, 13, 16), 2, london(2025, 6, 17, 16)),
    (london(2025, 6, 13, 16), 0, london(2025, 6, 13, 16)),
    (london(2025, 6, 9, 10), 1, london(2025, 6, 10, 10)),
    # Starts on a weekend: counted from 09:00 on Monday
    (london(2025, 6, 14, 11), 0, london(2025, 6, 16, 9)),
    (london(2025, 6, 14, 11), 2, london(2025, 6, 18, 9)),
    (london(2025, 6, 15, 23, 59), 1, london(2025, 6, 17, 9)),
    # 23:30 UTC on Friday is 00:30 on Saturday in London, so it is a weekend start
    (utc(2025, 6, 13, 23, 30), 1, london(2025, 6, 17, 9)),
    # Christmas 2025: Thursday and Friday
    (london(2025, 12, 24, 10), 1, london(2025, 12, 29, 10)),
    # Christmas 2026: Boxing Day on Saturday, substitute Monday 28th
    (london(2026, 12, 24, 10), 1, london(2026, 12, 29, 10)),
    (london(2026, 12, 24, 10), 4, london(2027, 1, 4, 10)),
    # Christmas 2027 on Saturday: substitutes Monday 27th and Tuesday 28th
    (london(2027, 12, 24, 10), 1, london(2027, 12, 29, 10)),
    # New Year 2023 and 2028 on a weekend: substitute Monday
    (london(2022, 12, 30, 10), 1, london(2023, 1, 3, 10)),
    (london(2027, 12, 31, 10), 1, london(2028, 1, 4, 10)),
    # Christmas Day itself is not a working day: 09:00 next working day, then 2 more
    (london(2025, 12, 25, 12), 2, london(2025, 12, 31, 9)),
    # Easter 2025: Good Friday 18 April, Easter Monday 21 April
    (london(2025, 4, 17, 9, 30), 1, london(2025, 4, 22, 9, 30)),
    # Coronation 2023: Monday 8 May
    (london(2023, 5, 5, 14), 1, london(2023, 5, 9, 14)),
    # Clocks go back on Sunday 26 October 2025: the London time of day is kept
    (london(2025, 10, 24, 16), 2, london(2025, 10, 28, 16)),
    (london(2025, 3, 28, 8), 1, london(2025, 3, 31, 8)),
])
def test_add_working_days(start, n, due):
    assert add_working_days(start, n, H) == due


def test_add_working_days_keeps_the_wall_clock_across_the_clock_change():
    start = utc(2025, 10, 24, 15)  # 16:00 BST
    assert add_working_days(start, 2, H) == utc(2025, 10, 28, 16)  # 16:00 GMT


def test_add_working_days_to_a_date_and_aware_input():
    assert add_working_days(date(2025, 12, 24), 1, H) == date(2025, 12, 29)
    assert add_working_days(date(2025, 12, 27), 0, H) == date(2025, 12, 29)
    aware = datetime(2025, 6, 13, 16, tzinfo=LONDON)
    assert add_working_days(aware, 2, H) == london(2025, 6, 17, 16)


def test_add_working_days_with_local_closure_days():
    hols = bank_holidays(["2025-12-24"])
    assert add_working_days(london(2025, 12, 23, 10), 1, hols) == london(2025, 12, 29, 10)


def test_add_working_days_refuses_negative():
    with pytest.raises(ValueError, match="n must be 0 or more"):
        add_working_days(utc(2025, 6, 9), -1, H)


# Calendar days, months and hours -----------------------------------------------------------

@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 3, 31), 12, date(2026, 3, 31)),
    (date(2025, 2, 28), 12, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 10, 31), 3, date(2026, 1, 31)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 1, 15), -13, date(2023, 12, 15)),
    (date(2025, 5, 17), 0, date(2025, 5, 17)),
])
def test_add_months_clamps_to_month_end(start, n, expected):
    assert add_months(start, n) == expected


def test_add_months_with_datetimes_uses_the_london_date_and_time():
    # 10:00 BST on 31 August + 6 months: 10:00 GMT on 28 February
    assert add_months(london(2025, 8, 31, 10), 6) == london(2026, 2, 28, 10)
    # 23:30 UTC on 31 August is 00:30 on 1 September in London
    assert add_months(utc(2025, 8, 31, 23, 30), 6) == london(2026, 3, 1, 0, 30)
    assert add_months(london(2025, 1, 10, 9), 12) == london(2026, 1, 10, 9)


def test_add_calendar_days_keeps_the_london_wall_clock():
    assert add_calendar_days(london(2025, 10, 10, 10), 28) == london(2025, 11, 7, 10)
    assert add_calendar_days(london(2025, 10, 10, 10), 28) - london(2025, 10, 10, 10) == \
        timedelta(days=28, hours=1)
    assert add_calendar_days(date(2025, 12, 20), 28) == date(2026, 1, 17)


def test_add_hours_is_plain_elapsed_time():
    start = london(2025, 10, 26, 0, 30)  # the night the clocks go back
    assert add_hours(start, 2) == start + timedelta(hours=2)
    assert add_hours(utc(2025, 6, 13, 23), 2) == utc(2025, 6, 14, 1)


# Targets ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "label"), [
    (Target(2, "hours"), "2 hours"),
    (Target(1, "hours"), "1 hour"),
    (Target(2, "working_days"), "2 working days"),
    (Target(1, "working_days"), "1 working day"),
    (Target(28, "days"), "28 days"),
    (Target(6, "months"), "6 months"),
    (Target(12, "months"), "12 months"),
])
def test_target_labels(target, label):
    assert target.label == label


def test_target_due():
    start = london(2025, 6, 13, 16)
    assert Target(2, "hours").due(start, H) == london(2025, 6, 13, 18)
    assert Target(2, "working_days").due(start, H) == london(2025, 6, 17, 16)
    assert Target(28, "days").due(start, H) == london(2025, 7, 11, 16)
    assert Target(6, "months").due(london(2025, 8, 31, 12), H) == london(2026, 2, 28, 12)
    assert Target(2, "working_days").due(london(2025, 12, 24, 10)) == london(2025, 12, 30, 10)


@pytest.mark.parametrize(("amount", "unit", "message"), [
    (-1, "days", "amount must be a whole number"), (2, "weeks", "unit must be one of"),
    (1.5, "hours", "amount must be a whole number"), (True, "days", "amount must be a whole number")])
def test_target_refuses_nonsense(amount, unit, message):
    with pytest.raises(ValueError, match=message):
        Target(amount, unit)


# Pauses -----------------------------------------------------------------------------------

def test_hours_pause_pushes_the_deadline_back_by_its_length():
    start = utc(2025, 6, 9, 10)
    t = Target(2, "hours")
    assert due_with_pauses(start, t, [], H) == utc(2025, 6, 9, 12)
    assert due_with_pauses(start, t, [(utc(2025, 6, 9, 10, 30), utc(2025, 6, 9, 11))], H) == \
        utc(2025, 6, 9, 12, 30)
    # Overlapping pauses count once: 10:30 to 11:45 is 75 minutes
    overlapping = [(utc(2025, 6, 9, 10, 30), utc(2025, 6, 9, 11, 30)),
                   (utc(2025, 6, 9, 11), utc(2025, 6, 9, 11, 45))]
    assert due_with_pauses(start, t, overlapping, H) == utc(2025, 6, 9, 13, 15)


def test_pauses_after_the_deadline_or_before_the_start_change_nothing():
    start = utc(2025, 6, 9, 10)
    t = Target(2, "hours")
    late = [(utc(2025, 6, 9, 13), utc(2025, 6, 9, 14))]
    early = [(utc(2025, 6, 9, 8), utc(2025, 6, 9, 9))]
    backwards = [(utc(2025, 6, 9, 11), utc(2025, 6, 9, 10, 30))]
    for pauses in (late, early, backwards):
        assert due_with_pauses(start, t, pauses, H) == utc(2025, 6, 9, 12)
    # Only the part after the start counts
    straddling = [(utc(2025, 6, 9, 9), utc(2025, 6, 9, 10, 30))]
    assert due_with_pauses(start, t, straddling, H) == utc(2025, 6, 9, 12, 30)


def test_open_pause_means_no_deadline():
    start = utc(2025, 6, 9, 10)
    pauses = [(utc(2025, 6, 9, 10, 30), utc(2025, 6, 9, 11)), (utc(2025, 6, 9, 11, 30), None)]
    assert is_paused(pauses)
    assert not is_paused(pauses[:1])
    assert not is_paused([])
    assert due_with_pauses(start, Target(2, "hours"), pauses, H) is None
    assert due_with_pauses(start, Target(2, "working_days"), pauses, H) is None


def test_working_day_pause_counts_only_paused_working_time():
    start = london(2025, 6, 9, 10)  # Monday
    t = Target(2, "working_days")
    assert due_with_pauses(start, t, [], H) == london(2025, 6, 11, 10)
    # Paused from 14:00 Monday to 11:00 Tuesday: 21 hours of working time
    pauses = [(london(2025, 6, 9, 14), london(2025, 6, 10, 11))]
    assert due_with_pauses(start, t, pauses, H) == london(2025, 6, 12, 7)
    # A whole working day paused moves the deadline by a working day
    whole_day = [(london(2025, 6, 10), london(2025, 6, 11))]
    assert due_with_pauses(start, t, whole_day, H) == london(2025, 6, 12, 10)


def test_working_day_pause_over_a_weekend_or_holiday_costs_nothing():
    start = london(2025, 6, 12, 10)  # Thursday; due Monday 10:00
    t = Target(2, "working_days")
    weekend = [(london(2025, 6, 14, 10), london(2025, 6, 15, 18))]
    assert due_with_pauses(start, t, weekend, H) == london(2025, 6, 16, 10)
    # Friday 23:00 to Monday 01:00: 2 hours of working time
    overnight = [(london(2025, 6, 13, 23), london(2025, 6, 16, 1))]
    assert due_with_pauses(start, t, overnight, H) == london(2025, 6, 16, 12)
    # Over Christmas 2025: only Wednesday 24th afternoon (from 14:00) counts, 10 hours
    xmas_start = london(2025, 12, 23, 10)  # due Monday 29th 10:00
    xmas = [(london(2025, 12, 24, 14), london(2025, 12, 28, 12))]
    assert due_with_pauses(xmas_start, t, xmas, H) == london(2025, 12, 29, 20)


def test_working_day_pause_ending_on_the_deadline_day_moves_it_on():
    start = london(2025, 6, 12, 16)  # Thursday; 1 working day is Friday 16:00
    t = Target(1, "working_days")
    # Paused all of Friday from 08:00: the clock resumes on Monday with 8 hours to run
    pauses = [(london(2025, 6, 13, 8), london(2025, 6, 14, 12))]
    assert due_with_pauses(start, t, pauses, H) == london(2025, 6, 16, 8)


def test_working_day_clock_that_runs_out_at_midnight_before_a_weekend_lands_on_monday():
    start = london(2025, 6, 12, 12)  # Thursday
    pauses = [(london(2025, 6, 12, 12), london(2025, 6, 13))]  # rest of Thursday
    assert due_with_pauses(start, Target(1, "working_days"), pauses, H) == london(2025, 6, 16)


def test_day_and_month_pauses_push_back_by_elapsed_time():
    start = london(2025, 6, 9, 10)
    pauses = [(london(2025, 6, 20, 9), london(2025, 6, 23, 9))]
    assert due_with_pauses(start, Target(28, "days"), pauses, H) == london(2025, 7, 10, 10)
    dfg = [(london(2025, 9, 1), london(2025, 9, 11))]
    assert due_with_pauses(london(2025, 8, 31, 12), Target(6, "months"), dfg, H) == \
        london(2026, 3, 10, 12)


def test_elapsed_excluding_pauses():
    start = utc(2025, 6, 9, 0)
    end = utc(2025, 6, 9, 10)
    pauses = [(utc(2025, 6, 9, 1), utc(2025, 6, 9, 2)),
              (utc(2025, 6, 9, 1, 30), utc(2025, 6, 9, 3)),  # overlaps: counted once
              (utc(2025, 6, 8, 20), utc(2025, 6, 8, 22)),  # before the start
              (utc(2025, 6, 9, 9), None)]  # still open: paused up to the end
    assert elapsed_excluding_pauses(start, end, pauses) == timedelta(hours=7)
    assert elapsed_excluding_pauses(start, end, []) == timedelta(hours=10)
    assert elapsed_excluding_pauses(end, start, []) == timedelta()


# Status and wording -----------------------------------------------------------------------

def test_clock_status():
    due = london(2025, 6, 13, 16)
    assert clock_status(due, london(2025, 6, 12, 9)) == "on_track"
    assert clock_status(due, london(2025, 6, 13, 9)) == "due_today"
    assert clock_status(due, due) == "due_today"
    assert clock_status(due, london(2025, 6, 13, 16, 1)) == "overdue"
    assert clock_status(due, london(2025, 6, 20), stopped_at=london(2025, 6, 13, 15)) == "met"
    assert clock_status(due, london(2025, 6, 12), stopped_at=due) == "met"
    assert clock_status(due, london(2025, 6, 20), stopped_at=london(2025, 6, 14)) == "missed"
    assert clock_status(None, london(2025, 6, 12)) == "paused"
    assert clock_status(due, london(2025, 6, 12), paused=True) == "paused"


def test_due_today_is_judged_on_the_london_date():
    # Due 00:30 BST on Saturday (23:30 UTC Friday): at 21:00 BST Friday it is not due today
    assert clock_status(utc(2025, 6, 13, 23, 30), utc(2025, 6, 13, 20)) == "on_track"
    # In winter London is UTC
    assert clock_status(utc(2025, 12, 12, 23, 30), utc(2025, 12, 12, 20)) == "due_today"


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
    (timedelta(hours=1, minutes=20), "1 hour 20 minutes"),
    (timedelta(hours=1), "1 hour"),
    (timedelta(minutes=1, seconds=59), "1 minute"),
    (timedelta(seconds=30), "less than 1 minute"),
    (timedelta(), "less than 1 minute"),
    (timedelta(days=1), "1 day"),
    (timedelta(days=1, hours=2, minutes=30), "1 day 2 hours"),
    (timedelta(days=3, hours=5), "3 days"),
    (-timedelta(days=1, hours=2), "1 day 2 hours"),
])
def test_humanise(delta, text):
    assert humanise(delta) == text


def test_describe_time_left():
    now = utc(2025, 6, 9, 10)
    soon = now + timedelta(hours=1, minutes=20)
    assert describe_time_left(soon, now) == "Due in 1 hour 20 minutes"
    assert describe_time_left(now + timedelta(days=3), now) == "Due in 3 days"
    assert describe_time_left(now - timedelta(days=2), now) == "Overdue by 2 days"
    assert describe_time_left(now - timedelta(days=1, hours=2), now) == "Overdue by 1 day 2 hours"
    assert describe_time_left(now, now) == "Due in less than 1 minute"
    assert time_left(now + timedelta(hours=3), now) == timedelta(hours=3)


# Properties -------------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2028, 6, 30))
targets = st.builds(Target, st.integers(0, 40), st.sampled_from(UNITS))
pause_spans = st.tuples(st.integers(-3 * 24 * 60, 60 * 24 * 60), st.integers(0, 10 * 24 * 60))


def _pauses(start: datetime, spans) -> list[tuple[datetime, datetime]]:
    return [(start + timedelta(minutes=a), start + timedelta(minutes=a + b)) for a, b in spans]


@given(starts, st.integers(0, 60))
def test_working_day_deadline_is_a_working_day(start, n):
    due = add_working_days(start, n, H)
    day = london_date(due)
    assert day.weekday() < 5
    assert day not in H
    assert is_working_day(day, H)
    assert due >= start


@given(starts, st.integers(0, 60))
def test_one_more_working_day_is_strictly_later(start, n):
    due = add_working_days(start, n, H)
    later = add_working_days(start, n + 1, H)
    assert later > due
    assert london_date(later) == next_working_day(london_date(due), H)


@given(starts, st.integers(0, 40))
def test_working_days_are_counted_one_by_one(start, n):
    day = london_date(add_working_days(start, 0, H))
    for _ in range(n):
        day = next_working_day(day, H)
    assert london_date(add_working_days(start, n, H)) == day


@given(starts, targets)
def test_no_pauses_means_the_plain_deadline(start, target):
    assert due_with_pauses(start, target, [], H) == target.due(start, H)


@settings(max_examples=200)
@given(starts, targets, st.lists(pause_spans, max_size=4), pause_spans)
def test_more_pausing_never_makes_a_deadline_earlier(start, target, spans, extra):
    pauses = _pauses(start, spans)
    before = due_with_pauses(start, target, pauses, H)
    assert before >= target.due(start, H)
    more = _pauses(start, spans + [extra])
    assert due_with_pauses(start, target, more, H) >= before
    if pauses:  # stretching a pause
        s, e = pauses[0]
        longer = [(s, e + timedelta(minutes=extra[1]))] + pauses[1:]
        assert due_with_pauses(start, target, longer, H) >= before


@settings(max_examples=200)
@given(starts, st.integers(0, 40), st.lists(pause_spans, max_size=4))
def test_paused_working_day_deadline_is_still_a_working_day(start, n, spans):
    due = due_with_pauses(start, Target(n, "working_days"), _pauses(start, spans), H)
    assert is_working_day(london_date(due), H)


@given(starts, targets.filter(lambda t: t.unit != "working_days"),
       st.lists(pause_spans, max_size=4))
def test_elapsed_running_time_at_the_deadline_is_the_target(start, target, spans):
    pauses = _pauses(start, spans)
    due = due_with_pauses(start, target, pauses, H)
    assert elapsed_excluding_pauses(start, due, pauses) == target.due(start, H) - start


@given(starts, st.integers(0, 90 * 24 * 60), st.lists(pause_spans, max_size=5))
def test_elapsed_excluding_pauses_is_at_most_elapsed(start, minutes, spans):
    end = start + timedelta(minutes=minutes)
    pauses = _pauses(start, spans)
    waited = elapsed_excluding_pauses(start, end, pauses)
    assert timedelta() <= waited <= end - start
    if spans:
        assert elapsed_excluding_pauses(start, end, pauses[:-1]) >= waited


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.integers(-120, 120))
def test_add_months_lands_in_the_right_month_never_past_the_day(start, n):
    result = add_months(start, n)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == n
    assert result.day <= start.day
    assert result.day == start.day or (result + timedelta(days=1)).day == 1


def test_each_nation_has_its_own_bank_holidays():
    from portal.web.bank_holidays import bank_holidays

    scotland = bank_holidays((), nation="scotland")
    assert date(2026, 1, 2) in scotland and date(2026, 1, 2) not in ENGLAND_AND_WALES  # 2 January
    assert date(2026, 8, 3) in scotland and date(2026, 8, 31) not in scotland  # summer holiday in August's first week
    assert date(2026, 3, 17) in bank_holidays((), nation="northern_ireland")  # St Patrick's Day
    assert date(2040, 12, 25) in ENGLAND_AND_WALES  # no hand-kept list running out


def test_council_closure_days_come_from_the_settings(app):
    from portal.web.bank_holidays import bank_holidays

    app.config["EXTRA_CLOSURE_DAYS"] = ["2026-12-24"]
    with app.app_context():
        assert date(2026, 12, 24) in bank_holidays()
    assert date(2026, 12, 24) not in bank_holidays(())


def test_one_reading_for_every_clock():
    from portal.web.clocks import read_clock

    now = datetime(2026, 7, 1, 12, 0)  # naive UTC: 1 pm in London
    due = datetime(2026, 6, 1, 12, 0)
    assert read_clock("Assess by", due, now, stopped_at=datetime(2026, 5, 30)).text == "Met"
    missed = read_clock("Assess by", due, now, stopped_at=datetime(2026, 6, 3, 12, 0))
    assert (missed.status, missed.text) == ("missed", "Missed by 2 days")
    assert read_clock("Assess by", due, now).text == "Overdue by 30 days"
    assert read_clock("Assess by", None, now).status == "paused"
    assert read_clock("Assess by", due, now, paused=True).text == "Paused"
    soon = read_clock("Decision due", date(2026, 7, 20), now, due_soon_days=30)
    assert (soon.status, soon.text) == ("due_soon", "Due in 19 days")
    assert read_clock("Decision due", date(2026, 7, 1), now).text == "Due today"
    assert read_clock("Decision due", date(2026, 6, 28), now, stopped_at=date(2026, 6, 27)).status == "met"
    # 23:30 UTC on 30 June is already 1 July in London: a date clock due on 30 June is overdue
    assert read_clock("Decision due", date(2026, 6, 30), datetime(2026, 6, 30, 23, 30)).status == "overdue"


def test_clock_tag_draws_the_reading(app):
    from portal.web.clocks import read_clock
    from portal.web.filters import clock_tag

    tag = clock_tag(read_clock("Assess by", datetime(2026, 6, 1), datetime(2026, 7, 1)))
    assert str(tag) == '<strong class="govuk-tag govuk-tag--red">Overdue by 30 days</strong>'
    assert str(clock_tag(None)) == ""
