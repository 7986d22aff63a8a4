"""Reports has no tables of its own: only indexes that its aggregate queries need (migrations 0007
and 0007a), on the referral and self-assessment tables. Declared here, on those tables, so models
and migrations agree.

Most are covering indexes: each dashboard query reads a date range (or the open referrals) from one
index that holds every column the query needs, the locality included, so no table row is read.
The queries keep the locality test out of reach of the locality index (queries.in_locality) so the
planner always takes these, with or without statistics.
"""

from sqlalchemy import Index

from portal.advice.models import AdviceReport
from portal.referrals.models import Referral

_t = Referral.__table__
_a = AdviceReport.__table__

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
)
