"""A newcomer takes the self-assessment on a phone and a desktop, with and without JavaScript."""

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect


def take_assessment(page, base_url, check):
    page.goto(base_url + "/advice/")
    check(page)
    page.get_by_role("button", name="Start now").click()
    page.get_by_label(re.compile("someone I care for", re.I)).first.check()
    check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Bathing and showering")).to_be_visible()
    page.get_by_label("Bathing and showering").check()
    page.get_by_label("Memory and confusion").check()
    check(page)
    page.get_by_role("button", name="Continue").click()
    for _ in range(30):
        if page.get_by_role("heading", name="Check your answers").count():
            break
        boxes = page.locator("input[name=answer]")
        expect(boxes.first).to_be_visible()
        check(page)
        boxes.nth(min(1, boxes.count() - 1)).check()
        old_heading = page.locator("h1").element_handle()
        page.get_by_role("button", name="Continue").click()
        # wait until the next page has replaced this one (with no JavaScript it is already gone)
        with contextlib.suppress(PlaywrightError):
            old_heading.wait_for_element_state("hidden")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    check(page)
    page.get_by_role("button", name="See my advice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your advice report")
    check(page)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_self_assessment_gives_a_report(browser, base_url, axe, viewport, javascript):
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport)
    context.set_default_timeout(8000)
    page = context.new_page()
    take_assessment(page, base_url, axe if javascript else (lambda _page: None))
    expect(page.locator(".app-recommendation").first).to_be_visible()
    context.close()


def test_back_link_keeps_the_answer(page, base_url):
    page.goto(base_url + "/advice/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label(re.compile("^Someone I support as part of my job", re.I)).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Bathing and showering")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label(re.compile("^Someone I support as part of my job", re.I))).to_be_checked()
