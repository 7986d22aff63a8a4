"""Telecare: installation jobs and their steps, connections (one per person), the devices fitted
and the responders in call order.

Integrity in the database: one step row per (job, visit, step) so a repeated tap records once;
one connection per person; one open fitting per asset, one open job of each type per person and
one booked visit per installer, day and slot (partial unique indexes); CHECK constraints for every
enumeration. Key safe codes are never stored: only whether there is one and where.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import utcnow

JOB_TYPES = {
    "new_install": "New install",
    "add_sensor": "Add a sensor",
    "digital_switchover": "Digital switchover",
    "fault_visit": "Fault visit",
    "removal": "Removal",
}
JOB_PRIORITIES = {"urgent": "Urgent", "routine": "Routine"}
JOB_STATES = {
    "requested": "Requested",
    "scheduled": "Scheduled",
    "completed": "Completed",
    "no_access": "No access",
    "cancelled": "Cancelled",
}
STATE_COLOURS = {"requested": "yellow", "scheduled": "blue", "completed": "green", "no_access": "red",
                 "cancelled": "grey"}
OPEN_JOB_STATES = ("requested", "scheduled", "no_access")
OPEN_WHERE = "state IN ('requested', 'scheduled', 'no_access')"
SLOTS = {"am": "Morning", "pm": "Afternoon", "eve": "Evening"}
STEPS = {
    "arrived": "Arrived",
    "devices_fitted": "Devices fitted",
    "test_call_passed": "Test call to the monitoring centre passed",
    "consent_confirmed": "Consent and ethics checklist confirmed",
    "responders_confirmed": "Responders confirmed",
    "smoke_heat_checked": "Smoke and heat detection checked",
    "key_safe_checked": "Key safe checked",
    "completed": "Completed",
    "no_access": "No access",
    "failed": "Failed",
}
LINE_TYPES = {"analogue": "Analogue", "digital": "Digital", "mobile": "Mobile (SIM)"}
CONNECTION_STATUSES = {"active": "Active", "suspended": "Suspended", "ended": "Ended"}
RESPONDER_KINDS = {"named": "Named responder", "service": "Responder service"}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Job(db.Model):
    """requested → scheduled → completed, with no_access (reason, then reschedule) and cancelled."""

    __tablename__ = "telecare_job"
    __table_args__ = (
        CheckConstraint(_in("job_type", JOB_TYPES), name="job_type"),
        CheckConstraint(_in("priority", JOB_PRIORITIES), name="priority"),
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        CheckConstraint("state != 'scheduled' OR (scheduled_date IS NOT NULL AND installer_id IS NOT NULL)",
                        name="scheduled_has_date"),
        CheckConstraint("visit >= 1", name="visit"),
        Index("ix_telecare_job_installer_day", "installer_id", "scheduled_date"),
        Index("ix_telecare_job_state_due", "state", "due_date"),
        # One open job of each type per person: a second request links to the first (0017).
        Index("uq_telecare_job_open_per_person", "person_id", "job_type", unique=True,
              sqlite_where=text(OPEN_WHERE), postgresql_where=text(OPEN_WHERE)),
        # An installer is never booked twice for the same day and slot (0017); overlapping start
        # times are refused by schedule_job under a lock on the installer.
        Index("uq_telecare_job_installer_slot", "installer_id", "scheduled_date", "slot", unique=True,
              sqlite_where=text("state = 'scheduled'"), postgresql_where=text("state = 'scheduled'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(36), unique=True)
    job_type: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="routine")
    state: Mapped[str] = mapped_column(String(12), default="requested")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_date: Mapped[date]
    scheduled_date: Mapped[date | None]
    slot: Mapped[str | None] = mapped_column(String(5))
    installer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    route_order: Mapped[int | None]
    visit: Mapped[int] = mapped_column(default=1)
    access_notes: Mapped[str | None] = mapped_column(Text)
    to_fit: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship()
    steps: Mapped[list["JobStep"]] = relationship(back_populates="job", order_by="JobStep.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def type_label(self) -> str:
        return JOB_TYPES.get(self.job_type, self.job_type)

    @property
    def state_label(self) -> str:
        return JOB_STATES.get(self.state, self.state)

    @property
    def state_colour(self) -> str:
        return STATE_COLOURS.get(self.state, "grey")

    @property
    def slot_label(self) -> str:
        if not self.slot:
            return ""
        return SLOTS.get(self.slot, self.slot)


class JobStep(db.Model):
    """One tap on the installer's phone. Unique per (job, visit, step): a replay finds this row."""

    __tablename__ = "telecare_job_step"
    __table_args__ = (
        CheckConstraint(_in("step", STEPS), name="step"),
        UniqueConstraint("job_id", "visit", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("telecare_job.id", ondelete="CASCADE"))
    visit: Mapped[int] = mapped_column(default=1)
    step: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    by: Mapped[str] = mapped_column(String(160))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    job: Mapped[Job] = relationship(back_populates="steps")

    @property
    def label(self) -> str:
        return STEPS.get(self.step, self.step)


class Connection(db.Model):
    """A person's telecare connection to the monitoring centre (one per person)."""

    __tablename__ = "telecare_connection"
    __table_args__ = (
        CheckConstraint(_in("line_type", LINE_TYPES), name="line_type"),
        CheckConstraint(_in("status", CONNECTION_STATUSES), name="status"),
        Index("ix_telecare_connection_line_status", "line_type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    unit_asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"))
    unit_model: Mapped[str | None] = mapped_column(String(200))
    unit_serial: Mapped[str | None] = mapped_column(String(80))
    line_type: Mapped[str] = mapped_column(String(10))
    telephone: Mapped[str | None] = mapped_column(String(40))
    provider: Mapped[str | None] = mapped_column(String(80))
    monitoring_start: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    ended_at: Mapped[datetime | None]
    key_safe_present: Mapped[bool | None] = mapped_column(Boolean)
    key_safe_location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship()
    responders: Mapped[list["Responder"]] = relationship(
        back_populates="connection", order_by="Responder.call_order", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def line_label(self) -> str:
        return LINE_TYPES.get(self.line_type, self.line_type)

    @property
    def status_label(self) -> str:
        return CONNECTION_STATUSES.get(self.status, self.status)


class ConnectionDevice(db.Model):
    """A serialised asset fitted at a person's home by a job; removed_at is set when it goes back
    to stock. At most one open fitting per asset (partial unique index)."""

    __tablename__ = "telecare_connection_device"
    __table_args__ = (
        Index("uq_telecare_connection_device_open_asset", "asset_id", unique=True,
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("telecare_connection.id"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("telecare_job.id"), index=True)
    fitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    fitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    removed_at: Mapped[datetime | None]
    removed_job_id: Mapped[int | None] = mapped_column(ForeignKey("telecare_job.id"))


class Responder(db.Model):
    """Who the monitoring centre calls, in order: a named person, or the responder service."""

    __tablename__ = "telecare_responder"
    __table_args__ = (
        CheckConstraint(_in("kind", RESPONDER_KINDS), name="kind"),
        CheckConstraint("kind = 'service' OR name IS NOT NULL", name="named_has_name"),
        UniqueConstraint("connection_id", "call_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("telecare_connection.id", ondelete="CASCADE"))
    call_order: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    relationship_to_person: Mapped[str | None] = mapped_column(String(80))

    connection: Mapped[Connection] = relationship(back_populates="responders")

    @property
    def display(self) -> str:
        if self.kind == "service":
            return "Responder service"
        extra = f" ({self.relationship_to_person})" if self.relationship_to_person else ""
        return f"{self.name}{extra}"
