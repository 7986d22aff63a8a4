"""Languages: English and Welsh (Welsh Language Standards), with Flask-Babel.

Strings in templates are marked with `_()` or `{% trans %}`; in Python with `gettext` or, at import
time (form labels), `lazy_gettext`. Catalogues live in `portal/translations/`.
"""

from flask import Flask, request
from flask_babel import Babel, LazyString, gettext

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "language"

babel = Babel()


class LazyText(LazyString):
    """A translation looked up when it is shown, escaped like any other text.

    flask_babel's LazyString says it is HTML (`__html__`), so Jinja and WTForms would print it unescaped;
    a label, hint or error message is text, and an apostrophe in it must come out as `&#39;` as before."""

    def __getattribute__(self, name):
        if name == "__html__":
            raise AttributeError(name)
        return super().__getattribute__(name)

    @property
    def msgid(self) -> str:
        """The English text, for code that uses a label as a key (the same in every language)."""
        return self._args[0]


def msgid(text) -> str:
    """The English text of a lazy translation; plain text as it is."""
    return text.msgid if isinstance(text, LazyText) else text


def lazy_text(string: str, **variables) -> LazyText:
    """`lazy_gettext` for text read at import time (form labels, list columns); extracted as `_l`."""
    return LazyText(gettext, string, **variables)


def select_locale() -> str:
    """The language the person chose (remembered in a cookie), else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
