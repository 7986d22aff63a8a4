"""The referral screens (issue 20): each action on its own page, decisions with a check step, the
caseload on the list pattern, no "Claim" on an assigned referral, the person's contact details
changed through one audited, version-checked service, and one consent on both pages."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.people.models import Person
from portal.referrals import services
from portal.referrals.models import Referral
from tests.actions import shown_actions
from tests.conftest import csrf_from
from tests.integration.referrals.test_allowed_actions import DECISIONS, PAGE_ACTIONS, build, post_data


def _audits(db_session, referral, action):
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(referral.id),
        AuditEvent.action == action))


def _changes(db_session, referral) -> list[str]:
    """The referral's audited changes (not views)."""
    return [a for a in db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(referral.id)))
        if not a.endswith("viewed")]


def _fresh(db_session, referral):
    db_session.expire_all()
    return db_session.get(Referral, referral.id)


# where each action is open, and to whom
OPEN_AT = {"priority": ("submitted", "triage_officer"), "route": ("submitted", "triage_officer"),
           "reassign": ("submitted", "triage_officer"), "pause": ("submitted", "triage_officer"),
           "return": ("submitted", "triage_officer"), "signpost": ("submitted", "triage_officer"),
           "decline": ("submitted", "triage_officer"), "withdraw": ("submitted", "triage_officer"),
           "escalate": ("awaiting_ta", "trusted_assessor"), "close": ("assessed", "occupational_therapist")}


@pytest.fixture
def team(staff):
    return {"triage_officer": staff.create("triage_officer"), "trusted_assessor": staff.create("trusted_assessor"),
            "occupational_therapist": staff.create("occupational_therapist"), "manager": staff.create("manager"),
            "second_occupational_therapist": staff.create("occupational_therapist")}


@pytest.mark.parametrize("action", PAGE_ACTIONS)
def test_each_action_has_its_own_page_and_does_its_action(client, staff, db_session, make_referral, team, action):
    state, role = OPEN_AT[action]
    referral = build(db_session, make_referral, team, state)
    referral.referrer_email = "gp@example.nhs.uk"  # a return goes to the referrer by email
    db_session.commit()
    assert staff.sign_in(team[role]).status_code == 303
    detail = client.get(f"/referrals/{referral.id}")
    assert f'href="/referrals/{referral.id}/{action}"' in detail.text  # the referral page links to it
    page = client.get(f"/referrals/{referral.id}/{action}")
    assert page.status_code == 200
    assert "<h1" in page.text and referral.reference in page.text and "moj-identity-bar" in page.text
    before = _fresh(db_session, referral).version
    data = post_data(action, referral, csrf_from(page.text), team, None)
    data.pop("confirmed", None)
    resp = client.post(f"/referrals/{referral.id}/{action}", data=data)
    if action in DECISIONS:  # the check step: nothing is decided yet
        assert resp.status_code == 200 and "Check your decision" in resp.text
        assert _fresh(db_session, referral).version == before
        resp = client.post(f"/referrals/{referral.id}/{action}", data={**data, "confirmed": "yes"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/referrals/{referral.id}")
    assert _fresh(db_session, referral).version > before


def test_an_action_page_refuses_bad_answers_and_keeps_them(client, staff, db_session, make_referral, team):
    referral = make_referral()
    db_session.commit()
    assert staff.sign_in(team["triage_officer"]).status_code == 303
    page = client.get(f"/referrals/{referral.id}/route")
    resp = client.post(f"/referrals/{referral.id}/route", data={
        "route-csrf_token": csrf_from(page.text), "route-version": referral.version,
        "route-route_to": "trusted_assessor", "route-complex_case": "no", "route-reason": "Kept answer 7Q"})
    assert resp.status_code == 422 and "There is a problem" in resp.text
    assert "Select the trusted assessor level needed" in resp.text and "Kept answer 7Q" in resp.text


def test_an_action_not_open_now_sends_the_page_back_to_the_referral(client, staff, db_session, make_referral, team):
    referral = build(db_session, make_referral, team, "declined")
    db_session.commit()
    assert staff.sign_in(team["triage_officer"]).status_code == 303
    resp = client.get(f"/referrals/{referral.id}/priority")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/referrals/{referral.id}")


@pytest.mark.parametrize("action", DECISIONS)
def test_a_decision_needs_confirmation_and_is_audited(client, staff, db_session, make_referral, team, action):
    state, role = OPEN_AT[action]
    referral = build(db_session, make_referral, team, state)
    db_session.commit()
    assert staff.sign_in(team[role]).status_code == 303
    token = csrf_from(client.get(f"/referrals/{referral.id}/{action}").text)
    data = post_data(action, referral, token, team, None)
    data.pop("confirmed")
    state_before, changes_before = _fresh(db_session, referral).state, _changes(db_session, referral)
    check = client.post(f"/referrals/{referral.id}/{action}", data=data)
    assert check.status_code == 200 and 'name="confirmed" value="yes"' in check.text
    assert _fresh(db_session, referral).state == state_before
    assert _changes(db_session, referral) == changes_before
    done = client.post(f"/referrals/{referral.id}/{action}", data={**data, "confirmed": "yes"})
    assert done.status_code == 303
    assert not _fresh(db_session, referral).is_open
    assert len(_changes(db_session, referral)) == len(changes_before) + 1


def test_change_on_the_check_page_keeps_every_answer(client, staff, db_session, make_referral, team):
    referral = build(db_session, make_referral, team, "assessed")
    db_session.commit()
    assert staff.sign_in(team["occupational_therapist"]).status_code == 303
    token = csrf_from(client.get(f"/referrals/{referral.id}/close").text)
    answers = {"close-csrf_token": token, "close-version": str(referral.version),
               "close-outcome": "self_purchase", "close-reason": "Bought a perching stool 7Q"}
    check = client.post(f"/referrals/{referral.id}/close", data=answers)
    assert check.status_code == 200 and "Bought a perching stool 7Q" in check.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', check.text))
    back = client.post(f"/referrals/{referral.id}/close", data={**hidden, "change": "yes"})
    assert back.status_code == 200 and "Bought a perching stool 7Q" in back.text
    assert re.search(r'value="self_purchase"\s+checked', back.text) or 'value="self_purchase" checked' in back.text
    assert _fresh(db_session, referral).state == "assessed"


def test_a_stale_check_page_is_refused_before_the_decision(client, staff, db_session, make_referral, team):
    referral = make_referral()
    db_session.commit()
    assert staff.sign_in(team["triage_officer"]).status_code == 303
    token = csrf_from(client.get(f"/referrals/{referral.id}/decline").text)
    resp = client.post(f"/referrals/{referral.id}/decline",
                       data={"csrf_token": token, "version": referral.version + 5, "reason": "Not eligible"})
    assert resp.status_code == 409
    assert _fresh(db_session, referral).state == "submitted"


def test_no_claim_on_a_referral_assigned_to_someone(client, staff, db_session, make_referral, team):
    """Claim is for an unassigned referral; reassign is the way for an assigned one (allowed_actions),
    so the queue row and the referral page agree."""
    triage, ot = team["triage_officer"], team["occupational_therapist"]
    referral = make_referral()
    services.reassign(db_session, triage, referral, ot)
    db_session.commit()
    for user in (triage, team["second_occupational_therapist"], ot):
        assert "claim" not in services.allowed_actions(user, referral)
    assert staff.sign_in(triage).status_code == 303
    page = client.get(f"/referrals/{referral.id}")
    assert "Claim this referral" not in page.text
    assert "claim" not in shown_actions(client.application, page.text, "referrals")
    assert f'href="/referrals/{referral.id}/reassign"' in page.text
    queue = client.get("/referrals")
    row = re.search(rf'<tr[^>]*id="referral-row-{referral.id}".*?</tr>', queue.text, re.S).group(0)
    assert "/claim" not in row and "Claim" not in row
    unassigned = make_referral()
    db_session.commit()
    assert "claim" in services.allowed_actions(triage, unassigned)


def test_the_reassign_select_is_full_width(client, staff, db_session, make_referral, team):
    referral = make_referral()
    db_session.commit()
    assert staff.sign_in(team["triage_officer"]).status_code == 303
    page = client.get(f"/referrals/{referral.id}/reassign")
    select_tag = re.search(r'<select[^>]*name="assignee"[^>]*>', page.text).group(0)
    assert "govuk-!-width-full" in select_tag


def test_the_caseload_lists_my_cases_filters_sorts_and_reaches_the_last_page(client, staff, db_session,
                                                                             make_referral, team):
    ot = team["occupational_therapist"]
    mine = []
    for n in range(53):
        r = make_referral(family_name="Smithson" if n == 5 else f"Case{n:02d}",
                          priority="urgent" if n == 7 else "routine")
        r.assigned_to_id = ot.id
        mine.append(r)
    other = make_referral(family_name="Notmine")
    db_session.commit()
    assert staff.sign_in(ot).status_code == 303
    first = client.get("/caseload")
    assert first.status_code == 200 and '<h2 class="govuk-heading-m app-list__count" id="list-count"' in first.text
    assert "53 cases" in first.text and "Notmine" not in first.text and "Apply filters" in first.text
    last = client.get("/caseload?page=2")
    assert "Showing 51 to 53" in last.text
    urgent = client.get("/caseload?priority=urgent")
    assert "1 case<" in urgent.text and "Case07" in urgent.text and "Clear filters" in urgent.text
    by_name = client.get("/caseload?sort=person&order=descending")
    assert by_name.text.index("Case52") < by_name.text.index("Case51")
    found = client.get("/caseload?q=smith")
    assert "Smithson" in found.text and "1 case<" in found.text
    partial = client.get("/caseload?priority=urgent", headers={"HX-Request": "true", "HX-Target": "list"})
    assert partial.status_code == 200 and "<html" not in partial.text and 'id="list"' in partial.text
    assert other.id not in [r.id for r in mine]


# -- the person record ------------------------------------------------------------------------------

def _ot_with_person(db_session, make_referral, team, **kwargs):
    referral = make_referral(**kwargs)
    referral.route = "occupational_therapist"
    db_session.commit()
    return referral


def test_the_person_record_has_a_way_back_no_id_caption_and_change_links(client, staff, db_session,
                                                                         make_referral, team):
    referral = _ot_with_person(db_session, make_referral, team)
    assert staff.sign_in(team["occupational_therapist"]).status_code == 303
    page = client.get(f"/people/{referral.person_id}", headers={"Referer": f"http://localhost/referrals/{referral.id}"})
    assert page.status_code == 200
    assert f'<a href="/referrals/{referral.id}" class="govuk-back-link">' in page.text
    assert "Person record" not in page.text and '<span class="govuk-caption-l">Person</span>' in page.text
    assert f'href="/people/{referral.person_id}/details"' in page.text and "moj-identity-bar" in page.text
    plain = client.get(f"/people/{referral.person_id}")
    assert '<a href="/referrals" class="govuk-back-link">' in plain.text


def test_changing_contact_details_is_audited_version_checked_and_refuses_bad_input(client, staff, db_session,
                                                                                   make_referral, team):
    referral = _ot_with_person(db_session, make_referral, team)
    person_id = referral.person_id
    assert staff.sign_in(team["occupational_therapist"]).status_code == 303
    form = client.get(f"/people/{person_id}/details")
    assert form.status_code == 200 and "Change contact details" in form.text
    token = csrf_from(form.text)
    version = db_session.get(Person, person_id).version
    good = {"csrf_token": token, "version": str(version), "phone": "01632 960 123", "email": "mary@example.com",
            "address_line_1": "2 Low Street", "postcode": "ab1 2ab", "communication_needs": ["interpreter"],
            "interpreter_language": "Polish"}
    bad = client.post(f"/people/{person_id}/details", data={**good, "interpreter_language": "",
                                                            "address_line_2": "Kept answer 7Q"})
    assert bad.status_code == 422 and "There is a problem" in bad.text
    assert "Enter the language the interpreter needs to speak" in bad.text and "Kept answer 7Q" in bad.text
    assert client.post(f"/people/{person_id}/details",
                       data={**good, "postcode": "NOT A CODE"}).status_code == 422
    ok = client.post(f"/people/{person_id}/details", data=good)
    assert ok.status_code == 303
    db_session.expire_all()
    person = db_session.get(Person, person_id)
    assert (person.phone, person.postcode, person.interpreter_language) == ("01632 960 123", "AB1 2AB", "Polish")
    audit = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.details_changed",
                                                        AuditEvent.entity_id == str(person_id))).one()
    assert set(audit.details["changed"]) >= {"phone", "email", "address_line_1", "interpreter_language"}
    assert "Polish" not in str(audit.details)  # which details changed, never the values
    stale = client.post(f"/people/{person_id}/details", data={**good, "phone": "999"})  # the old version
    assert stale.status_code == 409
    db_session.expire_all()
    assert db_session.get(Person, person_id).phone == "01632 960 123"


def test_a_stores_officer_cannot_change_contact_details(client, staff, db_session, make_referral, team):
    referral = _ot_with_person(db_session, make_referral, team)
    staff.login_as("stores_officer")
    assert client.get(f"/people/{referral.person_id}/details").status_code == 403


def test_the_referral_and_the_person_record_say_the_same_about_consent(client, staff, db_session, make_referral,
                                                                       team):
    given = _ot_with_person(db_session, make_referral, team, consent_given=True)
    best = _ot_with_person(db_session, make_referral, team, family_name="Other",
                           consent_note="Made in the person's best interest", referrer_name="Dr Shah")
    none = _ot_with_person(db_session, make_referral, team, family_name="Nobody")
    assert staff.sign_in(team["occupational_therapist"]).status_code == 303
    for referral, expected in ((given, f"Agreed to referral {given.reference}"),
                               (best, f"Referral {best.reference} made in their best interest"),
                               (none, "No consent recorded")):
        on_referral = client.get(f"/referrals/{referral.id}").text
        on_person = client.get(f"/people/{referral.person_id}").text
        assert expected in on_referral and expected in on_person, referral.reference
    assert "Dr Shah" in client.get(f"/people/{best.person_id}").text
