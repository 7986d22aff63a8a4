"""Staff accounts: sign-in, two-factor, passwords, roles. Every change is audited."""

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
from flask_babel import gettext as _
from sqlalchemy import Text, bindparam, cast, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.audit.services import actor_label, record
from portal.auth.models import (
    RecoveryCode,
    SecuritySetting,
    StaffSession,
    User,
    UserRole,
    new_session_token,
    token_digest,
)
from portal.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from portal.auth.roles import ADMIN, ROLES, TRUSTED_ASSESSOR
from portal.config import setting
from portal.errors import Conflict, IllegalTransition, NotAllowed, NotFound, Refusal, require_action
from portal.timeutil import utcnow
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate

# Verified against when no account matches, so an unknown email costs the same time.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
RECOVERY_CODE_COUNT = 10


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session, email: str, password: str) -> User | None:
    """The user when the email and password match an active account; otherwise None.

    With OIDC_ONLY set, a right password is still refused (a Refusal saying to use the council
    account) unless the account is a break-glass one (`password_sign_in_allowed`)."""
    user = find_by_email(session, email)
    if user is None or not user.has_password:
        verify_password(_DUMMY_HASH, password)  # the same time as a wrong password
        record(session, "anonymous", "sign_in.failed", "staff_user", user.id if user else "-",
               reason="unknown email" if user is None else "no password (single sign-on)")
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        record(session, "anonymous", "sign_in.failed", "staff_user", user.id,
               reason="disabled" if user.active is False else "wrong password")
        return None
    if not password_sign_in_allowed(user):
        record(session, "anonymous", "sign_in.failed", "staff_user", user.id, reason="single sign-on only")
        raise NotAllowed("Sign in with your council account. Signing in with a password here is switched off.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def password_sign_in_allowed(user: User) -> bool:
    """Whether this account may sign in with a password here. Always, unless OIDC_ONLY is set; then
    only administrators (the break-glass accounts, for when the identity provider is down or
    misconfigured), and they must pass this portal's own two-factor sign-in (`two_factor_required`)."""
    return not setting("OIDC_ONLY") or user.has_role(ADMIN)


def record_sign_in(session, user: User, second_factor: bool | str, method: str = "password") -> None:
    user.last_sign_in_at = utcnow()
    record(session, user, "sign_in", "staff_user", user.id, second_factor=second_factor, method=method)


def sign_out(session, user: User) -> None:
    """End the session this request runs in (other sessions carry on)."""
    if user.current_session_id is not None:
        end_session(session, user, user.current_session_id, reason="signed out")
    record(session, user, "sign_out", "staff_user", user.id)


# Sessions: one row, with its own token, per sign-in ------------------------------------------

SESSION_SEEN_STEP = 60  # seconds: last_seen_at is written at most once a minute
TWO_FACTOR_ROLES = "two_factor_roles"
# built once: the user loader runs on every staff request. The two-factor roles setting comes in the
# same query, so a signed-in request reads the database once.
_BY_TOKEN = (select(User, StaffSession,
                    select(cast(SecuritySetting.value, Text))  # text: a JSON value cannot be made unique
                    .where(SecuritySetting.name == TWO_FACTOR_ROLES).scalar_subquery())
             .join(StaffSession, StaffSession.user_id == User.id)
             .options(joinedload(User.roles))
             .where(StaffSession.token_hash == bindparam("digest"), StaffSession.ended_at.is_(None),
                    User.active.is_(True)))


def _agent_summary(user_agent: str | None) -> str | None:
    """A short, readable summary of the browser ("Firefox on Windows"), never the whole header."""
    if not user_agent:
        return None
    ua = user_agent.lower()
    browser = next((name for key, name in (("edg/", "Edge"), ("firefox", "Firefox"), ("chrome", "Chrome"),
                                           ("safari", "Safari")) if key in ua), "A browser")
    system = next((name for key, name in (("windows", "Windows"), ("iphone", "iPhone"), ("ipad", "iPad"),
                                          ("android", "Android"), ("mac os", "macOS"), ("linux", "Linux"))
                   if key in ua), None)
    return f"{browser} on {system}" if system else browser


def start_session(session, user: User, user_agent: str | None = None) -> str:
    """A new session (and a new token) for a sign-in. Returns the token for the cookie; only its
    digest is stored."""
    token = new_session_token()
    row = StaffSession(user_id=user.id, token_hash=token_digest(token),
                       user_agent=_agent_summary(user_agent))
    session.add(row)
    session.flush()
    user.session_token, user.current_session_id = token, row.id
    return token


def _expired(row: StaffSession, now) -> bool:
    """Past the absolute limit (from sign-in, never extended) or idle too long."""
    lifetime = setting("PERMANENT_SESSION_LIFETIME")
    idle = timedelta(minutes=setting("STAFF_IDLE_MINUTES"))
    return now - row.created_at > lifetime or now - row.last_seen_at > idle + timedelta(seconds=SESSION_SEEN_STEP)


def user_for_token(session, token: str | None) -> tuple[User, StaffSession] | None:
    """The active user whose open, unexpired session has this token, and that session (for the
    Flask-Login user loader), with whether they must pass a second factor. One query."""
    if not token:
        return None
    found = session.execute(_BY_TOKEN, {"digest": token_digest(token)}).unique().one_or_none()
    if found is None:
        return None
    user, row, required_roles = found
    if _expired(row, utcnow()):
        return None
    user.session_token, user.current_session_id = token, row.id
    user.two_factor_required = two_factor_required(session, user, json.loads(required_roles or "[]"))
    return user, row


def seen_due(row: StaffSession) -> bool:
    """Whether the session's last_seen_at should be written now (at most once a minute)."""
    return (utcnow() - row.last_seen_at).total_seconds() >= SESSION_SEEN_STEP


def sessions_for(session, user: User) -> list[StaffSession]:
    """The person's open sessions (not ended, not timed out), newest first."""
    now = utcnow()
    rows = session.scalars(select(StaffSession).where(
        StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .order_by(StaffSession.created_at.desc(), StaffSession.id.desc()))
    return [row for row in rows if not _expired(row, now)]


def end_session(session, user: User, session_id: int, reason: str = "ended") -> StaffSession:
    """End one of the person's own sessions (from their account page, or by signing out)."""
    row = session.get(StaffSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("There is no session with that number on your account"))
    if row.ended_at is None:
        row.ended_at, row.ended_reason = utcnow(), reason
        record(session, user, "staff_session.ended", "staff_user", user.id, session_id=row.id, reason=reason)
    return row


def end_sessions(session, user: User, reason: str, keep_id: int | None = None) -> int:
    """End every open session of the person (all but `keep_id`). Returns how many ended."""
    ended = 0
    for row in sessions_for(session, user):
        if row.id != keep_id:
            row.ended_at, row.ended_reason = utcnow(), reason
            ended += 1
    return ended


def _check_roles(roles: list[str], ta_level: int | None) -> None:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise Refusal(_("Unknown role: %(names)s", names=', '.join(sorted(unknown))), field="roles")
    if TRUSTED_ASSESSOR in roles and ta_level not in (3, 4):
        raise Refusal(_("Select the trusted assessor level (3 or 4)"), field="trusted_assessor_level")


def create_user(session, actor, *, email: str, name: str, password: str, roles: list[str],
                trusted_assessor_level: int | None = None) -> User:
    email = normalise_email(email)
    if find_by_email(session, email) is not None:
        raise Conflict(_("There is already an account with this email address"), field="email")
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise Refusal(problems[0], field="password")
    _check_roles(roles, trusted_assessor_level)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        trusted_assessor_level=trusted_assessor_level if TRUSTED_ASSESSOR in roles else None,
        roles=[UserRole(role=r) for r in sorted(set(roles))],
    )
    session.add(user)
    session.flush()
    record(session, actor, "staff_user.created", "staff_user", user.id, email=email,
           roles=sorted(set(roles)))
    return user


def update_roles(session, actor, user: User, roles: list[str],
                 trusted_assessor_level: int | None) -> User:
    _check_roles(roles, trusted_assessor_level)
    before = user.role_names
    wanted = set(roles)
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - set(before))
    ]
    user.trusted_assessor_level = trusted_assessor_level if TRUSTED_ASSESSOR in wanted else None
    record(session, actor, "staff_user.roles_changed", "staff_user", user.id,
           before=before, after=sorted(wanted), trusted_assessor_level=user.trusted_assessor_level)
    return user


# Who may do what to a staff account ------------------------------------------------------------

STAFF_ACTIONS = ("disable_staff", "enable_staff", "reset_two_factor")


def _is_system(actor) -> bool:
    """The CLI and tests act as None or a label, for the service."""
    return actor is None or isinstance(actor, str)


def allowed_actions(actor, user: User) -> frozenset[str]:
    """The account actions open to `actor` on `user` now (the endpoint names): an administrator
    disables an active account and enables a disabled one, and resets two-factor sign-in that is
    set up; never on their own account (another administrator must), so no one locks themselves
    out or lifts their own second factor."""
    if not _is_system(actor) and not actor.has_role(ADMIN):
        return frozenset()
    allowed = {"disable_staff"} if user.active else {"enable_staff"}
    if user.totp_enabled:
        allowed.add("reset_two_factor")
    if not _is_system(actor) and actor.id == user.id:
        allowed -= {"disable_staff", "reset_two_factor"}
    return frozenset(allowed)


def _check_staff_action(actor, user: User, action: str, message: str) -> None:
    if not _is_system(actor) and not actor.has_role(ADMIN):
        raise NotAllowed(_("Only an administrator can change staff accounts."))
    require_action(allowed_actions(actor, user), action, message)


def _why_not(actor, user: User, action: str) -> str:
    own = not _is_system(actor) and actor.id == user.id
    if action == "disable_staff":
        return ("You cannot disable your own account: ask another administrator" if own
                else f"{user.name}'s account is already disabled")
    if action == "enable_staff":
        return f"{user.name}'s account is already enabled"
    if own:
        return "You cannot reset your own two-factor sign-in: ask another administrator"
    return f"{user.name} has not set up two-factor sign-in, so there is nothing to reset"


def set_active(session, actor, user: User, active: bool) -> User:
    action = "enable_staff" if active else "disable_staff"
    _check_staff_action(actor, user, action, _why_not(actor, user, action))
    user.active = active
    end_sessions(session, user, "account disabled" if not active else "account enabled")
    record(session, actor, "staff_user.enabled" if active else "staff_user.disabled",
           "staff_user", user.id)
    return user


def change_password(session, user: User, current: str, new: str) -> None:
    if not user.has_password:
        raise IllegalTransition("You sign in with your council account, so you have no password here to "
                                "change. Change it with your council's IT service.")
    if not verify_password(user.password_hash, current):
        raise Refusal(_("Your current password is wrong"), field="current")
    problems = password_problems(new, email=user.email, name=user.name)
    if problems:
        raise Refusal(problems[0], field="new")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(session, user, "password changed", keep_id=user.current_session_id)
    record(session, user, "staff_user.password_changed", "staff_user", user.id)


def set_password(session, actor, user: User, new: str) -> None:
    """An administrator sets a temporary password (for example after a reset)."""
    problems = password_problems(new, email=user.email, name=user.name)
    if problems:
        raise Refusal(problems[0], field="password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(session, user, "password set")
    record(session, actor, "staff_user.password_set", "staff_user", user.id)


# Two-factor sign-in (TOTP, RFC 6238) -------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _totp_counter(secret: str, code: str) -> int | None:
    """The time step the code belongs to (allowing one step of clock drift), or None."""
    totp = pyotp.TOTP(secret)
    now = utcnow()
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    for drift in (0, -1, 1):
        counter = totp.timecode(now) + drift
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").upper().encode()).hexdigest()


def enable_totp(session, user: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor sign-in after the user proves their app has the secret.
    Returns new recovery codes (shown once)."""
    counter = _totp_counter(secret, code)
    if counter is None:
        raise Refusal(_("The code is wrong or has expired. Enter the code your app shows now"),
                      field="code")
    user.totp_secret = secret
    user.totp_last_counter = counter
    codes = regenerate_recovery_codes(session, user)
    record(session, user, "staff_user.two_factor_enabled", "staff_user", user.id)
    return codes


def regenerate_recovery_codes(session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _code in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5).upper()
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def renew_recovery_codes(session, user: User) -> list[str]:
    """New recovery codes in place of the old ones; only for someone with two-factor sign-in."""
    if not user.totp_enabled:
        raise IllegalTransition(_("You do not have two-factor sign-in set up, so you have no recovery codes to "
                                  "renew"))
    codes = regenerate_recovery_codes(session, user)
    record(session, user, "staff_user.recovery_codes_renewed", "staff_user", user.id)
    return codes


def recovery_codes_left(session, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify_second_factor(session, user: User, code: str) -> bool:
    """A current TOTP code (each time step once only) or an unused recovery code."""
    if user.totp_secret is None:
        return False
    counter = _totp_counter(user.totp_secret, code)
    if counter is not None:
        if user.totp_last_counter is not None and counter <= user.totp_last_counter:
            return False  # replayed code
        user.totp_last_counter = counter
        return True
    digest = _hash_code(code)
    rc = session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
        RecoveryCode.used_at.is_(None)))
    if rc is None:
        record(session, user, "sign_in.second_factor_failed", "staff_user", user.id)
        return False
    rc.used_at = utcnow()
    record(session, user, "sign_in.recovery_code_used", "staff_user", user.id)
    return True


def reset_two_factor(session, actor, user: User) -> None:
    _check_staff_action(actor, user, "reset_two_factor", _why_not(actor, user, "reset_two_factor"))
    user.totp_secret = None
    user.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(session, user, "two-factor reset")
    record(session, actor, "staff_user.two_factor_reset", "staff_user", user.id)


STAFF_SORTS = {"name": func.lower(User.name), "email": func.lower(User.email), "status": User.active,
               "signed_in": User.last_sign_in_at}


def staff_page(session, *, role: str = "", status: str = "", search: str = "", sort: str | None = None,
               descending: bool = False, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """A page of staff accounts: active first, then by name, unless sorted by a column (STAFF_SORTS).
    `status` is "active" or "disabled"; `search` matches part of the name or email address."""
    stmt = select(User)
    if role:
        stmt = stmt.where(User.roles.any(UserRole.role == role))
    if status:
        stmt = stmt.where(User.active.is_(status == "active"))
    if search:
        needle = search.lower()
        stmt = stmt.where(func.lower(User.name).contains(needle, autoescape=True)
                          | func.lower(User.email).contains(needle, autoescape=True))
    default = [] if sort in STAFF_SORTS else [User.active.desc(), func.lower(User.name)]
    stmt = stmt.order_by(*ordered(STAFF_SORTS, sort, descending), *default, User.id)
    return paginate(session, stmt, page, size)


# Who must use two-factor sign-in ------------------------------------------------------------


def two_factor_roles(session) -> list[str]:
    """The roles an administrator requires two-factor sign-in for (the database setting)."""
    row = session.get(SecuritySetting, TWO_FACTOR_ROLES)
    return [r for r in (row.value if row else []) if r in ROLES]


def two_factor_required(session, user: User, required_roles: list[str] | None = None) -> bool:
    """Whether this person must pass a second factor: REQUIRE_MFA (the floor, for everyone), the
    administrator's roles setting (read here unless the caller already has its value), or because they
    turned it on themselves."""
    if user.totp_enabled or setting("REQUIRE_MFA"):
        return True
    if setting("OIDC_ONLY") and user.has_role(ADMIN):
        return True  # a break-glass password sign-in always needs this portal's second factor
    required = two_factor_roles(session) if required_roles is None else required_roles
    return bool(set(required) & set(user.role_names))


def set_two_factor_roles(session, actor, roles: list[str]) -> list[str]:
    """An administrator requires two-factor sign-in for these roles (every role: all of them)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise Refusal(_("Unknown role: %(names)s", names=', '.join(sorted(unknown))), field="roles")
    wanted = [r for r in ROLES if r in roles]
    row = session.get(SecuritySetting, TWO_FACTOR_ROLES)
    before = list(row.value) if row else []
    if row is None:
        row = SecuritySetting(name=TWO_FACTOR_ROLES)
        session.add(row)
    row.value, row.updated_at = wanted, utcnow()
    row.updated_by = actor_label(actor)[1]
    record(session, actor, "security_setting.changed", "security_setting", TWO_FACTOR_ROLES,
           before=before, after=wanted)
    return wanted


def turn_off_two_factor(session, user: User) -> None:
    """The person turns off the two-factor sign-in they turned on, if nothing requires it."""
    if not user.totp_enabled:
        raise IllegalTransition(_("Two-factor sign-in is not on for your account"))
    if setting("REQUIRE_MFA") or set(two_factor_roles(session)) & set(user.role_names):
        raise IllegalTransition(_("You cannot turn off two-factor sign-in: the council requires it for your role"))
    user.totp_secret = None
    user.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(session, user, "staff_user.two_factor_disabled", "staff_user", user.id)


# Single sign-on (OpenID Connect) ----------------------------------------------------------
# The provider's ID token has been checked (signature, issuer, audience, expiry, nonce) by Authlib
# in portal.auth.sso before anything here runs. Roles come from the provider's groups at every
# sign-in, so the council's directory is the one place where joiners, movers and leavers are run.

SSO_ACTOR = "single sign-on"
DISABLED = "Your TECS Portal account is disabled. Ask an administrator."
NO_ACCESS = ("Your account has no access to the TECS Portal. Ask your manager to ask the council's IT "
             "service to add you to a TECS Portal group.")


@dataclass(frozen=True)
class ProviderIdentity:
    """What the portal uses from a validated ID token."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    groups: list[str] = field(default_factory=list)
    mfa: bool = False


def parse_group_roles(raw) -> dict[str, str]:
    """OIDC_GROUP_ROLES, {group id: role}, checked once at start-up: a role name, or
    "trusted_assessor:3" / "trusted_assessor:4" (the trusted assessor level comes with the group)."""
    mapping = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    if not isinstance(mapping, dict):
        raise ValueError("OIDC_GROUP_ROLES must be a JSON object of group id to role")
    allowed = (set(ROLES) - {TRUSTED_ASSESSOR}) | {f"{TRUSTED_ASSESSOR}:{level}" for level in (3, 4)}
    wrong = sorted(str(v) for v in mapping.values() if v not in allowed)
    if wrong:
        raise ValueError(f"OIDC_GROUP_ROLES has unknown roles: {', '.join(wrong)} "
                         f"(use one of {', '.join(sorted(allowed))})")
    return {str(k): v for k, v in mapping.items()}


def roles_from_groups(groups: list[str], mapping: dict[str, str]) -> tuple[list[str], int | None]:
    """The roles and trusted assessor level the person's groups give (the higher level of two)."""
    roles, levels = set(), []
    for group in groups:
        value = mapping.get(str(group))
        if value is None:
            continue
        role, _, level = value.partition(":")
        roles.add(role)
        if level:
            levels.append(int(level))
    return sorted(roles), max(levels) if levels else None


def _sso_refusal(session, reason: str, message: str, user: User | None = None, **details) -> NotAllowed:
    record(session, "anonymous", "sign_in.failed", "staff_user", user.id if user else "-",
           method="single sign-on", reason=reason, **details)
    return NotAllowed(message)


def record_sso_failure(session, reason: str, **details) -> None:
    """Audit a single sign-on that failed before anyone was known (provider error, bad state, bad
    token). Never the token or the code: only what went wrong."""
    record(session, "anonymous", "sign_in.failed", "staff_user", "-", method="single sign-on",
           reason=reason, **details)


def _email_trusted(identity: ProviderIdentity) -> bool:
    if not identity.email:
        return False
    domains = setting("OIDC_TRUSTED_EMAIL_DOMAINS")
    return identity.email_verified or normalise_email(identity.email).rpartition("@")[2] in domains


def sign_in_with_provider(session, identity: ProviderIdentity) -> User:
    """The staff account for a person the identity provider has signed in, with their roles set
    from their groups; or NotAllowed (audited) when they may not sign in.

    Found by issuer and subject; otherwise linked to the account with the same email, when the
    provider vouches for that email (`email_verified`, or a domain in OIDC_TRUSTED_EMAIL_DOMAINS);
    otherwise made now. Someone whose groups give no role is refused, and an account they already
    had loses its roles and its open sessions."""
    roles, level = roles_from_groups(identity.groups, parse_group_roles(setting("OIDC_GROUP_ROLES")))
    if setting("OIDC_REQUIRE_MFA_CLAIM") and not identity.mfa:
        raise _sso_refusal(session, "no two-factor claim",
                           "Your council account did not sign you in with two-factor authentication, "
                           "which the TECS Portal needs. Sign out of your council account and sign in again, "
                           "or ask the council's IT service.")
    user = session.scalar(select(User).where(User.oidc_issuer == identity.issuer,
                                             User.oidc_subject == identity.subject))
    if user is None and identity.email:
        same_email = find_by_email(session, identity.email)
        if same_email is not None:
            if not _email_trusted(identity):
                raise _sso_refusal(session, "email not verified by the provider",
                                   "There is already a TECS Portal account with your email address, and your "
                                   "council account could not confirm the address is yours. Ask an "
                                   "administrator.", same_email)
            if same_email.oidc_subject is not None:
                raise _sso_refusal(session, "account linked to another identity",
                                   "Your TECS Portal account is linked to a different council account. Ask an "
                                   "administrator.", same_email)
            if not same_email.active:
                raise _sso_refusal(session, "disabled", DISABLED, same_email)
            user = same_email
            user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
            record(session, SSO_ACTOR, "staff_user.linked_to_provider", "staff_user", user.id,
                   issuer=identity.issuer)
    if user is not None and not user.active:
        raise _sso_refusal(session, "disabled", DISABLED, user)
    if not roles:
        if user is not None and user.roles:
            update_roles(session, SSO_ACTOR, user, [], None)
            end_sessions(session, user, "no role from the identity provider")
        raise _sso_refusal(session, "no mapped role", NO_ACCESS, user, groups=len(identity.groups))
    if user is None:
        if not _email_trusted(identity):
            raise _sso_refusal(session, "email not verified by the provider",
                               "Your council account did not give a confirmed email address, which the TECS "
                               "Portal needs to make your account. Ask the council's IT service.")
        user = User(email=normalise_email(identity.email), name=(identity.name or identity.email).strip()[:120],
                    password_hash=None, oidc_issuer=identity.issuer, oidc_subject=identity.subject)
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError:  # the same person's first sign-in in another tab a moment ago: theirs stands
            user = session.scalar(select(User).where(User.oidc_issuer == identity.issuer,
                                                     User.oidc_subject == identity.subject))
            if user is None:
                raise _sso_refusal(session, "email already in use",
                                   "Someone else's TECS Portal account has your email address. Ask an "
                                   "administrator.") from None
            return sign_in_with_provider(session, identity)
        record(session, SSO_ACTOR, "staff_user.created", "staff_user", user.id, email=user.email,
               roles=[], issuer=identity.issuer)
    if user.role_names != roles or user.trusted_assessor_level != level:
        update_roles(session, SSO_ACTOR, user, roles, level)
    return user
