"""The public pages in Welsh (Welsh Language Standards): the self-assessment to its report, ask for
help, track, the DFG enquiry, the email in the person's language, and the catalogue up to date."""

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from portal.advice.engine import CONTENT_DIR
from portal.advice.models import AdviceReport
from portal.dfg.models import DfgCase
from portal.notify.models import Notification
from portal.referrals.models import Referral
from tests.conftest import csrf_from
from tests.integration.advice.test_journey import answer
from tests.integration.referrals.test_public import CONTACT, DETAILS, HELP, WHO, _post, answer_pages

CATALOGUE = Path(__file__).resolve().parents[3] / "portal" / "translations" / "cy" / "LC_MESSAGES"


def h1(html: str) -> str:
    found = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert len(found) == 1, found
    return " ".join(re.sub(r"<[^>]+>", " ", found[0]).split())


@pytest.fixture
def welsh(client):
    resp = client.get("/language/cy?next=/")
    assert resp.status_code == 303
    return client


def welsh_questions() -> dict:
    return yaml.safe_load((CONTENT_DIR / "cy" / "questions.yaml").read_text(encoding="utf-8"))


def test_the_start_pages_are_in_welsh(welsh):
    page = welsh.get("/").text
    assert '<html lang="cy"' in page
    assert h1(page) == "Cael help i fyw’n ddiogel ac yn annibynnol gartref"
    assert "Neidio i’r prif gynnwys" in page and "Datganiad hygyrchedd" in page
    assert h1(welsh.get("/advice/").text) == "Dod o hyd i help ac offer ar gyfer byw gartref"
    assert h1(welsh.get("/privacy").text) == "Hysbysiad preifatrwydd"
    missing = welsh.get("/no-such-page")
    assert missing.status_code == 404 and h1(missing.text) == "Heb ddod o hyd i’r dudalen"


def test_the_self_assessment_in_welsh_to_its_report(welsh, db_session):
    cy = welsh_questions()["questions"]
    page = welsh.get("/advice/")
    resp = welsh.post("/advice/begin", data={"csrf_token": csrf_from(page.text)})
    url = resp.headers["Location"]
    chosen = {"who": "myself", "areas": ["moving_around"]}
    seen = []
    for _ in range(40):
        if url.endswith("/advice/check"):
            break
        qid = url.rsplit("/", 1)[-1]
        page = welsh.get(url)
        assert page.status_code == 200 and '<html lang="cy"' in page.text
        text = cy[qid]["text"]
        assert h1(page.text) == " ".join((text if isinstance(text, str) else text["myself"]).split())
        options = re.findall(r'name="answer" type="(?:radio|checkbox)" value="([^"]+)"', page.text)
        if qid == "who":  # an answer left out: the error in Welsh, on the same page
            empty = welsh.post(url, data={"csrf_token": csrf_from(page.text)})
            assert empty.status_code == 422 and "Mae problem" in empty.text
            assert " ".join(cy["who"]["error"].split()) in " ".join(empty.text.split())
        value = chosen.get(qid) or ([o for o in options if o.startswith("none")][:1] or options[-1:])
        resp = answer(welsh, url, value)
        assert resp.status_code == 303, (qid, resp.text[:300])
        seen.append(qid)
        url = resp.headers["Location"]
        if url.endswith("/get-help-now"):
            url = _continue(welsh, url)
    check = welsh.get("/advice/check")
    assert h1(check.text) == "Gwirio eich atebion"
    assert " ".join(cy["who"]["options"]["myself"]["label"].split()) in check.text  # answers kept, in Welsh
    done = welsh.post("/advice/check", data={"csrf_token": csrf_from(check.text)})
    report_url = done.headers["Location"]
    report = welsh.get(report_url)
    assert '<html lang="cy"' in report.text and h1(report.text) == "Eich adroddiad cyngor"
    area_title = welsh_questions()["areas"]["moving_around"]["title"]
    assert " ".join((area_title if isinstance(area_title, str) else area_title["myself"]).split()) in report.text
    saved = db_session.scalar(select(AdviceReport).order_by(AdviceReport.id.desc()))
    assert saved.language == "cy" and saved.answers["who"] == "myself" and len(seen) >= 3

    emailed = welsh.post(report_url + "/email", data={"csrf_token": csrf_from(report.text),
                                                      "email": "person@example.com"})
    assert emailed.status_code == 303
    note = db_session.scalar(select(Notification).order_by(Notification.id.desc()))
    assert note.language == "cy" and note.subject == "Eich adroddiad cyngor ar ofal a chymorth"
    assert "Dyma’r ddolen i’ch adroddiad cyngor" in note.body
    assert re.search(r"tan \d{1,2} (Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|"
                     r"Tachwedd|Rhagfyr) \d{4}", note.body)


def _continue(client, url):
    page = client.get(url)
    assert h1(page.text) == "Cael help nawr"
    return re.search(r'<a class="govuk-button govuk-button--inverse[^"]*"[^>]*href="([^"]+)"', page.text).group(1)


def test_ask_for_help_in_welsh_sends_a_welsh_email(welsh, db_session):
    first = welsh.get("/ask-for-help/who")
    assert h1(first.text) == "Pwy sydd angen help?" and "Rhywun arall" in first.text
    bad = welsh.post("/ask-for-help/who", data={"csrf_token": csrf_from(first.text)})
    assert bad.status_code == 422 and "Dewiswch pwy sydd angen help" in bad.text
    answer_pages(welsh, WHO, DETAILS, CONTACT, HELP)
    check = welsh.get("/ask-for-help/check")
    assert h1(check.text) == "Gwiriwch eich atebion cyn anfon eich cais"
    assert "Anil Patel" in check.text and "4 Gorffennaf 1941" in check.text  # kept, date in Welsh
    sent = _post(welsh, "/ask-for-help/check", {"submission_key": re.search(
        r'name="submission_key" value="([^"]+)"', check.text).group(1)})
    assert sent.status_code == 303
    assert h1(welsh.get("/ask-for-help/done").text) == "Cais wedi’i anfon"
    referral = db_session.scalar(select(Referral).order_by(Referral.id.desc()))
    assert referral.language == "cy"
    note = db_session.scalar(select(Notification).where(Notification.template == "referral_received")
                             .order_by(Notification.id.desc()))
    assert note.language == "cy" and note.subject.startswith("Rydym wedi cael eich cais am help")
    assert "Beth fydd yn digwydd nesaf: Mae eich cais gennym." in note.body

    track = welsh.get("/track")
    assert h1(track.text) == "Gweld sut mae cais yn mynd"
    found = _post(welsh, "/track", {"reference": referral.reference, "date_of_birth": ["4", "7", "1941"]})
    assert h1(found.text) == f"Eich cais {referral.reference}" and "Wedi dod i law" in found.text


def test_an_english_request_still_gets_an_english_email(client, db_session):
    answer_pages(client, WHO, DETAILS, CONTACT, HELP)
    check = client.get("/ask-for-help/check")
    _post(client, "/ask-for-help/check", {"submission_key": re.search(
        r'name="submission_key" value="([^"]+)"', check.text).group(1)})
    note = db_session.scalar(select(Notification).order_by(Notification.id.desc()))
    assert note.language == "en" and note.subject.startswith("We have received your request for help")


def test_the_dfg_enquiry_in_welsh_is_kept_as_welsh(welsh, db_session):
    assert h1(welsh.get("/dfg/enquiry").text) == "Gofyn am Grant Cyfleusterau i’r Anabl"
    answers = {"who": "adult", "tenure": "owner_occupier", "difficulties": ["stairs"], "given_name": "Ifan",
               "family_name": "Jones", "date_of_birth": ["3", "2", "1950"], "address_line_1": "1 Stryd Fawr",
               "town": "Ashdown", "postcode": "AB1 2DE", "phone": "01632 960 001"}
    for step in ("who", "tenure", "difficulties", "name", "date-of-birth", "address", "contact"):
        page = welsh.get(f"/dfg/enquiry/{step}")
        assert '<html lang="cy"' in page.text and "Ymholiad Grant Cyfleusterau i’r Anabl" in page.text
        resp = _post(welsh, f"/dfg/enquiry/{step}", answers)
        assert resp.status_code == 303, (step, resp.text[:500])
    check = welsh.get("/dfg/enquiry/check")
    assert h1(check.text) == "Gwiriwch eich atebion cyn anfon eich ymholiad"
    assert "Mynd i fyny ac i lawr y grisiau" in check.text and "3 Chwefror 1950" in check.text
    sent = _post(welsh, "/dfg/enquiry/check", {"submission_key": re.search(
        r'name="submission_key"[^>]*value="([^"]+)"', check.text).group(1)})
    assert sent.status_code == 303
    case = db_session.scalar(select(DfgCase).order_by(DfgCase.id.desc()))
    assert case.language == "cy"


def test_the_language_column_refuses_anything_but_english_or_welsh(db_session):
    from sqlalchemy.exc import IntegrityError

    from portal.advice.services import start

    report = start(db_session)
    db_session.flush()
    report.language = "fr"
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_the_compiled_welsh_catalogue_matches_its_po_file():
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = read_po(f, locale="cy")
    with open(CATALOGUE / "messages.mo", "rb") as f:
        mo = read_mo(f)
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    expected = {key(m.id): key(m.string) for m in po if m.id and any(key(m.string))}
    compiled = {key(m.id): key(m.string) for m in mo if m.id}
    # an untranslated plural is compiled as its English forms (Babel's fallback): not a translation
    translated = {k: v for k, v in compiled.items() if isinstance(k, str) or set(v) - set(k)}
    assert translated == expected, "the .mo is out of date: run pybabel compile (see README, Languages)"


def test_every_public_string_has_a_welsh_translation():
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = read_po(f, locale="cy")
    public = ("templates/web/", "templates/advice/", "templates/referrals/public/", "templates/dfg/enquiry_",
              "templates/errors/", "templates/base.html", "portal/referrals/public_", "portal/advice/",
              "portal/notify/templates.py", "portal/people/validators.py", "portal/web/")
    untranslated = [m.id for m in po if m.id and not any([m.string] if isinstance(m.string, str) else m.string)
                    and any(path.startswith(public) for path, _ in m.locations)]
    assert untranslated == []


def test_the_welsh_catalogue_has_every_marked_string():
    """A string marked in a template or in Python but missing from the .po (run the extract and
    update steps in the README) fails here, before a Welsh page shows it in English."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = CATALOGUE.parents[3]
    with open(root / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_text": None, "lazy_gettext": None,
                "N_": None}
    marked = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords):
        marked.add(message if isinstance(message, str) else message[0])
    with open(CATALOGUE / "messages.po", "rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f, locale="cy") if m.id}
    assert len(marked) > 400 and sorted(marked - known) == []
