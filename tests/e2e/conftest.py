"""Browser tests: Playwright driving Debian's Chromium against the app served from a thread."""

import json
import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal.extensions import db, write_intent
from tests.conftest import PASSWORD, make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
AXE_VERSIONS = json.loads((ROOT / "static/vendor/VERSIONS.json").read_text()) if (
    ROOT / "static/vendor/VERSIONS.json").exists() else {}
AXE_PATH = ROOT / f"static/vendor/axe-core-{AXE_VERSIONS.get('axe-core', '')}/axe.min.js"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if CHROMIUM is None:
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A separate database that the journeys really commit to."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("e2e") / "e2e.db")
    app = make_app(url)
    with app.app_context():
        upgrade(revision="heads")
        from portal.cli import seed_demo_staff

        with write_intent():
            seed_demo_staff(db.session, PASSWORD)
            db.session.commit()
    return app


@contextmanager
def serving(app):
    """The app served from a thread on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """A second app holding the demo data, loaded as `make run` loads it: the screens are looked at
    (screenshots, axe, lists to their last row) with a realistic amount of work on them. Nothing
    in these tests depends on exact demo figures."""
    from tests.integration.proof.conftest import demo_app_on_its_own_database

    with demo_app_on_its_own_database(tmp_path_factory, "e2e_demo", PASSWORD) as app:
        yield app


@pytest.fixture(scope="session")
def demo_url(demo_app):
    with serving(demo_app) as url:
        yield url


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """Where screenshots are kept: $E2E_ARTEFACTS, or tests/e2e/artefacts/ (not committed)."""
    folder = Path(os.environ.get("E2E_ARTEFACTS") or ROOT / "tests/e2e/artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_email(role: str) -> str:
    from portal.cli import DEMO_ACCOUNTS

    return next(email for email, _name, roles, _level in DEMO_ACCOUNTS if role in roles)


@pytest.fixture(scope="session")
def signed_in(browser, demo_url):
    """signed_in(role) -> a page signed in to the demo data as that role's demo account, one
    browser context per role for the whole run (signing in once, not once a test)."""
    pages = {}

    def open_as(role: str):
        if role not in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(8000)
            page = context.new_page()
            sign_in(page, demo_url, demo_email(role))
            page.wait_for_url(re.compile(r"/staff"))
            pages[role] = page
        return pages[role]

    yield open_as
    for page in pages.values():
        page.context.close()


def _without_known_govuk_issue(violation: dict) -> dict:
    """GOV.UK Frontend's conditional reveal sets aria-expanded on the radio or checkbox that
    reveals the question. ARIA does not list it for those roles, so axe flags it; the GOV.UK team
    keep it on purpose because screen readers announce it, and list it as a known issue
    (alphagov/govuk-frontend#979, #1280). Only that attribute on those inputs is let through."""
    if violation["id"] != "aria-allowed-attr":
        return violation
    nodes = [n for n in violation["nodes"]
             if not (re.search(r'class="govuk-(radios|checkboxes)__input"', n.get("html", ""))
                     and 'aria-controls="conditional-' in n.get("html", "")
                     and re.fullmatch(r"Fix all of the following:\s+ARIA attribute is not allowed: "
                                      r"aria-expanded=\"(true|false)\"\s*", n.get("failureSummary", "")))]
    return {**violation, "nodes": nodes}


def axe_violations(page) -> list[str]:
    """axe-core's serious or critical WCAG 2.2 AA violations on the page, one line each."""
    page.evaluate(AXE_PATH.read_text())  # through DevTools: the page's CSP rightly blocks an injected <script>
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag', values:
        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in map(_without_known_govuk_issue, result["violations"])
            if v["nodes"] and v["impact"] in ("serious", "critical")]


@pytest.fixture
def axe():
    """Run axe-core on the page; fail on serious or critical WCAG 2.2 AA violations."""

    def check(page):
        bad = axe_violations(page)
        assert bad == [], f"axe violations on {page.url}:\n" + "\n".join(bad)

    return check


@pytest.fixture
def csp_violations(page):
    messages = []
    page.on("console", lambda msg: messages.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    return messages


def sign_in(page, base_url, email: str):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(autouse=True)
def _short_timeouts(request):
    """Fail in seconds, not half a minute, when something is missing."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(8000)
