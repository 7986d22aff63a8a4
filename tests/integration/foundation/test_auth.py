import re

import pyotp
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth import services
from portal.auth.models import User
from portal.errors import Conflict, IllegalTransition, Refusal
from tests.conftest import PASSWORD, csrf_from


def test_password_is_hashed_with_argon2id(staff):
    user = staff.create("manager")
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4")
    assert PASSWORD not in user.password_hash


def test_sign_in_and_out(client, staff, db_session):
    user = staff.create("manager")
    resp = staff.sign_in(user)
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff"
    home = client.get("/staff")
    assert home.status_code == 200 and user.name in home.text
    resp = client.post("/sign-out", data={"csrf_token": csrf_from(home.text)})
    assert resp.status_code == 303
    assert client.get("/staff").status_code == 303
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id))).all()
    assert "sign_in" in actions and "sign_out" in actions


def test_wrong_password_and_unknown_email_give_the_same_message(client, staff):
    user = staff.create("manager")
    wrong = staff.sign_in(user, password="not the password at all")
    page = client.get("/sign-in")
    unknown = client.post("/sign-in", data={"email": "nobody@x.example", "password": "whatever1",
                                            "csrf_token": csrf_from(page.text)})
    for resp in (wrong, unknown):
        assert resp.status_code == 200
        assert "Enter a correct email address and password" in resp.text
        assert "govuk-error-summary" in resp.text
        assert "<title>Error: " in resp.text


def test_empty_sign_in_shows_field_errors(client):
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"csrf_token": csrf_from(page.text)})
    assert "Enter your email address" in resp.text and "Enter your password" in resp.text
    assert 'href="#email"' in resp.text


def test_sign_in_is_throttled_after_ten_failures(client, staff):
    user = staff.create("manager")
    for _ in range(10):
        assert staff.sign_in(user, password="wrong password guess").status_code == 200
    resp = staff.sign_in(user)  # even the right password waits now
    assert resp.status_code == 429
    assert "Too many attempts" in resp.text
    assert "Retry-After" in resp.headers


def test_throttling_is_per_account_as_well_as_per_client(client, staff):
    victim = staff.create("manager")
    other = staff.create("admin")
    for _ in range(10):
        staff.sign_in(victim, password="wrong password guess")
    assert staff.sign_in(victim).status_code == 429
    # the client limit counts the same failures, so the other account is blocked from here too
    assert staff.sign_in(other).status_code == 429


def test_successful_sign_ins_do_not_count_as_guesses(client, staff):
    user = staff.create("manager")
    for _ in range(12):
        assert staff.sign_in(user).status_code == 303
        client.post("/sign-out", data={"csrf_token": staff.csrf("/sign-in")})


def test_disabled_account_cannot_sign_in_and_its_session_ends(client, staff, db_session):
    user = staff.login_as("manager")
    assert client.get("/staff").status_code == 200
    services.set_active(db_session, None, user, False)
    db_session.flush()
    assert client.get("/staff").status_code == 303
    assert staff.sign_in(user).status_code == 200


def test_a_copied_cookie_is_useless_after_sign_out(app, client, staff):
    staff.login_as("manager")
    cookie = client.get_cookie("session").value
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/staff").status_code == 303


def test_session_is_renewed_at_sign_in(client, staff):
    user = staff.create("manager")
    client.get("/sign-in")
    before = client.get_cookie("session").value
    staff.sign_in(user)
    assert client.get_cookie("session").value != before


def test_password_change_signs_out_other_sessions(app, client, staff):
    user = staff.login_as("manager")
    other = app.test_client()
    page = other.get("/sign-in")
    other.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                 "csrf_token": csrf_from(page.text)})
    assert other.get("/staff").status_code == 200
    form = client.get("/account/password")
    resp = client.post("/account/password", data={
        "current": PASSWORD, "new": "a much longer new passphrase",
        "csrf_token": csrf_from(form.text)})
    assert resp.status_code == 303
    assert client.get("/account").status_code == 200  # this session carries on
    assert other.get("/staff").status_code == 303  # the other one is over


def test_password_change_rejects_common_and_short_passwords(client, staff):
    staff.login_as("manager")
    form = client.get("/account/password")
    for bad, message in (("short", "8 characters or more"), ("password123", "too common")):
        resp = client.post("/account/password", data={
            "current": PASSWORD, "new": bad, "csrf_token": csrf_from(form.text)})
        assert resp.status_code == 422 and message in resp.text
        assert field_error(resp.text, "new") and not field_error(resp.text, "current")


def field_error(html: str, field: str) -> str | None:
    """The GOV.UK error message shown on a form field, or None."""
    match = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip() if match else None


def test_a_wrong_current_password_is_shown_on_that_field(client, staff, db_session):
    user = staff.login_as("manager")
    before = user.password_hash
    form = client.get("/account/password")
    resp = client.post("/account/password", data={
        "current": "not my password", "new": "a much longer new passphrase",
        "csrf_token": csrf_from(form.text)})
    assert resp.status_code == 422 and "<title>Error: " in resp.text
    assert field_error(resp.text, "current") == "Your current password is wrong"
    db_session.refresh(user)
    assert user.password_hash == before


def test_two_factor_setup_then_required_at_next_sign_in(client, staff, db_session):
    user = staff.create("manager")
    client.application.config["REQUIRE_MFA"] = True
    try:
        resp = staff.sign_in(user)
        assert resp.headers["Location"] == "/sign-in/two-factor"
        assert client.get("/staff").status_code == 303  # not in until the second factor
        setup = client.get("/sign-in/two-factor")
        assert "Set up two-factor sign-in" in setup.text
        with client.session_transaction() as sess:
            secret = sess["totp_setup_secret"]
        done = client.post("/sign-in/two-factor", data={
            "code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(setup.text)})
        assert "Save your recovery codes" in done.text
        codes = re.findall(r"<code>([0-9A-F]{5}-[0-9A-F]{5})</code>", done.text)
        assert len(codes) == 10
        assert client.get("/staff").status_code == 200
        client.post("/sign-out", data={"csrf_token": staff.csrf()})

        staff.sign_in(user)
        page = client.get("/sign-in/two-factor")
        assert "Enter your security code" in page.text
        wrong = client.post("/sign-in/two-factor", data={"code": "000000",
                                                          "csrf_token": csrf_from(page.text)})
        assert "wrong" in wrong.text
        ok = client.post("/sign-in/two-factor", data={"code": codes[0],
                                                       "csrf_token": csrf_from(page.text)})
        assert ok.status_code == 303
        assert services.recovery_codes_left(db_session, user) == 9
    finally:
        client.application.config["REQUIRE_MFA"] = False


def test_a_totp_code_cannot_be_replayed(db_session, staff):
    user = staff.create("manager")
    secret = services.new_totp_secret()
    code = pyotp.TOTP(secret).now()
    services.enable_totp(db_session, user, secret, code)
    assert services.verify_second_factor(db_session, user, code) is False


def test_admin_creates_roles_and_disables_staff(client, staff, db_session):
    staff.login_as("admin")
    form = client.get("/admin/staff/new")
    assert form.status_code == 200
    resp = client.post("/admin/staff/new", data={
        "name": "Nadia Khan", "email": "Nadia.Khan@council.example", "password": "temporary pass 42",
        "roles": ["trusted_assessor", "triage_officer"], "trusted_assessor_level": "3",
        "csrf_token": csrf_from(form.text)})
    assert resp.status_code == 303
    user = db_session.scalar(select(User).where(User.email == "nadia.khan@council.example"))
    assert user.role_names == ["triage_officer", "trusted_assessor"]
    assert user.trusted_assessor_level == 3
    page = client.get(f"/admin/staff/{user.id}")
    client.post(f"/admin/staff/{user.id}", data={
        "roles": ["occupational_therapist"], "trusted_assessor_level": "",
        "csrf_token": csrf_from(page.text)})
    db_session.refresh(user)
    assert user.role_names == ["occupational_therapist"] and user.trusted_assessor_level is None
    client.post(f"/admin/staff/{user.id}/disable", data={"csrf_token": csrf_from(page.text)})
    db_session.refresh(user)
    assert user.active is False


def test_trusted_assessor_needs_a_level(client, staff):
    staff.login_as("admin")
    form = client.get("/admin/staff/new")
    resp = client.post("/admin/staff/new", data={
        "name": "X Y", "email": "xy@council.example", "password": "temporary pass 42",
        "roles": ["trusted_assessor"], "csrf_token": csrf_from(form.text)})
    assert resp.status_code == 422 and "Select the trusted assessor level" in resp.text


def test_an_admin_cannot_disable_themselves(db_session, staff):
    admin = staff.create("admin")
    with pytest.raises(IllegalTransition, match="You cannot disable your own account"):
        services.set_active(db_session, admin, admin, False)
    assert admin.active is True


def audit_count(db_session, user) -> int:
    return len(db_session.scalars(select(AuditEvent.id).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id))).all())


def test_disabling_your_own_account_is_refused_on_the_same_page(client, staff, db_session):
    admin = staff.login_as("admin")
    page = client.get(f"/admin/staff/{admin.id}")
    before = audit_count(db_session, admin)
    resp = client.post(f"/admin/staff/{admin.id}/disable", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 422
    assert "govuk-error-summary" in resp.text and "You cannot disable your own account" in resp.text
    assert f"<h1 class=\"govuk-heading-l\">{admin.name}</h1>" in resp.text  # the same page
    assert 'value="admin" checked' in resp.text  # the roles form still shows the account's roles
    db_session.refresh(admin)
    assert admin.active is True and audit_count(db_session, admin) == before
    assert client.get("/staff").status_code == 200  # still signed in


def test_a_second_account_with_one_email_goes_on_the_email_field(client, staff, db_session):
    existing = staff.create("manager")
    staff.login_as("admin")
    form = client.get("/admin/staff/new")
    resp = client.post("/admin/staff/new", data={
        "name": "Sam Other", "email": existing.email.upper(), "password": "temporary pass 42",
        "roles": ["triage_officer"], "csrf_token": csrf_from(form.text)})
    assert resp.status_code == 422
    assert field_error(resp.text, "email") == "There is already an account with this email address"
    assert 'value="Sam Other"' in resp.text and 'value="triage_officer" checked' in resp.text
    assert "temporary pass 42" not in resp.text  # a password is never sent back
    count = db_session.scalar(select(func.count()).select_from(User).where(User.email == existing.email))
    assert count == 1


def test_create_user_refusals_name_their_fields(db_session, staff):
    existing = staff.create("manager")
    with pytest.raises(Conflict, match="already an account with this email") as caught:
        services.create_user(db_session, "test", email=existing.email, name="A B",
                             password="temporary pass 42", roles=["manager"])
    assert caught.value.field == "email"
    with pytest.raises(Refusal, match="8 characters or more") as caught:
        services.create_user(db_session, "test", email="new@council.example", name="A B",
                             password="short", roles=["manager"])
    assert caught.value.field == "password"
    with pytest.raises(Refusal, match="Select the trusted assessor level") as caught:
        services.create_user(db_session, "test", email="new@council.example", name="A B",
                             password="temporary pass 42", roles=["trusted_assessor"])
    assert caught.value.field == "trusted_assessor_level"


def test_new_recovery_codes_without_two_factor_is_refused_on_the_account_page(client, staff, db_session):
    user = staff.login_as("manager")
    page = client.get("/account")
    assert "Get new recovery codes" not in page.text
    before = audit_count(db_session, user)
    resp = client.post("/account/recovery-codes", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 422 and "<h1 class=\"govuk-heading-l\">Your account</h1>" in resp.text
    assert "You do not have two-factor sign-in set up" in resp.text
    assert audit_count(db_session, user) == before


def test_a_stale_form_on_a_staff_account_changes_nothing(app, client, staff, db_session, monkeypatch):
    admin = staff.login_as("admin")
    other = staff.create("manager")
    before = audit_count(db_session, other)
    resp = client.post(f"/admin/staff/{other.id}/disable", data={"csrf_token": "expired-token"})
    assert resp.status_code == 400 and "Your form expired" in resp.text  # the app-wide check
    # the form's own check, if the app-wide one is ever off: the same page again, with the error
    monkeypatch.setitem(app.config, "WTF_CSRF_CHECK_DEFAULT", False)
    resp = client.post(f"/admin/staff/{other.id}/disable", data={"csrf_token": "expired-token"})
    assert resp.status_code == 422 and "govuk-error-summary" in resp.text
    assert f"<h1 class=\"govuk-heading-l\">{other.name}</h1>" in resp.text
    db_session.refresh(other)
    assert other.active is True and audit_count(db_session, other) == before
    assert admin.active is True


def test_a_wrong_code_at_two_factor_setup_is_shown_on_the_code_field(app, client, staff, db_session,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_MFA", True)
    user = staff.create("manager")
    staff.sign_in(user)
    setup = client.get("/sign-in/two-factor")
    resp = client.post("/sign-in/two-factor", data={"code": "123456", "csrf_token": csrf_from(setup.text)})
    assert resp.status_code == 422 and "Set up two-factor sign-in" in resp.text
    assert field_error(resp.text, "code") == ("The code is wrong or has expired. "
                                              "Enter the code your app shows now")
    db_session.refresh(user)
    assert user.totp_enabled is False


# Sessions: one row and one token per sign-in ------------------------------------------------

def _second_client(app):
    other = app.test_client()
    return other


def _sign_in_with(client, user):
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": csrf_from(page.text)})


def test_every_sign_in_gets_its_own_session_and_token(app, client, staff, db_session):
    user = staff.login_as("manager")
    other = _second_client(app)
    assert _sign_in_with(other, user).status_code == 303
    rows = services.sessions_for(db_session, user)
    assert len(rows) == 2 and rows[0].token_hash != rows[1].token_hash
    with client.session_transaction() as a, other.session_transaction() as b:
        assert a["_user_id"] != b["_user_id"]
    # signing out of one browser leaves the other signed in
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    assert client.get("/staff").status_code == 303
    assert other.get("/staff").status_code == 200
    assert len(services.sessions_for(db_session, user)) == 1


def test_a_person_sees_and_ends_their_other_sessions(app, client, staff, db_session):
    user = staff.login_as("manager")
    other = _second_client(app)
    _sign_in_with(other, user)
    page = client.get("/account")
    assert "Where you are signed in" in page.text and "This browser" in page.text
    mine = next(r for r in services.sessions_for(db_session, user)
                if f"/account/sessions/{r.id}/end" not in page.text)
    theirs = next(r for r in services.sessions_for(db_session, user) if r.id != mine.id)
    resp = client.post(f"/account/sessions/{theirs.id}/end", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303
    assert other.get("/staff").status_code == 303  # that browser is signed out
    assert client.get("/staff").status_code == 200
    own = client.post(f"/account/sessions/{mine.id}/end", data={"csrf_token": csrf_from(page.text)})
    assert own.status_code == 422 and "sign out instead" in own.text


def test_someone_elses_session_cannot_be_ended(app, client, staff, db_session):
    victim = staff.create("manager")
    other = _second_client(app)
    _sign_in_with(other, victim)
    victims = services.sessions_for(db_session, victim)[0]
    staff.login_as("manager")
    resp = client.post(f"/account/sessions/{victims.id}/end", data={"csrf_token": staff.csrf()})
    assert resp.status_code == 404
    assert other.get("/staff").status_code == 200


def test_disabling_an_account_ends_all_its_sessions(app, client, staff, db_session):
    user = staff.create("manager")
    other = _second_client(app)
    _sign_in_with(other, user)
    admin = staff.create("admin")
    services.set_active(db_session, admin, user, False)
    db_session.commit()
    assert services.sessions_for(db_session, user) == []
    assert other.get("/staff").status_code == 303


def test_the_session_limit_counts_from_sign_in_on_the_server_too(app, client, staff, db_session,
                                                                 monkeypatch):
    from datetime import timedelta

    from portal.auth.models import StaffSession

    user = staff.login_as("manager")
    row = services.sessions_for(db_session, user)[0]
    row.created_at -= app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(minutes=1)
    db_session.commit()
    # recent activity does not extend it: the row is past the absolute limit, whatever the cookie says
    with client.session_transaction() as sess:
        sess["signed_in_at"] = sess["last_seen"] = int(__import__("time").time())
    assert client.get("/staff").status_code == 303
    assert db_session.get(StaffSession, row.id).ended_at is None
    assert services.sessions_for(db_session, user) == []


# Two-factor sign-in: turned on by the person, required by an administrator -------------------

def test_staff_turn_on_two_factor_from_their_account(client, staff, db_session):
    user = staff.login_as("stores_officer")
    account = client.get("/account")
    assert "Turn on two-factor sign-in" in account.text
    setup = client.get("/account/two-factor")
    assert setup.status_code == 200 and "Set up two-factor sign-in" in setup.text
    with client.session_transaction() as sess:
        secret = sess["totp_setup_secret"]
    wrong = client.post("/account/two-factor", data={"code": "000000", "csrf_token": csrf_from(setup.text)})
    assert wrong.status_code == 422 and "The code is wrong" in wrong.text
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now(),
                                                    "csrf_token": csrf_from(setup.text)})
    assert "Save your recovery codes" in done.text
    db_session.expire_all()
    assert db_session.get(User, user.id).totp_enabled
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    resp = staff.sign_in(user)
    assert resp.headers["Location"] == "/sign-in/two-factor"
    assert client.get("/staff").status_code == 303


def test_an_administrator_requires_two_factor_for_a_role(client, staff, db_session):
    stores = staff.create("stores_officer")
    triage = staff.create("triage_officer")
    staff.login_as("admin")
    page = client.get("/admin/security")
    assert page.status_code == 200
    bad = client.post("/admin/security", data={"roles": ["nobody"], "csrf_token": csrf_from(page.text)})
    assert bad.status_code == 422
    ok = client.post("/admin/security", data={"roles": ["stores_officer"], "csrf_token": csrf_from(page.text)})
    assert ok.status_code == 303
    assert services.two_factor_roles(db_session) == ["stores_officer"]
    assert services.two_factor_required(db_session, stores) is True
    assert services.two_factor_required(db_session, triage) is False
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "security_setting.changed")) == 1
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    resp = staff.sign_in(stores)
    assert resp.headers["Location"] == "/sign-in/two-factor"
    assert "Set up two-factor sign-in" in client.get("/sign-in/two-factor").text
    assert client.get("/staff").status_code == 303  # no way round the setup
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/sign-in/two-factor").text)})
    assert staff.sign_in(triage).headers["Location"] == "/staff"


def test_two_factor_that_is_required_cannot_be_turned_off(db_session, staff):
    user = staff.create("stores_officer")
    services.enable_totp(db_session, user, secret := services.new_totp_secret(), pyotp.TOTP(secret).now())
    services.set_two_factor_roles(db_session, "test", ["stores_officer"])
    with pytest.raises(IllegalTransition, match="requires it for your role"):
        services.turn_off_two_factor(db_session, user)
    services.set_two_factor_roles(db_session, "test", [])
    services.turn_off_two_factor(db_session, user)
    assert user.totp_enabled is False
    with pytest.raises(Refusal, match="Unknown role: nobody"):
        services.set_two_factor_roles(db_session, "test", ["nobody"])
