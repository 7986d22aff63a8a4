"""The allowed-actions harness: what a page offers against what the routes accept.

Every entity's `allowed_actions(user, thing)` is the one answer to "may this person do this now".
These helpers read a rendered page for the actions it offers (each POST form's `action`, each
button's `formaction`, each link to an action's own page) as endpoint names, so a test can assert
that the page shows exactly the allowed actions, and that a route refuses every other one.
"""

from html.parser import HTMLParser

from werkzeug.exceptions import HTTPException


class _Targets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.posts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post" and a.get("action"):
            self.posts.append(a["action"])
        if tag in ("button", "input") and a.get("formaction"):
            self.posts.append(a["formaction"])
        if tag == "form" and a.get("hx-post"):
            self.posts.append(a["hx-post"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _endpoint(app, url: str, method: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:
        return None
    return endpoint


def shown_actions(app, html: str, blueprint: str, link_endpoints: set[str] = frozenset()) -> set[str]:
    """The actions a page offers: endpoints in `blueprint` that its forms post to, plus the
    `link_endpoints` (actions that open a page of their own, like "start the assessment")."""
    parser = _Targets()
    parser.feed(html)
    found = set()
    for url in parser.posts:
        endpoint = _endpoint(app, url, "POST")
        if endpoint and endpoint.startswith(blueprint + "."):
            found.add(endpoint.split(".", 1)[1])
    for url in parser.links:
        endpoint = _endpoint(app, url, "GET")
        if endpoint in link_endpoints:
            found.add(endpoint.split(".", 1)[1])
    return found
