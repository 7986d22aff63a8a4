"""Password policy and hashing.

Policy follows NCSC guidance and OWASP ASVS 5.0: at least 8 characters (the hint recommends 15
or more, such as three random words), up to 256 allowed, no composition rules, no expiry, pasting
allowed, and refused if it is on a list of 19,640 common passwords (from Django; see
COMMON-PASSWORDS-LICENSE.txt) or contains the person's email address or name.

Hashing is argon2id with argon2-cffi's default profile (RFC 9106 low-memory: m=65536 KiB, t=3,
p=4). Passwords are NFKC-normalised before hashing so the same characters typed on different
devices match (ASCII is unchanged by this).
"""

import gzip
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from wtforms.validators import ValidationError

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 256
HINT = (f"Must be {MIN_LENGTH} characters or more. A longer password is safer: try "
        f"{RECOMMENDED_LENGTH} characters or more, such as 3 random words.")

TOO_SHORT = f"Password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = "Password is too common — choose a different one"
HAS_EMAIL = "Password must not contain your email address"
HAS_NAME = "Password must not contain your name"

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


@cache
def common_passwords() -> frozenset[str]:
    """The deny-list, lowercased; read on first use."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def password_problems(password: str, *, email: str | None = None,
                      name: str | None = None) -> list[str]:
    """What is wrong with a new password, as GOV.UK error messages; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if is_common(password):
        problems.append(TOO_COMMON)
    squashed = _squash(password)
    if email and email.strip():
        address = _squash(email)
        local = address.split("@", 1)[0]
        # The part before the @ counts too, unless it is too short to be telling ("jo@").
        if address in squashed or (len(local) >= 4 and local in squashed):
            problems.append(HAS_EMAIL)
    if name and len(_squash(name)) >= 4 and _squash(name) in squashed:
        problems.append(HAS_NAME)
    return problems


def _prepare(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(_prepare(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """False, never an exception, for a wrong password or a missing or malformed hash."""
    if not stored_hash or not isinstance(stored_hash, str) or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(stored_hash, _prepare(password))
    except (VerificationError, InvalidHashError, ValueError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash uses older parameters (or is not a hash we can read)."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError, TypeError):
        return True


class StrongPassword:
    """WTForms validator running ``password_problems`` and showing the first problem.

    Reads the form's email and name fields, if it has them, for the "must not contain" checks.
    Skips an empty field: pair it with InputRequired.
    """

    def __init__(self, email_field: str = "email", name_field: str = "name") -> None:
        self.email_field = email_field
        self.name_field = name_field

    def _other(self, form, name: str) -> str | None:
        field = getattr(form, name, None)
        value = getattr(field, "data", None)
        return value if isinstance(value, str) else None

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        problems = password_problems(field.data, email=self._other(form, self.email_field),
                                     name=self._other(form, self.name_field))
        if problems:
            raise ValidationError(problems[0])
