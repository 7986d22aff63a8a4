from flask_babel import gettext as _
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from portal.auth.roles import ROLES
from portal.web.forms import needed
from portal.web.i18n import lazy_text as _l


class SignInForm(FlaskForm):
    email = StringField(
        _l("Email address"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter your email address")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(_l("Enter your password")), Length(max=256)],
    )
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Security code"),
        widget=GovTextInput(),
        description=_l("The 6-digit code from your authenticator app, or one of your recovery codes"),
        validators=[InputRequired(_l("Enter the security code")), Length(max=20)],
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(_l("Enter your current password")), Length(max=256)],
    )
    new = PasswordField(
        _l("New password"),
        widget=GovPasswordInput(),
        description=_l("Use at least 8 characters; 15 or more is better. A few random words work well."),
        validators=[InputRequired(_l("Enter a new password")), Length(max=256)],
    )
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


ROLE_CHOICES = list(ROLES.items())
LEVEL_CHOICES = [("", _l("Not a trusted assessor")), ("3", _l("Level 3")), ("4", _l("Level 4"))]


class StaffRolesForm(FlaskForm):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        widget=GovCheckboxesInput(),
        description=_l("Select all that apply"),
        validators=[InputRequired(_l("Select at least one role"))],
    )
    trusted_assessor_level = RadioField(
        _l("Trusted assessor level"),
        choices=LEVEL_CHOICES,
        default="",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        level_missing = ("trusted_assessor" in (self.roles.data or [])
                         and self.trusted_assessor_level.data not in ("3", "4"))
        return needed((level_missing, self.trusted_assessor_level, _("Select the trusted assessor level"))) and valid


class NewStaffForm(StaffRolesForm):
    name = StringField(
        _l("Full name"),
        widget=GovTextInput(),
        validators=[InputRequired(_l("Enter the person's full name")), Length(max=120)],
    )
    email = StringField(
        _l("Work email address"),
        widget=GovTextInput(),
        validators=[
            InputRequired(_l("Enter a work email address")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
            Length(max=254),
        ],
    )
    password = PasswordField(
        _l("Temporary password"),
        widget=GovPasswordInput(),
        description=_l("Give this to the person privately. They should change it when they sign in."),
        validators=[InputRequired(_l("Enter a temporary password")), Length(max=256)],
    )
    submit = SubmitField(_l("Create account"), widget=GovSubmitInput())


class TwoFactorRolesForm(FlaskForm):
    roles = SelectMultipleField(
        _l("Roles that must use two-factor sign-in"),
        choices=ROLE_CHOICES,
        widget=GovCheckboxesInput(),
        description=_l("Select every role to require it of all staff. Anyone may turn it on for "
                    "themselves from their account page."),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
