"""The right person (issue 19 item 2, PPL-04): an NHS number we hold quoted with another name or date
of birth waits on a human decision; the same person asking again is matched to their record."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.errors import IllegalTransition, NotAllowed, VersionClash
from portal.people import services as people
from portal.people.models import Contact, IdentityCheck, Person
from portal.referrals.models import Referral
from tests.conftest import csrf_from
from tests.integration.referrals.test_public import CONTACT, DETAILS, HELP, WHO, answer_pages


def _count(db_session, model, *where):
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def _ask_for_help(client, who=WHO, details=DETAILS):
    answer_pages(client, who, details, CONTACT, HELP)
    check = client.get("/ask-for-help/check")
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    resp = client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    return resp, key


# ---------------------------------------------------------------- matching, service level

def test_the_same_person_asking_again_is_matched_to_their_record(db_session, known):
    match = people.match_or_create(db_session, "public", given_name=" anil ", family_name="PATEL",
                                   date_of_birth=date(1941, 7, 4), address_line_1="12 Mill Lane",
                                   postcode="AB1 2DE", nhs_number="943 476 5919", email="Anil@Example.com")
    assert match.person.id == known.id and not match.created and match.check is None
    assert known.email == "anil@example.com"  # a gap filled, nothing overwritten
    assert _count(db_session, Person) == 1
    # this person's rows only: race tests elsewhere commit (and keep) audit rows of their own on PostgreSQL
    assert _count(db_session, AuditEvent, AuditEvent.action == "person.matched",
                  AuditEvent.entity_id == str(known.id)) == 1


@pytest.mark.parametrize("change", [{"given_name": "Anita"}, {"date_of_birth": date(1941, 7, 5)}])
def test_an_nhs_number_with_another_name_or_birth_date_opens_an_identity_check(db_session, known, change):
    details = {"given_name": "Anil", "family_name": "Patel", "date_of_birth": date(1941, 7, 4), **change}
    match = people.match_or_create(db_session, "public", address_line_1="3 Park Road", postcode="AB1 9ZZ",
                                   nhs_number="9434765919", **details)
    assert match.created and match.person.id != known.id
    assert match.person.nhs_number is None and known.nhs_number == "9434765919"
    check = match.check
    assert check.state == "open" and check.existing_person_id == known.id and check.nhs_number == "9434765919"
    assert people.open_identity_check(db_session, match.person) == check


def test_without_an_nhs_number_a_namesake_is_only_a_possible_duplicate(db_session, known):
    match = people.match_or_create(db_session, "public", given_name="Anil", family_name="Patel",
                                   date_of_birth=date(1941, 7, 4), address_line_1="12 Mill Lane",
                                   postcode="AB1 2DE")
    assert match.created and match.check is None
    assert people.possible_duplicates(db_session, match.person) == [known]


# ---------------------------------------------------------------- intake over HTTP

def test_public_request_quoting_a_known_nhs_number_for_someone_else_is_held_not_an_error(client, db_session, known):
    resp, key = _ask_for_help(client, details={**DETAILS, "given_name": "Anita"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/done")
    referral = db_session.scalar(select(Referral).where(Referral.submission_key == key))
    assert referral.person_id != known.id and referral.person.given_name == "Anita"
    check = db_session.scalar(select(IdentityCheck).where(IdentityCheck.person_id == referral.person_id))
    assert check.state == "open" and check.existing_person_id == known.id


def test_public_request_from_someone_we_know_goes_on_their_record(client, db_session, known):
    resp, key = _ask_for_help(client)
    assert resp.status_code == 303
    referral = db_session.scalar(select(Referral).where(Referral.submission_key == key))
    assert referral.person_id == known.id
    assert _count(db_session, Person) == 1 and _count(db_session, IdentityCheck) == 0


def test_carer_who_asked_is_a_contact_once_and_hears_about_the_request(client, db_session, known):
    for _ in range(2):
        resp, _key = _ask_for_help(client)
        assert resp.status_code == 303
    assert _count(db_session, Referral, Referral.person_id == known.id) == 2
    contacts = db_session.scalars(select(Contact).where(Contact.person_id == known.id)).all()
    assert [(c.name, c.role, c.relationship_to_person, c.phone, c.email) for c in contacts] == [
        ("Sara Patel", "carer", "Daughter", "07700 900982", "sara@example.com")]
    db_session.refresh(known)
    assert known.phone is None and known.email is None  # the carer's number is not the person's
    referral = db_session.scalars(select(Referral).where(Referral.person_id == known.id)).first()
    assert referral.referrer_email == "sara@example.com" and referral.referrer_phone == "07700 900982"


def test_professional_referral_with_a_known_nhs_number_and_another_name_is_not_filed_silently(
        client, staff, db_session, known):
    staff.login_as("triage_officer")
    page = client.get("/referrals/new")
    data = {"csrf_token": csrf_from(page.text),
            "submission_key": re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1),
            "source": "gp", "referrer_name": "Dr Who", "referrer_phone": "01632 960001",
            "given_name": "Anita", "family_name": "Patel",
            "date_of_birth": ["2", "1", "1950"],
            "nhs_number": "9434765919", "address_line_1": "3 Park Road", "postcode": "AB1 9ZZ",
            "tenure": "owner", "needs": ["equipment"], "help_wanted": "Bath board", "priority": "routine",
            "consent": "yes"}
    resp = client.post("/referrals/new", data=data)
    assert resp.status_code == 303
    referral = db_session.scalar(select(Referral).where(Referral.submission_key == data["submission_key"]))
    assert referral.person_id != known.id
    detail = client.get(resp.headers["Location"])
    assert "Identity to check" in detail.text and "Anil Patel" in detail.text and "Anita Patel" in detail.text


# ---------------------------------------------------------------- the decision

def test_same_person_joins_the_records_with_an_audit_trail(client, staff, db_session, known, clash):
    check, referral = clash
    staff.login_as("triage_officer")
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200 and "Identity to check" in page.text
    new_id = check.person_id
    resp = client.post(f"/people/identity-checks/{check.id}/same", data={
        "csrf_token": csrf_from(page.text), "version": check.version, "referral": referral.id,
        "same_reason": "Confirmed by phone"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/referrals/{referral.id}")
    db_session.expire_all()
    assert db_session.get(Referral, referral.id).person_id == known.id
    assert db_session.get(Person, new_id).merged_into_id == known.id
    assert "Anita Patel" in db_session.get(Person, known.id).notes
    assert db_session.get(IdentityCheck, check.id).state == "same_person"
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(referral.id))).all()
    assert "referral.identity_same" in actions
    record = client.get(f"/people/{new_id}")
    assert "was joined to" in record.text


def test_different_people_needs_a_reason_and_keeps_the_answers(client, staff, db_session, known, clash):
    check, referral = clash
    staff.login_as("triage_officer")
    page = client.get(f"/people/identity-checks/{check.id}")
    resp = client.post(f"/people/identity-checks/{check.id}/different", data={
        "csrf_token": csrf_from(page.text), "version": check.version, "nhs_number_owner": "new", "reason": ""})
    assert resp.status_code == 422
    assert "There is a problem" in resp.text and "Enter how you know they are different people" in resp.text
    assert 'value="new" checked' in resp.text
    db_session.expire_all()
    assert db_session.get(IdentityCheck, check.id).state == "open"


def test_different_people_moves_the_nhs_number_to_the_new_record(client, staff, db_session, known, clash):
    check, referral = clash
    staff.login_as("triage_officer")
    page = client.get(f"/referrals/{referral.id}")
    resp = client.post(f"/people/identity-checks/{check.id}/different", data={
        "csrf_token": csrf_from(page.text), "version": check.version, "referral": referral.id,
        "nhs_number_owner": "new", "reason": "GP confirmed the number is Anita's"})
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.get(Person, known.id).nhs_number is None
    assert db_session.get(Person, check.person_id).nhs_number == "9434765919"
    assert db_session.get(Referral, referral.id).person_id == check.person_id
    history = client.get(f"/referrals/{referral.id}")
    assert "Identity different" in history.text and "Identity to check" not in history.text


def test_a_stale_page_is_a_version_clash(client, staff, db_session, clash):
    check, _referral = clash
    staff.login_as("triage_officer")
    page = client.get(f"/people/identity-checks/{check.id}")
    resp = client.post(f"/people/identity-checks/{check.id}/same", data={
        "csrf_token": csrf_from(page.text), "version": check.version + 1})
    assert resp.status_code == 409


def test_the_service_checks_who_and_when(db_session, staff, clash):
    check, _referral = clash
    with pytest.raises(NotAllowed, match="Only a triage officer"):
        people.confirm_same_person(db_session, staff.create("manager"), check)
    triage = staff.create("triage_officer")
    with pytest.raises(VersionClash, match="changed by someone else"):
        people.confirm_same_person(db_session, triage, check, version=check.version + 5)
    people.keep_apart(db_session, triage, check, nhs_number_owner="existing", reason="Twins")
    with pytest.raises(IllegalTransition, match="already decided"):
        people.confirm_same_person(db_session, triage, check)
