from flask import render_template

from portal.audit import bp, services
from portal.auth.roles import OVERSIGHT
from portal.extensions import db
from portal.web.ids import id_arg
from portal.web.security import staff


@bp.get("/")
@staff(*OVERSIGHT)
def index():
    before = id_arg("before")
    events = services.recent(db.session, limit=100, before_id=before)
    return render_template("audit/index.html", events=events)


@bp.get("/<entity_type>/<entity_id>")
@staff(*OVERSIGHT)
def record_history(entity_type: str, entity_id: str):
    events = services.history(db.session, entity_type[:40], entity_id[:64])
    return render_template(
        "audit/history.html", events=events, entity_type=entity_type, entity_id=entity_id
    )
