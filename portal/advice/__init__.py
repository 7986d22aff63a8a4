from flask import Blueprint

bp = Blueprint("advice", __name__, url_prefix="/advice")

from portal.advice import views  # noqa: E402,F401
