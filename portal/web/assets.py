"""Static assets: fingerprinted, pre-compressed copies of `static/`, served by WhiteNoise.

Flask has nothing like Django's ManifestStaticFilesStorage, so this module is a small one.

The build
    `prepare()` walks `static/` and, for every file, writes into a build folder

    - the file under a fingerprinted name, `css/app.css` -> `css/app.<12 hex of sha256>.css`;
    - the file under its own name too, so old or hand-written URLs keep working (short cache);
    - `.br` and `.gz` siblings of both, made by `whitenoise.compress.Compressor`;
    - `manifest.json`, beside the served folder: source name -> fingerprinted name.

    The folder is named after a digest of every source file (and of this build's format), so
    it is content-addressed: a worker that finds `<STATIC_BUILD_DIR>/<digest>/manifest.json`
    uses it and writes nothing (a read-only deployment can ship it prebuilt); otherwise it takes
    a file lock, builds into a temporary folder and renames it into place, so gunicorn workers
    starting together build once and never see half a build. The result is also remembered per
    process, so the test suite, which creates the app many times, hashes and builds once. The
    build folder is generated, never committed: by default it is `instance/static-build/`
    (`instance/` is git-ignored). Building takes about half a second; brotli is most of it.

References between files
    A fingerprinted file must only refer to fingerprinted files, or a cached stylesheet or
    module would load a dependency that changes under it. So, as Django does, references are
    rewritten to the fingerprinted names before a file is hashed, and a file's hash covers the
    names of what it refers to: a new `govuk-frontend.min.js` gives `app.mjs` a new name too.

    - CSS: `url(...)`, `@import "..."` and `sourceMappingURL` comments. Relative references
      and ones under the static URL prefix (`/static/...`, which is how the compiled GOV.UK
      Frontend CSS refers to its images) are resolved against `static/`.
    - JavaScript (`.js`, `.mjs`): module specifiers in `import ... from "..."`,
      `export ... from "..."`, `import "..."` and `import("...")` that are paths (`./`, `../`
      or `/static/...`; bare specifiers are left alone), and `sourceMappingURL` comments. This
      is what keeps `js/app.mjs`'s import of GOV.UK Frontend's module on the fingerprinted name.

    A reference to a file that is not in `static/` is left as it is. The GOV.UK Frontend CSS
    refers to `govuk-crest.svg`, which is deliberately not vendored (see static/vendor/README.md),
    and this app vendors no fonts (the CSS uses Arial); both would be rewritten if they were added.
    Files that refer to each other in a cycle cannot all have stable content hashes; the build
    stops with an error naming the cycle.

What is left out
    `vendor/axe-core-*/` is browser-test tooling, never sent to users (the tests read it from
    disk); leaving it out keeps 650 KB and a second of brotli out of the build. Flask's own static
    route still answers for anything not in the build. Source maps are fingerprinted but not
    compressed: only developer tools fetch them.

Serving
    `init_app()` wraps `app.wsgi_app` in WhiteNoise, serving the build folder at `/static/`:
    fingerprinted names get `Cache-Control: max-age=31536000, public, immutable`, the plain names
    `STATIC_MAX_AGE` seconds; WhiteNoise picks the `.br` or `.gz` sibling from `Accept-Encoding`
    and sets `Vary: Accept-Encoding`. Its responses never reach Flask, so the security headers
    come from `security.static_file_headers`. `url_for('static', filename=...)` returns the
    fingerprinted URL for any file in the manifest, so templates need no change. URLs built by
    hand from a prefix (GOV.UK's `assetPath` for icons) get the plain, short-cached names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import posixpath
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

BUILD_FORMAT = "1"  # change when the build writes something different from the same sources
HASH_LENGTH = 12
EXCLUDED_PREFIXES = ("vendor/axe-core-",)  # relative to static/
KEEP_BUILDS = 3  # a rolling restart may still be serving from the previous build
MANIFEST = "manifest.json"  # beside the served folder, not in it
SERVED = "static"
STALE_SECONDS = 600  # an unfinished build older than this was left by a crash

_CSS_URL = re.compile(r"""(?P<lead>url\(\s*)(?P<q>["']?)(?P<ref>[^"')\s]+)(?P=q)(?=\s*\))""")
_CSS_IMPORT = re.compile(r"""(?P<lead>@import\s+)(?P<q>["'])(?P<ref>[^"']+)(?P=q)""")
_SOURCE_MAP = re.compile(r"""(?P<lead>(?://|/\*)[#@]\s*sourceMappingURL=)(?P<q>)(?P<ref>[^\s*]+)""")
_JS_IMPORT = re.compile(r"""(?P<lead>\bfrom\s*|\bimport\s*\(?\s*)(?P<q>["'])(?P<ref>[^"'\n]+)(?P=q)""")
_PATTERNS = {
    ".css": ((_CSS_URL, True), (_CSS_IMPORT, True), (_SOURCE_MAP, True)),
    ".js": ((_JS_IMPORT, False), (_SOURCE_MAP, True)),
    ".mjs": ((_JS_IMPORT, False), (_SOURCE_MAP, True)),
}  # (pattern, whether a plain name like "font.woff2" counts as relative: yes in CSS, no for modules)

_built: dict[tuple, StaticBuild] = {}
_built_lock = threading.Lock()


class StaticBuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class StaticBuild:
    directory: Path  # <STATIC_BUILD_DIR>/<digest>: manifest.json and the served folder
    files: dict[str, str]  # source name -> fingerprinted name, both relative to static/

    @property
    def served(self) -> Path:
        return self.directory / SERVED

    @classmethod
    def load(cls, directory: Path) -> StaticBuild:
        manifest = json.loads((directory / MANIFEST).read_text())
        return cls(directory=directory, files=manifest["files"])


def fingerprinted_name(name: str, digest: str) -> str:
    """`css/app.css` -> `css/app.<digest>.css`; the hash goes before the last suffix only."""
    head, base = posixpath.split(name)
    stem, dot, suffix = base.rpartition(".")
    base = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
    return posixpath.join(head, base)


def _compressor() -> Compressor:
    return Compressor(extensions=(*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"), quiet=True)


def _source_files(source: Path) -> list[tuple[str, os.stat_result]]:
    found = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            path = os.path.join(dirpath, filename)
            name = os.path.relpath(path, source).replace(os.sep, "/")
            if not name.startswith(EXCLUDED_PREFIXES):
                found.append((name, os.stat(path)))
    return found


def prepare(source: Path | str, build_root: Path | str, url_prefix: str = "/static/") -> StaticBuild:
    """The current build of `source`: found in `build_root`, or made there. See the module docstring."""
    source, build_root = Path(source).resolve(), Path(build_root).resolve()
    files = _source_files(source)
    key = (source, build_root, url_prefix, tuple((n, s.st_size, s.st_mtime_ns, s.st_ino) for n, s in files))
    with _built_lock:
        known = _built.get(key)
        if known is not None and (known.directory / MANIFEST).is_file():
            return known
        contents = {name: (source / name).read_bytes() for name, _ in files}
        digest = hashlib.sha256(f"{BUILD_FORMAT}\0{url_prefix}\0{_compressor().use_brotli}\0".encode())
        for name, data in contents.items():
            digest.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\0".encode())
        directory = build_root / digest.hexdigest()[:16]
        if not (directory / MANIFEST).is_file():
            _build_once(contents, directory, url_prefix)
        built = _built[key] = StaticBuild.load(directory)
        return built


def _build_once(contents: dict[str, bytes], directory: Path, url_prefix: str) -> None:
    root = directory.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = open(root / ".lock", "a")  # noqa: SIM115 (held until the build is in place)
    except OSError as exc:
        raise StaticBuildError(
            f"cannot build the static assets in {root} ({exc.strerror}): set STATIC_BUILD_DIR to a "
            "writable folder, or start the app once where it can write so the build is there") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building the same thing
        if (directory / MANIFEST).is_file():
            return
        for stale in root.glob(".tmp-*"):  # left by a build that crashed
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            _write_build(contents, work, url_prefix)
            os.chmod(work, 0o755)
            os.rename(work, directory)  # atomic: a build is seen whole or not at all
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            if not (directory / MANIFEST).is_file():  # not merely beaten to it (a lock that did not hold)
                raise
        _prune(root, keep=directory)


def _prune(root: Path, keep: Path) -> None:
    """Keep the newest few builds: one is in use, the others may be by workers not yet restarted."""
    builds = []
    for path in root.iterdir():
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.name.startswith(".") and path != keep:
                builds.append((path.stat().st_mtime, path))
    for _, old in sorted(builds, reverse=True)[KEEP_BUILDS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def _write_build(contents: dict[str, bytes], work: Path, url_prefix: str) -> None:
    compressor = _compressor()
    manifest = {}
    for name, (hashed, data) in fingerprint(contents, url_prefix).items():
        manifest[name] = hashed
        target = work / SERVED / hashed
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written = [str(target)]
        if compressor.should_compress(hashed):
            written += compressor.compress(str(target))
        for path in written:  # the same bytes under the plain name
            shutil.copy2(path, str(work / SERVED / name) + path[len(str(target)):])
    (work / MANIFEST).write_text(json.dumps({"format": BUILD_FORMAT, "files": manifest}, indent=1, sort_keys=True))


def fingerprint(contents: dict[str, bytes], url_prefix: str = "/static/") -> dict[str, tuple[str, bytes]]:
    """Every file's fingerprinted name and its content with references rewritten (see above)."""
    done: dict[str, tuple[str, bytes]] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> str:
        if name in done:
            return done[name][0]
        if name in chain:
            cycle = " -> ".join((*chain[chain.index(name):], name))
            raise StaticBuildError(f"static files refer to each other in a cycle, so they cannot be "
                                   f"fingerprinted: {cycle}")
        data = contents[name]
        patterns = _PATTERNS.get(posixpath.splitext(name)[1], ())
        if patterns:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise StaticBuildError(f"static/{name} is not UTF-8, so its references cannot be rewritten") from exc

            def follow(target: str) -> str:
                return resolve(target, (*chain, name))

            for pattern, plain_is_relative in patterns:
                def swap(m: re.Match, plain_is_relative: bool = plain_is_relative) -> str:
                    new = _rewrite(m["ref"], name, contents, url_prefix, plain_is_relative, follow)
                    return m["lead"] + m["q"] + new + m["q"]

                text = pattern.sub(swap, text)
            data = text.encode("utf-8")
        done[name] = (fingerprinted_name(name, hashlib.sha256(data).hexdigest()[:HASH_LENGTH]), data)
        return done[name][0]

    for name in sorted(contents):
        resolve(name, ())
    return done


def _rewrite(ref: str, referrer: str, contents: dict, url_prefix: str, plain_is_relative: bool,
             resolve: Callable[[str], str]) -> str:
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return ref  # data:, https://, //host/..., #fragment
    path = parts.path
    if path.startswith(url_prefix):
        target = path[len(url_prefix):]
    elif path.startswith("/"):
        return ref
    elif plain_is_relative or path.startswith(("./", "../")):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), path))
    else:
        return ref  # a bare module specifier
    if target not in contents:
        return ref
    head = path.rpartition("/")[0]
    new_path = (head + "/" if head or path.startswith("/") else "") + posixpath.basename(resolve(target))
    return new_path + ref[len(path):]  # keeps any ?query or #fragment


class _WhiteNoise(WhiteNoise):
    FOREVER = 365 * 24 * 60 * 60  # one year, the longest HTTP/1.1 advises (WhiteNoise's default is ten)


def init_app(app: Flask) -> StaticBuild:
    """Build (or find) the fingerprinted assets and serve them in front of the app."""
    from portal.web.security import static_file_headers

    prefix = app.static_url_path.rstrip("/") + "/"
    build = prepare(app.static_folder, app.config["STATIC_BUILD_DIR"], prefix)
    app.extensions["static_build"] = build
    immutable_urls = frozenset(prefix + hashed for hashed in build.files.values())

    @app.url_defaults
    def fingerprinted_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            hashed = build.files.get(values.get("filename", ""))
            if hashed is not None:
                values["filename"] = hashed

    app.wsgi_app = _WhiteNoise(
        app.wsgi_app,
        root=build.served,
        prefix=prefix,
        max_age=app.config["STATIC_MAX_AGE"],
        immutable_file_test=lambda path, url: url in immutable_urls,
        add_headers_function=static_file_headers(app.config),
        allow_all_origins=False,  # everything is served from the app's own origin; no CDN
    )
    return build
