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
        CheckConstraint("status IN ('in_progress', 'completed')", name="status"),
        CheckConstraint("outcome IN ('self_help', 'asked_for_help')", name="outcome"),
        Index("ix_advice_report_completed", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    resume_code: Mapped[str | None] = mapped_column(String(10), unique=True)
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
