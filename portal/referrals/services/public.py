"""What the person who asked for help sees: the status of their request, and an email when it moves."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.people.models import Person
from portal.referrals.models import Referral
from portal.timeutil import london_date

NEXT_STEPS = {
    "submitted": _l("We have your request. Someone from our team will look at it and contact you."),
    "screened": _l("We have looked at your request and will contact you to talk about what help you need."),
    "awaiting_assessment": _l("Your request is waiting for an assessment. We will contact you to arrange it."),
    "assessed": _l("You have had an assessment. We are arranging what was agreed with you."),
    "closed": _l("Your request is complete. If you need more help, you can ask again."),
    "withdrawn": _l("This request was withdrawn. If you still need help, you can ask again."),
    "declined": _l("We could not help with this request. We will have written to explain why and "
                "where else you can get help."),
}

PUBLIC_STATUS = {
    "submitted": _l("Received"),
    "screened": _l("Being looked at"),
    "awaiting_assessment": _l("Waiting for an assessment"),
    "assessed": _l("Assessed"),
    "closed": _l("Complete"),
    "withdrawn": _l("Withdrawn"),
    "declined": _l("Closed"),
}


@dataclass
class PublicStatus:
    reference: str
    status: str
    next_step: str
    received: date


def public_status(session, reference: str, date_of_birth: date) -> PublicStatus | None:
    """Status only, and only when the reference and date of birth both match."""
    ref = (reference or "").strip().upper().replace(" ", "")
    if len(ref) == 10 and not ref.startswith("R-"):
        ref = f"R-{ref[:4]}-{ref[4:]}"
    elif len(ref) == 9 and ref.startswith("R") and "-" not in ref:
        ref = f"R-{ref[1:5]}-{ref[5:]}"
    row = session.execute(
        select(Referral.reference, Referral.state, Referral.received_at)
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.reference == ref, Person.date_of_birth == date_of_birth)
    ).first()
    if row is None:
        return None
    return PublicStatus(row.reference, PUBLIC_STATUS[row.state], NEXT_STEPS[row.state],
                        london_date(row.received_at))


def notify_person(session, referral: Referral, template: str = "referral_update") -> None:
    """Tell whoever asked (the carer who asked on the person's behalf, or the person) where the
    request has got to, when they gave an email address."""
    from flask import url_for

    from portal.notify.services import send

    email = referral.referrer_email or referral.person.email
    if not email:
        return
    send(session, template, email, language=referral.language, personalisation={
        "reference": referral.reference,
        "status": PUBLIC_STATUS[referral.state],
        "next_step": NEXT_STEPS[referral.state],
        "track_url": url_for("referrals.track", _external=True),
    })
