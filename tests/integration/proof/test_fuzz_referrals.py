"""Form fuzzing of the referral forms (a new professional referral, every action on a referral,
the assessment) and the person record's forms (contact, consent, identity decisions), each met in
a state in which its action is open to the person posting it. The engine and the invariants are
in test_fuzz_forms.py."""

from functools import cache

import pytest

from portal.auth.roles import ROLES
from portal.people import services as people
from portal.people.forms import ConsentForm, ContactForm, DetailsForm, IdentityDifferentForm, IdentitySameForm
from portal.referrals import services
from portal.referrals.forms import (
    AssessmentForm,
    CloseForm,
    FirstContactForm,
    LinkPersonForm,
    PriorityForm,
    ProfessionalReferralForm,
    ReasonForm,
    ReassignForm,
    RouteForm,
    VersionedForm,
)
from tests.conftest import PASSWORD
from tests.integration.people.test_identity_allowed_actions import build as build_check
from tests.integration.proof.test_fuzz_forms import Step, field_names, fuzz
from tests.integration.referrals.test_allowed_actions import STATES, build, post_data, url

FORMS = {"claim": (VersionedForm, ""), "resume": (VersionedForm, ""), "first_contact": (FirstContactForm, ""),
         "priority": (PriorityForm, "priority-"), "route": (RouteForm, "route-"), "close": (CloseForm, "close-"),
         "reassign": (ReassignForm, ""), "link_person": (LinkPersonForm, ""), "assessment": (AssessmentForm, ""),
         **{a: (ReasonForm, "") for a in ("decline", "return", "signpost", "pause", "withdraw", "escalate")}}
KEEP = {"priority": "priority-reason", "route": "route-reason", "close": "close-reason",
        "assessment": "outcomes_wanted", "first_contact": "reason",
        **{a: "reason" for a in ("decline", "return", "signpost", "pause", "withdraw", "escalate")}}


@cache
def _one_hash() -> str:
    from portal.auth.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def team(db_session, staff, monkeypatch):
    """One member of staff per role (plus a second OT to reassign to), and a possible duplicate."""
    monkeypatch.setattr("portal.auth.services.hash_password", lambda _password: _one_hash())
    members = {role: staff.create(role) for role in ROLES}
    members["second_trusted_assessor"] = staff.create("trusted_assessor", level=4)
    members["second_occupational_therapist"] = staff.create("occupational_therapist")
    duplicate = people.create_person(db_session, "test", given_name="Mary", family_name="Jones",
                                     date_of_birth=people_dob(), address_line_1="9 Elm Road", postcode="AB1 2CD")
    db_session.commit()
    return members, duplicate


def people_dob():
    from datetime import date

    return date(1940, 5, 17)


def where_open(db_session, make_referral, members, action):
    """The first state (in journey order) and role in which `action` is open."""
    for state in STATES:
        referral = build(db_session, make_referral, members, state)
        for role in ("triage_officer", "trusted_assessor", "occupational_therapist", "manager"):
            if action in services.allowed_actions(members[role], referral):
                db_session.rollback()
                return state, role
    raise AssertionError(f"{action} is never open")


@pytest.mark.parametrize("action", sorted(FORMS))
def test_fuzz_every_referral_action(app, client, staff, db_session, make_referral, team, action):
    members, duplicate = team
    state, role = where_open(db_session, make_referral, members, action)
    assert staff.sign_in(members[role]).status_code == 303
    token = staff.csrf("/staff")
    form_class, prefix = FORMS[action]
    names = field_names(app, form_class, prefix=prefix)

    def make():
        referral = build(db_session, make_referral, members, state)
        db_session.commit()
        valid = {k: v for k, v in post_data(action, referral, token, members, duplicate).items() if k != "csrf_token"}
        return Step(url(action, referral), names, valid, KEEP.get(action), htmx_target="referral-actions")

    fuzz(client, token, make, max_examples=20)


def test_fuzz_professional_referral(app, client, staff, db_session, team):
    members, _duplicate = team
    assert staff.sign_in(members["triage_officer"]).status_code == 303
    token = staff.csrf("/referrals/new")
    valid = {"source": "hospital_discharge", "referrer_name": "Dr Who", "referrer_phone": "01632 960001",
             "given_name": "Anita", "family_name": "Patel", "date_of_birth": ["2", "1", "1950"],
             "address_line_1": "3 Park Road", "postcode": "AB1 9ZZ", "tenure": "owner", "needs": ["equipment"],
             "help_wanted": "Bath board", "priority": "urgent", "consent": "yes",
             "discharge_date": ["3", "3", "2027"]}
    fuzz(client, token, lambda: Step("/referrals/new", field_names(app, ProfessionalReferralForm),
                                     {**valid, "submission_key": services.new_submission_key()}, "help_wanted"),
         max_examples=30)


# -- the person record -----------------------------------------------------------------------------

PERSON_FORMS = {
    "contacts/new": (ContactForm, "", {"name": "Sara Patel", "role": "next_of_kin", "phone": "07700 900111"},
                     "name"),
    "consents/new": (ConsentForm, "", {"what": "Share with the GP", "given_by": "Anil"}, "what"),
    "details": (DetailsForm, "", {"address_line_1": "2 Low Street", "postcode": "AB1 2AB", "phone": "01632 960123",
                                  "communication_needs": ["interpreter"], "interpreter_language": "Polish"},
                "address_line_2"),
}


@pytest.mark.parametrize("form", PERSON_FORMS)
def test_fuzz_person_record_forms(app, client, staff, db_session, make_referral, team, form):
    members, _duplicate = team
    referral = build(db_session, make_referral, members, "awaiting_ot")  # the OT's current work
    db_session.commit()
    assert staff.sign_in(members["occupational_therapist"]).status_code == 303
    token = staff.csrf(f"/people/{referral.person_id}")
    form_class, prefix, valid, keep = PERSON_FORMS[form]
    fuzz(client, token, lambda: Step(f"/people/{referral.person_id}/{form}",
                                     field_names(app, form_class, prefix=prefix), valid, keep))


IDENTITY = {"same": (IdentitySameForm, {"same_reason": "Confirmed with the GP"}, "same_reason"),
            "different": (IdentityDifferentForm, {"nhs_number_owner": "existing", "reason": "Twins"}, "reason")}


@pytest.mark.parametrize("decision", IDENTITY)
def test_fuzz_identity_decisions(app, client, staff, db_session, decision):
    numbers = iter(range(9000000001, 9000009999, 11))  # any ten digits: not validated here
    user = staff.create("triage_officer")
    db_session.commit()
    assert staff.sign_in(user).status_code == 303
    token = staff.csrf("/staff")
    form_class, valid, keep = IDENTITY[decision]

    def make():
        check = build_check(db_session, "test", "open", next(numbers))
        return Step(f"/people/identity-checks/{check.id}/{decision}", field_names(app, form_class),
                    {**valid, "version": check.version}, keep)

    fuzz(client, token, make, max_examples=20)



def test_a_nul_byte_in_an_identity_reason_is_a_form_error_not_a_500(app, client, staff, db_session):
    """Found by fuzzing on PostgreSQL, which cannot store a NUL byte: the save was a 500."""
    from tests.integration.proof.test_fuzz_forms import snapshot

    user = staff.create("triage_officer")
    check = build_check(db_session, "test", "open", 9434765919)
    assert staff.sign_in(user).status_code == 303
    token = staff.csrf(f"/people/identity-checks/{check.id}")
    before = snapshot()
    resp = client.post(f"/people/identity-checks/{check.id}/same",
                       data={"csrf_token": token, "version": check.version, "same_reason": "Rang her\x00 back"})
    assert resp.status_code == 422 and "Remove the unusual characters from this answer" in resp.text
    assert "govuk-error-summary" in resp.text and snapshot() == before
