"""The council's own measures that the dashboard and the board report were missing (issue 17):
referrals per month, equipment delivered within 7 days of the request, Disabled Facilities Grant
end-to-end times, and telecare installs against their target.

Conventions, as in queries.py: a date range is two London dates, both inclusive; months are London
calendar months. Referral and equipment counts are aggregate SQL, bucketed by month in the
database. DFG and telecare times are worked out from a few columns of the cases and jobs finished
in the range (hundreds a year): their start is a moment (naive UTC) and their end a London date, so
the day count needs each moment's London date, which SQLite cannot work out. Only those columns come
back, never a person's details.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select

from portal.dfg.models import DfgCase
from portal.equipment.models import Order
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.reports.queries import (
    Filters,
    bucket,
    in_locality,
    london_day,
    month_starts,
    percentile_cont,
    seconds_between,
)
from portal.telecare.models import Job
from portal.web.clocks import london_date

EQUIPMENT_DAYS = 7  # the council's measure: equipment delivered within 7 days of the request


def _month_of(day: date, starts: list[date]) -> int:
    """The index of the month (in starts) a London date falls in."""
    return next(i for i in range(len(starts) - 1, -1, -1) if day >= starts[i])


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# Referrals per month ------------------------------------------------------------------------

def referrals_by_month(session, f: Filters) -> list[tuple[date, int]]:
    """(first day of the month, referrals received that month) for every month in range; the first
    and last months are part months when the range starts or ends inside them."""
    starts = month_starts(f.start, f.end)
    lo, hi = f.bounds
    where = [Referral.received_at >= lo, Referral.received_at < hi]
    if f.locality:
        where.append(in_locality(Referral.locality, f.locality))
    sub = select(bucket(Referral.received_at, starts).label("k")).where(*where).subquery()
    counts = dict(session.execute(select(sub.c.k, func.count()).group_by(sub.c.k)).all())
    return [(s, int(counts.get(i, 0))) for i, s in enumerate(starts)]


# Equipment delivered within 7 days of the request ---------------------------------------------

@dataclass(frozen=True)
class Deliveries:
    month: date
    delivered: int  # orders delivered in the month
    within: int  # of which delivered within 7 days of the request

    @property
    def share(self) -> float | None:
        return _share(self.within, self.delivered)


def equipment_within_days(session, f: Filters, days: int = EQUIPMENT_DAYS) -> list[Deliveries]:
    """Orders delivered in each month, and how many were delivered within `days` days (24-hour
    days) of being requested (raised). Locality is the order's."""
    starts = month_starts(f.start, f.end)
    lo, hi = f.bounds
    where = [Order.delivered_at >= lo, Order.delivered_at < hi]
    if f.locality:
        where.append(in_locality(Order.locality, f.locality))
    quick = case((seconds_between(session, Order.delivered_at, Order.raised_at) <= days * 86400.0, 1), else_=0)
    sub = select(bucket(Order.delivered_at, starts).label("k"), quick.label("q")).where(*where).subquery()
    rows = {k: (int(n), int(q or 0)) for k, n, q in
            session.execute(select(sub.c.k, func.count(), func.sum(sub.c.q)).group_by(sub.c.k)).all()}
    return [Deliveries(s, *rows.get(i, (0, 0))) for i, s in enumerate(starts)]


# Time taken, by month ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Durations:
    month: date | None  # None: the whole range
    count: int
    median_days: float | None
    p90_days: float | None
    on_time: int | None = None  # telecare installs: finished by the due date

    @property
    def on_time_share(self) -> float | None:
        return None if self.on_time is None else _share(self.on_time, self.count)


def _by_month(starts: list[date], items: list[tuple[date, float, bool | None]], timed: bool = False) -> list[Durations]:
    """items: (London date finished, days taken, on time or None). One row per month, then the total.
    timed: count those on time (telecare installs against their target date)."""
    months: list[list[tuple[float, bool | None]]] = [[] for _ in starts]
    for day, taken, on_time in items:
        months[_month_of(day, starts)].append((taken, on_time))
    every = [item for month in months for item in month]

    def row(month, found):
        values = sorted(t for t, _ in found)
        on_time = sum(1 for _, o in found if o) if timed else None
        return Durations(month, len(values), _days(percentile_cont(values, 0.5)),
                         _days(percentile_cont(values, 0.9)), on_time)

    return [*(row(s, found) for s, found in zip(starts, months, strict=True)), row(None, every)]


def dfg_end_to_end(session, f: Filters, until: str = "completed") -> list[Durations]:
    """Days from a DFG enquiry (the day the case was opened, London date) to the works being
    completed (`until="completed"`, by month of completion) or to the final payment
    (`until="paid"`, by month of payment), median and 90th percentile. Withdrawn cases that never
    got there are not counted. Locality is the case's."""
    end_column = DfgCase.completed_date if until == "completed" else DfgCase.paid_date
    where = [end_column >= f.start, end_column <= f.end]
    if f.locality:
        where.append(in_locality(DfgCase.locality, f.locality))
    # the London date of the enquiry in SQL, and plain rows (no ORM result handling): hundreds of rows
    stmt = select(end_column, london_day(session, DfgCase.created_at)).where(*where)
    items = [(finished, float(max((finished - opened).days, 0)), None)
             for finished, opened in session.connection().execute(stmt)]
    return _by_month(month_starts(f.start, f.end), items)


def telecare_installs(session, f: Filters) -> list[Durations]:
    """New telecare installs completed in each month (London date of completion): how many, the
    days from the request to the install (median and 90th percentile) and how many were installed
    on or before their due date (the target set for the job's priority when it was requested).
    Locality is the person's."""
    lo, hi = f.bounds
    stmt = (select(Job.requested_at, Job.completed_at, Job.due_date)
            .where(Job.job_type == "new_install", Job.state == "completed", Job.completed_at >= lo,
                   Job.completed_at < hi))
    if f.locality:
        stmt = stmt.join(Person, Person.id == Job.person_id).where(in_locality(Person.locality, f.locality))
    items = []
    for requested, completed, due in session.execute(stmt):
        taken = max((completed - requested).total_seconds(), 0) / 86400.0
        items.append((london_date(completed), taken, london_date(completed) <= due))
    return _by_month(month_starts(f.start, f.end), items, timed=True)


def month_label(month: date | datetime | None) -> str:
    return "Whole period" if month is None else f"{month:%b %Y}"
