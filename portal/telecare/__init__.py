from flask import Blueprint, Flask, url_for

from portal.web.i18n import lazy_text as _l
from portal.web.registry import (
    add_navigation,
    add_person_events,
    add_person_section,
    add_seeder,
    add_waiting_work,
)

bp = Blueprint("telecare", __name__, url_prefix="/telecare")

from portal.telecare import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.telecare.seed import seed_demo
    from portal.telecare.services import COORDINATORS, INSTALLERS, person_events, person_section, queries

    app.register_blueprint(bp)
    add_navigation(app, _l("Today's jobs"), "telecare.today", INSTALLERS, owns=("telecare.", "people."))
    add_navigation(app, _l("Telecare"), "telecare.jobs", COORDINATORS, owns=("telecare.", "people."))
    add_seeder(app, seed_demo)
    add_person_section(app, _l("Telecare"), person_section)
    add_person_events(app, person_events)
    add_waiting_work(app, _l("Your telecare jobs today"), INSTALLERS, queries.today_count,
                     lambda: url_for("telecare.today"))
    add_waiting_work(app, _l("Telecare jobs to book"), COORDINATORS, queries.to_book_count,
                     lambda: url_for("telecare.jobs", state="requested"))
    add_waiting_work(app, _l("Telecare jobs past their target date"), COORDINATORS, queries.overdue_jobs_count,
                     lambda: url_for("telecare.jobs", overdue="yes"))
