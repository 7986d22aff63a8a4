"""Small fixes to govuk-frontend-wtf widgets."""

from flask_babel import gettext as _
from govuk_frontend_wtf.wtforms_widgets import GovDateInput


class DateInput(GovDateInput):
    """GovDateInput unpacks exactly three raw values; a post with the date parts missing or
    repeated would raise. Pad or trim them so bad input re-renders with its error message."""

    def map_gov_params(self, field, **kwargs):
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = (list(raw) + ["", "", ""])[:3]
        try:
            params = super().map_gov_params(field, **kwargs)
        finally:
            field.raw_data = raw
        for item, label in zip(params.get("items") or [], (_("Day"), _("Month"), _("Year")), strict=False):
            if item.get("label") in ("Day", "Month", "Year"):
                item["label"] = label
        return params
