from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import utcnow

STATES = {
    "submitted": "New",
    "screened": "Screened",
    "awaiting_assessment": "Awaiting assessment",
    "assessed": "Assessed",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
    "declined": "Declined",
}
OPEN_STATES = ("submitted", "screened", "awaiting_assessment", "assessed")

SOURCES = {
    "self_assessment": "Online self-assessment",
    "self": "Self (public form)",
    "carer": "Carer or family (public form)",
    "gp": "GP",
    "nhs_111": "NHS 111",
    "hospital_discharge": "Hospital discharge",
    "social_worker": "Social worker",
    "housing": "Housing",
    "care_home": "Care home",
    "other": "Other",
}

# The public form's sources: a professional (the staff form, the API) sends any of the others.
PUBLIC_SOURCES = ("self_assessment", "self", "carer")
PROFESSIONAL_SOURCES = {k: v for k, v in SOURCES.items() if k not in PUBLIC_SOURCES}

NEEDS = {
    "telecare": "Telecare",
    "equipment": "Equipment",
    "minor_adaptation": "Minor adaptation",
    "major_adaptation": "Major adaptation or DFG",
    "ot_assessment": "OT assessment",
    "falls": "Falls",
}

PRIORITIES = {"urgent": "Urgent", "high": "High", "routine": "Routine"}

ROUTES = {"trusted_assessor": "Trusted assessor", "occupational_therapist": "Occupational therapist"}

OUTCOMES = {
    "equipment_ordered": "Equipment ordered",
    "telecare_requested": "Telecare install requested",
    "dfg_recommended": "DFG recommended",
    "minor_adaptation": "Minor adaptation arranged",
    "signposted": "Signposted",
    "self_purchase": "Self-purchase advice given",
    "tecs_instead_of_care_package": "TECS instead of a home-care package",
    "no_further_action": "No further action",
}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


OPEN_QUEUE_FILTERS = ("priority", "suggested_priority", "locality", "source", "assigned_to_id", "route",
                      "paused_since")


class ReferralState:
    """What a referral's state says: shared by the ORM object and the queue's plain rows."""

    __slots__ = ()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return STATES[self.state]


class Referral(ReferralState, db.Model):
    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint("priority IS NULL OR " + _in("priority", PRIORITIES), name="priority"),
        CheckConstraint("route IS NULL OR " + _in("route", ROUTES), name="route"),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name="outcome"),
        # the queue: open referrals (exactly those with a due time) in time-left order, keyset-paginated
        # on (next_due_at, id). Partial, so closed referrals cost nothing, and covering the queue's
        # filters, so a filtered page and its count are read from the index alone.
        Index("ix_referral_open", "next_due_at", "id", *OPEN_QUEUE_FILTERS,
              sqlite_where=text("next_due_at IS NOT NULL"), postgresql_where=text("next_due_at IS NOT NULL")),
        # the queue filtered by locality and priority (migration 0023, which also gives PostgreSQL
        # statistics on the priority expression): the page in order, its count from one range
        Index("ix_referral_open_locality_priority", "locality",
              text("coalesce(priority, suggested_priority, 'routine')"), "next_due_at", "id",
              sqlite_where=text("next_due_at IS NOT NULL"), postgresql_where=text("next_due_at IS NOT NULL")),
        Index("ix_referral_open_name", "search_name", "next_due_at", "id",
              sqlite_where=text("next_due_at IS NOT NULL"), postgresql_where=text("next_due_at IS NOT NULL")),
        Index("ix_referral_queue", "state", "next_due_at", "id"),
        Index("ix_referral_assignee_queue", "assigned_to_id", "state", "next_due_at"),
        Index("ix_referral_received", "received_at"),
        Index("ix_referral_search_name", "search_name"),
        # the API's changes feed, keyset-paginated on (changed_at, id): all referrals, or one client's
        Index("ix_referral_changed", "changed_at", "id"),
        Index("ix_referral_api_client_changed", "api_client_id", "changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The language the person used (portal.web.i18n): messages about this go out in it.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    state: Mapped[str] = mapped_column(String(30), default="submitted")
    source: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str | None] = mapped_column(String(10))
    suggested_priority: Mapped[str | None] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    contact_due_at: Mapped[datetime | None]
    assessment_due_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    assessed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    route: Mapped[str | None] = mapped_column(String(30))
    complex: Mapped[bool | None]
    complexity_reason: Mapped[str | None] = mapped_column(Text)
    ta_level_required: Mapped[int | None]
    discharge_date: Mapped[date | None]
    help_wanted: Mapped[str] = mapped_column(Text, default="")
    risk_summary: Mapped[str | None] = mapped_column(Text)
    referrer_name: Mapped[str | None] = mapped_column(String(160))
    referrer_organisation: Mapped[str | None] = mapped_column(String(160))
    referrer_phone: Mapped[str | None] = mapped_column(String(40))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    referrer_relationship: Mapped[str | None] = mapped_column(String(80))
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_note: Mapped[str | None] = mapped_column(Text)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    advice_report_id: Mapped[int | None] = mapped_column(ForeignKey("advice_report.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    locality: Mapped[str | None] = mapped_column(String(40), index=True)
    search_name: Mapped[str] = mapped_column(String(210))
    submission_key: Mapped[str] = mapped_column(String(36), unique=True)
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_client.id"))  # the system that sent it
    # set on every insert and update of the row (state, clocks, priority, assignment): the API's changes feed
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)
    needs: Mapped[list["ReferralNeed"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ReferralNeed.need"
    )
    pauses: Mapped[list["ReferralPause"]] = relationship(
        cascade="all, delete-orphan", order_by="ReferralPause.started_at"
    )
    assigned_to = relationship("User", foreign_keys=[assigned_to_id], lazy="joined")
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    assessment: Mapped["Assessment | None"] = relationship(back_populates="referral", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def need_names(self) -> list[str]:
        return [n.need for n in self.needs]


class ReferralNeed(db.Model):
    __tablename__ = "referral_need"
    __table_args__ = (
        CheckConstraint(_in("need", NEEDS), name="need"),
        Index("ix_referral_need_need", "need", "referral_id"),
    )

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True
    )
    need: Mapped[str] = mapped_column(String(30), primary_key=True)


class ReferralPause(db.Model):
    """Time the clock stood still while the case waited on the person or a third party."""

    __tablename__ = "referral_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(200))


class Assessment(db.Model):
    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), unique=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    outcomes_wanted: Mapped[str] = mapped_column(Text)
    strengths: Mapped[str] = mapped_column(Text)
    needs_by_area: Mapped[str] = mapped_column(Text)
    risks: Mapped[str] = mapped_column(Text, default="")
    tecs_considered: Mapped[bool]
    tecs_what: Mapped[str | None] = mapped_column(Text)
    tecs_why_not: Mapped[str | None] = mapped_column(Text)
    monitoring: Mapped[dict] = mapped_column(JSON, default=dict)
    recommendations: Mapped[list] = mapped_column(JSON, default=list)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    assessor = relationship("User")
    referral: Mapped[Referral] = relationship(back_populates="assessment")
