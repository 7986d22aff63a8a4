"""API clients (issue 14): the systems that call /api/v1, their hashed keys and scopes, and the
idempotency keys of their creates.

Revision ID: 0024_api_clients
Revises: 0023_dashboard_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_api_clients"
down_revision = "0023_dashboard_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(160), nullable=True),
        sa.CheckConstraint("rate_per_minute > 0", name=op.f("ck_api_client_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_client_key_id")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
    )
    op.create_table(
        "api_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"], name=op.f("fk_api_request_client_id_api_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name=op.f("fk_api_request_referral_id_referral"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_request")),
        sa.UniqueConstraint("client_id", "idempotency_key", name=op.f("uq_api_request_client_id_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("api_request")
    op.drop_table("api_client")
