"""Disabled Facilities Grant: cases, test of resources, quotes, payments, evidence, stage history.

Money is Numeric(12, 2) and Decimal in Python. The database holds the rules it can: amounts are
never negative, an approved grant never exceeds the maximum in force when it was approved (the cap
applies after the contribution is taken off the eligible cost, not to the contribution), a
discretionary amount needs its reason, the total paid never exceeds the grant plus discretionary
assistance, instalments while the works are in progress stay within 90% of the grant (or of the
value of the work done), the case's dates run in order, a late decision carries its reason, and a
withdrawn quote is never the chosen one (compared in whole pence so SQLite's floating point cannot
matter; dates compare as ISO dates on both databases).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import london_date, utcnow

STATES = {
    "enquiry": "Enquiry",
    "eligibility": "Eligibility (test of resources)",
    "ot_recommendation": "OT recommendation",
    "survey_and_quotes": "Survey and quotes",
    "application_received": "Full application received",
    "approved": "Approved",
    "refused": "Refused",
    "works": "Works in progress",
    "completed": "Completed and inspected",
    "paid": "Paid",
    "withdrawn": "Withdrawn",
}
CLOSED_STATES = ("refused", "paid", "withdrawn")
OPEN_STATES = tuple(s for s in STATES if s not in CLOSED_STATES)
# the colour of a case's stage tag: grey once closed, green once the grant is approved, else blue
STATE_TAG_COLOURS = {**dict.fromkeys(CLOSED_STATES, "grey"),
                     **dict.fromkeys(("approved", "works", "completed"), "green")}

TENURES = {
    "owner_occupier": "Owner-occupier",
    "private_tenant": "Private tenant",
    "council_tenant": "Council tenant",
    "housing_association_tenant": "Housing association tenant",
}
TENANT_TENURES = ("private_tenant", "council_tenant", "housing_association_tenant")

WORKS_TYPES = {
    "stairlift": "Stairlift",
    "level_access_shower": "Level-access shower",
    "ramp": "Ramp",
    "through_floor_lift": "Through-floor lift",
    "extension": "Extension",
    "hoist": "Hoist",
    "tecs": "Technology (TECS)",
    "other": "Other",
}

TOR_RESULTS = {
    "passported": "Passported benefit: nil contribution",
    "assessed": "Assessed",
    "not_required": "Not required (child or young person)",
}

EVIDENCE_KINDS = {
    "quote": "Quote",
    "ownership": "Proof of ownership",
    "tenancy": "Tenancy or landlord consent",
    "benefit": "Benefit evidence",
    "photo": "Photo",
    "other": "Other",
}
CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

DISCRETIONARY_REASONS = {
    "top_up": "Top-up above the mandatory maximum",
    "tecs": "Technology (TECS) within the grant",
    "foster_placement": "Keeping a looked-after child in a foster placement",
    "relocation": "Help to move to a more suitable home",
    "other": "Other policy reason",
}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


Money = Numeric(12, 2)

# What instalments during the works are measured against: the grant plus discretionary assistance,
# or the value of the work done when that is recorded and lower. 90% of it (DFG_INSTALMENT_SHARE;
# the database holds the statutory 90%).
INSTALMENT_BASE = ("CASE WHEN work_done_value IS NOT NULL AND work_done_value < "
                   "coalesce(approved_amount, 0) + discretionary_amount THEN work_done_value "
                   "ELSE coalesce(approved_amount, 0) + discretionary_amount END")


class DfgCase(db.Model):
    __tablename__ = "dfg_case"
    __table_args__ = (
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("tenure", TENURES), name="tenure"),
        CheckConstraint("approved_amount IS NULL OR approved_amount >= 0", name="approved_not_negative"),
        CheckConstraint("contribution IS NULL OR contribution >= 0", name="contribution_not_negative"),
        CheckConstraint("discretionary_amount >= 0", name="discretionary_not_negative"),
        CheckConstraint("paid_total >= 0", name="paid_not_negative"),
        CheckConstraint(
            "discretionary_amount = 0 OR (discretionary_reason IS NOT NULL AND discretionary_reason <> '')",
            name="discretionary_reason"),
        CheckConstraint(
            "approved_amount IS NULL OR grant_maximum IS NULL OR "
            "round(approved_amount * 100) <= round(grant_maximum * 100)",
            name="grant_within_maximum"),
        CheckConstraint(
            "round(paid_total * 100) <= round((coalesce(approved_amount, 0) + discretionary_amount) * 100)",
            name="paid_within_approval"),
        CheckConstraint("fees >= 0", name="fees_not_negative"),
        CheckConstraint("work_done_value IS NULL OR work_done_value >= 0", name="work_done_not_negative"),
        CheckConstraint(f"state <> 'works' OR round(paid_total * 100) * 10 <= round(({INSTALMENT_BASE}) * 100) * 9",
                        name="instalments_within_share"),
        CheckConstraint("decision_date IS NULL OR full_application_date IS NULL OR "
                        "decision_date >= full_application_date", name="decision_after_application"),
        CheckConstraint("works_started_date IS NULL OR decision_date IS NULL OR "
                        "works_started_date >= decision_date", name="works_after_decision"),
        CheckConstraint("completed_date IS NULL OR works_started_date IS NULL OR "
                        "completed_date >= works_started_date", name="completion_after_works"),
        CheckConstraint("inspected_date IS NULL OR completed_date IS NULL OR inspected_date >= completed_date",
                        name="inspection_after_completion"),
        CheckConstraint("approved_amount IS NULL OR decision_date IS NULL OR decision_due_date IS NULL OR "
                        "decision_date <= decision_due_date OR (late_reason IS NOT NULL AND late_reason <> '')",
                        name="late_decision_reason"),
        Index("ix_dfg_case_state_due", "state", "decision_due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The language the person used (portal.web.i18n): messages about this go out in it.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    is_child: Mapped[bool] = mapped_column(default=False)
    applicants: Mapped[str | None] = mapped_column(String(300))
    property_address: Mapped[str] = mapped_column(String(400))
    property_postcode: Mapped[str] = mapped_column(String(8))
    tenure: Mapped[str] = mapped_column(String(30))
    landlord_name: Mapped[str | None] = mapped_column(String(200))
    landlord_consent_date: Mapped[date | None]
    landlord_consent_by: Mapped[str | None] = mapped_column(String(160))
    difficulties: Mapped[list] = mapped_column(JSON, default=list)
    difficulty_details: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))

    ot_recommendation: Mapped[str | None] = mapped_column(Text)
    ot_reason: Mapped[str | None] = mapped_column(Text)
    ot_necessary_appropriate: Mapped[bool | None]
    ot_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    ot_name: Mapped[str | None] = mapped_column(String(160))
    ot_recorded_at: Mapped[datetime | None]

    includes_tecs: Mapped[bool] = mapped_column(default=False)
    contractor: Mapped[str | None] = mapped_column(String(200))
    locality: Mapped[str | None] = mapped_column(String(40), index=True)

    state: Mapped[str] = mapped_column(String(30), default="enquiry")
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    full_application_date: Mapped[date | None]
    decision_due_date: Mapped[date | None]
    decision_date: Mapped[date | None]
    payment_due_date: Mapped[date | None]
    works_due_date: Mapped[date | None]
    works_started_date: Mapped[date | None]
    completed_date: Mapped[date | None]
    inspected_date: Mapped[date | None]
    paid_date: Mapped[date | None]
    review_due_date: Mapped[date | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)

    grant_maximum: Mapped[Decimal | None] = mapped_column(Money)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    contribution: Mapped[Decimal | None] = mapped_column(Money)
    discretionary_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    discretionary_reason: Mapped[str | None] = mapped_column(Text)
    paid_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    fees: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    work_done_value: Mapped[Decimal | None] = mapped_column(Money)
    late_reason: Mapped[str | None] = mapped_column(Text)
    land_charge: Mapped[bool] = mapped_column(default=False)

    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    person = relationship("Person", lazy="joined")
    works: Mapped[list["DfgWorks"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin", order_by="DfgWorks.works_type")
    test_of_resources: Mapped["DfgTestOfResources | None"] = relationship(back_populates="case", uselist=False)
    quotes: Mapped[list["DfgQuote"]] = relationship(back_populates="case", order_by="DfgQuote.id")
    payments: Mapped[list["DfgPayment"]] = relationship(back_populates="case", order_by="DfgPayment.id")
    evidence: Mapped[list["DfgEvidence"]] = relationship(back_populates="case", order_by="DfgEvidence.id")
    stages: Mapped[list["DfgStageHistory"]] = relationship(
        back_populates="case", order_by="DfgStageHistory.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def state_colour(self) -> str:
        return STATE_TAG_COLOURS.get(self.state, "blue")

    @property
    def tenure_label(self) -> str:
        return TENURES.get(self.tenure, self.tenure)

    @property
    def works_types(self) -> list[str]:
        return [w.works_type for w in self.works]

    @property
    def works_labels(self) -> list[str]:
        return [WORKS_TYPES[w] for w in self.works_types]

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    @property
    def approved_total(self) -> Decimal:
        return (self.approved_amount or Decimal("0")) + (self.discretionary_amount or Decimal("0"))

    @property
    def left_to_pay(self) -> Decimal:
        return self.approved_total - (self.paid_total or Decimal("0"))

    @property
    def chosen_quote(self) -> "DfgQuote | None":
        return next((q for q in self.quotes if q.chosen), None)

    @property
    def live_quotes(self) -> list["DfgQuote"]:
        return [q for q in self.quotes if q.withdrawn_at is None]

    @property
    def enquiry_date(self) -> date:
        """The London date the enquiry was made."""
        return london_date(self.created_at or utcnow())

    @property
    def decided_late(self) -> bool:
        return bool(self.decision_date and self.decision_due_date and self.decision_date > self.decision_due_date)


class DfgWorks(db.Model):
    """One kind of works on a case (a case may have several)."""

    __tablename__ = "dfg_works"
    __table_args__ = (CheckConstraint(_in("works_type", WORKS_TYPES), name="works_type"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), primary_key=True)
    works_type: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)
    case: Mapped[DfgCase] = relationship(back_populates="works")


class DfgTestOfResources(db.Model):
    __tablename__ = "dfg_test_of_resources"
    __table_args__ = (
        CheckConstraint(_in("result", TOR_RESULTS), name="result"),
        CheckConstraint("contribution >= 0", name="contribution_not_negative"),
        CheckConstraint("result = 'assessed' OR contribution = 0", name="nil_unless_assessed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), unique=True)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[str] = mapped_column(String(20))
    contribution: Mapped[Decimal] = mapped_column(Money)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    case: Mapped[DfgCase] = relationship(back_populates="test_of_resources")

    @property
    def result_label(self) -> str:
        return TOR_RESULTS.get(self.result, self.result)


class DfgQuote(db.Model):
    __tablename__ = "dfg_quote"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("withdrawn_at IS NULL OR NOT chosen", name="withdrawn_not_chosen"),
        CheckConstraint("withdrawn_at IS NULL OR (withdrawn_reason IS NOT NULL AND withdrawn_reason <> '')",
                        name="withdrawn_reason"),
        Index("uq_dfg_quote_one_chosen", "case_id", unique=True,
              sqlite_where=text("chosen"), postgresql_where=text("chosen")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), index=True)
    contractor: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    chosen: Mapped[bool] = mapped_column(default=False)
    received_on: Mapped[date]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    case: Mapped[DfgCase] = relationship(back_populates="quotes")

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class DfgPayment(db.Model):
    __tablename__ = "dfg_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(index=True)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    paid_by: Mapped[str] = mapped_column(String(160))
    payee: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    case: Mapped[DfgCase] = relationship(back_populates="payments")


class DfgEvidence(db.Model):
    __tablename__ = "dfg_evidence"
    __table_args__ = (
        CheckConstraint(_in("kind", EVIDENCE_KINDS), name="kind"),
        CheckConstraint(_in("content_type", CONTENT_TYPES), name="content_type"),
        CheckConstraint(f"size > 0 AND size <= {MAX_EVIDENCE_BYTES}", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    case: Mapped[DfgCase] = relationship(back_populates="evidence")

    @property
    def kind_label(self) -> str:
        return EVIDENCE_KINDS.get(self.kind, self.kind)


class DfgStageHistory(db.Model):
    __tablename__ = "dfg_stage_history"
    __table_args__ = (
        CheckConstraint(_in("to_state", STATES), name="to_state"),
        UniqueConstraint("case_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dfg_case.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    by_label: Mapped[str] = mapped_column(String(200))
    case: Mapped[DfgCase] = relationship(back_populates="stages")
