"""Access-control matrix (RELIABILITY.md Z1, Z2, C1, S1, A3, H1-H3).

Every route in app.url_map x every role x anonymous is requested and compared with the rule the
route declares. Because that comparison alone would be circular, CRITICAL below is a hand-written
list of expectations that must hold whatever the decorators say. Object-level checks (IDOR) try
other people's and other staff members' records through every record route that is scoped."""

import re

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from portal.auth.roles import ROLES
from portal.extensions import limiter
from portal.web.security import API, PUBLIC, SIGNED_IN, STAFF, access_rule
from tests.conftest import PASSWORD, csrf_from

IDENTITIES = ["anonymous", *ROLES]
MISSING_ID = 987654
# Routes that end the session: requested last, on their own.
SESSION_ENDING = {"auth.logout"}

# Hand-written, not derived from the decorators: (role, method, path, allowed?)
CRITICAL = [
    ("telecare_installer", "GET", "/referrals", False),
    ("stores_officer", "GET", "/referrals", False),
    ("dfg_caseworker", "GET", "/referrals", False),
    ("admin", "GET", "/referrals", False),  # admins run the system; they do not triage
    ("triage_officer", "GET", "/referrals", True),
    ("trusted_assessor", "GET", "/referrals", True),
    ("admin", "GET", "/admin/staff", True),
    ("manager", "GET", "/admin/staff", False),
    ("triage_officer", "GET", "/admin/staff", False),
    ("occupational_therapist", "GET", "/admin/staff/new", False),
    ("manager", "GET", "/admin/outbox/", False),
    ("manager", "GET", "/audit/", True),
    ("triage_officer", "GET", "/audit/", False),
    ("telecare_installer", "GET", "/audit/", False),
    ("telecare_installer", "GET", f"/people/{MISSING_ID}", False),
    ("admin", "GET", f"/people/{MISSING_ID}", False),
    ("stores_officer", "POST", f"/referrals/{MISSING_ID}/claim", False),
    ("manager", "POST", f"/referrals/{MISSING_ID}/claim", False),
    ("triage_officer", "POST", f"/equipment/stores/{MISSING_ID}/stock/changes", False),
    ("trusted_assessor", "POST", "/equipment/catalogue/new", False),
]


def _url_for_rule(rule) -> str:
    """A concrete URL for any rule: int ids that do not exist, the first choice of an any()."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = MISSING_ID
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else \
                re.search(r"any\(([^,)]+)", rule.rule).group(1).strip(" '")
        elif name == "entity_type":
            values[name] = "referral"
        elif name == "filename":
            values[name] = "css/app.css"
        else:
            values[name] = "1"
    url = rule.rule
    for name, value in values.items():
        url = re.sub(r"<[^>]*\b" + name + ">", str(value), url)
    return url


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, _url_for_rule(rule)


def expected_allowed(app, endpoint: str, identity: str) -> bool:
    rule = access_rule(app, endpoint)
    assert rule is not None, f"{endpoint} declares no access rule"
    if rule == PUBLIC:
        return True
    if identity == "anonymous":
        return False
    if rule in (SIGNED_IN, STAFF):
        return True
    return identity in rule


def _is_sign_in_redirect(resp) -> bool:
    return (resp.status_code in (302, 303) and resp.headers.get("Location", "").endswith("/sign-in")) or \
        resp.headers.get("HX-Redirect") == "/sign-in"


def _request(client, method, url, token):
    resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
    return _read(resp)


def _read(resp):
    resp.get_data()
    resp.close()  # a static file is a file wrapper: close it
    return resp


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_route_allows_and_denies_as_declared(app, client, staff, identity):
    limiter.reset()
    if identity != "anonymous":
        staff.login_as(identity)
        token = staff.csrf("/account")
    else:
        token = csrf_from(client.get("/sign-in").text)
    checked = 0
    for rule, method, url in _routes(app):
        if rule.endpoint in SESSION_ENDING:
            continue
        limiter.reset()
        resp = _request(client, method, url, token)
        allowed = expected_allowed(app, rule.endpoint, identity)
        where = f"{identity} {method} {url} -> {resp.status_code}"
        assert resp.status_code < 500, where
        if access_rule(app, rule.endpoint) == API:  # a staff session is no API key
            assert resp.status_code == 401, where
        elif allowed:
            assert resp.status_code != 403 and not _is_sign_in_redirect(resp), where
        elif identity == "anonymous":
            assert _is_sign_in_redirect(resp), where
        else:
            assert resp.status_code == 403, where
            assert "You do not have permission" in resp.text, where
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("role,method,path,allowed", CRITICAL)
def test_critical_expectations_written_by_hand(client, staff, role, method, path, allowed):
    staff.login_as(role)
    resp = _request(client, method, path, staff.csrf("/account"))
    if allowed:
        assert resp.status_code == 200, resp.status_code
    else:
        assert resp.status_code in (403, 404), resp.status_code


def test_every_route_declares_its_rule_in_the_expected_table(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules() if access_rule(app, r.endpoint) is None]
    assert undeclared == []


# IDOR: another person's or another staff member's object ids -------------------------------

def _scoped_referrals(db_session, make_referral, staff):
    other_ot = staff.create("occupational_therapist")
    ot_only = make_referral(family_name="Otonly", route="occupational_therapist", state="awaiting_assessment")
    level4 = make_referral(family_name="Levelfour", route="trusted_assessor", complex=False, ta_level_required=4,
                           state="awaiting_assessment")
    complex_case = make_referral(family_name="Complex", route="trusted_assessor", complex=True,
                                 state="awaiting_assessment")
    others = make_referral(family_name="Others", assigned_to_id=other_ot.id)
    db_session.commit()
    return {"ot_only": ot_only, "level4": level4, "complex": complex_case, "others": others}


REFERRAL_RECORD_ROUTES = [
    ("GET", "/referrals/{id}"),
    ("GET", "/referrals/{id}/assessment"),
    ("POST", "/referrals/{id}/claim"),
    ("POST", "/referrals/{id}/first-contact"),
    ("POST", "/referrals/{id}/pause"),
    ("POST", "/referrals/{id}/resume"),
]


@pytest.fixture
def scoped_make_referral(make_referral):
    def make(**kwargs):
        fields = {k: kwargs.pop(k) for k in list(kwargs) if k in
                  ("route", "state", "complex", "ta_level_required", "assigned_to_id")}
        referral = make_referral(**kwargs)
        for key, value in fields.items():
            setattr(referral, key, value)
        return referral
    return make


def test_idor_trusted_assessor_cannot_open_ot_only_complex_higher_level_or_others_cases(
        db_session, client, staff, scoped_make_referral):
    cases = _scoped_referrals(db_session, scoped_make_referral, staff)
    staff.login_as("trusted_assessor", level=3)
    token = staff.csrf("/account")
    for name in ("ot_only", "level4", "complex", "others"):
        referral = cases[name]
        for method, pattern in REFERRAL_RECORD_ROUTES:
            url = pattern.format(id=referral.id)
            resp = _request(client, method, url, token)
            assert resp.status_code == 404, f"trusted assessor {method} {url} ({name}) -> {resp.status_code}"
            assert "Otonly" not in resp.text or name != "ot_only"
    queue = client.get("/referrals?q=otonly")
    assert "Otonly" not in queue.text and "Others" not in client.get("/referrals?q=others").text


def test_idor_occupational_therapist_cannot_open_another_ots_assigned_case(
        db_session, client, staff, scoped_make_referral):
    cases = _scoped_referrals(db_session, scoped_make_referral, staff)
    staff.login_as("occupational_therapist")
    token = staff.csrf("/account")
    for method, pattern in REFERRAL_RECORD_ROUTES:
        url = pattern.format(id=cases["others"].id)
        assert _request(client, method, url, token).status_code == 404, url
    assert client.get(f"/referrals/{cases['ot_only'].id}").status_code == 200  # the OT pool is theirs


def test_idor_the_same_ids_open_for_triage(db_session, client, staff, scoped_make_referral):
    cases = _scoped_referrals(db_session, scoped_make_referral, staff)
    staff.login_as("triage_officer")
    for referral in cases.values():
        assert client.get(f"/referrals/{referral.id}").status_code == 200


def test_idor_another_staff_members_account_is_admin_only(db_session, client, staff):
    victim = staff.create("triage_officer")
    db_session.commit()
    staff.login_as("manager")
    token = staff.csrf("/account")
    assert client.get(f"/admin/staff/{victim.id}").status_code == 403
    assert client.post(f"/admin/staff/{victim.id}/disable", data={"csrf_token": token}).status_code == 403


def test_idor_person_record_is_scoped_like_the_referral(db_session, client, staff, scoped_make_referral):
    cases = _scoped_referrals(db_session, scoped_make_referral, staff)
    staff.login_as("trusted_assessor", level=3)
    assert client.get(f"/people/{cases['ot_only'].person_id}").status_code == 404


def test_idor_installer_cannot_open_another_installers_job(app, db_session, client, staff):
    from datetime import date

    from portal.people.services import create_person
    from portal.telecare import services as telecare

    mine, theirs = staff.create("telecare_installer"), staff.create("telecare_installer")
    person = create_person(db_session, "test", given_name="Iris", family_name="Job", date_of_birth=date(1940, 1, 1),
                           address_line_1="1 Road", postcode="AD1 2EF")
    job, _ = telecare.create_job(db_session, "test", person_id=person.id, job_type="new_install", priority="routine")
    telecare.schedule_job(db_session, "test", job.id, on=date.today(), slot="am", installer_id=mine.id)
    db_session.flush()
    staff.sign_in(theirs)
    assert client.get(f"/telecare/jobs/{job.id}").status_code == 404
    assert client.get(f"/telecare/people/{person.id}/connection").status_code == 404
    assert client.get(f"/people/{person.id}").status_code == 403  # installers have no person pages
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    staff.sign_in(mine)
    assert client.get(f"/telecare/jobs/{job.id}").status_code == 200


# CSRF, session fixation, throttling ---------------------------------------------------------

def test_every_post_route_rejects_a_post_without_a_csrf_token(app, client, staff):
    staff.login_as("admin")
    posts = [(rule, url) for rule, method, url in _routes(app) if method == "POST"]
    assert len(posts) > 20
    for rule, url in posts:
        for headers in ({}, {"HX-Request": "true", "HX-Target": "main-content"}):
            resp = client.post(url, data={"anything": "1"}, headers=headers)
            # the API takes no cookies, so no CSRF token: a signed-in session without a key gets 401
            expected = 401 if access_rule(app, rule.endpoint) == API else 400
            assert resp.status_code == expected, f"{rule.endpoint} {url} {headers} -> {resp.status_code}"
    assert client.get("/staff").status_code == 200  # still signed in: nothing acted


def test_session_fixation_the_cookie_changes_at_sign_in(app, client, staff):
    user = staff.create("triage_officer")
    page = client.get("/sign-in")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    resp = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert after != before
    # the pre-sign-in cookie, replayed, is not signed in
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert _is_sign_in_redirect(other.get("/staff"))


def test_login_is_throttled(app, client, staff):
    limiter.reset()
    user = staff.create("manager")
    token = csrf_from(client.get("/sign-in").text)
    statuses = [client.post("/sign-in", data={"email": user.email, "password": "wrong password here",
                                              "csrf_token": token}).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    blocked = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    limiter.reset()


# Security headers on every response type ----------------------------------------------------

def _assert_core_headers(resp, kind):
    assert resp.headers["X-Content-Type-Options"] == "nosniff", kind
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], kind
    assert resp.headers["X-Frame-Options"] == "DENY", kind


def test_security_headers_on_every_response_type(client, staff, make_referral, htmx_headers, db_session):
    referral = make_referral()
    db_session.commit()
    start = client.get("/")
    fingerprinted = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', start.text).group(1)
    public = {"public page": start, "public error": client.get("/no-such-page"),
              "json": client.get("/healthz"), "static file": _read(client.get("/static/css/app.css")),
              "fingerprinted static file": _read(client.get(fingerprinted)),
              "compressed static file": _read(client.get(fingerprinted, headers={"Accept-Encoding": "gzip"}))}
    staff.login_as("triage_officer")
    token = staff.csrf("/account")
    private = {
        "staff page": client.get("/referrals"),
        "fragment": client.get("/referrals", headers={"HX-Request": "true", "HX-Target": "queue-results"}),
        "row fragment": client.post(f"/referrals/{referral.id}/claim",
                                    data={"csrf_token": token, "version": referral.version},
                                    headers={"HX-Request": "true", "HX-Target": f"referral-row-{referral.id}"}),
        "403": client.get("/admin/staff"),
        "404 fragment": client.get("/referrals/987654", headers=htmx_headers),
        "400 csrf": client.post(f"/referrals/{referral.id}/claim"),
        "file (QR label page)": client.get("/equipment/assets/987654/label"),
    }
    for kind, resp in {**public, **private}.items():
        assert resp.status_code < 500, kind
        _assert_core_headers(resp, kind)
    for kind, resp in private.items():
        assert resp.headers["Cache-Control"] == "no-store", kind  # personal data is never cached
        assert "HX-Request" in resp.headers.get("Vary", ""), kind
    for kind in ("static file", "fingerprinted static file", "compressed static file"):
        assert public[kind].status_code == 200, kind
        assert public[kind].headers["Referrer-Policy"] == "no-referrer", kind
        assert "Set-Cookie" not in public[kind].headers, kind
    assert "immutable" in public["fingerprinted static file"].headers["Cache-Control"]
    assert public["compressed static file"].headers["Content-Encoding"] == "gzip"
    assert "<table" in private["fragment"].text and "<html" not in private["fragment"].text


HUGE = 10**20  # a 20-digit number: past any integer key the database holds


def test_an_id_too_large_for_the_database_is_not_found(app, client, staff):
    staff.login_as(*ROLES)
    token = staff.csrf("/account")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        url = _url_for_rule(rule).replace(str(MISSING_ID), str(HUGE))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            limiter.reset()
            resp = _request(client, method, url, token)
            assert resp.status_code == 404, f"{method} {url} -> {resp.status_code}"
            checked += 1
    assert checked > 30


def test_a_huge_number_in_a_filter_is_never_a_500(app, client, staff):
    staff.login_as(*ROLES)
    query = "&".join(f"{name}={HUGE}" for name in (
        "person", "referral", "since", "after", "page", "store", "store_id", "product", "order", "job",
        "installer", "assigned", "case", "before", "kit", "year"))
    checked = 0
    for rule, method, url in _routes(app):
        if method != "GET" or rule.endpoint in SESSION_ENDING or rule.endpoint == "static" or rule._converters:
            continue
        limiter.reset()
        resp = _read(client.get(f"{url}?{query}"))
        assert resp.status_code < 500, f"GET {url}?{query} -> {resp.status_code}"
        checked += 1
    assert checked > 20
