"""Reports' tables: the dashboard's figures kept as daily totals (migration 0023, below), and the
indexes that the live queries need (migrations 0007 and 0007a), on the referral and self-assessment
tables. Declared here, on those tables, so models and migrations agree.

Most are covering indexes: each dashboard query reads a date range (or the open referrals) from one
index that holds every column the query needs, the locality included, so no table row is read.
The queries keep the locality test out of reach of the locality index (queries.in_locality) so the
planner always takes these, with or without statistics.
"""

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.advice.models import AdviceReport
from portal.dfg.models import DfgCase
from portal.extensions import db
from portal.referrals.models import Referral

_t = Referral.__table__
_a = AdviceReport.__table__
_d = DfgCase.__table__

REPORT_INDEXES = (
    # cases finished in a period, by outcome (withdrawn and declined are outcomes too)
    Index("ix_referral_closed_outcome", _t.c.closed_at, _t.c.locality, _t.c.state, _t.c.outcome),
    # waits of the referrals assessed in a period, by priority
    Index("ix_referral_assessed_wait", _t.c.assessed_at, _t.c.locality, _t.c.received_at, _t.c.priority,
          _t.c.suggested_priority),
    # demand by source and locality in a date range
    Index("ix_referral_received_demand", _t.c.received_at, _t.c.locality, _t.c.source),
    # contacted and assessed within target, for the referrals received in a period
    Index("ix_referral_received_timeliness", _t.c.received_at, _t.c.locality, _t.c.priority,
          _t.c.suggested_priority, _t.c.state, _t.c.first_contact_at, _t.c.contact_due_at, _t.c.assessed_at,
          _t.c.assessment_due_at),
    # open referrals and those overdue now, by priority
    Index("ix_referral_open_overdue", _t.c.state, _t.c.locality, _t.c.priority, _t.c.suggested_priority,
          _t.c.paused_since, _t.c.assessed_at, _t.c.next_due_at),
    # "did this self-assessment lead to a referral?" (NOT EXISTS per completed report)
    Index("ix_referral_advice_report", _t.c.advice_report_id),
    # self-assessments completed in a period and how they ended
    Index("ix_advice_report_completed_outcome", _a.c.status, _a.c.completed_at, _a.c.outcome),
    # DFG enquiry to completion and to payment, by month (migration 0023): the grants finished in a period
    Index("ix_dfg_case_completed_report", _d.c.completed_date, _d.c.locality, _d.c.created_at),
    Index("ix_dfg_case_paid_report", _d.c.paid_date, _d.c.locality, _d.c.created_at),
)


# The dashboard's figures, kept as daily totals (migration 0023) ------------------------------------
# Written only by portal.reports.aggregates.refresh (`flask reports refresh`, scheduled), from scratch,
# in one transaction; the pages read them for any date range and locality by adding up whole London
# days. "locality" is "" where the referral has none (a key column cannot be NULL).

class ReferralDay(db.Model):
    """Referrals received on a London day, by locality, source and priority (REP-02), with how many
    were due their first contact and assessment, and how many met them, as of the refresh."""
    __tablename__ = "report_referral_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    locality: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(30), primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    received: Mapped[int] = mapped_column(Integer)
    contacts_due: Mapped[int] = mapped_column(Integer)
    contacted_in_time: Mapped[int] = mapped_column(Integer)
    assessments_due: Mapped[int] = mapped_column(Integer)
    assessed_in_time: Mapped[int] = mapped_column(Integer)


class NeedDay(db.Model):
    """Referrals received on a London day, by locality and need (a referral counts under each need)."""
    __tablename__ = "report_need_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    locality: Mapped[str] = mapped_column(String(40), primary_key=True)
    need: Mapped[str] = mapped_column(String(30), primary_key=True)
    referrals: Mapped[int] = mapped_column(Integer)


class AdviceDay(db.Model):
    """Online self-assessments completed on a London day (anonymous: no locality)."""
    __tablename__ = "report_advice_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed: Mapped[int] = mapped_column(Integer)
    self_help: Mapped[int] = mapped_column(Integer)  # ended in self-help and no referral was made from it
    asked_for_help: Mapped[int] = mapped_column(Integer)


class AssessedWait(db.Model):
    """Each assessed referral's wait, in seconds less paused time, by the London day it was assessed:
    a median needs the values themselves, not totals."""
    __tablename__ = "report_assessed_wait"
    __table_args__ = (Index("ix_report_assessed_wait_day", "day", "locality", "priority", "wait_seconds"),)
    referral_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    locality: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10))
    wait_seconds: Mapped[float] = mapped_column(Float)


class FiguresRefresh(db.Model):
    """One row: when the figures above were last worked out (None: never, and the pages work them
    out live)."""
    __tablename__ = "report_refresh"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    as_of: Mapped[datetime | None] = mapped_column()  # naive UTC: the moment the figures are true at
    seconds: Mapped[float | None] = mapped_column(Float)  # how long the refresh took
