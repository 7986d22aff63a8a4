from flask_babel import gettext as _
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.equipment.models import (
    CATEGORIES,
    COLLECTION_REASONS,
    ORGANISATION_KINDS,
    PRESCRIBER_LEVELS,
    PRIORITIES,
    RECALL_ACTIONS,
    RECALL_SCOPES,
    SUPPLY,
    TRACKING,
)
from portal.web.forms import needed
from portal.web.i18n import lazy_text as _l
from portal.web.widgets import DateInput

QTY = NumberRange(min=1, max=20, message=_l("Enter a quantity from 1 to 20"))


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _version(value):
    try:
        return _int_or_none(value)
    except ValueError:
        raise ValueError("This page is out of date: open it again and repeat your change") from None


class ProductForm(FlaskForm):
    version = HiddenField(filters=[_version])
    code = StringField(_l("Product code"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter a product code")), Length(max=30)])
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[InputRequired(_l("Enter a name")),
                                                                      Length(max=200)])
    category = SelectField(_l("Category"), choices=list(CATEGORIES.items()), widget=GovSelect(),
                           validators=[InputRequired(_l("Select a category"))])
    area = StringField(_l("Daily-living area (optional)"), widget=GovTextInput(),
                       validators=[Optional(),
                                   Length(max=80)], description=_l("For example bathing, toileting, transfers"))
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea(),
                                validators=[Optional(), Length(max=5000)])
    supply = RadioField(_l("Loaned or issued"), choices=list(SUPPLY.items()), widget=GovRadioInput(),
                        validators=[InputRequired(_l("Select whether it is loaned or issued"))])
    tracking = RadioField(_l("How stock is tracked"), choices=list(TRACKING.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select how stock is tracked"))])
    self_purchase = BooleanField(_l("People can buy this themselves"), widget=GovCheckboxInput())
    price_min = DecimalField(_l("Typical price from, in pounds (optional)"), widget=GovTextInput(), places=2,
                             validators=[Optional(), NumberRange(min=0, message=_l("Enter a price of 0 or more"))])
    price_max = DecimalField(_l("Typical price to, in pounds (optional)"), widget=GovTextInput(), places=2,
                             validators=[Optional(), NumberRange(min=0, message=_l("Enter a price of 0 or more"))])
    what_to_look_for = TextAreaField(_l("What to look for when buying (optional)"), widget=GovTextArea(),
                                     validators=[Optional(), Length(max=5000)])
    inspection_months = IntegerField(_l("Inspection interval in months (optional)"), widget=GovTextInput(),
                                     validators=[Optional(), NumberRange(min=1, max=120,
                                                                         message=_l("Enter between 1 and 120 months"))])
    warranty_months = IntegerField(_l("Warranty in months (optional)"), widget=GovTextInput(),
                                   validators=[Optional(), NumberRange(min=0, max=240,
                                                                       message=_l("Enter between 0 and 240 months"))])
    cleaning_required = BooleanField(_l("Must be cleaned before re-issue"), widget=GovCheckboxInput())
    unit_cost = DecimalField(_l("Unit cost to the council, in pounds (optional)"), widget=GovTextInput(), places=2,
                             validators=[Optional(), NumberRange(min=0, message=_l("Enter a cost of 0 or more"))])
    prescriber = RadioField(_l("Who may order it"), choices=list(PRESCRIBER_LEVELS.items()), widget=GovRadioInput(),
                            default="any", validators=[Optional()],
                            description=_l("Hoists, slings and bariatric equipment: an occupational therapist or a "
                                        "trusted assessor of level 4"))
    active = BooleanField(_l("Available to order"), widget=GovCheckboxInput(), default=True)
    submit = SubmitField(_l("Save product"), widget=GovSubmitInput())


class OrderForm(FlaskForm):
    submission_key = HiddenField()
    store_id = SelectField(_l("Store that supplies the order"), coerce=_int_or_none, widget=GovSelect(),
                           validators=[InputRequired(_l("Select a store"))])
    priority = RadioField(_l("Delivery priority"), choices=list(PRIORITIES.items()), widget=GovRadioInput(),
                          validators=[InputRequired(_l("Select a delivery priority"))])
    planned_date = DateField(_l("Planned delivery date (optional)"), widget=DateInput(), format="%d %m %Y",
                             validators=[Optional()],
                             description=_l("For example a hospital discharge date, like 27 3 2027. Leave blank "
                                         "for the earliest date the priority allows."))
    kit_id = SelectField(_l("Kit (optional)"), coerce=_int_or_none, widget=GovSelect(), validators=[Optional()])
    product_1 = SelectField(_l("Product"), coerce=_int_or_none, widget=GovSelect(), validators=[Optional()])
    quantity_1 = IntegerField(_l("Quantity"), widget=GovTextInput(), default=1,
                              validators=[Optional(), QTY])
    product_2 = SelectField(_l("Second product (optional)"), coerce=_int_or_none, widget=GovSelect(),
                            validators=[Optional()])
    quantity_2 = IntegerField(_l("Quantity of the second product"), widget=GovTextInput(), default=1,
                              validators=[Optional(), QTY])
    product_3 = SelectField(_l("Third product (optional)"), coerce=_int_or_none, widget=GovSelect(),
                            validators=[Optional()])
    quantity_3 = IntegerField(_l("Quantity of the third product"), widget=GovTextInput(), default=1,
                              validators=[Optional(), QTY])
    notes = TextAreaField(_l("Notes for the stores and drivers (optional)"), widget=GovTextArea(),
                          validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Raise order"), widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        """A product or a kit; checked here because product_1 is Optional(), which skips the
        field's own validators when it is left empty."""
        valid = super().validate(extra_validators)
        if not self.product_1.data and not self.kit_id.data and not self.product_1.errors:
            self.product_1.errors.append("Select a product or a kit")
            return False
        return valid


class VersionForm(FlaskForm):
    """A one-button action on a record: the CSRF token and the version of the page it came from."""

    version = HiddenField(filters=[_version])


class CollectionForm(VersionForm):
    reason = RadioField(_l("Why is it being collected?"), choices=list(COLLECTION_REASONS.items()),
                        widget=GovRadioInput(), validators=[InputRequired(_l("Select why it is being collected"))])
    submit = SubmitField(_l("Request collection"), widget=GovSubmitInput())


class SwapForm(VersionForm):
    """Pick another asset for one line of an order (or exchange the one on loan)."""

    line_id = HiddenField(filters=[_version])


class ReasonForm(VersionForm):
    reason = StringField(_l("Reason"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter the reason")), Length(max=300)])


class InspectionForm(FlaskForm):
    inspected_on = DateField(_l("Date inspected"), widget=DateInput(), format="%d %m %Y",
                             validators=[InputRequired(_l("Enter the date inspected, like 27 3 2026"))])
    submit = SubmitField(_l("Record inspection"), widget=GovSubmitInput())


class StockForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=_int_or_none, widget=GovSelect(),
                             validators=[InputRequired(_l("Select a product"))])
    action = RadioField(_l("What happened"), widget=GovRadioInput(),
                        choices=[("receive", _l("Stock received")), ("adjust", _l("Correction after a count")),
                                 ("clean", _l("Returned items cleaned")), ("reorder", _l("Set the reorder level"))],
                        validators=[InputRequired(_l("Select what happened"))])
    quantity = IntegerField(_l("Quantity (a correction can be negative, like -2)"), widget=GovTextInput(),
                            validators=[InputRequired(_l("Enter a quantity"))])
    reason = StringField(_l("Reason"), widget=GovTextInput(), validators=[Optional(), Length(max=300)],
                         description=_l("For example a supplier delivery note number, or what the count found"))
    submit = SubmitField(_l("Record stock change"), widget=GovSubmitInput())


class AssetForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=_int_or_none, widget=GovSelect(),
                             validators=[InputRequired(_l("Select a product"))])
    asset_tag = StringField(_l("Asset tag"), widget=GovTextInput(),
                            validators=[InputRequired(_l("Enter the asset tag")), Length(max=40)])
    serial = StringField(_l("Serial number (optional)"), widget=GovTextInput(),
                         validators=[Optional(), Length(max=80)])
    purchase_cost = DecimalField(_l("Purchase cost, in pounds (optional)"), widget=GovTextInput(), places=2,
                                 validators=[Optional(), NumberRange(min=0, message=_l("Enter a cost of 0 or more"))])
    submit = SubmitField(_l("Add asset"), widget=GovSubmitInput())


class ScanForm(FlaskForm):
    tags = TextAreaField(_l("Scan or type asset tags, one a line"), widget=GovTextArea(),
                         validators=[InputRequired(_l("Scan or enter an asset tag")), Length(max=25000)],
                         description=_l("A scanner types each tag on its own line: scan a shelf, then press Add."))
    submit = SubmitField(_l("Add"), widget=GovSubmitInput())


class CompleteStocktakeForm(FlaskForm):
    reason = StringField(_l("Reason for the adjustments"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter the reason for the adjustments")), Length(max=300)])
    missing = HiddenField(filters=[_version])
    confirm = BooleanField(_l("I have checked the missing items: write them off"), widget=GovCheckboxInput())


class StocktakeReturnForm(FlaskForm):
    reason = StringField(_l("What should the stores check before completing again?"), widget=GovTextInput(),
                         validators=[InputRequired(_l("Enter what the stores should check")), Length(max=300)])


class AmnestyForm(FlaskForm):
    name = StringField(_l("Name of the amnesty"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter a name for the amnesty")), Length(max=200)])
    organisation_id = SelectField(_l("Organisation (optional)"), coerce=_int_or_none, widget=GovSelect(),
                                  validators=[Optional()])
    locality = SelectField(_l("Area (optional)"), widget=GovSelect(), validators=[Optional()])
    months = IntegerField(_l("On loan for longer than (months)"), widget=GovTextInput(), default=12,
                          validators=[InputRequired(_l("Enter a number of months")),
                                      NumberRange(min=1, max=240, message=_l("Enter between 1 and 240 months"))])
    submit = SubmitField(_l("Start amnesty"), widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter the organisation's name")), Length(max=200)])
    kind = RadioField(_l("Kind of organisation"), choices=list(ORGANISATION_KINDS.items()), widget=GovRadioInput(),
                      validators=[InputRequired(_l("Select the kind of organisation"))])
    locality = SelectField(_l("Area (optional)"), widget=GovSelect(), validators=[Optional()])
    address = TextAreaField(_l("Address (optional)"), widget=GovTextArea(), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save organisation"), widget=GovSubmitInput())


KIT_ROWS = (1, 2, 3, 4, 5)
KIT_QTY = NumberRange(min=1, max=20, message=_l("Enter a quantity from 1 to 20"))


class KitForm(FlaskForm):
    code = StringField(_l("Kit code"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter a kit code")), Length(max=30)])
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[InputRequired(_l("Enter a name")),
                                                                      Length(max=200)])
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea(),
                                validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Add kit"), widget=GovSubmitInput())

    def validate_product_code_1(self, field):
        if not any((getattr(self, f"product_code_{n}").data or "").strip() for n in KIT_ROWS):
            raise ValidationError(_("Enter at least one product code"))


for _n in KIT_ROWS:
    setattr(KitForm, f"product_code_{_n}", StringField(
        f"Product {_n} code" + ("" if _n == 1 else " (optional)"), widget=GovTextInput(),
        validators=[Optional(), Length(max=30)]))
    setattr(KitForm, f"quantity_{_n}", IntegerField(
        f"Quantity of product {_n}", widget=GovTextInput(), default=1, validators=[Optional(), KIT_QTY]))


class RecallForm(FlaskForm):
    """Start a recall: the product, which items, the notice and what it asks for. The check-answers
    step shows what it will affect before anything changes."""

    submission_key = HiddenField()
    product_id = SelectField(_l("Product recalled"), coerce=_int_or_none, widget=GovSelect(),
                             validators=[InputRequired(_l("Select the product recalled"))])
    reference = StringField(_l("Field safety notice reference"), widget=GovTextInput(),
                            description=_l("The MHRA or manufacturer reference, for example MHRA/2026/FSN-0412"),
                            validators=[InputRequired(_l("Enter the field safety notice reference")), Length(max=80)])
    scope = RadioField(_l("Which items are recalled?"), choices=list(RECALL_SCOPES.items()), widget=GovRadioInput(),
                       validators=[InputRequired(_l("Select which items are recalled"))])
    serial_from = StringField(_l("First serial number"), widget=GovTextInput(), validators=[Optional(), Length(max=80)])
    serial_to = StringField(_l("Last serial number"), widget=GovTextInput(), validators=[Optional(), Length(max=80)])
    supplied_from = DateField(_l("Supplied from"), widget=DateInput(), format="%d %m %Y", validators=[Optional()],
                              description=_l("For example, 1 3 2026"))
    supplied_to = DateField(_l("Supplied to"), widget=DateInput(), format="%d %m %Y", validators=[Optional()],
                            description=_l("For example, 31 3 2026"))
    action = RadioField(_l("What does the notice ask for?"), choices=list(RECALL_ACTIONS.items()),
                        widget=GovRadioInput(), validators=[InputRequired(_l("Select what the notice asks for"))])
    reason = TextAreaField(_l("Reason for the recall"), widget=GovTextArea(),
                           description=_l("The fault or risk, as the notice describes it"),
                           validators=[InputRequired(_l("Enter the reason for the recall")), Length(max=2000)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        serials, supplied = self.scope.data == "serials", self.scope.data == "supplied"
        return needed(
            (serials and not (self.serial_from.data or "").strip(), self.serial_from,
             _("Enter the first serial number in the range")),
            (serials and not (self.serial_to.data or "").strip(), self.serial_to,
             _("Enter the last serial number in the range")),
            (supplied and self.supplied_from.data is None, self.supplied_from,
             _("Enter the first supply date, like 1 3 2026")),
            (supplied and self.supplied_to.data is None, self.supplied_to,
             _("Enter the last supply date, like 31 3 2026")),
        ) and ok


class CloseRecallForm(VersionForm):
    reason = TextAreaField(_l("Reason for closing with items not resolved (optional when all are resolved)"),
                           widget=GovTextArea(), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Close the recall"), widget=GovSubmitInput())


class RecallItemForm(FlaskForm):
    """Record work on one affected item: an inspection at the home, or how a held item left quarantine."""

    outcome = RadioField(_l("What happened?"), widget=GovRadioInput(),
                         validators=[InputRequired(_l("Select what happened"))])
    note = StringField(_l("Note"), widget=GovTextInput(),
                       validators=[InputRequired(_l("Enter a note")), Length(max=300)])
    submit = SubmitField(_l("Record"), widget=GovSubmitInput())
