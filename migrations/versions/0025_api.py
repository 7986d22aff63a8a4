"""The referral API (issue 14): which client sent a referral (a client reads only its own unless it
holds referrals:read-all) and when the referral last changed (the changes feed's cursor).

Revision ID: 0025_api
Revises: 0024_language
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_api"
down_revision = "0024_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: rebuilding referral on SQLite would drop its expression index.
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's reference only inline
        op.execute("ALTER TABLE referral ADD COLUMN api_client_id INTEGER "
                   "CONSTRAINT fk_referral_api_client_id_api_client REFERENCES api_client (id)")
    else:
        op.add_column("referral", sa.Column("api_client_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_referral_api_client_id_api_client"), "referral", "api_client",
                              ["api_client_id"], ["id"])
    op.add_column("referral", sa.Column("changed_at", sa.DateTime(), nullable=False,
                                        server_default="1970-01-01 00:00:00"))
    op.execute("UPDATE referral SET changed_at = coalesce(closed_at, assessed_at, first_contact_at, received_at)")
    op.create_index("ix_referral_changed", "referral", ["changed_at", "id"])
    op.create_index("ix_referral_api_client_changed", "referral", ["api_client_id", "changed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_referral_api_client_changed", table_name="referral")
    op.drop_index("ix_referral_changed", table_name="referral")
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("changed_at")
        batch.drop_column("api_client_id")
