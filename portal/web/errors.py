"""Error pages inside the layout (a fragment for htmx requests); never a stack trace.

What a person caused comes back on their form (`portal.web.forms.refuse`); what reaches these
handlers is a missing page, a refused permission, a version clash, a lost database or a bug.
"""

import logging

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, PendingRollbackError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.errors import PortalError, VersionClash
from portal.extensions import db, login_manager, set_write_intent
from portal.web.htmx import is_partial, render_page, retarget
from portal.web.registry import error_renderer_for, registry

log = logging.getLogger("portal.errors")

TITLES = {
    400: _l("There is a problem with your request"),
    401: _l("You could not be signed in"),
    403: _l("You do not have permission to see this page"),
    404: _l("Page not found"),
    405: _l("There is a problem with your request"),
    409: _l("This was changed by someone else"),
    413: _l("The file is too large"),
    422: _l("This cannot be done"),
    429: _l("Too many attempts"),
    500: _l("Sorry, there is a problem with the service"),
    503: _l("Sorry, the service is unavailable"),
}

UNAVAILABLE = _l("The service could not reach its records. Nothing was saved. Try again in a minute.")


def error_page(status: int, message: str | None = None, headers: dict | None = None, **ctx):
    machine = error_renderer_for(request.path)
    if machine is not None:
        return machine(status, str(TITLES.get(status, TITLES[400])), str(message) if message else None, headers or {})
    resp = render_page(
        "errors/error.html",
        "error_body",
        status=status,
        title=TITLES.get(status, TITLES[400]),
        status_code=status,
        message=message,
        **ctx,
    )
    if is_partial():
        retarget(resp, "#error-region", "innerHTML")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def is_connection_lost(exc: BaseException) -> bool:
    """The database went away (restarted, connection killed, unreachable), not a bad statement."""
    if isinstance(exc, OperationalError | DisconnectionError | PendingRollbackError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or type(exc.orig).__name__ in ("OperationalError", "InterfaceError")
    return False


def _answers() -> list[tuple[str, str]]:
    """What the person posted, to send again from the error page (files cannot be kept)."""
    if request.method != "POST":
        return []
    try:
        return [(k, v) for k, v in request.form.items(multi=True)]
    except Exception:  # the body itself could not be read
        return []


def _back() -> str | None:
    """The page the person came from, when it is one of ours."""
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def _last_change(exc: VersionClash):
    """The other person's change: the newest audit row of the record."""
    lookup = registry().last_change
    if lookup is None or not exc.entity_type or exc.entity_id is None:
        return None
    try:
        return lookup(db.session, exc.entity_type, exc.entity_id)
    except Exception:
        log.exception("could not read the record's history for the clash page")
        return None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        log.warning("CSRF failure: %s", exc.description)
        return error_page(400, _("Your form expired or was sent from another page. Go back, "
                                 "refresh the page and try again. Nothing was saved."))

    @app.errorhandler(VersionClash)
    def version_clash(exc: VersionClash):
        _rollback_quietly()
        return error_page(409, exc.message, last_change=_last_change(exc), back=_back())

    @app.errorhandler(StaleDataError)
    def stale_row(exc):
        """The ORM's version column caught a save over someone else's: a clash, never a 500."""
        _rollback_quietly()
        return error_page(409, _("Someone else saved this record at the same moment. Your change was not saved."),
                          back=_back())

    @app.errorhandler(PortalError)
    def portal_error(exc: PortalError):
        _rollback_quietly()
        if exc.status == 422:  # a refusal that no form caught: still say why, and keep the answers
            log.warning("refusal reached the error page from %s: %s", request.endpoint, exc.message)
            return error_page(422, exc.message, back=_back())
        return error_page(exc.status, exc.message)

    @app.errorhandler(DBAPIError)
    def database_error(exc):
        if not is_connection_lost(exc):
            return unexpected(exc)
        return database_unavailable(exc)

    @app.errorhandler(PendingRollbackError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(exc):
        log.error("database unavailable: %s", exc.__class__.__name__)
        answers = _answers()
        _rollback_quietly()
        # The page itself may need to read (the signed-in user for the header). On SQLite a write
        # lock held elsewhere blocks BEGIN IMMEDIATE but not a plain read, so read without it.
        set_write_intent(False)
        ctx = {"answers": answers, "retry_url": request.path}
        try:
            return error_page(503, UNAVAILABLE, {"Retry-After": "30"}, **ctx)
        except Exception:  # the database is wholly unreachable: show the page as signed out
            log.warning("error page could not read the database; rendering it signed out")
            _rollback_quietly()
            g._login_user = login_manager.anonymous_user()
            return error_page(503, UNAVAILABLE, {"Retry-After": "30"}, **ctx)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = app.config["MAX_UPLOAD_MB"]
        return error_page(413, _("The selected file must be smaller than %(limit)s MB. Nothing was saved.",
                                 limit=limit),
                          back=_back())

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
        if is_connection_lost(exc):
            return database_unavailable(exc)
        log.exception("unhandled error")
        _rollback_quietly()
        return error_page(500)

    def _rollback_quietly():
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone; the pool discards it
            log.exception("rollback after a database error failed")

    app.jinja_env.globals["error_title"] = lambda status: TITLES.get(status, TITLES[400])
