"""The public 'ask for help' journey: a few short question pages, then check your answers."""

import re
from datetime import timedelta

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.people.models import COMMUNICATION_NEEDS
from portal.people.validators import DateOfBirth, NHSNumber, Postcode, normalise_postcode
from portal.referrals.models import NEEDS
from portal.timeutil import today
from portal.web.widgets import DateInput

CONTINUE = "Continue"
# Characters no one types and the database cannot store (PostgreSQL refuses a NUL byte in text).
HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


class WhoForm(PublicForm):
    who = RadioField("Who needs help?", choices=[("self", "Me"), ("someone", "Someone I care for or support")],
                     widget=GovRadioInput(), validators=[InputRequired("Select who needs help")])
    relationship = StringField("Your relationship to them", widget=GovTextInput(),
                               description="For example daughter, neighbour, friend",
                               validators=[Length(max=80)])
    your_name = StringField("Your full name", widget=GovTextInput(), validators=[Length(max=160)])
    consent = RadioField("Do they know you are asking for help, and agree?",
                         choices=[("yes", "Yes, they agree"),
                                  ("cannot", "They cannot decide this themselves, and it is in their best interest")],
                         widget=GovRadioInput(), validate_choice=False)
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_relationship(self, field):
        if self.who.data == "someone" and not (field.data or "").strip():
            raise ValidationError("Enter your relationship to the person")

    def validate_your_name(self, field):
        if self.who.data == "someone" and not (field.data or "").strip():
            raise ValidationError("Enter your full name")

    def validate_consent(self, field):
        if self.who.data == "someone" and field.data not in ("yes", "cannot"):
            raise ValidationError("Select whether the person agrees")


class DetailsForm(PublicForm):
    given_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired("Enter a first name"), Length(max=100)])
    family_name = StringField("Last name", widget=GovTextInput(),
                              validators=[InputRequired("Enter a last name"), Length(max=100)])
    date_of_birth = DateField("Date of birth", widget=DateInput(), format="%d %m %Y",
                              validators=[InputRequired("Enter a date of birth, like 27 3 1948"), DateOfBirth()])
    address_line_1 = StringField("Address line 1", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the first line of the address"), Length(max=200)])
    address_line_2 = StringField("Address line 2 (optional)", widget=GovTextInput(),
                                 validators=[Optional(), Length(max=200)])
    town = StringField("Town or city", widget=GovTextInput(), validators=[Optional(), Length(max=100)])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           filters=[lambda v: normalise_postcode(v) if v else v],
                           validators=[InputRequired("Enter a postcode"), Postcode(), Length(max=10)])
    nhs_number = StringField("NHS number (optional)", widget=GovTextInput(),
                             description="It is 10 digits long, like 485 777 3457. You can find it on letters from "
                                         "the NHS or in the NHS App.",
                             validators=[Optional(), NHSNumber(), Length(max=14)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class ContactForm(PublicForm):
    phone = StringField("Phone number", widget=GovTextInput(), validators=[Length(max=40)])
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[Optional(), Email("Enter an email address in the correct format, "
                                                      "like name@example.com"), Length(max=254)])
    communication_needs = SelectMultipleField(
        "Do they need information in another format?", choices=list(COMMUNICATION_NEEDS.items()),
        widget=GovCheckboxesInput(), description="Select all that apply", validators=[Optional()])
    interpreter_language = StringField("Which language?", widget=GovTextInput(), validators=[Length(max=80)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_phone(self, field):
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError("Enter a phone number or an email address so we can contact you")
        digits = "".join(ch for ch in field.data or "" if ch.isdigit())
        if field.data and not 10 <= len(digits) <= 13:
            raise ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")

    def validate_interpreter_language(self, field):
        if "interpreter" in (self.communication_needs.data or []) and not (field.data or "").strip():
            raise ValidationError("Enter the language they need an interpreter for")


class HelpForm(PublicForm):
    needs = SelectMultipleField("What help are you asking for?", choices=list(NEEDS.items()),
                                widget=GovCheckboxesInput(), description="Select all that apply. If you are not "
                                "sure, select OT assessment.", validators=[InputRequired("Select the help you need")])
    help_wanted = TextAreaField("Tell us what is hard at the moment, and what you would like to be able to do",
                                widget=GovTextArea(), validators=[InputRequired("Tell us what help is needed"),
                                                                  Length(max=3000)])
    hospital = RadioField("Are they in hospital and waiting to come home?", choices=[("yes", "Yes"), ("no", "No")],
                          widget=GovRadioInput(), validators=[InputRequired("Select yes if they are in hospital")])
    fallen_recently = RadioField("Have they fallen in the last 3 months?", choices=[("yes", "Yes"), ("no", "No")],
                                 widget=GovRadioInput(), validators=[InputRequired("Select yes if they have fallen")])
    discharge_date = DateField("If they are in hospital, when are they due to come home? (optional)",
                               widget=DateInput(), format="%d %m %Y", validators=[Optional()],
                               description="For example, 27 3 2027. Leave it empty if no date is set yet.")
    carer_struggling = RadioField("Is a carer finding it very hard to keep caring?",
                                  choices=[("yes", "Yes"), ("no", "No"), ("no_carer", "There is no carer")],
                                  widget=GovRadioInput(),
                                  validators=[InputRequired("Select an answer about the carer")])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    # Set by the view for a hospital discharge referral (a professional's self-assessment for
    # someone in hospital): the planned discharge date is then needed.
    discharge_required = False

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        field = self.discharge_date
        if (self.discharge_required and self.hospital.data == "yes" and field.data is None
                and not field.errors):
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


class ConfirmForm(PublicForm):
    submission_key = StringField()
    submit = SubmitField("Send my request", widget=GovSubmitInput())


class TrackForm(PublicForm):
    reference = StringField("Reference", widget=GovTextInput(), description="For example R-7K3M-9P2Q",
                            validators=[InputRequired("Enter your reference"), Length(max=20)])
    date_of_birth = DateField("Date of birth of the person the request is for", widget=DateInput(),
                              format="%d %m %Y", validators=[InputRequired("Enter the date of birth, like 27 3 1948")])
    submit = SubmitField("Check progress", widget=GovSubmitInput())


def suggested_priority(help_answers: dict) -> str:
    """Screening answers suggest a priority; triage decides."""
    if help_answers.get("hospital") == "yes" or help_answers.get("carer_struggling") == "yes":
        return "urgent"
    if help_answers.get("fallen_recently") == "yes":
        return "high"
    return "routine"
