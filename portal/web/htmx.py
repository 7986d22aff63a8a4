"""The one place that knows the htmx protocol (every HX-* header lives here)."""

import json
from functools import lru_cache

from flask import Response, current_app, make_response, redirect, render_template
from flask_htmx import HTMX
from jinja2 import nodes
from jinja2_fragments import BlockNotFoundError
from jinja2_fragments.flask import render_block, render_blocks

htmx = HTMX()


def is_partial() -> bool:
    """True for an htmx request that wants a fragment: one aimed at an element (HX-Target), and
    not a history restore, a boosted link or an HX-Location follow-up to the whole body."""
    return (bool(htmx) and not htmx.history_restore_request and not htmx.boosted
            and bool(htmx.target))


@lru_cache(maxsize=256)
def _parent(name: str) -> str | None:
    """The template `name` extends, read from its source (None at the root)."""
    env = current_app.jinja_env
    source = env.loader.get_source(env, name)[0]
    extends = env.parse(source).find(nodes.Extends)
    return extends.template.value if extends and isinstance(extends.template, nodes.Const) else None


def render_inherited_block(name: str, block: str, **ctx) -> str:
    """One block of a template, where the block may be defined by a template it extends (a queue's
    `list` comes from web/list_page.html) and filled by blocks the child overrides (its `rows`).
    Like Jinja's own rendering, the nearest definition of each block wins. Imports a block uses
    must sit inside it: the templates' top levels do not run."""
    env = current_app.jinja_env
    template = env.get_template(name)
    context = template.new_context(ctx)
    parent = _parent(name)
    while parent:
        for block_name, render in env.get_template(parent).blocks.items():
            context.blocks.setdefault(block_name, []).append(render)
        parent = _parent(parent)
    if block not in context.blocks:
        raise BlockNotFoundError(block, name)
    return env.concat(context.blocks[block][0](context))


# A block inside another, swapped on its own when htmx aims at its element: a list's page links
# change only its results (templates/web/list_page.html), not its filters.
INNER_BLOCKS = {("list", "list-results"): "list_results"}


def render_page(template: str, block: str | list[str], status: int = 200, **ctx) -> Response:
    """The whole page for a normal request; only the named block(s) for an htmx request."""
    if is_partial():
        if isinstance(block, str):
            block = INNER_BLOCKS.get((block, htmx.target), block)
        if isinstance(block, list):
            body = render_blocks(template, block, **ctx)
        elif block in current_app.jinja_env.get_template(template).blocks:
            body = render_block(template, block, **ctx)
        else:
            current_app.update_template_context(ctx)
            body = render_inherited_block(template, block, **ctx)
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
