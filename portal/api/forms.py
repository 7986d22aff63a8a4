from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from portal.api.services import SCOPES


class NewClientForm(FlaskForm):
    name = StringField("Name of the system", widget=GovTextInput(),
                       description="For example: Mosaic (adult social care) or Millbrook General discharge team",
                       validators=[InputRequired("Enter the name of the system"), Length(max=120)])
    contact_email = EmailField("Contact email for the system's owners (optional)", widget=GovTextInput(),
                               validators=[Optional(), Email("Enter an email address in the correct format, like "
                                                             "name@example.com"), Length(max=254)])
    scopes = SelectMultipleField("What it may do", choices=[(k, f"{k}: {v}") for k, v in SCOPES.items()],
                                 widget=GovCheckboxesInput(), validators=[InputRequired("Select at least one scope")],
                                 description="Give only what the system needs.")
    rate_per_minute = IntegerField("Requests a minute", default=120, widget=GovTextInput(),
                                   validators=[InputRequired("Enter how many requests a minute it may make"),
                                               NumberRange(1, 6000, "Requests a minute must be between 1 and 6,000")])
    submit = SubmitField("Register and show the key", widget=GovSubmitInput())


class RevokeClientForm(FlaskForm):
    submit = SubmitField("Revoke the key", widget=GovSubmitInput())
