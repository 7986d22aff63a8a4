from flask import Blueprint, Flask

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation

bp = Blueprint("reports", __name__, url_prefix="/reports")

from portal.reports import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth.roles import OVERSIGHT
    from portal.reports.cli import reports_cli

    app.register_blueprint(bp)
    app.cli.add_command(reports_cli)
    add_navigation(app, _l("Reports"), "reports.dashboard", OVERSIGHT)
