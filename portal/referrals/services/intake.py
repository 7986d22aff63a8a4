"""A new referral: from the public form, a professional or a self-assessment, once per submission."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import services as audit
from portal.auth.models import User
from portal.errors import Refusal
from portal.people.models import Person
from portal.referrals.models import NEEDS, PRIORITIES, SOURCES, Referral, ReferralNeed
from portal.referrals.services.clocks import recompute_clocks
from portal.sql import new_submission_key
from portal.timeutil import utcnow

__all__ = ["DISCHARGE_DATE_NEEDED", "REFERENCE_ALPHABET", "Received", "create_referral", "discharge_date_missing",
           "find_by_submission_key", "new_reference", "new_submission_key", "receive_referral"]

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I


DISCHARGE_DATE_NEEDED = "Enter the planned discharge date"


def discharge_date_missing(source: str | None, discharge_date: date | None) -> bool:
    """A hospital discharge referral needs its planned discharge date (the staff form and the API)."""
    return source == "hospital_discharge" and not discharge_date


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{chars[:4]}-{chars[4:]}"


def _clean_needs(needs) -> list[str]:
    wanted = sorted(set(needs or []))
    unknown = [n for n in wanted if n not in NEEDS]
    if unknown:
        raise Refusal(_("Unknown need: %(names)s", names=', '.join(unknown)), field="needs")
    return wanted


def find_by_submission_key(session, key: str) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.submission_key == key))


def create_referral(session, actor, *, person: Person, source: str, needs, help_wanted: str,
                    submission_key: str, priority: str | None = None,
                    suggested_priority: str | None = None, received_at: datetime | None = None,
                    discharge_date: date | None = None, risk_summary: str | None = None,
                    referrer_name: str | None = None, referrer_organisation: str | None = None,
                    referrer_phone: str | None = None, referrer_email: str | None = None,
                    referrer_relationship: str | None = None, consent_given: bool = False,
                    consent_note: str | None = None, advice_report_id: int | None = None,
                    completed_by: User | None = None, language: str = "en",
                    api_client_id: int | None = None) -> tuple[Referral, bool]:
    """Create a referral once per submission key. Returns (referral, created). ``language``: the
    one the person asked in, for the emails about it; ``api_client_id``: the system that sent it."""
    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return existing, False
    if source not in SOURCES:
        raise Refusal(_("Select where the referral came from"), field="source")
    for value in (priority, suggested_priority):
        if value is not None and value not in PRIORITIES:
            raise Refusal(_("Select a priority"), field="priority")
    referral = Referral(
        reference=new_reference(), person=person, state="submitted", source=source, language=language,
        priority=priority, suggested_priority=suggested_priority,
        received_at=received_at or utcnow(), help_wanted=help_wanted.strip(),
        discharge_date=discharge_date, risk_summary=risk_summary,
        referrer_name=referrer_name, referrer_organisation=referrer_organisation,
        referrer_phone=referrer_phone, referrer_email=referrer_email,
        referrer_relationship=referrer_relationship, consent_given=consent_given,
        consent_note=consent_note, advice_report_id=advice_report_id,
        completed_by_id=completed_by.id if completed_by else None,
        locality=person.locality, search_name=f"{person.family_name} {person.given_name}".lower(),
        submission_key=submission_key, api_client_id=api_client_id,
        needs=[ReferralNeed(need=n) for n in _clean_needs(needs)],
    )
    recompute_clocks(referral)
    try:
        with session.begin_nested():
            session.add(referral)
            session.flush()
    except IntegrityError:
        existing = find_by_submission_key(session, submission_key)
        if existing is None:
            raise
        return existing, False  # the same form arrived twice at once
    audit.record(session, actor, "referral.created", "referral", referral.id, reference=referral.reference,
                 source=source, needs=referral.need_names,
                 completed_for_caller_by=completed_by.id if completed_by else None)
    from portal.people.services import record_referral_consent  # the person's consent: one store (SCR-15)

    record_referral_consent(session, actor, person, reference=referral.reference, consent_given=consent_given,
                            consent_note=consent_note, asked_by=referrer_name,
                            at=referral.received_at)
    return referral, True


@dataclass(frozen=True)
class Received:
    """What `receive_referral` did: `identity_check` is set when the NHS number quoted is on another
    person's record (a different name or date of birth), so the referral waits on a human to decide."""

    referral: Referral
    created: bool
    identity_check: object | None = None


def receive_referral(session, actor, *, person: dict, submission_key: str, **referral) -> Received:
    """A referral from a professional or another system (the staff form, the API, FHIR): the person
    matched safely by NHS number (`people.match_or_create`), then the referral, once per key.

    `person` holds `match_or_create`'s arguments; `referral` holds `create_referral`'s.
    """
    from portal.people import services as people

    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return Received(existing, created=False)
    match = people.match_or_create(session, actor, **person)
    made, created = create_referral(session, actor, person=match.person, submission_key=submission_key, **referral)
    if not created:
        people.discard(session, match)  # the same request won a race a moment ago: keep one record
        return Received(made, created=False)
    return Received(made, created=True, identity_check=match.check)
