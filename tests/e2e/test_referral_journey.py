"""A resident asks for help; triage routes it; an OT assesses and closes it. JS on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def ask_for_help(page, base_url, axe, family_name: str) -> str:
    page.goto(base_url + "/ask-for-help")
    axe(page)
    page.get_by_role("button", name="Start now").click()

    def next_page():
        axe(page)
        page.get_by_role("button", name="Continue").click()

    page.get_by_label("Someone else").check()  # reveals the relationship (shown anyway without JavaScript)
    page.get_by_label("Your relationship to them").fill("Daughter")
    next_page()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill(family_name)
    next_page()
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("9")
    page.get_by_label("Year").fill("1944")
    next_page()
    page.get_by_label("Address line 1").fill("8 Church Road")
    page.get_by_label("Postcode").fill("ad1 2ef")
    next_page()
    next_page()  # NHS number: optional
    page.get_by_label("What is your name?").fill("Sara Example")
    next_page()
    page.get_by_label("Yes, they agree").check()
    next_page()
    page.get_by_label("Phone number").fill("01632 960001")
    next_page()
    next_page()  # no other formats
    page.get_by_label("Equipment to make everyday tasks easier or safer").check()
    next_page()
    page.get_by_label("What is hard for them at the moment?").fill("Cannot get out of the bath")
    next_page()
    page.get_by_label("No").check()
    next_page()
    page.get_by_label("Yes").check()
    next_page()
    page.get_by_label("No", exact=True).check()
    next_page()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending your request")
    axe(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Request sent")
    axe(page)
    panel = page.locator(".govuk-panel__body")
    expect(panel).not_to_contain_text("<")  # the reference in bold, not the markup as text
    expect(panel.locator("strong")).to_have_text(re.compile(r"^R-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    return panel.locator("strong").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_resident_asks_for_help_and_follows_it(browser, base_url, axe, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(8000)
    page = context.new_page()
    # axe runs in the page, so only with JavaScript on (the same pages are checked in that run)
    check = axe if javascript else (lambda _page: None)
    reference = ask_for_help(page, base_url, check, f"Lovelace{'Js' if javascript else 'Plain'}")
    page.goto(base_url + "/track")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("9")
    page.get_by_label("Year").fill("1944")
    page.get_by_role("button", name="Check progress").click()
    expect(page.locator(".govuk-summary-list__value").first).to_have_text("Received")
    check(page)
    context.close()


def test_triage_assess_and_close(browser, base_url, axe, csp_violations, page):
    public = browser.new_context()
    public.set_default_timeout(8000)
    reference = ask_for_help(public.new_page(), base_url, axe, "Hopper")
    public.close()

    sign_in(page, base_url, "triage@demo.council.example")
    page.goto(base_url + "/referrals")
    page.get_by_label("Search").fill("hopper")
    page.get_by_role("button", name="Apply filters").click()
    axe(page)
    page.get_by_role("button", name=f"Claim {reference}").click()  # the row is swapped in place
    row = page.locator("tr", has_text=reference)
    expect(row).to_contain_text(f"You have claimed {reference}.")
    row.get_by_role("button", name=f"Contacted {reference}").click()
    expect(row).to_contain_text(f"First contact recorded for {reference}.")
    expect(row.get_by_role("button")).to_have_count(0)
    axe(page)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(page.locator(".moj-identity-bar__title")).to_have_text("Ada Hopper")
    axe(page)
    actions = page.locator("#referral-actions")
    actions.get_by_role("link", name="Set the priority").click()  # each action on its own page
    expect(page.get_by_role("heading", level=1)).to_have_text("Set the priority")
    axe(page)
    page.get_by_label("High").check()
    page.get_by_label("Why this priority").fill("Fallen recently and cannot bathe")
    page.get_by_role("button", name="Set priority").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Priority set to high")
    actions.get_by_role("link", name="Route for assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Route for assessment")
    axe(page)
    page.get_by_label("Occupational therapist", exact=True).check()
    page.get_by_label("Yes – it needs an occupational therapist").check()
    page.get_by_label("Reason for the complexity decision").fill("Falls and bathing: needs a full OT assessment")
    page.get_by_role("button", name="Route referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("routed")
    axe(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base_url, "ot@demo.council.example")
    page.goto(base_url + "/referrals?q=hopper")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Start the assessment").click()
    axe(page)
    page.get_by_label("What matters to the person").fill("To bathe on her own again")
    page.get_by_label("What the person can do").fill("Walks with a stick; daughter visits daily")
    page.get_by_label("Needs by daily-living area").fill("Bathing: cannot step over the bath side")
    page.locator("input[name=tecs_considered][value=yes]").check()
    page.get_by_label("What care technology was considered").fill("Pendant alarm with fall detection")
    page.get_by_label("Prescribe equipment").check()
    page.get_by_role("button", name="Complete assessment").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Assessment completed")
    page.locator("#referral-actions").get_by_role("link", name="Close with an outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close with an outcome")
    axe(page)
    page.get_by_label("Equipment ordered").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your decision: close with an outcome")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Equipment ordered")
    axe(page)
    page.get_by_role("button", name="Change your answers").click()  # back to the form, answers kept
    expect(page.get_by_label("Equipment ordered")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Close referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Referral closed")
    expect(page.locator("#referral-actions").get_by_role("link")).to_have_count(0)
    axe(page)
    assert csp_violations == []


def test_check_answers_with_a_page_missing_goes_back_to_it(page, base_url):
    page.goto(base_url + "/ask-for-help/who")
    page.get_by_label("Me", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.goto(base_url + "/ask-for-help/check")  # straight to the end
    expect(page).to_have_url(re.compile(r"/ask-for-help/name$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What is your name?")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_someone_else_reveals_the_relationship_question(browser, base_url, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(base_url + "/ask-for-help/who")
    relationship = page.get_by_label("Your relationship to them")
    if javascript:
        expect(relationship).to_be_hidden()  # revealed only for "Someone else"
        page.get_by_label("Someone else").check()
    expect(relationship).to_be_visible()
    context.close()
