"""Checks on what people type into telecare jobs, steps and connections.

- Key safe codes never enter the portal. `looks_like_key_safe_code` is the one detector: a word
  that names a code (code, key safe, keysafe, key box, lock box, combination, PIN) near a short
  run of digits (3 to 8 of them, perhaps spaced, like "1 2 3 4" or "12-34"). A phone number (10
  or more digits) is not a code. Every free-text field on a job, a step or a connection goes
  through `clean_text`, which refuses a code on the field it was typed in; migration 0017 used
  the same detector to redact codes already stored (`redact_key_safe_codes`).
- Telephone numbers are UK numbers checked with the phonenumbers library and stored in the
  national format ("01632 960001", "07700 900123"). Ofcom's ranges kept for drama (01632 960xxx,
  07700 900xxx...) pass only where TELECARE_ACCEPT_FICTIONAL_NUMBERS is on (demo and tests).
"""

import re

import phonenumbers
from flask_babel import gettext as _

from portal.config import setting
from portal.errors import Refusal

KEY_SAFE_MESSAGE = ("Do not record key safe codes in the portal. Remove the code: the installer gets it "
                    "from the person or their family on the day.")
REDACTED = "[key safe code removed]"

_WORDS = re.compile(r"\b(?:codes?|key[\s-]*safes?|keysafes?|key[\s-]*box(?:es)?|lock[\s-]*box(?:es)?|"
                    r"combinations?|pin|passcode|door\s*code)\b", re.I)
# Digits, perhaps separated by one space, dash, dot or slash ("1234", "1 2 3 4", "12-34").
_DIGITS = re.compile(r"(?<![\w])\d(?:[ \-./]?\d)*(?![\w])")
NEAR = 40  # characters between the word and the digits

# Ofcom's numbers for drama (TV, radio, film and demos): never allocated to anyone.
_FICTIONAL = re.compile(r"^(?:1632960\d{3}|7700900\d{3}|20794600\d{2}|1134960\d{3}|1144960\d{3}|"
                        r"1154960\d{3}|1174960\d{3}|1184960\d{3}|1214960\d{3}|1314960\d{3}|1414960\d{3}|"
                        r"1514960\d{3}|1614960\d{3}|2890180\d{3}|29201800\d{2}|8081570\d{3}|9098790\d{3}|"
                        r"3069990\d{3})$")


def _code_runs(text: str):
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 3 <= len(digits) <= 8:
            yield match


def looks_like_key_safe_code(text: str | None) -> bool:
    """Whether the text looks like it holds a key safe (or door, or lock box) code."""
    if not text:
        return False
    words = [m.span() for m in _WORDS.finditer(text)]
    if not words:
        return False
    for run in _code_runs(text):
        start, end = run.span()
        if any(ws - NEAR <= end and start <= we + NEAR for ws, we in words):
            return True
    return False


def code_patterns() -> dict:
    """The detector's patterns for the installer's phone, which refuses to keep a code it was given
    offline: the same rule as here, written once."""
    return {"words": _WORDS.pattern, "digits": _DIGITS.pattern, "near": NEAR}


def redact_key_safe_codes(text: str | None) -> str | None:
    """The text with every code-like run of digits near a code word replaced; unchanged otherwise."""
    if not looks_like_key_safe_code(text):
        return text
    words = [m.span() for m in _WORDS.finditer(text)]
    out, last = [], 0
    for run in _code_runs(text):
        start, end = run.span()
        if any(ws - NEAR <= end and start <= we + NEAR for ws, we in words):
            out.append(text[last:start] + REDACTED)
            last = end
    out.append(text[last:])
    return "".join(out)


def clean_text(value: str | None, field: str, max_length: int) -> str | None:
    """A free-text answer trimmed to its length (None when blank); a key safe code is refused."""
    text = (value or "").strip()
    if looks_like_key_safe_code(text):
        raise Refusal(KEY_SAFE_MESSAGE, field=field)
    return text[:max_length] or None


def parse_uk_phone(value: str | None) -> str | None:
    """The number in the UK national format, or None if it is not a UK number that can be rung."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or not phonenumbers.is_possible_number(number):
        return None
    fictional = bool(setting("TELECARE_ACCEPT_FICTIONAL_NUMBERS")) and bool(
        _FICTIONAL.match(str(number.national_number)))
    if not (phonenumbers.is_valid_number(number) or fictional):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def uk_phone(value: str | None, field: str, whose: str) -> str:
    """A UK telephone number in the national format; a number that cannot be rung is refused."""
    phone = parse_uk_phone(value)
    if phone is None:
        raise Refusal(_("Enter %(whose)s as a UK telephone number, like 01632 960001 or 07700 900123.",
                        whose=whose), field=field)
    return phone
