"""One row per signed-in session (staff_session) in place of the token on the user row, and the
security settings an administrator changes on a page (security_setting).

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("user_agent", sa.String(length=120), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], ondelete="CASCADE",
                                name=op.f("fk_staff_session_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    op.create_index(op.f("ix_staff_session_user_id"), "staff_session", ["user_id"])
    op.create_table(
        "security_setting",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_security_setting")),
    )
    # Every existing session ends: the tokens on the user rows go (people sign in again).
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint(op.f("uq_staff_user_session_token"), type_="unique")
        batch.drop_column("session_token")


def downgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    op.get_bind().execute(sa.text("UPDATE staff_user SET session_token = 'ended-' || id"))
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column("session_token", nullable=False)
        batch.create_unique_constraint(op.f("uq_staff_user_session_token"), ["session_token"])
    op.drop_table("security_setting")
    op.drop_index(op.f("ix_staff_session_user_id"), table_name="staff_session")
    op.drop_table("staff_session")
