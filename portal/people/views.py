"""Person record pages. Every view of a record is audited."""

from flask import abort, render_template
from flask_login import current_user

from portal.auth.roles import ASSESSORS, DFG_CASEWORKER, MANAGER, STORES_OFFICER
from portal.errors import NotFound
from portal.extensions import db
from portal.people import bp, services
from portal.web.security import staff

# Other features add (title, function(session, person) -> list of (label, href, detail)) here,
# so a person's page lists their loans, telecare and grants without this module knowing them.
PERSON_SECTIONS: list = []


@bp.get("/<int:person_id>")
@staff(*ASSESSORS, STORES_OFFICER, DFG_CASEWORKER, MANAGER)
def record(person_id: int):
    if not services.may_view(db.session, current_user, person_id):
        abort(404)
    try:
        person = services.view_person(db.session, current_user, person_id)
    except NotFound:
        abort(404)
    from portal.referrals.services import for_person

    referrals = for_person(db.session, person.id)
    sections = [(title, fn(db.session, person)) for title, fn in PERSON_SECTIONS]
    db.session.commit()
    return render_template("people/record.html", person=person, referrals=referrals, sections=sections,
                           duplicates=services.possible_duplicates(db.session, person))
