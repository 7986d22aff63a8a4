"""Languages: English and Welsh (Welsh Language Standards), with Flask-Babel.

Strings in templates are marked with `_()` or `{% trans %}`; in Python with `gettext` or, at import
time (form labels), `lazy_gettext`. Catalogues live in `portal/translations/`.

The person chooses a language with the link at the top of every page (GOV.UK pattern): the
choice is kept in the `language` cookie for a year. A link from a letter or another site can
also carry `?lang=cy`: that page is shown in Welsh and the choice remembered.
"""

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, g, request
from flask_babel import Babel, LazyString, get_locale, gettext, lazy_gettext

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "language"
LANGUAGE_PARAMETER = "lang"
COOKIE_LIFETIME = timedelta(days=365)
# The service's name as config.SERVICE_NAME gives it, named here so extraction keeps it in the
# catalogues (the layout shows gettext(SERVICE_NAME)).
SERVICE_NAME = lazy_gettext("TECS Portal")

babel = Babel()


def N_(text: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark text for the catalogues without translating it here: a constant that stays plain
    English (tests and staff pages compare it), translated where it is shown with gettext(text)."""
    return text


def _asked_for() -> str | None:
    """A language named in the address (``?lang=cy``), if it is one we offer."""
    asked = request.args.get(LANGUAGE_PARAMETER)
    return asked if asked in LANGUAGES else None


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
    """The language in the address, else the one the person chose (remembered in a cookie),
    else English."""
    if not request:
        return DEFAULT_LANGUAGE
    chosen = _asked_for() or request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this request ("en" or "cy")."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def remember_language(response: Response, language: str) -> Response:
    """Keep the choice for a year: HttpOnly, SameSite=Lax, Secure wherever the session is."""
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=int(COOKIE_LIFETIME.total_seconds()), path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), httponly=True, samesite="Lax",
    )
    return response


def safe_return(target: str | None) -> str:
    """Only a path on this site (never another host, never ``//host``), else the start page."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def _remember_asked_language(response: Response) -> Response:
    asked = _asked_for()
    if asked and request.cookies.get(LANGUAGE_COOKIE) != asked:
        remember_language(response, asked)
    return response


def _this_page() -> str:
    """This page's address without any ``lang`` parameter, to come back to after a switch."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != LANGUAGE_PARAMETER]
    if not args:
        return request.path
    return f"{request.path}?{urlencode(args)}"


def _template_language() -> dict:
    if not request:
        return {"html_lang": DEFAULT_LANGUAGE}
    language = current_language()
    cached = g.get("_language_links")
    if cached is None:
        cached = g._language_links = {"html_lang": language, "language_names": LANGUAGES,
                                      "language_return": _this_page()}
    return cached


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_asked_language)
    app.context_processor(_template_language)
