"""Self-assessment forms. The questions themselves are content (one radios or checkboxes answer
a page, checked by the engine), so only the report's forms (email it, protect and see the
answers) and the resume form have fields."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.advice.privacy import CODE_LENGTH, normalise_check_code
from portal.advice.services import normalise_code
from portal.people.validators import DateOfBirth
from portal.web.i18n import N_
from portal.web.widgets import DateInput

EXPIRED = N_("This page had expired, so nothing was saved. Try again.")


class PublicForm(FlaskForm):
    """A public form whose expired or tampered token reads as plain words at the top of the
    page, not as the token field's own message."""

    def validate(self, extra_validators=None) -> bool:
        if super().validate(extra_validators=extra_validators):
            return True
        if self.csrf_token.errors:
            self.csrf_token.errors = []
            self.form_errors.append(_(EXPIRED))
        return False


class StepForm(PublicForm):
    """A step of the journey: the token only; the view reads the answer from the request."""


class EmailForm(PublicForm):
    email = StringField(
        _l("Email me a link to this report"),
        widget=GovTextInput(),
        description=_l("We only use your email address to send this link and, if you ask later, a code to "
                    "see your answers. We do not keep the address with your report."),
        validators=[InputRequired(_l("Enter an email address")),
                    Length(max=254, message=_l("Email address must be 254 characters or fewer"))],
    )


class ResumeForm(PublicForm):
    code = StringField(
        _l("Your reference"),
        widget=GovTextInput(),
        description=_l("It is 10 letters and numbers, like HKT4M-9QX2B. We showed it on each page of the questions."),
        validators=[InputRequired(_l("Enter your reference")),
                    Length(max=40, message=_l("Enter your reference, like HKT4M-9QX2B"))],
    )

    def validate_code(self, field):
        if normalise_code(field.data) is None:
            raise ValidationError(_l("Enter your reference in the right format, like HKT4M-9QX2B"))


class DobForm(PublicForm):
    """The date of birth that protects the answers, or that is checked to see them."""

    date_of_birth = DateField(_l("Date of birth"), widget=DateInput(), format="%d %m %Y",
                              validators=[InputRequired(_l("Enter a date of birth, like 27 3 1948")), DateOfBirth()])


class CodeRequestForm(PublicForm):
    email = StringField(
        _l("Email address"),
        widget=GovTextInput(),
        description=_l("The email address you sent the report to."),
        validators=[InputRequired(_l("Enter the email address you sent the report to")),
                    Length(max=254, message=_l("Email address must be 254 characters or fewer"))],
    )


class CodeForm(PublicForm):
    code = StringField(
        _l("Code"),
        widget=GovTextInput(),
        description=_l("The %(length)d-digit code in the email we sent you, like 472019.", length=CODE_LENGTH),
        validators=[InputRequired(_l("Enter the code from the email")),
                    Length(max=20, message=_l("Enter the %(length)d-digit code from the email", length=CODE_LENGTH))],
    )

    def validate_code(self, field):
        if normalise_check_code(field.data) is None:
            raise ValidationError(_("Enter the %(length)d-digit code from the email, like 472019", length=CODE_LENGTH))
