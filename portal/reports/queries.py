"""Referral and self-assessment figures for the dashboard: aggregate SQL only.

Conventions
- A date range is two London calendar dates, both inclusive. It becomes the half-open UTC interval
  [00:00 London on the first day, 00:00 London on the day after the last day), see `utc_bounds`.
- Weeks (Monday to Sunday) and months are London weeks and months. The bucket is computed in SQL
  with a CASE over the bucket boundaries (worked out in Python, converted to UTC), so it is the same
  SQL on SQLite and PostgreSQL, respects British Summer Time, and the rows never leave the database:
  only one row per bucket comes back.
- Median and 90th percentile: PostgreSQL computes them with percentile_cont. SQLite has no
  percentile function, so there we fetch just the wait durations of the filtered set (two small
  columns: priority and seconds, no ORM objects), sort them in Python (quicker than SQLite's sort)
  and interpolate exactly as percentile_cont does. At the council's scale that is a few thousand
  numbers per quarter. (Ranking them in SQL with window functions and fetching only the ranks
  needed was tried: SQLite's window functions made that twice as slow.)
- Speed: every query is answered from one covering index (see models.py); the locality filter is
  written so that it cannot pull the planner onto the locality index (`in_locality`).
- Paused time is subtracted from waits in SQL: for each referral, the overlap of each of its pauses
  with [received, assessed] (an open pause counts up to the assessment). The referral service never
  lets two pauses overlap (a pause must end before the next starts), so the overlaps are summed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import floor

from sqlalchemy import Date, and_, case, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.sql.expression import ColumnElement

from portal.advice.models import AdviceReport
from portal.referrals.models import OPEN_STATES, Referral, ReferralNeed, ReferralPause
from portal.referrals.services.queries import effective_priority
from portal.referrals.services.queries import overdue_now as overdue_clause
from portal.timeutil import LONDON, utcnow

PRIORITY_ORDER = ("urgent", "high", "routine")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    locality: str | None = None
    now: datetime = field(default_factory=utcnow)  # for "overdue now"; naive UTC
    # when the daily totals (portal.reports.aggregates) were worked out: the referral figures are read
    # from them, true at that moment; None: worked out live
    as_of: datetime | None = None

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return utc_bounds(self.start, self.end)


# Dates and buckets -------------------------------------------------------------------------

def london_midnight(day: date) -> datetime:
    """Naive UTC for 00:00 London time on that day."""
    from datetime import UTC

    return datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return london_midnight(start), london_midnight(end + timedelta(days=1))


def week_starts(start: date, end: date) -> list[date]:
    """The Mondays of every week that overlaps [start, end]."""
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]


def month_starts(start: date, end: date) -> list[date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def bucket(column, starts: list[date]):
    """SQL CASE giving the index of the bucket a (UTC) timestamp falls in; rows must already be
    filtered to the range. Bucket i runs from starts[i] to starts[i + 1] (London midnights).

    The CASEs nest as a binary search over the edges, so each row takes about log2(buckets)
    comparisons rather than up to one per bucket (a year of weeks: 6 rather than up to 52)."""
    edges = [london_midnight(s) for s in starts[1:]]

    def search(first: int, last: int):
        if first == last:
            return literal(first)
        middle = (first + last + 1) // 2  # bucket `middle` begins at edges[middle - 1]
        return case((column < edges[middle - 1], search(first, middle - 1)), else_=search(middle, last))

    return search(0, len(starts) - 1)


# Dialect helpers ---------------------------------------------------------------------------

def london_day(session, column) -> ColumnElement:
    """The London calendar date of a naive UTC time.

    SQLite has no time zones: London is an hour ahead from 01:00 UTC on the last Sunday of March to
    01:00 UTC on the last Sunday of October (datetime(..., 'start of month', '+1 month', '-7 days',
    'weekday 0') is the month's last Sunday), and on GMT otherwise."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Europe/London", func.timezone("UTC", column)), Date)
    month = func.strftime("%m", column)
    change = func.datetime(column, "start of month", "+1 month", "-7 days", "weekday 0", "+1 hours")
    summer = case((month.between("04", "09"), "+1 hours"),
                  (and_(month == "03", column >= change), "+1 hours"),
                  (and_(month == "10", column < change), "+1 hours"),
                  else_="+0 hours")
    return func.date(column, summer, type_=Date)


def _is_pg(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def seconds_between(session, later, earlier):
    """later - earlier in seconds, as a float expression."""
    if _is_pg(session):
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _least(session, a, b):
    return func.least(a, b) if _is_pg(session) else func.min(a, b)


def _greatest(session, a, b):
    return func.greatest(a, b) if _is_pg(session) else func.max(a, b)


def percentile_cont(sorted_values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks: the same answer as SQL percentile_cont."""
    if not sorted_values:
        return None
    pos = p * (len(sorted_values) - 1)
    lo = floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def in_locality(column, locality: str):
    """column = locality, written so that no index on the column can serve it: the date range (or
    the open states) must drive each query, from an index that also holds the locality. A planner
    without statistics (SQLite before its first ANALYZE) otherwise takes the locality index, which
    matches a third of all referrals, and reads each of them from the table. Same rows: a NULL
    locality matches no locality either way, and `locality` is never empty."""
    return func.coalesce(column, "") == locality


def _received_in(filters: Filters) -> list:
    lo, hi = filters.bounds
    cond = [Referral.received_at >= lo, Referral.received_at < hi]
    if filters.locality:
        cond.append(in_locality(Referral.locality, filters.locality))
    return cond


def _priority():
    """The priority the clocks were computed with: the queue's priority filter uses the same."""
    return effective_priority()


def _grouped(session, inner_columns, where, key: str = "k") -> list[tuple]:
    """SELECT k, COUNT(*) FROM (SELECT <expr> AS k ... WHERE ...) GROUP BY k.

    The subquery keeps GROUP BY on a plain column: PostgreSQL cannot match a GROUP BY expression
    that carries bound parameters to the same expression in the select list."""
    sub = select(*inner_columns).select_from(Referral).where(*where).subquery()
    col = sub.c[key]
    return list(session.execute(select(col, func.count()).group_by(col).order_by(col)).all())


# Demand --------------------------------------------------------------------------------------

def referrals_by_week(session, filters: Filters) -> list[tuple[date, int, int]]:
    """(week beginning, referrals received, self-assessments completed) for every week in range."""
    starts = week_starts(filters.start, filters.end)
    counts = dict(_grouped(session, [bucket(Referral.received_at, starts).label("k")], _received_in(filters)))
    lo, hi = filters.bounds
    sub = (select(bucket(AdviceReport.completed_at, starts).label("k"))
           .where(AdviceReport.status == "completed", AdviceReport.completed_at >= lo,
                  AdviceReport.completed_at < hi).subquery())
    advice = dict(session.execute(select(sub.c.k, func.count()).group_by(sub.c.k)).all())
    return [(s, int(counts.get(i, 0)), int(advice.get(i, 0))) for i, s in enumerate(starts)]


def referrals_by_source(session, filters: Filters) -> list[tuple[str, int]]:
    rows = _grouped(session, [Referral.source.label("k")], _received_in(filters))
    return sorted(((k, int(n)) for k, n in rows), key=lambda r: (-r[1], r[0]))


def referrals_by_need(session, filters: Filters) -> list[tuple[str, int]]:
    """A referral asking for two kinds of help counts once under each.

    `referral_id IN (referrals in range)` rather than a join: SQLite then looks the needs up in
    referral id order (index order) rather than date order (a random page for each referral)."""
    in_range = select(Referral.id).where(*_received_in(filters))
    rows = session.execute(select(ReferralNeed.need, func.count()).where(ReferralNeed.referral_id.in_(in_range))
                           .group_by(ReferralNeed.need)).all()
    return sorted(((k, int(n)) for k, n in rows), key=lambda r: (-r[1], r[0]))


def referrals_by_locality(session, filters: Filters) -> list[tuple[str | None, int]]:
    rows = _grouped(session, [Referral.locality.label("k")], _received_in(filters))
    return sorted(((k, int(n)) for k, n in rows), key=lambda r: (-r[1], r[0] or "~"))


def referrals_received(session, filters: Filters) -> int:
    return int(session.scalar(select(func.count()).select_from(Referral).where(*_received_in(filters))) or 0)


@dataclass(frozen=True)
class SelfAssessments:
    completed: int
    self_help: int  # ended in self-help and no referral was made from them
    asked_for_help: int

    @property
    def self_help_share(self) -> float | None:
        return round(100 * self.self_help / self.completed, 1) if self.completed else None


def self_assessments(session, filters: Filters) -> SelfAssessments:
    """Completed online self-assessments in range. They are anonymous, so no locality filter."""
    lo, hi = filters.bounds
    sub = (select(*self_assessment_columns())
           .where(AdviceReport.status == "completed", AdviceReport.completed_at >= lo, AdviceReport.completed_at < hi)
           .subquery())
    row = session.execute(select(func.count(), func.coalesce(func.sum(sub.c.self_help), 0),
                                 func.coalesce(func.sum(sub.c.asked), 0))).one()
    return SelfAssessments(int(row[0]), int(row[1]), int(row[2]))


def self_assessment_columns() -> list:
    """Per completed self-assessment, 1 or 0: ended in self-help with no referral made from it
    (self_help); asked for help (asked). The live figures and the daily totals use these columns."""
    referred = exists().where(Referral.advice_report_id == AdviceReport.id)
    return [case((and_(AdviceReport.outcome == "self_help", ~referred), 1), else_=0).label("self_help"),
            case((AdviceReport.outcome == "asked_for_help", 1), else_=0).label("asked")]


# Responsiveness ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timeliness:
    priority: str
    contacts_due: int
    contacted_in_time: int
    assessments_due: int
    assessed_in_time: int

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None


def timeliness(session, filters: Filters) -> list[Timeliness]:
    """For referrals received in range, by priority:

    contacts due = contacted, or still open, not contacted and past the contact due time now;
    contacted in time = first contact on or before the contact due time (which already allows for
    paused time). The same for assessment. Referrals closed without contact (withdrawn, signposted)
    and paused cases (no due time) are in neither count."""
    sub = select(_priority().label("p"), *timeliness_columns(filters.now)).where(*_received_in(filters)).subquery()
    rows = session.execute(select(sub.c.p, func.sum(sub.c.cd), func.sum(sub.c.cm), func.sum(sub.c.ad),
                                  func.sum(sub.c.am)).group_by(sub.c.p)).all()
    found = {p: Timeliness(p, int(cd or 0), int(cm or 0), int(ad or 0), int(am or 0)) for p, cd, cm, ad, am in rows}
    return [found.get(p, Timeliness(p, 0, 0, 0, 0)) for p in PRIORITY_ORDER]


def timeliness_columns(now: datetime) -> list:
    """Per referral, 1 or 0: contact due (cd), contacted in time (cm), assessment due (ad), assessed
    in time (am), at the moment `now` (the live figures and the daily totals use these same columns)."""
    open_ = Referral.state.in_(OPEN_STATES)
    return [
        case((or_(Referral.first_contact_at.is_not(None),
                  and_(open_, Referral.contact_due_at < now)), 1), else_=0).label("cd"),
        case((Referral.first_contact_at <= Referral.contact_due_at, 1), else_=0).label("cm"),
        case((or_(Referral.assessed_at.is_not(None),
                  and_(open_, Referral.assessment_due_at < now)), 1), else_=0).label("ad"),
        case((Referral.assessed_at <= Referral.assessment_due_at, 1), else_=0).label("am"),
    ]


@dataclass(frozen=True)
class Waits:
    priority: str  # or "all"
    assessed: int
    median_days: float | None
    p90_days: float | None


def wait_seconds(session):
    """Seconds from received to assessed, less paused time inside that interval."""
    r, p = Referral, ReferralPause
    end = _least(session, func.coalesce(p.ended_at, r.assessed_at), r.assessed_at)
    start = _greatest(session, p.started_at, r.received_at)
    paused = (select(func.coalesce(func.sum(case((end > start, seconds_between(session, end, start)), else_=0)), 0))
              .where(p.referral_id == r.id).correlate(r).scalar_subquery())
    return seconds_between(session, r.assessed_at, r.received_at) - paused


def waits_to_assessment(session, filters: Filters) -> list[Waits]:
    """Median and 90th percentile wait (days, excluding paused time) of referrals ASSESSED in range,
    by priority and overall."""
    lo, hi = filters.bounds
    where = [Referral.assessed_at.is_not(None), Referral.assessed_at >= lo, Referral.assessed_at < hi]
    if filters.locality:
        where.append(in_locality(Referral.locality, filters.locality))
    return waits_of(session, select(_priority().label("p"), wait_seconds(session).label("w")).where(*where).subquery())


def waits_of(session, sub) -> list[Waits]:
    """Median and 90th percentile (days) of the waits `w` (seconds) in a subquery, by priority `p` and
    overall (the live query and the daily totals both end here)."""
    day = 86400.0
    if _is_pg(session):
        med = func.percentile_cont(0.5).within_group(sub.c.w)
        p90 = func.percentile_cont(0.9).within_group(sub.c.w)
        # one pass: per priority and the total (the grouping-set row with no priority)
        rows = session.execute(select(sub.c.p, func.grouping(sub.c.p), func.count(), med, p90)
                               .group_by(func.grouping_sets(tuple_(sub.c.p), tuple_()))).all()
        by = {("all" if total else p): (int(n), m, q) for p, total, n, m, q in rows}
    else:  # SQLite: only the durations of the filtered set, sorted here (faster than SQLite's sort);
        # thousands of rows, so straight from the connection (Core rows, no ORM result processing)
        values: dict[str, list[float]] = {}
        for p, w in session.connection().execute(select(sub.c.p, sub.c.w)).all():
            values.setdefault(p, []).append(float(w))
        for ws in values.values():
            ws.sort()
        everything = sorted(w for ws in values.values() for w in ws)
        by = {p: (len(ws), percentile_cont(ws, 0.5), percentile_cont(ws, 0.9)) for p, ws in values.items()}
        by["all"] = (len(everything), percentile_cont(everything, 0.5), percentile_cont(everything, 0.9))

    def days(seconds):
        return None if seconds is None else round(float(seconds) / day, 1)

    return [Waits(p, by.get(p, (0, None, None))[0], days(by.get(p, (0, None, None))[1]),
                  days(by.get(p, (0, None, None))[2])) for p in (*PRIORITY_ORDER, "all")]


@dataclass(frozen=True)
class Overdue:
    priority: str
    open: int
    overdue: int


def overdue_now(session, filters: Filters) -> list[Overdue]:
    """Open referrals now, and those overdue now by the queue's own definition (its "Overdue only"
    filter: referrals.services.queries.overdue_now), so the two counts agree. Paused cases, and
    assessed cases waiting to be closed, are not overdue.
    The date range does not apply (it is a snapshot); the locality does."""
    where = [Referral.state.in_(OPEN_STATES)]
    if filters.locality:
        where.append(in_locality(Referral.locality, filters.locality))
    sub = select(
        _priority().label("p"),
        case((overdue_clause(filters.now), 1), else_=0).label("o"),
    ).where(*where).subquery()
    rows = session.execute(select(sub.c.p, func.count(), func.sum(sub.c.o)).group_by(sub.c.p)).all()
    found = {p: Overdue(p, int(n), int(o or 0)) for p, n, o in rows}
    return [found.get(p, Overdue(p, 0, 0)) for p in PRIORITY_ORDER]


# Outcomes ------------------------------------------------------------------------------------

def closures_by_outcome(session, filters: Filters) -> list[tuple[str, int]]:
    """Cases finished in range (closed_at), by outcome; withdrawn and declined count as outcomes.

    Only the date range (and locality) is in the WHERE clause, so the closed-at index, which holds
    state, outcome and locality too, answers it alone; the state test is in the key instead, and a
    case in any other state (reopened since) gets no key and is left out."""
    lo, hi = filters.bounds
    where = [Referral.closed_at >= lo, Referral.closed_at < hi]
    if filters.locality:
        where.append(in_locality(Referral.locality, filters.locality))
    key = case((Referral.state == "closed", func.coalesce(Referral.outcome, "no_outcome")),
               (Referral.state.in_(("withdrawn", "declined")), Referral.state), else_=None)
    rows = _grouped(session, [key.label("k")], where)
    return sorted(((k, int(n)) for k, n in rows if k is not None), key=lambda r: (-r[1], r[0]))
