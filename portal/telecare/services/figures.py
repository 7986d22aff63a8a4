"""Telecare figures for the dashboard, in aggregate SQL."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal.people.models import Person
from portal.referrals.models import Referral, ReferralNeed
from portal.sql import days_between, month_key
from portal.telecare.models import LINE_TYPES, Connection, Job


def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Referral-to-install days (median), installs per month, install rate (installs / telecare
    referrals in the period), connections by line type and analogue remaining."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    installs = (select(Job).join(Person, Person.id == Job.person_id)
                .where(Job.job_type == "new_install", Job.state == "completed", Job.completed_at >= lo,
                       Job.completed_at < hi))
    if locality:
        installs = installs.where(Person.locality == locality)
    sub = installs.subquery()
    month = month_key(session, sub.c.completed_at)
    per_month = [{"month": m, "installs": n} for m, n in session.execute(
        select(month, func.count()).group_by(month).order_by(month)).all()]
    installed = sum(row["installs"] for row in per_month)
    referred_stmt = (select(func.count(func.distinct(Referral.id))).join(ReferralNeed,
                                                                          ReferralNeed.referral_id == Referral.id)
                     .where(ReferralNeed.need == "telecare", Referral.received_at >= lo, Referral.received_at < hi))
    if locality:
        referred_stmt = referred_stmt.where(Referral.locality == locality)
    referred = session.scalar(referred_stmt) or 0
    # Days from referral to install, one number per install with a referral; the median is taken
    # over the sorted list the database returns.
    days_expr = days_between(session, sub.c.completed_at, Referral.received_at)
    days = sorted(float(d) for d in session.scalars(
        select(days_expr).select_from(sub).join(Referral, Referral.id == sub.c.referral_id)))
    median = None
    if days:
        mid = len(days) // 2
        median = round(days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2, 1)
    by_type_stmt = (select(Connection.line_type, func.count()).join(Person, Person.id == Connection.person_id)
                    .where(Connection.status == "active").group_by(Connection.line_type))
    if locality:
        by_type_stmt = by_type_stmt.where(Person.locality == locality)
    by_type = {k: 0 for k in LINE_TYPES}
    by_type.update({k: v for k, v in session.execute(by_type_stmt).all()})
    return {
        "referral_to_install_days_median": median,
        "installs_per_month": per_month,
        "installs": installed,
        "telecare_referrals": referred,
        "install_rate": round(installed / referred, 3) if referred else None,
        "connections_by_line_type": by_type,
        "analogue_remaining": by_type["analogue"],
    }
