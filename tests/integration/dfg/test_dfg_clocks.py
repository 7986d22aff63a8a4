"""Clocks: decision 6 months after the full application (month ends clamped), payment 12 months,
works 12 months after approval, the review window, and queue tags."""

from datetime import date, datetime, timedelta

from portal.dfg import services
from portal.dfg.models import DfgCase
from portal.timeutil import today as london_today
from portal.web.clocks import add_months
from tests.integration.dfg.conftest import walk_to


def test_application_starts_the_decision_and_payment_clocks(db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    c.created_at = datetime(2025, 8, 1, 9, 0)
    services.receive_application(db_session, caseworker, c, on=date(2025, 8, 31))
    assert c.decision_due_date == date(2026, 2, 28)
    assert c.payment_due_date == date(2026, 8, 31)


def test_approval_sets_works_clock_and_payment_date_from_the_application(db_session, caseworker):
    """Payment due by is 12 months after the full application (s.36), set on the decision, never typed."""
    c = walk_to(db_session, caseworker, "application_received")
    today = london_today()
    services.approve(db_session, caseworker, c, decision_date=today)
    assert c.works_due_date == add_months(today, 12)
    assert c.payment_due_date == add_months(c.full_application_date, 12)


def test_review_window_is_configurable(app, db_session, caseworker, monkeypatch):
    monkeypatch.setitem(app.config, "DFG_REVIEW_DAYS", 14)
    c = walk_to(db_session, caseworker, "refused")
    assert c.review_due_date == c.decision_date + timedelta(days=14)


def test_clock_tags():
    now = datetime(2026, 1, 10, 12, 0)
    c = DfgCase(state="application_received", decision_due_date=date(2026, 1, 9))
    reading = services.clock_for(c, now)
    assert (reading.status, reading.text, reading.label) == ("overdue", "Overdue by 1 day", "Decision due")
    c.decision_due_date = date(2026, 1, 10)
    assert services.clock_for(c, now).status == "due_today"
    c.decision_due_date = date(2026, 1, 30)
    assert services.clock_for(c, now).status == "due_soon"
    c.decision_due_date = date(2026, 5, 30)
    assert (services.clock_for(c, now).status, services.clock_for(c, now).text) == ("on_track", "Due in 140 days")
    assert services.clock_for(DfgCase(state="enquiry"), now) is None


def test_works_and_payment_clocks_show_the_earlier_first():
    now = datetime(2026, 1, 10, 12, 0)
    c = DfgCase(state="works", works_due_date=date(2026, 9, 1), payment_due_date=date(2026, 1, 5))
    assert [r.label for r in services.case_clocks(c, now)] == ["Payment due", "Works expected by"]
    assert services.clock_for(c, now).label == "Payment due" and services.clock_for(c, now).status == "overdue"


def test_review_window_is_shown_only_while_open():
    now = datetime(2026, 1, 10, 12, 0)
    c = DfgCase(state="refused", review_due_date=date(2026, 1, 20))
    assert [(r.label, r.text) for r in services.case_clocks(c, now)] == [
        ("Review can be asked for until", "Due in 10 days")]
    assert services.clock_for(c, now) is None  # the applicant's window, not a deadline for staff
    c.review_due_date = date(2026, 1, 9)
    assert services.case_clocks(c, now) == []


def test_queue_filters_breached_clocks(db_session, caseworker):
    late = walk_to(db_session, caseworker, "application_received")
    late.decision_due_date = london_today() - timedelta(days=1)
    fine = walk_to(db_session, caseworker, "application_received")
    db_session.flush()
    page = services.queue(db_session, services.QueueFilters(clock="breached"))
    ids = [c.id for c in page.rows]
    assert late.id in ids and fine.id not in ids
    assert page.clocks[late.id].status == "overdue"


def test_queue_order_and_filters_agree_with_the_tags(db_session, caseworker):
    """Whatever the clock, the queue sorts by the date its tag reads, and its overdue and due-soon
    filters hold exactly the rows tagged overdue, and due today or soon."""
    today = london_today()
    works = walk_to(db_session, caseworker, "works")
    works.works_due_date, works.payment_due_date = today + timedelta(days=300), today - timedelta(days=3)
    soon = walk_to(db_session, caseworker, "application_received")
    soon.decision_due_date = today + timedelta(days=5)
    due_today = walk_to(db_session, caseworker, "completed")
    due_today.payment_due_date = today
    later = walk_to(db_session, caseworker, "application_received")
    later.decision_due_date = today + timedelta(days=100)
    db_session.flush()
    ours = {works.id, soon.id, due_today.id, later.id}
    page = services.queue(db_session, services.QueueFilters(), per_page=500)
    rows = [c for c in page.rows if c.id in ours]
    assert [c.id for c in rows] == [works.id, due_today.id, soon.id, later.id]
    assert [page.clocks[c.id].status for c in rows] == ["overdue", "due_today", "due_soon", "on_track"]
    dues = [page.clocks[c.id].due for c in page.rows if page.clocks[c.id]]
    assert dues == sorted(dues)
    for clock, statuses in (("breached", {"overdue"}), ("due_soon", {"due_today", "due_soon"})):
        found = services.queue(db_session, services.QueueFilters(clock=clock), per_page=500)
        assert {c.id for c in found.rows} & ours == {c.id for c in rows if page.clocks[c.id].status in statuses}
        assert all(found.clocks[c.id].status in statuses for c in found.rows)


def test_figures_and_budget(db_session, caseworker):
    paid = walk_to(db_session, caseworker, "paid", grant="4800")
    approved = walk_to(db_session, caseworker, "approved")
    late = walk_to(db_session, caseworker, "application_received")
    late.decision_due_date = london_today() - timedelta(days=2)
    approved.includes_tecs = True
    db_session.flush()
    today = london_today()
    f = services.figures(db_session, today - timedelta(days=400), today)
    month = f"{today:%Y-%m}"
    assert sum(f["referrals"].values()) >= 3 and f["approvals"][month] >= 2 and f["completions"][month] >= 1
    assert f["decision_clock_breaches"] >= 1
    assert f["spend"] >= paid.paid_total
    assert 0 < f["tecs_share"] <= 1
    assert "enquiry" in f["average_days_per_stage"] and f["average_days_end_to_end"] is not None
    b = services.budget(db_session, today)
    assert b["committed"] >= approved.approved_total and b["paid"] >= paid.paid_total
    assert b["forecast"] == b["paid"] + b["committed"] + b["pipeline"]
    north = services.figures(db_session, today - timedelta(days=30), today, locality="Nowhere")
    assert north["cases"] == 0
