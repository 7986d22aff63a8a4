from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow

STATUSES = ("outbox", "pending", "sent", "failed")


class Notification(db.Model):
    """A message to a person. Written in the same transaction as the change that caused it
    (a transactional outbox), so it is never lost; delivery happens after the response."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        CheckConstraint("status IN ('outbox', 'pending', 'sent', 'failed')", name="status"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel"),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    template: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    to: Mapped[str] = mapped_column(String(254))
    # The language the person used (portal.web.i18n): messages about this go out in it.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    personalisation: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64))
