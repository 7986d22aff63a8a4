"""Who may do what to a referral: for every role (and a second TA and OT who do not hold the case)
and every state, the referral page offers exactly `allowed_actions`, and every other action's
route refuses (403 for a role that can never do it, 422 for a state it is not open in, 404 for a
referral the person may not open) without changing the record."""

from datetime import date
from functools import cache

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.people.services import create_person
from portal.referrals import services
from portal.referrals.models import Referral
from portal.referrals.services import ACTION_ROLES
from tests.actions import shown_actions
from tests.conftest import PASSWORD, csrf_from

# the actions with a page of their own (the referral page links to them), and the decisions among them
# that end a referral, which need a confirmed post (the check step)
PAGE_ACTIONS = ("priority", "route", "reassign", "escalate", "pause", "return", "signpost", "decline", "withdraw",
                "close")
DECISIONS = ("signpost", "decline", "withdraw", "close")
# links from the referral page into its own and other features' pages, by the action they stand for
LINKS = {"referrals.assessment", "equipment.order_new", "telecare.new_job", *(f"referrals.{a}" for a in PAGE_ACTIONS)}
RENAMED = {"order_new": "order_equipment", "new_job": "request_telecare"}
LINKED_ELSEWHERE = {"order_equipment", "request_telecare"}  # routes of the equipment and telecare features

STATES = ["submitted", "screened", "awaiting_ta_pool", "awaiting_ta", "awaiting_ot", "assessed", "paused",
          "closed", "declined", "withdrawn"]
USERS = [*ROLES, "second_trusted_assessor", "second_occupational_therapist"]

ASSESSMENT = {"outcomes_wanted": "Stay at home", "strengths": "Family nearby", "needs_by_area": "Bathing",
              "tecs_considered": "yes", "tecs_what": "Pendant alarm", "recommendations": "equipment"}


@cache
def _one_hash() -> str:
    from portal.auth.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def world(db_session, staff, monkeypatch):
    # every member of staff has the same password: hash it once, not twelve times a test
    monkeypatch.setattr("portal.auth.services.hash_password", lambda _password: _one_hash())
    people = {role: staff.create(role) for role in ROLES}
    people["second_trusted_assessor"] = staff.create("trusted_assessor", level=4)
    people["second_occupational_therapist"] = staff.create("occupational_therapist")
    # every referral's person has a possible duplicate, so the page can offer "link to this record"
    duplicate = create_person(db_session, "test", given_name="Mary", family_name="Jones",
                              date_of_birth=date(1940, 5, 17), address_line_1="9 Elm Road", postcode="AB1 2CD")
    db_session.flush()
    return people, duplicate


def build(db_session, make_referral, people, state: str) -> Referral:
    """A referral in the given state, made with the services (not over HTTP)."""
    triage, ta, ot = people["triage_officer"], people["trusted_assessor"], people["occupational_therapist"]
    referral = make_referral()
    if state == "submitted":
        return referral
    services.set_priority(db_session, triage, referral, "high", "Carer struggling")
    if state == "paused":
        services.pause(db_session, triage, referral, "Waiting for the GP")
    elif state == "declined":
        services.decline(db_session, triage, referral, "Not eligible")
    elif state == "withdrawn":
        services.withdraw(db_session, triage, referral, "No longer wanted")
    elif state.startswith("awaiting_ta"):
        services.route(db_session, triage, referral, route_to="trusted_assessor", complex_case=False,
                       reason="Simple", ta_level_required=3)
        if state == "awaiting_ta":
            services.claim(db_session, ta, referral)
    elif state in ("awaiting_ot", "assessed", "closed"):
        services.route(db_session, triage, referral, route_to="occupational_therapist", complex_case=True,
                       reason="Complex")
        services.claim(db_session, ot, referral)
        if state != "awaiting_ot":
            services.complete_assessment(
                db_session, ot, referral, outcomes_wanted="Stay home", strengths="Family", needs_by_area="Bath",
                risks="", tecs_considered=True, tecs_what="Pendant", tecs_why_not=None,
                recommendations=["equipment", "telecare"])
        if state == "closed":
            services.close(db_session, ot, referral, "equipment_ordered")
    db_session.flush()
    assert referral.state == {"awaiting_ta_pool": "awaiting_assessment", "awaiting_ta": "awaiting_assessment",
                              "awaiting_ot": "awaiting_assessment", "paused": "screened"}.get(state, state)
    return referral


def snapshot(db_session, referral: Referral):
    db_session.expire_all()
    fresh = db_session.get(Referral, referral.id)
    audits = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(referral.id)))
    return fresh.state, fresh.version, fresh.assigned_to_id, fresh.paused_since, audits


def post_data(action: str, referral: Referral, token: str, people, duplicate) -> dict:
    """Plausible answers for each action's form, with the token and the version the page showed."""
    v = referral.version
    prefixed = {"priority": {"priority": "urgent", "reason": "Risk"},
                "route": {"route_to": "occupational_therapist", "complex_case": "yes", "reason": "Complex"},
                "close": {"outcome": "no_further_action", "reason": "Done"}}
    confirmed = {"confirmed": "yes"} if action in DECISIONS else {}
    if action in prefixed:
        return {**{f"{action}-{k}": x for k, x in {**prefixed[action], "csrf_token": token, "version": v}.items()},
                **confirmed}
    data = {"csrf_token": token, "version": v, **confirmed}
    if action in ("decline", "return", "signpost", "pause", "withdraw", "escalate", "first_contact"):
        data["reason"] = "A plausible reason"
    elif action == "reassign":
        data["assignee"] = str(people["second_occupational_therapist"].id)
    elif action == "link_person":
        data["person_id"] = duplicate.id
    elif action == "assessment":
        data.update(ASSESSMENT)
    return data


def url(action: str, referral: Referral) -> str:
    path = {"first_contact": "first-contact", "link_person": "link-person"}.get(action, action)
    return f"/referrals/{referral.id}/{path}"


@pytest.mark.parametrize("who", USERS)
def test_the_page_offers_exactly_the_allowed_actions_and_the_routes_refuse_the_rest(
        app, client, staff, db_session, make_referral, world, who):
    people, duplicate = world
    user = people[who]
    assert staff.sign_in(user).status_code == 303
    token = staff.csrf()
    for state in STATES:
        referral = build(db_session, make_referral, people, state)
        allowed = services.allowed_actions(user, referral)
        page = client.get(f"/referrals/{referral.id}")
        if not services.can_open(user, referral):
            assert page.status_code in (403, 404), (who, state)
            assert allowed == frozenset(), (who, state)
        else:
            assert page.status_code == 200, (who, state)
            shown = {RENAMED.get(name, name) for name in shown_actions(app, page.text, "referrals", LINKS)}
            assert shown == allowed, (who, state, sorted(shown ^ allowed))
        for action in sorted(set(ACTION_ROLES) - allowed - LINKED_ELSEWHERE):
            before = snapshot(db_session, referral)
            # as htmx sends it from the page: a refusal re-renders the actions block alone
            resp = client.post(url(action, referral), data=post_data(action, referral, token, people, duplicate),
                               headers={"HX-Request": "true", "HX-Target": "referral-actions"})
            expected = {403} if not user.has_role(*ACTION_ROLES[action]) else \
                {422} if services.can_open(user, referral) else {404}
            assert resp.status_code in expected, (who, state, action, resp.status_code)
            assert snapshot(db_session, referral) == before, (who, state, action)


def test_every_action_is_decided_and_routed():
    """The rule's action names are exactly the routes on the referral (plus the two links out)."""
    assert set(ACTION_ROLES) == {
        "claim", "first_contact", "resume", "priority", "route", "decline", "return", "signpost", "pause",
        "withdraw", "escalate", "close", "reassign", "link_person", "assessment", "order_equipment",
        "request_telecare"}


def test_each_action_route_admits_exactly_its_roles(app):
    from portal.web.security import access_rule

    for action, roles in ACTION_ROLES.items():
        if action in LINKED_ELSEWHERE:
            continue
        assert access_rule(app, f"referrals.{action}") == frozenset(roles), action


def test_a_trusted_assessor_cannot_decline(client, staff, db_session, make_referral):
    triage = staff.create("triage_officer")
    referral = make_referral()
    services.route(db_session, triage, referral, route_to="trusted_assessor", complex_case=False,
                   reason="Simple", ta_level_required=3)
    db_session.flush()
    staff.login_as("trusted_assessor", level=4)
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200 and "Decline" not in page.text
    before = snapshot(db_session, referral)
    resp = client.post(f"/referrals/{referral.id}/decline",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version, "reason": "No"})
    assert resp.status_code == 403
    assert snapshot(db_session, referral) == before
