from flask_babel import gettext as _
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
from portal.web.i18n import lazy_text as _l
from portal.web.widgets import DateInput


def _blank(field) -> bool:
    return not (field.data or "").strip()


class VersionedForm(FlaskForm):
    version = HiddenField()


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter a reason")), Length(max=2000)])
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class FirstContactForm(VersionedForm):
    """The queue's one-click "Contacted" and the referral page's button: a note is optional."""

    reason = TextAreaField(_l("Note"), widget=GovTextArea(), validators=[Optional(), Length(max=2000)])


class PriorityForm(VersionedForm):
    priority = RadioField(_l("Priority"), choices=list(PRIORITIES.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select a priority"))])
    reason = TextAreaField(_l("Why this priority"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter why you chose this priority")), Length(max=2000)])
    submit = SubmitField(_l("Set priority"), widget=GovSubmitInput())


class RouteForm(VersionedForm):
    route_to = RadioField(_l("Who should assess"), choices=list(ROUTES.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select who should assess"))])
    complex_case = RadioField(
        _l("Is this a complex case?"), choices=[("no", _l("No – a trusted assessor can assess")),
                                             ("yes", _l("Yes – it needs an occupational therapist"))],
        widget=GovRadioInput(), validators=[InputRequired(_l("Select whether the case is complex"))],
        description=_l("Decide on the person's needs and risks, not the kind of work: "
                    "a major adaptation is not complex by itself."))
    ta_level_required = RadioField(_l("Trusted assessor level needed"), choices=[("3", _l("Level 3")), ("4",
                                                                                                        _l("Level 4"))],
                                   widget=GovRadioInput(), validators=[Optional()])
    reason = TextAreaField(_l("Reason for the complexity decision"), widget=GovTextArea(),
                           validators=[InputRequired(_l("Enter the reason for your complexity decision")),
                                       Length(max=2000)])
    submit = SubmitField(_l("Route referral"), widget=GovSubmitInput())

    def validate_complex_case(self, field):
        if self.route_to.data == "trusted_assessor" and field.data == "yes":
            raise ValidationError(_("A complex case must go to an occupational therapist"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return needed((self.route_to.data == "trusted_assessor" and self.ta_level_required.data not in ("3", "4"),
                       self.ta_level_required, _("Select the trusted assessor level needed"))) and valid


class CloseForm(VersionedForm):
    outcome = RadioField(_l("Outcome"), choices=list(OUTCOMES.items()), widget=GovRadioInput(),
                         validators=[InputRequired(_l("Select the outcome"))])
    reason = TextAreaField(_l("Note"), widget=GovTextArea(), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Close referral"), widget=GovSubmitInput())


class ReassignForm(VersionedForm):
    assignee = SelectField(_l("Assign to"), widget=GovSelect(), validators=[Optional()])
    submit = SubmitField(_l("Reassign"), widget=GovSubmitInput())


class ProfessionalReferralForm(FlaskForm):
    submission_key = HiddenField()
    source = SelectField(_l("Where is the referral from"),
                         choices=[("", "Select")] + list(PROFESSIONAL_SOURCES.items()),
        widget=GovSelect(), validators=[InputRequired(_l("Select where the referral is from"))])
    referrer_name = StringField(_l("Referrer's name"), widget=GovTextInput(),
                                validators=[InputRequired(_l("Enter the referrer's name")), Length(max=160)])
    referrer_organisation = StringField(_l("Organisation or team"), widget=GovTextInput(),
                                        validators=[Optional(), Length(max=160)])
    referrer_phone = StringField(_l("Referrer's phone number"), widget=GovTextInput(),
                                 validators=[InputRequired(_l("Enter the referrer's phone number")), Length(max=40)])
    given_name = StringField(_l("First name"), widget=GovTextInput(),
                             validators=[InputRequired(_l("Enter the person's first name")), Length(max=100)])
    family_name = StringField(_l("Last name"), widget=GovTextInput(),
                              validators=[InputRequired(_l("Enter the person's last name")), Length(max=100)])
    date_of_birth = DateField(_l("Date of birth"), widget=DateInput(), format="%d %m %Y",
                              validators=[InputRequired(_l("Enter the person's date of birth")), DateOfBirth()])
    nhs_number = StringField(_l("NHS number (optional)"), widget=GovTextInput(),
                             validators=[Optional(), NHSNumber(), Length(max=14)])
    address_line_1 = StringField(_l("Address line 1"), widget=GovTextInput(),
                                 validators=[InputRequired(_l("Enter the first line of the address")), Length(max=200)])
    town = StringField(_l("Town or city"), widget=GovTextInput(), validators=[Optional(), Length(max=100)])
    postcode = StringField(_l("Postcode"), widget=GovTextInput(),
                           filters=[lambda v: normalise_postcode(v) if v else v],
                           validators=[InputRequired(_l("Enter the postcode")), Postcode(), Length(max=10)])
    locality = SelectField(_l("Locality"), widget=GovSelect(), validators=[Optional()])
    tenure = SelectField(_l("Housing"), choices=list(TENURES.items()), default="other", widget=GovSelect())
    phone = StringField(_l("Person's phone number"), widget=GovTextInput(), validators=[Optional(), Length(max=40)])
    needs = SelectMultipleField(_l("What is needed"), choices=list(NEEDS.items()), widget=GovCheckboxesInput(),
                                validators=[InputRequired(_l("Select what is needed"))])
    help_wanted = TextAreaField(_l("What help is needed and why"), widget=GovTextArea(),
                                validators=[InputRequired(_l("Describe what help is needed")), Length(max=5000)])
    risk_summary = TextAreaField(_l("Risks now (optional)"), widget=GovTextArea(),
                                 validators=[Optional(), Length(max=5000)],
                                 description=_l("For example falls, living alone, carer breakdown, risk to life"))
    priority = RadioField(_l("Urgency"), choices=list(PRIORITIES.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select how urgent this is"))],
                          description=_l("Urgent: hospital discharge, risk to life or carer breakdown"))
    discharge_date = DateField(_l("Planned discharge date (hospital discharge only)"), widget=DateInput(),
                               format="%d %m %Y", validators=[Optional()])
    consent = RadioField(_l("Has the person agreed to this referral?"),
                         choices=[("yes", _l("Yes")),
                                  ("best_interest", _l("No – made in their best interest (they lack capacity)"))],
                         widget=GovRadioInput(), validators=[InputRequired(_l("Select whether the person agreed"))])
    communication_needs = SelectMultipleField(_l("Communication needs"), choices=list(COMMUNICATION_NEEDS.items()),
                                              widget=GovCheckboxesInput(), validators=[Optional()])
    submit = SubmitField(_l("Send referral"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return needed((discharge_date_missing(self.source.data, self.discharge_date.data),
                       self.discharge_date, _(DISCHARGE_DATE_NEEDED))) and valid


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
    outcomes_wanted = TextAreaField(_l("What matters to the person and what they want to achieve"),
                                    widget=GovTextArea(),
                                    validators=[InputRequired(_l("Enter the person's own outcomes")), Length(max=5000)])
    strengths = TextAreaField(_l("What the person can do, and the support around them"), widget=GovTextArea(),
                              validators=[InputRequired(_l("Enter the person's strengths")), Length(max=5000)])
    needs_by_area = TextAreaField(_l("Needs by daily-living area"), widget=GovTextArea(),
                                  validators=[InputRequired(_l("Enter the needs by daily-living area")),
                                              Length(max=5000)])
    risks = TextAreaField(_l("Risks"), widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    tecs_considered = RadioField(_l("Was care technology (TECS) considered?"), choices=[("yes", _l("Yes")), ("no",
                                                                                                             _l("No"))],
                                 widget=GovRadioInput(),
                                 validators=[InputRequired(_l("Select whether care technology was considered"))])
    tecs_what = TextAreaField(_l("What care technology was considered"), widget=GovTextArea(),
                              validators=[Optional(), Length(max=2000)])
    tecs_why_not = TextAreaField(_l("Why care technology was not considered"), widget=GovTextArea(),
                                 validators=[Optional(), Length(max=2000)])
    monitoring_devices = SelectMultipleField(_l("Monitoring technology recommended (if any)"),
                                             choices=list(MONITORING.items()), widget=GovCheckboxesInput(),
                                             validators=[Optional()])
    consent_by = StringField(_l("Whose consent, or the best-interest decision"), widget=GovTextInput(),
                             validators=[Optional(), Length(max=300)])
    capacity = RadioField(_l("Capacity decision"), choices=list(CAPACITY_DECISIONS.items()), widget=GovRadioInput(),
                          validators=[Optional()])
    less_restrictive = TextAreaField(_l("Less restrictive options considered"), widget=GovTextArea(),
                                     validators=[Optional(), Length(max=2000)])
    recommendations = SelectMultipleField(_l("Recommendations"), choices=list(RECOMMENDATIONS.items()),
                                          widget=GovCheckboxesInput(),
                                          validators=[InputRequired(_l("Select at least one recommendation"))])
    submit = SubmitField(_l("Complete assessment"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        tecs, monitoring = self.tecs_considered.data, bool(self.monitoring_devices.data)
        return needed(
            (tecs == "yes" and _blank(self.tecs_what), self.tecs_what, _("Enter what care technology you considered")),
            (tecs == "no" and _blank(self.tecs_why_not), self.tecs_why_not,
             _("Enter why care technology was not considered")),
            (monitoring and _blank(self.consent_by), self.consent_by,
             _("Enter whose consent was given, or the best-interest decision")),
            (monitoring and self.capacity.data not in ("has_capacity", "lacks_capacity_best_interest"),
             self.capacity, _("Select the outcome of the capacity decision")),
            (monitoring and _blank(self.less_restrictive), self.less_restrictive,
             _("Enter the less restrictive options you considered")),
        ) and valid


class LinkPersonForm(VersionedForm):
    person_id = IntegerField(_l("Record"), validators=[InputRequired(_l("Select the record to link to"))])
