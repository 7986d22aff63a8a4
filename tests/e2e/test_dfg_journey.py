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
    page.get_by_label("Reference, surname or postcode").fill(reference)
    page.get_by_role("button", name="Apply filters").click()
    axe(page)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edith Cavell")
    axe(page)

    page.get_by_role("button", name="Start eligibility checks").click()
    page.get_by_label("Yes – nil contribution").check()
    page.get_by_label("Passporting benefit").fill("Pension Credit (guarantee credit)")
    page.get_by_role("button", name="Record test of resources").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("contribution £0.00")
    axe(page)
    page.get_by_role("button", name="Ask for the OT recommendation").click()

    page.get_by_label("What the OT recommends").fill("Straight stairlift")
    page.get_by_label("Why", exact=True).fill("Cannot manage the stairs safely; falls risk")
    page.get_by_role("group", name="Are the works necessary and appropriate?").get_by_label("Yes").check()
    page.get_by_label("Or the OT's name").fill("Olivia Turner")
    page.get_by_role("button", name="Record recommendation").click()
    axe(page)
    page.get_by_role("button", name="Go on to survey and quotes").click()

    page.get_by_text("Change case details").click()
    page.get_by_label("Stairlift").check()
    page.get_by_role("button", name="Save details").click()
    for contractor, amount in (("Northern Lifts", "4200"), ("Ashdown Mobility Ltd", "4650")):
        page.get_by_label("Contractor", exact=True).first.fill(contractor)
        page.get_by_label("Amount (£)").fill(amount)
        quote = page.locator("form", has=page.get_by_role("button", name="Add quote"))
        quote.get_by_label("Day").fill(str(day.day))  # a quote cannot be older than the enquiry
        quote.get_by_label("Month").fill(str(day.month))
        quote.get_by_label("Year").fill(str(day.year))
        page.get_by_role("button", name="Add quote").click()
    page.get_by_role("button", name="Choose the quote from Northern Lifts").click()
    axe(page)
    page.get_by_role("button", name="Record full application").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Decision due by")

    approval = page.locator("form", has=page.get_by_role("button", name="Approve grant"))
    approval.get_by_label("Discretionary assistance (£, optional)").fill("500")
    approval.get_by_label("Day").fill(str(day.day))
    approval.get_by_label("Month").fill(str(day.month))
    approval.get_by_label("Year").fill(str(day.year))
    page.get_by_role("button", name="Approve grant").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the policy reason")
    axe(page)
    approval = page.locator("form", has=page.get_by_role("button", name="Approve grant"))
    expect(approval.get_by_label("Year")).to_have_value(str(day.year))  # the answers are kept
    approval.get_by_label("Discretionary assistance (£, optional)").fill("")
    page.get_by_role("button", name="Approve grant").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Grant approved: £4,200.00")
    expect(page.locator(".govuk-tag", has_text="Approved")).to_be_visible()
    axe(page)
    assert csp_violations == []
