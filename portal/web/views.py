"""Public pages that belong to no one feature: start, accessibility, privacy, health check."""

from flask import abort, jsonify, redirect, render_template, request
from sqlalchemy import text

from portal.extensions import db
from portal.web import bp
from portal.web.i18n import LANGUAGES, remember_language, safe_return
from portal.web.security import public


@bp.get("/")
@public
def start():
    return render_template("web/start.html")


@bp.get("/accessibility")
@public
def accessibility():
    return render_template("web/accessibility.html")


@bp.get("/privacy")
@public
def privacy():
    return render_template("web/privacy.html")


@bp.get("/language/<code>")
@public
def language(code: str):
    """The language link at the top of every page: remember the choice for a year and go back
    to the same page (a link, so no JavaScript is needed)."""
    if code not in LANGUAGES:
        abort(404)
    return remember_language(redirect(safe_return(request.args.get("next")), 303), code)


@bp.get("/healthz")
@public
def healthz():
    """For load balancers: the app is up and its database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="ok")
