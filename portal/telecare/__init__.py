from flask import Blueprint

bp = Blueprint("telecare", __name__, url_prefix="/telecare")

from portal.telecare import views  # noqa: E402,F401
