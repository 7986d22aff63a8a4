"""The screens of issue 20 ("Screens staff can work in all day"), as data the browser tests walk.

Every page is named by a path; `{referral}`, `{person}`, `{case}`, `{store}`, `{order}` and `{job}`
are filled in with the first record of the kind the role is shown (`fill`). Add a page by adding a `Screen`.

The hooks the tests rely on, which every page built on `templates/web/list_page.html` and
`templates/web/record_page.html` has: `main h1`; `nav[aria-label="Staff menu"]` (the service
navigation); on a list page `#list` (the list), `#list-count` (the count heading, "N things" or
"No things match"), one `#list tbody > tr` per item (with an `id` naming the item where two items
can read the same, as two audit entries in the same minute do), `.govuk-pagination a[rel=next]`, and the
filter form inside `.moj-filter`; on a record page `nav.moj-sub-navigation` (its sections, each
followed and looked at too).
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from portal.auth.roles import (
    ADMIN,
    DFG_CASEWORKER,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TELECARE_INSTALLER,
    TRIAGE_OFFICER,
    TRUSTED_ASSESSOR,
)

# The list pages already converted to the list pattern (templates/web/list_page.html), each with
# the role that opens it. The pagination test walks each of these to its last row. A list page
# that has the pattern's count heading (#list-count) but is missing here fails the screens walk
# (test_every_screen_at_both_widths), so converting a list means adding it here.
READY_LISTS: dict[str, str] = {
    "/referrals": TRIAGE_OFFICER,
    "/caseload": OCCUPATIONAL_THERAPIST,
    "/dfg/cases": DFG_CASEWORKER,
    "/equipment/": STORES_OFFICER,
    "/telecare/": MANAGER,
    "/admin/staff": ADMIN,
    "/equipment/queues/collections": STORES_OFFICER,
    "/equipment/queues/low_stock": STORES_OFFICER,
    "/equipment/queues/cleaning": STORES_OFFICER,
    "/equipment/queues/inspections": STORES_OFFICER,
    "/equipment/queues/warranties": STORES_OFFICER,
    "/equipment/stores/{store}/stock": STORES_OFFICER,
    "/equipment/stores/{store}/assets": STORES_OFFICER,
    "/audit/": ADMIN,
}

# Lists the demo data leaves empty, so walking them proves nothing here: each is walked to its last
# row on data of its own instead. The outbox: no demo person has an email address, so the demo
# sends no email (tests/integration/foundation/test_admin_lists.py walks it).
LISTS_WALKED_ELSEWHERE: set[str] = {"/admin/outbox/"}


# Pages that still scroll sideways on a phone (the page itself, not a wide table in its own
# scrolling region: WCAG 2.2 SC 1.4.10 Reflow), each until its conversion to the list pattern or
# the record layout is merged. The screens walk lets these through, and fails as soon as one no
# longer scrolls sideways, so that it comes off this list; any other page that does fails at once.
SCROLLS_SIDEWAYS_UNTIL_CONVERTED: set[str] = set()


@dataclass(frozen=True)
class Screen:
    name: str  # in the artefact's file name: <role>-<name>-<width>.png
    path: str


# Each role's pages, in the order a member of staff in that role would come to them.
STAFF_SCREENS: dict[str, tuple[Screen, ...]] = {
    TRIAGE_OFFICER: (
        Screen("home", "/staff"),
        Screen("triage-queue", "/referrals"),
        Screen("referral", "/referrals/{referral}"),
        Screen("person", "/people/{person}"),
    ),
    TRUSTED_ASSESSOR: (
        Screen("home", "/staff"),
    ),
    OCCUPATIONAL_THERAPIST: (
        Screen("home", "/staff"),
        Screen("caseload", "/caseload"),
    ),
    DFG_CASEWORKER: (
        Screen("home", "/staff"),
        Screen("dfg-cases", "/dfg/cases"),
        Screen("dfg-case", "/dfg/cases/{case}"),
    ),
    STORES_OFFICER: (
        Screen("home", "/staff"),
        Screen("equipment-queues", "/equipment/"),
        Screen("stores", "/equipment/stores"),
        Screen("store", "/equipment/stores/{store}"),
        Screen("store-stock", "/equipment/stores/{store}/stock"),
        Screen("store-assets", "/equipment/stores/{store}/assets"),
        Screen("order", "/equipment/orders/{order}"),
    ),
    TELECARE_INSTALLER: (
        Screen("home", "/staff"),
        Screen("today", "/telecare/today"),
    ),
    MANAGER: (
        Screen("home", "/staff"),
        Screen("reports", "/reports/"),
        Screen("telecare-jobs", "/telecare/"),
        Screen("job", "/telecare/jobs/{job}"),
        Screen("planner", "/telecare/planner"),
    ),
    ADMIN: (
        Screen("home", "/staff"),
        Screen("staff-accounts", "/admin/staff"),
        Screen("audit-log", "/audit/"),
        Screen("outbox", "/admin/outbox/"),
    ),
}

# The records shown, each found as staff find it: the first link to one on a page the role may
# open (so never a record outside the role's work). Placeholder: (pages to look on, link path).
RECORD_LINKS: dict[str, tuple[tuple[str, ...], str]] = {
    "referral": (("/referrals", "/caseload"), r"/referrals/(\d+)"),
    "person": (("/referrals/{referral}",), r"/people/(\d+)"),
    "case": (("/dfg/cases",), r"/dfg/cases/(\d+)"),
    "store": (("/equipment/stores",), r"/equipment/stores/(\d+)"),
    "order": (("/equipment/",), r"/equipment/orders/(\d+)"),
    "job": (("/telecare/", "/telecare/today"), r"/telecare/jobs/(\d+)"),
}


def _record_on(page, pattern: str) -> str | None:
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        found = re.fullmatch(pattern, urlsplit(href).path)
        if found:
            return found.group(1)
    return None


def fill(page, base_url: str, template: str, known: dict[str, str]) -> str:
    """The template's path with its records found: on the page already open if it links to one,
    else on the first of the placeholder's pages that does. `known` keeps them for the next page."""
    for name in re.findall(r"\{(\w+)\}", template):
        if name in known:
            continue
        sources, pattern = RECORD_LINKS[name]
        found = _record_on(page, pattern) if page.url.startswith(base_url) else None
        for source in sources if found is None else ():
            response = page.goto(base_url + fill(page, base_url, source, known))
            if response is not None and response.status == 200:
                found = _record_on(page, pattern)
                if found:
                    break
        assert found, f"no link to a {name} on {', '.join(sources)} to look at"
        known[name] = found
    return template.format(**known)
