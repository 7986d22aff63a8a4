"""A person chooses Cymraeg with the link at the top and takes the self-assessment in Welsh:
every page in Welsh (`<html lang="cy">`), axe-core clean, to the Welsh report."""

import contextlib
import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect


def test_the_self_assessment_in_welsh_is_accessible(browser, base_url, axe):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto(base_url + "/advice/")
    page.get_by_role("link", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dod o hyd i help ac offer ar gyfer byw gartref")
    axe(page)
    page.get_by_role("button", name="Dechrau nawr").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ar gyfer pwy rydych chi’n ateb?")
    page.get_by_label("Fi fy hun").check()
    axe(page)
    page.get_by_role("button", name="Parhau").click()
    page.get_by_label("Cael bath a chawod").check()
    axe(page)
    page.get_by_role("button", name="Parhau").click()
    for _ in range(40):
        if page.get_by_role("heading", name="Gwirio eich atebion").count():
            break
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        if page.get_by_role("heading", name="Cael help nawr", level=1).count():
            axe(page)
            page.get_by_role("button", name="Parhau").click()
            expect(page.locator("input[name=answer]").first).to_be_visible()
        boxes = page.locator("input[name=answer]")
        expect(boxes.first).to_be_visible()
        axe(page)
        boxes.last.check()
        old_heading = page.locator("h1").element_handle()
        page.get_by_role("button", name="Parhau").click()
        with contextlib.suppress(PlaywrightError):
            old_heading.wait_for_element_state("hidden")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gwirio eich atebion")
    axe(page)
    page.get_by_role("button", name="Gweld fy nghyngor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eich adroddiad cyngor")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    axe(page)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Your advice report"))
    context.close()
