"""People: the person record, contacts and consent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENURES = ("owner", "council_tenant", "housing_association_tenant", "private_tenant", "care_home",
           "supported_living", "other")
CONTACT_ROLES = ("carer", "next_of_kin", "telecare_responder", "advocate", "referrer")


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("address_line_1", sa.String(length=200), nullable=False),
        sa.Column("address_line_2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("tenure", sa.String(length=40), nullable=False),
        sa.Column("landlord", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("communication_needs", sa.JSON(), nullable=False),
        sa.Column("interpreter_language", sa.String(length=80), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("tenure", TENURES), name=op.f("ck_person_tenure")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("nhs_number", name=op.f("uq_person_nhs_number")),
    )
    op.create_index(op.f("ix_person_locality"), "person", ["locality"])
    op.create_index("ix_person_postcode", "person", ["postcode"])
    op.create_index("ix_person_duplicate_check", "person",
                    ["date_of_birth", "postcode"])
    op.create_table(
        "person_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("relationship_to_person", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("call_order", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("role", CONTACT_ROLES), name=op.f("ck_person_contact_role")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE",
                                name=op.f("fk_person_contact_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_contact")),
    )
    op.create_index(op.f("ix_person_contact_person_id"), "person_contact", ["person_id"])
    op.create_table(
        "person_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("given_by", sa.String(length=160), nullable=False),
        sa.Column("capacity_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=160), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE",
                                name=op.f("fk_person_consent_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_consent")),
    )
    op.create_index(op.f("ix_person_consent_person_id"), "person_consent", ["person_id"])


def downgrade():
    op.drop_table("person_consent")
    op.drop_table("person_contact")
    op.drop_table("person")
