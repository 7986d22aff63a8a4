"""Public pages that belong to no one feature: start, accessibility, privacy, health check."""

from flask import jsonify, render_template
from sqlalchemy import text

from portal.extensions import db
from portal.web import bp
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
