from flask import Blueprint, Flask

from portal.web.registry import add_navigation

bp = Blueprint("audit", __name__, url_prefix="/audit")

from portal.audit import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth.roles import OVERSIGHT

    app.register_blueprint(bp)
    add_navigation(app, "Audit log", "audit.index", OVERSIGHT)
