from flask import Blueprint, Flask

bp = Blueprint("people", __name__, url_prefix="/people")

from portal.people import views  # noqa: E402,F401


def register(app: Flask) -> None:
    app.register_blueprint(bp)
