from flask import Blueprint, Flask

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation

bp = Blueprint("notify", __name__, url_prefix="/admin/outbox")

from portal.notify import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth.roles import ADMIN

    app.register_blueprint(bp)
    add_navigation(app, _l("Outbox"), "notify.outbox", (ADMIN,))
