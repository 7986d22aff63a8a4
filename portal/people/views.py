"""Person record pages. Every view of a record is audited."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.auth.roles import ASSESSORS, DFG_CASEWORKER, MANAGER, STORES_OFFICER
from portal.errors import NotFound
from portal.extensions import db
from portal.people import bp, services
from portal.people.forms import ConsentForm, ContactForm
from portal.web.registry import registry
from portal.web.security import staff


def _person(person_id: int, purpose: str = "view"):
    if not services.may_view(db.session, current_user, person_id):
        abort(404)
    try:
        return services.view_person(db.session, current_user, person_id, purpose=purpose)
    except NotFound:
        abort(404)


def _render(person, contact_form=None, consent_form=None):
    from portal.referrals.services import for_person

    referrals = for_person(db.session, person.id)
    sections = [(title, fn(db.session, person)) for title, fn in registry().person_sections]
    return render_template("people/record.html", person=person, referrals=referrals, sections=sections,
                           duplicates=services.possible_duplicates(db.session, person),
                           contact_form=contact_form or ContactForm(prefix="contact"),
                           consent_form=consent_form or ConsentForm(prefix="consent"),
                           page_error=bool((contact_form and contact_form.errors) or
                                           (consent_form and consent_form.errors)))


@bp.get("/<int:person_id>")
@staff(*ASSESSORS, STORES_OFFICER, DFG_CASEWORKER, MANAGER)
def record(person_id: int):
    person = _person(person_id)
    page = _render(person)
    db.session.commit()
    return page


@bp.post("/<int:person_id>/contacts")
@staff(*ASSESSORS)
def add_contact(person_id: int):
    person = _person(person_id, purpose="add contact")
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        return _render(person, contact_form=form)
    services.add_contact(db.session, current_user, person, name=form.name.data, role=form.role.data,
                         phone=form.phone.data, email=form.email.data or None,
                         relationship_to_person=form.relationship_to_person.data or None)
    db.session.commit()
    flash("Contact added.", "success")
    return redirect(url_for("people.record", person_id=person.id), 303)


@bp.post("/<int:person_id>/consents")
@staff(*ASSESSORS)
def add_consent(person_id: int):
    person = _person(person_id, purpose="record consent")
    form = ConsentForm(prefix="consent")
    if not form.validate_on_submit():
        return _render(person, consent_form=form)
    services.record_consent(db.session, current_user, person, what=form.what.data, given_by=form.given_by.data,
                            capacity_note=form.capacity_note.data or None)
    db.session.commit()
    flash("Consent recorded.", "success")
    return redirect(url_for("people.record", person_id=person.id), 303)
