"""The one way to write the audit log. Rows go in the same transaction as the change."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta

from flask import g, has_request_context, request
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import begin_write
from portal.timeutil import LONDON
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate

ACTOR_LABEL_LENGTH = 160  # audit_event.actor


def actor_label(actor) -> tuple[int | None, str]:
    """Who did it, as every record keeps it: "Name <email>", cut to fit the audit column (the id
    stays whole, so a long address never loses who it was)."""
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:ACTOR_LABEL_LENGTH]
    return actor.id, f"{actor.name} <{actor.email}>"[:ACTOR_LABEL_LENGTH]


# The demo data's history happened in the past: its seeders say when (`backdated`). Nothing else
# sets this, so every real audit row is stamped with the time it was written.
_BACKDATED: ContextVar[datetime | None] = ContextVar("audit_backdated", default=None)


@contextmanager
def backdated(at: datetime):
    """Audit rows written inside this block are stamped `at` (the demo data's seeders only)."""
    token = _BACKDATED.set(at)
    try:
        yield
    finally:
        _BACKDATED.reset(token)


def record(session, actor, action: str, entity_type: str, entity_id, **details) -> AuditEvent:
    """Append one audit row. `actor` is a staff user, a label such as "public", or None."""
    begin_write()
    actor_id, label = actor_label(actor)
    event = AuditEvent(
        actor_id=actor_id,
        actor=label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details=details,
        request_id=g.get("request_id") if has_request_context() else None,
        client_addr=request.remote_addr if has_request_context() else None,
    )
    if _BACKDATED.get() is not None:
        event.at = _BACKDATED.get()
    session.add(event)
    return event


def history(session, entity_type: str, entity_id, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


READS = ("_viewed", ".viewed", "_downloaded", ".downloaded", ".exported")


def last_change(session, entity_type: str, entity_id) -> AuditEvent | None:
    """The newest change to a record, skipping reads (views, downloads, exports)."""
    return next((e for e in history(session, entity_type, entity_id, limit=50)
                 if not e.action.endswith(READS)), None)


# The audit log as a list (filters, sorting by column, pagination to the oldest entry) ----------

SORTS = {"when": AuditEvent.id, "who": func.lower(AuditEvent.actor), "what": AuditEvent.action,
         "record": [AuditEvent.entity_type, AuditEvent.entity_id]}


def facets(session) -> tuple[list[str], list[str]]:
    """The actions and the kinds of record the log holds, for the filters' select lists."""
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    types = session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type))
    return list(actions), list(types)


def entries(session, *, action: str = "", who: str = "", entity_type: str = "", day: date | None = None,
            sort: str | None = "when", descending: bool = True, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """A page of the audit log: newest first unless sorted by another column (SORTS); `who` matches
    part of the name or email address, `day` is a London calendar day."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if who:
        stmt = stmt.where(func.lower(AuditEvent.actor).contains(who.lower(), autoescape=True))
    if day is not None:
        stmt = stmt.where(AuditEvent.at >= london_midnight(day),
                          AuditEvent.at < london_midnight(day + timedelta(days=1)))
    stmt = stmt.order_by(*ordered(SORTS, sort, descending, AuditEvent.id.desc()))
    return paginate(session, stmt, page, size)


def london_midnight(day: date) -> datetime:
    """Naive UTC for 00:00 London time on that day (audit times are naive UTC)."""
    return datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)


DAY_FORMATS = ("%d %m %Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %b %Y", "%d %B %Y")


def parse_day(text: str) -> date | None:
    """A day as people type it ("8 11 2026", "8/11/2026", "2026-11-08", "8 Nov 2026"), or None."""
    text = " ".join(text.split())
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
