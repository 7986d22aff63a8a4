"""A referral's consent lives on the person's record (rule SCR-15): the consent each referral arrived
with, recorded before this, is copied into person_consent, so the referral page and the person
record read the same thing. Data only.

Revision ID: 0022_referral_screens
Revises: 0021
"""

from alembic import op

revision = "0022_referral_screens"
down_revision = "0021"
branch_labels = None
depends_on = None

AGREED = "'Agreed to referral ' || r.reference"
BEST_INTEREST = "'Referral ' || r.reference || ' made in their best interest'"


def upgrade() -> None:
    op.execute(f"""
        INSERT INTO person_consent (person_id, what, given_by, capacity_note, recorded_by, recorded_at)
        SELECT r.person_id,
               CASE WHEN r.consent_given THEN {AGREED} ELSE {BEST_INTEREST} END,
               CASE WHEN r.consent_given THEN 'the person' ELSE coalesce(r.referrer_name, 'the referrer') END,
               r.consent_note, 'Referral intake', r.received_at
        FROM referral r
        WHERE (r.consent_given OR r.consent_note IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM person_consent c WHERE c.person_id = r.person_id
                          AND c.what IN ({AGREED}, {BEST_INTEREST}))
    """)  # noqa: S608 (no input: fixed SQL)


def downgrade() -> None:
    op.execute("DELETE FROM person_consent WHERE recorded_by = 'Referral intake'")
