from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from portal.reports import views  # noqa: E402,F401

