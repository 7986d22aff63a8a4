"""The reports pages through the real app: access, the tables on the page, exports matching them."""

import csv
import html
import io
import re
import sys
import types
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.reports import sections

QUERY = "start=1&start=9&start=2026&end=31&end=10&end=2026"


def page_tables(text: str) -> dict[str, list[list[str]]]:
    """Every report table on the page as rows of cell text (header row first)."""
    found = {}
    for key, body in re.findall(r'<div class="app-report-table" id="table-([\w-]+)">(.*?)</table>', text, re.S):
        rows = []
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                     for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
            rows.append(cells)
        found[key] = rows
    return found


def normalise(cell: str) -> str:
    """Page text → export text: no thousands separators, units or pound sign; a dash is empty."""
    try:
        return datetime.strptime(cell, "%d %b %Y").date().isoformat()
    except ValueError:
        pass
    cell = cell.replace(",", "").replace("%", "").replace("£", "")
    return "" if cell == "–" else cell


def canon(value):
    """Compare numbers as numbers (Excel gives 100 back for 100.0), text as text."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def export_body(rows):
    """Rows after the caption, the three filter lines and the blank line."""
    return rows[5:]


SECTION_PAGES = {  # each section's page and the headings it shows
    "referrals": ("Demand",), "waiting-times": ("Responsiveness",), "equipment": ("Community equipment",),
    "telecare": ("Telecare installs against target",),
    "dfg": ("Disabled Facilities Grants: time from enquiry to completion",), "outcomes": ("Outcomes",)}
REPORT_URLS = ("/reports/", *(f"/reports/{slug}" for slug in SECTION_PAGES), "/reports/board")


def all_tables(client, query: str) -> dict[str, list[list[str]]]:
    """Every report table on every section page."""
    found = {}
    for slug in SECTION_PAGES:
        found.update(page_tables(client.get(f"/reports/{slug}?{query}").text))
    return found


def headline_figures(text: str) -> dict[str, tuple[str, str]]:
    """The headline figures page: name -> (value as shown, the link to its table)."""
    rows = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>.*?data-table="[\w-]+">(.*?)</span>'
                      r'.*?<a class="govuk-link" href="([^"]+)"', text, re.S)
    return {html.unescape(name).strip(): (html.unescape(value).strip(), html.unescape(href))
            for name, value, href in rows}


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in (*REPORT_URLS, f"/reports/export/demand-by-source.csv?{QUERY}"):
        resp = client.get(url)
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/sign-in"), url


@pytest.mark.parametrize("role", ["triage_officer", "occupational_therapist", "stores_officer", "dfg_caseworker",
                                  "telecare_installer", "trusted_assessor"])
def test_other_staff_are_refused(client, staff, role):
    staff.login_as(role)
    for url in (*REPORT_URLS, f"/reports/export/demand-by-source.csv?{QUERY}", "/reports/board?period=2026-09"):
        assert client.get(url).status_code == 403, url
    home = client.get("/staff").text
    assert ">Reports<" not in home and 'href="/reports' not in home


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_headline_figures_then_each_section(client, staff, dataset, role):
    staff.login_as(role)
    resp = client.get(f"/reports/?{QUERY}")
    assert resp.status_code == 200
    text = resp.text
    assert text.count("<h1") == 1 and " style=" not in text and "<script>" not in text
    assert ">Headline figures</h1>" in text
    assert "Showing 1 September 2026 to 31 October 2026, all localities." in text
    assert set(headline_figures(text)) >= {"Referrals received", "Open referrals overdue now", "Assessed within target"}
    assert 'href="/reports/"' in text  # the service navigation's item
    charts = 0
    for slug, headings in SECTION_PAGES.items():
        resp = client.get(f"/reports/{slug}?{QUERY}")
        assert resp.status_code == 200, slug
        page = resp.text
        assert page.count("<h1") == 1 and " style=" not in page, slug
        assert "Showing 1 September 2026 to 31 October 2026, all localities." in page
        for heading in headings:
            assert f">{heading}</h2>" in page, slug
        assert page.count('aria-current="page"') == 2, slug  # its sub navigation item and the service navigation's
        assert f'aria-current="page" href="/reports/{slug}?{html.escape(QUERY)}"' in page, slug
        assert 'scope="col"' in page and "govuk-table__cell--numeric" in page, slug
        charts += page.count('role="img"')
    assert charts >= 8


def test_the_sections_keep_the_filters_in_their_links(client, staff, dataset):
    staff.login_as("manager")
    query = f"{QUERY}&locality=South"
    text = client.get(f"/reports/waiting-times?{query}").text
    nav = re.search(r'<nav class="moj-sub-navigation".*?</nav>', text, re.S).group(0)
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', nav)]
    assert links[0] == f"/reports/?{query}"
    assert links[1:-1] == [f"/reports/{slug}?{query}" for slug in SECTION_PAGES]
    assert links[-1] == "/reports/board?locality=South"  # the board report has its own period
    form = re.search(r'<form method="get" action="([^"]+)"', text)
    assert form and form.group(1) == "/reports/waiting-times"  # the filters apply to the page they are on
    assert 'name="locality"' in text and '<option selected value="South">' in text.replace(
        'value="South" selected', 'selected value="South"')
    export = re.search(r'href="(/reports/export/responsiveness-contact\.csv\?[^"]+)"', text).group(1)
    assert "locality=South" in html.unescape(export) and "start=2026" in html.unescape(export)
    headlines = headline_figures(client.get(f"/reports/?{query}").text)
    assert all(href.startswith("/reports/") and f"?{query}#heading-" in href for _, href in headlines.values())


def test_the_headline_figures_agree_with_the_sections(client, staff, dataset):
    """Each headline figure is the figure in the table its link opens, on its section's own page."""
    staff.login_as("manager")
    headlines = headline_figures(client.get(f"/reports/?{QUERY}").text)
    tables = {}
    for name, (_value, href) in headlines.items():
        path, key = href.split("#heading-")
        page = client.get(path).text
        assert f'id="heading-{key}"' in page, name
        tables[key] = page_tables(page)[key]
    received = sum(int(row[1].replace(",", "")) for row in tables["demand-by-month"][1:])
    assert headlines["Referrals received"][0] == f"{received:,}" == "5"
    overdue = tables["responsiveness-overdue"][1:]
    assert headlines["Open referrals overdue now"][0] == (
        f"{sum(int(r[2]) for r in overdue)} of {sum(int(r[1]) for r in overdue)} open") == "2 of 4 open"
    assessed = tables["responsiveness-assessment"][1:]
    due, in_time = sum(int(r[2]) for r in assessed), sum(int(r[3]) for r in assessed)
    assert headlines["Assessed within target"][0] == f"{100 * in_time / due:.1f}%"
    median = tables["responsiveness-waits"][-1]
    assert median[0] == "All priorities" and headlines["Median wait for assessment"][0] == f"{median[2]} days"


def test_the_default_range_is_the_last_three_months(client, staff):
    staff.login_as("manager")
    text = client.get("/reports/").text
    assert re.search(r'name="start"[^>]*value="\d+"', text)
    assert "Showing " in text


def test_bad_dates_show_an_error_summary(client, staff):
    staff.login_as("manager")
    resp = client.get("/reports/?start=31&start=2&start=2026&end=1&end=1&end=2026")
    assert resp.status_code == 200
    assert "<title>Error: " in resp.text and "Enter a real start date" in resp.text
    resp = client.get("/reports/?start=1&start=10&start=2026&end=1&end=9&end=2026")
    assert "The end date must be the same as or after the start date" in resp.text


def test_locality_filter(client, staff, dataset):
    staff.login_as("manager")
    text = client.get(f"/reports/referrals?{QUERY}&locality=North").text
    assert "Showing 1 September 2026 to 31 October 2026, North." in text
    assert page_tables(text)["demand-by-source"][1] == ["GP", "2", "100.0%"]
    for url in ("/reports/", "/reports/referrals"):
        assert client.get(f"{url}?{QUERY}&locality=Atlantis").text.count("Select a locality from the list") == 2


def test_every_export_matches_its_table_and_is_audited(client, staff, dataset, db_session):
    user = staff.login_as("manager")
    query = f"{QUERY}&locality=South"
    shown = all_tables(client, query)
    assert len(shown) >= 10
    for key, rows in shown.items():
        if rows[1:] and len(rows[1]) == 1:  # "No records in this period."
            rows = rows[:1]
        resp = client.get(f"/reports/export/{key}.csv?{query}")
        assert resp.status_code == 200 and resp.mimetype == "text/csv", key
        assert f'filename="{key}_2026-09-01_2026-10-31_South.csv"' in resp.headers["Content-Disposition"]
        exported = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
        assert exported[1:4] == [["From", "2026-09-01"], ["To", "2026-10-31"], ["Locality", "South"]]
        assert export_body(exported)[0] == rows[0], key  # the header, word for word
        assert export_body(exported)[1:] == [[normalise(c) for c in row] for row in rows[1:]], key

        resp = client.get(f"/reports/export/{key}.xlsx?{query}")
        assert resp.status_code == 200, key
        sheet = load_workbook(io.BytesIO(resp.data)).active
        cells = [[canon(v.date().isoformat() if isinstance(v, datetime) else v) for v in r]
                 for r in sheet.iter_rows(values_only=True)]
        body = [r[:len(rows[0])] for r in export_body(cells)[:len(rows)]]
        assert body == [[canon(v) for v in r] for r in export_body(exported)], key
    events = list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")))
    assert len(events) == 2 * len(shown)
    assert events[0].actor_id == user.id
    assert events[0].details["locality"] == "South" and events[0].details["start"] == "2026-09-01"


def test_unknown_exports_are_not_found(client, staff):
    staff.login_as("admin")
    assert client.get(f"/reports/export/demand-nothing.csv?{QUERY}").status_code == 404
    assert client.get(f"/reports/export/demand-by-source.pdf?{QUERY}").status_code == 404


def test_board_report_compares_with_the_previous_two_months(client, staff, dataset):
    staff.login_as("manager")
    resp = client.get("/reports/board?period=2026-09")
    assert resp.status_code == 200
    text = resp.text
    assert "<h1 class=\"govuk-heading-l\">September to October 2026</h1>" in text
    assert "Compared with July to August 2026" in text
    assert text.count("<h1") == 1 and " style=" not in text
    row = re.search(r"Referrals received</th>(.*?)</tr>", text, re.S).group(1)
    assert ">5<" in row and ">2<" in row and "Up 3" in row  # R3 and R10 arrived in July and August
    assert "What the measures mean" in text and "Half of the people assessed" in text
    assert client.get("/reports/board?period=nonsense").status_code == 400
    assert client.get("/reports/board").status_code == 200


def test_a_dfg_or_telecare_section_appears_when_its_module_lands(client, staff, monkeypatch):
    fake = types.ModuleType("portal.telecare.services")

    def figures(session, start, end, locality=None):
        return {"installs_per_month": [{"month": "2026-09", "installs": 12}, {"month": "2026-10", "installs": 9}],
                "connections_by_line_type": {"digital": 2000, "analogue": 755},
                "install_rate_percent": 93.2, "analogue_remaining": 755}

    fake.figures = figures
    monkeypatch.setitem(sys.modules, "portal.telecare.services", fake)
    assert any(p.__name__ == "telecare" for p in sections.providers())
    staff.login_as("manager")
    text = client.get(f"/reports/telecare?{QUERY}").text
    assert ">Telecare</h2>" in text
    tables = page_tables(text)
    assert tables["telecare-installspermonth"][1:] == [["Sep 2026", "12"], ["Oct 2026", "9"]]
    assert ["Install rate percent", "93.2"] in tables["telecare-measures"]
    resp = client.get(f"/reports/export/telecare-installspermonth.csv?{QUERY}")
    assert export_body(list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")))))[1] == ["Sep 2026", "12"]


def test_without_the_modules_there_is_no_dfg_or_telecare_section(monkeypatch):
    monkeypatch.setitem(sys.modules, "portal.dfg.services", None)  # import fails
    assert all(p.__name__ != "dfg" for p in sections.providers())
    assert date(2026, 9, 1)  # keeps the import used
