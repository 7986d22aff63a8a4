"""Languages: English and Welsh (Welsh Language Standards), with Flask-Babel.

Strings in templates are marked with `_()` or `{% trans %}`; in Python with `gettext` or, at import
time (form labels), `lazy_gettext`. Catalogues live in `portal/translations/`.
"""

from flask import Flask, request
from flask_babel import Babel

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "language"

babel = Babel()


def select_locale() -> str:
    """The language the person chose (remembered in a cookie), else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
