import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.roles import ROLES
from portal.extensions import db
from portal.timeutil import utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a session token: its SHA-256 (the token is random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    """A member of staff. The session cookie carries the token of one `StaffSession`, not the id,
    so ending that row (sign out, password change, disable) ends that session wherever it is.

    Someone who signs in through the council's identity provider (single sign-on) is known by the
    provider's issuer and subject (`oidc_issuer`, `oidc_subject`: stable, unlike an email address);
    an account made by single sign-on has no password (`password_hash` is None)."""

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "trusted_assessor_level IS NULL OR trusted_assessor_level IN (3, 4)",
            name="ta_level",
        ),
        CheckConstraint("(oidc_issuer IS NULL) = (oidc_subject IS NULL)", name="oidc_identity_whole"),
        UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_staff_user_oidc_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    trusted_assessor_level: Mapped[int | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_counter: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # The session this request runs in: set at sign-in and by the user loader, never stored.
    session_token = None
    current_session_id = None
    two_factor_required = False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)

    @property
    def role_labels(self) -> list[str]:
        return [ROLES[r] for r in self.role_names]

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.roles)

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None

    @property
    def has_password(self) -> bool:
        """False for an account that signs in only through the council's identity provider."""
        return self.password_hash is not None

    @property
    def uses_single_sign_on(self) -> bool:
        return self.oidc_subject is not None


class UserRole(db.Model):
    __tablename__ = "staff_user_role"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="known_role"
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class RecoveryCode(db.Model):
    """A single-use two-factor recovery code, kept as a SHA-256 digest (the codes are random)."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class StaffSession(db.Model):
    """One signed-in session (one browser): a new row, with a new token, at every sign-in.
    Only the token's digest is kept; `ended_at` set means the session is over."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(120))
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(40))

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class SecuritySetting(db.Model):
    """A security setting an administrator changes on a page (not in configuration): one row per name.
    `two_factor_roles` holds the roles that must use two-factor sign-in (REQUIRE_MFA stays the floor)."""

    __tablename__ = "security_setting"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))
