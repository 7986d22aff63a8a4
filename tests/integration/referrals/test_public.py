import re
import threading
from datetime import date

from sqlalchemy import func, select

from portal.notify.models import Notification
from portal.referrals.models import Referral
from tests.conftest import csrf_from

WHO = {"who": "someone", "your_name": "Sara Patel", "relationship": "Daughter", "consent": "yes"}
DETAILS = {"given_name": "Anil", "family_name": "Patel", "date_of_birth": ["4", "7", "1941"],
           "address_line_1": "12 Mill Lane", "town": "Ashdown", "postcode": "ab12de",
           "nhs_number": "943 476 5919"}
CONTACT = {"phone": "07700 900982", "email": "sara@example.com"}
HELP = {"needs": ["equipment", "falls"], "help_wanted": "Dad fell twice on the stairs", "hospital": "no",
        "fallen_recently": "yes", "carer_struggling": "no"}


def _post(client, url, data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def fill_journey(client):
    for step, data in (("who", WHO), ("details", DETAILS), ("contact", CONTACT), ("help", HELP)):
        resp = _post(client, f"/ask-for-help/{step}", data)
        assert resp.status_code == 303, (step, resp.text[:2000])
    return client.get("/ask-for-help/check")


def test_ask_for_help_end_to_end(client, db_session):
    check = fill_journey(client)
    assert check.status_code == 200
    assert "Anil Patel" in check.text and "AB1 2DE" in check.text and "Sara Patel" in check.text
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    resp = client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/done")
    done = client.get("/ask-for-help/done")
    reference = re.search(r"R-[A-Z0-9]{4}-[A-Z0-9]{4}", done.text).group(0)
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert referral.state == "submitted" and referral.source == "carer"
    assert referral.suggested_priority == "high" and referral.priority is None
    assert referral.need_names == ["equipment", "falls"]
    assert referral.person.nhs_number == "9434765919" and referral.person.postcode == "AB1 2DE"
    assert referral.referrer_relationship == "Daughter" and referral.consent_given
    note = db_session.scalar(select(Notification).where(Notification.to == "sara@example.com"))
    assert note is not None and reference in note.body


def test_double_submit_creates_one_referral(client, db_session):
    check = fill_journey(client)
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    data = {"csrf_token": csrf_from(check.text), "submission_key": key}
    first = client.post("/ask-for-help/check", data=data)
    assert first.status_code == 303
    fill_journey(client)  # back button: the answers again, then the same form resent
    second = client.post("/ask-for-help/check", data=data)
    assert second.status_code == 303
    count = db_session.scalar(select(func.count()).select_from(Referral).where(Referral.submission_key == key))
    assert count == 1


def test_validation_messages_keep_what_was_typed(client):
    _post(client, "/ask-for-help/who", {"who": "self"})
    resp = _post(client, "/ask-for-help/details", {**DETAILS, "postcode": "not a postcode", "nhs_number": "1234567890",
                                                  "date_of_birth": ["4", "7", "2999"]})
    assert resp.status_code == 422  # the same form again, with its errors
    assert "There is a problem" in resp.text
    assert "Enter a real postcode" in resp.text and "Enter a valid NHS number" in resp.text
    assert "Date of birth must be in the past" in resp.text
    assert 'value="12 Mill Lane"' in resp.text
    assert "<title>Error: " in resp.text


def test_on_behalf_needs_relationship_and_consent(client):
    resp = _post(client, "/ask-for-help/who", {"who": "someone"})
    assert "Enter your relationship to the person" in resp.text and "Select whether the person agrees" in resp.text


def test_steps_cannot_be_skipped(client):
    resp = client.get("/ask-for-help/help")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/who")


def test_track_shows_status_only_with_matching_date_of_birth(client, db_session):
    check = fill_journey(client)
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    reference = db_session.scalar(select(Referral.reference).where(Referral.submission_key == key))
    good = _post(client, "/track", {"reference": reference.lower(), "date_of_birth": ["4", "7", "1941"]})
    assert "Received" in good.text and reference in good.text
    for private in ("Anil", "Patel", "Mill Lane", "943", "Dad fell"):
        assert private not in good.text
    wrong = _post(client, "/track", {"reference": reference, "date_of_birth": ["5", "7", "1941"]})
    assert "We could not find a request" in wrong.text and "Received" not in wrong.text


def test_track_is_throttled(client):
    for _ in range(10):
        _post(client, "/track", {"reference": "R-AAAA-AAAA", "date_of_birth": ["1", "1", "1950"]})
    resp = _post(client, "/track", {"reference": "R-AAAA-AAAA", "date_of_birth": ["1", "1", "1950"]})
    assert resp.status_code == 429


def test_staff_can_complete_it_for_a_caller(client, staff, db_session):
    helper = staff.login_as("triage_officer")
    check = fill_journey(client)
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    referral = db_session.scalar(select(Referral).where(Referral.submission_key == key))
    assert referral.completed_by_id == helper.id


def test_state_change_emails_the_person(db_session, staff, app):
    from portal.people.services import create_person
    from portal.referrals import services

    officer = staff.create("triage_officer")
    with app.test_request_context():
        person = create_person(db_session, "public", given_name="A", family_name="B", date_of_birth=date(1950, 1, 1),
                               address_line_1="1 Road", postcode="AB1 2CD", email="a.b@example.com")
        referral, _ = services.create_referral(db_session, "public", person=person, source="self", needs=["telecare"],
                                               help_wanted="x", submission_key=services.new_submission_key())
        services.route(db_session, officer, referral, route_to="occupational_therapist", complex_case=True,
                       reason="r")
    db_session.flush()
    bodies = db_session.scalars(select(Notification.body).where(Notification.to == "a.b@example.com")).all()
    assert any("Waiting for an assessment" in b for b in bodies)


def test_concurrent_identical_submissions_make_one_referral(tmp_path):
    """Threads racing with one submission key against a real (committing) database."""
    from flask_migrate import upgrade

    from portal.extensions import db, write_intent
    from portal.people.services import create_person
    from portal.referrals import services
    from tests.conftest import BACKEND, make_app

    if BACKEND == "postgresql":
        import os

        url = os.environ["TEST_DATABASE_URL"]
        app = make_app(url)  # the session database is migrated already; clean up our rows after
    else:
        app = make_app(f"sqlite:///{tmp_path / 'race.db'}")
        with app.app_context():
            upgrade(revision="heads")
    key = services.new_submission_key()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def submit():
        with app.app_context(), write_intent():
            try:
                barrier.wait(timeout=10)  # all requests start together
                person = create_person(db.session, "public", given_name="R", family_name="Race",
                                       date_of_birth=date(1950, 1, 1), address_line_1="1 Road", postcode="AB1 2CD")
                referral, _ = services.create_referral(
                    db.session, "public", person=person, source="self", needs=["telecare"], help_wanted="x",
                    submission_key=key)
                db.session.commit()
                results.append(referral.id)
            except Exception as exc:  # collected and asserted below
                errors.append(repr(exc))
                db.session.rollback()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Referral).where(Referral.submission_key == key))
        if BACKEND == "postgresql":
            from sqlalchemy import delete

            from portal.people.models import Person

            ids = db.session.scalars(select(Referral.person_id).where(Referral.submission_key == key)).all()
            db.session.execute(delete(Referral).where(Referral.submission_key == key))
            db.session.execute(delete(Person).where(Person.family_name == "Race"))
            db.session.commit()
            assert ids
        db.engine.dispose()
    assert errors == [] and count == 1 and len(set(results)) == 1
