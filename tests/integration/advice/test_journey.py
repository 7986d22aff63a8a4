import re

import pytest
from sqlalchemy import func, select

from portal.advice import services
from portal.advice.forms import EXPIRED
from portal.advice.models import AdviceReport
from portal.errors import Refusal
from portal.notify.models import Notification
from tests.conftest import csrf_from


def begin(client):
    page = client.get("/advice/")
    assert page.status_code == 200
    resp = client.post("/advice/begin", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303
    return resp.headers["Location"]


def answer(client, url, values):
    page = client.get(url)
    assert page.status_code == 200, url
    data = {"csrf_token": csrf_from(page.text), "answer": values}
    return client.post(url, data=data)


def past_help_now(client, url: str) -> str:
    """Through the "get help now" interruption page, if the answer led to one: its Continue link."""
    if not url.endswith("/get-help-now"):
        return url
    page = client.get(url)
    assert page.status_code == 200 and "Get help now" in page.text
    return re.search(r'<a class="govuk-button govuk-button--inverse[^"]*"[^>]*href="([^"]+)"', page.text).group(1)


def run_journey(client, choose):
    """Answer every question with choose(question_id, option values), following the redirects."""
    url = begin(client)
    for _ in range(60):
        if url.endswith("/advice/check"):
            return url
        qid = url.rsplit("/", 1)[-1]
        page = client.get(url)
        options = re.findall(r'name="answer" type="(?:radio|checkbox)" value="([^"]+)"', page.text)
        resp = answer(client, url, choose(qid, options))
        assert resp.status_code == 303, (qid, resp.text[:500])
        url = past_help_now(client, resp.headers["Location"])
    raise AssertionError("journey did not end")


def carer_bathing_choice(qid, options):
    if qid == "who":
        return "someone"
    if qid == "areas":
        return ["bathing", "falls_and_safety"]
    if qid == "urgent":
        return [o for o in options if o.startswith("none")][:1] or options[-1:]
    return options[0]


def test_whole_journey_gives_a_report_and_counts_it(client, db_session):
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    assert "Check your answers" in check.text and "Change" in check.text
    resp = client.post(check_url, data={"csrf_token": csrf_from(check.text)})
    assert resp.status_code == 303 and "/advice/report/" in resp.headers["Location"]
    report_page = client.get(resp.headers["Location"])
    assert report_page.status_code == 200 and report_page.text.count("<h1") == 1
    assert "Your advice report" in report_page.text and "£" in report_page.text
    reference = resp.headers["Location"].rsplit("/", 1)[-1]
    stored = db_session.scalar(select(AdviceReport).where(AdviceReport.reference == reference))
    assert stored.status == "completed" and stored.outcome == "self_help" and stored.recommendation_ids
    assert stored.audience == "someone"
    assert len(reference) >= 24  # not guessable


def test_wording_changes_with_who_is_answering(client):
    url = begin(client)
    assert answer(client, url, "myself").status_code == 303
    areas_page = client.get("/advice/questions/areas")
    myself_text = re.search(r'<h1 class="govuk-fieldset__heading">(.*?)</h1>', areas_page.text, re.S).group(1)
    answer(client, "/advice/questions/who?source=check", "professional")
    areas_page = client.get("/advice/questions/areas")
    professional_text = re.search(r'<h1 class="govuk-fieldset__heading">(.*?)</h1>', areas_page.text, re.S).group(1)
    assert myself_text.strip() != professional_text.strip()


def test_no_answer_shows_the_error_summary_and_back_keeps_answers(client):
    url = begin(client)
    resp = answer(client, url, "")
    assert resp.status_code == 422 and "There is a problem" in resp.text and "<title>Error: " in resp.text
    answer(client, url, "myself")
    page = client.get("/advice/questions/areas")
    assert 'href="/advice/questions/who"' in page.text  # the Back link
    back = client.get("/advice/questions/who")
    assert re.search(r'value="myself"\s+checked', back.text)


def test_hostile_answers_never_error(client):
    url = begin(client)
    for value in ("<script>alert(1)</script>", "x" * 5000, "\x00", "' OR 1=1 --"):
        resp = answer(client, url, value)
        assert resp.status_code == 422 and "There is a problem" in resp.text
        assert "<script>alert(1)</script>" not in resp.text


def test_a_report_can_be_emailed_and_turned_into_a_request(client, db_session):
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    report_url = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    page = client.get(report_url)
    bad = client.post(report_url + "/email", data={"csrf_token": csrf_from(page.text), "email": "not-an-email"})
    assert bad.status_code == 422 and "Enter an email address in the correct format" in bad.text
    assert 'id="email-error"' in bad.text and 'value="not-an-email"' in bad.text
    good = client.post(report_url + "/email", data={"csrf_token": csrf_from(page.text), "email": "me@example.com"})
    assert good.status_code == 303
    note = db_session.scalar(select(Notification).where(Notification.to == "me@example.com"))
    assert note is not None and report_url.rsplit("/", 1)[-1] in note.body
    if "/ask-for-help?report=" in page.text:
        start = client.get("/ask-for-help?report=" + report_url.rsplit("/", 1)[-1])
        assert "self-assessment answers" in start.text


def test_unknown_report_is_404(client):
    assert client.get("/advice/report/not-a-real-reference").status_code == 404


def test_staff_can_preview_content_and_the_public_cannot(client, staff):
    assert client.get("/advice/preview").status_code == 303
    staff.login_as("triage_officer")
    page = client.get("/advice/preview")
    assert page.status_code == 200 and "Recommendations" in page.text


def test_check_content_command(app):
    result = app.test_cli_runner().invoke(args=["check-content"])
    assert result.exit_code == 0 and "valid" in result.output


# ---------------------------------------------------------------- what a person can cause


def in_progress(db_session, client) -> AdviceReport:
    with client.session_transaction() as sess:
        reference = sess["advice_ref"]
    db_session.expire_all()
    return db_session.scalar(select(AdviceReport).where(AdviceReport.reference == reference))


@pytest.fixture
def form_check_only(app, monkeypatch):
    """Turn off the app-wide CSRF check, so an expired token reaches the view's own form check
    (the app-wide check answers first otherwise: the 400 'Your form expired' page)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_CHECK_DEFAULT", False)


def test_starting_from_an_expired_page_shows_the_start_page_again(client, db_session, form_check_only):
    count = db_session.scalar(select(func.count()).select_from(AdviceReport))
    resp = client.post("/advice/begin", data={"csrf_token": "expired"})
    assert resp.status_code == 422 and EXPIRED in resp.text and "<title>Error: " in resp.text
    assert "Find help and equipment for living at home</h1>" in resp.text
    assert db_session.scalar(select(func.count()).select_from(AdviceReport)) == count


def test_the_app_wide_check_refuses_an_expired_start(client, db_session):
    count = db_session.scalar(select(func.count()).select_from(AdviceReport))
    resp = client.post("/advice/begin", data={"csrf_token": "expired"})
    assert resp.status_code == 400 and "Your form expired" in resp.text
    assert db_session.scalar(select(func.count()).select_from(AdviceReport)) == count


def test_an_answer_from_an_expired_page_comes_back_on_the_same_question(client, db_session,
                                                                        form_check_only):
    url = begin(client)
    resp = client.post(url, data={"csrf_token": "expired", "answer": "someone"})
    assert resp.status_code == 422 and "This page had expired" in resp.text
    assert re.search(r'value="someone"\s+checked', resp.text)  # the answer is kept
    assert in_progress(db_session, client).answers == {}


def test_a_question_not_reached_yet_sends_the_person_to_the_one_they_need(client, db_session):
    url = begin(client)
    answer(client, url, "myself")
    answer(client, "/advice/questions/areas", ["bathing"])
    content = services.content()
    report = in_progress(db_session, client)
    needed = content.next_question(report.answers)
    later = content.journey({**report.answers, needed.id: needed.values[-1]})[-1]
    assert later.area == "bathing" and later.id != needed.id
    for resp in (client.get(f"/advice/questions/{later.id}"),
                 client.post(f"/advice/questions/{later.id}", data={
                     "csrf_token": csrf_from(client.get("/advice/").text), "answer": later.values[0]})):
        assert resp.status_code == 303
        assert resp.headers["Location"] == f"/advice/questions/{needed.id}"
    assert later.id not in in_progress(db_session, client).answers


def test_an_unknown_question_sends_the_person_to_the_one_they_need(client):
    begin(client)
    resp = client.get("/advice/questions/no.such.question")
    assert resp.status_code == 303 and resp.headers["Location"] == "/advice/questions/who"


def test_check_answers_from_an_expired_page_shows_check_answers_again(client, db_session,
                                                                      form_check_only):
    check_url = run_journey(client, carer_bathing_choice)
    resp = client.post(check_url, data={"csrf_token": "expired"})
    assert resp.status_code == 422 and EXPIRED in resp.text and "Check your answers</h1>" in resp.text
    assert in_progress(db_session, client).status == "in_progress"


def test_emailing_a_report_from_an_expired_page_keeps_the_address(client, db_session, form_check_only):
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    report_url = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    resp = client.post(report_url + "/email", data={"csrf_token": "expired", "email": "me@example.com"})
    assert resp.status_code == 422 and EXPIRED in resp.text and 'value="me@example.com"' in resp.text
    assert db_session.scalar(select(Notification).where(Notification.to == "me@example.com")) is None


def test_emailing_a_report_without_an_address_asks_for_one(client, db_session):
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    report_url = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    page = client.get(report_url)
    resp = client.post(report_url + "/email", data={"csrf_token": csrf_from(page.text), "email": ""})
    assert resp.status_code == 422 and 'href="#email"' in resp.text
    assert "Enter an email address" in resp.text and "<title>Error: " in resp.text


def test_email_report_refuses_an_address_in_the_wrong_form(db_session):
    report = AdviceReport(reference="r" * 24, status="completed", content_version="1")
    before = db_session.scalar(select(func.count()).select_from(Notification))
    with pytest.raises(Refusal, match="Enter an email address in the correct format") as caught:
        services.email_report(db_session, report, "not-an-email", "https://example.test/r")
    assert caught.value.field == "email"
    assert db_session.scalar(select(func.count()).select_from(Notification)) == before
