"""Template filters and globals: dates in Europe/London, money, the navigation by role."""

from datetime import date, datetime

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, g, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape

from portal.timeutil import to_london
from portal.web.forms import error_summary
from portal.web.registry import registry
from portal.web.security import PUBLIC, access_rule, may_open


def _language() -> str:
    """The request's language; English outside a request (a CLI command, a background job)."""
    from flask import has_request_context

    from portal.web.i18n import DEFAULT_LANGUAGE, current_language

    return current_language() if has_request_context() else DEFAULT_LANGUAGE


def format_time(value: datetime, language: str | None = None) -> str:
    """GOV.UK style "2:05pm"; in Welsh "2:05yp" (yb before noon)."""
    local = to_london(value)
    clock = f"{local:%-I:%M}"
    if (language or _language()) == "cy":
        return clock + ("yb" if local.hour < 12 else "yp")
    return clock + ("am" if local.hour < 12 else "pm")


def format_datetime(value: datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or _language()
    local = to_london(value)
    joiner = "am" if language == "cy" else "at"
    return f"{format_date(local, language)} {joiner} {format_time(local, language)}"


def format_date(value: date | datetime | None, language: str | None = None) -> str:
    """GOV.UK style "5 December 2026"; in Welsh "5 Rhagfyr 2026" (Babel's month names)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
    language = language or _language()
    if language != "en":
        return babel_dates.format_date(value, "d MMMM y", locale=language)
    return f"{value.day} {value:%B %Y}"


def format_short_date(value: date | datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value)
    language = language or _language()
    if language != "en":
        return babel_dates.format_date(value, "d MMM y", locale=language)
    return f"{value.day} {value:%b %Y}"


def format_money(value) -> str:
    """Pounds as "£1,250" or "£12.50" (the same in English and Welsh)."""
    if value is None:
        return ""
    pounds = float(value)
    return f"£{pounds:,.0f}" if pounds == int(pounds) else f"£{pounds:,.2f}"


def format_number(value, language: str | None = None) -> str:
    """A number with the locale's grouping ("12,345")."""
    if value is None:
        return ""
    return babel_numbers.format_decimal(value, locale=language or _language())


def clock_tag(reading) -> Markup:
    """A clock reading as its GOV.UK tag; every clock on every page is drawn by this."""
    if reading is None:
        return Markup("")
    return Markup(f'<strong class="govuk-tag govuk-tag--{escape(reading.colour)}">{escape(reading.text)}</strong>')


def actor_name(label: str | None) -> str:
    """An audit row's actor ("Jane Smith <jane@council>") as a page shows it: the name alone."""
    return (label or "").split(" <", 1)[0] or "the system"


def audit_action(action: str | None) -> str:
    """"referral.priority_set" as words: "priority set"."""
    return (action or "").rsplit(".", 1)[-1].replace("_", " ")


def navigation() -> list[dict]:
    """The service navigation this user sees: Home first, then the items in the order features add them."""
    if not current_user.is_authenticated:
        return []
    held = set(current_user.role_names)
    items = []
    for entry in registry().navigation:
        if entry.endpoint not in current_app.view_functions:
            continue
        if entry.roles is None or held & set(entry.roles):
            items.append({"href": url_for(entry.endpoint), "text": entry.label,
                          "endpoint": entry.endpoint, "owns": entry.owns})
    return sorted(items, key=lambda item: item["endpoint"] != "auth.home")  # Home first, then as added


def current_nav_endpoint(items: list[dict], endpoint: str | None) -> str | None:
    """The one navigation item a page belongs to: the item for the page itself; else the first
    visible item, in navigation order, that owns the page's endpoint (its blueprint, or a prefix it
    declares, e.g. "people." for the person record); else none. A public page (the resident's
    side) is in no staff section."""
    if not endpoint or access_rule(current_app, endpoint) == PUBLIC:
        return None
    for item in items:
        if item["endpoint"] == endpoint:
            return endpoint
    for item in items:
        if any(endpoint.startswith(prefix) for prefix in item["owns"]):
            return item["endpoint"]
    return None


def nav_items(items: list[dict], endpoint: str | None) -> list[dict]:
    """The navigation as govukServiceNavigation takes it, with exactly one item current at most."""
    current = current_nav_endpoint(items, endpoint)
    return [{"href": item["href"], "text": item["text"], "current": item["endpoint"] == current} for item in items]


def register(app: Flask) -> None:
    app.add_template_filter(nav_items, "nav_items")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_short_date, "short_date")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(clock_tag, "clock_tag")
    app.add_template_filter(actor_name, "actor_name")
    app.add_template_filter(audit_action, "audit_action")
    app.add_template_global(error_summary, "form_error_summary")
    app.add_template_global(lambda endpoint: may_open(current_user, endpoint), "may_open")

    @app.context_processor
    def layout_context():
        return {
            "cspNonce": g.get("csp_nonce", ""),
            "theme_colour": "#0b0c0c",  # the browser's theme colour (not text, so not in the template)
            "council_name": app.config["COUNCIL_NAME"],
            "service_name": gettext(app.config["SERVICE_NAME"]),  # portal.web.i18n.SERVICE_NAME
            "staff_navigation": navigation(),
            "has_endpoint": lambda name: name in app.view_functions,
        }
