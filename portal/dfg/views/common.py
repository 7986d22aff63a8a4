"""What every DFG case page shares: the case (if its person is this user's to see), the record
layout's parts (identity bar, sections, header actions) and each action's form, filled from the case.

A case shows its person only through `person_view_for` (the caseworker's part while the case is
open and for DFG_CLOSED_ACCESS_DAYS after; a manager keeps oversight). A case whose person is no
longer the caseworker's to see is "not found" on every page, action and file of it, and the refused
request is recorded as a security event."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User, UserRole
from portal.auth.roles import DFG_CASEWORKER, MANAGER, OCCUPATIONAL_THERAPIST
from portal.config import setting
from portal.dfg import forms, services
from portal.dfg.models import TENANT_TENURES
from portal.errors import NotFound
from portal.extensions import db
from portal.people.access import access_to, person_view_for, record_refusal
from portal.sql import new_submission_key
from portal.timeutil import today as london_today

READERS = (DFG_CASEWORKER, MANAGER)

# The case's sections: (endpoint, text). Every reader may open each of them.
SECTIONS = (("dfg.case", "Overview"), ("dfg.case_money", "Money"), ("dfg.case_quotes", "Quotes and payments"),
            ("dfg.case_evidence", "Evidence"), ("dfg.case_history", "History"))

# Each action's form: its class and prefix. The one-button actions share VersionedForm.
FORMS = {
    "details": (forms.DetailsForm, "details"), "landlord": (forms.LandlordConsentForm, "landlord"),
    "tor": (forms.TestOfResourcesForm, "tor"), "ot": (forms.OTRecommendationForm, "ot"),
    "quote": (forms.QuoteForm, "quote"), "application": (forms.DateActionForm, "application"),
    "approve": (forms.ApproveForm, "approve"), "refuse": (forms.ReasonForm, "refuse"),
    "works": (forms.DateActionForm, "works"), "complete": (forms.CompleteForm, "complete"),
    "payment": (forms.PaymentForm, "payment"), "withdraw": (forms.ReasonForm, "withdraw"),
    "upload": (forms.EvidenceForm, "evidence"), "withdraw_quote": (forms.WithdrawQuoteForm, "withdraw_quote"),
    "dob": (forms.CorrectDateOfBirthForm, "dob"),
}
# The section each action belongs to: where its failure is shown (one-button forms) and where it returns.
HOME = {"choose_quote": "dfg.case_quotes", "quote": "dfg.case_quotes", "withdraw_quote": "dfg.case_quotes",
        "payment": "dfg.case_quotes", "upload": "dfg.case_evidence", "tor": "dfg.case_money"}
# The move that takes the case on from each stage: when it is not open yet, the page says why.
NEXT_MOVE = {"eligibility": "request_ot", "ot_recommendation": "survey", "survey_and_quotes": "application",
             "completed": "close_paid"}


def get_case(case_id: int):
    """The case, if its person is this user's to see now; else "not found", recorded as refused."""
    c = services.get_case(db.session, case_id)
    if not access_to(db.session, current_user, c.person_id):
        record_refusal(db.session, current_user, request.endpoint, "dfg_case", c.id)
        db.session.commit()
        raise NotFound(_("There is no DFG case with that number in your work."))
    return c


def _ot_choices():
    ots = db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == OCCUPATIONAL_THERAPIST, User.active.is_(True)).order_by(User.name)).all()
    return [("", _("Not listed"))] + [(str(u.id), u.name) for u in ots]


def with_choices(form, c=None):
    """Set the choices a form's select lists take from the database or settings."""
    if isinstance(form, forms.WithdrawQuoteForm):
        form.quote.choices = [("", _("Select a quote"))] + [
            (str(q.id), f"{q.contractor}, £{q.amount:,.2f}{' (chosen)' if q.chosen else ''}")
            for q in (c.live_quotes if c is not None else [])]
    elif isinstance(form, forms.DetailsForm):
        form.locality.choices = [("", _("Not set"))] + [(x, x) for x in setting("LOCALITIES")]
    elif isinstance(form, forms.OTRecommendationForm):
        form.ot.choices = _ot_choices()
    elif isinstance(form, forms.EvidenceForm):
        form.file.description = f"PDF, JPG or PNG, smaller than {services.upload_limit_mb()} MB"
    return form


def blank_form(action: str, c):
    """An action's form as its page first shows it, filled from the case."""
    today, v = london_today(), c.version
    defaults = {
        "details": {"version": v, "applicants": c.applicants, "locality": c.locality or "",
                    "works_types": c.works_types, "includes_tecs": "yes" if c.includes_tecs else "no",
                    "contractor": c.contractor, "landlord_name": c.landlord_name},
        "application": {"version": v, "on": today}, "approve": {"version": v, "decision_date": today},
        "works": {"version": v, "on": today},
        "payment": {"submission_key": new_submission_key(), "paid_on": today},
        "dob": {"version": v, "date_of_birth": c.person.date_of_birth if c.person else None},
    }
    form_cls, prefix = FORMS.get(action, (forms.VersionedForm, ""))
    return with_choices(form_cls(formdata=None, prefix=prefix, **defaults.get(action, {"version": v})), c)


def posted_form(action: str, c):
    form_cls, prefix = FORMS.get(action, (forms.VersionedForm, ""))
    return with_choices(form_cls(prefix=prefix), c)


def record_context(c, section: str | None = None) -> dict:
    """What every page of the case shows: the person, the sections, what this user may do now."""
    allowed = services.allowed_actions(current_user, c)
    move = NEXT_MOVE.get(c.state)
    return {
        "c": c, "person": person_view_for(db.session, current_user, c.person_id, f"DFG case {c.reference}"),
        "allowed": allowed, "clocks": services.case_clocks(c),
        "sections": [(text, url_for(endpoint, case_id=c.id), endpoint == section) for endpoint, text in SECTIONS],
        "waiting_for": services.why_not(current_user, c, move) if move and move not in allowed else None,
        "button": forms.VersionedForm(formdata=None, version=c.version),
        "child_age": setting("DFG_CHILD_AGE_LIMIT"), "application_date": services.application_date(c),
        "tenant": c.tenure in TENANT_TENURES, "min_quotes": int(setting("DFG_MIN_QUOTES")),
    }


def render_record(template: str, c, section: str | None, status: int = 200, **extra):
    """A page of the case in the record layout; the view of the person is audited."""
    page = render_template(template, **record_context(c, section), **extra)
    db.session.commit()
    return page, status
