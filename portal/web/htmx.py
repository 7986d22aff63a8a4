"""The one place that knows the htmx protocol (every HX-* header lives here)."""

import json

from flask import Response, make_response, redirect, render_template
from flask_htmx import HTMX
from jinja2_fragments.flask import render_block, render_blocks

htmx = HTMX()


def is_partial() -> bool:
    """True for an htmx request that wants a fragment: one aimed at an element (HX-Target), and
    not a history restore, a boosted link or an HX-Location follow-up to the whole body."""
    return (bool(htmx) and not htmx.history_restore_request and not htmx.boosted
            and bool(htmx.target))


def render_page(template: str, block: str | list[str], status: int = 200, **ctx) -> Response:
    """The whole page for a normal request; only the named block(s) for an htmx request."""
    if is_partial():
        if isinstance(block, list):
            body = render_blocks(template, block, **ctx)
        else:
            body = render_block(template, block, **ctx)
    else:
        body = render_template(template, **ctx)
    resp = make_response(body, status)
    resp.vary.add("HX-Request")
    return resp


def hx_redirect(url: str) -> Response:
    """After a successful POST: HX-Location for any htmx request, 303 See Other otherwise."""
    if bool(htmx):
        resp = make_response("", 200)
        resp.headers["HX-Location"] = json.dumps({"path": url, "target": "body"})
        return resp
    return redirect(url, 303)


def full_redirect(url: str) -> Response:
    """Navigate the whole browser (used when a session ends during an htmx request)."""
    if bool(htmx):
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = url
        return resp
    return redirect(url, 303)


def trigger(resp: Response, event: str, detail=None) -> Response:
    existing = json.loads(resp.headers.get("HX-Trigger", "{}") or "{}")
    existing[event] = detail
    resp.headers["HX-Trigger"] = json.dumps(existing)
    return resp


def retarget(resp: Response, selector: str, swap: str = "innerHTML") -> Response:
    resp.headers["HX-Retarget"] = selector
    resp.headers["HX-Reswap"] = swap
    return resp


def stop_polling(body: str = "") -> Response:
    return make_response(body, 286)
