from flask import Blueprint

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


def _register_person_section() -> None:
    from portal.people.views import PERSON_SECTIONS

    if all(title != "Equipment on loan" for title, _ in PERSON_SECTIONS):
        PERSON_SECTIONS.append(("Equipment on loan", _loans_section))


_register_person_section()
