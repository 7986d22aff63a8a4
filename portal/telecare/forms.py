from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.telecare.models import JOB_TYPES, SLOTS
from portal.web.i18n import lazy_text as _l
from portal.web.widgets import DateInput


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _number_or_none(value):
    """A hidden number (a version, a visit); anything that is not a number is treated as not sent."""
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


class JobForm(FlaskForm):
    submission_key = HiddenField()
    job_type = RadioField(_l("Type of job"), choices=list(JOB_TYPES.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select the type of job"))])
    priority = RadioField(_l("Priority"), choices=[("urgent", _l("Urgent (within 2 working days)")),
                                               ("routine", _l("Routine (within 10 working days)"))],
                          widget=GovRadioInput(), validators=[InputRequired(_l("Select the priority"))])
    referral_id = SelectField(_l("Referral (optional)"), coerce=_int_or_none, widget=GovSelect(),
                              validators=[Optional()])
    to_fit = TextAreaField(_l("What to fit (optional)"), widget=GovTextArea(), validators=[Optional(),
                                                                                           Length(max=2000)],
                           description=_l("For example: digital alarm unit, pendant, 2 linked smoke detectors"))
    access_notes = TextAreaField(_l("Access notes (optional)"), widget=GovTextArea(),
                                 validators=[Optional(), Length(max=2000)],
                                 description=_l("How to get in, parking, pets. Never write a key safe code here."))
    submit = SubmitField(_l("Request job"), widget=GovSubmitInput())


class ScheduleForm(FlaskForm):
    version = HiddenField(filters=[_number_or_none])
    on = DateField(_l("Date of the visit"), widget=DateInput(), format="%d %m %Y",
                   validators=[InputRequired(_l("Enter the date of the visit"))])
    slot = SelectField(_l("Time slot"), choices=[("", "Select a slot")] + list(SLOTS.items()), widget=GovSelect(),
                       validators=[Optional()])
    start_time = StringField(_l("Or a start time (optional)"), widget=GovTextInput(),
                             validators=[Optional(), Length(max=5)],
                             description=_l("24-hour clock, for example 09:30"))
    installer_id = SelectField(_l("Installer"), coerce=_int_or_none, widget=GovSelect(),
                               validators=[InputRequired(_l("Select an installer"))])
    route_order = IntegerField(_l("Order in the installer's route (optional)"), widget=GovTextInput(),
                               validators=[Optional(),
                                           NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50"))])
    submit = SubmitField(_l("Schedule visit"), widget=GovSubmitInput())

class CancelForm(FlaskForm):
    version = HiddenField(filters=[_number_or_none])
    reason = StringField(_l("Reason for cancelling"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter the reason for cancelling the job")), Length(max=300)])
    submit = SubmitField(_l("Cancel job"), widget=GovSubmitInput())

class BatchForm(FlaskForm):
    batch_key = HiddenField()
    locality = SelectField(_l("Locality"), widget=GovSelect(), validators=[InputRequired(_l("Select a locality"))])
    limit = IntegerField(_l("How many jobs to create"), widget=GovTextInput(), default=20,
                         validators=[InputRequired(_l("Enter how many jobs to create")),
                                     NumberRange(min=1, max=500, message=_l("Enter a number from 1 to 500"))])
    submit = SubmitField(_l("Create switchover jobs"), widget=GovSubmitInput())


# The installer's card. Each tap is its own small form; the services decide every rule (and name
# the field a refusal is about), so these forms only read the answers and keep them for a re-render.

class TapForm(FlaskForm):
    """A one-button step. `visit` is the visit the card was showing when it was tapped."""

    visit = HiddenField(filters=[_number_or_none])


class FitForm(TapForm):
    tag = StringField(_l("Scan or type a device's asset tag"), validators=[Length(max=80)])


class RespondersForm(TapForm):
    responder_1_name = StringField(_l("Responder 1 name"), validators=[Length(max=160)])
    responder_1_phone = StringField(_l("Responder 1 phone"), validators=[Length(max=40)])
    responder_1_relationship = StringField(_l("Responder 1 relationship (optional)"), validators=[Length(max=80)])
    responder_2_name = StringField(_l("Responder 2 name (optional)"), validators=[Length(max=160)])
    responder_2_phone = StringField(_l("Responder 2 phone"), validators=[Length(max=40)])
    responder_2_relationship = StringField(_l("Responder 2 relationship (optional)"), validators=[Length(max=80)])
    service = BooleanField(_l("Use the responder service"), false_values=("", "no"))

    def details(self) -> dict:
        return {"responders": [{"name": self[f"responder_{i}_name"].data,
                                "phone": self[f"responder_{i}_phone"].data,
                                "relationship": self[f"responder_{i}_relationship"].data} for i in (1, 2)],
                "service": self.service.data}


class KeySafeForm(TapForm):
    present = StringField(_l("Is there a key safe?"))
    location = StringField(_l("Where it is (optional)"), validators=[Length(max=200)])

    def details(self) -> dict:
        return {"present": {"yes": True, "no": False}.get(self.present.data), "location": self.location.data}


class CompleteForm(TapForm):
    line_type = StringField(_l("Line the alarm uses"))
    telephone = StringField(_l("Telephone or SIM number (optional)"), validators=[Length(max=40)])
    provider = StringField(_l("Line provider (optional)"), validators=[Length(max=80)])


class ReasonForm(TapForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])
