"""A manager filters the dashboard, downloads a table and opens the board report; axe-clean throughout."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from portal.extensions import db, write_intent
from portal.people.services import create_person
from portal.referrals import services
from tests.e2e.conftest import sign_in


@pytest.fixture
def some_referrals(live_app):
    with live_app.app_context(), write_intent():
        for i, (locality, source) in enumerate([("North", "gp"), ("South", "self"), ("North", "hospital_discharge")]):
            person = create_person(db.session, "e2e", given_name="Rita", family_name=f"Reports{i}",
                                   date_of_birth=datetime(1941, 3, 2).date(), address_line_1=f"{i} Long Lane",
                                   postcode="AB1 2CD", locality=locality)
            services.create_referral(db.session, "e2e", person=person, source=source, needs=["equipment"],
                                     help_wanted="Help at home", submission_key=services.new_submission_key(),
                                     priority="routine", received_at=datetime(2026, 9, 10 + i, 10, 0))
        db.session.commit()
        db.session.remove()


def test_manager_reads_filters_exports_and_prints(page, base_url, axe, csp_violations, some_referrals):
    sign_in(page, base_url, "manager@demo.council.example")
    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Headline figures")
    axe(page)

    for prefix, (d, m, y) in (("start", ("1", "9", "2026")), ("end", ("31", "10", "2026"))):
        page.locator(f"#{prefix}-day").fill(d)
        page.locator(f"#{prefix}-month").fill(m)
        page.locator(f"#{prefix}-year").fill(y)
    page.get_by_label("Locality", exact=True).select_option("North")
    page.get_by_role("button", name="Apply filters").click()
    showing = page.get_by_text("Showing 1 September 2026 to 31 October 2026, North.")
    expect(showing).to_be_visible()
    axe(page)
    # a headline figure leads to its section's page, with the same filters
    page.get_by_role("link", name="See the figures for referrals received").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    expect(showing).to_be_visible()
    expect(page.get_by_label("Locality", exact=True)).to_have_value("North")
    table = page.locator("#table-demand-by-source table")
    expect(table.get_by_role("row", name="GP 1 50.0%")).to_be_visible()
    expect(page.get_by_role("img", name="Chart: Referrals by source")).to_be_visible()
    axe(page)

    with page.expect_download() as download:
        page.locator("#table-demand-by-source").get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "demand-by-source_2026-09-01_2026-10-31_North.csv"

    page.locator(".moj-sub-navigation").get_by_role("link", name="Board report").click()
    page.get_by_label("Two-month period").select_option("2026-09")
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("September to October 2026")
    expect(page.get_by_text("Compared with July to August 2026")).to_be_visible()
    axe(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Show report")).to_be_hidden()
    assert csp_violations == []


def test_other_staff_cannot_open_reports(page, base_url):
    sign_in(page, base_url, "triage@demo.council.example")
    expect(page.get_by_role("link", name="Reports")).to_have_count(0)
    resp = page.goto(f"{base_url}/reports/")
    assert resp.status == 403
