"""Telecare by the book: the catalogue says which alarm units are digital; one open job of each
type per person; one booked visit per installer, day and slot; key safe codes already typed into
notes, steps and the audit log are removed.

Revision ID: 0017_telecare_rules
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from portal.telecare.services.checks import redact_key_safe_codes

revision = "0017_telecare_rules"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = "state IN ('requested', 'scheduled', 'no_access')"
BOOKED = "state = 'scheduled'"

job = sa.table("telecare_job", sa.column("id", sa.Integer), sa.column("person_id", sa.Integer),
               sa.column("job_type", sa.String), sa.column("state", sa.String), sa.column("installer_id", sa.Integer),
               sa.column("scheduled_date", sa.Date), sa.column("slot", sa.String), sa.column("reason", sa.String),
               sa.column("access_notes", sa.Text), sa.column("to_fit", sa.Text),
               sa.column("cancelled_at", sa.DateTime), sa.column("version", sa.Integer))
step = sa.table("telecare_job_step", sa.column("id", sa.Integer), sa.column("details", sa.JSON))
connection = sa.table("telecare_connection", sa.column("id", sa.Integer), sa.column("key_safe_location", sa.String),
                      sa.column("provider", sa.String))
responder = sa.table("telecare_responder", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("relationship_to_person", sa.String))
audit = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                 sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("entity_type", sa.String),
                 sa.column("entity_id", sa.String), sa.column("details", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("equipment_product") as batch:
        batch.add_column(sa.Column("alarm_unit", sa.String(length=10), nullable=True))
        batch.create_check_constraint("alarm_unit", "alarm_unit IS NULL OR alarm_unit IN ('digital', 'analogue')")
    op.execute("UPDATE equipment_product SET alarm_unit = 'analogue' WHERE category = 'telecare' AND "
               "(code = 'TEL-ANA' OR (lower(name) LIKE '%analogue%' AND "
               "(lower(name) LIKE '%alarm unit%' OR lower(name) LIKE '%alarm hub%')))")
    op.execute("UPDATE equipment_product SET alarm_unit = 'digital' WHERE category = 'telecare' AND "
               "alarm_unit IS NULL AND (code IN ('TEL-HUB', 'TEL-MOB', 'TEL-001', 'TEL-005') OR "
               "lower(name) LIKE '%alarm unit%' OR lower(name) LIKE '%alarm hub%')")

    bind = op.get_bind()
    now = bind.execute(sa.select(sa.func.current_timestamp())).scalar()
    _close_duplicates(bind, now)
    op.create_index("uq_telecare_job_open_per_person", "telecare_job", ["person_id", "job_type"], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index("uq_telecare_job_installer_slot", "telecare_job", ["installer_id", "scheduled_date", "slot"],
                    unique=True, sqlite_where=sa.text(BOOKED), postgresql_where=sa.text(BOOKED))
    _redact(bind, now)


def _close_duplicates(bind, now) -> None:
    """Before the unique indexes: a second open job of a type is cancelled, naming the first; a
    second visit booked into the same installer's slot goes back to be booked again."""
    seen: dict = {}
    for row in bind.execute(sa.select(job.c.id, job.c.person_id, job.c.job_type, job.c.version)
                            .where(sa.text(OPEN)).order_by(job.c.id)):
        first = seen.setdefault((row.person_id, row.job_type), row.id)
        if first != row.id:
            bind.execute(job.update().where(job.c.id == row.id).values(
                state="cancelled", cancelled_at=now, version=row.version + 1,
                reason=f"Duplicate of job {first}: a person has one open job of each type."))
    seen = {}
    for row in bind.execute(sa.select(job.c.id, job.c.installer_id, job.c.scheduled_date, job.c.slot, job.c.version)
                            .where(sa.text(BOOKED)).order_by(job.c.id)):
        first = seen.setdefault((row.installer_id, row.scheduled_date, row.slot), row.id)
        if first != row.id:
            bind.execute(job.update().where(job.c.id == row.id).values(
                state="requested", version=row.version + 1,
                reason=f"Booked into the same slot as job {first}: book the visit again."))


def _redact_json(value):
    if isinstance(value, str):
        return redact_key_safe_codes(value)
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v) for k, v in value.items()}
    return value


def _redact_columns(bind, table, columns) -> int:
    changed = 0
    for row in bind.execute(sa.select(table.c.id, *[table.c[c] for c in columns])):
        values = {}
        for c in columns:
            old = row._mapping[c]
            new = _redact_json(old)
            if new != old:
                values[c] = new
        if values:
            bind.execute(table.update().where(table.c.id == row.id).values(**values))
            changed += 1
    return changed


def _redact(bind, now) -> None:
    """Key safe codes typed before the rule: removed from notes, steps, responders and the audit log."""
    counts = {"jobs": _redact_columns(bind, job, ["access_notes", "to_fit", "reason"]),
              "steps": _redact_columns(bind, step, ["details"]),
              "connections": _redact_columns(bind, connection, ["key_safe_location", "provider"]),
              "responders": _redact_columns(bind, responder, ["name", "relationship_to_person"])}
    telecare_audit = audit.select().where(sa.or_(audit.c.action.like("telecare.%"),
                                                 audit.c.entity_type.like("telecare%")))
    to_fix = [(row.id, _redact_json(row.details)) for row in bind.execute(telecare_audit)
              if _redact_json(row.details) != row.details]
    if to_fix:
        _audit_triggers(bind, drop=True)
        for audit_id, details in to_fix:
            bind.execute(audit.update().where(audit.c.id == audit_id).values(details=details))
        _audit_triggers(bind, drop=False)
    counts["audit_entries"] = len(to_fix)
    bind.execute(audit.insert().values(at=now, actor="migration 0017", action="telecare.key_safe_codes_redacted",
                                       entity_type="telecare_job", entity_id="all", details=counts))


def _audit_triggers(bind, drop: bool) -> None:
    """The audit log is append-only (0001): its triggers are lifted for the redaction only."""
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event" if drop else
                   "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
        return
    for event in ("UPDATE", "DELETE"):
        name = f"audit_event_no_{event.lower()}"
        op.execute(f"DROP TRIGGER {name}" if drop else
                   f"CREATE TRIGGER {name} BEFORE {event} ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END")


def downgrade() -> None:
    op.drop_index("uq_telecare_job_installer_slot", table_name="telecare_job")
    op.drop_index("uq_telecare_job_open_per_person", table_name="telecare_job")
    with op.batch_alter_table("equipment_product") as batch:
        batch.drop_constraint(op.f("ck_equipment_product_alarm_unit"), type_="check")
        batch.drop_column("alarm_unit")
