import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_start_and_sign_in_pages_are_accessible(page, base_url, axe, csp_violations):
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Get help to live safely and independently at home")
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    axe(page)
    page.goto(base_url + "/sign-in")
    axe(page)
    assert csp_violations == []


def test_admin_signs_in_and_sees_staff_accounts(page, base_url, axe, csp_violations):
    sign_in(page, base_url, "admin@demo.council.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff home")
    page.get_by_role("link", name="Staff accounts").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    expect(page.get_by_role("link", name="Tariq Hussain")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the TECS Portal")
    assert csp_violations == []


def test_sign_in_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base_url, "manager@demo.council.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff home")
    context.close()


def test_assets_arrive_fingerprinted_compressed_and_then_come_from_the_cache(page, base_url, csp_violations):
    """RELIABILITY.md: first view at most 100 KB compressed; later views fetch the HTML only."""
    static = []
    page.on("response", lambda resp: static.append(resp) if "/static/" in resp.url else None)
    page.goto(base_url + "/")
    # app.mjs imported GOV.UK Frontend (by its fingerprinted name) and started it
    expect(page.locator("[data-module='govuk-service-navigation']")).to_have_attribute(
        "data-govuk-service-navigation-init", "")
    # GOV.UK CSS, MOJ CSS, app.css, print.css, htmx, app.mjs and the module it imports (and the icon,
    # which the browser fetches when it gets round to it); MOJ's module only where a page uses it
    assert len([resp for resp in static if not resp.url.endswith(".svg")]) == 7
    for resp in static:
        headers = resp.all_headers()
        assert resp.status == 200, resp.url
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|mjs|svg)$", resp.url), resp.url
        assert "immutable" in headers["cache-control"] and "max-age=31536000" in headers["cache-control"]
        if not resp.url.endswith(".svg"):  # too small for a compressed copy to be worth keeping
            assert headers["content-encoding"] in ("br", "gzip"), resp.url
        assert headers["x-content-type-options"] == "nosniff"
    first = page.evaluate("""() => performance.getEntriesByType('navigation')[0].transferSize +
        performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, 0)""")
    assert 0 < first <= 100 * 1024

    page.goto(base_url + "/accessibility")
    transferred = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(r => r.name.includes('/static/') && !r.name.endsWith('.svg')).map(r => r.transferSize)""")
    assert transferred == [0] * 7  # every asset came from the browser's cache, without even a revalidation
    assert csp_violations == []
