"""The one way to write the audit log. Rows go in the same transaction as the change."""

from flask import g, has_request_context, request
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import begin_write

ACTOR_LABEL_LENGTH = 160  # audit_event.actor


def actor_label(actor) -> tuple[int | None, str]:
    """Who did it, as every record keeps it: "Name <email>", cut to fit the audit column (the id
    stays whole, so a long address never loses who it was)."""
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:ACTOR_LABEL_LENGTH]
    return actor.id, f"{actor.name} <{actor.email}>"[:ACTOR_LABEL_LENGTH]


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


def recent(session, limit: int = 100, before_id: int | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id:
        stmt = stmt.where(AuditEvent.id < before_id)
    return list(session.scalars(stmt))
