"""Static assets as the browser gets them: fingerprinted URLs in the page, a year's immutable
caching, pre-compressed bodies, security headers, and references between files that resolve."""

import gzip
import posixpath
import re
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parents[3]
ASSET_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")
IMPORT = re.compile(r"""\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']""")
SOURCE_MAP = re.compile(r"sourceMappingURL=(\S+)")
YEAR = "max-age=31536000"
# Referred to by the compiled GOV.UK CSS but deliberately not vendored (scripts/vendor-assets.sh).
NOT_VENDORED = {"/static/vendor/govuk-frontend-6.3.0/assets/images/govuk-crest.svg"}


def fetch(client, url, encoding="identity"):
    resp = client.get(url, headers={"Accept-Encoding": encoding})
    resp.get_data()
    resp.close()  # WhiteNoise answers with a file wrapper
    return resp


def page_assets(client) -> list[str]:
    return ASSET_URL.findall(client.get("/").text)


def source_of(app, url) -> str:
    """The file in static/ that a fingerprinted URL was made from."""
    name = url.removeprefix("/static/")
    sources = {hashed: source for source, hashed in app.extensions["static_build"].files.items()}
    return sources[name]


def resolve(base_url, ref) -> str:
    ref = ref.split("#")[0].split("?")[0]
    return ref if ref.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(base_url), ref))


def test_the_page_links_fingerprinted_assets(app, client):
    urls = page_assets(client)
    sources = {source_of(app, url) for url in urls}
    assert sources == {
        "vendor/govuk-frontend-6.3.0/govuk-frontend.min.css", "vendor/moj-frontend-11.1.0/moj-frontend.min.css",
        "css/app.css", "css/print.css",
        "vendor/htmx-2.0.11/htmx.min.js", "js/app.mjs", "images/favicon.svg",
    }
    assert all(FINGERPRINTED.search(url) for url in urls), urls
    assert "/static/css/app.css" not in client.get("/").text


def test_a_fingerprinted_asset_is_cached_for_a_year_and_is_the_file(app, client):
    for url in page_assets(client):
        resp = fetch(client, url)
        assert resp.status_code == 200, url
        cache = {part.strip() for part in resp.headers["Cache-Control"].split(",")}
        assert cache == {YEAR, "public", "immutable"}, url
        assert resp.headers["X-Content-Type-Options"] == "nosniff", url
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], url
        assert resp.headers["X-Frame-Options"] == "DENY", url
        assert "Accept-Encoding" in resp.headers["Vary"], url
        assert "Set-Cookie" not in resp.headers, url
        if url.endswith(".css") or "htmx" in url:  # byte for byte the file, but for the names of what it uses
            served = re.sub(rb"\.[0-9a-f]{12}(\.(?:svg|png|css))", rb"\1", resp.data)
            assert served == (ROOT / "static" / source_of(app, url)).read_bytes(), url


def test_fingerprinted_assets_come_pre_compressed(client):
    sizes = {}
    for url in page_assets(client):
        if url.endswith(".svg"):  # the 200-byte icon: compressing it would not save enough to keep a copy
            continue
        plain = fetch(client, url)
        zipped = fetch(client, url, "gzip")
        assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(zipped.data) == plain.data, url
        assert YEAR in zipped.headers["Cache-Control"] and zipped.headers["X-Content-Type-Options"] == "nosniff"
        br = fetch(client, url, "br, gzip")
        assert br.headers["Content-Encoding"] == "br", url
        assert brotli.decompress(br.data) == plain.data, url
        sizes[url] = (len(plain.data), len(zipped.data), len(br.data))
    css = next(size for url, size in sizes.items() if "govuk-frontend.min." in url)
    assert css[1] < css[0] / 5  # the GOV.UK CSS is ~131 KB, ~15 KB gzipped


def test_the_plain_url_still_works_with_a_short_cache(app, client):
    resp = fetch(client, "/static/css/app.css")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == f"max-age={app.config['STATIC_MAX_AGE']}, public"
    assert "immutable" not in resp.headers["Cache-Control"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.data == (ROOT / "static/css/app.css").read_bytes()
    zipped = fetch(client, "/static/css/app.css", "gzip")
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == resp.data


def test_every_url_in_the_css_resolves(client):
    refs = {}
    for url in page_assets(client):
        if url.endswith(".css"):
            refs.update({resolve(url, ref): url for ref in CSS_URL.findall(fetch(client, url).text)
                         if not ref.startswith("data:")})
    # A reference to a file that is not there is left exactly as written, not given an invented name.
    assert NOT_VENDORED.issubset(refs)
    for target, css in refs.items():
        if target in NOT_VENDORED:
            continue
        resp = fetch(client, target)
        assert resp.status_code == 200, f"{css} refers to {target}"
        assert YEAR in resp.headers["Cache-Control"], f"{css} refers to {target}, which is not fingerprinted"
    # This app vendors no fonts or images (it uses Arial; see static/vendor/README.md), so the rewriting
    # of font and image references is tested with a static folder that has them: tests/unit/test_static_build.py.


def test_modules_import_fingerprinted_modules(client):
    app_module = next(url for url in page_assets(client) if "/js/app." in url)
    body = fetch(client, app_module).text
    imports = [a or b for a, b in IMPORT.findall(body)]
    assert imports, "js/app.mjs imports GOV.UK Frontend"
    for spec in imports:
        target = resolve(app_module, spec)
        assert FINGERPRINTED.search(target), spec
        resp = fetch(client, target)
        assert resp.status_code == 200 and YEAR in resp.headers["Cache-Control"], target
        assert resp.headers["Content-Type"].startswith("text/javascript")
        assert "initAll" in resp.text
        # GOV.UK Frontend's source map comment follows it to its fingerprinted name
        (map_ref,) = SOURCE_MAP.findall(resp.text)
        source_map = fetch(client, resolve(target, map_ref))
        assert source_map.status_code == 200 and FINGERPRINTED.search(map_ref)


def test_telecare_pages_use_the_fingerprinted_module(app):
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="js/telecare.mjs")
        assert FINGERPRINTED.search(url) and url.startswith("/static/js/telecare.")
        # GOV.UK's assetPath is a folder, not a file: it keeps its plain URL
        assert url_for("static", filename="vendor/govuk-frontend-6.3.0/assets") == (
            "/static/vendor/govuk-frontend-6.3.0/assets")
        assert url_for("static", filename="no-such-file.css") == "/static/no-such-file.css"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_static_files_only_answer_get_and_head(client, method):
    url = page_assets(client)[0]
    assert client.open(url, method=method).status_code == 405
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) > 0


def test_a_conditional_request_is_not_modified(client):
    url = page_assets(client)[0]
    first = fetch(client, url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and YEAR in again.headers["Cache-Control"]


def test_the_manifest_is_not_served(app, client):
    assert (app.extensions["static_build"].directory / "manifest.json").is_file()
    assert fetch(client, "/static/manifest.json").status_code == 404
