from flask import Blueprint, Flask

from portal.web.registry import add_navigation, add_seeder

bp = Blueprint("dfg", __name__, url_prefix="/dfg")

from portal.dfg import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.dfg.seed import seed_demo
    from portal.dfg.views import READERS

    app.register_blueprint(bp)
    add_navigation(app, "DFG cases", "dfg.queue", READERS)
    add_seeder(app, seed_demo)
