"""The referral clocks as every page reads them, and refusals that come back on the same page."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.errors import IllegalTransition, Refusal
from portal.referrals import services
from tests.conftest import csrf_from

ON_TIME = dict(outcomes_wanted="Stay home", strengths="Family", needs_by_area="Bathing", risks="",
               tecs_considered=True, tecs_what="Pendant", tecs_why_not=None, recommendations=["equipment"])


def _routed_to_ot(db_session, staff, make_referral, **kwargs):
    triage, ot = staff.create("triage_officer"), staff.create("occupational_therapist")
    referral = make_referral(**kwargs)
    services.route(db_session, triage, referral, route_to="occupational_therapist", complex_case=True,
                   reason="Complex")
    return referral, triage, ot


def test_a_referral_assessed_on_time_reads_met_for_good(db_session, staff, make_referral):
    referral, _, ot = _routed_to_ot(db_session, staff, make_referral, priority="routine",
                                    received_at=datetime(2026, 1, 5, 9, 0))
    services.complete_assessment(db_session, ot, referral, **ON_TIME)
    referral.assessed_at = datetime(2026, 1, 20, 9, 0)  # well before the 28-day target (2 February)
    services.recompute_clocks(referral)
    later = datetime(2026, 6, 1, 9, 0)
    reading = services.clock_reading(referral, later)
    assert (reading.status, reading.text) == ("met", "Met")
    overdue = services.queue(db_session, staff.create("triage_officer"), services.QueueFilters(overdue=True),
                             now=later).items
    assert referral.id not in {r.id for r in overdue}


def test_a_late_assessment_reads_missed_by(db_session, staff, make_referral):
    referral, _, ot = _routed_to_ot(db_session, staff, make_referral, priority="routine",
                                    received_at=datetime(2026, 1, 5, 9, 0))
    services.complete_assessment(db_session, ot, referral, **ON_TIME)
    referral.assessed_at = datetime(2026, 2, 5, 9, 0)  # due 2 February 09:00
    reading = services.clock_reading(referral, datetime(2026, 6, 1))
    assert (reading.status, reading.text) == ("missed", "Missed by 3 days")


def test_a_paused_referral_reads_paused_and_an_open_one_overdue(db_session, staff, make_referral):
    triage = staff.create("triage_officer")
    paused = make_referral(received_at=datetime(2026, 1, 5, 9, 0))
    services.pause(db_session, triage, paused, "Waiting for the GP")
    running = make_referral(received_at=datetime(2026, 1, 5, 9, 0))
    now = datetime(2026, 6, 1)
    assert services.clock_reading(paused, now).text == "Paused"
    reading = services.clock_reading(running, now)
    assert reading.status == "overdue" and reading.text.startswith("Overdue by") and reading.label == "Contact by"
    overdue = {r.id for r in services.queue(db_session, triage, services.QueueFilters(overdue=True), now=now).items}
    assert overdue == {running.id}


def test_a_closed_referral_shows_no_running_clock(db_session, staff, make_referral):
    triage = staff.create("triage_officer")
    referral = make_referral(received_at=datetime(2026, 1, 5, 9, 0))
    services.decline(db_session, triage, referral, "Not eligible")
    now = datetime(2026, 6, 1)
    assert services.clock_reading(referral, now) is None
    assert services.contact_reading(referral, now) is None


def test_the_pages_draw_the_met_tag(client, staff, db_session, make_referral):
    referral, _, ot = _routed_to_ot(db_session, staff, make_referral, received_at=datetime(2026, 1, 5, 9, 0))
    services.claim(db_session, ot, referral)
    services.complete_assessment(db_session, ot, referral, **ON_TIME)
    referral.assessed_at = datetime(2026, 1, 20, 9, 0)
    services.recompute_clocks(referral)
    db_session.flush()
    staff.login_as("triage_officer")
    for page in (client.get(f"/referrals/{referral.id}"), client.get("/referrals?state=assessed")):
        assert '<strong class="govuk-tag govuk-tag--green">Met</strong>' in page.text
        assert "Overdue by" not in page.text
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    staff.sign_in(ot)
    caseload = client.get("/caseload")
    assert '<strong class="govuk-tag govuk-tag--green">Met</strong>' in caseload.text


def test_a_refused_action_comes_back_on_the_referral_page(client, staff, db_session, make_referral):
    triage = staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get(f"/referrals/{referral.id}")
    services.pause(db_session, triage, referral, "Waiting for the GP")  # meanwhile, in another tab
    db_session.commit()  # (the refusal rolls the request back; what was saved before stays)
    resp = client.post(f"/referrals/{referral.id}/pause",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version,
                             "reason": "Waiting for the family"})
    assert resp.status_code == 422
    assert "There is a problem" in resp.text and "the clock is already paused" in resp.text
    assert "Waiting for the family" in resp.text  # the answer is kept
    db_session.expire_all()
    assert referral.pause_reason == "Waiting for the GP"


def test_a_refused_inline_claim_comes_back_in_the_queue_row(client, staff, db_session, make_referral, htmx_headers):
    staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get("/referrals")
    other = staff.create("triage_officer", name="Other Officer")
    services.claim(db_session, other, referral)
    db_session.commit()
    audits = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == str(referral.id), AuditEvent.entity_type == "referral"))
    resp = client.post(f"/referrals/{referral.id}/claim",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version},
                       headers={**htmx_headers, "HX-Target": f"referral-row-{referral.id}"})
    assert resp.status_code == 422
    assert resp.text.strip().startswith("<tr") and "assigned to Other Officer" in resp.text
    assert "govuk-error-message" in resp.text and "Claim<" not in resp.text
    db_session.expire_all()
    assert referral.assigned_to_id == other.id
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == str(referral.id), AuditEvent.entity_type == "referral")) == audits


@pytest.mark.parametrize("url_tail,data", [
    ("link-person", {}),  # no record chosen
    ("reassign", {"assignee": "999999"}),  # not one of the options
])
def test_a_bad_form_comes_back_with_its_errors_not_a_400(client, staff, make_referral, url_tail, data):
    staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get(f"/referrals/{referral.id}")
    resp = client.post(f"/referrals/{referral.id}/{url_tail}",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version, **data})
    assert resp.status_code == 422
    assert "There is a problem" in resp.text and referral.reference in resp.text


def test_a_refused_assessment_keeps_the_answers(client, staff, db_session, make_referral):
    referral, _, ot = _routed_to_ot(db_session, staff, make_referral)
    db_session.flush()
    staff.sign_in(ot)
    page = client.get(f"/referrals/{referral.id}/assessment")
    assert page.status_code == 200
    other_ot = staff.create("occupational_therapist")
    services.claim(db_session, other_ot, referral)  # someone else picked it up meanwhile
    db_session.commit()
    resp = client.post(f"/referrals/{referral.id}/assessment", data={
        "csrf_token": csrf_from(page.text), "version": referral.version, "outcomes_wanted": "To bath safely",
        "strengths": "Motivated", "needs_by_area": "Bathing", "tecs_considered": "yes", "tecs_what": "Pendant",
        "recommendations": "equipment"})
    assert resp.status_code == 422
    assert "cannot complete the assessment for referral" in resp.text and "To bath safely" in resp.text
    db_session.expire_all()
    assert referral.state == "awaiting_assessment" and referral.assigned_to_id == other_ot.id


def test_a_trusted_assessor_escalates_to_the_ot_pool(db_session, staff, make_referral):
    triage, ta = staff.create("triage_officer"), staff.create("trusted_assessor", level=3)
    referral = make_referral()
    services.route(db_session, triage, referral, route_to="trusted_assessor", complex_case=False,
                   reason="Simple", ta_level_required=3)
    services.claim(db_session, ta, referral)
    services.escalate_to_ot(db_session, ta, referral, "Needs a hoist assessment")
    assert (referral.route, referral.complex, referral.assigned_to_id) == ("occupational_therapist", True, None)
    with pytest.raises(IllegalTransition, match="cannot escalate referral .* now"):
        services.escalate_to_ot(db_session, ta, referral, "Again")


def test_service_refusals_name_their_field(db_session, staff, make_referral):
    triage = staff.create("triage_officer")
    referral = make_referral()
    with pytest.raises(Refusal, match="Select the trusted assessor level needed") as refused:
        services.route(db_session, triage, referral, route_to="trusted_assessor", complex_case=False, reason="r")
    assert refused.value.field == "ta_level_required"
    with pytest.raises(Refusal, match="Enter why you chose this priority") as refused:
        services.set_priority(db_session, triage, referral, "high", "  ")
    assert refused.value.field == "reason"


def test_public_status_gives_the_london_date_received(db_session, make_referral):
    referral = make_referral(received_at=datetime(2026, 7, 1, 23, 30))  # 00:30 on 2 July in London
    status = services.public_status(db_session, referral.reference, referral.person.date_of_birth)
    assert status.received.isoformat() == "2026-07-02"


def test_the_monitoring_decision_reads_as_words_not_codes(client, staff, db_session, make_referral):
    from portal.referrals import services

    triage, ot = staff.create("triage_officer"), staff.create("occupational_therapist")
    referral = make_referral()
    services.route(db_session, triage, referral, route_to="occupational_therapist", complex_case=True, reason="OT")
    services.claim(db_session, ot, referral)
    services.complete_assessment(
        db_session, ot, referral, outcomes_wanted="Stay safe at night", strengths="Daughter nearby",
        needs_by_area="Wanders at night", risks="Leaves the house", tecs_considered=True, tecs_what="Door sensor",
        tecs_why_not=None, recommendations=["telecare"],
        monitoring={"devices": ["door_sensor"], "consent_by": "Daughter (LPA health and welfare)",
                    "capacity": "lacks_capacity_best_interest", "less_restrictive": "Night-time visits"})
    db_session.commit()
    staff.login_as("triage_officer")
    page = client.get(f"/referrals/{referral.id}").text
    assert "The person lacks capacity: best-interest decision recorded" in page
    assert "lacks_capacity_best_interest" not in page and "door_sensor" not in page
