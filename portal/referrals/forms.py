from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
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
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.people.models import COMMUNICATION_NEEDS, TENURES
from portal.people.validators import DateOfBirth, NHSNumber, Postcode, normalise_postcode
from portal.referrals.models import NEEDS, OUTCOMES, PRIORITIES, PROFESSIONAL_SOURCES, ROUTES
from portal.referrals.services import DISCHARGE_DATE_NEEDED, discharge_date_missing
from portal.web.forms import needed
from portal.web.widgets import DateInput


def _blank(field) -> bool:
    return not (field.data or "").strip()


class VersionedForm(FlaskForm):
    version = HiddenField()


class ReasonForm(VersionedForm):
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           validators=[InputRequired("Enter a reason"), Length(max=2000)])
    submit = SubmitField("Save", widget=GovSubmitInput())


class FirstContactForm(VersionedForm):
    """The queue's one-click "Contacted" and the referral page's button: a note is optional."""

    reason = TextAreaField("Note", widget=GovTextArea(), validators=[Optional(), Length(max=2000)])


class PriorityForm(VersionedForm):
    priority = RadioField("Priority", choices=list(PRIORITIES.items()), widget=GovRadioInput(),
                          validators=[InputRequired("Select a priority")])
    reason = TextAreaField("Why this priority", widget=GovTextArea(),
                           validators=[InputRequired("Enter why you chose this priority"), Length(max=2000)])
    submit = SubmitField("Set priority", widget=GovSubmitInput())


class RouteForm(VersionedForm):
    route_to = RadioField("Who should assess", choices=list(ROUTES.items()), widget=GovRadioInput(),
                          validators=[InputRequired("Select who should assess")])
    complex_case = RadioField(
        "Is this a complex case?", choices=[("no", "No – a trusted assessor can assess"),
                                             ("yes", "Yes – it needs an occupational therapist")],
        widget=GovRadioInput(), validators=[InputRequired("Select whether the case is complex")],
        description="Decide on the person's needs and risks, not the kind of work: "
                    "a major adaptation is not complex by itself.")
    ta_level_required = RadioField("Trusted assessor level needed", choices=[("3", "Level 3"), ("4", "Level 4")],
                                   widget=GovRadioInput(), validators=[Optional()])
    reason = TextAreaField("Reason for the complexity decision", widget=GovTextArea(),
                           validators=[InputRequired("Enter the reason for your complexity decision"),
                                       Length(max=2000)])
    submit = SubmitField("Route referral", widget=GovSubmitInput())

    def validate_complex_case(self, field):
        if self.route_to.data == "trusted_assessor" and field.data == "yes":
            raise ValidationError("A complex case must go to an occupational therapist")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return needed((self.route_to.data == "trusted_assessor" and self.ta_level_required.data not in ("3", "4"),
                       self.ta_level_required, "Select the trusted assessor level needed")) and valid


class CloseForm(VersionedForm):
    outcome = RadioField("Outcome", choices=list(OUTCOMES.items()), widget=GovRadioInput(),
                         validators=[InputRequired("Select the outcome")])
    reason = TextAreaField("Note", widget=GovTextArea(), validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Close referral", widget=GovSubmitInput())


class ReassignForm(VersionedForm):
    assignee = SelectField("Assign to", widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Reassign", widget=GovSubmitInput())


class ProfessionalReferralForm(FlaskForm):
    submission_key = HiddenField()
    source = SelectField("Where is the referral from", choices=[("", "Select")] + list(PROFESSIONAL_SOURCES.items()),
        widget=GovSelect(), validators=[InputRequired("Select where the referral is from")])
    referrer_name = StringField("Referrer's name", widget=GovTextInput(),
                                validators=[InputRequired("Enter the referrer's name"), Length(max=160)])
    referrer_organisation = StringField("Organisation or team", widget=GovTextInput(),
                                        validators=[Optional(), Length(max=160)])
    referrer_phone = StringField("Referrer's phone number", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the referrer's phone number"), Length(max=40)])
    given_name = StringField("First name", widget=GovTextInput(),
                             validators=[InputRequired("Enter the person's first name"), Length(max=100)])
    family_name = StringField("Last name", widget=GovTextInput(),
                              validators=[InputRequired("Enter the person's last name"), Length(max=100)])
    date_of_birth = DateField("Date of birth", widget=DateInput(), format="%d %m %Y",
                              validators=[InputRequired("Enter the person's date of birth"), DateOfBirth()])
    nhs_number = StringField("NHS number (optional)", widget=GovTextInput(),
                             validators=[Optional(), NHSNumber(), Length(max=14)])
    address_line_1 = StringField("Address line 1", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the first line of the address"), Length(max=200)])
    town = StringField("Town or city", widget=GovTextInput(), validators=[Optional(), Length(max=100)])
    postcode = StringField("Postcode", widget=GovTextInput(),
                           filters=[lambda v: normalise_postcode(v) if v else v],
                           validators=[InputRequired("Enter the postcode"), Postcode(), Length(max=10)])
    locality = SelectField("Locality", widget=GovSelect(), validators=[Optional()])
    tenure = SelectField("Housing", choices=list(TENURES.items()), default="other", widget=GovSelect())
    phone = StringField("Person's phone number", widget=GovTextInput(), validators=[Optional(), Length(max=40)])
    needs = SelectMultipleField("What is needed", choices=list(NEEDS.items()), widget=GovCheckboxesInput(),
                                validators=[InputRequired("Select what is needed")])
    help_wanted = TextAreaField("What help is needed and why", widget=GovTextArea(),
                                validators=[InputRequired("Describe what help is needed"), Length(max=5000)])
    risk_summary = TextAreaField("Risks now (optional)", widget=GovTextArea(),
                                 validators=[Optional(), Length(max=5000)],
                                 description="For example falls, living alone, carer breakdown, risk to life")
    priority = RadioField("Urgency", choices=list(PRIORITIES.items()), widget=GovRadioInput(),
                          validators=[InputRequired("Select how urgent this is")],
                          description="Urgent: hospital discharge, risk to life or carer breakdown")
    discharge_date = DateField("Planned discharge date (hospital discharge only)", widget=DateInput(),
                               format="%d %m %Y", validators=[Optional()])
    consent = RadioField("Has the person agreed to this referral?",
                         choices=[("yes", "Yes"),
                                  ("best_interest", "No – made in their best interest (they lack capacity)")],
                         widget=GovRadioInput(), validators=[InputRequired("Select whether the person agreed")])
    communication_needs = SelectMultipleField("Communication needs", choices=list(COMMUNICATION_NEEDS.items()),
                                              widget=GovCheckboxesInput(), validators=[Optional()])
    submit = SubmitField("Send referral", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return needed((discharge_date_missing(self.source.data, self.discharge_date.data),
                       self.discharge_date, DISCHARGE_DATE_NEEDED)) and valid


RECOMMENDATIONS = {
    "equipment": "Prescribe equipment",
    "telecare": "Request a telecare install",
    "dfg": "Recommend a Disabled Facilities Grant",
    "minor_adaptation": "Recommend a minor adaptation",
    "self_purchase": "Signpost or self-purchase",
    "no_further_action": "No further action",
}

CAPACITY_DECISIONS = {
    "has_capacity": "The person has capacity and consents",
    "lacks_capacity_best_interest": "The person lacks capacity: best-interest decision recorded",
    "not_applicable": "Not applicable",
}
MONITORING = {
    "gps": "GPS locator",
    "movement": "Movement or activity sensors",
    "bed_sensor": "Bed or chair occupancy sensor",
    "door_sensor": "Door or property exit sensor",
}


class AssessmentForm(VersionedForm):
    outcomes_wanted = TextAreaField("What matters to the person and what they want to achieve",
                                    widget=GovTextArea(), validators=[InputRequired("Enter the person's own outcomes"),
                                                                      Length(max=5000)])
    strengths = TextAreaField("What the person can do, and the support around them", widget=GovTextArea(),
                              validators=[InputRequired("Enter the person's strengths"), Length(max=5000)])
    needs_by_area = TextAreaField("Needs by daily-living area", widget=GovTextArea(),
                                  validators=[InputRequired("Enter the needs by daily-living area"), Length(max=5000)])
    risks = TextAreaField("Risks", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    tecs_considered = RadioField("Was care technology (TECS) considered?", choices=[("yes", "Yes"), ("no", "No")],
                                 widget=GovRadioInput(),
                                 validators=[InputRequired("Select whether care technology was considered")])
    tecs_what = TextAreaField("What care technology was considered", widget=GovTextArea(),
                              validators=[Optional(), Length(max=2000)])
    tecs_why_not = TextAreaField("Why care technology was not considered", widget=GovTextArea(),
                                 validators=[Optional(), Length(max=2000)])
    monitoring_devices = SelectMultipleField("Monitoring technology recommended (if any)",
                                             choices=list(MONITORING.items()), widget=GovCheckboxesInput(),
                                             validators=[Optional()])
    consent_by = StringField("Whose consent, or the best-interest decision", widget=GovTextInput(),
                             validators=[Optional(), Length(max=300)])
    capacity = RadioField("Capacity decision", choices=list(CAPACITY_DECISIONS.items()), widget=GovRadioInput(),
                          validators=[Optional()])
    less_restrictive = TextAreaField("Less restrictive options considered", widget=GovTextArea(),
                                     validators=[Optional(), Length(max=2000)])
    recommendations = SelectMultipleField("Recommendations", choices=list(RECOMMENDATIONS.items()),
                                          widget=GovCheckboxesInput(),
                                          validators=[InputRequired("Select at least one recommendation")])
    submit = SubmitField("Complete assessment", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        tecs, monitoring = self.tecs_considered.data, bool(self.monitoring_devices.data)
        return needed(
            (tecs == "yes" and _blank(self.tecs_what), self.tecs_what, "Enter what care technology you considered"),
            (tecs == "no" and _blank(self.tecs_why_not), self.tecs_why_not,
             "Enter why care technology was not considered"),
            (monitoring and _blank(self.consent_by), self.consent_by,
             "Enter whose consent was given, or the best-interest decision"),
            (monitoring and self.capacity.data not in ("has_capacity", "lacks_capacity_best_interest"),
             self.capacity, "Select the outcome of the capacity decision"),
            (monitoring and _blank(self.less_restrictive), self.less_restrictive,
             "Enter the less restrictive options you considered"),
        ) and valid


class LinkPersonForm(VersionedForm):
    person_id = IntegerField("Record", validators=[InputRequired("Select the record to link to")])
