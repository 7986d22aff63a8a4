"""NHS number, UK postcode and date of birth: plain checks and WTForms validators.

The WTForms validators skip empty fields, so pair them with InputRequired or Optional.
"""

import re
from collections.abc import Callable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from portal.timeutil import LONDON

# BS 7666 postcode format, with the letters each position may use, plus Girobank's GIR 0AA.
# It checks the shape only, not that the postcode exists.
_POSTCODE = re.compile(
    r"GIR 0AA"
    r"|[A-PR-UWYZ]"  # area: any letter but Q, V, X
    r"(?:[0-9]{1,2}"  # A9, A99
    r"|[A-HK-Y][0-9]{1,2}"  # AA9, AA99 (second letter not I, J, Z)
    r"|[0-9][A-HJKPSTUW]"  # A9A
    r"|[A-HK-Y][0-9][ABEHMNPRVWXY])"  # AA9A
    r" [0-9][ABD-HJLNP-UW-Z]{2}"  # inward code: no C, I, K, M, O, V
)
_NHS_DIGITS = re.compile(r"[0-9]{10}")


def normalise_nhs_number(raw: str | None) -> str:
    """Without spaces or hyphens: "943 476-5919" → "9434765919"."""
    return re.sub(r"[\s\-\u2010\u2011\u2013]", "", raw or "")


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus 11 check digit for nine digits; None when it would be 10 (no valid number)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(raw: str | None) -> bool:
    """Ten digits whose last is the Modulus 11 check digit of the first nine."""
    digits = normalise_nhs_number(raw)
    if not _NHS_DIGITS.fullmatch(digits):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def format_nhs_number(raw: str | None) -> str:
    """In 3-3-4 groups ("943 476 5919"); anything not 10 digits comes back normalised."""
    digits = normalise_nhs_number(raw)
    if not _NHS_DIGITS.fullmatch(digits):
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def normalise_postcode(raw: str | None) -> str:
    """Upper case with one space before the inward code: "sw1a1aa" → "SW1A 1AA"."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(raw: str | None) -> bool:
    """The shape of a UK postcode, in any case and spacing. Does not check it exists."""
    return _POSTCODE.fullmatch(normalise_postcode(raw)) is not None


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class NHSNumber:
    """WTForms validator: a valid NHS number, or nothing."""

    def __init__(self, message: str = _l("Enter a valid NHS number, like 485 777 3457")) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if not _is_empty(field.data) and not is_valid_nhs_number(field.data):
            raise ValidationError(self.message)


class Postcode:
    """WTForms validator: a UK postcode, or nothing."""

    def __init__(self, message: str = _l("Enter a real postcode, like AA1 1AA")) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if not _is_empty(field.data) and not is_valid_postcode(field.data):
            raise ValidationError(self.message)


def _london_today() -> date:
    return datetime.now(LONDON).date()


class DateOfBirth:
    """WTForms validator for a DateField: in the past and not before 1900, or nothing."""

    def __init__(self, future_message: str = _l("Date of birth must be in the past"),
                 real_message: str = _l("Enter a real date of birth"),
                 today: Callable[[], date] = _london_today) -> None:
        self.future_message = future_message
        self.real_message = real_message
        self.today = today

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if isinstance(value, datetime):
            value = value.date()
        if value.year < 1900:
            raise ValidationError(self.real_message)
        if value >= self.today():
            raise ValidationError(self.future_message)
