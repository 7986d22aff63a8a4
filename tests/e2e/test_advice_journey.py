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
    page.get_by_label(re.compile("^Someone else")).first.check()
    check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Bathing and showering")).to_be_visible()
    page.get_by_label("Bathing and showering").check()
    page.get_by_label("Memory and confusion").check()
    check(page)
    page.get_by_role("button", name="Continue").click()
    for _ in range(60):
        if page.get_by_role("heading", name="Check your answers").count():
            break
        if page.get_by_role("heading", name="Get help now", level=1).count():  # the interruption page
            check(page)
            page.get_by_role("button", name="Continue").click()
            expect(page.locator("input[name=answer]").first).to_be_visible()
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


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_report_prints_and_keeps_the_answers_private(browser, base_url, axe, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(8000)
    page = context.new_page()
    take_assessment(page, base_url, lambda _page: None)
    report_url = page.url
    page.get_by_text("Show your answers").click()
    expect(page.locator(".govuk-summary-list__key").first).to_be_visible()
    page.get_by_role("link", name="Print this report").click()
    expect(page.locator(".app-report-reference")).to_contain_text("Report reference")
    expect(page.locator(".govuk-service-navigation")).to_have_count(0)
    if javascript:
        axe(page)
    page.emulate_media(media="print")
    expect(page.locator(".app-report-reference")).to_be_visible()
    expect(page.get_by_role("link", name="Back to your report")).to_be_hidden()
    someone_else = browser.new_context(java_script_enabled=javascript).new_page()
    someone_else.goto(report_url)
    expect(someone_else.get_by_role("heading", level=1)).to_have_text("Your advice report")
    expect(someone_else.locator(".govuk-summary-list__key")).to_have_count(0)
    someone_else.get_by_role("link", name="See your answers").click()
    expect(someone_else.get_by_role("heading", level=1)).to_have_text("See your answers")
    if javascript:
        axe(someone_else)
    context.close()


def test_back_link_keeps_the_answer(page, base_url):
    page.goto(base_url + "/advice/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label(re.compile("^Someone I support as part of my job", re.I)).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Bathing and showering")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label(re.compile("^Someone I support as part of my job", re.I))).to_be_checked()


def start_assessment(page, base_url, urgent_label: str):
    page.goto(base_url + "/advice/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Myself").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Bathing and showering").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(urgent_label).check()
    page.get_by_role("button", name="Continue").click()
    # the next question has loaded (with JavaScript, htmx swaps it in after the click returns)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Is anyone at risk right now?")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_emergency_shows_call_999_on_the_next_page(browser, base_url, axe, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(8000)
    page = context.new_page()
    start_assessment(page, base_url, "Someone has fallen and cannot get up")
    # first the interruption page: what to do now, then Continue (a plain link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    expect(page.locator(".app-interruption")).to_contain_text("call 999")
    if javascript:
        axe(page)
    page.get_by_role("button", name="Continue").click()
    banner = page.locator(".app-urgent")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("call 999")
    expect(page.locator("input[name=answer]").first).to_be_visible()  # the next question is still there
    if javascript:
        axe(page)
    context.close()


def test_an_unfinished_assessment_carries_on_on_another_device(browser, base_url, axe):
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone.set_default_timeout(8000)
    page = phone.new_page()
    start_assessment(page, base_url, "No, nobody is at risk right now")
    code = page.locator(".app-resume-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    question = page.get_by_role("heading", level=1).inner_text()
    phone.close()

    desktop = browser.new_context()
    desktop.set_default_timeout(8000)
    page = desktop.new_page()
    page.goto(base_url + "/advice/")
    page.get_by_role("link", name="Carry on with a self-assessment").click()
    axe(page)
    page.get_by_label("Your reference").fill("WRONG-CODE1")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("right format")
    page.get_by_label("Your reference").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    desktop.close()


def test_the_report_in_large_print_and_easy_read(browser, base_url, axe):
    """Both other formats from the report's links: large print at 16pt or more on screen and on
    paper, Easy Read with a picture beside each point; axe-clean, one h1."""
    context = browser.new_context()
    context.set_default_timeout(8000)
    page = context.new_page()
    take_assessment(page, base_url, lambda _page: None)
    report_url = page.url
    page.get_by_role("link", name="Large print version of this report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your advice report")
    expect(page.locator("main h1")).to_have_count(1)
    axe(page)
    size = "parseFloat(getComputedStyle(document.querySelector('.app-large-print p')).fontSize)"
    assert page.evaluate(size) >= 16 * 4 / 3  # 16pt in CSS pixels
    page.emulate_media(media="print")
    assert page.evaluate(size) >= 16 * 4 / 3
    expect(page.get_by_role("link", name="Back to your report")).to_be_hidden()
    page.emulate_media(media="screen")
    page.goto(report_url)
    page.get_by_role("link", name="Easy Read version: a short summary with pictures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your advice in Easy Read")
    axe(page)
    points = page.locator(".app-easy-read__point")
    assert points.count() >= 4
    for index in range(points.count()):
        expect(points.nth(index).locator("svg.app-pictogram")).to_be_visible()
    context.close()
