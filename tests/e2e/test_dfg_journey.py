"""DFG in a browser: a resident's enquiry, then a caseworker takes it to approval. axe-core on each page."""

import re

from playwright.sync_api import expect

from portal.timeutil import today
from tests.e2e.conftest import sign_in


def test_public_enquiry_to_approval(page, base_url, axe, csp_violations):
    day = today()
    # The resident ------------------------------------------------------------------------------
    page.goto(base_url + "/")
    page.get_by_role("link", name="Ask about a Disabled Facilities Grant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask about a Disabled Facilities Grant")
    axe(page)
    page.get_by_role("button", name="Start now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Who is the grant for?")
    page.get_by_role("button", name="Continue").click()  # nothing chosen: an error
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select who the grant is for")
    axe(page)
    page.get_by_label("An adult (18 or over)").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Who owns the home?")
    axe(page)
    page.get_by_label("Owner-occupier").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What is hard to do at home?")
    axe(page)
    page.get_by_label("Getting up and down stairs").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("What is your name")
    axe(page)
    page.get_by_label("First name").fill("Edith")
    page.get_by_label("Last name").fill("Cavell")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What is their date of birth?")
    axe(page)
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("12")
    page.get_by_label("Year").fill("1944")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("What is the address")
    axe(page)
    page.get_by_label("Address line 1").fill("7 Beech Grove")
    page.get_by_label("Town or city").fill("Ashdown")
    page.get_by_label("Postcode").fill("AD3 4EF")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How can we contact you?")
    axe(page)
    page.get_by_label("Phone number (optional)").fill("01632 960123")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending your enquiry")
    axe(page)
    page.get_by_role("button", name="Send enquiry").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Enquiry sent")
    axe(page)
    reference = re.search(r"DFG-[A-Z0-9]{6}", page.locator(".govuk-panel__body").inner_text()).group(0)

    # The caseworker ----------------------------------------------------------------------------
    sign_in(page, base_url, "dfg@demo.council.example")
    page.get_by_role("link", name="DFG cases").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Disabled Facilities Grant cases")
    page.get_by_label("Search", exact=True).fill(reference)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".moj-filter__tag", has_text=reference)).to_be_visible()  # removable, as a tag
    axe(page)
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(page.locator(".moj-identity-bar__title")).to_have_text("Edith Cavell")
    axe(page)
    overview = page.url

    def section(name):
        page.locator(".moj-sub-navigation").get_by_role("link", name=name).click()

    page.get_by_role("button", name="Start eligibility checks").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Eligibility checks started")
    page.get_by_role("link", name="Record the test of resources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the test of resources")
    axe(page)
    page.get_by_label("Yes – nil contribution").check()
    page.get_by_label("Passporting benefit").fill("Pension Credit (guarantee credit)")
    page.get_by_role("button", name="Record test of resources").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("contribution £0.00")
    axe(page)  # the money section
    section("Overview")
    page.get_by_role("button", name="Ask for the OT recommendation").click()

    page.get_by_role("link", name="Record the OT recommendation").first.click()
    page.get_by_label("What the OT recommends").fill("Straight stairlift")
    page.get_by_label("Why", exact=True).fill("Cannot manage the stairs safely; falls risk")
    page.get_by_role("group", name="Are the works necessary and appropriate?").get_by_label("Yes").check()
    page.get_by_label("Or the OT's name").fill("Olivia Turner")
    page.get_by_role("button", name="Record recommendation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("OT recommendation recorded")
    axe(page)
    page.get_by_role("button", name="Go on to survey and quotes").click()

    page.get_by_role("link", name="Change works").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the case details")
    page.get_by_label("Stairlift").check()
    page.get_by_role("button", name="Save details").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Case details saved")
    for contractor, amount in (("Northern Lifts", "4200"), ("Ashdown Mobility Ltd", "4650")):
        page.get_by_role("link", name="Add a quote").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a quote")
        page.get_by_label("Contractor", exact=True).fill(contractor)
        page.get_by_label("Amount (£)").fill(amount)
        page.get_by_label("Day").fill(str(day.day))  # a quote cannot be older than the enquiry
        page.get_by_label("Month").fill(str(day.month))
        page.get_by_label("Year").fill(str(day.year))
        page.get_by_role("button", name="Add quote").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Quote added")
    page.get_by_role("button", name="Choose the quote from Northern Lifts").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Quote chosen")
    axe(page)  # the quotes and payments section
    section("Overview")
    page.get_by_role("link", name="Record the full application").click()
    axe(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Decision due by")

    page.locator(".moj-page-header-actions").get_by_role("link", name="Approve grant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve the grant")
    page.get_by_label("Discretionary assistance (£, optional)").fill("500")
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the policy reason")
    axe(page)
    expect(page.get_by_label("Year")).to_have_value(str(day.year))  # the answers are kept
    page.get_by_label("Discretionary assistance (£, optional)").fill("")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your decision: approve the grant")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Northern Lifts, £4,200")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Total approved£4,200")
    axe(page)
    page.get_by_role("button", name="Approve the grant of £4,200", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Grant approved: £4,200.00")
    expect(page).to_have_url(overview)
    expect(page.locator(".govuk-tag", has_text="Approved")).to_be_visible()
    axe(page)
    assert csp_violations == []
