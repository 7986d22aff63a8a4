"""Issue 20's screens in a browser, on the demo data (issue 20, "Tests").

- Every page the issue names, as each role meets it, is saved as a full-page screenshot at 1280 px
  and 390 px (artefacts: <role>-<page>-<width>.png in $E2E_ARTEFACTS or tests/e2e/artefacts/), is
  axe-core clean (no serious or critical WCAG 2.2 AA violation), has one h1, does not scroll
  sideways, and marks exactly one item of the service navigation as the current page (none on the
  resident's public pages).
- Every converted list reaches its last row by following "Next" (READY_LISTS in screens.py).
- The triage queue's filters survive Back and reload, and come off one by one or all at once.

The pages and hooks are listed in tests/e2e/screens.py.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from portal.auth.roles import TRIAGE_OFFICER
from tests.e2e.conftest import axe_violations
from tests.e2e.screens import (
    LISTS_WALKED_ELSEWHERE,
    READY_LISTS,
    SCROLLS_SIDEWAYS_UNTIL_CONVERTED,
    STAFF_SCREENS,
    fill,
)
from tests.e2e.test_advice_journey import take_assessment
from tests.e2e.test_referral_journey import ask_for_help

MENU_CURRENT = 'nav[aria-label="Staff menu"] [aria-current="page"]'
ANY_MENU_CURRENT = '.govuk-service-navigation [aria-current="page"]'
ROWS = "#list tbody > tr"
NEXT = '#list .govuk-pagination a[rel="next"]'
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "start"


def where(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def look_at(page, artefacts, stem: str, staff: bool, may_scroll: bool = False) -> list[str]:
    """Check the page (one h1, the menu's current item, axe, no sideways scrolling at either
    width) and save it at both widths; return the problems found, so one bad page does not stop
    the rest being looked at. `may_scroll`: a page on SCROLLS_SIDEWAYS_UNTIL_CONVERTED."""
    problems = []
    headings = page.locator("main h1").count()
    if headings != 1:
        problems.append(f"{where(page)}: {headings} h1 headings in <main>, not one")
    current = page.locator(MENU_CURRENT if staff else ANY_MENU_CURRENT).count()
    if current != (1 if staff else 0):
        problems.append(f"{where(page)}: {current} current items in the service navigation, "
                        f"not {'one' if staff else 'none'}")
    problems += [f"{where(page)}: axe: {line}" for line in axe_violations(page)]
    widths = []
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            widths.append(f"{width} px wide at {viewport['width']} px")
        page.screenshot(path=artefacts / f"{stem}-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(WIDE)
    if widths and not may_scroll:
        problems.append(f"{where(page)}: the page scrolls sideways ({', '.join(widths)}); "
                        "a wide table scrolls in its own region (.app-table-scroll)")
    elif may_scroll and not widths:
        problems.append(f"{where(page)} no longer scrolls sideways: take it off "
                        "SCROLLS_SIDEWAYS_UNTIL_CONVERTED in tests/e2e/screens.py")
    return problems


def list_count(page) -> int:
    """The number in the count heading: "234 referrals", "1,234 assets", "No orders match"."""
    heading = page.locator("#list-count").inner_text()
    found = re.match(r"\s*([\d,]+)\s", heading)
    assert found or heading.strip().startswith("No "), f"count heading {heading!r} on {where(page)}"
    return int(found.group(1).replace(",", "")) if found else 0


@pytest.mark.parametrize("role", list(STAFF_SCREENS))
def test_every_screen_at_both_widths(signed_in, demo_url, artefacts, role):
    page = signed_in(role)
    problems, seen, known = [], set(), {}

    def visit(path: str, stem: str, template: str = ""):
        seen.add(path)
        response = page.goto(demo_url + path)
        if response is None or response.status != 200:
            problems.append(f"{path}: status {response.status if response else 'none'} for {role}")
            return False
        problems.extend(look_at(page, artefacts, f"{role}-{stem}", staff=True,
                                may_scroll=template in SCROLLS_SIDEWAYS_UNTIL_CONVERTED))
        ready = {template.format(**known) for template in READY_LISTS
                 if set(re.findall(r"\{(\w+)\}", template)) <= set(known)}
        if page.locator("#list-count").count() and urlsplit(path).path not in ready | LISTS_WALKED_ELSEWHERE:
            problems.append(f"{path} is a list page now: add it to READY_LISTS in tests/e2e/screens.py")
        return True

    for screen in STAFF_SCREENS[role]:
        if not visit(fill(page, demo_url, screen.path, known), screen.name, screen.path):
            continue
        sections = page.locator('nav.moj-sub-navigation a:not([aria-current="page"])')
        for text, href in [(a.inner_text(), a.get_attribute("href")) for a in sections.all()]:
            target = urlsplit(href)
            path = target.path + (f"?{target.query}" if target.query else "")
            if target.path and path not in seen:
                visit(path, f"{screen.name}-{slug(text)}")
    assert problems == [], "\n".join(problems)


def test_public_pages_at_both_widths(browser, demo_url, artefacts):
    """Ask for help, page by page to "Request sent", the self-assessment's interruption page
    after a danger answer, and a report in large print and Easy Read."""
    context = browser.new_context(viewport=WIDE)
    context.set_default_timeout(8000)
    page = context.new_page()
    problems, seen = [], set()

    def look(page):
        stem = "public-" + slug(urlsplit(page.url).path)
        if stem not in seen:
            seen.add(stem)
            problems.extend(look_at(page, artefacts, stem, staff=False))

    ask_for_help(page, demo_url, look, "Screens")

    page.goto(demo_url + "/advice/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Myself").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Bathing and showering").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Someone has fallen and cannot get up").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    look(page)

    take_assessment(page, demo_url, lambda _page: None)  # the report in its other formats
    report_url = page.url
    for link, stem in (("Large print version of this report", "large-print"),
                       ("Easy Read version: a short summary with pictures", "easy-read")):
        page.goto(report_url)
        page.get_by_role("link", name=link).click()
        problems.extend(look_at(page, artefacts, f"public-advice-report-{stem}", staff=False))
    context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("path", list(READY_LISTS))
def test_every_list_reaches_its_last_row_through_pagination(signed_in, demo_url, path):
    """Follow "Next" (an htmx swap that pushes the URL) until there is none: every row is met once,
    and as many rows as the count heading says. A row is told from the others by its `id` where it has
    one, else by its text."""
    page = signed_in(READY_LISTS[path])
    page.goto(demo_url + fill(page, demo_url, path, {}))
    total = list_count(page)
    rows, pages = [], 0
    while True:
        pages += 1
        expect(page.locator(MENU_CURRENT)).to_have_count(1)
        # a row is its id where it has one (two audit entries can read the same), else its text
        rows += page.locator(ROWS).evaluate_all("rows => rows.map(row => row.id || row.innerText)")
        following = page.locator(NEXT)
        if not following.count():
            break
        assert pages < 1000, f"{path}: still a next page after 1,000"
        url = page.url
        following.click()
        page.wait_for_url(lambda now, url=url: now != url)  # htmx pushed the next page's URL
        expect(page.locator(".govuk-pagination__item--current")).to_have_text(str(pages + 1))
        assert parse_qs(urlsplit(page.url).query).get("page") == [str(pages + 1)]
    assert total > 0, f"{path}: the demo data has nothing in this list, so it proves nothing"
    assert len(rows) == total, f"{path}: {len(rows)} rows over {pages} pages, the heading says {total}"
    assert len(set(rows)) == len(rows), f"{path}: a row is shown on two pages"
    if pages > 1:  # the last page, loaded afresh from its URL, is the same last page
        last = page.locator(ROWS).all_inner_texts()
        page.reload()
        assert page.locator(ROWS).all_inner_texts() == last


def test_filter_state_survives_back_and_reload(signed_in, demo_url):
    page = signed_in(TRIAGE_OFFICER)
    page.goto(demo_url + "/referrals")
    everything = list_count(page)
    panel = page.locator(".moj-filter")
    expect(panel.locator(".moj-filter__tag")).to_have_count(0)

    panel.get_by_label("Priority").select_option(label="Routine")
    panel.get_by_label("Overdue only").check()
    panel.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"[?&]overdue=yes"))  # htmx swapped the list and pushed the URL
    filtered_url = page.url
    query = parse_qs(urlsplit(filtered_url).query)
    assert query.get("priority") == ["routine"] and query.get("overdue") == ["yes"], filtered_url
    tags = panel.locator(".moj-filter__tag")
    expect(tags).to_have_count(2)
    expect(tags.filter(has_text="Routine")).to_have_count(1)
    expect(tags.filter(has_text="Overdue only")).to_have_count(1)
    count = page.locator("#list-count").inner_text()
    assert 0 < list_count(page) < everything, count

    def same_filtered_view():
        assert page.url == filtered_url
        expect(page.locator("#list-count")).to_have_text(count)
        expect(page.locator(".moj-filter").get_by_label("Priority")).to_have_value("routine")
        expect(page.locator(".moj-filter").get_by_label("Overdue only")).to_be_checked()
        expect(page.locator(".moj-filter .moj-filter__tag")).to_have_count(2)
        expect(page.locator(MENU_CURRENT)).to_have_count(1)

    reference = page.locator(f"{ROWS} a[href*='/referrals/']").first
    opened = reference.inner_text()
    reference.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert opened in page.locator("main").inner_text()
    page.go_back()
    same_filtered_view()
    page.reload()
    same_filtered_view()

    # Take one filter off with its tag: the other stays, in the URL and in the panel.
    page.locator(".moj-filter__tag", has_text="Routine").click()
    page.wait_for_url(lambda url: "priority=" not in url)
    assert parse_qs(urlsplit(page.url).query).get("overdue") == ["yes"]
    expect(page.locator(".moj-filter .moj-filter__tag")).to_have_count(1)
    expect(page.locator(".moj-filter").get_by_label("Priority")).to_have_value("")
    expect(page.locator(".moj-filter").get_by_label("Overdue only")).to_be_checked()
    assert list_count(page) >= int(re.match(r"\s*([\d,]+)", count).group(1).replace(",", ""))

    # Clear filters: the whole list again, and Back returns to the filtered view it came from.
    one_filter_url = page.url
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(lambda url: "overdue=" not in url)
    assert not {"priority", "overdue"} & set(parse_qs(urlsplit(page.url).query))
    expect(page.locator(".moj-filter .moj-filter__tag")).to_have_count(0)
    expect(page.get_by_role("link", name="Clear filters")).to_have_count(0)
    assert list_count(page) == everything
    page.go_back()
    page.wait_for_url(one_filter_url)
    expect(page.locator(".moj-filter").get_by_label("Overdue only")).to_be_checked()
    expect(page.locator(".moj-filter .moj-filter__tag")).to_have_count(1)
