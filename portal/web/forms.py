"""Form helpers shared by every feature: one-button forms and the one way a refusal reaches a form."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from portal.errors import Refusal
from portal.extensions import db


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token, for one-button actions."""


def needed(*rules) -> bool:
    """Answers that another answer makes necessary: each rule is (missing, field, message).

    Call it from a form's validate(), after the fields' own validators: an empty field with
    Optional() stops its validator chain, inline validate_<field> methods included, so a
    "needed when..." rule written there never runs when the answer is left out."""
    missing = [(field, message) for is_missing, field, message in rules if is_missing and not field.errors]
    for field, message in missing:
        field.errors = [*field.errors, message]
    return not missing


def refuse(form, exc: Refusal, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form it came from, so the same page shows it again.

    The work of the failed request is rolled back first. The message goes on the field the
    refusal names (or `fields` maps it to; a form with a prefix is matched too), else at the
    top of the form; the GOV.UK error summary lists it either way, and every answer stays.
    """
    db.session.rollback()
    name = (fields or {}).get(exc.field or "", exc.field)
    field = form._fields.get(name) if name else None
    if field is None and name and getattr(form, "_prefix", ""):
        field = form._fields.get(form._prefix + name)
    if field is None:
        form.form_errors.append(exc.message)
    else:
        field.errors = [*field.errors, exc.message]


def error_summary(form) -> dict:
    """The GOV.UK error summary's parameters: form-wide refusals first, then each field's first error."""
    errors = [{"text": message, "href": "#main-content"} for message in form.form_errors]
    for field in form:
        if field.errors:
            errors.append({"text": field.errors[0], "href": f"#{field.id}"})
    return {"titleText": _("There is a problem"), "errorList": errors}
