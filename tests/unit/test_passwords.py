"""Password policy (NCSC / OWASP ASVS 5.0) and argon2id hashing."""

import gzip

import pytest
from wtforms import Form, PasswordField, StringField

from portal.auth.passwords import (
    COMMON_PASSWORDS_FILE,
    HAS_EMAIL,
    HAS_NAME,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    StrongPassword,
    common_passwords,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


def test_deny_list_is_djangos_list_of_common_passwords():
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert len(lines) > 19_000
    assert common_passwords() == frozenset(line.strip().lower() for line in lines)
    assert common_passwords() is common_passwords()  # loaded once
    assert "password1234" in common_passwords()
    assert "password123" in common_passwords()


def test_messages():
    assert TOO_SHORT == "Password must be 8 characters or more"
    assert TOO_LONG == "Password must be 256 characters or fewer"
    assert TOO_COMMON == "Password is too common — choose a different one"
    assert HAS_EMAIL == "Password must not contain your email address"


def test_seven_characters_refused_eight_accepted():
    assert password_problems("kq7#vZp") == [TOO_SHORT]
    assert password_problems("kq7#vZpw") == []


def test_long_passphrases_accepted_up_to_256():
    passphrase = "tangerine bicycle whistle ocean lantern marble kettle sparrow ok"
    assert len(passphrase) == 64
    assert password_problems(passphrase) == []
    assert password_problems("x" * 7 + "y" * 249) == []
    assert password_problems("x" * 7 + "y" * 250) == [TOO_LONG]


def test_no_composition_rules():
    assert password_problems("all lower case words here") == []
    assert password_problems("ÄÖÜ émoji 🙂 ünïcödé") == []


@pytest.mark.parametrize("common", ["password1234", "Password1234", "PASSWORD123", " password1234 ",
                                    "qwertyuiop", "12345678"])
def test_common_passwords_refused_whatever_the_case(common):
    assert TOO_COMMON in password_problems(common)


def test_short_and_common_gives_both():
    assert password_problems("abc") == [TOO_SHORT, TOO_COMMON]


def test_email_and_name_refused():
    email = "Jo.Bloggs@council.example.gov.uk"
    assert password_problems("my jo.bloggs@council.example.gov.uk!", email=email) == [HAS_EMAIL]
    assert password_problems("jo.bloggs-2025-rocks", email=email) == [HAS_EMAIL]
    assert password_problems("a much longer passphrase", email=email) == []
    assert password_problems("jo is fine here", email="jo@x.example") == []
    assert password_problems("i am jo bloggs!!", name="Jo Bloggs") == [HAS_NAME]
    assert password_problems("jobloggs rules ok", name="Jo Bloggs") == [HAS_NAME]
    assert password_problems("a longer passphrase", email=None, name=None) == []


def test_hash_is_argon2id_with_default_parameters():
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in stored
    assert hash_password("correct horse battery staple") != stored  # salted
    assert not needs_rehash(stored)


def test_verify():
    stored = hash_password("correct horse battery staple")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")
    assert not verify_password(stored, "")


def test_unicode_is_normalised_before_hashing():
    composed, decomposed = "caf\u00e9 au lait please", "cafe\u0301 au lait please"
    assert verify_password(hash_password(composed), decomposed)


@pytest.mark.parametrize("bad", ["", "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$broken",
                                 "$2b$12$abcdefghijklmnopqrstuv", None])
def test_malformed_hash_verifies_false_without_raising(bad):
    assert verify_password(bad, "anything at all") is False


def test_old_parameters_need_rehash():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("a passphrase")
    assert needs_rehash(old)
    assert verify_password(old, "a passphrase")
    assert needs_rehash("not a hash")


class SignUp(Form):
    name = StringField()
    email = StringField()
    password = PasswordField(validators=[StrongPassword()])


class Bare(Form):
    password = PasswordField(validators=[StrongPassword()])


def _errors(form_class, **data):
    form = form_class(data=data)
    form.validate()
    return form.errors


def test_strong_password_validator():
    assert _errors(Bare, password="a fine long passphrase") == {}
    assert _errors(Bare, password="short") == {"password": [TOO_SHORT]}
    assert _errors(Bare, password="password1234") == {"password": [TOO_COMMON]}
    assert _errors(Bare, password="") == {}  # left to InputRequired
    assert _errors(SignUp, name="Jo Bloggs", email="jo.bloggs@x.example",
                   password="jo.bloggs forever") == {"password": [HAS_EMAIL]}
    assert _errors(SignUp, name="Jo Bloggs", email="", password="i am jo bloggs") == {
        "password": [HAS_NAME]}
    assert _errors(SignUp, name="Jo Bloggs", email="jo.bloggs@x.example",
                   password="tangerine bicycle whistle") == {}
