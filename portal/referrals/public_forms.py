"""The public 'ask for help' journey: one question a page (GOV.UK "one thing per page"), then
check your answers. Each page is a small form; the view keeps the accepted answers in the session.

Words are the public's, not the team's: the needs are described by what they do ("an alarm that
calls for help"), and the team's names for them (telecare, OT assessment) are only in hints."""

import re
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from portal.web.i18n import N_

CONTINUE = _l("Continue")
# Characters no one types and the database cannot store (PostgreSQL refuses a NUL byte in text).
HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The longest "what is hard" answer. The answers travel in the session cookie (4 KB at most), so
# every text answer is bounded (the view also refuses an answer that would overfill the cookie);
# tests/integration/referrals/test_public_pages.py checks the largest answers fit.
HELP_WANTED_MAX = 800

# The help a person can ask for, in their words, with the team's words as a hint.
NEED_WORDS = {
    "telecare": (N_("An alarm or sensors that call for help"),
                 N_("For example a button worn on the wrist or round the neck, or a sensor that notices a fall "
                 "(telecare)")),
    "equipment": (N_("Equipment to make everyday tasks easier or safer"),
                  N_("For example a raised toilet seat, a bath seat, a perching stool or a walking frame")),
    "minor_adaptation": (N_("Small changes to the home"),
                         N_("For example grab rails, an extra stair rail or a lower step at the door")),
    "major_adaptation": (N_("Bigger changes to the home"),
                         N_("For example a level-access shower, a stairlift or a ramp. A Disabled Facilities "
                         "Grant can help to pay for these")),
    "ot_assessment": (N_("A visit to work out what would help"),
                      N_("An occupational therapist visits and looks at what is hard. Choose this if you "
                         "are not sure")),
    "falls": (N_("Help with falls"),
              N_("For example after a fall, or to make falls less likely")),
}
assert set(NEED_WORDS) == set(NEEDS)

# The formats and interpreter a person can ask for, as the public pages show them (translated).
COMMUNICATION_NEED_WORDS = {
    "large_print": _l("Large print"),
    "easy_read": _l("Easy Read"),
    "bsl": _l("British Sign Language (BSL)"),
    "interpreter": _l("An interpreter"),
    "braille": _l("Braille"),
    "hearing_loop": _l("Hearing loop"),
}
assert set(COMMUNICATION_NEED_WORDS) == set(COMMUNICATION_NEEDS)


class PublicForm(FlaskForm):
    """A public form. Text with a hidden control character (a NUL byte, say) comes back to the
    person with a message on that field, rather than failing when it is saved."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            if isinstance(field.data, str) and HIDDEN.search(field.data) and not field.errors:
                field.errors = [_("%(field)s contains a hidden character. Type it again rather than "
                                  "pasting it", field=field.label.text)]
                valid = False
        return valid


def yes_no(label: str, message: str, **kwargs) -> RadioField:
    return RadioField(label, choices=[("yes", _l("Yes")), ("no", _l("No"))], widget=GovRadioInput(),
                      validators=[InputRequired(message)], **kwargs)


# ------------------------------------------------------------------ who needs help, and their details

class WhoForm(PublicForm):
    who = RadioField(_l("Who needs help?"), choices=[("self", _l("Me")), ("someone", _l("Someone else"))],
                     widget=GovRadioInput(), validators=[InputRequired(_l("Select who needs help"))])
    relationship = StringField(_l("Your relationship to them"), widget=GovTextInput(),
                               description=_l("For example daughter, neighbour, friend or carer"),
                               validators=[Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_relationship(self, field):
        if self.who.data == "someone" and not (field.data or "").strip():
            raise ValidationError(_l("Enter your relationship to the person who needs help"))


class NameForm(PublicForm):
    given_name = StringField(_l("First name"), widget=GovTextInput(),
                             validators=[InputRequired(_l("Enter a first name")), Length(max=60)])
    family_name = StringField(_l("Last name"), widget=GovTextInput(),
                              validators=[InputRequired(_l("Enter a last name")), Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class DateOfBirthForm(PublicForm):
    date_of_birth = GovDateField(_l("Date of birth"), called=_l("Date of birth"),
                                 description=_l("For example, 27 3 1948"),
                                 validators=[needed(_l("Enter the date of birth")), date_of_birth_rules])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class AddressForm(PublicForm):
    address_line_1 = StringField(_l("Address line 1"), widget=GovTextInput(),
                                 validators=[InputRequired(_l("Enter the first line of the address")), Length(max=100)])
    address_line_2 = StringField(_l("Address line 2 (optional)"), widget=GovTextInput(),
                                 validators=[Optional(), Length(max=100)])
    town = StringField(_l("Town or city (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=60)])
    postcode = StringField(_l("Postcode"), widget=GovTextInput(),
                           filters=[lambda v: normalise_postcode(v) if v else v],
                           validators=[InputRequired(_l("Enter a postcode")), Postcode(), Length(max=10)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class NHSNumberForm(PublicForm):
    nhs_number = StringField(_l("NHS number (optional)"), widget=GovTextInput(),
                             description=_l("It is 10 digits long, like 485 777 3457. You can find it on letters from "
                                         "the NHS or in the NHS App. Leave it empty if you do not know it."),
                             validators=[Optional(), NHSNumber(), Length(max=14)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class YourNameForm(PublicForm):
    your_name = StringField(_l("What is your name?"), widget=GovTextInput(),
                            validators=[InputRequired(_l("Enter your full name")), Length(max=100)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class ConsentForm(PublicForm):
    consent = RadioField(_l("Do they know you are asking for help, and agree?"),
                         choices=[("yes", _l("Yes, they agree")),
                                  ("cannot", _l("They cannot decide this themselves, and it is in their "
                                                "best interest"))],
                         widget=GovRadioInput(), validators=[InputRequired(_l("Select whether the person agrees"))])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


# ------------------------------------------------------------------ how to contact

class ContactForm(PublicForm):
    phone = StringField(_l("Phone number"), widget=GovTextInput(), validators=[Length(max=40)])
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[Optional(), Email(_l("Enter an email address in the correct format, "
                                                      "like name@example.com")), Length(max=254)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_phone(self, field):
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError(_l("Enter a phone number or an email address so we can contact you"))
        digits = "".join(ch for ch in field.data or "" if ch.isdigit())
        if field.data and not 10 <= len(digits) <= 13:
            raise ValidationError(_l("Enter a phone number, like 01632 960 001 or 07700 900 982"))


class FormatsForm(PublicForm):
    communication_needs = SelectMultipleField(
        _l("Do they need information in another format, or an interpreter?"),
        choices=list(COMMUNICATION_NEED_WORDS.items()),
        widget=GovCheckboxesInput(), description=_l("Select all that apply. Leave them empty if not"),
        validators=[Optional()])
    interpreter_language = StringField(_l("Which language?"), widget=GovTextInput(), validators=[Length(max=60)])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())

    def validate_interpreter_language(self, field):
        if "interpreter" in (self.communication_needs.data or []):
            if not (field.data or "").strip():
                raise ValidationError(_l("Enter the language they need an interpreter for"))
        else:
            field.data = ""  # no interpreter asked for: a language typed and then unticked is not kept


# ------------------------------------------------------------------ the help they need

class NeedsForm(PublicForm):
    needs = SelectMultipleField(_l("What would help?"),
                                choices=[(key, _l(words[0])) for key, words in NEED_WORDS.items()],
                                widget=GovCheckboxesInput(), description=_l("Select all that apply"),
                                validators=[InputRequired(_l("Select what would help"))])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class WhatIsHardForm(PublicForm):
    help_wanted = TextAreaField(_l("What is hard at the moment, and what would they like to be able to do?"),
                                widget=GovCharacterCount(),
                                description=_l("For example, getting up the stairs to the bathroom, or getting in and "
                                            "out of the bath"),
                                validators=[InputRequired(_l("Tell us what is hard at the moment")),
                                            Length(max=HELP_WANTED_MAX,
                                                   message=_l("What is hard must be %(max)d characters or less",
                                                              max=HELP_WANTED_MAX))])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class HospitalForm(PublicForm):
    hospital = yes_no(_l("Are they in hospital and waiting to come home?"), _l("Select yes if they are in hospital"))
    discharge_date = GovDateField(_l("When are they due to come home? (optional)"),
                                  called=_l("The date they are due to come home"),
                                  description=_l("For example, 27 3 2027. Leave it empty if no date is set yet."))
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
            raise ValidationError(_l("The date they are due to leave hospital must be today or in the future"))
        if field.data > today() + timedelta(days=365):
            raise ValidationError(_l("The date they are due to leave hospital must be within the next year"))


class FallsForm(PublicForm):
    fallen_recently = yes_no(_l("Have they had a fall in the last 3 months?"), _l("Select yes if they have had a fall"))
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


class CarerForm(PublicForm):
    carer_struggling = RadioField(_l("Is someone who looks after them finding it very hard to keep going?"),
                                  choices=[("yes", _l("Yes")), ("no", _l("No")),
                                           ("no_carer", _l("Nobody looks after them"))],
                                  widget=GovRadioInput(),
                                  description=_l("For example a partner, son or daughter who helps them every day"),
                                  validators=[InputRequired(_l("Select yes if someone who looks after them is finding "
                                                            "it very hard"))])
    submit = SubmitField(CONTINUE, widget=GovSubmitInput())


# ------------------------------------------------------------------ send, and follow

class ConfirmForm(PublicForm):
    submission_key = StringField()
    submit = SubmitField(_l("Send my request"), widget=GovSubmitInput())


class TrackForm(PublicForm):
    reference = StringField(_l("Reference"), widget=GovTextInput(), description=_l("For example R-7K3M-9P2Q"),
                            validators=[InputRequired(_l("Enter your reference")), Length(max=20)])
    date_of_birth = GovDateField(_l("Date of birth of the person the request is for"), called=_l("Date of birth"),
                                 validators=[needed(_l("Enter the date of birth, like 27 3 1948"))])
    submit = SubmitField(_l("Check progress"), widget=GovSubmitInput())


def suggested_priority(help_answers: dict) -> str:
    """Screening answers suggest a priority; triage decides."""
    if help_answers.get("hospital") == "yes" or help_answers.get("carer_struggling") == "yes":
        return "urgent"
    if help_answers.get("fallen_recently") == "yes":
        return "high"
    return "routine"
