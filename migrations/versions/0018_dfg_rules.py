"""Disabled Facilities Grant by the book (issue 17, part 2).

- dfg_case.grant_within_maximum: the grant is capped at the maximum after the contribution is
  taken off the eligible cost; the old check capped it at the maximum less the contribution, which
  took the contribution off twice for large works.
- dfg_case.fees (allowed fees, part of the eligible cost), work_done_value (the value of the work
  done, which limits instalments), late_reason (why a decision came after the 6-month deadline).
- Checks: instalments while works are in progress within 90% of the grant or of the work done;
  decision, works, completion and inspection dates in order; a late approval has its reason.
- dfg_quote: a quote is withdrawn (when, why, by whom), never deleted; a withdrawn quote is never
  the chosen one.

Existing late approvals get a reason saying they were recorded before the reason was asked for.

Revision ID: 0018_dfg_rules
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_dfg_rules"
down_revision = "0016"
branch_labels = None
depends_on = None

INSTALMENT_BASE = ("CASE WHEN work_done_value IS NOT NULL AND work_done_value < "
                   "coalesce(approved_amount, 0) + discretionary_amount THEN work_done_value "
                   "ELSE coalesce(approved_amount, 0) + discretionary_amount END")

CASE_CHECKS = {
    "fees_not_negative": "fees >= 0",
    "work_done_not_negative": "work_done_value IS NULL OR work_done_value >= 0",
    "instalments_within_share":
        f"state <> 'works' OR round(paid_total * 100) * 10 <= round(({INSTALMENT_BASE}) * 100) * 9",
    "decision_after_application":
        "decision_date IS NULL OR full_application_date IS NULL OR decision_date >= full_application_date",
    "works_after_decision":
        "works_started_date IS NULL OR decision_date IS NULL OR works_started_date >= decision_date",
    "completion_after_works":
        "completed_date IS NULL OR works_started_date IS NULL OR completed_date >= works_started_date",
    "inspection_after_completion":
        "inspected_date IS NULL OR completed_date IS NULL OR inspected_date >= completed_date",
    "late_decision_reason":
        "approved_amount IS NULL OR decision_date IS NULL OR decision_due_date IS NULL OR "
        "decision_date <= decision_due_date OR (late_reason IS NOT NULL AND late_reason <> '')",
}
QUOTE_CHECKS = {
    "withdrawn_not_chosen": "withdrawn_at IS NULL OR NOT chosen",
    "withdrawn_reason": "withdrawn_at IS NULL OR (withdrawn_reason IS NOT NULL AND withdrawn_reason <> '')",
}


def upgrade() -> None:
    with op.batch_alter_table("dfg_case") as batch:
        batch.add_column(sa.Column("fees", sa.Numeric(12, 2), server_default="0", nullable=False))
        batch.add_column(sa.Column("work_done_value", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("late_reason", sa.Text(), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE dfg_case SET late_reason = 'Decided before the portal asked for the reason for a late decision' "
        "WHERE approved_amount IS NOT NULL AND decision_date > decision_due_date"))
    with op.batch_alter_table("dfg_case") as batch:
        batch.drop_constraint(op.f("ck_dfg_case_grant_within_maximum"), type_="check")
        batch.create_check_constraint(
            "grant_within_maximum",
            "approved_amount IS NULL OR grant_maximum IS NULL OR "
            "round(approved_amount * 100) <= round(grant_maximum * 100)")
        for name, sql in CASE_CHECKS.items():
            batch.create_check_constraint(name, sql)
    with op.batch_alter_table("dfg_quote") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_dfg_quote_withdrawn_by_id_staff_user"), "staff_user",
                                 ["withdrawn_by_id"], ["id"])
        for name, sql in QUOTE_CHECKS.items():
            batch.create_check_constraint(name, sql)


def downgrade() -> None:
    with op.batch_alter_table("dfg_quote") as batch:
        for name in QUOTE_CHECKS:
            batch.drop_constraint(op.f(f"ck_dfg_quote_{name}"), type_="check")
        batch.drop_constraint(op.f("fk_dfg_quote_withdrawn_by_id_staff_user"), type_="foreignkey")
        for column in ("withdrawn_by_id", "withdrawn_reason", "withdrawn_at"):
            batch.drop_column(column)
    with op.batch_alter_table("dfg_case") as batch:
        for name in CASE_CHECKS:
            batch.drop_constraint(op.f(f"ck_dfg_case_{name}"), type_="check")
        batch.drop_constraint(op.f("ck_dfg_case_grant_within_maximum"), type_="check")
        batch.create_check_constraint(
            "grant_within_maximum",
            "approved_amount IS NULL OR grant_maximum IS NULL OR "
            "round(approved_amount * 100) <= round((grant_maximum - coalesce(contribution, 0)) * 100)")
        for column in ("late_reason", "work_done_value", "fees"):
            batch.drop_column(column)
