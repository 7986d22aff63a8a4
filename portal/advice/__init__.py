from flask import Blueprint, Flask

from portal.web.registry import add_seeder

bp = Blueprint("advice", __name__, url_prefix="/advice")

from portal.advice import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.advice.services import seed_demo

    app.register_blueprint(bp)
    add_seeder(app, seed_demo)
