"""The dashboard's filters: a GET form (no CSRF: it changes nothing) with GOV.UK date inputs."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import DateField, SelectField, ValidationError
from wtforms.validators import Optional

from portal.web.widgets import DateInput

MAX_DAYS = 2 * 366


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField("From", widget=DateInput(), format="%d %m %Y", validators=[Optional()])
    end = DateField("To", widget=DateInput(), format="%d %m %Y", validators=[Optional()])
    locality = SelectField("Locality", widget=GovSelect(), validators=[Optional()], validate_choice=True)

    def __init__(self, *args, localities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locality.choices = [("", "All localities")] + [(loc, loc) for loc in localities]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field, which in ((self.start, "start"), (self.end, "end")):
            field.errors = [f"Enter a real {which} date, for example 1 9 2026" if "valid date" in e else e
                            for e in field.errors]
        self.locality.errors = ["Select a locality from the list" for _ in self.locality.errors[:1]]
        return ok

    def validate_end(self, field):
        if field.data and self.start.data:
            if field.data < self.start.data:
                raise ValidationError("The end date must be the same as or after the start date")
            if (field.data - self.start.data).days > MAX_DAYS:
                raise ValidationError("Choose a date range of 2 years or less")
