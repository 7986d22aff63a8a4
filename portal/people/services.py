"""The person record: create, find possible duplicates, audited views."""

from datetime import date

from sqlalchemy import func, or_, select

from portal.audit.services import record
from portal.errors import NotFound
from portal.people.models import Consent, Contact, Person
from portal.people.validators import normalise_nhs_number, normalise_postcode


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
    stmt = select(Person).where(condition, Person.id != person.id).order_by(Person.id).limit(10)
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
        raise NotFound("There is no record with that number")
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
