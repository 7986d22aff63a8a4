from flask import Blueprint, Flask

from portal.web.registry import add_navigation, add_person_events, add_person_section, add_seeder

bp = Blueprint("telecare", __name__, url_prefix="/telecare")

from portal.telecare import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.telecare.seed import seed_demo
    from portal.telecare.services import COORDINATORS, INSTALLERS, person_events, person_section

    app.register_blueprint(bp)
    add_navigation(app, "Today's jobs", "telecare.today", INSTALLERS)
    add_navigation(app, "Telecare", "telecare.jobs", COORDINATORS)
    add_seeder(app, seed_demo)
    add_person_section(app, "Telecare", person_section)
    add_person_events(app, person_events)
