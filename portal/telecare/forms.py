from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
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
from portal.web.widgets import DateInput


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None

class JobForm(FlaskForm):
    submission_key = HiddenField()
    job_type = RadioField("Type of job", choices=list(JOB_TYPES.items()), widget=GovRadioInput(),
                          validators=[InputRequired("Select the type of job")])
    priority = RadioField("Priority", choices=[("urgent", "Urgent (within 2 working days)"),
                                               ("routine", "Routine (within 10 working days)")],
                          widget=GovRadioInput(), validators=[InputRequired("Select the priority")])
    referral_id = SelectField("Referral (optional)", coerce=_int_or_none, widget=GovSelect(),
                              validators=[Optional()])
    to_fit = TextAreaField("What to fit (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=2000)],
                           description="For example: digital alarm unit, pendant, 2 linked smoke detectors")
    access_notes = TextAreaField("Access notes (optional)", widget=GovTextArea(),
                                 validators=[Optional(), Length(max=2000)],
                                 description="How to get in, parking, pets. Never write a key safe code here.")
    submit = SubmitField("Request job", widget=GovSubmitInput())


class ScheduleForm(FlaskForm):
    version = HiddenField()
    on = DateField("Date of the visit", widget=DateInput(), format="%d %m %Y",
                   validators=[InputRequired("Enter the date of the visit")])
    slot = SelectField("Time slot", choices=[("", "Select a slot")] + list(SLOTS.items()), widget=GovSelect(),
                       validators=[Optional()])
    start_time = StringField("Or a start time (optional)", widget=GovTextInput(),
                             validators=[Optional(), Length(max=5)],
                             description="24-hour clock, for example 09:30")
    installer_id = SelectField("Installer", coerce=_int_or_none, widget=GovSelect(),
                               validators=[InputRequired("Select an installer")])
    route_order = IntegerField("Order in the installer's route (optional)", widget=GovTextInput(),
                               validators=[Optional(),
                                           NumberRange(min=1, max=50, message="Enter a number from 1 to 50")])
    submit = SubmitField("Schedule visit", widget=GovSubmitInput())

class CancelForm(FlaskForm):
    version = HiddenField()
    reason = StringField("Reason for cancelling", widget=GovTextInput(),
                         validators=[InputRequired("Enter the reason for cancelling the job"), Length(max=300)])
    submit = SubmitField("Cancel job", widget=GovSubmitInput())

class BatchForm(FlaskForm):
    batch_key = HiddenField()
    locality = SelectField("Locality", widget=GovSelect(), validators=[InputRequired("Select a locality")])
    limit = IntegerField("How many jobs to create", widget=GovTextInput(), default=20,
                         validators=[InputRequired("Enter how many jobs to create"),
                                     NumberRange(min=1, max=500, message="Enter a number from 1 to 500")])
    submit = SubmitField("Create switchover jobs", widget=GovSubmitInput())
