"""Dates as people type them: the GOV.UK date input and its error wording, for every form."""

from datetime import date

from wtforms import Field
from wtforms.validators import ValidationError

from portal.timeutil import today
from portal.web.widgets import DateInput


class GovDateField(Field):
    """A day, month and year, checked with the GOV.UK date input's error wording: "Date of birth
    must include a month", "Date of birth must be a real date", "Year must include 4 numbers".

    `called` is how the error message names the date ("Date of birth"). An empty date is None
    (pair with `Needed` or leave optional); a date with some parts missing or not a real date is an
    error, never a guess."""

    widget = DateInput()

    def __init__(self, label=None, validators=None, called: str = "Date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.date_name = called

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        parts = [str(v).strip() for v in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        day, month, year = parts
        name = self.date_name
        missing = [label for label, value in (("day", day), ("month", month), ("year", year)) if not value]
        if len(missing) == 1:
            raise ValueError(f"{name} must include a {missing[0]}")
        if len(missing) == 2:
            raise ValueError(f"{name} must include a {missing[0]} and {missing[1]}")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or max(len(day), len(month)) > 2:
            raise ValueError(f"{name} must be a real date")
        if len(year) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{name} must be a real date") from None


def date_needed(message: str):
    """InputRequired for a GovDateField: the whole date was left empty."""

    def check(form, field):
        if field.data is None and not field.errors and not any(field.raw_data or []):
            raise ValidationError(message)
    return check


def date_of_birth_rules(form, field) -> None:
    """A date of birth is in the past and not before 1900."""
    if field.data is None:
        return
    if field.data >= today():
        raise ValidationError("Date of birth must be in the past")
    if field.data.year < 1900:
        raise ValidationError("Date of birth must be the same as or after 1 January 1900")
