"""Dates as people type them: the GOV.UK date input and its error wording, for every form."""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError

from portal.timeutil import today
from portal.web.widgets import DateInput

# Whole sentences, so that each language can order its words ("Date of birth must include a month").
_MISSING_ONE = {
    "day": _l("%(name)s must include a day"),
    "month": _l("%(name)s must include a month"),
    "year": _l("%(name)s must include a year"),
}
_MISSING_TWO = {
    ("day", "month"): _l("%(name)s must include a day and month"),
    ("day", "year"): _l("%(name)s must include a day and year"),
    ("month", "year"): _l("%(name)s must include a month and year"),
}


class GovDateField(Field):
    """A day, month and year, checked with the GOV.UK date input's error wording: "Date of birth
    must include a month", "Date of birth must be a real date", "Year must include 4 numbers".

    `called` is how the error message names the date ("Date of birth"). An empty date is None
    (pair with `Needed` or leave optional); a date with some parts missing or not a real date is an
    error, never a guess."""

    widget = DateInput()

    def __init__(self, label=None, validators=None, called: str = _l("Date"), **kwargs):
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
        missing = [part for part, value in (("day", day), ("month", month), ("year", year)) if not value]
        if len(missing) == 1:
            raise ValueError(str(_MISSING_ONE[missing[0]]) % {"name": name})
        if len(missing) == 2:
            raise ValueError(str(_MISSING_TWO[tuple(missing)]) % {"name": name})
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or max(len(day), len(month)) > 2:
            raise ValueError(_("%(name)s must be a real date", name=name))
        if len(year) != 4:
            raise ValueError(_("Year must include 4 numbers"))
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(_("%(name)s must be a real date", name=name)) from None


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
        raise ValidationError(_("Date of birth must be in the past"))
    if field.data.year < 1900:
        raise ValidationError(_("Date of birth must be the same as or after 1 January 1900"))
