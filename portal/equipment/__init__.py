from flask import Blueprint, Flask, url_for

from portal.web.i18n import lazy_text as _l
from portal.web.registry import (
    add_navigation,
    add_person_events,
    add_person_section,
    add_seeder,
    add_waiting_work,
)

bp = Blueprint("equipment", __name__, url_prefix="/equipment")

from portal.equipment import views  # noqa: E402,F401


def _loans_section(session, person):
    """The person page lists what they have on loan, each a link to its order."""
    from flask import url_for

    from portal.equipment.services import loans_for_person
    from portal.web.filters import format_date

    return [(f"{row['name']}{' – ' + row['asset_tag'] if row['asset_tag'] else ''}",
             url_for("equipment.order", order_id=row["id"]),
             f"delivered {format_date(row['delivered_at'])}"
             + (f", collection due {format_date(row['collection_due'])}" if row["collection_due"] else ""))
            for row in loans_for_person(session, person.id)]


def register(app: Flask) -> None:
    from portal.auth.roles import MANAGER, OCCUPATIONAL_THERAPIST, STORES_OFFICER, TRUSTED_ASSESSOR
    from portal.equipment.seed import seed_demo
    from portal.equipment.services import person_events
    from portal.equipment.services.queries import waiting_count

    app.register_blueprint(bp)
    add_navigation(app, _l("Equipment"), "equipment.queues",
                   (STORES_OFFICER, OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, MANAGER), owns=("equipment.", "people."))
    add_seeder(app, seed_demo)
    add_person_section(app, _l("Equipment on loan"), _loans_section)
    add_person_events(app, person_events)
    for kind, label, hint in (("deliveries", _l("Deliveries to make"),
                               _l("Orders not yet delivered, earliest due first")),
                              ("collections", _l("Collections to make"), None),
                              ("cleaning", _l("Equipment awaiting cleaning"), None),
                              ("low_stock", _l("Products below their reorder level"), None)):
        add_waiting_work(app, label, (STORES_OFFICER,), waiting_count(kind),
                         lambda kind=kind: url_for("equipment.queues", queue=kind), hint=hint)
