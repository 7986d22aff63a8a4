"""Reports has no tables of its own: only indexes on referral that its aggregate queries need
(migration 0007). Declared here, on the referral table, so models and migrations agree."""

from sqlalchemy import Index

from portal.referrals.models import Referral

_t = Referral.__table__

# cases finished in a period (outcomes) and assessed in a period (waits), filtered by locality
REPORT_INDEXES = (
    Index("ix_referral_closed", _t.c.closed_at),
    Index("ix_referral_assessed", _t.c.assessed_at),
    # demand by source and locality in a date range, answered from the index alone (no row lookups)
    Index("ix_referral_received_demand", _t.c.received_at, _t.c.locality, _t.c.source),
    # "did this self-assessment lead to a referral?" (NOT EXISTS per completed report)
    Index("ix_referral_advice_report", _t.c.advice_report_id),
)
