"""Issue 19, the resident's journey through the self-assessment: urgent help shown at once, and an
unfinished self-assessment carried on from another device by its code."""

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.advice import services
from portal.advice.models import AdviceReport
from portal.extensions import limiter
from portal.notify.models import Notification
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.integration.advice.test_journey import answer, begin, carer_bathing_choice, past_help_now, run_journey

URGENT_BANNER = "Get help now"


def code_on(page_text: str) -> str:
    return re.search(r'class="app-resume-code">([A-Z0-9]{5}-[A-Z0-9]{5})<', page_text).group(1)


def report_in_session(client, db_session) -> AdviceReport:
    with client.session_transaction() as sess:
        reference = sess["advice_ref"]
    db_session.expire_all()
    return db_session.scalar(select(AdviceReport).where(AdviceReport.reference == reference))


# ---------------------------------------------------------------- urgent help, at once


@pytest.mark.parametrize("urgent, words", [
    ("fallen", "call 999"),
    ("no_heating", "No heating in cold weather"),
    ("at_risk", "If someone is in immediate danger, call 999"),
])
def test_ticking_an_emergency_shows_urgent_help_on_the_next_page(client, urgent, words):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["bathing"])
    before = client.get("/advice/questions/urgent")
    assert URGENT_BANNER not in before.text
    resp = answer(client, "/advice/questions/urgent", [urgent])
    assert resp.status_code == 303  # first the interruption page: what to do now
    assert resp.headers["Location"] == "/advice/questions/urgent/get-help-now"
    interruption = client.get(resp.headers["Location"])
    assert interruption.status_code == 200 and interruption.text.count("<h1") == 1
    assert 'class="app-interruption"' in interruption.text and words in interruption.text
    assert "call 999" in interruption.text and '<form' not in interruption.text.split("main-content", 1)[1]
    continue_to = past_help_now(client, resp.headers["Location"])  # Continue: a plain link, no JavaScript
    assert continue_to == "/advice/questions/age"
    following = client.get(continue_to)
    assert following.status_code == 200
    banner = following.text.split('id="urgent-title"', 1)[1].split("</form>")[0]
    assert URGENT_BANNER in following.text and words in banner
    assert following.text.index(URGENT_BANNER) < following.text.index('<form method="post"')  # before the question


def test_no_danger_answer_goes_straight_to_the_next_question(client):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["bathing"])
    resp = answer(client, "/advice/questions/urgent", ["none"])
    assert resp.status_code == 303 and resp.headers["Location"] == "/advice/questions/age"
    # and the interruption page, reached without a danger answer, carries on to the next question
    skipped = client.get("/advice/questions/urgent/get-help-now")
    assert skipped.status_code == 303 and skipped.headers["Location"] == "/advice/questions/age"


def test_the_interruption_names_the_number_that_answers_now_and_shows_once(client, app):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["bathing"])
    resp = answer(client, "/advice/questions/urgent", ["at_risk"])
    page = client.get(resp.headers["Location"]).text
    words = services.help_words()
    assert f"phone {words['phone_now']}" in page  # the council's number, or the out-of-hours team's
    # the same answer again (Back, or Change from check your answers) is not interrupted twice
    again = answer(client, "/advice/questions/urgent", ["at_risk"])
    assert again.status_code == 303 and again.headers["Location"] == "/advice/questions/age"


def test_no_emergency_no_banner_and_the_banner_stays_to_check_answers(client):
    check_url = run_journey(client, carer_bathing_choice)  # answers "nobody is at risk"
    assert URGENT_BANNER not in client.get(check_url).text

    def fallen(qid, options):
        return ["fallen"] if qid == "urgent" else carer_bathing_choice(qid, options)

    check_url = run_journey(client, fallen)
    check = client.get(check_url)
    assert URGENT_BANNER in check.text and "call 999" in check.text


def test_no_heating_in_a_later_area_shows_the_banner_from_then_on(client):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["falls_and_safety"])
    answer(client, "/advice/questions/urgent", ["none"])
    content = services.content()
    for _ in range(10):
        location = client.get("/advice/check").headers.get("Location", "")  # where they are up to
        if location.endswith("/advice/questions/falls_and_safety.hazards"):
            break
        qid = location.rsplit("/", 1)[-1]
        answer(client, location, content.question(qid).values[-1])
    assert URGENT_BANNER not in client.get("/advice/questions/falls_and_safety.hazards").text
    resp = answer(client, "/advice/questions/falls_and_safety.hazards", ["no_heating"])
    assert resp.headers["Location"].endswith("/advice/questions/falls_and_safety.hazards/get-help-now")
    assert URGENT_BANNER in client.get(past_help_now(client, resp.headers["Location"])).text


# ---------------------------------------------------------------- save and come back later


def test_a_self_assessment_is_carried_on_from_another_device_by_its_code(app, client, db_session):
    url = begin(client)
    answer(client, url, "someone")
    page = client.get("/advice/questions/areas")
    code = code_on(page.text)
    assert "Save and come back later" in page.text
    report = report_in_session(client, db_session)
    assert services.shown_code(report.resume_code) == code

    other = app.test_client()  # another device: no session
    assert "Carry on with a self-assessment" in other.get("/advice/").text
    form = other.get("/advice/resume")
    typed = code.lower().replace("-", " ")  # as someone might type it
    resp = other.post("/advice/resume", data={"csrf_token": csrf_from(form.text), "code": typed})
    assert resp.status_code == 303 and resp.headers["Location"] == "/advice/questions/areas"
    assert re.search(r'value="someone"\s+checked', other.get("/advice/questions/who").text)  # their answers
    assert answer(other, "/advice/questions/areas", ["bathing"]).status_code == 303
    db_session.expire_all()
    assert db_session.get(AdviceReport, report.id).answers["areas"] == ["bathing"]


@pytest.mark.parametrize("typed, message", [
    ("", "Enter your reference"),
    ("ABC", "Enter your reference in the right format"),
    ("HKT4M-9QX2B", "We could not find an unfinished self-assessment with that reference"),
])
def test_a_wrong_code_gets_the_form_back_with_a_message(client, typed, message):
    form = client.get("/advice/resume")
    resp = client.post("/advice/resume", data={"csrf_token": csrf_from(form.text), "code": typed})
    assert resp.status_code == 422 and message in resp.text and 'href="#code"' in resp.text
    assert "<title>Error: " in resp.text
    if typed:
        assert f'value="{typed}"' in resp.text  # what they typed is kept
    with client.session_transaction() as sess:
        assert "advice_ref" not in sess


def test_an_old_or_finished_self_assessment_cannot_be_resumed(db_session):
    stale = services.start(db_session)
    stale.updated_at = utcnow() - timedelta(days=services.RESUME_DAYS + 1)
    fresh = services.start(db_session)
    done = services.start(db_session)
    done_code = done.resume_code
    services.complete(db_session, done)
    db_session.flush()
    assert services.resume(db_session, stale.resume_code) is None
    assert services.resume(db_session, services.shown_code(fresh.resume_code).lower()) is fresh
    assert done.resume_code is None and services.resume(db_session, done_code) is None


def test_resume_codes_are_long_random_and_unambiguous(db_session):
    codes = {services.new_resume_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTVWXYZ2-9]{10}", code)
    assert len(services.RESUME_ALPHABET) ** services.RESUME_LENGTH > 2 ** 48


def test_resuming_is_throttled_like_tracking(client):
    form = client.get("/advice/resume")
    token = csrf_from(form.text)
    for _ in range(10):
        assert client.post("/advice/resume", data={"csrf_token": token, "code": "HKT4M-9QX2B"}).status_code == 422
    assert client.post("/advice/resume", data={"csrf_token": token, "code": "HKT4M-9QX2B"}).status_code == 429


# ---------------------------------------------------------------- odd input on every public form

SCRIPT = "<script>alert('tecs')</script>"
ODD = st.one_of(
    st.sampled_from(["27 3 1948", "not a date", "x" * 6000, SCRIPT, "<b>bold</b>", "\x00", "a\x00b", "\ufeff",
                     "none", "fallen", "myself", "no_such_option", "ΩΩΩ", "🏠", "'; DROP TABLE advice_report; --"]),
    st.text(max_size=80),
)
ODD_VALUES = st.one_of(ODD, st.lists(ODD, max_size=4))
FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_form_back(resp, anchor: str):
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422, body[:500]
    assert "govuk-error-summary" in body and f'href="#{anchor}"' in body and SCRIPT not in body


@pytest.mark.parametrize("question_id", ["who", "areas", "urgent"])
def test_odd_answers_to_a_question_get_the_question_back(client, db_session, question_id):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["bathing"])
    token = csrf_from(client.get("/advice/questions/who").text)
    allowed = set(services.content().question(question_id).values)

    @FUZZ
    @given(value=ODD_VALUES)
    def run(value):
        resp = client.post(f"/advice/questions/{question_id}", data={"csrf_token": token, "answer": value})
        values = value if isinstance(value, list) else [value]
        if resp.status_code == 303:  # it was a real answer after all
            assert set(values) <= allowed
            return
        assert_form_back(resp, "answer")

    run()
    assert client.get("/advice/check").status_code == 303  # and the journey goes on


def test_odd_input_on_the_resume_form_gets_the_form_back(client, db_session):
    token = csrf_from(client.get("/advice/resume").text)

    @FUZZ
    @given(value=ODD_VALUES)
    def run(value):
        limiter.reset()
        resp = client.post("/advice/resume", data={"csrf_token": token, "code": value})
        assert_form_back(resp, "code")

    run()


def test_odd_input_on_the_email_form_gets_the_form_back(client, db_session):
    check_url = run_journey(client, carer_bathing_choice)
    report_url = client.post(check_url, data={"csrf_token": csrf_from(client.get(check_url).text)}).headers["Location"]
    token = csrf_from(client.get(report_url).text)
    before = db_session.scalar(select(func.count()).select_from(Notification))

    @FUZZ
    @given(value=ODD_VALUES)
    def run(value):
        limiter.reset()
        resp = client.post(report_url + "/email", data={"csrf_token": token, "email": value})
        assert_form_back(resp, "email")

    run()
    assert db_session.scalar(select(func.count()).select_from(Notification)) == before
