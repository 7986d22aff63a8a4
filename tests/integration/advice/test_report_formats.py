"""The report in accessible formats (issue 15): large print and Easy Read.

Both pages follow the print view's rules: anyone with the link sees the advice, the answers only
where the report page would show them (never in Easy Read); an unknown reference is not found and
an old link has expired. Every recommendation the report shows is there, urgent help first."""

import re
import shutil
from datetime import timedelta

import pytest
import yaml
from markupsafe import escape
from sqlalchemy import select

from portal.advice import services
from portal.advice.engine import AUDIENCES, check_content, load_content
from portal.advice.engine.content import PLACEHOLDER
from portal.advice.engine.files import CATALOGUE_PATH, CONTENT_DIR
from portal.advice.models import AdviceReport
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.integration.advice.test_journey import run_journey
from tests.integration.advice.test_report_privacy import DOB, answer_texts, assert_no_answers, post, url

FORMATS = ("/large-print", "/easy-read")


def fallen_and_bathing(qid, options):
    """Someone has fallen (urgent help), and bathing and safety at home are hard."""
    if qid == "who":
        return "myself"
    if qid == "areas":
        return ["bathing", "falls_and_safety"]
    if qid == "urgent":
        return ["fallen"]
    return options[0]


def finish(client, db_session, choose=fallen_and_bathing) -> AdviceReport:
    """Finish a self-assessment through the pages, in this client's browser."""
    check_url = run_journey(client, choose)
    check = client.get(check_url)
    location = client.post(check_url, data={"csrf_token": csrf_from(check.text)}).headers["Location"]
    db_session.expire_all()
    return db_session.scalar(select(AdviceReport).where(AdviceReport.reference == location.rsplit("/", 1)[-1]))


@pytest.fixture
def stranger(app, client):
    """A second browser: someone else who has the report's link."""
    return app.test_client()


def in_order(text: str, pieces: list[str]) -> list[int]:
    places = [text.find(str(escape(piece))) for piece in pieces]
    assert -1 not in places, [piece for piece, at in zip(pieces, places, strict=True) if at == -1]
    return places


def main_of(text: str) -> str:
    return text[text.index("<main"):text.index("</main>")]


# ------------------------------------------------------------------ large print


def test_large_print_has_every_recommendation_and_its_step_urgent_first(client, db_session):
    report = finish(client, db_session)
    shown = services.result_for(report)
    assert shown.urgent and len(shown.all()) > 3
    page = client.get(url(report, "/large-print"))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.text.count("<h1") == 1 and '<html lang="en"' in page.text
    assert re.search(r'<link rel="stylesheet" href="/static/css/large-print[.0-9a-f]*\.css">', page.text)
    body = main_of(page.text)
    places = in_order(body, [item.recommendation.title for item in shown.all()])
    assert places == sorted(places)  # report order: urgent help first
    assert body.index("Get help now") < places[0]
    for item in shown.all():
        for para in item.recommendation.body.split("\n\n"):
            assert str(escape(para)) in body
        if item.recommendation.step_label:
            assert item.recommendation.step_label in body
    assert f"Report reference <strong>{services.shown_reference(report)}</strong>" in body
    assert "Completed " in body and str(report.completed_at.year) in body
    for words in answer_texts(report):  # the browser that finished it sees its answers, open
        assert words in body


def test_the_large_print_stylesheet_is_large_on_screen_and_on_paper(app):
    css = (CONTENT_DIR.parents[2] / "static/css/large-print.css").read_text()
    screen, paper = css.split("@media print")
    body = re.search(r"\.app-large-print p,[^{]*\{([^}]*)\}", screen).group(1)
    assert int(re.search(r"font-size: (\d+)px", body).group(1)) >= 22  # 16pt is about 21px
    printed = re.search(r"\.app-large-print p,[^{]*\{([^}]*)\}", paper).group(1)
    assert int(re.search(r"font-size: (\d+)pt", printed).group(1)) >= 16
    h1 = re.search(r"\.app-large-print h1,[^{]*\{([^}]*)\}", paper).group(1)
    assert int(re.search(r"font-size: (\d+)pt", h1).group(1)) > 18
    assert "sans-serif" in screen and "text-align: left" in screen and "line-height: 1.5" in screen


# ------------------------------------------------------------------ Easy Read


def test_easy_read_gives_each_recommendation_in_short_words_beside_a_picture(client, db_session):
    report = finish(client, db_session)
    shown = services.result_for(report)
    page = client.get(url(report, "/easy-read"))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.text.count("<h1") == 1 and '<html lang="en"' in page.text
    assert "/static/css/large-print" in page.text
    body = main_of(page.text)
    texts = [item.recommendation.easy_read for item in shown.all()]
    places = in_order(body, texts)
    assert places == sorted(places)  # urgent help first, then the report's order
    assert shown.urgent[0].recommendation.easy_read == "Has someone fallen and cannot get up? Call 999 now."
    assert body.index("Get help now") < places[0] < body.index("Things that can help you")
    points = re.findall(r'<li class="app-easy-read__point">\s*<svg([^>]*)>', body)
    assert len(points) >= len(texts)
    assert all('aria-hidden="true"' in svg for svg in points)  # decorative: the words say it all
    assert 'data-picture="phone"' in points[0]  # urgent help: a phone
    assert "What to do next" in body and "Who to call" in body
    assert services.help_words()["council_phone"] in body and services.help_words()["out_of_hours_phone"] in body
    assert_no_answers(page.text, report)  # a summary: never the answers, even for this browser
    for item in shown.all():  # the short version only, not the full advice
        assert str(escape(item.recommendation.body.split("\n\n")[0])) not in body


def test_easy_read_is_worded_for_the_audience(client, db_session):
    def professional(qid, options):
        return "professional" if qid == "who" else ["caring"] if qid == "areas" else \
            ["none"] if qid == "urgent" else options[0]

    report = finish(client, db_session, professional)
    shown = services.result_for(report)
    assert "carers_assessment" in shown.recommendation_ids
    page = client.get(url(report, "/easy-read"))
    assert "The carer can ask for a carer&#39;s assessment." in page.text
    assert "If you look after someone, you can ask" not in page.text


def test_easy_read_offers_to_ask_for_help_when_the_report_does(client, db_session):
    report = finish(client, db_session)
    shown = services.result_for(report)
    page = client.get(url(report, "/easy-read"))
    asks = f'href="/ask-for-help?report={report.reference}"' in page.text or \
        f"report={report.reference}" in page.text
    assert asks == bool(shown.suggested_needs)


# ------------------------------------------------------------------ the print view's rules


def test_the_formats_show_the_advice_to_anyone_with_the_link_and_the_answers_only_after_the_check(
        client, stranger, db_session):
    report = finish(client, db_session)
    assert post(client, url(report, "/protect"), {"date_of_birth": DOB}).status_code == 303
    titles = [item.recommendation.title for item in services.result_for(report).all()]
    for tail in FORMATS:
        theirs = stranger.get(url(report, tail))
        assert theirs.status_code == 200 and theirs.headers["Cache-Control"] == "no-store"
        assert services.shown_reference(report) in theirs.text
        assert_no_answers(theirs.text, report)
    in_print = stranger.get(url(report, "/print"))
    assert_no_answers(in_print.text, report)
    in_order(stranger.get(url(report, "/large-print")).text, titles)  # the advice, for anyone
    assert post(stranger, url(report, "/answers"), {"date_of_birth": DOB}).status_code == 303
    large = stranger.get(url(report, "/large-print"))
    for words in answer_texts(report):  # after the date of birth check, as in the print view
        assert words in large.text and words in stranger.get(url(report, "/print")).text
    assert_no_answers(stranger.get(url(report, "/easy-read")).text, report)


def test_an_unknown_or_unfinished_report_is_not_found(client, db_session):
    unfinished = services.start(db_session)
    db_session.commit()
    for tail in FORMATS:
        assert client.get(f"/advice/report/not-a-real-reference{tail}").status_code == 404
        assert client.get(url(unfinished, tail)).status_code == 404
        assert client.get(url(unfinished, "/print")).status_code == 404


def test_an_old_link_has_expired_in_every_format(client, db_session, app):
    report = finish(client, db_session)
    report.completed_at = utcnow() - timedelta(days=app.config["ADVICE_REPORT_LINK_DAYS"], minutes=1)
    db_session.flush()
    for tail in (*FORMATS, "/print"):
        page = client.get(url(report, tail))
        assert page.status_code == 410 and "This link has expired" in page.text
        assert_no_answers(page.text, report)


def test_the_report_and_its_print_view_link_to_both_formats(client, db_session):
    report = finish(client, db_session)
    for tail in ("", "/print", *FORMATS):
        page = client.get(url(report, tail))
        for other in FORMATS:  # each format links to the other, not to itself
            link = f'href="/advice/report/{report.reference}{other}"'
            assert (link in page.text) == (other != tail), (tail, other)
    assert "Large print version of this report" in client.get(url(report)).text
    assert "Easy Read version" in client.get(url(report, "/print")).text


# ------------------------------------------------------------------ the content


def test_every_recommendation_has_easy_read_words_for_every_audience():
    content = load_content()
    for rec in content.recommendations.values():
        for audience in AUDIENCES:
            words = rec.easy_read_for(audience)
            sentences = [s for s in re.split(r"(?<=[.?!])\s+", words) if s]
            assert 1 <= len(sentences) <= 4, (rec.id, words)  # one or two short sentences (a question counts)
            assert len(words) <= 130 and all(len(s.split()) <= 20 for s in sentences), (rec.id, words)


@pytest.fixture
def copy(tmp_path):
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    shutil.copy(CATALOGUE_PATH, tmp_path / "catalogue.yaml")
    return directory


def rewrite(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def recommendation(data, rec_id):
    return next(item for item in data["recommendations"] if item["id"] == rec_id)


def test_check_content_refuses_a_recommendation_without_easy_read(copy):
    rewrite(copy / "recommendations.yaml", lambda d: recommendation(d, "bath_lift").pop("easy_read"))
    assert check_content(copy, copy.parent / "catalogue.yaml") == [
        "recommendations.yaml: recommendation 'bath_lift': missing required field 'easy_read'"]


def test_check_content_refuses_an_unknown_placeholder_in_easy_read(copy):
    rewrite(copy / "recommendations.yaml",
            lambda d: recommendation(d, "urgent_fallen").update(easy_read="Phone {phone_soon}."))
    problems = check_content(copy, copy.parent / "catalogue.yaml")
    assert len(problems) == 1 and "'urgent_fallen': {phone_soon} is not a word the report can fill in" in problems[0]


def test_the_welsh_easy_read_has_every_recommendation_in_the_same_shape():
    english = {item["id"]: item["easy_read"] for item in
               yaml.safe_load((CONTENT_DIR / "recommendations.yaml").read_text(encoding="utf-8"))["recommendations"]}
    welsh = yaml.safe_load((CONTENT_DIR / "cy" / "easy_read.yaml").read_text(encoding="utf-8"))
    assert welsh["version"] == load_content().version
    assert set(welsh["recommendations"]) == set(english)
    for rec_id, words in english.items():
        cy = welsh["recommendations"][rec_id]["easy_read"]
        assert type(cy) is type(words), rec_id
        pairs = [(words, cy)] if isinstance(words, str) else [(words[a], cy[a]) for a in AUDIENCES]
        for en_words, cy_words in pairs:
            assert cy_words.strip() and cy_words != en_words, rec_id
            assert set(PLACEHOLDER.findall(cy_words)) == set(PLACEHOLDER.findall(en_words)), rec_id
