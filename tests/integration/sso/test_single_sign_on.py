"""Single sign-on with OpenID Connect (issue 14): against the suite's own provider (conftest.py)."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.auth import services, sso
from portal.auth.models import StaffSession, User
from tests.conftest import csrf_from
from tests.integration.sso.conftest import CLIENT_ID, GROUP_ROLES


def _user(db_session, subject="subject-0001") -> User | None:
    return db_session.scalar(select(User).where(User.oidc_subject == subject))


def _failures(db_session) -> list[dict]:
    return [e.details for e in db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "sign_in.failed").order_by(AuditEvent.id))]


def _signed_in(client) -> bool:
    return client.get("/staff").status_code == 200


def test_sign_in_end_to_end_makes_the_account_with_roles_from_groups(single_sign_on, client, db_session, provider):
    provider_url = single_sign_on.go_to_provider()
    query = parse_qs(urlsplit(provider_url).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["state"] and query["nonce"] and query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()

    resp = single_sign_on.come_back(provider_url)
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff"
    assert provider.token_requests[-1]["code_verifier"]  # PKCE

    user = _user(db_session)
    assert user.oidc_issuer == provider.issuer and user.email == "sam.jones@council.example"
    assert user.password_hash is None and user.role_names == ["triage_officer"]
    home = client.get("/staff")
    assert home.status_code == 200 and "Sam Jones" in home.text
    assert db_session.scalar(select(StaffSession).where(StaffSession.user_id == user.id)).is_open
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id))).all()
    assert {"staff_user.created", "staff_user.roles_changed", "sign_in"} <= set(actions)
    sign_in = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in",
                                                         AuditEvent.actor_id == user.id))
    assert sign_in.details["method"] == "single sign-on"
    assert "token" not in json.dumps(sign_in.details)

    resp = client.post("/sign-out", data={"csrf_token": csrf_from(home.text)})
    assert resp.status_code == 303 and not _signed_in(client)
    assert not db_session.scalar(select(StaffSession).where(StaffSession.user_id == user.id)).is_open


def test_the_same_person_signs_in_again_to_the_same_account(single_sign_on, client, db_session):
    single_sign_on.sign_in()
    first = _user(db_session)
    single_sign_on.sign_in(email="sam.jones.new@council.example")
    assert _user(db_session).id == first.id
    assert db_session.scalar(select(User).where(User.email == "sam.jones.new@council.example")) is None


def test_trusted_assessor_level_comes_from_the_group(single_sign_on, db_session):
    resp = single_sign_on.sign_in(groups=["33333333-cccc-ta3", "44444444-dddd-ta4", "not-ours"])
    assert resp.status_code == 303
    user = _user(db_session)
    assert user.role_names == ["trusted_assessor"] and user.trusted_assessor_level == 4


def test_an_sso_account_is_not_offered_a_password_change(single_sign_on, client):
    single_sign_on.sign_in()
    page = client.get("/account")
    assert "Your council account (single sign-on)" in page.text
    assert "/account/password" not in page.text and "Turn on two-factor" not in page.text
    resp = client.get("/account/password")
    assert resp.status_code == 303 and resp.headers["Location"] == "/account"


@pytest.mark.parametrize("spoil,reason", [
    ({"aud": "another-app", "azp": CLIENT_ID}, "ID token invalid"),
    ({"aud": None}, "ID token invalid"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "ID token expired"),
    ({"nonce": "not-the-nonce-we-sent"}, "ID token invalid"),
    ({"nonce": None}, "ID token invalid"),
    ({"iss": "https://login.example/another-tenant/v2.0"}, "ID token invalid"),
], ids=["wrong-audience", "no-audience", "expired", "wrong-nonce", "no-nonce", "wrong-issuer"])
def test_a_bad_id_token_is_refused_and_audited(single_sign_on, client, db_session, provider, spoil, reason):
    provider.spoil = spoil
    resp = single_sign_on.sign_in()
    assert resp.status_code == 401
    assert "You could not be signed in" in resp.text and "could not sign you in" in resp.text
    assert _user(db_session) is None and not _signed_in(client)
    failure = _failures(db_session)[-1]
    assert failure["method"] == "single sign-on" and failure["reason"] == reason


def test_an_id_token_signed_with_another_key_is_refused(single_sign_on, client, db_session, provider):
    provider.sign_with = provider.other_key
    resp = single_sign_on.sign_in()
    assert resp.status_code == 401 and _user(db_session) is None and not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "ID token invalid"


def test_a_wrong_or_missing_state_is_refused(single_sign_on, client, db_session, provider):
    provider_url = single_sign_on.go_to_provider()
    spoilt = provider_url.replace("state=", "state=x")
    resp = single_sign_on.come_back(spoilt)
    assert resp.status_code == 400 and "try again" in resp.text
    assert client.get("/sign-in/sso/callback?code=abc").status_code == 400
    assert _user(db_session) is None and not _signed_in(client)
    assert [f["reason"] for f in _failures(db_session)] == ["state missing or wrong"] * 2
    assert provider.token_requests == []  # the code was never exchanged


def test_an_error_from_the_provider_is_refused_and_audited(single_sign_on, client, db_session, provider):
    provider.deny = True
    resp = single_sign_on.sign_in()
    assert resp.status_code == 401 and "could not sign you in" in resp.text
    assert not _signed_in(client)
    failure = _failures(db_session)[-1]
    assert failure["reason"] == "provider error" and failure["error"] == "access_denied"


def test_a_code_the_provider_will_not_exchange_is_refused(single_sign_on, client, db_session, provider):
    provider.forget_codes = True
    resp = single_sign_on.sign_in()
    assert resp.status_code == 401 and not _signed_in(client)
    failure = _failures(db_session)[-1]
    assert failure["reason"] == "provider error" and failure["error"] == "invalid_grant"


def test_a_token_answer_without_an_id_token_is_refused(single_sign_on, client, db_session, provider):
    provider.send_id_token = False
    resp = single_sign_on.sign_in()
    assert resp.status_code == 401 and not _signed_in(client) and _user(db_session) is None
    assert _failures(db_session)[-1]["reason"] == "no ID token"


def test_the_callback_cannot_be_used_twice(single_sign_on, client, db_session):
    answer = requests.get(single_sign_on.go_to_provider(), allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    callback = f"{back.path}?{back.query}"
    assert client.get(callback).status_code == 303
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/staff").text)})
    replay = client.get(callback)
    assert replay.status_code == 400 and not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "state missing or wrong"


def test_someone_with_no_mapped_group_is_refused(single_sign_on, client, db_session):
    resp = single_sign_on.sign_in(groups=["99999999-not-a-portal-group"])
    assert resp.status_code == 403
    assert "Your account has no access to the TECS Portal" in resp.text and "ask your manager" in resp.text.lower()
    assert _user(db_session) is None and not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "no mapped role"


def test_a_leaver_loses_their_roles_and_sessions_at_the_next_sign_in(app, single_sign_on, client, db_session):
    single_sign_on.sign_in()
    assert _signed_in(client)
    user = _user(db_session)
    other_browser = app.test_client()

    resp = single_sign_on.sign_in(groups=[])
    assert resp.status_code == 403
    db_session.expire_all()
    assert _user(db_session).role_names == []
    assert not _signed_in(client) and not _signed_in(other_browser)
    change = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "staff_user.roles_changed", AuditEvent.entity_id == str(user.id))
        .order_by(AuditEvent.id.desc())).first()
    assert change.actor == "single sign-on"
    assert change.details["before"] == ["triage_officer"] and change.details["after"] == []


def test_a_mover_gets_the_roles_of_their_new_groups(single_sign_on, client, db_session):
    single_sign_on.sign_in()
    single_sign_on.sign_in(groups=["22222222-bbbb-ot"])
    db_session.expire_all()
    assert _user(db_session).role_names == ["occupational_therapist"]
    assert client.get("/staff").status_code == 200


def test_a_local_account_with_the_same_verified_email_is_linked(single_sign_on, staff, db_session):
    local = staff.create("manager")
    resp = single_sign_on.sign_in(email=local.email.upper())
    assert resp.status_code == 303
    db_session.expire_all()
    linked = _user(db_session)
    assert linked.id == local.id and linked.password_hash is not None
    assert linked.role_names == ["triage_officer"]  # the directory's groups now decide
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "staff_user.linked_to_provider",
                                                      AuditEvent.entity_id == str(local.id))) is not None


def test_an_unverified_email_neither_links_nor_makes_an_account(single_sign_on, staff, db_session):
    local = staff.create("manager")
    resp = single_sign_on.sign_in(email=local.email, email_verified=False)
    assert resp.status_code == 403 and _user(db_session) is None
    assert _failures(db_session)[-1]["reason"] == "email not verified by the provider"
    resp = single_sign_on.sign_in(sub="subject-0002", email="new.person@council.example", email_verified=False)
    assert resp.status_code == 403 and _user(db_session, "subject-0002") is None


def test_a_trusted_email_domain_stands_in_for_email_verified(sso_app, single_sign_on, db_session):
    sso_app.config["OIDC_TRUSTED_EMAIL_DOMAINS"] = ["council.example"]
    resp = single_sign_on.sign_in(email_verified=None)
    assert resp.status_code == 303 and _user(db_session) is not None


def test_a_disabled_account_cannot_sign_in_with_sso(single_sign_on, client, db_session):
    single_sign_on.sign_in()
    services.set_active(db_session, "test", _user(db_session), False)
    db_session.flush()
    resp = single_sign_on.sign_in()
    assert resp.status_code == 403 and not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "disabled"


def test_the_provider_must_say_it_used_two_factor_when_required(sso_app, single_sign_on, client, db_session):
    sso_app.config["OIDC_REQUIRE_MFA_CLAIM"] = "mfa"
    resp = single_sign_on.sign_in(amr=["pwd"])
    assert resp.status_code == 403 and not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "no two-factor claim"
    resp = single_sign_on.sign_in(amr=["pwd", "mfa"])
    assert resp.status_code == 303 and _signed_in(client)


def test_local_sign_in_still_works_with_sso_configured(single_sign_on, client, staff):
    page = client.get("/sign-in")
    assert "Sign in with your council account" in page.text and 'name="password"' in page.text
    staff.login_as("triage_officer")
    assert _signed_in(client)


def test_oidc_only_refuses_passwords_except_an_administrators(sso_app, single_sign_on, client, staff, db_session):
    sso_app.config["OIDC_ONLY"] = True
    assert "Sign in with a password (administrators only)" in client.get("/sign-in").text
    officer = staff.create("triage_officer")
    resp = staff.sign_in(officer)
    assert resp.status_code == 200 and "Sign in with your council account" in resp.text
    assert not _signed_in(client)
    assert _failures(db_session)[-1]["reason"] == "single sign-on only"

    admin = staff.create("admin")
    resp = staff.sign_in(admin)
    assert resp.status_code == 303 and resp.headers["Location"] == "/sign-in/two-factor"  # break-glass: 2FA
    assert client.get("/staff").status_code == 303

    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/sign-in").text)})
    assert single_sign_on.sign_in().status_code == 303 and _signed_in(client)


def test_an_unreachable_provider_gives_a_clear_page(sso_app, client, db_session):
    sso_app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    sso.init_app(sso_app)
    page = client.get("/sign-in")
    resp = client.post("/sign-in/sso", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 503 and "could not reach your council" in resp.text
    assert _failures(db_session)[-1]["reason"] == "provider unreachable"


def test_the_callback_is_rate_limited(single_sign_on, client):
    statuses = [client.get("/sign-in/sso/callback?code=x&state=y").status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


def test_without_configuration_there_is_no_sso(client):
    assert "Sign in with your council account" not in client.get("/sign-in").text
    assert client.get("/sign-in/sso/callback?code=x&state=y").status_code == 404


def test_the_group_mapping_is_checked_at_start_up():
    assert services.parse_group_roles(json.dumps(GROUP_ROLES))["33333333-cccc-ta3"] == "trusted_assessor:3"
    with pytest.raises(ValueError, match="unknown roles: trusted_assessor"):
        services.parse_group_roles('{"g": "trusted_assessor"}')
    with pytest.raises(ValueError, match="unknown roles: wizard"):
        services.parse_group_roles('{"g": "wizard"}')


def test_oidc_only_without_a_provider_will_not_start(app):
    before = app.config["OIDC_ONLY"]
    app.config["OIDC_ONLY"] = True
    try:
        with pytest.raises(RuntimeError, match="OIDC_ONLY"):
            sso.init_app(app)
    finally:
        app.config["OIDC_ONLY"] = before


def test_one_provider_identity_is_one_account_in_the_database(db_session):
    db_session.add(User(email="one@council.example", name="One", oidc_issuer="https://idp", oidc_subject="s-1"))
    db_session.flush()
    for issuer, subject in (("https://idp", "s-1"), ("https://idp", None)):
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.add(User(email=f"two-{subject}@council.example", name="Two", oidc_issuer=issuer,
                                oidc_subject=subject))
            db_session.flush()


def test_an_administrator_sees_that_roles_come_from_the_directory(single_sign_on, client, staff, db_session):
    single_sign_on.sign_in()
    person = _user(db_session)
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/staff").text)})
    staff.login_as("admin")
    page = client.get(f"/admin/staff/{person.id}")
    assert "Their council account" in page.text and "to change their roles for good, change their groups" in page.text
