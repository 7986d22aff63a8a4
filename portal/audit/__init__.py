from flask import Blueprint, Flask

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation, registry

bp = Blueprint("audit", __name__, url_prefix="/audit")

from portal.audit import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.audit.services import last_change
    from portal.auth.roles import OVERSIGHT

    app.register_blueprint(bp)
    registry(app).last_change = last_change
    add_navigation(app, _l("Audit log"), "audit.index", OVERSIGHT)
