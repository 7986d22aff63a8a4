import re

from sqlalchemy import select

from portal.advice.models import AdviceReport
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
        url = resp.headers["Location"]
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
    assert resp.status_code == 200 and "There is a problem" in resp.text and "<title>Error: " in resp.text
    answer(client, url, "myself")
    page = client.get("/advice/questions/areas")
    assert 'href="/advice/questions/who"' in page.text  # the Back link
    back = client.get("/advice/questions/who")
    assert re.search(r'value="myself"\s+checked', back.text)


def test_hostile_answers_never_error(client):
    url = begin(client)
    for value in ("<script>alert(1)</script>", "x" * 5000, "\x00", "' OR 1=1 --"):
        resp = answer(client, url, value)
        assert resp.status_code == 200 and "There is a problem" in resp.text
        assert "<script>alert(1)</script>" not in resp.text


def test_a_report_can_be_emailed_and_turned_into_a_request(client, db_session):
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    report_url = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    page = client.get(report_url)
    bad = client.post(report_url + "/email", data={"csrf_token": csrf_from(page.text), "email": "not-an-email"})
    assert "Enter an email address in the correct format" in bad.text
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
