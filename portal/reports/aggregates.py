"""The dashboard's referral figures kept as daily totals (issue 13: the dashboard in under 100 ms with
100,000 referrals).

`refresh` works every total out from scratch, in one transaction, with the live queries' own column
definitions (portal.reports.queries), and records the moment they are true at ("as of"). It runs
from `flask reports refresh`, scheduled (see README.md, Deploying), and after the bench seed.

The readers below answer exactly what the live queries in portal.reports.queries and
portal.reports.figures answer, for any date range and locality, by adding up whole London days:
a range is whole London days, so a time is in the range when its London date is. Figures that
depend on the clock (contacts and assessments due) are as of the refresh; "overdue now", the
equipment, DFG and telecare figures stay live (their queries are cheap).

Until the first refresh, `as_of` is None and the pages work the figures out live.
"""

import time
from datetime import date, datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Engine

from portal.advice.models import AdviceReport
from portal.referrals.models import Referral, ReferralNeed
from portal.referrals.services.queries import effective_priority
from portal.reports import queries
from portal.reports.models import AdviceDay, AssessedWait, FiguresRefresh, NeedDay, ReferralDay
from portal.reports.queries import (
    PRIORITY_ORDER,
    Filters,
    SelfAssessments,
    Timeliness,
    Waits,
    london_day,
    month_starts,
    week_starts,
)
from portal.timeutil import utcnow

NO_LOCALITY = ""  # the key for referrals with no locality


# Refresh ---------------------------------------------------------------------------------------

def refresh(session, now: datetime | None = None) -> datetime:
    """Work every daily total out again from the referrals and self-assessments, as of `now`, in the
    caller's transaction (the caller commits). Returns the "as of" time."""
    now = now or utcnow()
    started = time.perf_counter()
    # one refresh at a time: a second one waits here for the first to commit (PostgreSQL)
    session.execute(select(FiguresRefresh.id).where(FiguresRefresh.id == 1).with_for_update())
    for model in (ReferralDay, NeedDay, AdviceDay, AssessedWait):
        session.execute(delete(model))
    locality = func.coalesce(Referral.locality, NO_LOCALITY)

    sub = select(london_day(session, Referral.received_at).label("day"), locality.label("locality"),
                 Referral.source.label("source"), effective_priority().label("priority"),
                 *queries.timeliness_columns(now)).subquery()
    keys = (sub.c.day, sub.c.locality, sub.c.source, sub.c.priority)
    session.execute(ReferralDay.__table__.insert().from_select(
        ["day", "locality", "source", "priority", "received", "contacts_due", "contacted_in_time",
         "assessments_due", "assessed_in_time"],
        select(*keys, func.count(), func.sum(sub.c.cd), func.sum(sub.c.cm), func.sum(sub.c.ad), func.sum(sub.c.am))
        .group_by(*keys)))

    sub = (select(london_day(session, Referral.received_at).label("day"), locality.label("locality"),
                  ReferralNeed.need.label("need"))
           .select_from(ReferralNeed).join(Referral, Referral.id == ReferralNeed.referral_id).subquery())
    keys = (sub.c.day, sub.c.locality, sub.c.need)
    session.execute(NeedDay.__table__.insert().from_select(
        ["day", "locality", "need", "referrals"], select(*keys, func.count()).group_by(*keys)))

    sa = queries.self_assessment_columns()
    sub = (select(london_day(session, AdviceReport.completed_at).label("day"), *sa)
           .where(AdviceReport.status == "completed", AdviceReport.completed_at.is_not(None)).subquery())
    session.execute(AdviceDay.__table__.insert().from_select(
        ["day", "completed", "self_help", "asked_for_help"],
        select(sub.c.day, func.count(), func.sum(sub.c.self_help), func.sum(sub.c.asked))
        .group_by(sub.c.day)))

    session.execute(AssessedWait.__table__.insert().from_select(
        ["referral_id", "day", "locality", "priority", "wait_seconds"],
        select(Referral.id, london_day(session, Referral.assessed_at), locality,
               effective_priority(), queries.wait_seconds(session))
        .where(Referral.assessed_at.is_not(None))))

    session.execute(update(FiguresRefresh).where(FiguresRefresh.id == 1)
                    .values(as_of=now, seconds=round(time.perf_counter() - started, 3)))
    return now


def tidy(session) -> None:
    """After a refresh has committed: on PostgreSQL, VACUUM ANALYZE the totals so the pages read them
    from their indexes alone (index-only scans need the visibility map a vacuum sets) with fresh
    statistics; elsewhere (SQLite, or inside a transaction that is not ours) ANALYZE them. A few
    milliseconds: the tables are small. Commits."""
    names = [m.__tablename__ for m in (ReferralDay, NeedDay, AdviceDay, AssessedWait)]
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(names)}")
        return
    for name in names:
        session.execute(text(f"ANALYZE {name}"))
    session.commit()


def as_of(session) -> datetime | None:
    """When the daily totals were last worked out; None: never (the pages work the figures out live)."""
    return session.scalar(select(FiguresRefresh.as_of).where(FiguresRefresh.id == 1))


# Readers: the same answers as portal.reports.queries and figures, from the daily totals ----------

def _where(model, f: Filters, *, locality: bool = True) -> list:
    cond = [model.day >= f.start, model.day <= f.end]
    if locality and f.locality:
        cond.append(model.locality == f.locality)
    return cond


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _per_day(session, column, model, f: Filters, *, locality: bool = True) -> dict[date, int]:
    rows = session.execute(select(model.day, func.sum(column)).where(*_where(model, f, locality=locality))
                           .group_by(model.day))
    return {_as_date(d): int(n or 0) for d, n in rows}


def _into(starts: list[date], per_day: dict[date, int]) -> list[int]:
    """Add the days up into the buckets beginning at `starts` (weeks or months)."""
    totals = [0] * len(starts)
    for day, n in per_day.items():
        i = next(i for i in range(len(starts) - 1, -1, -1) if day >= starts[i])
        totals[i] += n
    return totals


def referrals_by_week(session, f: Filters) -> list[tuple[date, int, int]]:
    starts = week_starts(f.start, f.end)
    referrals = _into(starts, _per_day(session, ReferralDay.received, ReferralDay, f))
    advice = _into(starts, _per_day(session, AdviceDay.completed, AdviceDay, f, locality=False))
    return list(zip(starts, referrals, advice, strict=True))


def referrals_by_month(session, f: Filters) -> list[tuple[date, int]]:
    starts = month_starts(f.start, f.end)
    return list(zip(starts, _into(starts, _per_day(session, ReferralDay.received, ReferralDay, f)), strict=True))


def _by(session, key, column, model, f: Filters) -> list[tuple]:
    return [(k, int(n)) for k, n in session.execute(select(key, func.sum(column)).where(*_where(model, f))
                                                     .group_by(key)) if n]


def referrals_by_source(session, f: Filters) -> list[tuple[str, int]]:
    rows = _by(session, ReferralDay.source, ReferralDay.received, ReferralDay, f)
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def referrals_by_need(session, f: Filters) -> list[tuple[str, int]]:
    rows = _by(session, NeedDay.need, NeedDay.referrals, NeedDay, f)
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def referrals_by_locality(session, f: Filters) -> list[tuple[str | None, int]]:
    rows = [(k or None, n) for k, n in _by(session, ReferralDay.locality, ReferralDay.received, ReferralDay, f)]
    return sorted(rows, key=lambda r: (-r[1], r[0] or "~"))


def referrals_received(session, f: Filters) -> int:
    return int(session.scalar(select(func.sum(ReferralDay.received)).where(*_where(ReferralDay, f))) or 0)


def self_assessments(session, f: Filters) -> SelfAssessments:
    row = session.execute(select(func.sum(AdviceDay.completed), func.sum(AdviceDay.self_help),
                                 func.sum(AdviceDay.asked_for_help))
                          .where(*_where(AdviceDay, f, locality=False))).one()
    return SelfAssessments(*(int(v or 0) for v in row))


def timeliness(session, f: Filters) -> list[Timeliness]:
    """As of the refresh: contacts and assessments due count those past their due time then."""
    t = ReferralDay
    rows = session.execute(select(t.priority, func.sum(t.contacts_due), func.sum(t.contacted_in_time),
                                  func.sum(t.assessments_due), func.sum(t.assessed_in_time))
                           .where(*_where(t, f)).group_by(t.priority)).all()
    found = {p: Timeliness(p, int(cd or 0), int(cm or 0), int(ad or 0), int(am or 0)) for p, cd, cm, ad, am in rows}
    return [found.get(p, Timeliness(p, 0, 0, 0, 0)) for p in PRIORITY_ORDER]


def waits_to_assessment(session, f: Filters) -> list[Waits]:
    w = AssessedWait
    return queries.waits_of(session, select(w.priority.label("p"), w.wait_seconds.label("w"))
                            .where(*_where(w, f)).subquery())
