from flask_babel import gettext as _
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.people.models import COMMUNICATION_NEEDS, CONTACT_ROLES, NHS_NUMBER_OWNERS
from portal.web.i18n import lazy_text as _l


def no_nul(form, field):
    """A NUL byte cannot be stored (PostgreSQL refuses it): say so, rather than fail the save."""
    if "\x00" in (field.data or ""):
        raise ValidationError(_("Remove the unusual characters from this answer"))


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[InputRequired(_l("Enter the contact's name")),
                                                                    Length(max=160), no_nul])
    role = SelectField(_l("Role"), choices=list(CONTACT_ROLES.items()), widget=GovSelect(),
                       validators=[InputRequired(_l("Select the contact's role"))])
    relationship_to_person = StringField(_l("Relationship (optional)"), widget=GovTextInput(),
                                         description=_l("For example daughter, neighbour"),
                                         validators=[Optional(), Length(max=80), no_nul])
    phone = StringField(_l("Phone number"), widget=GovTextInput(),
                        validators=[InputRequired(_l("Enter a phone number")),
                                                                           Length(max=40), no_nul])
    email = StringField(_l("Email (optional)"), widget=GovTextInput(),
                        validators=[Optional(), Email(_l("Enter an email address in the correct format")),
                                    Length(max=254), no_nul])
    submit = SubmitField(_l("Add contact"), widget=GovSubmitInput())


class ConsentForm(FlaskForm):
    what = StringField(_l("What was agreed"), widget=GovTextInput(),
                       description=_l("For example sharing information with the telecare monitoring centre"),
                       validators=[InputRequired(_l("Enter what was agreed")), Length(max=200), no_nul])
    given_by = StringField(_l("Given by"), widget=GovTextInput(),
                           description=_l("The person, or who decided in their best interest"),
                           validators=[InputRequired(_l("Enter who gave consent")), Length(max=160), no_nul])
    capacity_note = TextAreaField(_l("Capacity (optional)"), widget=GovTextArea(),
                                  description=_l("How capacity was judged, or the best-interest decision"),
                                  validators=[Optional(), Length(max=2000), no_nul])
    submit = SubmitField(_l("Record consent"), widget=GovSubmitInput())


class IdentitySameForm(FlaskForm):
    version = HiddenField()
    referral = HiddenField()
    same_reason = TextAreaField(_l("How you know (optional)"), widget=GovTextArea(),
                                description=_l("For example, confirmed the address with the person on the phone"),
                                validators=[Optional(), Length(max=2000), no_nul])
    submit = SubmitField(_l("Same person: join the records"), widget=GovSubmitInput())


class IdentityDifferentForm(FlaskForm):
    version = HiddenField()
    referral = HiddenField()
    nhs_number_owner = RadioField(_l("Whose NHS number is it?"), choices=list(NHS_NUMBER_OWNERS.items()),
                                  widget=GovRadioInput(),
                                  validators=[InputRequired(_l("Select whose NHS number it is"))])
    reason = TextAreaField(_l("How you know they are different people"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter how you know they are different people")),
                                       Length(max=2000), no_nul])
    submit = SubmitField(_l("Different people: keep the records apart"), widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    """A person's contact details (people.services.change_details checks them again)."""

    version = HiddenField()
    phone = StringField(_l("Phone number (optional)"), widget=GovTextInput(),
                        validators=[Optional(), Length(max=40,
                                                       message=_l("Phone number must be 40 characters or fewer")),
                                    no_nul])
    email = StringField(_l("Email (optional)"), widget=GovTextInput(),
                        validators=[Optional(), Length(max=254), no_nul,
                                    Email(_l("Enter an email address in the correct format, like name@example.com"))])
    address_line_1 = StringField(_l("Address line 1"), widget=GovTextInput(),
                                 validators=[InputRequired(_l("Enter the first line of the address")),
                                             Length(max=200,
                                                    message=_l("Address line 1 must be 200 characters or fewer")),
                                             no_nul])
    address_line_2 = StringField(_l("Address line 2 (optional)"), widget=GovTextInput(),
                                 validators=[Optional(), Length(max=200), no_nul])
    town = StringField(_l("Town or city (optional)"), widget=GovTextInput(),
                       validators=[Optional(), Length(max=100), no_nul])
    postcode = StringField(_l("Postcode"), widget=GovTextInput(),
                           validators=[InputRequired(_l("Enter the postcode")), no_nul,
                                       Length(max=10, message=_l("Enter a real postcode, like AA1 1AA"))])
    communication_needs = SelectMultipleField(_l("Communication needs (optional)"),
                                              choices=list(COMMUNICATION_NEEDS.items()), widget=GovCheckboxesInput(),
                                              validators=[Optional()], description=_l("Select all that apply"))
    interpreter_language = StringField(_l("Language the interpreter needs to speak"), widget=GovTextInput(),
                                       description=_l("Only if they need an interpreter"),
                                       validators=[Optional(), Length(max=80), no_nul])
    submit = SubmitField(_l("Save changes"), widget=GovSubmitInput())
