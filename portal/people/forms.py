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


def no_nul(form, field):
    """A NUL byte cannot be stored (PostgreSQL refuses it): say so, rather than fail the save."""
    if "\x00" in (field.data or ""):
        raise ValidationError("Remove the unusual characters from this answer")


class ContactForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), validators=[InputRequired("Enter the contact's name"),
                                                                    Length(max=160), no_nul])
    role = SelectField("Role", choices=list(CONTACT_ROLES.items()), widget=GovSelect(),
                       validators=[InputRequired("Select the contact's role")])
    relationship_to_person = StringField("Relationship (optional)", widget=GovTextInput(),
                                         description="For example daughter, neighbour",
                                         validators=[Optional(), Length(max=80), no_nul])
    phone = StringField("Phone number", widget=GovTextInput(), validators=[InputRequired("Enter a phone number"),
                                                                           Length(max=40), no_nul])
    email = StringField("Email (optional)", widget=GovTextInput(),
                        validators=[Optional(), Email("Enter an email address in the correct format"),
                                    Length(max=254), no_nul])
    submit = SubmitField("Add contact", widget=GovSubmitInput())


class ConsentForm(FlaskForm):
    what = StringField("What was agreed", widget=GovTextInput(),
                       description="For example sharing information with the telecare monitoring centre",
                       validators=[InputRequired("Enter what was agreed"), Length(max=200), no_nul])
    given_by = StringField("Given by", widget=GovTextInput(),
                           description="The person, or who decided in their best interest",
                           validators=[InputRequired("Enter who gave consent"), Length(max=160), no_nul])
    capacity_note = TextAreaField("Capacity (optional)", widget=GovTextArea(),
                                  description="How capacity was judged, or the best-interest decision",
                                  validators=[Optional(), Length(max=2000), no_nul])
    submit = SubmitField("Record consent", widget=GovSubmitInput())


class IdentitySameForm(FlaskForm):
    version = HiddenField()
    referral = HiddenField()
    same_reason = TextAreaField("How you know (optional)", widget=GovTextArea(),
                                description="For example, confirmed the address with the person on the phone",
                                validators=[Optional(), Length(max=2000), no_nul])
    submit = SubmitField("Same person: join the records", widget=GovSubmitInput())


class IdentityDifferentForm(FlaskForm):
    version = HiddenField()
    referral = HiddenField()
    nhs_number_owner = RadioField("Whose NHS number is it?", choices=list(NHS_NUMBER_OWNERS.items()),
                                  widget=GovRadioInput(),
                                  validators=[InputRequired("Select whose NHS number it is")])
    reason = TextAreaField("How you know they are different people", widget=GovTextArea(),
                           validators=[InputRequired("Enter how you know they are different people"),
                                       Length(max=2000), no_nul])
    submit = SubmitField("Different people: keep the records apart", widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    """A person's contact details (people.services.change_details checks them again)."""

    version = HiddenField()
    phone = StringField("Phone number (optional)", widget=GovTextInput(),
                        validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"),
                                    no_nul])
    email = StringField("Email (optional)", widget=GovTextInput(),
                        validators=[Optional(), Length(max=254), no_nul,
                                    Email("Enter an email address in the correct format, like name@example.com")])
    address_line_1 = StringField("Address line 1", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the first line of the address"),
                                             Length(max=200, message="Address line 1 must be 200 characters or fewer"),
                                             no_nul])
    address_line_2 = StringField("Address line 2 (optional)", widget=GovTextInput(),
                                 validators=[Optional(), Length(max=200), no_nul])
    town = StringField("Town or city (optional)", widget=GovTextInput(),
                       validators=[Optional(), Length(max=100), no_nul])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           validators=[InputRequired("Enter the postcode"), no_nul,
                                       Length(max=10, message="Enter a real postcode, like AA1 1AA")])
    communication_needs = SelectMultipleField("Communication needs (optional)",
                                              choices=list(COMMUNICATION_NEEDS.items()), widget=GovCheckboxesInput(),
                                              validators=[Optional()], description="Select all that apply")
    interpreter_language = StringField("Language the interpreter needs to speak", widget=GovTextInput(),
                                       description="Only if they need an interpreter",
                                       validators=[Optional(), Length(max=80), no_nul])
    submit = SubmitField("Save changes", widget=GovSubmitInput())
