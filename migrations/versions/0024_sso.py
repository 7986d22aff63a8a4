"""Single sign-on (issue 14): a staff account may be linked to the council's identity provider by
the provider's issuer and subject (unique together; both or neither), and an account made by single
sign-on has no password.

Revision ID: 0024_sso
Revises: 0024_api_clients
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_sso"
down_revision = "0024_api_clients"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(300), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=True)
        batch.create_unique_constraint("uq_staff_user_oidc_identity", ["oidc_issuer", "oidc_subject"])
        batch.create_check_constraint("oidc_identity_whole", "(oidc_issuer IS NULL) = (oidc_subject IS NULL)")


def downgrade() -> None:
    op.execute("UPDATE staff_user SET password_hash = '!' WHERE password_hash IS NULL")  # matches no password
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_constraint("oidc_identity_whole", type_="check")
        batch.drop_constraint("uq_staff_user_oidc_identity", type_="unique")
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=False)
        batch.drop_column("oidc_subject")
        batch.drop_column("oidc_issuer")
