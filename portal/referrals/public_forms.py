"""The public 'ask for help' journey: one question a page (GOV.UK "one thing per page"), then
check your answers. Each page is a small form; the view keeps the accepted answers in the session.

Words are the public's, not the team's: the needs are described by what they do ("an alarm that
calls for help"), and the team's names for them (telecare, OT assessment) are only in hints."""

import re
from datetime import timedelta

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.people.models import COMMUNICATION_NEEDS
from portal.people.validators import NHSNumber, Postcode, normalise_postcode
from portal.referrals.models import NEEDS
from portal.timeutil import today
from portal.web.dates import GovDateField, date_of_birth_rules
from portal.web.dates import date_needed as needed

CONTINUE = "Continue"
# Characters no one types and the database cannot store (PostgreSQL refuses a NUL byte in text).
HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The longest "what is hard" answer. The answers travel in the session cookie (4 KB at most), so
# every text answer is bounded (the view also refuses an answer that would overfill the cookie);
# tests/integration/referrals/test_public_pages.py checks the largest answers fit.
HELP_WANTED_MAX = 800

# The help a person can ask for, in their words, with the team's words as a hint.
NEED_WORDS = {
    "telecare": ("An alarm or sensors that call for help",
                 "For example a button worn on the wrist or round the neck, or a sensor that notices a fall "
                 "(telecare)"),
    "equipment": ("Equipment to make everyday tasks easier or safer",
                  "For example a raised toilet seat, a bath seat, a perching stool or a walking frame"),
    "minor_adaptation": ("Small changes to the home",
                         "For example grab rails, an extra stair rail or a lower step at the door"),
    "major_adaptation": ("Bigger changes to the home",
                         "For example a level-access shower, a stairlift or a ramp. A Disabled Facilities "
                         "Grant can help to pay for these"),
    "ot_assessment": ("A visit to work out what would help",
                      "An occupational therapist visits and looks at what is hard. Choose this if you are not sure"),
    "falls": ("Help with falls",
              "For example after a fall, or to make falls less likely"),
}
assert set(NEED_WORDS) == set(NEEDS)


class PublicForm(FlaskForm):
    """A public form. Text with a hidden control character (a NUL byte, say) comes back to the
    person with a message on that field, rather than failing when it is saved."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            if isinstance(field.data, str) and HIDDEN.search(field.data) and not field.errors:
                field.errors = [f"{field.label.text} contains a hidden character. "
                                "Type it again rather than pasting it"]
                valid = False
        return valid


def yes_no(label: str, message: str, **kwargs) -> RadioField:
    return RadioField(label, choices=[("yes", "Yes"), ("no", "No")], widget=GovRadioInput(),
                      validators=[InputRequired(message)], **kwargs)


# ------------------------------------------------------------------ who needs help, and their details

class WhoForm(PublicForm):
    who = RadioField("Who needs help?", choices=[("self", "Me"), ("someone", "Someone else")],
                     widget=GovRadioInput(), validators=[InputRequired("Select who needs help")])
    relationship = StringField("Your relationship to them", widget=GovTextInput(),
                               description="For example daughter, neighbour, friend or carer",
                               validators=[Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_relationship(self, field):
        if self.who.data == "someone" and not (field.data or "").strip():
            raise ValidationError("Enter your relationship to the person who needs help")


class NameForm(PublicForm):
    given_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired("Enter a first name"), Length(max=60)])
    family_name = StringField("Last name", widget=GovTextInput(),
                              validators=[InputRequired("Enter a last name"), Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class DateOfBirthForm(PublicForm):
    date_of_birth = GovDateField("Date of birth", called="Date of birth", description="For example, 27 3 1948",
                                 validators=[needed("Enter the date of birth"), date_of_birth_rules])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class AddressForm(PublicForm):
    address_line_1 = StringField("Address line 1", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the first line of the address"), Length(max=100)])
    address_line_2 = StringField("Address line 2 (optional)", widget=GovTextInput(),
                                 validators=[Optional(), Length(max=100)])
    town = StringField("Town or city (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=60)])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           filters=[lambda v: normalise_postcode(v) if v else v],
                           validators=[InputRequired("Enter a postcode"), Postcode(), Length(max=10)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class NHSNumberForm(PublicForm):
    nhs_number = StringField("NHS number (optional)", widget=GovTextInput(),
                             description="It is 10 digits long, like 485 777 3457. You can find it on letters from "
                                         "the NHS or in the NHS App. Leave it empty if you do not know it.",
                             validators=[Optional(), NHSNumber(), Length(max=14)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class YourNameForm(PublicForm):
    your_name = StringField("What is your name?", widget=GovTextInput(),
                            validators=[InputRequired("Enter your full name"), Length(max=100)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class ConsentForm(PublicForm):
    consent = RadioField("Do they know you are asking for help, and agree?",
                         choices=[("yes", "Yes, they agree"),
                                  ("cannot", "They cannot decide this themselves, and it is in their best interest")],
                         widget=GovRadioInput(), validators=[InputRequired("Select whether the person agrees")])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


# ------------------------------------------------------------------ how to contact

class ContactForm(PublicForm):
    phone = StringField("Phone number", widget=GovTextInput(), validators=[Length(max=40)])
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[Optional(), Email("Enter an email address in the correct format, "
                                                      "like name@example.com"), Length(max=254)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_phone(self, field):
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError("Enter a phone number or an email address so we can contact you")
        digits = "".join(ch for ch in field.data or "" if ch.isdigit())
        if field.data and not 10 <= len(digits) <= 13:
            raise ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")


class FormatsForm(PublicForm):
    communication_needs = SelectMultipleField(
        "Do they need information in another format, or an interpreter?", choices=list(COMMUNICATION_NEEDS.items()),
        widget=GovCheckboxesInput(), description="Select all that apply. Leave them empty if not",
        validators=[Optional()])
    interpreter_language = StringField("Which language?", widget=GovTextInput(), validators=[Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_interpreter_language(self, field):
        if "interpreter" in (self.communication_needs.data or []):
            if not (field.data or "").strip():
                raise ValidationError("Enter the language they need an interpreter for")
        else:
            field.data = ""  # no interpreter asked for: a language typed and then unticked is not kept


# ------------------------------------------------------------------ the help they need

class NeedsForm(PublicForm):
    needs = SelectMultipleField("What would help?", choices=[(key, words[0]) for key, words in NEED_WORDS.items()],
                                widget=GovCheckboxesInput(), description="Select all that apply",
                                validators=[InputRequired("Select what would help")])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class WhatIsHardForm(PublicForm):
    help_wanted = TextAreaField("What is hard at the moment, and what would they like to be able to do?",
                                widget=GovCharacterCount(),
                                description="For example, getting up the stairs to the bathroom, or getting in and "
                                            "out of the bath",
                                validators=[InputRequired("Tell us what is hard at the moment"),
                                            Length(max=HELP_WANTED_MAX, message="What is hard must be "
                                                   f"{HELP_WANTED_MAX} characters or less")])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class HospitalForm(PublicForm):
    hospital = yes_no("Are they in hospital and waiting to come home?", "Select yes if they are in hospital")
    discharge_date = GovDateField("When are they due to come home? (optional)",
                                  called="The date they are due to come home",
                                  description="For example, 27 3 2027. Leave it empty if no date is set yet.")
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    # Set by the view for a hospital discharge referral (a professional's self-assessment for
    # someone in hospital): the planned discharge date is then needed.
    discharge_required = False

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        field = self.discharge_date
        if self.hospital.data != "yes":
            field.errors, field.data = [], None  # a date under "No" is not an answer
            return not any(f.errors for f in self) and not self.form_errors
        if self.discharge_required and field.data is None and not field.errors:
            field.errors = ["Enter the date they are due to leave hospital, like 27 3 2027"]
            valid = False
        return valid

    def validate_discharge_date(self, field):
        if self.hospital.data != "yes" or field.data is None:
            return
        if field.data < today():
            raise ValidationError("The date they are due to leave hospital must be today or in the future")
        if field.data > today() + timedelta(days=365):
            raise ValidationError("The date they are due to leave hospital must be within the next year")


class FallsForm(PublicForm):
    fallen_recently = yes_no("Have they had a fall in the last 3 months?", "Select yes if they have had a fall")
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class CarerForm(PublicForm):
    carer_struggling = RadioField("Is someone who looks after them finding it very hard to keep going?",
                                  choices=[("yes", "Yes"), ("no", "No"), ("no_carer", "Nobody looks after them")],
                                  widget=GovRadioInput(),
                                  description="For example a partner, son or daughter who helps them every day",
                                  validators=[InputRequired("Select yes if someone who looks after them is finding "
                                                            "it very hard")])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


# ------------------------------------------------------------------ send, and follow

class ConfirmForm(PublicForm):
    submission_key = StringField()
    submit = SubmitField("Send my request", widget=GovSubmitInput())


class TrackForm(PublicForm):
    reference = StringField("Reference", widget=GovTextInput(), description="For example R-7K3M-9P2Q",
                            validators=[InputRequired("Enter your reference"), Length(max=20)])
    date_of_birth = GovDateField("Date of birth of the person the request is for", called="Date of birth",
                                 validators=[needed("Enter the date of birth, like 27 3 1948")])
    submit = SubmitField("Check progress", widget=GovSubmitInput())


def suggested_priority(help_answers: dict) -> str:
    """Screening answers suggest a priority; triage decides."""
    if help_answers.get("hospital") == "yes" or help_answers.get("carer_struggling") == "yes":
        return "urgent"
    if help_answers.get("fallen_recently") == "yes":
        return "high"
    return "routine"
