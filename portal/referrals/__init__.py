from flask import Blueprint, Flask

from portal.web.registry import add_navigation, add_seeder

bp = Blueprint("referrals", __name__)

from portal.referrals import public_views, views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth.roles import OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
    from portal.referrals.seed import seed_demo
    from portal.referrals.views import QUEUE_ROLES

    app.register_blueprint(bp)
    add_navigation(app, "Referrals", "referrals.queue", QUEUE_ROLES)
    add_navigation(app, "My cases", "referrals.caseload", (TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST))
    add_navigation(app, "New referral", "referrals.new", (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST))
    add_seeder(app, seed_demo)
