from flask import Blueprint, Flask

bp = Blueprint("web", __name__)

from portal.web import views  # noqa: E402,F401


def register(app: Flask) -> None:
    app.register_blueprint(bp)
