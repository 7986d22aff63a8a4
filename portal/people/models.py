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
