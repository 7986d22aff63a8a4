"""DFG forms: the public enquiry (one question a page) and the caseworker's actions."""

import re

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.dfg.models import DISCRETIONARY_REASONS, EVIDENCE_KINDS, TENURES, WORKS_TYPES
from portal.people.validators import DateOfBirth, Postcode
from portal.timeutil import today
from portal.web.dates import GovDateField, date_needed, date_of_birth_rules
from portal.web.forms import needed
from portal.web.i18n import lazy_text as _l
from portal.web.widgets import DateInput

_MONEY = re.compile(r"^£?\s*\d{1,3}(,?\d{3})*(\.\d{1,2})?$|^£?\s*\d+(\.\d{1,2})?$")

DIFFICULTIES = {
    "stairs": "Getting up and down stairs",
    "bathing": "Getting in and out of the bath or shower",
    "toilet": "Using the toilet",
    "getting_in_out": "Getting in and out of the home",
    "kitchen": "Using the kitchen",
    "moving_around": "Moving around the home, or using a wheelchair indoors",
    "bedroom": "Getting to or using a bedroom",
    "heating_controls": "Using heating or lighting controls",
    "other": "Something else",
}


class Money:
    def __init__(self, message: str = "Enter an amount in pounds, like 4500 or 4500.50") -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not _MONEY.match(field.data.strip()):
            raise ValidationError(self.message)


def _past(form, field) -> None:
    if field.data and field.data > today():
        raise ValidationError(_("%(label)s must be today or in the past", label=field.label.text))


# Public enquiry ----------------------------------------------------------------------------

# The words the public enquiry shows (translated); the staff pages use DIFFICULTIES and TENURES.
DIFFICULTY_WORDS = {
    "stairs": _l("Getting up and down stairs"),
    "bathing": _l("Getting in and out of the bath or shower"),
    "toilet": _l("Using the toilet"),
    "getting_in_out": _l("Getting in and out of the home"),
    "kitchen": _l("Using the kitchen"),
    "moving_around": _l("Moving around the home, or using a wheelchair indoors"),
    "bedroom": _l("Getting to or using a bedroom"),
    "heating_controls": _l("Using heating or lighting controls"),
    "other": _l("Something else"),
}
TENURE_WORDS = {
    "owner_occupier": _l("Owner-occupier"),
    "private_tenant": _l("Private tenant"),
    "council_tenant": _l("Council tenant"),
    "housing_association_tenant": _l("Housing association tenant"),
}
assert set(DIFFICULTY_WORDS) == set(DIFFICULTIES) and set(TENURE_WORDS) == set(TENURES)

class WhoForm(FlaskForm):
    who = RadioField(_l("Who is the grant for?"), widget=GovRadioInput(),
                     choices=[("adult", _l("An adult (18 or over)")),
                              ("child", _l("A disabled child or young person (under 18)"))],
                     validators=[InputRequired(_l("Select who the grant is for"))])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class TenureForm(FlaskForm):
    tenure = RadioField(_l("Who owns the home?"), widget=GovRadioInput(), choices=list(TENURE_WORDS.items()),
                        description=_l("Tenants can apply, but the landlord must agree to the changes."),
                        validators=[InputRequired(_l("Select who owns the home"))])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class DifficultiesForm(FlaskForm):
    difficulties = SelectMultipleField(_l("What is hard to do at home?"), widget=GovCheckboxesInput(),
                                       choices=list(DIFFICULTY_WORDS.items()), description=_l("Select all that apply."),
                                       validators=[InputRequired(_l("Select what is hard to do at home"))])
    details = TextAreaField(_l("Tell us more (optional)"), widget=GovTextArea(),
                            validators=[Optional(),
                                        Length(max=1000, message=_l("Details must be 1000 characters or fewer"))])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class NameForm(FlaskForm):
    given_name = StringField(_l("First name"), widget=GovTextInput(),
                             validators=[InputRequired(_l("Enter the first name")), Length(max=100)])
    family_name = StringField(_l("Last name"), widget=GovTextInput(),
                              validators=[InputRequired(_l("Enter the last name")), Length(max=100)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class DateOfBirthForm(FlaskForm):
    date_of_birth = GovDateField(_l("What is their date of birth?"), called=_l("Date of birth"),
                                 description=_l("For example, 27 3 1950"),
                                 validators=[date_needed(_l("Enter the date of birth")), date_of_birth_rules])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class AddressForm(FlaskForm):
    address_line_1 = StringField(_l("Address line 1"), widget=GovTextInput(),
                                 validators=[InputRequired(_l("Enter address line 1")), Length(max=200)])
    address_line_2 = StringField(_l("Address line 2 (optional)"), widget=GovTextInput(),
                                 validators=[Optional(), Length(max=200)])
    town = StringField(_l("Town or city"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter the town or city")), Length(max=100)])
    postcode = StringField(_l("Postcode"), widget=GovTextInput(),
                           validators=[InputRequired(_l("Enter the postcode")), Postcode()])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ContactForm(FlaskForm):
    phone = StringField(_l("Phone number (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email address (optional)"), widget=GovTextInput(), validators=[
        Optional(), Email(_l("Enter an email address in the correct format, like name@example.com")), Length(max=254)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())

    def validate_phone(self, field):
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError(_("Enter a phone number or an email address"))
        if field.data and not re.fullmatch(r"[0-9 +()-]{7,40}", field.data.strip()):
            raise ValidationError(_("Enter a phone number, like 01632 960 001 or 07700 900 982"))


class SubmitEnquiryForm(FlaskForm):
    submission_key = HiddenField()
    submit = SubmitField(_l("Send enquiry"), widget=GovSubmitInput())


ENQUIRY_STEPS = {
    "who": WhoForm, "tenure": TenureForm, "difficulties": DifficultiesForm, "name": NameForm,
    "date-of-birth": DateOfBirthForm, "address": AddressForm, "contact": ContactForm,
}


# Caseworker actions ------------------------------------------------------------------------

class VersionedForm(FlaskForm):
    version = HiddenField()


class DetailsForm(VersionedForm):
    applicants = StringField(_l("Applicant or applicants"), widget=GovTextInput(), validators=[Optional(),
                                                                                               Length(max=300)])
    locality = SelectField(_l("Locality"), widget=GovSelect(), choices=[], validators=[Optional()])
    works_types = SelectMultipleField(_l("Type of works"), widget=GovCheckboxesInput(),
                                      choices=list(WORKS_TYPES.items()),
                                      validators=[Optional()])
    includes_tecs = RadioField(_l("Does the grant include technology (TECS)?"), widget=GovRadioInput(),
                               choices=[("yes", _l("Yes")), ("no", _l("No"))], default="no",
                               validators=[InputRequired(_l("Select whether the grant includes technology"))])
    contractor = StringField(_l("Contractor"), widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    landlord_name = StringField(_l("Landlord"), widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save details"), widget=GovSubmitInput())


class LandlordConsentForm(VersionedForm):
    consent_date = DateField(_l("Date the landlord consented"), widget=DateInput(), format="%d %m %Y",
                             validators=[InputRequired(_l("Enter the date the landlord consented")), _past])
    consent_by = StringField(_l("Who gave consent for the landlord"), widget=GovTextInput(),
                             validators=[InputRequired(_l("Enter who gave consent for the landlord")), Length(max=160)])
    submit = SubmitField(_l("Record consent"), widget=GovSubmitInput())


class TestOfResourcesForm(VersionedForm):
    passported = RadioField(_l("Does the applicant get a passporting benefit?"), widget=GovRadioInput(),
                            choices=[("yes", _l("Yes – nil contribution")), ("no",
                                                                             _l("No – assess income and savings"))],
                            validators=[InputRequired(_l("Select whether the applicant gets a passporting benefit"))])
    benefit = StringField(_l("Passporting benefit"), widget=GovTextInput(),
                          description=_l("For example Universal Credit, Pension Credit (guarantee credit)"),
                          validators=[Optional(), Length(max=120)])
    weekly_income = StringField(_l("Weekly income (£)"), widget=GovTextInput(), validators=[Optional(), Money()])
    weekly_allowances = StringField(_l("Weekly allowances and premiums (£)"), widget=GovTextInput(),
                                    validators=[Optional(), Money()])
    savings = StringField(_l("Savings and capital (£)"), widget=GovTextInput(), validators=[Optional(), Money()])
    submit = SubmitField(_l("Record test of resources"), widget=GovSubmitInput())

    def validate_benefit(self, field):
        if self.passported.data == "yes" and not (field.data or "").strip():
            raise ValidationError(_("Enter the passporting benefit"))

    def validate_weekly_income(self, field):
        if self.passported.data == "no" and not (field.data or "").strip():
            raise ValidationError(_("Enter the weekly income"))


class OTRecommendationForm(VersionedForm):
    what = TextAreaField(_l("What the OT recommends"), widget=GovTextArea(),
                         validators=[InputRequired(_l("Enter what the OT recommends")), Length(max=2000)])
    why = TextAreaField(_l("Why"), widget=GovTextArea(),
                        validators=[InputRequired(_l("Enter why the OT recommends it")), Length(max=2000)])
    necessary_appropriate = RadioField(
        _l("Are the works necessary and appropriate?"), widget=GovRadioInput(), choices=[("yes", _l("Yes")), ("no",
                                                                                                              _l("No"))],
        validators=[InputRequired(_l("Select whether the works are necessary and appropriate"))])
    ot = SelectField(_l("Occupational therapist"), widget=GovSelect(), choices=[], validators=[Optional()])
    ot_name = StringField(_l("Or the OT's name, if they do not use the portal"), widget=GovTextInput(),
                          validators=[Optional(), Length(max=160)])
    submit = SubmitField(_l("Record recommendation"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        return needed((not self.ot.data and not (self.ot_name.data or "").strip(), self.ot_name,
                       _("Select the occupational therapist or enter their name"))) and valid


class QuoteForm(FlaskForm):
    contractor = StringField(_l("Contractor"), widget=GovTextInput(),
                             validators=[InputRequired(_l("Enter the contractor")), Length(max=200)])
    amount = StringField(_l("Amount (£)"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter the amount of the quote")), Money()])
    received_on = DateField(_l("Date received"), widget=DateInput(), format="%d %m %Y",
                            validators=[InputRequired(_l("Enter the date the quote was received")), _past])
    submit = SubmitField(_l("Add quote"), widget=GovSubmitInput())


class DateActionForm(VersionedForm):
    on = DateField(_l("Date"), widget=DateInput(), format="%d %m %Y",
                   validators=[InputRequired(_l("Enter the date")), _past])
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class CompleteForm(VersionedForm):
    completed_on = DateField(_l("Date the works were completed"), widget=DateInput(), format="%d %m %Y",
                             validators=[InputRequired(_l("Enter the date the works were completed")), _past])
    inspected_on = DateField(_l("Date the works were inspected"), widget=DateInput(), format="%d %m %Y",
                             validators=[InputRequired(_l("Enter the date the works were inspected")), _past])
    submit = SubmitField(_l("Record completion"), widget=GovSubmitInput())


class ApproveForm(VersionedForm):
    fees = StringField(_l("Allowed fees (£, optional)"), widget=GovTextInput(),
                       description=_l("Agency, surveyor, architect, planning and building control fees that are part "
                                   "of the eligible cost"),
                       validators=[Optional(), Money()])
    discretionary = StringField(_l("Discretionary assistance (£, optional)"), widget=GovTextInput(),
                                validators=[Optional(), Money()])
    discretionary_reason = SelectField(_l("Policy reason for discretionary assistance"), widget=GovSelect(),
                                       choices=[("", "None")] + list(DISCRETIONARY_REASONS.items()),
                                       validators=[Optional()])
    decision_date = DateField(_l("Date of the decision"), widget=DateInput(), format="%d %m %Y",
                              validators=[InputRequired(_l("Enter the date of the decision")), _past])
    late_reason = TextAreaField(_l("Why is the decision later than 6 months after the full application?"),
                                widget=GovTextArea(), validators=[Optional(), Length(max=2000)],
                                description=_l("The law gives 6 months. The reason is kept on the case and shown in "
                                            "the DFG figures."))
    submit = SubmitField(_l("Approve grant"), widget=GovSubmitInput())


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter the reason")), Length(max=2000)])
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class PaymentForm(FlaskForm):
    submission_key = HiddenField()
    amount = StringField(_l("Amount paid (£)"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter the amount paid")), Money()])
    paid_on = DateField(_l("Date paid"), widget=DateInput(), format="%d %m %Y",
                        validators=[InputRequired(_l("Enter the date paid")), _past])
    payee = StringField(_l("Paid to (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    work_done = StringField(_l("Value of the work done so far (£, optional)"), widget=GovTextInput(),
                            description=_l("From the valuation or the contractor's interim account. Instalments during "
                                        "the works can be at most 90% of it."),
                            validators=[Optional(), Money()])
    submit = SubmitField(_l("Record payment"), widget=GovSubmitInput())


class WithdrawQuoteForm(VersionedForm):
    quote = SelectField(_l("Quote to withdraw"), widget=GovSelect(), choices=[],
                        validators=[InputRequired(_l("Select the quote to withdraw"))])
    reason = TextAreaField(_l("Why is the quote withdrawn?"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter why the quote is withdrawn")), Length(max=2000)])
    submit = SubmitField(_l("Withdraw quote"), widget=GovSubmitInput())


class CorrectDateOfBirthForm(VersionedForm):
    date_of_birth = DateField(_l("Correct date of birth"), widget=DateInput(), format="%d %m %Y",
                              description=_l("For example, 27 3 2012. Whether there is a test of resources follows "
                                          "from it."),
                              validators=[InputRequired(_l("Enter the date of birth")), DateOfBirth()])
    submit = SubmitField(_l("Correct date of birth"), widget=GovSubmitInput())


class EvidenceForm(FlaskForm):
    kind = SelectField(_l("Type of evidence"), widget=GovSelect(), choices=list(EVIDENCE_KINDS.items()),
                       validators=[InputRequired(_l("Select the type of evidence"))])
    description = StringField(_l("Description (optional)"), widget=GovTextInput(), validators=[Optional(),
                                                                                               Length(max=300)])
    file = FileField(_l("Upload a file"), widget=GovFileInput())  # the hint names the size limit: evidence_form()
    submit = SubmitField(_l("Upload"), widget=GovSubmitInput())
