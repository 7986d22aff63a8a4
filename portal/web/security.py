"""Access rules (deny by default), security headers, request ids and the staff session rules."""

import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable

from flask import Flask, abort, current_app, flash, g, request, session, url_for
from flask_login import current_user, logout_user

from portal.extensions import set_write_intent
from portal.web.htmx import full_redirect

PUBLIC = "public"
SIGNED_IN = "signed_in"  # password checked; two-factor may still be pending
STAFF = "staff"  # any member of staff who has completed sign-in
API = "api"  # a machine client with a key: the API checks the key and its scopes itself

log = logging.getLogger("portal.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def public(view: Callable) -> Callable:
    """Anyone may use this route."""
    view._access = PUBLIC
    return view


def signed_in(view: Callable) -> Callable:
    """A signed-in user who may not have finished two-factor sign-in yet."""
    view._access = SIGNED_IN
    return view


def staff(*roles: str) -> Callable[[Callable], Callable]:
    """Signed-in staff; with roles, only staff holding one of them."""

    def decorate(view: Callable) -> Callable:
        view._access = frozenset(roles) if roles else STAFF
        return view

    return decorate


def api_client(view: Callable) -> Callable:
    """An API route: no staff session; `portal.api` authenticates the client's key and scopes."""
    view._access = API
    return view


def background(view: Callable) -> Callable:
    """A polling route: it does not count as activity for the idle timeout."""
    view._background = True
    return view


def access_rule(app: Flask, endpoint: str):
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "_access", None)


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(set(user.role_names) & set(roles))


def may_open(user, endpoint: str) -> bool:
    """Whether the route's access rule lets this user in: a page links only to what its viewer may open."""
    rule = access_rule(current_app, endpoint)
    if rule in (PUBLIC, SIGNED_IN):
        return True
    if rule == API:
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    return rule == STAFF or (isinstance(rule, frozenset) and has_role(user, rule))


def may_follow(user, href: str | None) -> bool:
    """`may_open` for a link the page has already built (a path in this app)."""
    if not href:
        return False
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(href.split("?", 1)[0].split("#", 1)[0])
    except Exception:  # not one of this app's routes: nothing to hold back
        return True
    return may_open(user, endpoint)


def _mfa_pending() -> bool:
    if session.get("mfa_ok"):
        return False
    return bool(current_app.config["REQUIRE_MFA"] or current_user.totp_enabled
                or getattr(current_user, "two_factor_required", False))


def enforce_access():
    """before_request: every route must declare who may use it; anything undeclared is refused."""
    if request.endpoint is None:
        return None  # 404 follows
    rule = access_rule(current_app, request.endpoint)
    if rule is None:
        log.error("route %s has no access rule; refused", request.endpoint)
        abort(403)
    if rule in (PUBLIC, API):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            session["next"] = request.full_path if request.query_string else request.path
        return full_redirect(url_for("auth.login"))
    if rule == SIGNED_IN:
        return None
    if _mfa_pending():
        return full_redirect(url_for("auth.two_factor"))
    if rule != STAFF and not has_role(current_user, rule):
        log.warning("forbidden: user %s lacks %s for %s", current_user.id, sorted(rule), request.endpoint)
        abort(403)
    return None


# Activity is stamped at most once a minute, so most responses do not re-sign and re-send the cookie.
LAST_SEEN_STEP = 60


def stamp_sign_in(_app, user) -> None:
    """Flask-Login's `user_logged_in` signal: the absolute session limit counts from here."""
    session["signed_in_at"] = int(time.time())
    g.user_id = user.id


def _sign_out(message: str):
    logout_user()
    session.clear()
    flash(message, "info")
    return full_redirect(url_for("auth.login"))


def enforce_idle_timeout():
    """Staff are signed out after STAFF_IDLE_MINUTES without activity, and in any case once
    PERMANENT_SESSION_LIFETIME has passed since they signed in: activity never extends that."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    signed_in_at = session.get("signed_in_at")
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if signed_in_at is None or now - signed_in_at > lifetime:
        hours = int(lifetime // 3600)
        return _sign_out(f"You were signed out because you signed in more than {hours} hours ago. Sign in again.")
    last = session.get("last_seen")
    limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if last is not None and now - last > limit:
        return _sign_out("You were signed out because you were inactive for "
                         f"{current_app.config['STAFF_IDLE_MINUTES']} minutes. Sign in again.")
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "_background", False) and (last is None or now - last >= LAST_SEEN_STEP):
        session["last_seen"] = now
    return None


def start_request():
    g.started = time.perf_counter()
    rid = request.headers.get("X-Request-ID", "")
    g.request_id = rid if _REQUEST_ID.match(rid) else uuid.uuid4().hex
    g.csp_nonce = secrets.token_urlsafe(16)
    set_write_intent(request.method in {"POST", "PUT", "PATCH", "DELETE"})


# A static file is never a page that runs anything: the strictest policy, should one be opened.
FILE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'none'")


def _common_headers(headers, hsts: bool) -> None:
    """The headers every response carries, from Flask or from WhiteNoise."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Permissions-Policy"] = (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    )
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if hsts:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"


def static_file_headers(config) -> Callable:
    """WhiteNoise's `add_headers_function`: files it serves never reach `security_headers`.

    WhiteNoise works the headers out once per file at start-up, so there is no request id here.
    """
    hsts = bool(config.get("HSTS"))

    def add_headers(headers, path: str, url: str) -> None:
        _common_headers(headers, hsts)
        headers["Content-Security-Policy"] = FILE_CSP
        headers["Cross-Origin-Resource-Policy"] = "same-origin"

    return add_headers


def security_headers(resp):
    nonce = g.get("csp_nonce", "")
    resp.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    _common_headers(resp.headers, bool(current_app.config.get("HSTS")))
    if request.endpoint != "static":
        resp.headers["Cache-Control"] = "no-store"
        resp.vary.add("HX-Request")
        resp.vary.add("Cookie")
    resp.headers["X-Request-ID"] = g.get("request_id", "")
    return resp


PERSONAL_PATH_PARTS = ("nhs_number",)  # route variables that are personal data (the API's people routes)


def _loggable_path() -> str:
    """The path, or the route's pattern when a part of the path is personal data (an NHS number)."""
    if request.url_rule is not None and set(request.view_args or {}) & set(PERSONAL_PATH_PARTS):
        return request.url_rule.rule
    return request.path


def log_request(resp):
    if request.endpoint == "static":
        return resp
    started = g.get("started")
    log.info(json.dumps({
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": _loggable_path(),  # never the query string: it can carry search terms
        "endpoint": request.endpoint,
        "status": resp.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "user": g.get("user_id"),  # kept at load: reading current_user after a commit would reload it
    }))
    return resp
