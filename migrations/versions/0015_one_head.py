"""One head again after the second wave: identity checks (0012), the self-assessment resume code
(0012_advice_resume), equipment safety (0013) and staff sessions (0014) each followed 0011.

Revision ID: 0015
Revises: 0012, 0012_advice_resume, 0013, 0014
"""

revision = "0015"
down_revision = ("0012", "0012_advice_resume", "0013", "0014")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
