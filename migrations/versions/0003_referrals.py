"""The referral loop: self-assessment reports, referrals, needs, pauses, assessments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATES = ("submitted", "screened", "awaiting_assessment", "assessed", "closed", "withdrawn", "declined")
SOURCES = ("self_assessment", "self", "carer", "gp", "nhs_111", "hospital_discharge", "social_worker",
           "housing", "care_home", "other")
NEEDS = ("telecare", "equipment", "minor_adaptation", "major_adaptation", "ot_assessment", "falls")
PRIORITIES = ("urgent", "high", "routine")
ROUTES = ("trusted_assessor", "occupational_therapist")
OUTCOMES = ("equipment_ordered", "telecare_requested", "dfg_recommended", "minor_adaptation", "signposted",
            "self_purchase", "tecs_instead_of_care_package", "no_further_action")


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "advice_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("content_version", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("recommendation_ids", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('in_progress', 'completed')", name=op.f("ck_advice_report_status")),
        sa.CheckConstraint("outcome IN ('self_help', 'asked_for_help')", name=op.f("ck_advice_report_outcome")),
        sa.ForeignKeyConstraint(["completed_by_id"], ["staff_user.id"],
                                name=op.f("fk_advice_report_completed_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advice_report")),
        sa.UniqueConstraint("reference", name=op.f("uq_advice_report_reference")),
    )
    op.create_index("ix_advice_report_completed", "advice_report", ["status", "completed_at"])

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("suggested_priority", sa.String(length=10), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("contact_due_at", sa.DateTime(), nullable=True),
        sa.Column("assessment_due_at", sa.DateTime(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("paused_since", sa.DateTime(), nullable=True),
        sa.Column("pause_reason", sa.String(length=200), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=30), nullable=True),
        sa.Column("complex", sa.Boolean(), nullable=True),
        sa.Column("complexity_reason", sa.Text(), nullable=True),
        sa.Column("ta_level_required", sa.Integer(), nullable=True),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("help_wanted", sa.Text(), nullable=False),
        sa.Column("risk_summary", sa.Text(), nullable=True),
        sa.Column("referrer_name", sa.String(length=160), nullable=True),
        sa.Column("referrer_organisation", sa.String(length=160), nullable=True),
        sa.Column("referrer_phone", sa.String(length=40), nullable=True),
        sa.Column("referrer_email", sa.String(length=254), nullable=True),
        sa.Column("referrer_relationship", sa.String(length=80), nullable=True),
        sa.Column("consent_given", sa.Boolean(), nullable=False),
        sa.Column("consent_note", sa.Text(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("advice_report_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("search_name", sa.String(length=210), nullable=False),
        sa.Column("submission_key", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_referral_state")),
        sa.CheckConstraint(_in("source", SOURCES), name=op.f("ck_referral_source")),
        sa.CheckConstraint("priority IS NULL OR " + _in("priority", PRIORITIES), name=op.f("ck_referral_priority")),
        sa.CheckConstraint("route IS NULL OR " + _in("route", ROUTES), name=op.f("ck_referral_route")),
        sa.CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name=op.f("ck_referral_outcome")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["staff_user.id"],
                                name=op.f("fk_referral_assigned_to_id_staff_user")),
        sa.ForeignKeyConstraint(["completed_by_id"], ["staff_user.id"],
                                name=op.f("fk_referral_completed_by_id_staff_user")),
        sa.ForeignKeyConstraint(["advice_report_id"], ["advice_report.id"],
                                name=op.f("fk_referral_advice_report_id_advice_report")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("reference", name=op.f("uq_referral_reference")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_referral_submission_key")),
    )
    op.create_index(op.f("ix_referral_person_id"), "referral", ["person_id"])
    op.create_index(op.f("ix_referral_locality"), "referral", ["locality"])
    op.create_index("ix_referral_queue", "referral", ["state", "next_due_at", "id"])
    op.create_index("ix_referral_due", "referral", ["next_due_at", "id"])
    op.create_index("ix_referral_assignee_queue", "referral", ["assigned_to_id", "state", "next_due_at"])
    op.create_index("ix_referral_received", "referral", ["received_at"])
    op.create_index("ix_referral_search_name", "referral", ["search_name"])

    op.create_table(
        "referral_need",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=30), nullable=False),
        sa.CheckConstraint(_in("need", NEEDS), name=op.f("ck_referral_need_need")),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE",
                                name=op.f("fk_referral_need_referral_id_referral")),
        sa.PrimaryKeyConstraint("referral_id", "need", name=op.f("pk_referral_need")),
    )
    op.create_index("ix_referral_need_need", "referral_need", ["need", "referral_id"])

    op.create_table(
        "referral_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE",
                                name=op.f("fk_referral_pause_referral_id_referral")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_pause")),
    )
    op.create_index(op.f("ix_referral_pause_referral_id"), "referral_pause", ["referral_id"])

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("outcomes_wanted", sa.Text(), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=False),
        sa.Column("needs_by_area", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("tecs_considered", sa.Boolean(), nullable=False),
        sa.Column("tecs_what", sa.Text(), nullable=True),
        sa.Column("tecs_why_not", sa.Text(), nullable=True),
        sa.Column("monitoring", sa.JSON(), nullable=False),
        sa.Column("recommendations", sa.JSON(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_assessment_referral_id_referral")),
        sa.ForeignKeyConstraint(["assessor_id"], ["staff_user.id"],
                                name=op.f("fk_assessment_assessor_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_assessment_referral_id")),
    )


def downgrade():
    op.drop_table("assessment")
    op.drop_table("referral_pause")
    op.drop_table("referral_need")
    op.drop_table("referral")
    op.drop_table("advice_report")
