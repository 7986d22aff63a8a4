"""API clients: registered, authenticated, revoked and audited here, and nowhere else."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from portal.api.models import ApiClient
from portal.audit.services import actor_label, record
from portal.errors import Refusal
from portal.timeutil import utcnow

SCOPES = {
    "referrals:write": "Send referrals (professional, hospital discharge, FHIR ServiceRequest)",
    "referrals:read": "Read the status and clocks of the referrals this client sent, and what changed since a time",
    "referrals:read-all": "With referrals:read, read every referral, not only this client's own (the council's "
                          "own case-management system)",
    "people:read": "Read equipment on loan and telecare connection for a person, by NHS number",
}
KEY_PREFIX = "tecs"
_KEY = re.compile(r"^tecs_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
LAST_USED_STEP = 60  # seconds: `last_used_at` is written at most once a minute per client


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    key: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_scopes(scopes) -> list[str]:
    wanted = sorted(set(scopes or []))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise Refusal(f"Unknown scope: {', '.join(unknown)}", field="scopes")
    if not wanted:
        raise Refusal("Select at least one scope", field="scopes")
    if "referrals:read-all" in wanted and "referrals:read" not in wanted:
        raise Refusal("Reading every referral (referrals:read-all) needs referrals:read too", field="scopes")
    return wanted


def register_client(session, actor, *, name: str, scopes, rate_per_minute: int = 120,
                    contact_email: str | None = None) -> NewClient:
    """A new client and its key. The key is returned once: only its hash is kept."""
    name = " ".join((name or "").split())
    if not name:
        raise Refusal("Enter the name of the system", field="name")
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise Refusal("A client with this name already exists", field="name")
    if not 1 <= rate_per_minute <= 6000:
        raise Refusal("Requests a minute must be between 1 and 6,000", field="rate_per_minute")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    client = ApiClient(name=name, key_id=key_id, secret_hash=_hash(secret), scopes=_check_scopes(scopes),
                       rate_per_minute=rate_per_minute, contact_email=contact_email or None,
                       created_by=_label(actor))
    session.add(client)
    session.flush()
    record(session, actor, "api_client.registered", "api_client", client.id, name=name, scopes=client.scopes,
           rate_per_minute=rate_per_minute)
    return NewClient(client, f"{KEY_PREFIX}_{key_id}_{secret}")


def revoke_client(session, actor, client: ApiClient) -> ApiClient:
    """From now on its key is refused. A conditional update, so two revokes record one."""
    done = session.execute(
        update(ApiClient).where(ApiClient.id == client.id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=_label(actor)).returning(ApiClient.id)
        .execution_options(synchronize_session="fetch")).first()
    if done is None:
        raise Refusal("This client was already revoked")
    record(session, actor, "api_client.revoked", "api_client", client.id, name=client.name)
    return client


def client_for_key(session, presented: str | None) -> ApiClient | None:
    """The active client whose key this is, or None. Compared in constant time."""
    match = _KEY.match(presented or "")
    if match is None:
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_id == match.group(1)))
    if client is None or not hmac.compare_digest(client.secret_hash, _hash(match.group(2))):
        return None
    if client.revoked_at is not None:
        return None
    return client


def touch(session, client: ApiClient) -> None:
    now = utcnow()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() >= LAST_USED_STEP:
        client.last_used_at = now


def clients(session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name)))


def _label(actor) -> str:
    return actor_label(actor)[1]
