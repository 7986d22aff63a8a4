from flask import Blueprint

bp = Blueprint("referrals", __name__)

from portal.referrals import public_views, views  # noqa: E402,F401
