"""The right person: a request that quotes an NHS number we hold with a different name or date of
birth waits on an identity check; a record found to be someone already known points to theirs.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_person_merged_into_id_person"), "person", ["merged_into_id"], ["id"])
    op.create_table(
        "identity_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("existing_person_id", sa.Integer(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("nhs_number_owner", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'same_person', 'different_people')",
                           name=op.f("ck_identity_check_state")),
        sa.CheckConstraint("nhs_number_owner IS NULL OR nhs_number_owner IN ('existing', 'new')",
                           name=op.f("ck_identity_check_nhs_number_owner")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_identity_check_person_id_person")),
        sa.ForeignKeyConstraint(["existing_person_id"], ["person.id"],
                                name=op.f("fk_identity_check_existing_person_id_person")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff_user.id"],
                                name=op.f("fk_identity_check_decided_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_check")),
        sa.UniqueConstraint("person_id", name=op.f("uq_identity_check_person_id")),
    )
    op.create_index(op.f("ix_identity_check_existing_person_id"), "identity_check", ["existing_person_id"])


def downgrade() -> None:
    op.drop_table("identity_check")
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint(op.f("fk_person_merged_into_id_person"), type_="foreignkey")
        batch.drop_column("merged_into_id")
