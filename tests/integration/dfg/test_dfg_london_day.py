"""DFG dates are the council's (London) dates: at 23:30 UTC on a summer evening it is already
tomorrow in London, and every "today" in DFG says so (it used to be the UTC date, a day out)."""

import re
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.dfg import services
from portal.dfg.models import DfgQuote
from tests.conftest import csrf_from
from tests.integration.dfg.conftest import walk_to

LATE = "2026-07-14 23:30:00"  # UTC: 00:30 on 15 July in London (BST)
LONDON_DAY = date(2026, 7, 15)


@pytest.fixture
def late_evening():
    with freeze_time(LATE):
        yield


def test_a_decision_made_after_midnight_in_london_is_dated_that_day(db_session, caseworker, late_evening):
    refused = walk_to(db_session, caseworker, "refused")
    assert refused.decision_date == LONDON_DAY
    assert refused.review_due_date == LONDON_DAY + timedelta(days=28)
    approved = walk_to(db_session, caseworker, "application_received")
    services.approve(db_session, caseworker, approved)
    assert approved.decision_date == LONDON_DAY


def test_an_application_dated_today_in_london_is_not_in_the_future(db_session, caseworker, late_evening):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    services.receive_application(db_session, caseworker, c, on=LONDON_DAY)
    assert c.full_application_date == LONDON_DAY and c.decision_due_date == date(2027, 1, 15)


def test_the_review_window_closes_at_midnight_in_london(db_session, caseworker):
    with freeze_time(LATE):
        c = walk_to(db_session, caseworker, "refused")
        c.review_due_date = LONDON_DAY
        assert "review" in services.allowed_actions(caseworker, c)
    with freeze_time("2026-07-15 23:30:00"):  # still 15 July in UTC, but 16 July in London
        assert "review" not in services.allowed_actions(caseworker, c)


def test_clocks_and_the_queue_read_the_london_date(db_session, caseworker, late_evening):
    due_today = walk_to(db_session, caseworker, "application_received")
    due_today.decision_due_date = LONDON_DAY
    late = walk_to(db_session, caseworker, "application_received")
    late.decision_due_date = LONDON_DAY - timedelta(days=1)
    db_session.flush()
    assert services.clock_for(due_today).status == "due_today"
    assert services.clock_for(late).text == "Overdue by 1 day"
    breached = services.queue(db_session, services.QueueFilters(clock="breached"), per_page=500)
    assert late.id in {c.id for c in breached.rows} and due_today.id not in {c.id for c in breached.rows}


def test_the_case_page_offers_the_london_date_and_accepts_it(client, staff, db_session, caseworker, late_evening):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}/application")
    assert re.search(r'id="application-on-day" name="application-on" type="text" value="15"', page.text)
    resp = client.post(f"/dfg/cases/{c.id}/quote", data={
        "quote-csrf_token": csrf_from(page.text), "quote-contractor": "Night Lifts", "quote-amount": "5100",
        "quote-received_on": ["15", "7", "2026"]})
    assert resp.status_code == 303, resp.text
    quote = db_session.scalar(select(DfgQuote).where(DfgQuote.contractor == "Night Lifts"))
    assert quote.received_on == LONDON_DAY
