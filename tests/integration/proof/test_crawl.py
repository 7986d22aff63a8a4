"""Every role walks the demo data (issue: "One way to do each thing", 5; "Safe on day one").

The demo data is loaded as `make run` loads it; then each role signs in and follows every link it
is shown, as a new member of staff clicking round would. Every page must answer without a server
error, every page must also answer an htmx request, and every fragment block the views render for a GET
is rendered at least once here.
"""

from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

import portal.web.htmx as htmx_module
from portal.auth.roles import ROLES
from portal.extensions import limiter
from portal.web.security import PUBLIC, access_rule
from tests.conftest import csrf_from
from tests.integration.proof.conftest import demo_app_on_its_own_database

DEMO_PASSWORD = "demo crawl password 2026"
PAGES_PER_ROLE = 120
PER_ENDPOINT = 3  # three records of a kind are enough: the walk goes wide, not deep
SKIP = ("/sign-out", "/static/", "/logout")

# Every (template, block) a view renders as an htmx fragment for a GET. A new fragment must be
# added here, and each one listed must be reached by some role's walk.
# A poll's fragment ("N new referrals since you loaded this page") renders only when the walk happens
# to fetch it; it may be reached, and need not be.
POLLED_FRAGMENTS = {("referrals/queue.html", "queue_new_count")}
GET_FRAGMENTS = {
    ("referrals/queue.html", "list"),
    ("dfg/queue.html", "list"),
    ("equipment/queues.html", "list"),
    ("equipment/catalogue.html", "results"),
    ("equipment/store_stock.html", "list"),
    ("equipment/store_assets.html", "list"),
    ("equipment/store.html", "section"),
    ("equipment/store_stocktakes.html", "section"),
    ("telecare/jobs.html", "list"),
    ("telecare/planner.html", "grid"),
    ("reports/board.html", "report"),
    ("audit/index.html", "list"),
    ("auth/staff_list.html", "list"),
    ("notify/outbox.html", "list"),
    ("referrals/caseload.html", "list"),
    ("equipment/order.html", "order"),
    ("equipment/asset.html", "asset"),
}


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    with demo_app_on_its_own_database(tmp_path_factory, "crawl", DEMO_PASSWORD) as app:
        yield app


@pytest.fixture(scope="module")
def rendered_fragments():
    """(template, block) pairs rendered as fragments during the walks."""
    seen = set()
    return seen


@pytest.fixture
def record_fragments(monkeypatch, rendered_fragments):
    original_block, original_blocks = htmx_module.render_block, htmx_module.render_blocks
    original_inherited = htmx_module.render_inherited_block

    def inherited(template, name, **ctx):
        rendered_fragments.add((template, name))
        return original_inherited(template, name, **ctx)

    def block(template, name, **ctx):
        rendered_fragments.add((template, name))
        return original_block(template, name, **ctx)

    def blocks(template, names, **ctx):
        rendered_fragments.update((template, name) for name in names)
        return original_blocks(template, names, **ctx)

    monkeypatch.setattr(htmx_module, "render_block", block)
    monkeypatch.setattr(htmx_module, "render_blocks", blocks)
    monkeypatch.setattr(htmx_module, "render_inherited_block", inherited)


def _links(html: str) -> list[str]:
    from html.parser import HTMLParser

    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href")
            if tag == "a" and href:
                found.append(href)

    Links().feed(html)
    return found


def _menu(html: str) -> tuple[list[str], int]:
    """The service navigation's links and how many of them are marked aria-current="page"."""
    import re

    nav = re.search(r'<nav[^>]*aria-label="Staff menu".*?</nav>', html, re.S)
    if nav is None:
        return [], 0
    return _links(nav.group(0)), nav.group(0).count('aria-current="page"')


def _menu_problem(adapter, url: str, endpoint: str, html: str, public: bool = False) -> str | None:
    """At most one current item on any page; exactly one where the page's blueprint has a visible
    item (your own account pages and the resident's public pages excepted: they belong to no item)."""
    hrefs, current = _menu(html)
    if current > 1:
        return f"{url}: {current} current menu items"
    blueprints = set()
    for href in hrefs:
        try:
            blueprints.add(adapter.match(urlsplit(href).path)[0].split(".")[0])
        except Exception:
            continue
    blueprint = endpoint.split(".")[0]
    owned = endpoint == "auth.home" or (not public and blueprint != "auth" and blueprint in blueprints)
    if owned and current != 1:
        return f"{url}: no current menu item"
    return None


def _staff_email(role: str) -> str:
    from portal.cli import DEMO_ACCOUNTS

    return next(email for email, _name, roles, _level in DEMO_ACCOUNTS if role in roles)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_walks_the_demo_data_without_a_server_error(demo_app, role, record_fragments):
    limiter.reset()
    client = demo_app.test_client()
    with demo_app.app_context():
        page = client.get("/sign-in")
        resp = client.post("/sign-in", data={"email": _staff_email(role), "password": DEMO_PASSWORD,
                                             "csrf_token": csrf_from(page.text)})
        assert resp.status_code == 303, resp.text[:300]
        queue, seen, problems, per_endpoint, menu_pages = deque(["/staff"]), set(), [], {}, 0
        adapter = demo_app.url_map.bind("localhost")
        while queue and len(seen) < PAGES_PER_ROLE:
            url = queue.popleft()
            if url in seen:
                continue
            try:
                endpoint = adapter.match(urlsplit(url).path)[0]
            except Exception:  # not a route (a 404 to be): visit it once all the same
                endpoint = url
            if per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
                continue
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            seen.add(url)
            full = client.get(url)
            if full.status_code >= 500 or full.status_code == 403:  # no page links to what its viewer may not open
                problems.append(f"{url} -> {full.status_code}")
                continue
            if full.status_code != 200 or full.mimetype != "text/html":
                continue
            menu_problem = _menu_problem(adapter, url, endpoint, full.text,
                                         public=access_rule(demo_app, endpoint) == PUBLIC)
            if menu_problem:
                problems.append(menu_problem)
            menu_pages += 1
            part = client.get(url, headers={"HX-Request": "true", "HX-Target": "main-content"})
            if part.status_code >= 500:
                problems.append(f"{url} (htmx) -> {part.status_code}")
            for href in _links(full.text):
                href = urldefrag(href)[0]
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith(SKIP):
                    continue
                if href.endswith((".csv", ".xlsx")) or "/evidence/" in href:
                    continue
                if href not in seen:
                    queue.append(href)
        assert problems == [], f"{role}: " + "; ".join(problems)
        assert len(seen) >= 3, f"{role} reached only {sorted(seen)}"
        assert menu_pages >= 3


def test_every_get_fragment_was_rendered(rendered_fragments):
    """Runs after the walks (same module): each listed fragment was reached, and nothing unlisted."""
    assert rendered_fragments, "the walks rendered no fragment at all"
    assert GET_FRAGMENTS - rendered_fragments == set(), "fragments no walk reached"
    named = {pair for pair in rendered_fragments if pair[1] != "main_content"}  # the whole body is generic
    assert named - GET_FRAGMENTS - POLLED_FRAGMENTS == set(), "fragments to add to GET_FRAGMENTS"
