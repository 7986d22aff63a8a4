"""Telecare: jobs, job steps, connections, fitted devices and responders.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = "0003"  # telecare_job.referral_id refers to referral

JOB_TYPES = ("new_install", "add_sensor", "digital_switchover", "fault_visit", "removal")
JOB_STATES = ("requested", "scheduled", "completed", "no_access", "cancelled")
STEPS = ("arrived", "devices_fitted", "test_call_passed", "consent_confirmed", "responders_confirmed",
         "smoke_heat_checked", "key_safe_checked", "completed", "no_access", "failed")
OPEN_DEVICE = "removed_at IS NULL"


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _pk(table):
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    t = "telecare_job"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(length=36), nullable=False),
        sa.Column("job_type", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("slot", sa.String(length=5), nullable=True),
        sa.Column("installer_id", sa.Integer(), nullable=True),
        sa.Column("route_order", sa.Integer(), nullable=True),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("access_notes", sa.Text(), nullable=True),
        sa.Column("to_fit", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("job_type", JOB_TYPES), name=op.f("ck_telecare_job_job_type")),
        sa.CheckConstraint("priority IN ('urgent', 'routine')", name=op.f("ck_telecare_job_priority")),
        sa.CheckConstraint(_in("state", JOB_STATES), name=op.f("ck_telecare_job_state")),
        sa.CheckConstraint("state != 'scheduled' OR (scheduled_date IS NOT NULL AND installer_id IS NOT NULL)",
                           name=op.f("ck_telecare_job_scheduled_has_date")),
        sa.CheckConstraint("visit >= 1", name=op.f("ck_telecare_job_visit")),
        _fk(t, "person_id", "person"),
        _fk(t, "referral_id", "referral"),
        _fk(t, "installer_id", "staff_user"),
        _fk(t, "completed_by_id", "staff_user"),
        _fk(t, "created_by_id", "staff_user"),
        _pk(t),
        sa.UniqueConstraint("submission_key", name=op.f("uq_telecare_job_submission_key")),
    )
    op.create_index(op.f("ix_telecare_job_person_id"), t, ["person_id"])
    op.create_index(op.f("ix_telecare_job_referral_id"), t, ["referral_id"])
    op.create_index("ix_telecare_job_installer_day", t, ["installer_id", "scheduled_date"])
    op.create_index("ix_telecare_job_state_due", t, ["state", "due_date"])

    t = "telecare_job_step"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=160), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(_in("step", STEPS), name=op.f("ck_telecare_job_step_step")),
        _fk(t, "job_id", "telecare_job", "CASCADE"),
        _fk(t, "by_id", "staff_user"),
        _pk(t),
        sa.UniqueConstraint("job_id", "visit", "step", name=op.f("uq_telecare_job_step_job_id_visit_step")),
    )

    t = "telecare_connection"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_asset_id", sa.Integer(), nullable=True),
        sa.Column("unit_model", sa.String(length=200), nullable=True),
        sa.Column("unit_serial", sa.String(length=80), nullable=True),
        sa.Column("line_type", sa.String(length=10), nullable=False),
        sa.Column("telephone", sa.String(length=40), nullable=True),
        sa.Column("provider", sa.String(length=80), nullable=True),
        sa.Column("monitoring_start", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("key_safe_present", sa.Boolean(), nullable=True),
        sa.Column("key_safe_location", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("line_type IN ('analogue', 'digital', 'mobile')",
                           name=op.f("ck_telecare_connection_line_type")),
        sa.CheckConstraint("status IN ('active', 'suspended', 'ended')", name=op.f("ck_telecare_connection_status")),
        _fk(t, "person_id", "person"),
        _fk(t, "unit_asset_id", "equipment_asset"),
        _pk(t),
        sa.UniqueConstraint("person_id", name=op.f("uq_telecare_connection_person_id")),
    )
    op.create_index("ix_telecare_connection_line_status", t, ["line_type", "status"])

    t = "telecare_connection_device"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("fitted_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_job_id", sa.Integer(), nullable=True),
        _fk(t, "person_id", "person"),
        _fk(t, "connection_id", "telecare_connection"),
        _fk(t, "asset_id", "equipment_asset"),
        _fk(t, "job_id", "telecare_job"),
        _fk(t, "fitted_by_id", "staff_user"),
        _fk(t, "removed_job_id", "telecare_job"),
        _pk(t),
    )
    op.create_index(op.f("ix_telecare_connection_device_person_id"), t, ["person_id"])
    op.create_index(op.f("ix_telecare_connection_device_connection_id"), t, ["connection_id"])
    op.create_index(op.f("ix_telecare_connection_device_job_id"), t, ["job_id"])
    op.create_index("uq_telecare_connection_device_open_asset", t, ["asset_id"], unique=True,
                    sqlite_where=sa.text(OPEN_DEVICE), postgresql_where=sa.text(OPEN_DEVICE))

    t = "telecare_responder"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("call_order", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("relationship_to_person", sa.String(length=80), nullable=True),
        sa.CheckConstraint("kind IN ('named', 'service')", name=op.f("ck_telecare_responder_kind")),
        sa.CheckConstraint("kind = 'service' OR name IS NOT NULL", name=op.f("ck_telecare_responder_named_has_name")),
        _fk(t, "connection_id", "telecare_connection", "CASCADE"),
        _pk(t),
        sa.UniqueConstraint("connection_id", "call_order", name=op.f("uq_telecare_responder_connection_id_call_order")),
    )


def downgrade():
    for table in ("telecare_responder", "telecare_connection_device", "telecare_connection",
                  "telecare_job_step", "telecare_job"):
        op.drop_table(table)
