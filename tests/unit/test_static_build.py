"""The static build (portal/web/assets.py) on a static folder made for the test: fonts and images
referred to from CSS, modules importing modules, a cycle, rebuilds, and workers starting together."""

import gzip
import hashlib
import json
import posixpath
import re
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import brotli
import pytest
from flask import Flask, url_for

from portal.config import TestConfig
from portal.web import assets
from portal.web.assets import StaticBuildError, fingerprint, fingerprinted_name, prepare

H = r"[0-9a-f]{12}"
FONT = b"wOF2" + bytes(range(256)) * 4
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1v1z"/></svg>'
CSS = """@import "base.css";
@font-face { font-family: x; src: url("../fonts/x.woff2?v=1#iefix") format("woff2"), url(../fonts/x.woff2); }
.logo { background: url('/static/images/logo.svg#mark'); }
.inline { background: url(data:image/png;base64,iVBORw0KGgo=); }
.far { background: url(https://example.org/a.png); }
.gone { background: url("/static/images/not-vendored.svg"); }
"""


def make_static(root):
    files = {
        "css/site.css": CSS,
        "css/base.css": "body { color: #0b0c0c; }\n",
        "fonts/x.woff2": FONT,
        "images/logo.svg": SVG,
        "js/app.mjs": 'import { start } from "./lib/start.mjs";\nimport "../vendor/polyfill.js";\n'
                      'import { html } from "lit";\nconst later = () => import("./lib/later.mjs");\nstart(later);\n',
        "js/lib/start.mjs": 'export * from "../../vendor/kit.min.js";\nexport const start = (f) => f();\n',
        "js/lib/later.mjs": "export default 1;\n",
        "vendor/kit.min.js": "export const kit = 1;\n//# sourceMappingURL=kit.min.js.map",
        "vendor/kit.min.js.map": '{"version":3,"file":"kit.min.js","mappings":""}',
        "vendor/polyfill.js": "window.polyfilled = true;\n",
        "vendor/axe-core-4.0.0/axe.min.js": "window.axe = {};\n",
        ".hidden": "not served",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.fixture
def static(tmp_path):
    assets._built.clear()  # each test sees the build as a freshly started process would
    yield make_static(tmp_path / "static")
    assets._built.clear()


def builds(root):
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_fingerprinted_names():
    assert fingerprinted_name("css/app.css", "abc") == "css/app.abc.css"
    assert fingerprinted_name("vendor/govuk-frontend.min.js.map", "abc") == "vendor/govuk-frontend.min.js.abc.map"
    assert fingerprinted_name("LICENCE", "abc") == "LICENCE.abc"


def test_the_hash_is_of_the_content_served(static, tmp_path):
    build = prepare(static, tmp_path / "build")
    for name, hashed in build.files.items():
        data = (build.served / hashed).read_bytes()
        assert hashed == fingerprinted_name(name, hashlib.sha256(data).hexdigest()[:12])
        assert (build.served / name).read_bytes() == data  # the plain name serves the same bytes


def test_css_refers_to_fingerprinted_fonts_and_images(static, tmp_path):
    build = prepare(static, tmp_path / "build")
    css = (build.served / build.files["css/site.css"]).read_text()
    font, logo, base = build.files["fonts/x.woff2"], build.files["images/logo.svg"], build.files["css/base.css"]
    assert re.fullmatch(rf"fonts/x\.{H}\.woff2", font) and re.fullmatch(rf"images/logo\.{H}\.svg", logo)
    assert f'@import "{base.removeprefix("css/")}";' in css
    assert f'url("../{font}?v=1#iefix")' in css and f"url(../{font})" in css  # query and fragment kept
    assert f"url('/static/{logo}#mark')" in css
    assert "url(data:image/png;base64,iVBORw0KGgo=)" in css and "url(https://example.org/a.png)" in css
    assert 'url("/static/images/not-vendored.svg")' in css  # missing: left as written


def test_modules_import_fingerprinted_modules(static, tmp_path):
    build = prepare(static, tmp_path / "build")
    app = (build.served / build.files["js/app.mjs"]).read_text()
    start = build.files["js/lib/start.mjs"].removeprefix("js/")
    later = build.files["js/lib/later.mjs"].removeprefix("js/")
    assert f'from "./{start}";' in app and f'import("./{later}")' in app
    assert f'import "../{build.files["vendor/polyfill.js"]}";' in app
    assert 'from "lit";' in app  # a bare specifier is not a path
    start_text = (build.served / build.files["js/lib/start.mjs"]).read_text()
    assert f'export * from "../../{build.files["vendor/kit.min.js"]}";' in start_text
    kit = (build.served / build.files["vendor/kit.min.js"]).read_text()
    assert kit.endswith("sourceMappingURL=" + build.files["vendor/kit.min.js.map"].removeprefix("vendor/"))


def test_a_change_renames_everything_that_refers_to_it(static, tmp_path):
    before = prepare(static, tmp_path / "build").files
    (static / "vendor/kit.min.js").write_text("export const kit = 2;\n")
    after = prepare(static, tmp_path / "build").files
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"vendor/kit.min.js", "js/lib/start.mjs", "js/app.mjs"}


def test_a_cycle_is_refused(static):
    contents = {"a.mjs": b'import "./b.mjs";', "b.mjs": b'import "./a.mjs";'}
    with pytest.raises(StaticBuildError, match=r"a\.mjs -> b\.mjs -> a\.mjs"):
        fingerprint(contents)


def test_test_tooling_and_hidden_files_are_left_out(static, tmp_path):
    files = prepare(static, tmp_path / "build").files
    assert not any(name.startswith("vendor/axe-core-") for name in files)
    assert ".hidden" not in files


def test_compressed_siblings(static, tmp_path):
    build = prepare(static, tmp_path / "build")
    for name in ("css/site.css", "js/app.mjs"):
        for served in (name, build.files[name]):
            data = (build.served / served).read_bytes()
            assert gzip.decompress((build.served / f"{served}.gz").read_bytes()) == data
            assert brotli.decompress((build.served / f"{served}.br").read_bytes()) == data
    assert not (build.served / (build.files["vendor/kit.min.js.map"] + ".gz")).exists()  # dev tools only
    assert not (build.served / (build.files["fonts/x.woff2"] + ".gz")).exists()  # already compressed
    manifest = json.loads((build.directory / "manifest.json").read_text())
    assert manifest["files"] == build.files


def test_a_build_is_reused_and_old_builds_are_pruned(static, tmp_path):
    root = tmp_path / "build"
    first = prepare(static, root)
    stamp = (first.directory / "manifest.json").stat().st_mtime_ns
    assets._built.clear()  # another process: finds the build on disk and writes nothing
    assert prepare(static, root).directory == first.directory
    assert (first.directory / "manifest.json").stat().st_mtime_ns == stamp
    for n in range(4):
        (static / "css/base.css").write_text(f"body {{ margin: {n}px; }}\n")
        latest = prepare(static, root)
    assert len(builds(root)) == assets.KEEP_BUILDS and latest.directory.name in builds(root)
    assert not list(root.glob(".tmp-*"))


def test_a_deleted_build_is_made_again(static, tmp_path):
    import shutil

    build = prepare(static, tmp_path / "build")
    shutil.rmtree(build.directory)
    assert (prepare(static, tmp_path / "build").directory / "manifest.json").is_file()


def test_workers_starting_together_build_once(static, tmp_path):
    root = tmp_path / "build"
    context = get_context("forkserver")  # a fresh process to fork from: no threads, portal imported once
    context.set_forkserver_preload(["portal.web.assets"])
    with ProcessPoolExecutor(4, mp_context=context) as pool:
        dirs = {build.directory.name for build in pool.map(prepare, [static] * 8, [root] * 8)}
    assert len(dirs) == 1 and builds(root) == [dirs.pop()]
    assert not list(root.glob(".tmp-*"))


def test_an_app_serves_the_fonts_its_css_refers_to(static, tmp_path):
    """Flask and WhiteNoise together on the test's static folder: what the GOV.UK CSS would get
    if fonts or images were vendored."""
    app = Flask(__name__, static_folder=str(static))
    app.config.from_object(TestConfig)
    app.config["STATIC_BUILD_DIR"] = str(tmp_path / "build")
    app.config["HSTS"] = True
    assets.init_app(app)
    client = app.test_client()
    with app.test_request_context():
        css_url = url_for("static", filename="css/site.css")
    assert re.fullmatch(rf"/static/css/site\.{H}\.css", css_url)
    css = client.get(css_url)
    assert "immutable" in css.headers["Cache-Control"] and css.headers["X-Content-Type-Options"] == "nosniff"
    refs = re.findall(r"""url\(["']?(\.\./fonts/[^"')?#]+|/static/images/logo[^"')?#]+)""", css.text)
    assert len(refs) == 3
    for ref in refs:
        url = ref if ref.startswith("/") else posixpath.normpath("/static/css/" + ref)
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "max-age=31536000, public, immutable", url
        assert resp.data in (FONT, SVG)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        resp.close()
    css.close()
