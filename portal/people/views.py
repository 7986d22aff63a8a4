"""Person record pages. Every view of a record is audited."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.roles import (
    ASSESSORS,
    DFG_CASEWORKER,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TRUSTED_ASSESSOR,
)
from portal.errors import NotFound
from portal.extensions import db
from portal.people import bp, services
from portal.people.access import (
    SECTION_PARTS,
    WHOLE,
    access_to,
    may_order_for,
    person_view,
    record_refusal,
)
from portal.people.forms import ConsentForm, ContactForm
from portal.web.registry import registry
from portal.web.security import staff


def _person(person_id: int, purpose: str = "view", need: str | None = None):
    """The person and the parts of their record this member of staff may see; a 404 (recorded as
    a security event) when they may see none of it, or not the part `need`."""
    parts = access_to(db.session, current_user, person_id)
    if not parts or (need is not None and need not in parts):
        record_refusal(db.session, current_user, request.endpoint, "person", person_id)
        db.session.commit()
        abort(404)
    try:
        return services.view_person(db.session, current_user, person_id, purpose=purpose), parts
    except NotFound:
        abort(404)


def _render(person, parts, contact_form=None, consent_form=None):
    from portal.referrals.services import for_person

    if WHOLE not in parts:
        sections = [(title, fn(db.session, person)) for title, fn in registry().person_sections
                    if SECTION_PARTS.get(title) in parts]
        return render_template("people/record_part.html", person=person_view(person, parts),
                               sections=sections)
    referrals = for_person(db.session, person.id)
    sections = [(title, fn(db.session, person)) for title, fn in registry().person_sections]
    may_order = (current_user.has_role(OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR)
                 and may_order_for(db.session, current_user, person.id))
    return render_template("people/record.html", person=person, referrals=referrals, sections=sections,
                           may_order=may_order,
                           duplicates=services.possible_duplicates(db.session, person),
                           contact_form=contact_form or ContactForm(prefix="contact"),
                           consent_form=consent_form or ConsentForm(prefix="consent"),
                           page_error=bool((contact_form and contact_form.errors) or
                                           (consent_form and consent_form.errors)))


@bp.get("/<int:person_id>")
@staff(*ASSESSORS, STORES_OFFICER, DFG_CASEWORKER, MANAGER)
def record(person_id: int):
    person, parts = _person(person_id)
    page = _render(person, parts)
    db.session.commit()
    return page


@bp.post("/<int:person_id>/contacts")
@staff(*ASSESSORS)
def add_contact(person_id: int):
    person, parts = _person(person_id, purpose="add contact", need=WHOLE)
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        return _render(person, parts, contact_form=form)
    services.add_contact(db.session, current_user, person, name=form.name.data, role=form.role.data,
                         phone=form.phone.data, email=form.email.data or None,
                         relationship_to_person=form.relationship_to_person.data or None)
    db.session.commit()
    flash("Contact added.", "success")
    return redirect(url_for("people.record", person_id=person.id), 303)


@bp.post("/<int:person_id>/consents")
@staff(*ASSESSORS)
def add_consent(person_id: int):
    person, parts = _person(person_id, purpose="record consent", need=WHOLE)
    form = ConsentForm(prefix="consent")
    if not form.validate_on_submit():
        return _render(person, parts, consent_form=form)
    services.record_consent(db.session, current_user, person, what=form.what.data, given_by=form.given_by.data,
                            capacity_note=form.capacity_note.data or None)
    db.session.commit()
    flash("Consent recorded.", "success")
    return redirect(url_for("people.record", person_id=person.id), 303)
