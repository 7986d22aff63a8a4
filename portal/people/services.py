"""The person record: create or match, find possible duplicates, the identity check, audited views."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record
from portal.auth.roles import TRIAGE_OFFICER
from portal.errors import NotAllowed, NotFound, Refusal, check_version, require_action
from portal.extensions import db
from portal.people.models import COMMUNICATION_NEEDS, NHS_NUMBER_OWNERS, Consent, Contact, IdentityCheck, Person
from portal.people.validators import is_valid_postcode, normalise_nhs_number, normalise_postcode
from portal.timeutil import london_date, utcnow


def create_person(session, actor, *, given_name: str, family_name: str, date_of_birth: date,
                  address_line_1: str, postcode: str, address_line_2: str | None = None,
                  town: str | None = None, nhs_number: str | None = None, phone: str | None = None,
                  email: str | None = None, tenure: str = "other", landlord: str | None = None,
                  locality: str | None = None, communication_needs: list[str] | None = None,
                  interpreter_language: str | None = None) -> Person:
    person = Person(
        given_name=given_name.strip(), family_name=family_name.strip(), date_of_birth=date_of_birth,
        address_line_1=address_line_1.strip(), address_line_2=(address_line_2 or "").strip() or None,
        town=(town or "").strip() or None, postcode=normalise_postcode(postcode),
        nhs_number=normalise_nhs_number(nhs_number) if nhs_number else None,
        phone=(phone or "").strip() or None, email=(email or "").strip().lower() or None,
        tenure=tenure, landlord=landlord, locality=locality,
        communication_needs=list(communication_needs or []),
        interpreter_language=interpreter_language or None,
    )
    session.add(person)
    session.flush()
    record(session, actor, "person.created", "person", person.id)
    return person


def find_by_nhs_number(session, nhs_number: str | None) -> Person | None:
    if not nhs_number:
        return None
    return session.scalar(select(Person).where(Person.nhs_number == normalise_nhs_number(nhs_number)))


def possible_duplicates(session, person: Person) -> list[Person]:
    """Other records with the same NHS number, or the same surname, date of birth and postcode."""
    same_details = (
        (func.lower(Person.family_name) == person.family_name.lower())
        & (Person.date_of_birth == person.date_of_birth)
        & (Person.postcode == person.postcode)
    )
    condition = same_details
    if person.nhs_number:
        condition = or_(Person.nhs_number == person.nhs_number, same_details)
    stmt = (select(Person).where(condition, Person.id != person.id, Person.merged_into_id.is_(None))
            .order_by(Person.id).limit(10))
    return list(session.scalars(stmt))


def may_view(session, user, person_id: int) -> bool:
    """Whether the member of staff may see any part of this person's record now (the rule and the
    parts are `portal.people.access.access_to`)."""
    from portal.people.access import access_to

    return bool(access_to(session, user, person_id))


def view_person(session, actor, person_id: int, purpose: str = "view") -> Person:
    """Load a person's record for a member of staff, and audit that they looked."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("There is no record with that number"))
    record(session, actor, "person.viewed", "person", person.id, purpose=purpose)
    return person


def add_contact(session, actor, person: Person, *, name: str, role: str, phone: str | None = None,
                email: str | None = None, relationship_to_person: str | None = None) -> Contact:
    order = max((c.call_order for c in person.contacts), default=0) + 1
    contact = Contact(name=name.strip(), role=role, phone=phone, email=email,
                      relationship_to_person=relationship_to_person, call_order=order)
    person.contacts.append(contact)
    session.flush()
    record(session, actor, "person.contact_added", "person", person.id, role=role)
    return contact


def record_consent(session, actor, person: Person, *, what: str, given_by: str,
                   capacity_note: str | None = None) -> Consent:
    label = actor if isinstance(actor, str) else actor.name
    consent = Consent(what=what, given_by=given_by, capacity_note=capacity_note, recorded_by=label)
    person.consents.append(consent)
    session.flush()
    record(session, actor, "person.consent_recorded", "person", person.id, what=what)
    return consent


def consents_for(session, person: Person) -> list[Consent]:
    """What the person (or someone for them) agreed to, newest first: the one source the person record
    and the referral page both read. A referral's own consent is recorded here when it arrives
    (`record_referral_consent`)."""
    return list(session.scalars(select(Consent).where(Consent.person_id == person.id)
                                .order_by(Consent.recorded_at.desc(), Consent.id.desc())))


def record_referral_consent(session, actor, person: Person, *, reference: str, consent_given: bool,
                            consent_note: str | None, asked_by: str | None, at=None) -> Consent | None:
    """The consent a referral arrived with, on the person's record: agreed by the person, or asked
    for in their best interest. Nothing is recorded when the referral says neither."""
    if consent_given:
        consent = record_consent(session, actor, person, what=f"Agreed to referral {reference}",
                                 given_by="the person", capacity_note=consent_note)
    elif consent_note:
        consent = record_consent(session, actor, person, what=f"Referral {reference} made in their best interest",
                                 given_by=asked_by or "the referrer", capacity_note=consent_note)
    else:
        return None
    consent.recorded_at = at or consent.recorded_at  # when the referral arrived with it
    return consent


# The contact details staff may change on a person's record, and the rules for each.
DETAIL_FIELDS = ("phone", "email", "address_line_1", "address_line_2", "town", "postcode",
                 "communication_needs", "interpreter_language")


def change_details(session, actor, person: Person, *, version: int | None, phone: str | None,
                   email: str | None, address_line_1: str, address_line_2: str | None, town: str | None,
                   postcode: str, communication_needs, interpreter_language: str | None) -> list[str]:
    """Change a person's contact details: refused when the page was stale (409), when the member of
    staff may not see the whole record (403), or for bad answers (422). Audits which details changed
    (never the values). Returns the names of the changed details."""
    from portal.auth.roles import ASSESSORS
    from portal.people.access import WHOLE, access_to

    check_version(person, version, f"{person.full_name}'s record")
    if isinstance(actor, str) or not actor.has_role(*ASSESSORS) or WHOLE not in access_to(session, actor, person.id):
        raise NotAllowed(_("You cannot change this person's details"))
    clean = lambda v: " ".join((v or "").split()) or None  # noqa: E731
    answers = {
        "phone": clean(phone), "email": clean(email), "address_line_1": clean(address_line_1),
        "address_line_2": clean(address_line_2), "town": clean(town), "postcode": normalise_postcode(postcode or ""),
        "communication_needs": [n for n in COMMUNICATION_NEEDS if n in set(communication_needs or ())],
        "interpreter_language": clean(interpreter_language),
    }
    if not answers["address_line_1"]:
        raise Refusal(_("Enter the first line of the address"), field="address_line_1")
    if answers["email"] and ("@" not in answers["email"] or " " in answers["email"]):
        raise Refusal(_("Enter an email address in the correct format, like name@example.com"), field="email")
    if not is_valid_postcode(answers["postcode"]):
        raise Refusal(_("Enter a real postcode, like AA1 1AA"), field="postcode")
    if set(communication_needs or ()) - set(COMMUNICATION_NEEDS):
        raise Refusal(_("Select communication needs from the list"), field="communication_needs")
    if "interpreter" in answers["communication_needs"] and not answers["interpreter_language"]:
        raise Refusal(_("Enter the language the interpreter needs to speak"), field="interpreter_language")
    if "interpreter" not in answers["communication_needs"]:
        answers["interpreter_language"] = None
    changed = [name for name in DETAIL_FIELDS if getattr(person, name) != answers[name]]
    for name in changed:
        setattr(person, name, answers[name])
    if changed:
        session.flush()
        record(session, actor, "person.details_changed", "person", person.id, changed=changed)
    return changed


# ---------------------------------------------------------------- the right person

@dataclass
class Match:
    """The record a request is for: `created` when it is new; `check` when it waits on an identity check."""

    person: Person
    created: bool
    check: IdentityCheck | None = None


def _words(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def same_identity(person: Person, given_name: str, family_name: str, date_of_birth: date) -> bool:
    """Same name (ignoring case and spacing) and the same date of birth."""
    return (_words(person.given_name) == _words(given_name) and _words(person.family_name) == _words(family_name)
            and person.date_of_birth == date_of_birth)


def match_or_create(session, actor, *, given_name: str, family_name: str, date_of_birth: date,
                    nhs_number: str | None = None, **details) -> Match:
    """The person a new request (referral, enquiry) is for. Never files it silently on someone else.

    - The NHS number is on a record with the same name and date of birth: that record (someone
      asking again); a phone or email it lacks is filled in, nothing it holds is overwritten.
    - The NHS number is on a record with a different name or date of birth: a new record without
      the NHS number and an open identity check, for a person to decide (`confirm_same_person`
      or `keep_apart`).
    - No NHS number, or one we do not hold: a new record. Same name, date of birth and postcode
      shows as a possible duplicate to triage (`possible_duplicates`), never joined silently.
    `details` are `create_person`'s other arguments.
    """
    nhs = normalise_nhs_number(nhs_number) if nhs_number else None
    for _attempt in range(2):
        holder = find_by_nhs_number(session, nhs)
        if holder is not None and same_identity(holder, given_name, family_name, date_of_birth):
            filled = [name for name in ("phone", "email") if details.get(name) and not getattr(holder, name)]
            for name in filled:
                setattr(holder, name, details[name].strip().lower() if name == "email" else details[name].strip())
            record(session, actor, "person.matched", "person", holder.id, filled=filled)
            return Match(holder, created=False)
        try:
            with session.begin_nested():
                person = create_person(session, actor, given_name=given_name, family_name=family_name,
                                       date_of_birth=date_of_birth, nhs_number=None if holder else nhs, **details)
        except IntegrityError:
            continue  # the same NHS number arrived a moment ago on another request: match again
        if holder is None:
            return Match(person, created=True)
        check = IdentityCheck(person=person, existing_person=holder, nhs_number=nhs)
        session.add(check)
        session.flush()
        for subject_type, subject in (("person", person), ("person", holder), ("identity_check", check)):
            record(session, actor, "person.identity_check_raised", subject_type, subject.id, check=check.id,
                   new_record=person.id, existing_record=holder.id)
        return Match(person, created=True, check=check)
    raise Refusal(_("Someone else saved a record with this NHS number at the same moment. Send the form again."),
                  field="nhs_number")


def discard(session, match: Match) -> None:
    """Undo a match whose request turned out to be a repeat (the same form won a race): keep one record."""
    if not match.created:
        return
    if match.check is not None:
        session.delete(match.check)
    session.delete(match.person)
    session.flush()


def add_requester_contact(session, actor, person: Person, *, name: str, relationship: str | None = None,
                          phone: str | None = None, email: str | None = None) -> Contact:
    """The carer or family member who asked for help on the person's behalf, as one of their contacts.

    Asking again adds no second contact: the one with the same name gains any phone or email it lacked.
    """
    name = " ".join((name or "").split())
    phone = (phone or "").strip() or None
    email = (email or "").strip().lower() or None
    for contact in person.contacts:
        if _words(contact.name) == _words(name):
            given = {"phone": phone, "email": email, "relationship_to_person": relationship}
            filled = [field for field, value in given.items() if value and not getattr(contact, field)]
            for field in filled:
                setattr(contact, field, given[field])
            if filled:
                record(session, actor, "person.contact_updated", "person", person.id, contact=contact.id,
                       filled=filled)
            return contact
    return add_contact(session, actor, person, name=name, role="carer", phone=phone, email=email,
                       relationship_to_person=(relationship or "").strip() or None)


# ---------------------------------------------------------------- the identity check

# Every role that can ever take each action on an identity check (the routes' @staff rule).
IDENTITY_ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "identity_same": (TRIAGE_OFFICER,),
    "identity_different": (TRIAGE_OFFICER,),
}


def identity_check_actions(user, check: IdentityCheck) -> frozenset[str]:
    """What this person may do with the check now: triage decides an open one; once decided, nothing."""
    if not check.is_open:
        return frozenset()
    return frozenset(action for action, roles in IDENTITY_ACTION_ROLES.items() if user.has_role(*roles))


def open_identity_check(session, person: Person) -> IdentityCheck | None:
    """The check waiting on this (new) record, if any."""
    return session.scalar(select(IdentityCheck).where(IdentityCheck.person_id == person.id,
                                                      IdentityCheck.state == "open"))


def identity_checks_for(session, person: Person) -> list[IdentityCheck]:
    """Every check this record was part of, either side, newest first."""
    stmt = (select(IdentityCheck)
            .where(or_(IdentityCheck.person_id == person.id, IdentityCheck.existing_person_id == person.id))
            .order_by(IdentityCheck.raised_at.desc(), IdentityCheck.id.desc()))
    return list(session.scalars(stmt))


def get_identity_check(session, check_id: int) -> IdentityCheck:
    check = session.get(IdentityCheck, check_id)
    if check is None:
        raise NotFound(_("There is no identity check with that number"))
    return check


def _require(actor, check: IdentityCheck, action: str, version: int | None) -> None:
    roles = IDENTITY_ACTION_ROLES[action]
    if not actor.has_role(*roles):
        raise NotAllowed(_("Only a triage officer can decide whether two records are the same person"))
    require_action(identity_check_actions(actor, check), action,
                   f"This identity check was already decided: {check.state_label.lower()}")
    check_version(check, version, "identity check")


# Rows that follow the person when two records are joined; anything else on the new record
# (an order, a job, a grant) has to be moved by the team that owns it first.
_MOVED_WITH_THE_PERSON = {"referral", "referral_need", "person_contact", "person_consent", "identity_check",
                          "person", "audit_event"}


def _other_work(session, person_id: int) -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in _MOVED_WITH_THE_PERSON:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "person" and session.execute(
                    select(fk.parent).where(fk.parent == person_id).limit(1)).first() is not None:
                found.append(table.name.replace("_", " "))
    return sorted(set(found))


def _details_note(person: Person) -> str:
    address = ", ".join(p for p in (person.address_line_1, person.address_line_2, person.town, person.postcode) if p)
    given = [f"name {person.full_name}", f"date of birth {person.date_of_birth:%d/%m/%Y}", f"address {address}"]
    given += [f"{label} {value}" for label, value in (("phone", person.phone), ("email", person.email)) if value]
    return (f"Joined from record {person.id} on {london_date(utcnow()):%d/%m/%Y}. "
            f"Details given then: {'; '.join(given)}.")


def confirm_same_person(session, actor, check: IdentityCheck, *, version: int | None = None,
                        reason: str | None = None) -> Person:
    """The new record is the person we already knew: its referrals, contacts and consents move to
    their record, the details given on the new one are kept as a note there, and the new record
    points to theirs. Returns the record that now holds everything."""
    _require(actor, check, "identity_same", version)
    from portal.referrals.models import Referral  # people sits below referrals

    new, existing = check.person, check.existing_person
    other = _other_work(session, new.id)
    if other:
        raise Refusal(_("The new record already has other work (%(names)s). Ask the team that owns it to "
                        "move it first.",
                        names=', '.join(other)), field="reason")
    moved = []
    for referral in session.scalars(select(Referral).where(Referral.person_id == new.id)):
        referral.person = existing
        referral.locality = existing.locality
        referral.search_name = f"{existing.family_name} {existing.given_name}".lower()
        moved.append(referral)
    for contact in list(new.contacts):
        if any(_words(c.name) == _words(contact.name) for c in existing.contacts):
            session.delete(contact)
        else:
            contact.call_order = max((c.call_order for c in existing.contacts), default=0) + 1
            contact.person = existing
    for consent in list(new.consents):
        consent.person = existing
    existing.notes = "\n".join(n for n in (existing.notes, _details_note(new)) if n)
    new.merged_into_id = existing.id
    _decide(check, actor, "same_person", reason)
    session.flush()
    for subject_type, subject in (("person", new), ("person", existing), ("identity_check", check)):
        record(session, actor, "person.identity_same", subject_type, subject.id, check=check.id,
               new_record=new.id, existing_record=existing.id, reason=check.reason)
    for referral in moved:
        record(session, actor, "referral.identity_same", "referral", referral.id, reference=referral.reference,
               state=referral.state, before=new.id, after=existing.id, reason=check.reason)
    return existing


def keep_apart(session, actor, check: IdentityCheck, *, nhs_number_owner: str, reason: str,
               version: int | None = None) -> Person:
    """Two different people. The NHS number quoted stays with the record it belongs to: the one
    we had (the new record stays without one until it is checked), or the new one (it moves).
    The reason is required, and noted on every referral of the new record. Returns the new record."""
    _require(actor, check, "identity_different", version)
    if nhs_number_owner not in NHS_NUMBER_OWNERS:
        raise Refusal(_("Select whose NHS number it is"), field="nhs_number_owner")
    if not (reason or "").strip():
        raise Refusal(_("Enter how you know they are different people"), field="reason")
    from portal.referrals.models import Referral

    new, existing = check.person, check.existing_person
    if nhs_number_owner == "new":
        existing.nhs_number = None
        session.flush()
        new.nhs_number = check.nhs_number
    check.nhs_number_owner = nhs_number_owner
    _decide(check, actor, "different_people", reason)
    session.flush()
    owner = new if nhs_number_owner == "new" else existing
    for subject_type, subject in (("person", new), ("person", existing), ("identity_check", check)):
        record(session, actor, "person.identity_different", subject_type, subject.id, check=check.id,
               new_record=new.id, existing_record=existing.id, nhs_number_now_on=owner.id, reason=check.reason)
    for referral in session.scalars(select(Referral).where(Referral.person_id == new.id)):
        record(session, actor, "referral.identity_different", "referral", referral.id,
               reference=referral.reference, state=referral.state,
               reason=f"NHS number {check.nhs_number} was already on record {existing.id}; different people. "
                      f"{check.reason}")
    return new


def _decide(check: IdentityCheck, actor, state: str, reason: str | None) -> None:
    check.state = state
    check.decided_at = utcnow()
    check.decided_by_id = actor.id
    check.reason = (reason or "").strip() or None
