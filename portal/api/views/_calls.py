"""Every API route goes through `api_call`: the client's key, its scopes, its rate, the audit row."""

import logging
import time
from collections.abc import Callable
from functools import wraps

from flask import g, jsonify, request
from limits import RateLimitItemPerMinute

from portal.api import services
from portal.audit.services import record
from portal.errors import PortalError
from portal.extensions import begin_write, db, limiter
from portal.web.security import api_client

log = logging.getLogger("portal.api")

TITLES = {401: "Unauthorised", 403: "Forbidden", 404: "Not found", 409: "Conflict", 422: "Unprocessable request",
          429: "Too many requests"}


def problem(status: int, detail: str, *, title: str | None = None, headers: dict | None = None, **extra):
    """An error as RFC 9457 problem details (application/problem+json)."""
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Bad request"), "status": status,
            "detail": detail, **extra}
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def render_error(status: int, title: str, message: str | None, headers: dict):
    """The portal's error handlers call this for paths under /api/ (registered in portal.api)."""
    return problem(status, message or title, title=title, headers=headers)


def _presented_key() -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _audit(client, status: int, **details) -> None:
    begin_write()
    record(db.session, client.actor if client else "API (no valid key)", "api.called", "api_client",
           client.id if client else "-", method=request.method, path=_path(), status=status, **details)


def _path() -> str:
    """The path called, but never an NHS number: for a person's route, the route's pattern (the
    person.viewed row names the record)."""
    if request.url_rule is not None and "nhs_number" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path


def _over_rate(client) -> int | None:
    """Seconds to wait when the client is over its rate, counted in the limiter's shared store."""
    item = RateLimitItemPerMinute(client.rate_per_minute)
    if limiter.limiter.hit(item, "api-client", str(client.id)):
        return None
    reset, _ = limiter.limiter.get_window_stats(item, "api-client", str(client.id))
    return max(1, int(reset - time.time()))


def api_call(*scopes: str) -> Callable:
    """Authenticate the key, require every scope named, count the call against the client's rate,
    run the view, and audit the call (who, what, the status) in the same transaction as its work.
    A refusal from a service rolls the work back, is audited and answered as problem details."""
    unknown = [s for s in scopes if s not in services.SCOPES]
    assert not unknown, f"unknown scopes {unknown}"

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def call(*args, **kwargs):
            client = services.client_for_key(db.session, _presented_key())
            if client is None:
                log.warning("API call with a missing, unknown or revoked key to %s", request.path)
                return problem(401, "Send a valid API key as 'Authorization: Bearer <key>'.",
                               headers={"WWW-Authenticate": 'Bearer realm="tecs-portal"'})
            g.api_client = client
            wait = _over_rate(client)
            if wait is not None:
                return problem(429, f"More than {client.rate_per_minute} requests a minute. Try again in {wait} "
                               "seconds.", headers={"Retry-After": str(wait)})
            missing = [s for s in scopes if s not in client.scopes]
            if missing:
                _audit(client, 403, refused="scope", missing=missing)
                db.session.commit()
                return problem(403, f"This client's key does not have the scope {', '.join(missing)}.")
            try:
                resp = view(*args, **kwargs)
            except PortalError as exc:
                db.session.rollback()
                _audit(client, exc.status, refused=exc.message)
                services.touch(db.session, client)
                db.session.commit()
                errors = getattr(exc, "errors", None) or (
                    [{"field": exc.field, "message": exc.message}] if getattr(exc, "field", None) else [])
                return problem(exc.status, exc.message, **({"errors": errors} if errors else {}))
            status = resp[1] if isinstance(resp, tuple) else getattr(resp, "status_code", 200)
            _audit(client, status)
            services.touch(db.session, client)
            db.session.commit()
            return resp

        return api_client(call)

    return decorate
