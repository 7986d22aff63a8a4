"""NHS number (Modulus 11), UK postcode, date of birth — functions and WTForms validators."""

import re
from datetime import date

from wtforms.validators import ValidationError

_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_nhs_number(raw: str | None) -> str:
    return re.sub(r"[\s-]", "", raw or "")


def is_valid_nhs_number(raw: str | None) -> bool:
    digits = normalise_nhs_number(raw)
    if not (len(digits) == 10 and digits.isdigit()):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def format_nhs_number(raw: str | None) -> str:
    digits = normalise_nhs_number(raw)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def normalise_postcode(raw: str | None) -> str:
    compact = re.sub(r"\s+", "", (raw or "").upper())
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(raw: str | None) -> bool:
    return bool(_POSTCODE.match(normalise_postcode(raw)))


class NHSNumber:
    def __init__(self, message: str = "Enter a valid NHS number, like 485 777 3456") -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not is_valid_nhs_number(field.data):
            raise ValidationError(self.message)


class Postcode:
    def __init__(self, message: str = "Enter a real postcode, like AA1 1AA") -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not is_valid_postcode(field.data):
            raise ValidationError(self.message)


class DateOfBirth:
    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if value >= date.today():
            raise ValidationError("Date of birth must be in the past")
        if value.year < 1900:
            raise ValidationError("Enter a real date of birth")
