from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from portal.api.services import SCOPES
from portal.web.i18n import lazy_text as _l


class NewClientForm(FlaskForm):
    name = StringField(_l("Name of the system"), widget=GovTextInput(),
                       description=_l("For example: Mosaic (adult social care) or Millbrook General discharge team"),
                       validators=[InputRequired(_l("Enter the name of the system")), Length(max=120)])
    contact_email = EmailField(_l("Contact email for the system's owners (optional)"), widget=GovTextInput(),
                               validators=[Optional(), Email(_l("Enter an email address in the correct format, like "
                                                                "name@example.com")), Length(max=254)])
    scopes = SelectMultipleField(_l("What it may do"), choices=[(k, f"{k}: {v}") for k, v in SCOPES.items()],
                                 widget=GovCheckboxesInput(),
                                 validators=[InputRequired(_l("Select at least one scope"))],
                                 description=_l("Give only what the system needs."))
    rate_per_minute = IntegerField(_l("Requests a minute"), default=120, widget=GovTextInput(),
                                   validators=[InputRequired(_l("Enter how many requests a minute it may make")),
                                               NumberRange(1, 6000,
                                                           _l("Requests a minute must be between 1 and 6,000"))])
    submit = SubmitField(_l("Register and show the key"), widget=GovSubmitInput())


class RevokeClientForm(FlaskForm):
    submit = SubmitField(_l("Revoke the key"), widget=GovSubmitInput())
