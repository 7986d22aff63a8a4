"""One head again after the rules of the trade: telecare rules (0017), DFG rules (0018), equipment
recall (0019) and the private self-assessment report (0020) each followed 0016.

Revision ID: 0021
Revises: 0017_telecare_rules, 0018_dfg_rules, 0019_equipment_recall, 0020_advice_report_privacy
"""

revision = "0021"
down_revision = ("0017_telecare_rules", "0018_dfg_rules", "0019_equipment_recall", "0020_advice_report_privacy")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
