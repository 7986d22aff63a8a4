import json
import time

from tests.conftest import PASSWORD, csrf_from


def test_security_headers_on_every_kind_of_response(client, htmx_headers):
    responses = {
        "page": client.get("/"),
        "error": client.get("/missing"),
        "fragment": client.get("/missing", headers=htmx_headers),
        "json": client.get("/healthz"),
    }
    for kind, resp in responses.items():
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, kind
        assert resp.headers["X-Content-Type-Options"] == "nosniff", kind
        assert resp.headers["Referrer-Policy"] == "no-referrer", kind
        assert "camera=()" in resp.headers["Permissions-Policy"], kind
        assert resp.headers["Cache-Control"] == "no-store", kind
        assert "HX-Request" in resp.headers["Vary"], kind


def test_the_inline_govuk_script_carries_the_nonce(client):
    resp = client.get("/")
    nonce = resp.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in resp.text
    again = client.get("/").headers["Content-Security-Policy"]
    assert nonce not in again  # a new nonce for every response


def test_session_cookie_flags(client, staff):
    user = staff.create("manager")
    resp = staff.sign_in(user)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_enforced(client, staff):
    user = staff.create("manager")
    resp = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "Nothing was saved" in resp.text


def test_csrf_is_enforced_for_htmx_posts(client, staff, htmx_headers):
    staff.login_as("admin")
    resp = client.post("/sign-out", headers=htmx_headers)
    assert resp.status_code == 400
    token = staff.csrf()
    ok = client.post("/sign-out", headers={**htmx_headers, "X-CSRFToken": token})
    assert ok.status_code == 303


def test_anonymous_user_is_sent_to_sign_in(client):
    resp = client.get("/staff")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/sign-in")


def test_anonymous_htmx_request_gets_a_full_redirect(client, htmx_headers):
    resp = client.get("/staff", headers=htmx_headers)
    assert resp.headers["HX-Redirect"] == "/sign-in"


def test_role_check_gives_403(client, staff):
    staff.login_as("telecare_installer")
    assert client.get("/admin/staff").status_code == 403
    assert client.get("/audit/").status_code == 403
    assert client.get("/staff").status_code == 200


def test_manager_sees_the_audit_log_but_not_staff_admin(client, staff):
    staff.login_as("manager")
    assert client.get("/audit/").status_code == 200
    assert client.get("/admin/staff").status_code == 403


def test_a_route_without_an_access_rule_is_refused(app, client):
    def undeclared():
        return "should never be seen"

    app.view_functions["web.privacy"], original = undeclared, app.view_functions["web.privacy"]
    try:
        resp = client.get("/privacy")
    finally:
        app.view_functions["web.privacy"] = original
    assert resp.status_code == 403 and "should never be seen" not in resp.text


def test_idle_timeout_signs_staff_out(client, staff, app):
    staff.login_as("manager")
    assert client.get("/staff").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - app.config["STAFF_IDLE_MINUTES"] * 60 - 5
    resp = client.get("/staff")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/sign-in")
    assert client.get("/staff").status_code == 303


def test_activity_within_the_idle_limit_keeps_the_session(client, staff, app):
    staff.login_as("manager")
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - app.config["STAFF_IDLE_MINUTES"] * 60 + 60
    assert client.get("/staff").status_code == 200


def test_the_session_ends_twelve_hours_after_sign_in_however_busy(client, staff, app):
    staff.login_as("manager")
    lifetime = int(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
    with client.session_transaction() as sess:
        assert abs(sess["signed_in_at"] - time.time()) < 60  # stamped at sign-in
        sess["signed_in_at"] = int(time.time()) - lifetime + 120
    assert client.get("/staff").status_code == 200  # busy to the last minute
    with client.session_transaction() as sess:
        assert sess["signed_in_at"] == int(time.time()) - lifetime + 120 or \
            abs(sess["signed_in_at"] - (time.time() - lifetime + 120)) < 5  # activity never moves it
        sess["signed_in_at"] = int(time.time()) - lifetime - 1
        sess["last_seen"] = int(time.time())  # active a moment ago
    resp = client.get("/staff")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/sign-in")
    assert "signed in more than 12 hours ago" in client.get("/sign-in").text


def test_a_session_from_before_the_limit_was_stamped_is_ended(client, staff):
    staff.login_as("manager")
    with client.session_transaction() as sess:
        del sess["signed_in_at"]
    assert client.get("/staff").status_code == 303


def test_activity_is_stamped_at_most_once_a_minute(client, staff):
    staff.login_as("manager")
    recent = int(time.time()) - 30
    with client.session_transaction() as sess:
        sess["last_seen"] = recent
    assert client.get("/staff").status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen"] == recent
        sess["last_seen"] = recent - 60
    assert client.get("/staff").status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen"] >= recent + 30


def test_sign_in_page_keeps_next_only_for_local_paths(client, staff):
    user = staff.create("admin")
    client.get("/admin/staff")  # remembered as next
    resp = staff.sign_in(user)
    assert resp.headers["Location"] == "/admin/staff"
    from portal.auth.views import _safe_next

    with client.application.test_request_context():
        assert _safe_next("//evil.example/x") == "/staff"
        assert _safe_next("https://evil.example/") == "/staff"
        assert _safe_next("/referrals") == "/referrals"


def test_csrf_token_is_read_from_the_form(client):
    assert csrf_from(client.get("/sign-in").text)


def test_body_carries_the_csrf_header_for_htmx(client):
    html = client.get("/").text
    token = csrf_from(client.get("/sign-in").text)
    assert "hx-headers=" in html and "X-CSRFToken" in html and token in client.get("/").text


def _statements_while(app, db_session, call):
    """The SQL statements (not savepoints) the database receives while `call()` runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    bind = db_session.get_bind()
    event.listen(bind, "before_cursor_execute", capture)
    try:
        result = call()
    finally:
        event.remove(bind, "before_cursor_execute", capture)
    return result, seen


def test_a_signed_in_request_reads_the_database_once_and_writes_nothing(app, client, staff, db_session,
                                                                         monkeypatch):
    """Session, user, roles and the two-factor setting in one query; activity was stamped a moment
    ago, so nothing is written (rule PERF-01)."""
    staff.login_as("triage_officer")
    assert client.get("/staff").status_code == 200  # activity stamped now

    def hello():
        return "hello"

    hello._access = "staff"
    monkeypatch.setitem(app.view_functions, "web.privacy", hello)
    resp, statements = _statements_while(app, db_session, lambda: client.get("/privacy"))
    assert resp.status_code == 200 and resp.text == "hello"
    assert len(statements) == 1, statements
    assert "staff_session" in statements[0] and "security_setting" in statements[0]


def test_the_session_cookie_is_sent_only_when_the_session_changes(client, staff):
    staff.login_as("manager")
    assert client.get("/staff").status_code == 200  # activity stamped: the cookie changes
    resp = client.get("/staff")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers  # nothing changed within the minute: nothing re-sent
    with client.session_transaction() as sess:
        sess["last_seen"] = int(time.time()) - 61
    resp = client.get("/staff")
    assert "session=" in resp.headers.get("Set-Cookie", "")  # stamped again, so the cookie is re-sent


def test_the_request_log_names_the_signed_in_user_without_reading_them_again(client, staff, caplog):
    caplog.set_level("INFO", logger="portal.request")
    user = staff.login_as("manager")
    assert client.get("/staff").status_code == 200
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    assert [(e["path"], e["method"], e["user"]) for e in logged if e["path"] in ("/sign-in", "/staff")][-2:] == [
        ("/sign-in", "POST", user.id), ("/staff", "GET", user.id)]
