from flask import Blueprint

bp = Blueprint("equipment", __name__, url_prefix="/equipment")

from portal.equipment import views  # noqa: E402,F401
