"""Issue 15: an installer records a whole visit in a basement with no signal, and finds it all recorded
when back in the van. On a phone-sized screen: the day is kept on the phone by the service worker
(with no key safe code in it), opens again offline, every step tapped is kept and counted, and on
coming back online each step reaches the server exactly once. A step the server refuses (the job was
given to another installer meanwhile) is shown, and kept until the installer dismisses it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from portal.extensions import db, write_intent
from portal.telecare import services
from portal.telecare.models import ConnectionDevice, Job, JobStep
from portal.timeutil import today
from tests.e2e.conftest import sign_in
from tests.integration.telecare.conftest import make_world

INSTALLER = "installer@demo.council.example"
CODE_NOTE = "Side door; key safe 4 7 1 9 on the left"  # a code that slipped in: it must never reach the phone

ALL_ASSETS_KEPT = """async () => {
  const cache = await caches.open("installer-assets-v1");
  const urls = [...document.querySelectorAll("script[src], link[rel=stylesheet]")]
    .map((e) => new URL(e.src || e.href).pathname);
  const found = await Promise.all(urls.map((u) => cache.match(u, {ignoreVary: true})));
  const day = await (await caches.open("installer-day")).match("/telecare/today", {ignoreVary: true});
  return !!day && found.every(Boolean);
}"""
KEPT_DAY = """async () => {
  const day = await (await caches.open("installer-day")).match("/telecare/today", {ignoreVary: true});
  return day ? await day.text() : null;
}"""
QUEUED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("tecs-installer", 1);
  open.onsuccess = () => {
    const all = open.result.transaction("steps").objectStore("steps").getAll();
    all.onsuccess = () => { resolve(all.result.length); open.result.close(); };
  };
  open.onerror = () => reject(open.error);
})"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "is_mobile": True,
            "has_touch": True}


def _job(live_app, slot: str) -> dict:
    from portal.auth.models import User

    with live_app.app_context(), write_intent():
        w = make_world(db.session, actor="e2e")
        installer = db.session.scalar(select(User).where(User.email == INSTALLER))
        job, _ = services.create_job(db.session, "e2e", person_id=w["person"].id, job_type="new_install",
                                     priority="urgent", access_notes="Side door", to_fit="Hub and pendant")
        services.schedule_job(db.session, "e2e", job.id, on=today(), slot=slot, installer_id=installer.id,
                              route_order=1)
        db.session.execute(update(Job).where(Job.id == job.id).values(access_notes=CODE_NOTE))
        ids = {"job": job.id, "hub": w["assets"]["HUB1"].asset_tag, "pendant": w["assets"]["PEN1"].asset_tag}
        db.session.commit()
        db.session.remove()
    return ids


def _open_day_and_keep_it(page, base_url):
    """Sign in, open the day, and wait until the service worker controls it and has kept it whole."""
    sign_in(page, base_url, INSTALLER)
    page.goto(f"{base_url}/telecare/today")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # now through the worker, which keeps this copy and the files it uses
    page.wait_for_function(ALL_ASSETS_KEPT)


def _step(live_app, job_id: int) -> dict:
    with live_app.app_context():
        counts = dict(db.session.execute(select(JobStep.step, func.count()).where(JobStep.job_id == job_id)
                                         .group_by(JobStep.step)).all())
        counts["devices"] = db.session.scalar(select(func.count()).select_from(ConnectionDevice)
                                              .where(ConnectionDevice.job_id == job_id))
        counts["state"] = db.session.get(Job, job_id).state
        db.session.remove()
    return counts


def test_a_visit_recorded_with_no_signal_reaches_the_server_once_when_back_online(
        page, context, base_url, live_app, axe, csp_violations):
    ids = _job(live_app, "pm")
    _open_day_and_keep_it(page, base_url)
    kept = page.evaluate(KEPT_DAY)
    assert "Edna Brookes" in kept and "Side door" in kept
    assert "4 7 1 9" not in kept and "[key safe code removed]" in kept  # no key safe code kept on the phone

    context.set_offline(True)
    response = page.reload()  # the day opens with no signal, from the copy on the phone
    assert response.from_service_worker
    assert page.evaluate("fetch('/telecare/today/token').then(() => 'reached', () => 'no signal')") == "no signal"
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's jobs")
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_contain_text("No signal")
    card = page.locator(f"#job-{ids['job']}")
    card.get_by_role("button", name="Arrived").click()
    expect(card.get_by_text("Saved on this phone, waiting to send")).to_be_visible()
    expect(card.get_by_role("button", name="Arrived")).to_have_count(0)
    for tag in (ids["hub"], ids["pendant"]):
        card.get_by_label("Scan or type a device's asset tag").fill(tag)
        card.get_by_role("button", name="Fit device").click()
        expect(card.get_by_text(f"{tag}: Saved on this phone")).to_be_visible()
    expect(banner).to_contain_text("3 steps are saved on this phone, waiting to send.")

    page.reload()  # nothing typed is lost: the queue outlives the page
    card = page.locator(f"#job-{ids['job']}")
    expect(banner).to_contain_text("3 steps are saved on this phone, waiting to send.")
    for name in ("All devices fitted", "Test call to the monitoring centre passed",
                 "Consent and ethics checklist confirmed"):
        card.get_by_role("button", name=name).click()
        expect(card.get_by_role("button", name=name)).to_have_count(0)
    card.get_by_label("Responder 1 name").fill("Pat Holt")
    card.get_by_label("Responder 1 phone").fill("07700 900123")
    card.get_by_role("button", name="Responders confirmed").click()
    card.get_by_role("button", name="Smoke and heat detection checked").click()
    card.get_by_label("Where it is (optional)").fill("Key safe code 2580")  # refused on the phone itself
    card.get_by_label("Yes").check()
    card.get_by_role("button", name="Save key safe check").click()
    expect(card.locator("[data-error-region]")).to_contain_text("Do not record key safe codes")
    card.get_by_label("Where it is (optional)").fill("Left of the back door")
    card.get_by_role("button", name="Save key safe check").click()
    card.get_by_role("button", name="Complete job").click()
    expect(banner).to_contain_text("10 steps are saved on this phone, waiting to send.")
    assert page.evaluate(QUEUED) == 10
    assert _step(live_app, ids["job"]) == {"devices": 0, "state": "scheduled"}  # nothing reached the server
    axe(page)

    context.set_offline(False)  # back in the van
    expect(banner).to_contain_text("Every step saved on this phone has been sent.", timeout=20000)
    expect(page.locator(f"#job-{ids['job']}").get_by_text("Completed", exact=True)).to_be_visible()
    assert page.evaluate(QUEUED) == 0
    assert _step(live_app, ids["job"]) == {
        "arrived": 1, "devices_fitted": 1, "test_call_passed": 1, "consent_confirmed": 1, "responders_confirmed": 1,
        "smoke_heat_checked": 1, "key_safe_checked": 1, "completed": 1, "devices": 2, "state": "completed"}
    axe(page)
    assert csp_violations == []


def test_a_step_refused_when_sent_is_shown_and_kept_until_dismissed_and_signing_out_drops_the_day(
        page, context, base_url, live_app, axe):
    from portal.auth.services import create_user

    ids = _job(live_app, "eve")
    _open_day_and_keep_it(page, base_url)
    context.set_offline(True)
    card = page.locator(f"#job-{ids['job']}")
    card.get_by_role("button", name="Arrived").click()
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_contain_text("1 step is saved on this phone, waiting to send.")

    with live_app.app_context(), write_intent():  # meanwhile the coordinator gives the job to someone else
        other = create_user(db.session, "e2e", email=f"other-{ids['job']}@test.council.example", name="Other Fitter",
                            password="correct horse battery staple", roles=["telecare_installer"])
        db.session.flush()
        services.schedule_job(db.session, "e2e", ids["job"], on=today(), slot="eve", installer_id=other.id)
        db.session.commit()
        db.session.remove()

    context.set_offline(False)
    refusal = "Not sent: There is no telecare job with that number in your list."
    expect(banner).to_contain_text(refusal, timeout=20000)
    expect(card.locator("[data-error-region]")).to_contain_text(refusal)
    expect(banner).to_contain_text("1 step was not sent")
    assert page.evaluate(QUEUED) == 1  # kept, not dropped
    axe(page)
    page.reload()
    expect(banner).to_contain_text(refusal)  # still there after a reload, until read and dismissed
    banner.get_by_role("button", name=re.compile(r"^Dismiss")).click()
    expect(banner).to_be_hidden()
    assert page.evaluate(QUEUED) == 0
    assert _step(live_app, ids["job"]) == {"devices": 0, "state": "scheduled"}

    page.get_by_role("button", name="Sign out").click()  # the day kept on the phone goes with the session
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert page.evaluate("caches.has('installer-day')") is False
