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


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password"), Length(max=256)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes",
        validators=[InputRequired("Enter the security code"), Length(max=20)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your current password"), Length(max=256)],
    )
    new = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use at least 8 characters; 15 or more is better. A few random words work well.",
        validators=[InputRequired("Enter a new password"), Length(max=256)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


ROLE_CHOICES = list(ROLES.items())
LEVEL_CHOICES = [("", "Not a trusted assessor"), ("3", "Level 3"), ("4", "Level 4")]


class StaffRolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles",
        choices=ROLE_CHOICES,
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        validators=[InputRequired("Select at least one role")],
    )
    trusted_assessor_level = RadioField(
        "Trusted assessor level",
        choices=LEVEL_CHOICES,
        default="",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        level_missing = ("trusted_assessor" in (self.roles.data or [])
                         and self.trusted_assessor_level.data not in ("3", "4"))
        return needed((level_missing, self.trusted_assessor_level, "Select the trusted assessor level")) and valid


class NewStaffForm(StaffRolesForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the person's full name"), Length(max=120)],
    )
    email = StringField(
        "Work email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter a work email address"),
            Email("Enter an email address in the correct format, like name@example.com"),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Temporary password",
        widget=GovPasswordInput(),
        description="Give this to the person privately. They should change it when they sign in.",
        validators=[InputRequired("Enter a temporary password"), Length(max=256)],
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())


class TwoFactorRolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles that must use two-factor sign-in",
        choices=ROLE_CHOICES,
        widget=GovCheckboxesInput(),
        description="Select every role to require it of all staff. Anyone may turn it on for "
                    "themselves from their account page.",
        validators=[Optional()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
