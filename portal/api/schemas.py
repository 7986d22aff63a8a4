"""What the API accepts and answers, as pydantic models: spectree validates requests against them
and builds the OpenAPI document from them. Field rules are the web form's own checks
(portal.people.validators, `discharge_date_missing`), called here, not copied."""

from datetime import date, datetime
from types import SimpleNamespace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from wtforms.validators import ValidationError

from portal.people.validators import DateOfBirth, is_valid_nhs_number, is_valid_postcode, normalise_postcode
from portal.referrals.models import NEEDS, OUTCOMES, PRIORITIES, PROFESSIONAL_SOURCES, ROUTES, STATES
from portal.referrals.services import DISCHARGE_DATE_NEEDED, discharge_date_missing

Source = Literal[tuple(PROFESSIONAL_SOURCES)]
Need = Literal[tuple(NEEDS)]
Priority = Literal[tuple(PRIORITIES)]


def _refuse(message: str):
    """A field error whose message is the web form's words, without pydantic's "Value error, "."""
    return PydanticCustomError("portal", message)


def _text(value: str | None, message: str | None = None) -> str | None:
    cleaned = " ".join((value or "").split()) if value is not None else None
    if message and not cleaned:
        raise _refuse(message)
    return cleaned or None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------- requests


class PersonIn(Strict):
    given_name: str = Field(max_length=100, description="First name")
    family_name: str = Field(max_length=100, description="Last name")
    date_of_birth: date
    nhs_number: str | None = Field(None, max_length=14, description="Optional; checked with the Modulus 11 check "
                                   "digit. If we hold it on a record with another name or date of birth, the "
                                   "referral goes onto a new record held for a person to check.")
    address_line_1: str = Field(max_length=200)
    town: str | None = Field(None, max_length=100)
    postcode: str = Field(max_length=10, description="A UK postcode, like AA1 1AA")
    phone: str | None = Field(None, max_length=40)

    @field_validator("given_name")
    @classmethod
    def _given(cls, v):
        return _text(v, "Enter the person's first name")

    @field_validator("family_name")
    @classmethod
    def _family(cls, v):
        return _text(v, "Enter the person's last name")

    @field_validator("address_line_1")
    @classmethod
    def _address(cls, v):
        return _text(v, "Enter the first line of the address")

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, v):
        try:
            DateOfBirth()(None, SimpleNamespace(data=v))
        except ValidationError as exc:
            raise _refuse(str(exc)) from None
        return v

    @field_validator("nhs_number")
    @classmethod
    def _nhs(cls, v):
        if v is not None and v.strip() and not is_valid_nhs_number(v):
            raise _refuse("Enter a valid NHS number, like 485 777 3457")
        return (v or "").strip() or None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, v):
        if not is_valid_postcode(v):
            raise _refuse("Enter a real postcode, like AA1 1AA")
        return normalise_postcode(v)


class ReferrerIn(Strict):
    name: str = Field(max_length=160)
    organisation: str | None = Field(None, max_length=160)
    phone: str = Field(max_length=40)
    email: str | None = Field(None, max_length=254)

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        return _text(v, "Enter the referrer's name")

    @field_validator("phone")
    @classmethod
    def _phone(cls, v):
        return _text(v, "Enter the referrer's phone number")


class ReferralIn(Strict):
    """A referral from a professional or a hospital discharge team (not the public sources)."""

    person: PersonIn
    source: Source
    needs: list[Need] = Field(min_length=1)
    help_wanted: str = Field(max_length=5000, description="What help is needed and why")
    priority: Priority
    discharge_date: date | None = Field(None, validate_default=True,
                                        description="Planned discharge date: required for hospital_discharge")
    risk_summary: str | None = Field(None, max_length=5000)
    referrer: ReferrerIn
    consent: Literal["given", "best_interest"] = Field(
        description="given: the person agreed; best_interest: made in their best interest as they lack "
                    "capacity. A referral the person has not agreed to cannot be sent (as on the web form).")

    @field_validator("help_wanted")
    @classmethod
    def _help(cls, v):
        return _text(v, "Describe what help is needed")

    @field_validator("discharge_date")
    @classmethod
    def _discharge(cls, v, info: ValidationInfo):
        if discharge_date_missing(info.data.get("source"), v):
            raise _refuse(DISCHARGE_DATE_NEEDED)
        return v


class IdempotencyHeaders(BaseModel):
    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=100,
                                 description="Any unique string per referral (a UUID): a retry with the same key "
                                             "and body returns the first answer and never makes a second referral")


class ChangesQuery(Strict):
    since: datetime | None = Field(None, description="The first poll: changes after this time (ISO 8601)")
    cursor: str | None = Field(None, max_length=200, description="Every later poll: `next_cursor` of the last page")
    limit: int = Field(100, ge=1, le=500)


# --------------------------------------------------------------------------------------------- answers


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class Clock(BaseModel):
    """A clock as the queue reads it (portal.referrals.services.clocks)."""

    label: str
    due_at: datetime | None
    status: Literal["met", "missed", "overdue", "due_today", "due_soon", "on_track", "paused"]
    text: str
    seconds_left: int | None = Field(description="While it runs; negative once overdue")


class Clocks(BaseModel):
    contact: Clock | None
    assessment: Clock | None
    current: Clock | None = Field(description="The clock the queue shows")
    overdue: bool


class Assigned(BaseModel):
    team: Literal[tuple(ROUTES)] | None = Field(description="Who assesses: a trusted assessor or an OT")
    locality: str | None
    assigned: bool = Field(description="A named member of staff holds the case (names are not shared)")


class ReferralOut(BaseModel):
    reference: str
    state: Literal[tuple(STATES)]
    state_label: str
    source: str
    priority: Priority | None
    needs: list[Need]
    received_at: datetime
    changed_at: datetime
    assigned: Assigned
    clocks: Clocks
    outcome: Literal[tuple(OUTCOMES)] | None
    closed_at: datetime | None
    nhs_number: str | None = Field(description="The NHS number on the person's record (none while an identity "
                                               "check is open)")
    identity_check: Literal["held for triage", "same person", "different people"] | None


class ChangesOut(BaseModel):
    changes: list[ReferralOut]
    next_cursor: str = Field(description="Send it as `cursor` next time")
    more: bool = Field(description="Another page is ready now")
    settled_until: datetime = Field(description="Changes up to this time are final in this feed")


class LoanItem(BaseModel):
    product: str
    product_code: str
    quantity: int
    asset_tag: str | None
    delivered_at: datetime | None
    due_back: date | None
    next_inspection_due: date | None


class EquipmentOut(BaseModel):
    nhs_number: str
    on_loan: list[LoanItem]


class Device(BaseModel):
    product: str
    asset_tag: str | None
    fitted_at: datetime | None


class ConnectionOut(BaseModel):
    status: str
    line_type: str
    unit_model: str | None
    monitoring_start: date | None
    ended_at: datetime | None
    devices: list[Device]


class TelecareOut(BaseModel):
    nhs_number: str
    connection: ConnectionOut | None
