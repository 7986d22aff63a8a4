"""Password policy (NCSC / ASVS 5.0) and argon2id hashing."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
COMMON = {"password", "password1", "password123", "password1234", "12345678", "qwertyuiop"}


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    problems = []
    if len(password) < 8:
        problems.append("Password must be 8 characters or more")
    if len(password) > 256:
        problems.append("Password must be 256 characters or fewer")
    if password.lower() in COMMON:
        problems.append("Password is too common — choose a different one")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
