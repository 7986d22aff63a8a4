"""The staff home shows each person their waiting work (issue 20), and the menu marks one item.

On the demo data, each role signs in, reads every card on its home page (a count and a link),
follows the link and reads the count the queue itself shows: the two must agree, and the link must
carry a filter the queue really reads. The menu marks exactly one current item, chosen by section.
"""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.auth.roles import ROLES
from portal.cli import DEMO_ACCOUNTS
from portal.extensions import db, limiter, write_intent
from portal.web.registry import registry
from tests.conftest import csrf_from
from tests.integration.proof.conftest import demo_app_on_its_own_database

DEMO_PASSWORD = "demo home password 2026"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    with demo_app_on_its_own_database(tmp_path_factory, "home", DEMO_PASSWORD) as app:
        yield app


def _email(role: str) -> str:
    return next(email for email, _name, roles, _level in DEMO_ACCOUNTS if role in roles)


def _signed_in(app, role: str):
    limiter.reset()
    client = app.test_client()
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"email": _email(role), "password": DEMO_PASSWORD,
                                         "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303, resp.text[:300]
    return client


class _Cards(HTMLParser):
    """The home page's cards: (label, count, href)."""

    def __init__(self):
        super().__init__()
        self.cards, self._open = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "data-waiting-work" in attrs:
            self._open = [attrs["data-waiting-work"], None, attrs["href"]]
        elif tag == "span" and self._open is not None and "data-count" in attrs:
            self._open[1] = int(attrs["data-count"])

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.cards.append(tuple(self._open))
            self._open = None


def _cards(html: str) -> list[tuple[str, int, str]]:
    parser = _Cards()
    parser.feed(html)
    return parser.cards


# What each queue says its count is, as a person reads it on the page: a list page (web/list_page.html)
# heads its results with the count, or "No ... match".
LIST_COUNT = r'id="list-count"[^>]*>(\d[\d,]*) '
QUEUE_COUNTS = {
    "/referrals": LIST_COUNT,
    "/dfg/cases": LIST_COUNT,
    "/equipment/": LIST_COUNT,
    "/telecare/": LIST_COUNT,
    "/telecare/today": r"(\d+) visits?, in route order",
}


def _queue_count(html: str, path: str) -> int:
    if path == "/telecare/today" and "You have no visits booked for today." in html:
        return 0
    if QUEUE_COUNTS[path] == LIST_COUNT and re.search(r'id="list-count"[^>]*>No ', html):
        return 0
    found = re.search(QUEUE_COUNTS[path], html)
    assert found, f"no count on {path}"
    return int(found.group(1).replace(",", ""))


def _current_items(html: str) -> list[str]:
    nav = re.search(r'<nav[^>]*aria-label="Staff menu".*?</nav>', html, re.S)
    if nav is None:
        return []
    found = re.findall(r'<a[^>]*aria-current="page"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+?)\s*<', nav.group(0))
    return [unescape(text) for text in found]


def test_every_card_links_to_a_queue_that_shows_the_same_count(demo_app):
    """Per role: each card's count equals the count on the filtered queue its link opens."""
    seen_cards = 0
    for role in ROLES:
        client = _signed_in(demo_app, role)
        home = client.get("/staff")
        assert home.status_code == 200
        assert home.text.count("<h1") == 1
        for label, count, href in _cards(home.text):
            seen_cards += 1
            parts = urlsplit(href)
            assert parts.path in QUEUE_COUNTS, f"{role}: {label} links to {href}"
            assert parts.query or parts.path == "/telecare/today", f"{role}: {label} opens an unfiltered queue"
            queue = client.get(href)
            assert queue.status_code == 200, f"{role}: {label} -> {queue.status_code}"
            assert _queue_count(queue.text, parts.path) == count, f"{role}: {label} says {count}, {href} disagrees"
    assert seen_cards >= 10


@pytest.mark.parametrize("role, labels", [
    ("triage_officer", {"New referrals to screen", "Referrals overdue", "Telecare jobs to book"}),
    ("occupational_therapist", {"Referrals overdue", "Referrals assigned to you"}),
    ("stores_officer", {"Deliveries to make", "Collections to make", "Equipment awaiting cleaning"}),
    ("dfg_caseworker", {"DFG cases past a deadline", "DFG deadlines due soon"}),
    ("telecare_installer", {"Your telecare jobs today"}),
    ("manager", {"Referrals overdue", "DFG cases past a deadline"}),
])
def test_each_role_sees_its_own_waiting_work_and_no_one_elses(demo_app, role, labels):
    client = _signed_in(demo_app, role)
    home = client.get("/staff")
    shown = {label for label, _count, _href in _cards(home.text)}
    assert labels <= shown
    for other in registry(demo_app).waiting_work:
        if other.label in shown:
            assert other.roles is None or role in other.roles
    assert "Staff home" in home.text
    # the home page no longer repeats the menu: the main content links to no page the menu offers
    main = re.search(r"<main.*?</main>", home.text, re.S).group(0)
    menu = set(re.findall(r'href="([^"]+)"', re.search(r'<nav[^>]*aria-label="Staff menu".*?</nav>',
                                                       home.text, re.S).group(0)))
    assert menu and not menu & set(re.findall(r'href="([^"]+)"', main)) - {"/telecare/today"}


def test_the_waiting_referrals_count_follows_the_data(demo_app):
    """The card is counted afresh: a referral screened elsewhere leaves "New referrals to screen"."""
    from portal.referrals.models import Referral

    client = _signed_in(demo_app, "triage_officer")
    before = dict((label, count) for label, count, _href in _cards(client.get("/staff").text))
    with demo_app.app_context(), write_intent():
        referral = db.session.scalars(select(Referral).where(Referral.state == "submitted").limit(1)).one()
        referral.state = "withdrawn"  # a direct change, as if another officer had closed it
        referral.next_due_at = None
        db.session.commit()
    after = dict((label, count) for label, count, _href in _cards(client.get("/staff").text))
    assert after["New referrals to screen"] == before["New referrals to screen"] - 1


@pytest.mark.parametrize("role, path, current", [
    ("triage_officer", "/staff", "Home"),
    ("triage_officer", "/referrals?state=submitted", "Referrals"),
    ("occupational_therapist", "/caseload", "My cases"),
    ("occupational_therapist", "/referrals/new", "New referral"),
    ("occupational_therapist", "REFERRAL", "Referrals"),
    ("occupational_therapist", "PERSON", "Referrals"),
    ("stores_officer", "PERSON", "Equipment"),
    ("telecare_installer", "/telecare/today", "Today's jobs"),
    ("triage_officer", "JOB", "Telecare"),
    ("manager", "PERSON", "Referrals"),
    ("dfg_caseworker", "DFG_PERSON", "DFG cases"),
    ("admin", "/admin/staff", "Staff accounts"),
    ("triage_officer", "/account", None),
    ("triage_officer", "/ask-for-help", None),  # the resident's side is in no staff section
])
def test_the_menu_marks_one_item_chosen_by_section(demo_app, role, path, current):
    from portal.dfg.models import DfgCase
    from portal.referrals.models import Referral
    from portal.telecare.models import Job

    with demo_app.app_context():
        job_id = db.session.scalar(select(Job.id).order_by(Job.id).limit(1))
        dfg_person = db.session.scalar(select(DfgCase.person_id).order_by(DfgCase.id).limit(1))
        referral = db.session.scalars(select(Referral).where(Referral.route == "occupational_therapist")
                                      .order_by(Referral.id).limit(1)).one()
        ids = {"REFERRAL": f"/referrals/{referral.id}", "PERSON": f"/people/{referral.person_id}",
               "JOB": f"/telecare/jobs/{job_id}", "DFG_PERSON": f"/people/{dfg_person}"}
        db.session.remove()
    client = _signed_in(demo_app, role)
    page = client.get(ids.get(path, path))
    assert page.status_code == 200, (role, path, page.status_code)
    assert _current_items(page.text) == ([current] if current else [])
