"""NHS number, postcode and date of birth checks."""

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from wtforms import DateField, Form, StringField

from portal.people.validators import (
    DateOfBirth,
    NHSNumber,
    Postcode,
    format_nhs_number,
    is_valid_nhs_number,
    is_valid_postcode,
    nhs_check_digit,
    normalise_nhs_number,
    normalise_postcode,
)

# NHS numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 ",
                                 "4857773457", "485 777 3457", "4010232137"])
def test_valid_nhs_numbers(raw):
    assert is_valid_nhs_number(raw)


@pytest.mark.parametrize("raw", [
    "9434765918",  # wrong check digit
    "4857773456",  # the GOV.UK example in the error message fails the check, as intended
    "943476591",  # 9 digits
    "94347659190",  # 11 digits
    "943476591X",
    "",
    None,
    "abcdefghij",
    "９４３４７６５９１９",  # full-width digits
    "0000000001",
])
def test_invalid_nhs_numbers(raw):
    assert not is_valid_nhs_number(raw)


def test_check_digit_of_10_means_no_valid_number():
    # 1,0,0,0,0,0,0,0,1 weighted: 10 + 2 = 12; 12 % 11 = 1; 11 - 1 = 10
    assert nhs_check_digit("100000001") is None
    assert not any(is_valid_nhs_number(f"100000001{d}") for d in range(10))


def test_check_digit_of_11_becomes_0():
    assert nhs_check_digit("000000000") == 0
    assert nhs_check_digit("943476591") == 9


def test_normalise_and_format_nhs_number():
    assert normalise_nhs_number(" 943 476-5919 ") == "9434765919"
    assert normalise_nhs_number(None) == ""
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("943-476-5919") == "943 476 5919"
    assert format_nhs_number("12345") == "12345"


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_generated_nhs_numbers_are_valid(first_nine):
    check = nhs_check_digit(first_nine)
    assume(check is not None)
    number = first_nine + str(check)
    assert is_valid_nhs_number(number)
    assert is_valid_nhs_number(format_nhs_number(number))


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_makes_it_invalid(first_nine, position, shift):
    check = nhs_check_digit(first_nine)
    assume(check is not None)
    number = first_nine + str(check)
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    assert not is_valid_nhs_number("".join(digits))


# Postcodes --------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "normal"), [
    ("sw1a1aa", "SW1A 1AA"),
    ("SW1A 1AA", "SW1A 1AA"),
    ("  sw1a   1aa ", "SW1A 1AA"),
    ("m11ae", "M1 1AE"),
    ("b33 8th", "B33 8TH"),
    ("cr2 6xh", "CR2 6XH"),
    ("dn551pt", "DN55 1PT"),
    ("w1a 0ax", "W1A 0AX"),
    ("ec1a 1bb", "EC1A 1BB"),
    ("gir0aa", "GIR 0AA"),
    ("LS1\t4AP", "LS1 4AP"),
])
def test_valid_postcodes_and_normalising(raw, normal):
    assert normalise_postcode(raw) == normal
    assert is_valid_postcode(raw)


@pytest.mark.parametrize("raw", [
    "", None, "SW1A", "1AA", "SW1A 1A", "SW1A 1AAA", "QA1 1AA",  # Q never starts a postcode
    "AI1 1AA",  # I never second
    "SW1A 1CA",  # C never in the inward letters
    "12345", "SW1A-1AA", "GIR 0AB",
])
def test_invalid_postcodes(raw):
    assert not is_valid_postcode(raw)


def test_normalise_postcode_leaves_short_input_alone():
    assert normalise_postcode("ab1") == "AB1"
    assert normalise_postcode(None) == ""


# WTForms validators -----------------------------------------------------------------------

class PersonForm(Form):
    nhs_number = StringField(validators=[NHSNumber()])
    postcode = StringField(validators=[Postcode()])
    date_of_birth = DateField(validators=[DateOfBirth(today=lambda: date(2025, 6, 9))])


def _errors(**data) -> dict:
    form = PersonForm(data={"nhs_number": "", "postcode": "", "date_of_birth": None} | data)
    form.validate()
    return form.errors


def test_empty_fields_pass():
    assert _errors() == {}
    assert _errors(nhs_number="   ") == {}


def test_good_values_pass():
    assert _errors(nhs_number="485 777 3457", postcode="sw1a 1aa",
                   date_of_birth=date(1948, 7, 5)) == {}


def test_bad_values_give_govuk_messages():
    assert _errors(nhs_number="485 777 3456") == {
        "nhs_number": ["Enter a valid NHS number, like 485 777 3457"]}
    assert _errors(postcode="not a postcode") == {
        "postcode": ["Enter a real postcode, like AA1 1AA"]}
    assert _errors(date_of_birth=date(2025, 6, 9)) == {
        "date_of_birth": ["Date of birth must be in the past"]}
    assert _errors(date_of_birth=date(2030, 1, 1)) == {
        "date_of_birth": ["Date of birth must be in the past"]}
    assert _errors(date_of_birth=date(1899, 12, 31)) == {
        "date_of_birth": ["Enter a real date of birth"]}
    assert _errors(date_of_birth=date(1900, 1, 1)) == {}
    assert _errors(date_of_birth=date(2025, 6, 8)) == {}


def test_custom_messages():
    class F(Form):
        nhs = StringField(validators=[NHSNumber("Check the NHS number")])
        pc = StringField(validators=[Postcode("Check the postcode")])

    form = F(data={"nhs": "123", "pc": "123"})
    assert not form.validate()
    assert form.errors == {"nhs": ["Check the NHS number"], "pc": ["Check the postcode"]}


def test_date_of_birth_uses_today_by_default():
    class F(Form):
        dob = DateField(validators=[DateOfBirth()])

    assert not F(data={"dob": date(9999, 1, 1)}).validate()
    assert F(data={"dob": date(1990, 1, 1)}).validate()
