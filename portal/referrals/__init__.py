from flask import Blueprint, Flask, url_for

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation, add_seeder, add_waiting_work

bp = Blueprint("referrals", __name__)

from portal.referrals import action_views, public_views, views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.auth.roles import OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
    from portal.referrals.seed import seed_demo
    from portal.referrals.services import queries
    from portal.referrals.views import QUEUE_ROLES

    app.register_blueprint(bp)
    # a person's record is in Referrals for whoever sees Referrals (the first item that owns "people.")
    add_navigation(app, _l("Referrals"), "referrals.queue", QUEUE_ROLES, owns=("referrals.", "people."))
    add_navigation(app, _l("My cases"), "referrals.caseload", (TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST))
    add_navigation(app, _l("New referral"), "referrals.new", (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST))
    add_seeder(app, seed_demo)
    add_waiting_work(app, _l("New referrals to screen"), (TRIAGE_OFFICER,), queries.new_to_triage_count,
                     lambda: url_for("referrals.queue", state="submitted"))
    add_waiting_work(app, _l("Referrals overdue"), QUEUE_ROLES, queries.overdue_count,
                     lambda: url_for("referrals.queue",
                                     overdue="yes"), hint=_l("Past their contact or assessment time"))
    add_waiting_work(app, _l("Referrals assigned to you"), (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST),
                     queries.assigned_to_me_count, lambda: url_for("referrals.queue", assigned="me"))
