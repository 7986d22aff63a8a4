import re
import threading
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import limiter
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
# The pages in order (one question a page), for someone asking for someone else.
PAGES = ["who", "name", "date-of-birth", "address", "nhs-number", "your-name", "consent", "contact", "formats",
         "needs", "what-is-hard", "hospital", "falls", "carer"]


def _post(client, url, data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def answer_pages(client, *answers: dict, upto: str | None = None) -> list[str]:
    """Walk the pages from the first, posting on each page the answers given (a page takes the
    fields it has), following where each page leads; stop before `upto` or at check your answers.
    Returns the pages walked."""
    data = {k: v for group in (answers or (WHO, DETAILS, CONTACT, HELP)) for k, v in group.items()}
    url, walked = "/ask-for-help/who", []
    while not url.endswith("/ask-for-help/check"):
        step = url.split("?")[0].rsplit("/", 1)[-1]
        if step == upto:
            break
        resp = _post(client, url, data)
        assert resp.status_code == 303, (step, resp.text[:2000])
        walked.append(step)
        url = resp.headers["Location"]
    return walked


def fill_journey(client, *answers: dict):
    answer_pages(client, *answers)
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
    answer_pages(client, upto="address")
    resp = _post(client, "/ask-for-help/address", {**DETAILS, "postcode": "not a postcode"})
    assert resp.status_code == 422  # the same form again, with its errors
    assert "There is a problem" in resp.text and "Enter a real postcode" in resp.text
    assert 'value="12 Mill Lane"' in resp.text and 'value="Ashdown"' in resp.text
    assert "<title>Error: " in resp.text


def test_someone_else_needs_their_relationship(client):
    resp = _post(client, "/ask-for-help/who", {"who": "someone"})
    assert resp.status_code == 422 and "Enter your relationship to the person who needs help" in resp.text
    assert 'value="someone" checked' in resp.text.replace("\n", " ") or re.search(
        r'value="someone"\s+checked', resp.text)


def test_steps_cannot_be_skipped(client):
    resp = client.get("/ask-for-help/needs")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/who")


def test_track_shows_status_only_with_matching_date_of_birth(client, db_session):
    check = fill_journey(client)
    key = re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)
    client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    reference = db_session.scalar(select(Referral.reference).where(Referral.submission_key == key))
    good = _post(client, "/track", {"reference": reference.lower(), "date_of_birth": ["4", "7", "1941"]})
    assert "Received" in good.text and reference in good.text
    for private in ("Anil", "Patel", "Mill Lane", "943 476", "9434765919", "Dad fell"):
        assert private not in good.text  # (the NHS number whole: "943" alone can be in a file name's hash)
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


# ---------------------------------------------------------------- issue 19, the resident's journey


def submit_journey(client) -> str:
    check = fill_journey(client)
    client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key":
                                             re.search(r'name="submission_key" value="([^"]+)"', check.text).group(1)})
    return client.get("/ask-for-help/done").text


def test_the_confirmation_panel_shows_the_reference_in_bold(client):
    done = submit_journey(client)
    panel = re.search(r'<div class="govuk-panel__body">(.*?)</div>', done, re.S).group(1)
    assert re.fullmatch(r"\s*Your reference is<br><strong>R-[A-Z0-9]{4}-[A-Z0-9]{4}</strong>\s*", panel), panel
    assert "&lt;" not in panel


def saved_journey(client) -> dict:
    fill_journey(client)
    with client.session_transaction() as sess:
        return dict(sess["help"])


def set_journey(client, journey: dict) -> None:
    with client.session_transaction() as sess:
        sess["help"] = journey


@pytest.mark.parametrize("missing", ["who", "date-of-birth", "your-name", "formats", "carer"])
def test_check_answers_with_a_page_missing_sends_the_person_back_to_it(client, db_session, missing):
    journey = saved_journey(client)
    token = csrf_from(client.get("/ask-for-help/check").text)
    count = db_session.scalar(select(func.count()).select_from(Referral))
    set_journey(client, {**journey, "done": [step for step in journey["done"] if step != missing]})
    for resp in (client.get("/ask-for-help/check"), client.post("/ask-for-help/check", data={"csrf_token": token})):
        assert resp.status_code == 303
        assert resp.headers["Location"] == f"/ask-for-help/{missing}"
    assert db_session.scalar(select(func.count()).select_from(Referral)) == count


def completed_report(db_session):
    from portal.advice import services as advice

    report = advice.start(db_session)
    report.answers = {"who": "myself", "areas": ["bathing"], "urgent": ["fallen"]}
    advice.complete(db_session, report)
    db_session.commit()
    return report


def test_help_suggested_by_a_self_assessment_is_not_taken_as_answered(client, db_session):
    """The case that was a 500 (KeyError: 'help_wanted'): the needs a report suggests are filled
    in on the help page, but the page still has to be answered before the request can be sent."""
    report = completed_report(db_session)
    assert "ask for help" in client.get(f"/ask-for-help?report={report.reference}").text.lower()
    answer_pages(client, upto="needs")
    token = csrf_from(client.get("/ask-for-help/who").text)
    for resp in (client.get("/ask-for-help/check"), client.post("/ask-for-help/check", data={"csrf_token": token})):
        assert resp.status_code == 303 and resp.headers["Location"] == "/ask-for-help/needs"
    page = client.get("/ask-for-help/needs")
    assert re.search(r'value="falls"\s+checked', page.text) and re.search(r'value="telecare"\s+checked', page.text)
    assert _post(client, "/ask-for-help/needs", {"needs": ["falls"]}).status_code == 303
    answer_pages(client)
    assert client.get("/ask-for-help/check").status_code == 200


def test_a_step_reached_out_of_order_goes_to_the_first_missing_one(client):
    _post(client, "/ask-for-help/who", WHO)
    for step in ("contact", "needs", "your-name"):
        resp = client.get(f"/ask-for-help/{step}")
        assert resp.status_code == 303 and resp.headers["Location"] == "/ask-for-help/name"


def test_a_submission_key_that_is_not_ours_is_not_stored(client, db_session):
    check = fill_journey(client)
    resp = client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": "k" * 80})
    assert resp.status_code == 303
    reference = re.search(r"R-[A-Z0-9]{4}-[A-Z0-9]{4}", client.get("/ask-for-help/done").text).group(0)
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    assert re.fullmatch(r"[0-9a-f]{32}", referral.submission_key)


@pytest.mark.parametrize("page, field, kept", [("name", "given_name", 'value="Patel"'),
                                               ("address", "address_line_1", 'value="Ashdown"'),
                                               ("address", "town", 'value="12 Mill Lane"')])
def test_a_hidden_character_comes_back_with_a_message_not_a_failed_save(client, page, field, kept):
    answer_pages(client, upto=page)
    resp = _post(client, f"/ask-for-help/{page}", {**DETAILS, field: "Mill\x00Lane"})
    assert resp.status_code == 422 and f'href="#{field}"' in resp.text
    assert "contains a hidden character" in resp.text and kept in resp.text  # the rest is kept


def test_track_with_a_hidden_character_shows_the_form_again(client):
    resp = _post(client, "/track", {"reference": "R-AAAA\x00AAAA", "date_of_birth": ["1", "1", "1950"]})
    assert resp.status_code == 200 and 'href="#reference"' in resp.text and "contains a hidden character" in resp.text


# ---------------------------------------------------------------- return to the referrer


def public_referral(client, db_session) -> Referral:
    reference = re.search(r"R-[A-Z0-9]{4}-[A-Z0-9]{4}", submit_journey(client)).group(0)
    return db_session.scalar(select(Referral).where(Referral.reference == reference))


def test_return_to_referrer_messages_the_referrer_and_pauses_the_clock(client, staff, db_session):
    from portal.referrals import services
    from portal.timeutil import utcnow

    referral = public_referral(client, db_session)
    staff.login_as("triage_officer")
    token = staff.csrf(f"/referrals/{referral.id}")
    question = "Which room is the bath in, and is there a downstairs toilet?"
    resp = client.post(f"/referrals/{referral.id}/return",
                       data={"csrf_token": token, "version": referral.version, "reason": question})
    assert resp.status_code in (302, 303), resp.text[:1000]
    db_session.expire_all()
    referral = db_session.get(Referral, referral.id)
    assert referral.paused_since is not None and question in referral.pause_reason
    assert services.clock_reading(referral, utcnow()).status == "paused"
    note = db_session.scalar(select(Notification).where(Notification.template == "referral_more_information"))
    assert note.to == "sara@example.com" and note.channel == "email"
    assert question in note.body and referral.reference in note.subject
    page = client.get(f"/referrals/{referral.id}")
    assert "Paused" in page.text


def professional_referral(make_referral, **kwargs):
    return make_referral(referrer_name="Dr A Shah", **kwargs)


def test_return_to_a_professional_texts_their_mobile(app, db_session, staff, make_referral):
    from portal.referrals import services

    officer = staff.create("triage_officer")
    referral = professional_referral(make_referral, referrer_phone="+44 (0)7700 900123")
    with app.test_request_context():
        services.return_to_referrer(db_session, officer, referral, "Has she had a fall in the last month?")
    db_session.flush()
    note = db_session.scalar(select(Notification).where(Notification.template == "referral_more_information"))
    assert (note.channel, note.to) == ("sms", "07700900123")
    assert "Has she had a fall in the last month?" in note.body
    assert referral.paused_since is not None


def test_return_with_no_way_to_message_the_referrer_is_refused(app, db_session, staff, make_referral):
    """A landline cannot take a text, and the resident's own email is not the referrer's."""
    from portal.errors import Refusal
    from portal.referrals import services

    officer = staff.create("triage_officer")
    referral = professional_referral(make_referral, referrer_phone="01632 960001")
    referral.person.email = "resident@example.com"
    db_session.flush()
    before = referral.version
    with app.test_request_context(), pytest.raises(Refusal, match="Phone them on 01632 960001") as caught:
        services.return_to_referrer(db_session, officer, referral, "What is needed?")
    assert caught.value.field == "reason"
    assert referral.paused_since is None and referral.version == before
    assert db_session.scalar(select(func.count()).select_from(Notification).where(
        Notification.template == "referral_more_information")) == 0


def test_return_needs_the_question(app, db_session, staff, make_referral):
    from portal.errors import Refusal
    from portal.referrals import services

    officer = staff.create("triage_officer")
    referral = professional_referral(make_referral, referrer_phone="07700 900123")
    with app.test_request_context(), pytest.raises(Refusal, match="Enter what you need to know"):
        services.return_to_referrer(db_session, officer, referral, "   ")
    assert referral.paused_since is None


# ---------------------------------------------------------------- odd input at every step

SCRIPT = "<script>alert('tecs')</script>"
ODD = st.one_of(
    st.sampled_from(["not a date", "x" * 6000, SCRIPT, "<b>bold</b>", "\x00", "a\x00b", "O'Neil-Smith", "ΩΩΩ", "🏠",
                     "someone", "cannot", "interpreter", "no_carer", "no_such_option", "31", "13", "1850", ""]),
    st.text(max_size=60),
)
ALL = {**WHO, **DETAILS, **CONTACT, **HELP}
FUZZED = ["who", "name", "date-of-birth", "address", "your-name", "contact", "formats", "needs", "what-is-hard",
          "hospital"]
FUZZ = settings(max_examples=20, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("step", FUZZED)
def test_odd_input_at_each_step_gets_the_form_back_or_goes_all_the_way(app, client, db_session, step):
    """One answer replaced by something odd: either the same page again (422, error summary, no
    500), or it was a fine answer and the request can be checked and sent (on PostgreSQL too)."""
    from portal.referrals.public_views import STEPS

    journey = saved_journey(client)
    token = csrf_from(client.get("/ask-for-help/check").text)
    with app.test_request_context():
        fields = sorted(name for name in STEPS[step](meta={"csrf": False})._fields if name != "submit")
    journey["a"] = {**journey["a"], "nhs_number": None}  # a new person each time
    data_all = {k: v for k, v in ALL.items() if k != "nhs_number"}

    @FUZZ
    @given(field=st.sampled_from(fields), value=st.one_of(ODD, st.lists(ODD, max_size=3)))
    def run(field, value):
        limiter.reset()
        set_journey(client, {k: v for k, v in journey.items() if k != "submission_key"})  # a new request each time
        data = {**data_all, field: value}
        if field in ("date_of_birth", "discharge_date") and not isinstance(value, list):
            data[field] = [value, "7", "1941"]
        resp = client.post(f"/ask-for-help/{step}", data={**data, "csrf_token": token})
        body = resp.get_data(as_text=True)
        assert resp.status_code in (303, 422), body[:500]
        assert SCRIPT not in body
        if resp.status_code == 422:
            assert "govuk-error-summary" in body and "<title>Error: " in body
            return
        answer_pages(client, data_all)  # "Me" now, say: the pages it needs are answered too
        check = client.get("/ask-for-help/check")
        assert check.status_code == 200 and SCRIPT not in check.text
        sent = client.post("/ask-for-help/check", data={"csrf_token": token})
        assert sent.status_code == 303 and sent.headers["Location"].endswith("/ask-for-help/done")
        assert SCRIPT not in client.get("/ask-for-help/done").text

    run()


def test_odd_input_on_track_gets_the_form_back(client):
    token = csrf_from(client.get("/track").text)

    @FUZZ
    @given(reference=ODD, day=ODD)
    def run(reference, day):
        limiter.reset()
        resp = client.post("/track", data={"csrf_token": token, "reference": reference,
                                           "date_of_birth": [day, "7", "1941"]})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200 and SCRIPT not in body
        assert "govuk-error-summary" in body  # never found, or not valid

    run()
