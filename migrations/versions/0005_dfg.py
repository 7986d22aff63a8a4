"""Disabled Facilities Grant: cases, works, test of resources, quotes, payments, evidence, stages.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

STATES = ("enquiry", "eligibility", "ot_recommendation", "survey_and_quotes", "application_received",
          "approved", "refused", "works", "completed", "paid", "withdrawn")
TENURES = ("owner_occupier", "private_tenant", "council_tenant", "housing_association_tenant")
WORKS_TYPES = ("stairlift", "level_access_shower", "ramp", "through_floor_lift", "extension", "hoist",
               "tecs", "other")
TOR_RESULTS = ("passported", "assessed", "not_required")
EVIDENCE_KINDS = ("quote", "ownership", "tenancy", "benefit", "photo", "other")
CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MONEY = sa.Numeric(precision=12, scale=2)


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "dfg_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("is_child", sa.Boolean(), nullable=False),
        sa.Column("applicants", sa.String(length=300), nullable=True),
        sa.Column("property_address", sa.String(length=400), nullable=False),
        sa.Column("property_postcode", sa.String(length=8), nullable=False),
        sa.Column("tenure", sa.String(length=30), nullable=False),
        sa.Column("landlord_name", sa.String(length=200), nullable=True),
        sa.Column("landlord_consent_date", sa.Date(), nullable=True),
        sa.Column("landlord_consent_by", sa.String(length=160), nullable=True),
        sa.Column("difficulties", sa.JSON(), nullable=False),
        sa.Column("difficulty_details", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("ot_recommendation", sa.Text(), nullable=True),
        sa.Column("ot_reason", sa.Text(), nullable=True),
        sa.Column("ot_necessary_appropriate", sa.Boolean(), nullable=True),
        sa.Column("ot_user_id", sa.Integer(), nullable=True),
        sa.Column("ot_name", sa.String(length=160), nullable=True),
        sa.Column("ot_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("includes_tecs", sa.Boolean(), nullable=False),
        sa.Column("contractor", sa.String(length=200), nullable=True),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("full_application_date", sa.Date(), nullable=True),
        sa.Column("decision_due_date", sa.Date(), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("payment_due_date", sa.Date(), nullable=True),
        sa.Column("works_due_date", sa.Date(), nullable=True),
        sa.Column("works_started_date", sa.Date(), nullable=True),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.Column("inspected_date", sa.Date(), nullable=True),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.Column("review_due_date", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("grant_maximum", MONEY, nullable=True),
        sa.Column("approved_amount", MONEY, nullable=True),
        sa.Column("contribution", MONEY, nullable=True),
        sa.Column("discretionary_amount", MONEY, nullable=False),
        sa.Column("discretionary_reason", sa.Text(), nullable=True),
        sa.Column("paid_total", MONEY, nullable=False),
        sa.Column("land_charge", sa.Boolean(), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_dfg_case_state")),
        sa.CheckConstraint(_in("tenure", TENURES), name=op.f("ck_dfg_case_tenure")),
        sa.CheckConstraint("approved_amount IS NULL OR approved_amount >= 0",
                           name=op.f("ck_dfg_case_approved_not_negative")),
        sa.CheckConstraint("contribution IS NULL OR contribution >= 0",
                           name=op.f("ck_dfg_case_contribution_not_negative")),
        sa.CheckConstraint("discretionary_amount >= 0", name=op.f("ck_dfg_case_discretionary_not_negative")),
        sa.CheckConstraint("paid_total >= 0", name=op.f("ck_dfg_case_paid_not_negative")),
        sa.CheckConstraint(
            "discretionary_amount = 0 OR (discretionary_reason IS NOT NULL AND discretionary_reason <> '')",
            name=op.f("ck_dfg_case_discretionary_reason")),
        sa.CheckConstraint(
            "approved_amount IS NULL OR grant_maximum IS NULL OR "
            "round(approved_amount * 100) <= round((grant_maximum - coalesce(contribution, 0)) * 100)",
            name=op.f("ck_dfg_case_grant_within_maximum")),
        sa.CheckConstraint(
            "round(paid_total * 100) <= round((coalesce(approved_amount, 0) + discretionary_amount) * 100)",
            name=op.f("ck_dfg_case_paid_within_approval")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_dfg_case_person_id_person")),
        sa.ForeignKeyConstraint(["ot_user_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_case_ot_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_case")),
        sa.UniqueConstraint("reference", name=op.f("uq_dfg_case_reference")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_dfg_case_submission_key")),
    )
    op.create_index(op.f("ix_dfg_case_person_id"), "dfg_case", ["person_id"])
    op.create_index(op.f("ix_dfg_case_locality"), "dfg_case", ["locality"])
    op.create_index("ix_dfg_case_state_due", "dfg_case", ["state", "decision_due_date"])

    op.create_table(
        "dfg_works",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("works_type", sa.String(length=30), nullable=False),
        sa.CheckConstraint(_in("works_type", WORKS_TYPES), name=op.f("ck_dfg_works_works_type")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_works_case_id_dfg_case")),
        sa.PrimaryKeyConstraint("case_id", "works_type", name=op.f("pk_dfg_works")),
    )
    op.create_index(op.f("ix_dfg_works_works_type"), "dfg_works", ["works_type"])

    op.create_table(
        "dfg_test_of_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("contribution", MONEY, nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("result", TOR_RESULTS), name=op.f("ck_dfg_test_of_resources_result")),
        sa.CheckConstraint("contribution >= 0",
                           name=op.f("ck_dfg_test_of_resources_contribution_not_negative")),
        sa.CheckConstraint("result = 'assessed' OR contribution = 0",
                           name=op.f("ck_dfg_test_of_resources_nil_unless_assessed")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_test_of_resources_case_id_dfg_case")),
        sa.ForeignKeyConstraint(["assessed_by_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_test_of_resources_assessed_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_test_of_resources")),
        sa.UniqueConstraint("case_id", name=op.f("uq_dfg_test_of_resources_case_id")),
    )

    op.create_table(
        "dfg_quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contractor", sa.String(length=200), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_dfg_quote_amount_positive")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_quote_case_id_dfg_case")),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_quote_added_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_quote")),
    )
    op.create_index(op.f("ix_dfg_quote_case_id"), "dfg_quote", ["case_id"])
    op.create_index("uq_dfg_quote_one_chosen", "dfg_quote", ["case_id"], unique=True,
                    sqlite_where=sa.text("chosen"), postgresql_where=sa.text("chosen"))

    op.create_table(
        "dfg_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_by", sa.String(length=160), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_dfg_payment_amount_positive")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_payment_case_id_dfg_case")),
        sa.ForeignKeyConstraint(["paid_by_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_payment_paid_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_payment")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_dfg_payment_submission_key")),
    )
    op.create_index(op.f("ix_dfg_payment_case_id"), "dfg_payment", ["case_id"])
    op.create_index(op.f("ix_dfg_payment_paid_on"), "dfg_payment", ["paid_on"])

    op.create_table(
        "dfg_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("kind", EVIDENCE_KINDS), name=op.f("ck_dfg_evidence_kind")),
        sa.CheckConstraint(_in("content_type", CONTENT_TYPES), name=op.f("ck_dfg_evidence_content_type")),
        sa.CheckConstraint(f"size > 0 AND size <= {MAX_EVIDENCE_BYTES}", name=op.f("ck_dfg_evidence_size")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_evidence_case_id_dfg_case")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_evidence_uploaded_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_dfg_evidence_stored_name")),
    )
    op.create_index(op.f("ix_dfg_evidence_case_id"), "dfg_evidence", ["case_id"])

    op.create_table(
        "dfg_stage_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("by_label", sa.String(length=200), nullable=False),
        sa.CheckConstraint(_in("to_state", STATES), name=op.f("ck_dfg_stage_history_to_state")),
        sa.ForeignKeyConstraint(["case_id"], ["dfg_case.id"], ondelete="CASCADE",
                                name=op.f("fk_dfg_stage_history_case_id_dfg_case")),
        sa.ForeignKeyConstraint(["by_id"], ["staff_user.id"],
                                name=op.f("fk_dfg_stage_history_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dfg_stage_history")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_dfg_stage_history_case_id_seq")),
    )
    op.create_index(op.f("ix_dfg_stage_history_case_id"), "dfg_stage_history", ["case_id"])
    op.create_index(op.f("ix_dfg_stage_history_to_state"), "dfg_stage_history", ["to_state"])


def downgrade():
    op.drop_table("dfg_stage_history")
    op.drop_table("dfg_evidence")
    op.drop_table("dfg_payment")
    op.drop_table("dfg_quote")
    op.drop_table("dfg_test_of_resources")
    op.drop_table("dfg_works")
    op.drop_table("dfg_case")
