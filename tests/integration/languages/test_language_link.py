"""The language link on every page (GOV.UK pattern): English / Cymraeg, remembered in a cookie."""

import re

from portal.web.i18n import safe_return


def _switcher(html: str) -> str:
    return re.search(r'<nav class="app-language-select".*?</nav>', html, re.S).group(0)


def test_every_page_has_the_language_link_with_english_current(client):
    for url in ("/", "/accessibility", "/privacy", "/sign-in", "/no-such-page"):
        html = client.get(url).text
        assert '<html lang="en"' in html and '<meta name="theme-color" content="#0b0c0c">' in html
        nav = _switcher(html)
        assert '<span class="app-language-select__current" aria-current="true">English</span>' in nav
        link = re.search(r'<a [^>]*>Cymraeg</a>', nav).group(0)
        assert 'hreflang="cy"' in link and 'lang="cy"' in link
        assert "English</a>" not in nav


def test_choosing_welsh_sets_a_cookie_and_comes_back_to_the_same_page(app, client):
    resp = client.get("/language/cy?next=/accessibility")
    assert resp.status_code == 303 and resp.headers["Location"] == "/accessibility"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("language=cy;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert ("Secure" in cookie) == bool(app.config["SESSION_COOKIE_SECURE"])
    for url in ("/", "/privacy", "/accessibility"):  # remembered across pages
        html = client.get(url).text
        assert '<html lang="cy"' in html
        nav = _switcher(html)
        assert 'aria-current="true">Cymraeg</span>' in nav
        assert re.search(r'<a [^>]*hreflang="en"[^>]*>English</a>', nav)
    client.get("/language/en?next=/")
    assert '<html lang="en"' in client.get("/").text


def test_the_link_names_the_page_it_is_on(client):
    html = client.get("/accessibility?x=1").text
    assert 'href="/language/cy?next=/accessibility?x%3D1"' in _switcher(html)


def test_lang_in_the_address_shows_welsh_and_remembers_it(client):
    resp = client.get("/?lang=cy")
    assert '<html lang="cy"' in resp.text
    assert "language=cy;" in resp.headers.get("Set-Cookie", "")
    assert '<html lang="cy"' in client.get("/privacy").text
    assert "next=/%22" not in resp.text


def test_only_a_local_page_is_a_way_back():
    assert safe_return("/advice/check") == "/advice/check"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "evil", "", None,
                    "/\nSet-Cookie"):
        assert safe_return(hostile) == "/"


def test_an_unknown_language_is_not_found_and_sets_nothing(client):
    resp = client.get("/language/fr?next=/")
    assert resp.status_code == 404
    assert "language=" not in resp.headers.get("Set-Cookie", "")
    html = client.get("/?lang=fr").text
    assert '<html lang="en"' in html
