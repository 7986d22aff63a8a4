"""The dashboard's filters: a GET form (no CSRF: it changes nothing) with GOV.UK date inputs."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import DateField, SelectField, ValidationError
from wtforms.validators import Optional

from portal.web.i18n import lazy_text as _l
from portal.web.widgets import DateInput

MAX_DAYS = 2 * 366


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), widget=DateInput(), format="%d %m %Y", validators=[Optional()])
    end = DateField(_l("To"), widget=DateInput(), format="%d %m %Y", validators=[Optional()])
    locality = SelectField(_l("Locality"), widget=GovSelect(), validators=[Optional()], validate_choice=True)

    def __init__(self, *args, localities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locality.choices = [("", _("All localities"))] + [(loc, loc) for loc in localities]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field, message in ((self.start, _("Enter a real start date, for example 1 9 2026")),
                               (self.end, _("Enter a real end date, for example 1 9 2026"))):
            field.errors = [message if "valid date" in e else e for e in field.errors]
        self.locality.errors = [_("Select a locality from the list")] if self.locality.errors else []
        return ok

    def validate_end(self, field):
        if field.data and self.start.data:
            if field.data < self.start.data:
                raise ValidationError(_("The end date must be the same as or after the start date"))
            if (field.data - self.start.data).days > MAX_DAYS:
                raise ValidationError(_("Choose a date range of 2 years or less"))
