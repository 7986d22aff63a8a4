"""Clocks: decision 6 months after the full application (month ends clamped), payment 12 months,
works 12 months after approval, the review window, and queue tags."""

from datetime import date, timedelta

from portal.dfg import services
from portal.dfg.models import DfgCase
from portal.timeutil import utcnow
from tests.integration.dfg.conftest import walk_to


def test_add_months_clamps_month_ends():
    assert services.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert services.add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert services.add_months(date(2025, 1, 15), 12) == date(2026, 1, 15)


def test_application_starts_the_decision_and_payment_clocks(db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    services.receive_application(db_session, caseworker, c, on=date(2025, 8, 31))
    assert c.decision_due_date == date(2026, 2, 28)
    assert c.payment_due_date == date(2026, 8, 31)


def test_approval_sets_works_clock_and_payment_date_from_decision(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    today = utcnow().date()
    services.approve(db_session, caseworker, c, grant="4000", decision_date=today,
                     payment_due=today + timedelta(days=200))
    assert c.works_due_date == services.add_months(today, 12)
    assert c.payment_due_date == today + timedelta(days=200)


def test_review_window_is_configurable(app, db_session, caseworker):
    app.config["DFG_REVIEW_DAYS"] = 14
    try:
        c = walk_to(db_session, caseworker, "refused")
        assert c.review_due_date == c.decision_date + timedelta(days=14)
    finally:
        del app.config["DFG_REVIEW_DAYS"]


def test_clock_tags():
    today = date(2026, 1, 10)
    c = DfgCase(state="application_received", decision_due_date=date(2026, 1, 9))
    assert services.clock_for(c, today).status == "overdue"
    assert services.clock_for(c, today).describe == "Overdue by 1 day"
    c.decision_due_date = date(2026, 1, 30)
    assert services.clock_for(c, today).status == "due_soon"
    c.decision_due_date = date(2026, 5, 30)
    assert services.clock_for(c, today).status == "on_track"
    assert services.clock_for(DfgCase(state="enquiry"), today) is None


def test_queue_filters_breached_clocks(db_session, caseworker):
    late = walk_to(db_session, caseworker, "application_received")
    late.decision_due_date = utcnow().date() - timedelta(days=1)
    fine = walk_to(db_session, caseworker, "application_received")
    db_session.flush()
    page = services.queue(db_session, services.QueueFilters(clock="breached"))
    ids = [c.id for c in page.rows]
    assert late.id in ids and fine.id not in ids
    assert page.clocks[late.id].status == "overdue"


def test_figures_and_budget(db_session, caseworker):
    paid = walk_to(db_session, caseworker, "paid", grant="4800")
    approved = walk_to(db_session, caseworker, "approved", grant="4000")
    late = walk_to(db_session, caseworker, "application_received")
    late.decision_due_date = utcnow().date() - timedelta(days=2)
    approved.includes_tecs = True
    db_session.flush()
    today = utcnow().date()
    f = services.figures(db_session, today - timedelta(days=400), today)
    month = f"{today:%Y-%m}"
    assert f["referrals"][month] >= 3 and f["approvals"][month] >= 2 and f["completions"][month] >= 1
    assert f["decision_clock_breaches"] >= 1
    assert f["spend"] >= paid.paid_total
    assert 0 < f["tecs_share"] <= 1
    assert "enquiry" in f["average_days_per_stage"] and f["average_days_end_to_end"] is not None
    b = services.budget(db_session, today)
    assert b["committed"] >= approved.approved_total and b["paid"] >= paid.paid_total
    assert b["forecast"] == b["paid"] + b["committed"] + b["pipeline"]
    north = services.figures(db_session, today - timedelta(days=30), today, locality="Nowhere")
    assert north["cases"] == 0
