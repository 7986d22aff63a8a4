"""Structural guards: every route declares its access rule; templates compile; no inline script."""

import re
from pathlib import Path

from portal.web.security import API, PUBLIC, SIGNED_IN, STAFF, access_rule

ROOT = Path(__file__).resolve().parents[2]


def test_every_route_declares_an_access_rule(app):
    missing = []
    for rule in app.url_map.iter_rules():
        declared = access_rule(app, rule.endpoint)
        if declared is None:
            missing.append(f"{rule.rule} ({rule.endpoint})")
        else:
            assert declared in (PUBLIC, SIGNED_IN, STAFF, API) or isinstance(declared, frozenset)
    assert missing == [], "routes without an access rule: " + ", ".join(missing)


def test_no_route_changes_state_on_get(app):
    """Only a short allow-list of GET routes may write (audited views, sign-in pages)."""
    for rule in app.url_map.iter_rules():
        assert not ({"PUT", "PATCH", "DELETE"} & set(rule.methods)), rule.rule


def test_every_template_compiles(app):
    env = app.jinja_env
    for path in (ROOT / "templates").rglob("*.html"):
        env.get_template(str(path.relative_to(ROOT / "templates")))


def test_templates_have_no_inline_script_or_hx_on():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {path}"
        assert "hx-on" not in text, f"hx-on needs eval, which the CSP forbids: {path}"
        assert " style=" not in text, f"inline style attribute in {path}"
        assert "|safe" not in text.replace(" ", ""), f"|safe in {path}"


def test_no_cdn_references():
    for folder in ("templates", "portal", "static/js", "static/css"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".py", ".mjs", ".js", ".css"}:
                assert not re.search(r"https?://(unpkg|cdn\.|cdnjs|code\.jquery)", path.read_text())


def test_no_module_holds_two_concerns():
    """A module past 700 lines usually holds two concerns: split it along its seams."""
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "portal").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 700}
    assert long == {}


def test_no_view_answers_a_person_with_a_bare_400():
    """What a person can cause comes back on their form (portal.web.forms.refuse), never abort(400)."""
    bare = [str(p.relative_to(ROOT)) for p in (ROOT / "portal").rglob("*.py") if "abort(400)" in p.read_text()]
    assert bare == []
