"""One record, the whole story: the dated events of a person's record, newest first (MOJ timeline).

Each source is a function `(session, person) -> list[Event]`. The people feature provides the
referral side (self-assessments, referrals, assessments), consent and identity checks; other
features add theirs through the registry's `person_events` in their `register(app)`.
"""

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.people.models import IDENTITY_STATES, Consent, IdentityCheck, Person
from portal.web.registry import Event, registry


def referral_events(session, person: Person, referrals: list | None = None) -> list[Event]:
    """Each referral, its self-assessment (when it came from one) and its assessment. `referrals`:
    the person's referrals when the page has read them already; with none, nothing more is read."""
    from portal.advice.models import AdviceReport
    from portal.referrals.models import NEEDS, OUTCOMES, SOURCES, Assessment, Referral

    if referrals is None:
        referrals = list(session.scalars(select(Referral).where(Referral.person_id == person.id)).unique())
    if not referrals:
        return []
    events = []
    for referral in referrals:
        href = url_for("referrals.detail", referral_id=referral.id)
        needs = ", ".join(NEEDS[n] for n in referral.need_names)
        detail = f"{referral.state_label}: {OUTCOMES[referral.outcome].lower()}" if referral.outcome \
            else referral.state_label
        who = referral.referrer_name or SOURCES[referral.source]
        events.append(Event(referral.received_at, f"Referral {referral.reference} ({needs})", href, who, detail))
    from_advice = [r.id for r in referrals if r.advice_report_id is not None]
    rows = session.execute(
        select(AdviceReport.completed_at, AdviceReport.reference, Referral.id)
        .join(Referral, Referral.advice_report_id == AdviceReport.id)
        .where(Referral.id.in_(from_advice), AdviceReport.completed_at.is_not(None))) if from_advice else ()
    for completed_at, reference, referral_id in rows:
        events.append(Event(completed_at, f"Self-assessment {reference}",
                            url_for("referrals.detail", referral_id=referral_id), "Online self-assessment",
                            "Answers attached to the referral"))
    # An assessment is made only with its referral's assessed_at (referrals.services.complete_assessment).
    assessed = [r.id for r in referrals if r.assessed_at is not None]
    assessments = session.scalars(select(Assessment).where(Assessment.referral_id.in_(assessed))
                                  .options(joinedload(Assessment.assessor))) if assessed else ()
    for a in assessments:
        tecs = f"TECS considered: yes – {a.tecs_what}" if a.tecs_considered else \
            f"TECS considered: no – {a.tecs_why_not}"
        events.append(Event(a.completed_at, f"Assessment for referral {a.referral.reference}",
                            url_for("referrals.detail", referral_id=a.referral_id), a.assessor.name, tecs))
    return events


def record_events(session, person: Person, consents: list | None = None, checks: list | None = None) -> list[Event]:
    """Consent recorded, and identity checks this record was part of (`consents`, `checks`: when the
    page has read them already)."""
    href = url_for("people.record", person_id=person.id)
    if consents is None:
        consents = session.scalars(select(Consent).where(Consent.person_id == person.id))
    events = [Event(c.recorded_at, f"Consent: {c.what}", href, c.recorded_by,
                    f"Given by {c.given_by}" + (f". Capacity: {c.capacity_note}" if c.capacity_note else ""))
              for c in consents]
    if checks is None:
        checks = session.scalars(select(IdentityCheck).where(
            (IdentityCheck.person_id == person.id) | (IdentityCheck.existing_person_id == person.id)))
    for check in checks:
        link = url_for("people.identity_check", check_id=check.id)
        events.append(Event(check.raised_at, "Identity check raised", link, None,
                            f"A request quoted the NHS number of record {check.existing_person_id} "
                            f"for new record {check.person_id}"))
        if not check.is_open:
            events.append(Event(check.decided_at, f"Identity check: {IDENTITY_STATES[check.state].lower()}",
                                link, check.decided_by.name if check.decided_by else None, check.reason))
    return events


def timeline(session, person: Person, *, referrals: list | None = None, consents: list | None = None,
             checks: list | None = None) -> list[Event]:
    """Every dated event on the record, newest first. The person record passes what it has read
    already (its referrals, consents and identity checks), so each is read once."""
    events = referral_events(session, person, referrals) + record_events(session, person, consents, checks)
    events += [event for provider in registry().person_events for event in provider(session, person)]
    return sorted(events, key=lambda e: e.sort_key, reverse=True)
