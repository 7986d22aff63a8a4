"""Person record pages. Every view of a record is audited."""

from dataclasses import replace
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.roles import (
    ASSESSORS,
    DFG_CASEWORKER,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TRIAGE_OFFICER,
    TRUSTED_ASSESSOR,
)
from portal.errors import NotFound, Refusal
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
from portal.people.forms import ConsentForm, ContactForm, DetailsForm, IdentityDifferentForm, IdentitySameForm
from portal.people.models import Person
from portal.people.timeline import timeline
from portal.web.forms import refuse
from portal.web.i18n import msgid
from portal.web.ids import MAX_ID
from portal.web.registry import registry
from portal.web.security import may_follow, may_open, staff

IDENTITY_READERS = (TRIAGE_OFFICER, OCCUPATIONAL_THERAPIST, MANAGER)


def _person(person_id: int, purpose: str = "view", need: str | None = None, referrals: list | None = None):
    """The person and the parts of their record this member of staff may see; a 404 (recorded as
    a security event) when they may see none of it, or not the part `need`. `referrals`: the
    person's referrals when the page has loaded them already (the access rule reads them too)."""
    parts = access_to(db.session, current_user, person_id, referrals=referrals)
    if not parts or (need is not None and need not in parts):
        record_refusal(db.session, current_user, request.endpoint, "person", person_id)
        db.session.commit()
        abort(404)
    try:
        return services.view_person(db.session, current_user, person_id, purpose=purpose), parts
    except NotFound:
        abort(404)


def _sections(person, parts) -> list[tuple[str, list]]:
    """Each feature's part of the record the viewer may see; a line links only where they may follow it."""
    return [(title, [(label, href if may_follow(current_user, href) else None, detail)
                     for label, href, detail in fn(db.session, person)])
            for title, fn in registry().person_sections if WHOLE in parts or SECTION_PARTS.get(msgid(title)) in parts]


def _events(person, **known) -> list:
    return [event if may_follow(current_user, event.href) else replace(event, href=None)
            for event in timeline(db.session, person, **known)]


def _back_url() -> str:
    """Where the person came from (a `back` path, or the page that linked here on this site), else
    the referrals queue, else the staff home."""
    for candidate in (request.args.get("back"), request.referrer):
        path = urlsplit(candidate or "")
        if (candidate and path.path.startswith("/") and not path.path.startswith("//")
                and (not path.netloc or path.netloc == request.host)
                and not path.path.startswith(request.path)):
            return path.path + (f"?{path.query}" if path.query else "")
    return url_for("referrals.queue") if may_open(current_user, "referrals.queue") else url_for("auth.home")


def _render(person, parts, referrals: list):
    """The record: each thing it shows is read once (the referrals, consents and identity checks
    serve both their card and the timeline)."""
    view = person_view(person, parts)
    if WHOLE not in parts:
        return render_template("people/record_part.html", person=view, subject=person, back_url=_back_url(),
                               feature_sections=_sections(person, parts))
    consents = services.consents_for(db.session, person)
    checks = services.identity_checks_for(db.session, person)
    merged_into = db.session.get(Person, person.merged_into_id) if person.merged_into_id else None
    may_change = current_user.has_role(*ASSESSORS)
    may_order = (current_user.has_role(OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR)
                 and may_order_for(db.session, current_user, person.id, referrals=referrals))
    return render_template("people/record.html", person=view, subject=person, referrals=referrals,
                           feature_sections=_sections(person, parts),
                           events=_events(person, referrals=referrals, consents=consents, checks=checks),
                           merged_into=merged_into, back_url=_back_url(),
                           identity=identity_panel(person, checks=checks), may_order=may_order,
                           consents=consents, may_change=may_change,
                           duplicates=services.possible_duplicates(db.session, person))


@bp.get("/<int:person_id>")
@staff(*ASSESSORS, STORES_OFFICER, DFG_CASEWORKER, MANAGER)
def record(person_id: int):
    from portal.referrals.services import for_person

    # Staff who may see the whole record need its referrals for the access rule and the page: read once.
    referrals = for_person(db.session, person_id) if current_user.has_role(*ASSESSORS, MANAGER) else None
    person, parts = _person(person_id, referrals=referrals)
    page = _render(person, parts, referrals or [])
    db.session.commit()
    return page


@bp.route("/<int:person_id>/details", methods=["GET", "POST"])
@staff(*ASSESSORS)
def details(person_id: int):
    """Change a person's phone, email, address and communication needs (one service function)."""
    person, parts = _person(person_id, purpose="change details", need=WHOLE)
    form = DetailsForm()
    if request.method == "GET":
        form = DetailsForm(formdata=None, obj=person)
        form.version.data = person.version
    elif form.validate_on_submit():
        version = _id_field(form.version.data)
        try:
            changed = services.change_details(
                db.session, current_user, person, version=version, phone=form.phone.data, email=form.email.data,
                address_line_1=form.address_line_1.data, address_line_2=form.address_line_2.data,
                town=form.town.data, postcode=form.postcode.data,
                communication_needs=form.communication_needs.data,
                interpreter_language=form.interpreter_language.data)
        except Refusal as exc:
            refuse(form, exc)
            person, parts = _person(person_id, purpose="change details", need=WHOLE)
        else:
            db.session.commit()
            flash(_("Contact details changed.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("people.record", person_id=person.id), 303)
    page = render_template("people/details.html", form=form, person=person_view(person, parts),
                           back_url=url_for("people.record", person_id=person.id),
                           page_error=bool(form.errors)), 422 if form.errors else 200
    db.session.commit()
    return page


def _add_page(person_id: int, form_class, purpose: str, template: str, save, done: str):
    """One thing on a page (add a contact, record consent): the form, then back to the record with a
    success banner; an invalid answer shows the error summary with every answer kept (422)."""
    person, parts = _person(person_id, purpose=purpose, need=WHOLE)
    form = form_class()
    if form.validate_on_submit():
        save(person, form)
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("people.record", person_id=person.id), 303)
    page = render_template(template, form=form, person=person_view(person, parts),
                           back_url=url_for("people.record", person_id=person.id),
                           page_error=bool(form.errors)), 422 if form.errors else 200
    db.session.commit()
    return page


@bp.route("/<int:person_id>/contacts/new", methods=["GET", "POST"])
@staff(*ASSESSORS)
def add_contact(person_id: int):
    return _add_page(person_id, ContactForm, "add contact", "people/add_contact.html", lambda person, form: (
        services.add_contact(db.session, current_user, person, name=form.name.data, role=form.role.data,
                             phone=form.phone.data, email=form.email.data or None,
                             relationship_to_person=form.relationship_to_person.data or None)), _("Contact added."))


@bp.route("/<int:person_id>/consents/new", methods=["GET", "POST"])
@staff(*ASSESSORS)
def add_consent(person_id: int):
    return _add_page(person_id, ConsentForm, "record consent", "people/record_consent.html", lambda person, form: (
        services.record_consent(db.session, current_user, person, what=form.what.data, given_by=form.given_by.data,
                                capacity_note=form.capacity_note.data or None)), _("Consent recorded."))


# ---------------------------------------------------------------- the identity check

def identity_panel(person, *, referral_id: int | None = None, forms: dict | None = None,
                   checks: list | None = None) -> dict | None:
    """What the referral page and the person page show while a new record waits on an identity
    check: both records side by side, and the decision forms the user may use. `checks`: every check
    the record was part of, when the page has read them already."""
    check = (services.open_identity_check(db.session, person) if checks is None
             else next((c for c in checks if c.person_id == person.id and c.is_open), None))
    if check is None:
        return None
    blank = {"identity_same": IdentitySameForm(None, version=check.version, referral=referral_id or ""),
             "identity_different": IdentityDifferentForm(None, version=check.version, referral=referral_id or "")}
    return {"check": check, "allowed": services.identity_check_actions(current_user, check),
            "forms": {**blank, **(forms or {})}}


def _id_field(raw) -> int | None:
    """A hidden id or version field as a number, or None when it is missing or out of range."""
    value = int(raw) if raw and str(raw).isdigit() else None
    return value if value is not None and 0 < value <= MAX_ID else None


def _check(check_id: int):
    try:
        check = services.get_identity_check(db.session, check_id)
    except NotFound:
        abort(404)
    for person_id in (check.person_id, check.existing_person_id):
        if not services.may_view(db.session, current_user, person_id):
            abort(404)
    return check


def _render_check(check, forms=None, status=200):
    for person in (check.person, check.existing_person):
        services.view_person(db.session, current_user, person.id, purpose=f"identity check {check.id}")
    allowed = services.identity_check_actions(current_user, check)
    identity = {"check": check, "allowed": allowed, "forms": forms or {
        "identity_same": IdentitySameForm(None, version=check.version),
        "identity_different": IdentityDifferentForm(None, version=check.version)}}
    page = render_template("people/identity_check.html", check=check, identity=identity,
                           page_error=status != 200), status
    db.session.commit()
    return page


@bp.get("/identity-checks/<int:check_id>")
@staff(*IDENTITY_READERS)
def identity_check(check_id: int):
    return _render_check(_check(check_id))


def _decide(check_id: int, action: str, form, decide):
    check = _check(check_id)
    if form.validate_on_submit():
        version = _id_field(form.version.data)
        try:
            person = decide(check, form, version)
        except Refusal as exc:
            refuse(form, exc, fields={"reason": "same_reason"} if action == "identity_same" else None)
        else:
            db.session.commit()
            flash(_("Records joined: the referral is now on the record we already had.") if action == "identity_same"
                  else _("Records kept apart. The decision is noted on the referral."), "success")
            referral_id = _id_field(form.referral.data)
            if referral_id is not None:
                return redirect(url_for("referrals.detail", referral_id=referral_id), 303)
            return redirect(url_for("people.record", person_id=person.id), 303)
    check = _check(check_id)  # refuse() rolled the session back
    blank = {"identity_same": IdentitySameForm(None, version=check.version, referral=form.referral.data),
             "identity_different": IdentityDifferentForm(None, version=check.version, referral=form.referral.data)}
    return _render_check(check, forms={**blank, action: form}, status=422)


@bp.post("/identity-checks/<int:check_id>/same")
@staff(*services.IDENTITY_ACTION_ROLES["identity_same"])
def identity_same(check_id: int):
    return _decide(check_id, "identity_same", IdentitySameForm(), lambda check, form, version: (
        services.confirm_same_person(db.session, current_user, check, version=version,
                                     reason=form.same_reason.data)))


@bp.post("/identity-checks/<int:check_id>/different")
@staff(*services.IDENTITY_ACTION_ROLES["identity_different"])
def identity_different(check_id: int):
    return _decide(check_id, "identity_different", IdentityDifferentForm(), lambda check, form, version: (
        services.keep_apart(db.session, current_user, check, nhs_number_owner=form.nhs_number_owner.data,
                            reason=form.reason.data, version=version)))
