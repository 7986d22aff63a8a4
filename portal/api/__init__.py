"""The API for other systems (case-management, hospital discharge): /api/v1, keys with scopes."""

from flask import Blueprint, Flask

from portal.web.registry import add_error_renderer, add_navigation

bp = Blueprint("api", __name__, url_prefix="/api/v1")
admin_bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-clients")  # staff pages: CSRF as usual

from portal.api import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.api import cli
    from portal.api.views._calls import render_error
    from portal.auth.roles import ADMIN
    from portal.extensions import csrf

    csrf.exempt(bp)  # no cookies: a client proves itself with its key on every call
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    add_navigation(app, "API clients", "api_admin.clients", (ADMIN,))
    add_error_renderer(app, "/api/", render_error)
    cli.register(app)
