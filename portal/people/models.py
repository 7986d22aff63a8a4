from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import utcnow

TENURES = {
    "owner": "Owner-occupier",
    "council_tenant": "Council tenant",
    "housing_association_tenant": "Housing association tenant",
    "private_tenant": "Private tenant",
    "care_home": "Care home",
    "supported_living": "Supported living",
    "other": "Other or not known",
}

COMMUNICATION_NEEDS = {
    "large_print": "Large print",
    "easy_read": "Easy Read",
    "bsl": "British Sign Language (BSL)",
    "interpreter": "An interpreter",
    "braille": "Braille",
    "hearing_loop": "Hearing loop",
}

CONTACT_ROLES = {
    "carer": "Carer",
    "next_of_kin": "Next of kin",
    "telecare_responder": "Telecare responder",
    "advocate": "Advocate",
    "referrer": "Person who asked for help",
}

IDENTITY_STATES = {
    "open": "Identity to check",
    "same_person": "Same person: records joined",
    "different_people": "Different people: records kept apart",
}

# Who the NHS number quoted on a request belongs to, when the two records are different people.
NHS_NUMBER_OWNERS = {
    "existing": "The record we already had: the new record has no NHS number until it is checked",
    "new": "The new record: it moves from the record we already had",
}


class Person(db.Model):
    """Someone the service helps. NHS number is unique when given."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("tenure IN (" + ", ".join(f"'{t}'" for t in TENURES) + ")", name="tenure"),
        Index("ix_person_duplicate_check", "date_of_birth", "postcode"),
        Index("ix_person_postcode", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    address_line_1: Mapped[str] = mapped_column(String(200))
    address_line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(8))
    locality: Mapped[str | None] = mapped_column(String(40), index=True)
    tenure: Mapped[str] = mapped_column(String(40), default="other")
    landlord: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    communication_needs: Mapped[list] = mapped_column(JSON, default=list)
    interpreter_language: Mapped[str | None] = mapped_column(String(80))
    notes: Mapped[str | None] = mapped_column(Text)
    # set when an identity check found this record was someone already known: their record holds it all
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Contact.call_order"
    )
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Consent.recorded_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def tenure_label(self) -> str:
        return TENURES.get(self.tenure, self.tenure)


class Contact(db.Model):
    __tablename__ = "person_contact"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in CONTACT_ROLES) + ")", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(30))
    relationship_to_person: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    call_order: Mapped[int] = mapped_column(default=1)
    person: Mapped[Person] = relationship(back_populates="contacts")

    @property
    def role_label(self) -> str:
        return CONTACT_ROLES.get(self.role, self.role)


class Consent(db.Model):
    """What the person (or someone lawfully for them) agreed to, and how capacity was judged."""

    __tablename__ = "person_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(200))
    given_by: Mapped[str] = mapped_column(String(160))
    capacity_note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(160))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    person: Mapped[Person] = relationship(back_populates="consents")


class IdentityCheck(db.Model):
    """A request quoted an NHS number we already hold, with a different name or date of birth.

    The request went onto a new record without the NHS number (`person_id`); a person decides
    whether it is the same person as the record that holds it (`existing_person_id`).
    """

    __tablename__ = "identity_check"
    __table_args__ = (
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in IDENTITY_STATES) + ")", name="state"),
        CheckConstraint("nhs_number_owner IS NULL OR nhs_number_owner IN ('existing', 'new')",
                        name="nhs_number_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    existing_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    nhs_number: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="open")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    nhs_number_owner: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    existing_person: Mapped[Person] = relationship(foreign_keys=[existing_person_id])
    decided_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def state_label(self) -> str:
        return IDENTITY_STATES[self.state]
