from flask import Blueprint, Flask

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation

bp = Blueprint("auth", __name__)

from portal.auth import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth import sso
    from portal.auth.roles import ADMIN

    app.register_blueprint(bp)
    sso.init_app(app)
    add_navigation(app, _l("Home"), "auth.home", None, owns=())  # your own account pages belong to no item
    add_navigation(app, _l("Staff accounts"), "auth.staff_list", (ADMIN,),
                   owns=("auth.staff_", "auth.disable_staff", "auth.enable_staff", "auth.reset_two_factor",
                         "auth.security_settings"))
