"""The installer's day offline: the service worker that keeps today's page on the phone, and a fresh
CSRF token for the steps the phone queued while it had no signal (see static/js/installer-sw.js and
static/js/telecare.mjs)."""

from pathlib import Path

from flask import Response, current_app, jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.telecare import bp, services
from portal.telecare.services import INSTALLERS
from portal.web.security import public, staff

SERVICE_WORKER = "js/installer-sw.js"


@bp.get("/installer-sw.js")
@public
def service_worker():
    """Served from /telecare/ so its scope is the installer's pages (a script under /static/ could
    only control /static/). It holds nothing personal; the browser checks it for changes itself."""
    script = (Path(current_app.static_folder) / SERVICE_WORKER).read_text(encoding="utf-8")
    resp = Response(script, mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = bp.url_prefix + "/"
    return resp


@bp.get("/today/token")
@staff(*INSTALLERS)
def token():
    """A CSRF token of this session, for sending queued steps: a step queued before the installer
    signed in again carries the old session's token, which is refused."""
    return jsonify(csrf_token=generate_csrf(), user=current_user.id)


@bp.app_template_filter("no_key_safe_codes")
def no_key_safe_codes(text):
    """Free text on a job card with anything like a key safe code taken out: the installer's day is
    kept on the phone for offline use, and a code must never be (codes are refused when typed, and
    were redacted from older records, so this only guards against one slipping in another way)."""
    return services.redact_key_safe_codes(text)


@bp.app_template_global("key_safe_code_patterns")
def key_safe_code_patterns() -> dict:
    """The key safe code detector's patterns, for the phone to refuse to keep a code typed offline."""
    return services.code_patterns()
