"""Referrals through the API: create once per Idempotency-Key, read what a client may read, and the
changes feed. Intake is `receive_referral`, the staff form's own, so an NHS number that disagrees
with the name or date of birth is held for a person to check here too."""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from portal.api.models import ApiClient, ApiRequest
from portal.errors import NotFound, Refusal
from portal.people.models import IdentityCheck
from portal.referrals import services as referrals
from portal.referrals.models import OPEN_STATES, STATES, Referral
from portal.timeutil import utcnow
from portal.web.clocks import time_left

READ_ALL = "referrals:read-all"
CREATE = "referral.create"
# The changes feed serves a change only once it is SETTLE old. `changed_at` is stamped when the row
# is written, and the transaction commits a moment later; a request that writes runs well inside
# the worker timeout (30 s), so no change stamped before now - SETTLE can still appear after it.
# A cursor that never passes now - SETTLE therefore never skips a row committed late.
SETTLE = timedelta(seconds=60)
REFERENCE = re.compile(rf"R-[{referrals.REFERENCE_ALPHABET}]{{4}}-[{referrals.REFERENCE_ALPHABET}]{{4}}")
IDENTITY = {"open": "held for triage", "same_person": "same person", "different_people": "different people"}


@dataclass(frozen=True)
class Created:
    referral: Referral
    created: bool  # False: the same Idempotency-Key and body again, answered with the first referral


def submission_key(client: ApiClient, idempotency_key: str) -> str:
    """The referral's submission key: unique per client and Idempotency-Key (referral.submission_key
    is unique, so two racing retries make one referral)."""
    return hashlib.sha256(f"api:{client.id}:{idempotency_key}".encode()).hexdigest()[:32]


def _request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _replay(session, client: ApiClient, idempotency_key: str, digest: str) -> Referral | None:
    """The referral an earlier request with this key made, or None. The same key with another
    body is refused: the client has reused a key by mistake, and guessing which it meant is unsafe."""
    prior = session.scalar(select(ApiRequest).where(ApiRequest.client_id == client.id,
                                                    ApiRequest.idempotency_key == idempotency_key))
    if prior is None:
        return None
    if prior.request_hash != digest:
        raise Refusal("This Idempotency-Key was sent before with a different request. Use a new key for a new "
                      "referral.", field="Idempotency-Key")
    referral = session.get(Referral, prior.referral_id) if prior.referral_id else None
    if referral is None:
        raise NotFound("The referral this Idempotency-Key made no longer exists.")
    return referral


def create_referral(session, client: ApiClient, idempotency_key: str, body: dict) -> Created:
    """A referral from a client's validated body (schemas.ReferralIn, dumped), once per key."""
    digest = _request_hash(body)
    replayed = _replay(session, client, idempotency_key, digest)
    if replayed is not None:
        return Created(replayed, created=False)
    person, referrer = body["person"], body["referrer"]
    received = referrals.receive_referral(
        session, client.actor,
        person=dict(given_name=person["given_name"], family_name=person["family_name"],
                    date_of_birth=person["date_of_birth"], nhs_number=person.get("nhs_number"),
                    address_line_1=person["address_line_1"], town=person.get("town"), postcode=person["postcode"],
                    phone=person.get("phone")),
        submission_key=submission_key(client, idempotency_key),
        source=body["source"], needs=body["needs"], help_wanted=body["help_wanted"],
        priority=body["priority"], suggested_priority=body["priority"], discharge_date=body.get("discharge_date"),
        risk_summary=body.get("risk_summary"), referrer_name=referrer["name"],
        referrer_organisation=referrer.get("organisation"), referrer_phone=referrer["phone"],
        referrer_email=referrer.get("email"), consent_given=body["consent"] == "given",
        consent_note="Made in the person's best interest" if body["consent"] == "best_interest" else None,
        api_client_id=client.id)
    if not received.created:  # a retry with this key won the race a moment ago: its answer, if the same body
        return Created(_replay(session, client, idempotency_key, digest) or received.referral, created=False)
    try:
        with session.begin_nested():
            session.add(ApiRequest(client_id=client.id, idempotency_key=idempotency_key, request_hash=digest,
                                   operation=CREATE, referral_id=received.referral.id))
    except IntegrityError:  # cannot happen without the referral's own key clashing first; never two
        raise Refusal("This Idempotency-Key is being used by another request. Try again.",
                      field="Idempotency-Key") from None
    return Created(received.referral, created=True)


def may_read_all(client: ApiClient) -> bool:
    return READ_ALL in client.scopes


def _readable(client: ApiClient):
    """Least privilege: a client reads the referrals it sent; only `referrals:read-all` (the council's
    own case-management system) reads every referral."""
    return True if may_read_all(client) else Referral.api_client_id == client.id


def referral_for(session, client: ApiClient, reference: str) -> Referral:
    """The referral, if this client may read it; otherwise 404 (never saying that it exists).
    Something that is not a reference at all is 422."""
    if not REFERENCE.fullmatch(reference.upper()):
        raise Refusal("A referral reference looks like R-ABCD-EFGH", field="reference")
    referral = session.scalar(select(Referral).where(Referral.reference == reference.upper(), _readable(client)))
    if referral is None:
        raise NotFound("There is no referral with that reference that this client may read.")
    return referral


# --------------------------------------------------------------------------------------------- answers


def as_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _clock(reading, now: datetime) -> dict | None:
    if reading is None:
        return None
    due = reading.due if reading.due is not None and reading.due.year < 9999 else None
    running = reading.status in ("overdue", "due_today", "due_soon", "on_track") and due is not None
    return {"label": reading.label, "due_at": as_utc(due), "status": reading.status, "text": reading.text,
            "seconds_left": int(time_left(due, now).total_seconds()) if running else None}


def identity_checks(session, referrals_: list[Referral]) -> dict[int, str]:
    person_ids = {r.person_id for r in referrals_}
    rows = session.execute(select(IdentityCheck.person_id, IdentityCheck.state)
                           .where(IdentityCheck.person_id.in_(person_ids))) if person_ids else []
    return {person_id: IDENTITY.get(state, state) for person_id, state in rows}


def describe(session, referral: Referral, now: datetime | None = None, checks: dict | None = None) -> dict:
    """What a client sees of a referral: state, clocks (read as the queue reads them), team, outcome
    and the identity check; no staff names, no notes, no person details beyond the NHS number."""
    now = now or utcnow()
    checks = identity_checks(session, [referral]) if checks is None else checks
    current = referrals.clock_reading(referral, now)
    return {
        "reference": referral.reference, "state": referral.state, "state_label": STATES[referral.state],
        "source": referral.source, "priority": referral.priority or referral.suggested_priority,
        "needs": referral.need_names, "received_at": as_utc(referral.received_at),
        "changed_at": as_utc(referral.changed_at),
        "assigned": {"team": referral.route, "locality": referral.locality,
                     "assigned": referral.assigned_to_id is not None},
        "clocks": {"contact": _clock(referrals.contact_reading(referral, now), now),
                   "assessment": _clock(referrals.assessment_reading(referral, now), now),
                   "current": _clock(current, now),
                   "overdue": referral.state in OPEN_STATES and current is not None and current.status == "overdue"},
        "outcome": referral.outcome, "closed_at": as_utc(referral.closed_at),
        "nhs_number": referral.person.nhs_number,
        "identity_check": checks.get(referral.person_id),
    }


# --------------------------------------------------------------------------------------------- changes


def _encode(changed_at: datetime, referral_id: int) -> str:
    return base64.urlsafe_b64encode(f"{changed_at.isoformat()}|{referral_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        at, _, ident = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        if not 0 <= int(ident) <= LAST:
            raise ValueError(ident)
        return datetime.fromisoformat(at), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refusal("The cursor is not one this API gave out. Send `next_cursor` as it came.",
                      field="cursor") from None


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


@dataclass(frozen=True)
class Changes:
    referrals: list[Referral]
    next_cursor: str
    more: bool
    settled_until: datetime


LAST = 2**31 - 1  # a cursor at the settled time with this id: every change up to that time was served


def changes(session, client: ApiClient, *, since: datetime | None, cursor: str | None, limit: int,
            now: datetime | None = None) -> Changes:
    """The referrals this client may read whose row changed after the cursor (or `since`), oldest
    change first, keyset-paginated on (changed_at, id) and only up to now - SETTLE (see SETTLE).

    Each referral appears once per page at its latest change; a later change brings it back."""
    if cursor:
        after = _decode(cursor)
    elif since is not None:
        after = (_naive_utc(since), 0)
    else:
        raise Refusal("Send `since` (an ISO 8601 time) on the first call, then `cursor`.", field="since")
    settled = (now or utcnow()) - SETTLE
    rows = list(session.scalars(
        select(Referral).where(
            _readable(client),
            or_(Referral.changed_at > after[0], and_(Referral.changed_at == after[0], Referral.id > after[1])),
            Referral.changed_at <= settled)
        .order_by(Referral.changed_at, Referral.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        next_cursor = _encode(rows[-1].changed_at, rows[-1].id)
    else:
        next_cursor = _encode(max(settled, after[0]), LAST if settled >= after[0] else after[1])
    return Changes(rows, next_cursor, more, as_utc(settled))
