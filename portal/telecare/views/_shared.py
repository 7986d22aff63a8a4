"""What the telecare pages share: the person as this user may see them, and the job card."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import NotFound
from portal.extensions import db
from portal.people.access import TELECARE, person_view_for, person_views_for, record_refusal
from portal.telecare import services
from portal.telecare.models import LINE_TYPES, STEPS, Job
from portal.telecare.services import COORDINATORS
from portal.web.htmx import is_partial, render_page
from portal.web.security import has_role


def _coordinator() -> bool:
    return has_role(current_user, COORDINATORS)


def _person(job: Job):
    """The part of the job's person this user may see (None: nothing), audited as a view."""
    return person_view_for(db.session, current_user, job.person_id, f"telecare job {job.id}")


def _people(jobs) -> dict:
    """Each listed job's person as this user may see them: one view (and one audit row) a person,
    for the first of their jobs listed, worked out for the whole list at once."""
    purposes: dict = {}
    for job in jobs:
        purposes.setdefault(job.person_id, f"telecare job {job.id}")
    return person_views_for(db.session, current_user, purposes, purposes)


def _refused(person_id: int):
    record_refusal(db.session, current_user, request.endpoint, "person", person_id)
    db.session.commit()
    return NotFound(_("There is no one with that id in your work."))


def _card(job: Job, people: dict | None = None) -> dict:
    """The job card with the person as this user may see them (from `people`, `_people` of a list of
    cards, or read now); the key safe only with their part."""
    c = services.card(db.session, job, current_user)
    c["person"] = people[job.person_id] if people is not None else _person(job)
    if c["person"] is None or not c["person"].may_see(TELECARE):
        c["key_safe"] = None
    return c


def _card_page(job: Job, status: int = 200, posted: dict | None = None):
    """The job card: alone for HTMX (swapped in place), else on its own page."""
    c = _card(job)
    db.session.commit()
    return render_page("telecare/card.html", "card", status=status, c=c, posted=posted, partial=is_partial(),
                       line_types=LINE_TYPES, steps=STEPS)

