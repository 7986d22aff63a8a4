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
