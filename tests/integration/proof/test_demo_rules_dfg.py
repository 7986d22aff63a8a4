"""The DFG demo data keeps every rule it shows (portal/dfg/seed.py)."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.dfg import services
from portal.dfg.models import DfgCase
from portal.dfg.seed import seed_demo
from portal.timeutil import today as london_today
from portal.web.clocks import add_months


def test_demo_dfg_cases_keep_the_rules(db_session):
    seed_demo(db_session)
    today = london_today()
    cases = db_session.scalars(select(DfgCase).where(DfgCase.reference.like("DFG-D%"))).all()
    assert len(cases) >= 100
    for c in cases:
        ref = c.reference
        on = c.full_application_date or c.enquiry_date
        assert c.is_child == services.is_child_on(c.person.date_of_birth, on), ref
        dates = [c.enquiry_date, c.full_application_date, c.decision_date, c.works_started_date, c.completed_date,
                 c.inspected_date]
        known = [d for d in dates if d is not None]
        assert known == sorted(known) and all(d <= today for d in known), ref
        assert all(c.enquiry_date <= q.received_on <= today for q in c.quotes), ref
        if c.full_application_date:
            assert c.payment_due_date == add_months(c.full_application_date, 12), ref
        if c.approved_amount is not None:
            s = services.grant_sum(c)
            assert s is not None and c.approved_amount == s.grant, ref
            assert c.discretionary_amount <= s.above_maximum, ref
            if c.decided_late:
                assert c.late_reason, ref
        for p in c.payments:
            assert c.decision_date <= p.paid_on <= today, ref
        assert sum((p.amount for p in c.payments), Decimal(0)) == c.paid_total <= c.approved_total, ref
        if c.state == "works":
            assert c.paid_total <= services.instalment_limit(c), ref
        if c.state == "paid":
            assert max(p.paid_on for p in c.payments) >= c.inspected_date - timedelta(days=0), ref
        if not c.is_child and c.state not in ("enquiry", "eligibility", "withdrawn"):
            assert c.test_of_resources is not None or c.state == "withdrawn", ref
