from flask import Blueprint

bp = Blueprint("dfg", __name__, url_prefix="/dfg")

from portal.dfg import views  # noqa: E402,F401
