"""The self-assessment report is private (issue 16, item 5).

Anyone with a report's link sees its advice; the answers (health details) only in the browser
that finished it, for a while, or after a date of birth or emailed-code check. Links expire."""

import random
import re
from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.advice import privacy, services
from portal.advice.models import AdviceReport
from portal.audit.models import AuditEvent
from portal.notify.models import Notification
from portal.people.services import create_person
from portal.referrals import services as referrals
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.integration.advice.test_journey import carer_bathing_choice, run_journey

DOB = ["27", "3", "1948"]
WRONG_DOB = ["28", "3", "1948"]


def finished(db_session, seed: int = 3) -> AdviceReport:
    """A finished report made by the service, as someone else's browser left it."""
    report = services.start(db_session)
    report.answers = services.random_journey(services.content(), random.Random(seed))
    services.complete(db_session, report)
    db_session.commit()  # as the finishing request did (a refused form rolls back what is not)
    return report


def answer_texts(report) -> list[str]:
    """What only the answers table shows: the questions as they were asked. (The answers' own
    words can be in the advice: an area chosen is the heading of its advice.)"""
    audience = (report.answers or {}).get("who") or "myself"
    rows = services.answered(report)
    assert rows
    return [str(escape(q.text(audience))) for q, _ in rows]


def assert_no_answers(text: str, report) -> None:
    for words in answer_texts(report):
        assert words not in text, words
    assert "govuk-summary-list__key" not in text


def finish_in(client, db_session) -> AdviceReport:
    """Finish a self-assessment through the pages, in this client's browser."""
    check_url = run_journey(client, carer_bathing_choice)
    check = client.get(check_url)
    location = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    db_session.expire_all()
    return db_session.scalar(select(AdviceReport).where(AdviceReport.reference == location.rsplit("/", 1)[-1]))


def url(report, tail: str = "") -> str:
    return f"/advice/report/{report.reference}{tail}"


def post(client, page_url: str, data: dict, target: str | None = None):
    page = client.get(page_url)
    return client.post(target or page_url, data={"csrf_token": csrf_from(page.text), **data})


@pytest.fixture
def stranger(app, client):
    """A second browser: someone else who has the report's link."""
    return app.test_client()


def move_clock(monkeypatch, by: timedelta) -> None:
    later = utcnow() + by
    monkeypatch.setattr(privacy, "utcnow", lambda: later)


# ------------------------------------------------------------------ who sees the answers


def test_the_browser_that_finished_sees_the_answers_and_no_one_else_does(client, stranger, db_session):
    report = finish_in(client, db_session)
    own = client.get(url(report))
    assert own.status_code == 200 and "Show your answers" in own.text
    for words in answer_texts(report):
        assert words in own.text
    other = stranger.get(url(report))
    assert other.status_code == 200 and "Your advice report" in other.text  # the advice, for anyone
    assert_no_answers(other.text, report)
    assert f'href="/advice/report/{report.reference}/answers"' in other.text  # See your answers


def test_the_finishing_browser_sees_them_only_for_a_while(client, db_session, monkeypatch, app):
    report = finish_in(client, db_session)
    move_clock(monkeypatch, timedelta(minutes=app.config["ADVICE_ANSWERS_SEEN_MINUTES"] + 1))
    page = client.get(url(report))
    assert page.status_code == 200
    assert_no_answers(page.text, report)


def test_answers_are_hidden_on_every_route_under_the_report(stranger, db_session):
    report = finished(db_session)
    pages = [stranger.get(url(report, tail)) for tail in ("", "/print", "/answers", "/answers/email",
                                                          "/answers/code")]
    pages.append(post(stranger, url(report), {"email": "not-an-email"}, target=url(report, "/email")))
    for page in pages:
        assert page.status_code in (200, 422), page.request.path
        assert_no_answers(page.text, report)
        assert page.headers["Cache-Control"] == "no-store"
        assert "Your answers" not in re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    protect = stranger.get(url(report, "/protect"))
    assert protect.status_code == 303 and protect.headers["Location"].endswith(url(report, "/answers"))


def test_answers_are_not_in_the_email_or_its_subject(client, db_session):
    report = finish_in(client, db_session)
    post(client, url(report), {"email": "me@example.com"}, target=url(report, "/email"))
    note = db_session.scalar(select(Notification).where(Notification.to == "me@example.com"))
    for words in answer_texts(report):
        assert words not in note.body and words not in note.subject
    assert privacy.expiry_words(report) in note.body and "The link works until" in note.body


def test_a_session_holds_a_bounded_list_of_reports(app, db_session):
    store: dict = {}
    for report_id in range(1, privacy.SEEN_LIMIT + 5):
        privacy.grant(store, report_id)
    assert len(store[privacy.SEEN_KEY]) == privacy.SEEN_LIMIT
    assert not privacy.may_see(store, 1) and privacy.may_see(store, privacy.SEEN_LIMIT + 4)
    assert not privacy.may_see({privacy.SEEN_KEY: "junk"}, 1)
    assert not privacy.may_see({privacy.SEEN_KEY: [["1", "x"], [1]]}, 1)


# ------------------------------------------------------------------ date of birth


def test_protect_with_a_date_of_birth_then_see_the_answers_elsewhere(client, stranger, db_session):
    report = finish_in(client, db_session)
    resp = post(client, url(report, "/protect"), {"date_of_birth": DOB})
    assert resp.status_code == 303
    db_session.expire_all()
    assert report.dob_hash and "1948" not in report.dob_hash and report.dob_hash.startswith("$argon2")
    wrong = post(stranger, url(report, "/answers"), {"date_of_birth": WRONG_DOB})
    assert wrong.status_code == 422 and "The date of birth does not match" in wrong.text
    assert 'value="28"' in wrong.text  # the answer is kept
    assert_no_answers(wrong.text, report)
    right = post(stranger, url(report, "/answers"), {"date_of_birth": DOB})
    assert right.status_code == 303 and right.headers["Location"].endswith(url(report) + "#your-answers")
    page = stranger.get(url(report))
    for words in answer_texts(report):
        assert words in page.text
    db_session.expire_all()
    assert report.check_failures == 0  # a pass clears the count


def test_a_stranger_cannot_add_a_date_of_birth(stranger, db_session):
    report = finished(db_session)
    resp = post(stranger, url(report, "/answers"), {}, target=url(report, "/protect"))
    assert resp.status_code == 303
    db_session.expire_all()
    assert report.dob_hash is None


def test_date_of_birth_form_errors_keep_the_answer_and_count_nothing(stranger, db_session):
    report = finished(db_session)
    blank = post(stranger, url(report, "/answers"), {"date_of_birth": ["", "", ""]})
    assert blank.status_code == 422 and "There is a problem" in blank.text and "<title>Error: " in blank.text
    future = post(stranger, url(report, "/answers"), {"date_of_birth": ["1", "1", "2999"]})
    assert future.status_code == 422 and 'value="2999"' in future.text
    db_session.expire_all()
    assert report.check_failures == 0


def test_a_report_with_no_date_of_birth_fails_like_a_wrong_one(stranger, db_session):
    report = finished(db_session)
    resp = post(stranger, url(report, "/answers"), {"date_of_birth": DOB})
    assert resp.status_code == 422 and "The date of birth does not match" in resp.text


def test_too_many_wrong_dates_lock_the_check_in_the_database(stranger, db_session, app, monkeypatch):
    report = finished(db_session)
    privacy.protect_with_dob(db_session, report, date(1948, 3, 27))
    db_session.flush()
    limit = app.config["ADVICE_CHECK_MAX_FAILURES"]
    for _ in range(limit):
        assert post(stranger, url(report, "/answers"), {"date_of_birth": WRONG_DOB}).status_code == 422
    db_session.expire_all()
    assert report.check_failures == limit and report.check_locked_until is not None
    locked = post(stranger, url(report, "/answers"), {"date_of_birth": DOB})  # even the right one
    assert locked.status_code == 422 and "You have tried too many times" in locked.text
    assert_no_answers(stranger.get(url(report)).text, report)
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "advice.answers_check_locked", AuditEvent.entity_id == str(report.id))) >= 1
    move_clock(monkeypatch, timedelta(minutes=app.config["ADVICE_CHECK_LOCK_MINUTES"] + 1))
    assert post(stranger, url(report, "/answers"), {"date_of_birth": DOB}).status_code == 303


def test_check_dob_service_good_bad_locked(db_session, app):
    report = finished(db_session)
    privacy.protect_with_dob(db_session, report, date(1950, 1, 2))
    assert privacy.check_dob(db_session, report, date(1950, 1, 3)).outcome is privacy.Outcome.WRONG
    assert report.check_failures == 1
    assert privacy.check_dob(db_session, report, date(1950, 1, 2)).passed
    assert report.check_failures == 0
    outcomes = [privacy.check_dob(db_session, report, date(1950, 1, 3)).outcome
                for _ in range(app.config["ADVICE_CHECK_MAX_FAILURES"] + 2)]
    assert outcomes[-1] is privacy.Outcome.LOCKED and outcomes[-2] is privacy.Outcome.LOCKED
    assert report.check_failures == app.config["ADVICE_CHECK_MAX_FAILURES"]  # locked tries are not compared
    assert privacy.check_dob(db_session, report, date(1950, 1, 2)).outcome is privacy.Outcome.LOCKED


# ------------------------------------------------------------------ emailed code


def code_in(db_session, address: str) -> str:
    note = db_session.scalars(select(Notification).where(
        func.lower(Notification.to) == address, Notification.template == "advice_answers_code").order_by(
        Notification.id.desc())).first()
    assert note is not None
    return re.search(r"\b(\d{6})\b", note.body).group(1)


def test_emailing_the_report_lets_a_code_be_sent_to_that_address_only(client, stranger, db_session):
    report = finish_in(client, db_session)
    post(client, url(report), {"email": "Me@Example.com"}, target=url(report, "/email"))
    db_session.expire_all()
    assert report.email_hash and "example" not in report.email_hash.lower()
    for address in ("someone@else.example", " me@example.COM "):  # the page says the same either way
        resp = post(stranger, url(report, "/answers/email"), {"email": address})
        assert resp.status_code == 303 and resp.headers["Location"].endswith(url(report, "/answers/code"))
        assert "If that is the email address the report was sent to" in stranger.get(resp.headers["Location"]).text
    assert db_session.scalar(select(func.count()).select_from(Notification).where(
        Notification.template == "advice_answers_code")) == 1
    code = code_in(db_session, "me@example.com")
    wrong = post(stranger, url(report, "/answers/code"), {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and "The code is not right" in wrong.text
    good = post(stranger, url(report, "/answers/code"), {"code": code[:3] + " " + code[3:]})
    assert good.status_code == 303
    page = stranger.get(url(report))
    for words in answer_texts(report):
        assert words in page.text
    third = stranger.__class__(stranger.application)  # a third browser tries the used code
    reused = post(third, url(report, "/answers/code"), {"code": code})
    assert reused.status_code == 422 and "The code is not right" in reused.text


def test_a_stranger_who_emails_the_report_gets_no_way_to_the_answers(stranger, db_session):
    report = finished(db_session)
    assert post(stranger, url(report), {"email": "thief@example.com"},
                target=url(report, "/email")).status_code == 303
    db_session.expire_all()
    assert report.email_hash is None
    post(stranger, url(report, "/answers/email"), {"email": "thief@example.com"})
    assert db_session.scalar(select(func.count()).select_from(Notification).where(
        Notification.template == "advice_answers_code")) == 0


def test_an_expired_code_is_refused(stranger, db_session, app, monkeypatch):
    report = finished(db_session)
    privacy.remember_email(db_session, report, "me@example.com")
    assert privacy.send_code(db_session, report, "me@example.com")
    db_session.flush()
    code = code_in(db_session, "me@example.com")
    move_clock(monkeypatch, timedelta(minutes=app.config["ADVICE_CODE_MINUTES"] + 1))
    late = post(stranger, url(report, "/answers/code"), {"code": code})
    assert late.status_code == 422 and "That code has expired" in late.text
    assert_no_answers(late.text, report)


def test_code_form_errors_keep_the_answer(stranger, db_session):
    report = finished(db_session)
    bad = post(stranger, url(report, "/answers/code"), {"code": "12ab"})
    assert bad.status_code == 422 and 'value="12ab"' in bad.text and "6-digit code" in bad.text
    blank = post(stranger, url(report, "/answers/email"), {"email": ""})
    assert blank.status_code == 422 and "Enter the email address you sent the report to" in blank.text


def test_check_code_service_good_bad_expired_reused(db_session, app, monkeypatch):
    report = finished(db_session)
    privacy.remember_email(db_session, report, "a@example.com")
    assert not privacy.send_code(db_session, report, "b@example.com")
    assert privacy.send_code(db_session, report, "a@example.com")
    code = code_in(db_session, "a@example.com")
    assert report.check_code_hash and code not in report.check_code_hash
    assert privacy.check_code(db_session, report, "not a code").outcome is privacy.Outcome.WRONG
    assert privacy.check_code(db_session, report, code).passed
    assert privacy.check_code(db_session, report, code).outcome is privacy.Outcome.WRONG  # single use
    privacy.send_code(db_session, report, "a@example.com")
    code = code_in(db_session, "a@example.com")
    move_clock(monkeypatch, timedelta(minutes=app.config["ADVICE_CODE_MINUTES"] + 1))
    assert privacy.check_code(db_session, report, code).outcome is privacy.Outcome.EXPIRED


def test_a_locked_check_sends_no_code(db_session, app):
    report = finished(db_session)
    privacy.remember_email(db_session, report, "a@example.com")
    for _ in range(app.config["ADVICE_CHECK_MAX_FAILURES"]):
        privacy.check_code(db_session, report, "000001")
    assert report.check_locked_until is not None
    assert not privacy.send_code(db_session, report, "a@example.com")


def test_checks_are_rate_limited(stranger, db_session):
    report = finished(db_session)
    page = stranger.get(url(report, "/answers"))
    token = csrf_from(page.text)
    codes = [stranger.post(url(report, "/answers"), data={"csrf_token": token, "date_of_birth": ["", "", ""]}
                           ).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429


# ------------------------------------------------------------------ the link expires


def test_the_link_expires_after_the_council_set_days(client, stranger, db_session, app):
    report = finish_in(client, db_session)
    report.completed_at = utcnow() - timedelta(days=app.config["ADVICE_REPORT_LINK_DAYS"], minutes=1)
    db_session.flush()
    for who in (client, stranger):
        for tail in ("", "/print", "/answers", "/answers/email", "/answers/code", "/protect"):
            page = who.get(url(report, tail))
            assert page.status_code == 410, tail
            assert "This link has expired" in page.text and "answer the questions again" in page.text
            assert_no_answers(page.text, report)
    assert client.post(url(report, "/email"), data={"email": "a@example.com"}).status_code in (400, 410)
    ask = stranger.get(f"/ask-for-help?report={report.reference}")  # an expired link carries no answers on
    assert ask.status_code == 200 and "We will send your self-assessment answers" not in ask.text


def test_the_link_works_until_its_last_day(db_session, stranger, app):
    report = finished(db_session)
    report.completed_at = utcnow() - timedelta(days=app.config["ADVICE_REPORT_LINK_DAYS"]) + timedelta(minutes=5)
    db_session.flush()
    page = stranger.get(url(report))
    assert page.status_code == 200 and privacy.expiry_words(report) in page.text


# ------------------------------------------------------------------ print


def test_print_view_works_without_javascript_and_shows_the_reference(client, stranger, db_session):
    report = finish_in(client, db_session)
    link = client.get(url(report))
    assert f'href="/advice/report/{report.reference}/print"' in link.text and "Print this report" in link.text
    printed = client.get(url(report, "/print"))
    assert printed.status_code == 200 and printed.text.count("<h1") == 1
    assert f"Report reference <strong>{services.shown_reference(report)}</strong>" in printed.text
    assert "govuk-service-navigation" not in printed.text and "govuk-footer" not in printed.text
    assert "<form" not in printed.text
    for words in answer_texts(report):
        assert words in printed.text  # open on paper, not folded in a details
    theirs = stranger.get(url(report, "/print"))
    assert theirs.status_code == 200 and services.shown_reference(report) in theirs.text
    assert_no_answers(theirs.text, report)


# ------------------------------------------------------------------ staff


def test_staff_see_the_answers_only_through_a_referral_they_may_open(db_session, staff):
    report = finished(db_session)
    person = create_person(db_session, "test", given_name="Ada", family_name="Jones", date_of_birth=date(1940, 1, 1),
                           address_line_1="1 High Street", postcode="AB1 2CD", locality="North")
    referral, _ = referrals.create_referral(
        db_session, "test", person=person, source="self_assessment", needs=["equipment"], help_wanted="Help",
        submission_key=referrals.new_submission_key(), priority="routine", suggested_priority="routine",
        advice_report_id=report.id)
    db_session.flush()
    triage = staff.create("triage_officer")
    assessor = staff.create("trusted_assessor")
    assert services.report_for_staff(db_session, report.id, triage).rows
    assert not referrals.can_open(assessor, referral)
    assert services.report_for_staff(db_session, report.id, assessor) is None
    other = finished(db_session, seed=4)  # no referral: no staff view
    assert services.report_for_staff(db_session, other.id, triage) is None


# ------------------------------------------------------------------ the database's own rules


@pytest.mark.parametrize("change", [
    {"dob_hash": "x"},  # only a finished report is protected
    {"email_hash": "x"},
    {"check_code_hash": "x"},  # a code without its expiry
    {"check_failures": -1},
])
def test_the_database_refuses_a_report_the_rules_forbid(db_session, change):
    from sqlalchemy.exc import IntegrityError

    report = services.start(db_session)
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        for name, value in change.items():
            setattr(report, name, value)
        db_session.flush()


def test_the_shown_reference_reads_out_without_giving_away_the_link(db_session):
    report = finished(db_session)
    shown = services.shown_reference(report)
    assert re.fullmatch(r"SA-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", shown)
    assert not any(part in report.reference for part in shown[3:].split("-"))
    assert services.shown_reference(finished(db_session)) != shown
