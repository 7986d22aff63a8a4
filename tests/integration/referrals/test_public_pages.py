"""Issue 20, ask for help one thing per page: plain words, the "someone else" reveal, GOV.UK date
errors, Change on every row of check your answers, and answers small enough for the session."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.people.models import COMMUNICATION_NEEDS
from portal.referrals.models import NEEDS, Referral
from portal.referrals.public_forms import HELP_WANTED_MAX, NEED_WORDS
from portal.timeutil import today
from tests.conftest import csrf_from
from tests.integration.referrals.test_public import CONTACT, DETAILS, HELP, PAGES, WHO, _post, answer_pages

ME = {**WHO, "who": "self"}
LONGEST_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60, "c" * 60, "d" * 50]) + ".example"


def test_someone_else_walks_one_question_a_page_with_their_details_before_yours(client):
    assert answer_pages(client) == PAGES
    assert PAGES.index("name") < PAGES.index("your-name") < PAGES.index("contact")


def test_me_skips_the_pages_about_the_person_asking(client):
    walked = answer_pages(client, ME, DETAILS, CONTACT, HELP)
    assert "your-name" not in walked and "consent" not in walked
    check = client.get("/ask-for-help/check").text
    assert "Your details" in check and "Their details" not in check and "About you" not in check
    assert client.get("/ask-for-help/consent").headers["Location"] == "/ask-for-help/check"


@pytest.mark.parametrize("step", PAGES)
def test_every_page_has_one_heading_and_plain_words(client, step):
    answer_pages(client, upto=step)
    page = client.get(f"/ask-for-help/{step}")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    for staff_words in ("Major adaptation or DFG", "OT assessment", "Telecare<"):
        assert staff_words not in page.text


def test_the_help_is_asked_for_in_plain_words_with_hints(client):
    answer_pages(client, upto="needs")
    page = client.get("/ask-for-help/needs").text
    for label, hint in NEED_WORDS.values():
        assert label in page and hint in page
    assert set(NEED_WORDS) == set(NEEDS)


def test_someone_else_reveals_the_relationship_question_without_javascript(client):
    page = client.get("/ask-for-help/who").text
    # the reveal is in the page (GOV.UK shows it without JavaScript, and hides it only with it)
    reveal = re.search(r'<div class="govuk-radios__conditional[^"]*" id="([^"]+)">(.*?)</div>\s*</div>', page, re.S)
    assert reveal and 'name="relationship"' in reveal.group(2)
    assert f'aria-controls="{reveal.group(1)}"' in page
    assert page.index('value="someone"') < page.index('name="relationship"')


def test_an_interpreter_reveals_the_language_and_a_date_under_yes_in_hospital(client):
    answer_pages(client, upto="formats")
    page = client.get("/ask-for-help/formats").text
    assert 'govuk-checkboxes__conditional' in page and 'name="interpreter_language"' in page
    assert page.count('value="') >= len(COMMUNICATION_NEEDS)
    answer_pages(client, upto="hospital")
    page = client.get("/ask-for-help/hospital").text
    assert 'govuk-radios__conditional' in page and 'name="discharge_date"' in page


DOB_ERRORS = [
    (["", "", ""], "Enter the date of birth"),
    (["4", "", "1941"], "Date of birth must include a month"),
    (["", "", "1941"], "Date of birth must include a day and month"),
    (["31", "2", "1941"], "Date of birth must be a real date"),
    (["4", "July", "1941"], "Date of birth must be a real date"),
    (["4", "7", "41"], "Year must include 4 numbers"),
    (["4", "7", "2999"], "Date of birth must be in the past"),
    (["4", "7", "1850"], "Date of birth must be the same as or after 1 January 1900"),
]


@pytest.mark.parametrize("parts, message", DOB_ERRORS)
def test_date_of_birth_errors_use_the_gov_uk_wording_and_keep_what_was_typed(client, db_session, parts, message):
    answer_pages(client, upto="date-of-birth")
    resp = _post(client, "/ask-for-help/date-of-birth", {"date_of_birth": parts})
    assert resp.status_code == 422 and "There is a problem" in resp.text
    assert message in resp.text
    for part in filter(None, parts):
        assert f'value="{part}"' in resp.text  # what was typed comes back
    with client.session_transaction() as sess:
        assert "date-of-birth" not in sess["help"].get("done", [])
    assert db_session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_discharge_date_with_a_missing_month_is_refused_in_the_same_words(client):
    answer_pages(client, upto="hospital")
    resp = _post(client, "/ask-for-help/hospital", {"hospital": "yes", "discharge_date": ["4", "", "2027"]})
    assert resp.status_code == 422 and "The date they are due to come home must include a month" in resp.text
    # under "No" a half-typed date is not an answer
    resp = _post(client, "/ask-for-help/hospital", {"hospital": "no", "discharge_date": ["4", "", ""]})
    assert resp.status_code == 303


def change_links(check: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="([^"]+)">Change', check)


def test_every_row_of_check_your_answers_has_change_back_to_its_own_page(client):
    answer_pages(client)
    check = client.get("/ask-for-help/check").text
    rows = check.count('class="govuk-summary-list__row')
    links = change_links(check)
    assert len(links) == rows and rows >= 16
    assert {link.split("?")[0].rsplit("/", 1)[-1] for link in links} == set(PAGES)
    assert all(link.endswith("?change=1") for link in links)


def test_change_goes_back_to_check_your_answers(client, db_session):
    answer_pages(client)
    page = client.get("/ask-for-help/date-of-birth?change=1")
    assert 'href="/ask-for-help/check"' in page.text  # Back goes to check your answers
    resp = client.post("/ask-for-help/date-of-birth?change=1",
                       data={"date_of_birth": ["5", "8", "1942"], "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303 and resp.headers["Location"] == "/ask-for-help/check"
    assert "5 August 1942" in client.get("/ask-for-help/check").text
    assert db_session.scalar(select(func.count()).select_from(Referral)) == 0


def test_changing_me_to_someone_else_asks_the_new_questions_then_returns_to_check(client):
    answer_pages(client, ME, DETAILS, CONTACT, HELP)
    resp = _post(client, "/ask-for-help/who?change=1", {"who": "someone", "relationship": "Son"})
    assert resp.headers["Location"] == "/ask-for-help/your-name?change=1"
    resp = _post(client, "/ask-for-help/your-name?change=1", {"your_name": "Raj Patel"})
    assert resp.headers["Location"] == "/ask-for-help/consent?change=1"
    resp = _post(client, "/ask-for-help/consent?change=1", {"consent": "yes"})
    assert resp.headers["Location"] == "/ask-for-help/check"
    check = client.get("/ask-for-help/check").text
    assert "Their details" in check and "Raj Patel" in check and "Son" in check
    assert check.index("Their details") < check.index("About you")


def test_the_largest_answers_fit_in_the_session_cookie(app, client, db_session):
    """Answers travel in the signed session cookie (browsers keep 4 KB at most): the longest
    answer every box allows, in letters that do not compress, still fits, with room to spare."""
    import random

    letters = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻabcdefghijklmnopqrstuvwxyzΩابپتثجچحخدذرزسشصضطظعغفقکگلمنوهی"
    rng = random.Random(20)

    def text(n):
        return "".join(rng.choice(letters) for _ in range(n))

    biggest = {"who": "someone", "relationship": text(60), "given_name": text(60), "family_name": text(60),
               "date_of_birth": ["4", "7", "1941"], "address_line_1": text(100), "address_line_2": text(100),
               "town": text(60), "postcode": "AB1 2DE", "nhs_number": "943 476 5919", "your_name": text(100),
               "consent": "yes", "phone": "07700 900982", "email": LONGEST_EMAIL,
               "communication_needs": list(COMMUNICATION_NEEDS), "interpreter_language": text(60),
               "needs": list(NEEDS), "help_wanted": text(HELP_WANTED_MAX), "hospital": "yes",
               "discharge_date": [str((today() + timedelta(days=3)).day), str((today() + timedelta(days=3)).month),
                                  str((today() + timedelta(days=3)).year)],
               "fallen_recently": "yes", "carer_struggling": "yes"}
    answer_pages(client, biggest)
    check = client.get("/ask-for-help/check")
    assert check.status_code == 200 and biggest["help_wanted"] in check.text
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert len(cookie.value) < 3500, len(cookie.value)
    for name, value in biggest.items():  # each at the most its box allows: one more letter is refused
        if isinstance(value, str) and len(value) >= 60 and name != "email":
            page = PAGE_OF[name]
            resp = _post(client, f"/ask-for-help/{page}?change=1", {**biggest, name: value + "x"})
            assert resp.status_code == 422, name


PAGE_OF = {"relationship": "who", "given_name": "name", "family_name": "name", "address_line_1": "address",
           "address_line_2": "address", "town": "address", "your_name": "your-name",
           "interpreter_language": "formats", "help_wanted": "what-is-hard"}


def answers_on(check: str) -> list[str]:
    return re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', check, re.S)


def test_an_answer_that_would_overfill_the_session_is_refused_not_lost(client, db_session):
    answer_pages(client)
    before = answers_on(client.get("/ask-for-help/check").text)
    assert len(before) >= 16
    import random

    rng = random.Random(20)
    # within the length, but random characters escape and compress to far more once stored
    emoji = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(790))
    resp = _post(client, "/ask-for-help/what-is-hard?change=1", {"help_wanted": emoji})
    assert resp.status_code == 422 and "Your answer is too long to save" in resp.text
    assert 'href="#help_wanted"' in resp.text and emoji in resp.text  # the answer is kept on the page
    assert answers_on(client.get("/ask-for-help/check").text) == before  # nothing stored, the rest kept
    assert db_session.scalar(select(func.count()).select_from(Referral)) == 0


