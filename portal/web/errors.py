"""Error pages inside the layout (a fragment for htmx requests); never a stack trace."""

import logging

from flask import Flask, g
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal.errors import PortalError
from portal.extensions import db, login_manager, set_write_intent
from portal.web.htmx import is_partial, render_page, retarget

log = logging.getLogger("portal.errors")

TITLES = {
    400: "There is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "There is a problem with your request",
    409: "This was changed by someone else",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def error_page(status: int, message: str | None = None, headers: dict | None = None):
    resp = render_page(
        "errors/error.html",
        "error_body",
        status=status,
        title=TITLES.get(status, TITLES[400]),
        status_code=status,
        message=message,
    )
    if is_partial():
        retarget(resp, "#error-region", "innerHTML")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        log.warning("CSRF failure: %s", exc.description)
        return error_page(400, "Your form expired or was sent from another page. Go back, "
                               "refresh the page and try again. Nothing was saved.")

    @app.errorhandler(PortalError)
    def portal_error(exc: PortalError):
        db.session.rollback()
        return error_page(exc.status, exc.message)

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        log.error("database error: %s", exc.__class__.__name__)
        _rollback_quietly()
        # The page itself may need to read (the signed-in user for the header). On SQLite a write
        # lock held elsewhere blocks BEGIN IMMEDIATE but not a plain read, so read without it.
        set_write_intent(False)
        message = ("The service is having trouble reaching its records. Nothing was saved. "
                   "Try again in a minute.")
        try:
            return error_page(503, message, {"Retry-After": "30"})
        except Exception:  # the database is wholly unreachable: show the page as signed out
            log.warning("error page could not read the database; rendering it signed out")
            _rollback_quietly()
            g._login_user = login_manager.anonymous_user()
            return error_page(503, message, {"Retry-After": "30"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        headers = {}
        if exc.code == 429:
            headers["Retry-After"] = str(getattr(exc, "retry_after", 300) or 300)
        return error_page(exc.code, exc.description if exc.code in (400, 409) else None, headers)

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        try:
            db.session.rollback()
        except Exception:
            log.exception("rollback after an unhandled error failed")
        return error_page(500)

    @app.errorhandler(413)
    def too_large(exc):
        return error_page(413, "The file must be smaller than "
                               f"{app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB.")

    def _rollback_quietly():
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone; the pool discards it
            log.exception("rollback after a database error failed")

    app.jinja_env.globals["error_title"] = lambda status: TITLES.get(status, TITLES[400])
