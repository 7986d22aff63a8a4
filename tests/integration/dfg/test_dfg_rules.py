"""Child cases from the date of birth, late decisions with their reason, quotes withdrawn not deleted."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.dfg import services
from portal.errors import IllegalTransition, Refusal
from portal.timeutil import today as london_today
from tests.conftest import csrf_from
from tests.integration.dfg.conftest import new_case, walk_to


def test_child_is_decided_from_the_date_of_birth_not_a_tick_box(db_session):
    assert new_case(db_session, child=True).is_child is True
    assert new_case(db_session).is_child is False
    today = london_today()
    eighteen = date(today.year - 18, today.month, 1)
    assert new_case(db_session, born=eighteen, days_ago=0).is_child is True     # under 19
    nineteen = date(today.year - 20, today.month, 1)
    assert new_case(db_session, born=nineteen, days_ago=0).is_child is False


def test_correcting_the_date_of_birth_re_decides_the_case_and_is_audited(db_session, caseworker):
    c = walk_to(db_session, caseworker, "eligibility")
    assert c.test_of_resources.result == "passported"
    services.correct_date_of_birth(db_session, caseworker, c, date_of_birth=date(2015, 6, 1))
    assert c.is_child is True and c.contribution in (None, 0)
    assert "tor" not in services.allowed_actions(caseworker, c)
    services.correct_date_of_birth(db_session, caseworker, c, date_of_birth=date(1950, 6, 1))
    assert c.is_child is False and c.test_of_resources is None and c.contribution is None
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(c.id))).all()
    assert actions.count("dfg.child_decided") == 2 and "dfg.date_of_birth_corrected" in actions


def test_an_adult_found_late_needs_the_test_of_resources_before_the_decision(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", child=True)
    services.correct_date_of_birth(db_session, caseworker, c, date_of_birth=date(1960, 1, 1))
    assert "tor" in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="test of resources before the decision"):
        services.approve(db_session, caseworker, c)
    services.record_test_of_resources(db_session, caseworker, c, version=None, passported=True, benefit="UC")
    services.approve(db_session, caseworker, c)
    assert c.state == "approved"


def test_the_date_of_birth_cannot_flip_a_decided_case(db_session, caseworker):
    c = walk_to(db_session, caseworker, "approved")
    with pytest.raises(Refusal, match="Nothing was changed") as refused:
        services.correct_date_of_birth(db_session, caseworker, c, date_of_birth=date(2015, 1, 1))
    assert refused.value.field == "date_of_birth" and c.person.date_of_birth == date(1950, 3, 27)


def test_a_late_approval_needs_its_reason_and_is_reported(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    c.decision_due_date = london_today() - timedelta(days=3)
    with pytest.raises(Refusal, match="after the 6-month deadline") as refused:
        services.approve(db_session, caseworker, c)
    assert refused.value.field == "late_reason" and c.state == "application_received"
    services.approve(db_session, caseworker, c, late_reason="Planning permission was slow")
    assert c.late_reason == "Planning permission was slow"
    today = london_today()
    late = services.late_decisions(db_session, today - timedelta(days=30), today)
    assert [(r["reference"], r["days_late"], r["reason"]) for r in late] == [
        (c.reference, 3, "Planning permission was slow")]


def test_the_late_reason_is_asked_for_on_the_page_only_when_late(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    staff.login_as("dfg_caseworker")
    assert "approve-late_reason" not in client.get(f"/dfg/cases/{c.id}/approve").text
    c.decision_due_date = london_today() - timedelta(days=3)
    db_session.commit()
    page = client.get(f"/dfg/cases/{c.id}/approve")
    assert 'name="approve-late_reason"' in page.text
    today = london_today()
    resp = client.post(f"/dfg/cases/{c.id}/approve", data={
        "approve-csrf_token": csrf_from(page.text), "approve-version": str(c.version), "approve-fees": "120",
        "approve-decision_date": [str(today.day), str(today.month), str(today.year)]})
    assert resp.status_code == 422 and "Enter the reason it is late" in resp.text and 'value="120"' in resp.text
    db_session.refresh(c)
    assert c.state == "application_received"


def test_a_quote_is_withdrawn_not_deleted_and_the_choice_is_cleared(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    chosen = c.chosen_quote
    with pytest.raises(Refusal, match="why the quote is withdrawn"):
        services.withdraw_quote(db_session, caseworker, c, chosen.id, reason=" ")
    services.withdraw_quote(db_session, caseworker, c, chosen.id, reason="Priced the wrong stairlift")
    assert chosen in c.quotes and chosen.withdrawn and not chosen.chosen and c.chosen_quote is None
    with pytest.raises(Refusal, match="was withdrawn"):
        services.choose_quote(db_session, caseworker, c, chosen.id)
    with pytest.raises(IllegalTransition, match="Choose the quote"):
        services.approve(db_session, caseworker, c)
    other = next(q for q in c.quotes if not q.withdrawn)
    services.choose_quote(db_session, caseworker, c, other.id)
    services.approve(db_session, caseworker, c)
    assert c.approved_amount == other.amount


def test_a_quote_cannot_predate_the_enquiry_or_be_in_the_future(db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    for day, message in ((c.enquiry_date - timedelta(days=1), "when the enquiry was made"),
                         (london_today() + timedelta(days=1), "cannot be in the future")):
        with pytest.raises(Refusal, match=message):
            services.add_quote(db_session, caseworker, c, contractor="X", amount="100", received_on=day)
