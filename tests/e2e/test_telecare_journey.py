"""On a phone-sized screen, the installer runs an install from today's list: arrives, scans the
devices, records each check with one tap (HTMX, in place), and completes; axe on every page."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db, write_intent
from portal.telecare import services
from portal.timeutil import today
from tests.e2e.conftest import sign_in
from tests.integration.telecare.conftest import make_world


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "is_mobile": True,
            "has_touch": True}


@pytest.fixture
def telecare_job(live_app):
    from sqlalchemy import select

    from portal.auth.models import User

    with live_app.app_context(), write_intent():
        w = make_world(db.session, actor="e2e")
        installer = db.session.scalar(select(User).where(User.email == "installer@demo.council.example"))
        job, _ = services.create_job(db.session, "e2e", person_id=w["person"].id, job_type="new_install",
                                     priority="urgent", access_notes="Side door", to_fit="Hub and pendant")
        services.schedule_job(db.session, "e2e", job.id, on=today(), slot="am", installer_id=installer.id,
                              route_order=1)
        ids = {"job": job.id, "hub": w["assets"]["HUB1"].asset_tag, "pendant": w["assets"]["PEN1"].asset_tag}
        db.session.commit()
        db.session.remove()
    return ids


def test_installer_completes_an_install_on_a_phone(page, base_url, axe, csp_violations, telecare_job):
    ids = telecare_job
    sign_in(page, base_url, "installer@demo.council.example")
    page.goto(f"{base_url}/telecare/today")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's jobs")
    axe(page)
    card = page.locator(f"#job-{ids['job']}")
    card.get_by_role("button", name="Arrived").click()
    expect(card.get_by_text("Done").first).to_be_visible()
    box = card.get_by_role("button", name="Fit device").bounding_box()
    assert box["width"] > 300 and box["height"] >= 44  # full width, a large touch target
    axe(page)
    for tag in (ids["hub"], ids["pendant"]):
        card = page.locator(f"#job-{ids['job']}")
        card.get_by_label("Scan or type a device's asset tag").fill(tag)
        card.get_by_role("button", name="Fit device").click()
        expect(page.locator(f"#job-{ids['job']}").get_by_text(tag)).to_be_visible()
    for name in ("All devices fitted", "Test call to the monitoring centre passed",
                 "Consent and ethics checklist confirmed"):
        page.locator(f"#job-{ids['job']}").get_by_role("button", name=name).click()
        expect(page.locator(f"#job-{ids['job']}").get_by_role("button", name=name)).to_have_count(0)
    card = page.locator(f"#job-{ids['job']}")
    card.get_by_label("Responder 1 name").fill("Pat Holt")
    card.get_by_label("Responder 1 phone").fill("07700 900123")
    card.get_by_role("button", name="Responders confirmed").click()
    expect(page.locator(f"#job-{ids['job']}").get_by_role("button", name="Responders confirmed")).to_have_count(0)
    page.locator(f"#job-{ids['job']}").get_by_role("button", name="Smoke and heat detection checked").click()
    card = page.locator(f"#job-{ids['job']}")
    expect(card.get_by_label("Digital")).to_be_checked()
    axe(page)
    card.get_by_role("button", name="Complete job").click()
    expect(page.locator(f"#job-{ids['job']}").get_by_text("Completed", exact=True)).to_be_visible()
    axe(page)
    page.reload()
    expect(page.locator(f"#job-{ids['job']}").get_by_text("Completed", exact=True)).to_be_visible()
    page.goto(f"{base_url}/telecare/jobs/{ids['job']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("New install")
    axe(page)
    assert csp_violations == []
