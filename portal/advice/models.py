from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow


class AdviceReport(db.Model):
    """One self-assessment: the answers while in progress, then the report they produced.

    Anonymous: no personal details unless the person later asks for help. The reference is
    long and random, so it can be given out as a link to return to the report. While in
    progress, the short resume code carries the person on from another device."""

    __tablename__ = "advice_report"
    __table_args__ = (
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        CheckConstraint("status IN ('in_progress', 'completed')", name="status"),
        CheckConstraint("outcome IN ('self_help', 'asked_for_help')", name="outcome"),
        Index("ix_advice_report_completed", "status", "completed_at"),
        # The answers' locks (migration 0020): only a finished report is protected; a code and
        # its expiry come together; failures never go below nought.
        CheckConstraint("(dob_hash IS NULL AND email_hash IS NULL) OR status = 'completed'",
                        name="protected_when_done"),
        CheckConstraint("(check_code_hash IS NULL AND check_code_expires_at IS NULL) OR "
                        "(check_code_hash IS NOT NULL AND check_code_expires_at IS NOT NULL)", name="code_expiry"),
        CheckConstraint("check_failures >= 0", name="check_failures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    resume_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    # The language the person used (portal.web.i18n): messages about this go out in it.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    status: Mapped[str] = mapped_column(String(12), default="in_progress")
    content_version: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str | None] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    areas: Mapped[list] = mapped_column(JSON, default=list)
    recommendation_ids: Mapped[list] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(16), default="self_help")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    # The person's answers are health details: only the browser that finished the report sees
    # them without a check (portal/advice/privacy.py). Nothing here can be read back: the date
    # of birth is an argon2 hash, the email address and the emailed code are keyed hashes.
    dob_hash: Mapped[str | None] = mapped_column(String(200))
    email_hash: Mapped[str | None] = mapped_column(String(64))
    check_code_hash: Mapped[str | None] = mapped_column(String(64))
    check_code_expires_at: Mapped[datetime | None]
    check_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    check_locked_until: Mapped[datetime | None]
