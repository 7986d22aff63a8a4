"""Form fuzzing (RELIABILITY.md V1, V2): hypothesis posts arbitrary and hostile values to every
public form and the main staff forms. Never a 500; the raw <script> payload never comes back
unescaped on any page (the response itself, or the page it redirects to); a re-displayed form
(invalid input) carries the GOV.UK error summary."""

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.auth.forms import NewStaffForm
from portal.equipment.forms import OrderForm
from portal.extensions import limiter
from portal.referrals.forms import CloseForm, PriorityForm, ProfessionalReferralForm, ReasonForm, RouteForm
from portal.referrals.public_forms import ContactForm, DetailsForm, HelpForm, TrackForm, WhoForm
from tests.conftest import csrf_from
from tests.integration.referrals.test_public import CONTACT, DETAILS, HELP, WHO

SCRIPT = "<script>alert('tecs')</script>"
HOSTILE = [
    SCRIPT, "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "'; DROP TABLE referral; --",
    "' OR '1'='1", "1 UNION SELECT password_hash FROM staff_user", "\x00", "a\x00b",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏠", "Ω" * 300, "x" * 5000, "x" * 70_000, "-1", "0", "-99999999999999999999", "1e308", "NaN",
    "99999999999999999999999", "2026-02-30", "31 2 2026", "00", "13", "32", "", " ", "\r\n", "%s%n", "../../etc/passwd",
    "{{7*7}}", "${7*7}", "R-AAAA-AAAA", "943 476 5919", "SW1A 1AA", "yes", "no", "urgent", "none", "true",
]
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.from_regex(r"\A\d{1,2} \d{1,2} \d{2,5}\Z", fullmatch=True),
)
field_value = st.one_of(value, value, st.lists(value, min_size=0, max_size=4))  # missing, one, repeated
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def field_names(app, form_class: type[FlaskForm], extra=()) -> list[str]:
    with app.test_request_context():
        names = [n for n in form_class()._fields if n not in ("csrf_token", "submit")]
    return names + list(extra)


def submission(names):
    return st.fixed_dictionaries({}, optional={name: field_value for name in names})


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def check(client, resp, *, form_page_marker: str | None = None):
    """The invariants for one fuzzed POST."""
    body = _text(resp)
    assert resp.status_code < 500, body[:1000]
    assert SCRIPT not in body
    if resp.status_code in (302, 303) and resp.headers.get("Location", "").startswith("/"):
        follow = client.get(resp.headers["Location"])
        assert follow.status_code < 500
        assert SCRIPT not in _text(follow)
    elif resp.status_code in (200, 422) and form_page_marker and form_page_marker in body:
        assert "govuk-error-summary" in body, "a re-displayed form must explain what is wrong"
        assert "<title>Error: " in body or resp.status_code == 422


def _post(client, url, data, token, headers=None):
    limiter.reset()
    return client.post(url, data={**data, "csrf_token": token}, headers=headers or {})


def _start_journey(client, upto: str):
    for step, data in (("who", WHO), ("details", DETAILS), ("contact", CONTACT), ("help", HELP)):
        if step == upto:
            return csrf_from(client.get(f"/ask-for-help/{step}").text)
        page = client.get(f"/ask-for-help/{step}")
        resp = client.post(f"/ask-for-help/{step}", data={**data, "csrf_token": csrf_from(page.text)})
        assert resp.status_code == 303
    raise AssertionError(upto)


PUBLIC_STEPS = {"who": WhoForm, "details": DetailsForm, "contact": ContactForm, "help": HelpForm}


@pytest.mark.parametrize("step", PUBLIC_STEPS)
def test_fuzz_ask_for_help_steps(app, client, step):
    names = field_names(app, PUBLIC_STEPS[step])
    token = _start_journey(client, step)

    @SETTINGS
    @given(data=submission(names))
    def run(data):
        resp = _post(client, f"/ask-for-help/{step}", data, token)
        check(client, resp)
        if resp.status_code == 200:
            assert "govuk-error-summary" in _text(resp)

    run()
    # whatever was stored, the check-answers page shows it escaped
    page = client.get("/ask-for-help/check")
    assert page.status_code < 500 and SCRIPT not in page.text


def test_fuzz_check_answers_submission_with_hostile_answers(app, client, db_session):
    _start_journey(client, "help")
    token = csrf_from(client.get("/ask-for-help/help").text)
    _post(client, "/ask-for-help/help", {**HELP, "help_wanted": SCRIPT * 10}, token)
    details_token = csrf_from(client.get("/ask-for-help/details").text)
    _post(client, "/ask-for-help/details", {**DETAILS, "given_name": SCRIPT[:90], "address_line_1": SCRIPT},
          details_token)

    @SETTINGS
    @given(key=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=80)))
    def run(key):
        page = client.get("/ask-for-help/check")
        if page.status_code == 303:
            return
        assert SCRIPT not in page.text
        resp = _post(client, "/ask-for-help/check", {"submission_key": key}, csrf_from(page.text))
        check(client, resp)

    run()


def test_fuzz_track(app, client):
    names = field_names(app, TrackForm)
    token = csrf_from(client.get("/track").text)

    @SETTINGS
    @given(data=submission(names))
    def run(data):
        resp = _post(client, "/track", data, token)
        check(client, resp)
        assert resp.status_code == 200
        if "reference" not in data or "date_of_birth" not in data:
            assert "govuk-error-summary" in _text(resp)

    run()


def test_fuzz_professional_referral(app, client, staff, db_session):
    staff.login_as("triage_officer")
    names = field_names(app, ProfessionalReferralForm)
    token = staff.csrf("/referrals/new")

    @SETTINGS
    @given(data=submission(names))
    def run(data):
        resp = _post(client, "/referrals/new", data, token)
        check(client, resp)
        if resp.status_code == 200:
            assert "govuk-error-summary" in _text(resp)

    run()


ACTIONS = {"priority": PriorityForm, "route": RouteForm, "decline": ReasonForm, "pause": ReasonForm,
           "close": CloseForm}


@pytest.mark.parametrize("action", ACTIONS)
def test_fuzz_referral_actions(app, client, staff, db_session, make_referral, action):
    referral = make_referral(family_name="Fuzzed")
    db_session.commit()
    staff.login_as("triage_officer")
    names = field_names(app, ACTIONS[action])
    token = staff.csrf(f"/referrals/{referral.id}")

    @SETTINGS
    @given(data=submission(names), htmx=st.booleans())
    def run(data, htmx):
        headers = {"HX-Request": "true", "HX-Target": "referral-actions"} if htmx else {}
        resp = _post(client, f"/referrals/{referral.id}/{action}", data, token, headers)
        check(client, resp)
        if resp.status_code in (200, 422) and not resp.headers.get("HX-Location"):
            assert "govuk-error-summary" in _text(resp) or "govuk-notification-banner" in _text(resp)

    run()
    assert SCRIPT not in client.get(f"/referrals/{referral.id}").text


def test_fuzz_equipment_order(app, client, staff, db_session):
    from tests.integration.equipment.conftest import make_world

    world = make_world(db_session)
    db_session.commit()
    staff.login_as("occupational_therapist")
    url = f"/equipment/orders/new?person={world['person'].id}"
    names = field_names(app, OrderForm)
    token = staff.csrf(url)

    @SETTINGS
    @given(data=submission(names))
    def run(data):
        resp = _post(client, url, data, token)
        check(client, resp)
        if resp.status_code == 200 and not resp.headers.get("HX-Location"):
            assert "govuk-error-summary" in _text(resp)

    run()


def test_fuzz_admin_new_staff(app, client, staff, db_session):
    staff.login_as("admin")
    names = field_names(app, NewStaffForm)
    token = staff.csrf("/admin/staff/new")

    @SETTINGS
    @given(data=submission(names))
    def run(data):
        resp = _post(client, "/admin/staff/new", data, token)
        check(client, resp)
        if resp.status_code == 200:
            assert "govuk-error-summary" in _text(resp)

    run()
    assert SCRIPT not in client.get("/admin/staff").text
