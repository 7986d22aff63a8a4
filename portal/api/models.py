from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow


class ApiClient(db.Model):
    """A system that calls the API (a case-management system, a hospital discharge team's system).

    Its key is `tecs_<key_id>_<secret>`: `key_id` finds the row, the secret is kept only as a
    SHA-256 hash (it is 256 random bits, so a slow password hash adds nothing but latency).
    """

    __tablename__ = "api_client"
    __table_args__ = (CheckConstraint("rate_per_minute > 0", name="rate_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    rate_per_minute: Mapped[int] = mapped_column(default=120)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(160))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(160))

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> str:
        """How the audit log names it."""
        return f"API client {self.name} (#{self.id})"


class ApiRequest(db.Model):
    """An idempotency key a client sent with a create: the same key again returns the first answer
    (a unique key per client, so two retries racing each other make one record)."""

    __tablename__ = "api_request"
    __table_args__ = (UniqueConstraint("client_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))  # the body: the same key with another body is refused
    operation: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
