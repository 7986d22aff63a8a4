"""The referral's state machine: submitted → screened → awaiting_assessment → assessed → closed,
with withdrawn and declined from any open state. Each action checks the version the person saw,
that it is open to them (`access.allowed_actions`), and writes an audit row."""

from datetime import datetime

from flask_babel import gettext as _

from portal.auth.models import User
from portal.config import setting
from portal.errors import NotFound, Refusal
from portal.notify.services import mobile_number, send
from portal.people.models import Person
from portal.referrals.models import OUTCOMES, PRIORITIES, ROUTES, Referral, ReferralPause
from portal.referrals.services._common import audit_change
from portal.referrals.services.access import may_assess, require
from portal.referrals.services.clocks import recompute_clocks
from portal.timeutil import utcnow


def claim(session, actor: User, referral: Referral, version: int | None = None) -> Referral:
    require(actor, referral, "claim", "claim", version)
    referral.assigned_to_id = actor.id
    audit_change(session, actor, referral, "claimed")
    return referral


def set_priority(session, actor: User, referral: Referral, priority: str, reason: str,
                 version: int | None = None) -> Referral:
    require(actor, referral, "priority", "set the priority of", version)
    if priority not in PRIORITIES:
        raise Refusal(_("Select a priority"), field="priority")
    if not reason.strip():
        raise Refusal(_("Enter why you chose this priority"), field="reason")
    before = referral.priority
    referral.priority = priority
    if referral.state == "submitted":
        referral.state = "screened"
    recompute_clocks(referral)
    audit_change(session, actor, referral, "priority_set", before=before, after=priority, reason=reason.strip())
    return referral


def record_first_contact(session, actor: User, referral: Referral, note: str = "",
                         version: int | None = None, when: datetime | None = None) -> Referral:
    require(actor, referral, "first_contact", "record first contact for", version)
    referral.first_contact_at = when or utcnow()
    if referral.state == "submitted":
        referral.state = "screened"
    recompute_clocks(referral)
    audit_change(session, actor, referral, "first_contact", note=note.strip())
    return referral


def route(session, actor: User, referral: Referral, *, route_to: str, complex_case: bool, reason: str,
          ta_level_required: int | None = None, version: int | None = None) -> Referral:
    """Send to a trusted assessor (non-complex only) or an OT. Complexity is an explicit decision:
    a major adaptation is not complex by itself."""
    require(actor, referral, "route", "route", version)
    if route_to not in ROUTES:
        raise Refusal(_("Select who should assess"), field="route_to")
    if not reason.strip():
        raise Refusal(_("Enter the reason for your complexity decision"), field="reason")
    if route_to == "trusted_assessor" and complex_case:
        raise Refusal(_("A complex case must go to an occupational therapist"), field="complex_case")
    if route_to == "trusted_assessor" and ta_level_required not in (3, 4):
        raise Refusal(_("Select the trusted assessor level needed"), field="ta_level_required")
    return _send(session, actor, referral, route_to, complex_case, reason.strip(), ta_level_required)


def _send(session, actor, referral: Referral, route_to: str, complex_case: bool, reason: str,
          ta_level_required: int | None) -> Referral:
    if referral.priority is None:
        referral.priority = referral.suggested_priority or "routine"
    referral.route = route_to
    referral.complex = complex_case
    referral.complexity_reason = reason
    referral.ta_level_required = ta_level_required if route_to == "trusted_assessor" else None
    referral.state = "awaiting_assessment"
    referral.assigned_to_id = None
    recompute_clocks(referral)
    audit_change(session, actor, referral, "routed", route=route_to, complex=complex_case, reason=reason,
                 ta_level_required=referral.ta_level_required)
    return referral


def escalate_to_ot(session, actor: User, referral: Referral, reason: str,
                   version: int | None = None) -> Referral:
    """A trusted assessor hands a case that turned out complex to the OTs' pool."""
    require(actor, referral, "escalate", "escalate", version)
    if not reason.strip():
        raise Refusal(_("Enter why the case needs an occupational therapist"), field="reason")
    return _send(session, actor, referral, "occupational_therapist", True,
                 f"Escalated by trusted assessor: {reason.strip()}", None)


def reassign(session, actor: User, referral: Referral, assignee: User | None,
             version: int | None = None) -> Referral:
    require(actor, referral, "reassign", "reassign", version)
    if assignee is not None and referral.state == "awaiting_assessment" and not may_assess(assignee, referral):
        raise Refusal(_("%(name)s cannot take this case: check the route and their level", name=assignee.name),
                      field="assignee")
    referral.assigned_to_id = assignee.id if assignee else None
    audit_change(session, actor, referral, "reassigned", to=assignee.id if assignee else None)
    return referral


def pause(session, actor: User, referral: Referral, reason: str, version: int | None = None,
          when: datetime | None = None) -> Referral:
    """Stop the clock while the case waits on the person or a third party."""
    require(actor, referral, "pause", "pause the clock for", version)
    return _pause(session, actor, referral, reason, when, "Enter what the case is waiting for")


def return_to_referrer(session, actor: User, referral: Referral, question: str,
                       version: int | None = None) -> Referral:
    """Ask the referrer for more information: they get a message (through the notify outbox)
    with the question as typed, and the clock pauses until they answer."""
    require(actor, referral, "return", "return to the referrer", version)
    if not question.strip():
        raise Refusal(_("Enter what you need to know"), field="reason")
    address = _referrer_address(referral)
    if address is None:
        phone = referral.referrer_phone or (referral.person.phone if referral.source in PUBLIC_SOURCES else None)
        raise Refusal(_("There is no email address or mobile number for the referrer, so a message cannot be "
                        "sent. Phone them on %(phone)s, then pause the clock instead", phone=phone) if phone else
                      _("There is no email address or mobile number for the referrer, so a message cannot be "
                        "sent. Phone them, then pause the clock instead"), field="reason")
    channel, to = address
    _pause(session, actor, referral, f"Waiting for the referrer: {question.strip()}", None, "")
    send(session, "referral_more_information", to,
         {"reference": referral.reference, "question": question.strip(),
          "support_phone": setting("SUPPORT_PHONE")}, channel=channel, language=referral.language)
    return referral


PUBLIC_SOURCES = ("self", "carer", "self_assessment")


def _referrer_address(referral: Referral) -> tuple[str, str] | None:
    """Where a message to whoever made the referral goes, as (channel, to): their email, else a
    mobile number. A professional gives their own details; on the public form the contact
    details given are kept on the person's record."""
    public_form = referral.source in PUBLIC_SOURCES
    person = referral.person
    for email in (referral.referrer_email, person.email if public_form else None):
        if email and email.strip():
            return "email", email.strip()
    for phone in (referral.referrer_phone, person.phone if public_form else None):
        if mobile_number(phone):
            return "sms", mobile_number(phone)
    return None


def _pause(session, actor, referral: Referral, reason: str, when: datetime | None, missing: str) -> Referral:
    if not reason.strip():
        raise Refusal(missing, field="reason")
    now = when or utcnow()
    referral.pauses.append(ReferralPause(started_at=now, reason=reason.strip()[:200]))
    referral.paused_since = now
    referral.pause_reason = reason.strip()[:200]
    recompute_clocks(referral)
    audit_change(session, actor, referral, "paused", reason=reason.strip())
    return referral


def resume(session, actor: User, referral: Referral, version: int | None = None,
           when: datetime | None = None) -> Referral:
    require(actor, referral, "resume", "restart the clock for", version)
    now = when or utcnow()
    for p in referral.pauses:
        if p.ended_at is None:
            p.ended_at = now
    referral.paused_since = None
    referral.pause_reason = None
    recompute_clocks(referral)
    audit_change(session, actor, referral, "resumed")
    return referral


def decline(session, actor: User, referral: Referral, reason: str, version: int | None = None) -> Referral:
    require(actor, referral, "decline", "decline", version)
    if not reason.strip():
        raise Refusal(_("Enter the reason for declining"), field="reason")
    return _finish(session, actor, referral, "declined", reason=reason.strip())


def withdraw(session, actor: User, referral: Referral, reason: str, version: int | None = None) -> Referral:
    require(actor, referral, "withdraw", "withdraw", version)
    return _finish(session, actor, referral, "withdrawn", reason=reason.strip() or "Withdrawn")


def signpost(session, actor: User, referral: Referral, reason: str, version: int | None = None) -> Referral:
    require(actor, referral, "signpost", "signpost", version)
    if not reason.strip():
        raise Refusal(_("Enter where you signposted the person"), field="reason")
    referral.outcome = "signposted"
    return _finish(session, actor, referral, "closed", reason=reason.strip())


def close(session, actor: User, referral: Referral, outcome: str, note: str = "",
          version: int | None = None) -> Referral:
    require(actor, referral, "close", "close", version)
    if outcome not in OUTCOMES:
        raise Refusal(_("Select the outcome"), field="outcome")
    referral.outcome = outcome
    return _finish(session, actor, referral, "closed", reason=note.strip(), outcome=outcome)


def _finish(session, actor, referral: Referral, state: str, **details) -> Referral:
    now = utcnow()
    if referral.paused_since is not None:
        for p in referral.pauses:
            if p.ended_at is None:
                p.ended_at = now
        referral.paused_since = None
    referral.state = state
    referral.closed_at = now
    referral.decision_reason = details.get("reason")
    recompute_clocks(referral)
    audit_change(session, actor, referral, state, **details)
    return referral


def link_person(session, actor: User, referral: Referral, person_id: int, version: int | None = None) -> Referral:
    """Attach the referral to an existing record found as a possible duplicate."""
    require(actor, referral, "link_person", "link", version)
    other = session.get(Person, person_id)
    if other is None:
        raise NotFound(_("There is no record with that number"))
    before = referral.person_id
    referral.person = other
    referral.locality = other.locality
    referral.search_name = f"{other.family_name} {other.given_name}".lower()
    audit_change(session, actor, referral, "linked_to_person", before=before, after=other.id)
    return referral
