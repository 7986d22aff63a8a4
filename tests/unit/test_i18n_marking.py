"""Every string a person can read in a template is marked for translation (issue 15).

The check separates template data from Jinja code with Jinja's own lexer, reads the data with Python's
HTML parser, and reads string literals in Jinja code from the token stream. It fails listing
`file:line: text` for:
- a text node (outside Jinja tags and comments, outside <script>/<style>) containing a letter;
- a readable attribute (alt, title, aria-label, placeholder) with a letter outside `{{ }}`;
- a bare string literal containing a letter given as the value of a key people read (text, html, label,
  hint, ...), either in a dict (`'text': 'Save'`) or as a keyword (`title='Save'`); set with
  `{% set x = '...' %}`; or printed straight into the page (`{{ 'Yes' if x else 'No' }}`).
Text inside `{% trans %}...{% endtrans %}` and strings inside `_()`/`gettext()`/`ngettext()` are marked.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2.lexer import operators

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Templates other language helpers are marking on their own branches; the merger empties this.
NOT_YET_MARKED: tuple[str, ...] = ()  # every template is marked

# The very few deliberate exceptions: (template, text). Never translated, or not text at all.
ALLOWED = {
    ("advice/_pictograms.html", "phone"),  # the names of the pictures (ids), never shown
    ("advice/_pictograms.html", "alarm"),
    ("advice/_pictograms.html", "bath"),
    ("advice/_pictograms.html", "helper"),
    ("advice/_pictograms.html", "house"),
    ("telecare/_card.html", "arrived"),  # a step's code
    ("telecare/_card.html", "digital"),  # a line type's code
    ("macros/lists.html", "filter-"),  # an id prefix
    ("reports/overview.html", "#heading-"),  # a link to a heading's id
}

READABLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
READABLE_KEYS = {
    "text", "html", "label", "hint", "title", "caption", "titleText", "legend", "heading", "summaryText",
    "descriptionText", "visuallyHiddenText", "errorMessage",
}
TRANSLATING_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l"}
COMPARISONS = {"eq", "ne", "lt", "lteq", "gt", "gteq"}
OPENERS = {"lparen": "rparen", "lbracket": "rbracket", "lbrace": "rbrace"}
CLOSERS = {v: k for k, v in OPENERS.items()}

ATTRIBUTES_ONLY = re.compile(r'^(\s*[\w:-]+="[^"]*")+\s*$')  # a block or macro giving a tag's attributes
FORMAT_SPEC = re.compile(r"^%[-+ #0-9.]*[a-zA-Z]$")  # "%g" | format(x)
HOLE = "\ue000{}\ue001"  # stands in for a Jinja tag in the HTML: no letters, and it says which tag
HOLE_RE = re.compile("\ue000(\\d+)\ue001")
TRANS_HOLE = "\ue000\ue001"  # stands in for the text of a {% trans %} block: marked

LEXER = Environment(extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)


@dataclass
class Tag:
    """One Jinja tag ({{ }}, {% %} or {# #}): its kind and (line, type, value) tokens inside it."""

    kind: str
    tokens: list
    in_trans: bool = False
    in_text: bool = False


def has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def split(source: str) -> tuple[str, list[Tag]]:
    """The template as HTML with every Jinja tag (and text inside trans blocks) replaced by a hole."""
    html: list[str] = []
    tags: list[Tag] = []
    in_trans = False
    current: Tag | None = None
    for line, kind, value in LEXER.lex(source):
        if kind in ("variable_begin", "block_begin", "comment_begin"):
            current = Tag(kind.removesuffix("_begin"), [], in_trans)
            raw = [value]
            continue
        if current is not None:
            raw.append(value)
            if kind in ("variable_end", "block_end", "comment_end"):
                first = next((v for _, k, v in current.tokens if k == "name"), None)
                if current.kind == "block" and first == "trans":
                    in_trans = True
                elif current.kind == "block" and first == "endtrans":
                    in_trans = False
                html.append(HOLE.format(len(tags)) + "\n" * "".join(raw).count("\n"))
                tags.append(current)
                current = None
            elif kind == "operator":
                current.tokens.append((line, operators[value], value))
            elif kind == "string":
                current.tokens.append((line, kind, value[1:-1]))
            elif kind != "whitespace":
                current.tokens.append((line, kind, value))
            continue
        if kind == "data" and in_trans:
            html.append(TRANS_HOLE + "\n" * value.count("\n"))
        elif kind == "data":
            html.append(value)
        else:  # comments lexed as a whole (comment token), raw blocks
            html.append("\n" * str(value).count("\n"))
    return "".join(html), tags


class TextFinder(HTMLParser):
    """Text nodes and readable attributes with letters; notes which Jinja tags sit in text."""

    def __init__(self, tags: list[Tag]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.found: list[tuple[int, str]] = []
        self.raw_text = 0

    def _holes_in_text(self, data: str) -> None:
        for number in HOLE_RE.findall(data):
            self.tags[int(number)].in_text = True

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.raw_text += 1
        line = self.getpos()[0]
        for name, value in attrs:
            if name in READABLE_ATTRIBUTES and value and has_letter(HOLE_RE.sub("", value)):
                self.found.append((line, f'{name}="{HOLE_RE.sub("{{ }}", value)}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.raw_text -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.raw_text:
            self.raw_text -= 1

    def handle_data(self, data):
        if self.raw_text:
            return
        self._holes_in_text(data)
        text = HOLE_RE.sub(" ", data).replace(TRANS_HOLE, " ")
        if has_letter(text) and not ATTRIBUTES_ONLY.match(HOLE_RE.sub("", data)):
            start = len(text) - len(text.lstrip())
            line = self.getpos()[0] + text[:start].count("\n")
            self.found.append((line, " ".join(text.split())))


def _matching_opener(tokens: list, close_at: int) -> int:
    depth = 0
    for i in range(close_at, -1, -1):
        kind = tokens[i][1]
        if kind in CLOSERS:
            depth += 1
        elif kind in OPENERS:
            depth -= 1
            if depth == 0:
                return i
    return 0


def _in_translating_call(tokens: list, at: int) -> bool:
    """Whether the string at `at` sits (at any depth) inside _(...), gettext(...) and friends."""
    depth = 0
    for i in range(at - 1, -1, -1):
        kind = tokens[i][1]
        if kind in CLOSERS:
            depth += 1
        elif kind in OPENERS:
            if depth:
                depth -= 1
            elif kind == "lparen" and i and tokens[i - 1][1] == "name" and tokens[i - 1][2] in TRANSLATING_CALLS:
                return True
    return False


def _owner(tokens: list, at: int) -> tuple[str, int]:
    """What the string at `at` is the direct value of: ('key', i) for `'text': s` or `text=s`,
    ('start', i) when it is at the top of the tag, ('other', i) otherwise (inside a call, a list...)."""
    i = at - 1
    while i >= 0:
        kind = tokens[i][1]
        if kind in CLOSERS:
            i = _matching_opener(tokens, i) - 1
            continue
        if kind in OPENERS or kind == "comma":
            return ("other", i)
        if kind in ("colon", "assign"):
            return ("key", i)
        i -= 1
    return ("start", -1)


def bare_strings(tag: Tag) -> list[tuple[int, str]]:
    """String literals with letters in a Jinja tag that should have been given to _()."""
    tokens = tag.tokens
    if tag.kind == "comment" or tag.in_trans or not tokens:
        return []
    first = tokens[0][2] if tokens[0][1] == "name" else None
    if tag.kind == "block" and first in ("trans", "pluralize", "extends", "include", "import", "from", "block"):
        return []
    found = []
    for i, (line, kind, value) in enumerate(tokens):
        if kind == "name" and value == "_" and not (i + 1 < len(tokens) and tokens[i + 1][1] == "lparen"):
            found.append((line, "_ used as a variable name: it hides the translation function"))
        if kind != "string" or not has_letter(value) or FORMAT_SPEC.match(value) or _in_translating_call(tokens, i):
            continue
        neighbours = {tokens[j][1] for j in (i - 1, i + 1) if 0 <= j < len(tokens)}
        names = {tokens[j][2] for j in (i - 1, i + 1) if 0 <= j < len(tokens) and tokens[j][1] == "name"}
        if neighbours & COMPARISONS or names & {"in", "is"}:
            continue  # compared with data, not shown
        if i + 1 < len(tokens) and tokens[i + 1][1] == "colon":
            continue  # a dict key
        owner, j = _owner(tokens, i)
        if owner == "key":
            key = tokens[j - 1] if j else None
            keyed = key is not None and key[1] in ("string", "name") and key[2] in READABLE_KEYS
            is_set = tag.kind == "block" and first == "set" and j == 2 and tokens[j][1] == "assign"
            is_set = is_set and not tokens[1][2].lower().endswith("classes")  # {% set containerClasses = ... %}
            if keyed or is_set:
                found.append((line, value))
        elif owner == "start" and tag.kind == "variable" and tag.in_text:
            found.append((line, value))
    return found


def unmarked(source: str, name: str = "snippet.html") -> list[str]:
    """`name:line: text` for every unmarked string in a template's source."""
    html, tags = split(source)
    finder = TextFinder(tags)
    finder.feed(html)
    finder.close()
    found = list(finder.found)
    for tag in tags:
        found.extend(bare_strings(tag))
    return [f"{name}:{line}: {text}" for line, text in sorted(found) if (name, text) not in ALLOWED]


def _not_yet_marked(name: str) -> bool:
    return any(Path(name).match(pattern) and name.count("/") == pattern.count("/") for pattern in NOT_YET_MARKED)


def templates_to_check() -> list[str]:
    names = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
    return [n for n in names if not _not_yet_marked(n)]


def test_every_template_has_every_string_marked():
    problems = []
    for name in templates_to_check():
        problems.extend(unmarked((TEMPLATES / name).read_text(encoding="utf-8"), name))
    assert not problems, "Unmarked strings (wrap them in _() or {% trans %}):\n" + "\n".join(problems)


def test_the_check_walks_every_template():
    checked = templates_to_check()
    assert len(checked) == len(list(TEMPLATES.rglob("*.html")))
    assert {"base.html", "advice/question.html", "referrals/public/step.html", "referrals/queue.html"} <= set(checked)


# The checker's own tests: one marked and one unmarked snippet of each kind.

@pytest.mark.parametrize("source", [
    "<p>Your referral has been sent</p>",
    "<h1>\n  Referrals\n</h1>",
    "<p>{{ name }} was added</p>",
    "{% if x %}<span>Open</span>{% endif %}",
    "{% trans %}ok{% endtrans %} <b>Done</b>",
])
def test_text_nodes_with_letters_are_unmarked(source):
    assert unmarked(source)


@pytest.mark.parametrize("source", [
    '<p>{{ _("Your referral has been sent") }}</p>',
    "<p>{% trans name=p.name %}{{ name }} was added{% endtrans %}</p>",
    "<p>{% trans trimmed count=n %}\n  {{ count }} case\n{% pluralize %}\n  {{ count }} cases\n{% endtrans %}</p>",
    "<td>{{ row.name }}</td><td>&pound;{{ amount }} &ndash; 12</td>",
    "<script>var a = 'text';</script><style>.a { color: red }</style>",
    "{# a comment with words #}<br>",
    '{% macro hx(href) %} hx-get="{{ href }}" hx-swap="outerHTML"{% endmacro %}',
    '<a href="/referrals/new" class="govuk-link">{{ _("New") }}</a>',
])
def test_marked_text_and_non_text_pass(source):
    assert unmarked(source) == []


@pytest.mark.parametrize(("source", "ok"), [
    ('<img alt="Council logo">', False),
    ('<img alt="{{ _(\'Council logo\') }}">', True),
    ('<a title="Open {{ ref }}">', False),
    ('<span aria-label="{{ label }}">', True),
    ('<input placeholder="Search">', False),
    ('<div data-module="govuk-button" class="x">', True),
    ("<title>Referrals</title>", False),
    ("<title>{{ _('Referrals') }}</title>", True),
])
def test_readable_attributes(source, ok):
    assert (unmarked(source) == []) is ok


@pytest.mark.parametrize(("source", "ok"), [
    ("{{ govukButton({'text': 'Continue'}) }}", False),
    ("{{ govukButton({'text': _('Continue')}) }}", True),
    ("{{ govukInput({'label': {'text': 'Postcode', 'classes': 'govuk-label--m'}}) }}", False),
    ("{{ govukInput({'label': {'text': _('Postcode'), 'classes': 'govuk-label--m'}}) }}", True),
    ("{{ govukTag({'text': 'Open' if open else 'Closed'}) }}", False),
    ("{{ govukTag({'text': _('Open') if open else _('Closed'), 'classes': 'govuk-tag--' ~ c}) }}", True),
    ("{{ lists.summary(rows, title='Contacts') }}", False),
    ("{{ lists.summary(rows, title=_('Contacts'), id='contacts') }}", True),
    ("{% set title = 'Check your answers' %}", False),
    ("{% set title = _('Check your answers') %}", True),
    ("{% set title = title or 'Referrals' %}", False),
    ("{% set page = request.args.get('page') %}", True),
    ("{% set containerClasses = 'app-width-container--wide' %}", True),
    ("{{ govukTag({'text': status, 'classes': 'govuk-tag--grey' if status == 'closed' else ''}) }}", True),
    ("{{ govukTag({'text': label if status != 'Open' else x}) }}", True),
    ("{{ govukSummaryList({'rows': [{'key': {'text': 'Name'}}]}) }}", False),
    ("{{ govukSummaryList({'rows': [{'key': {'text': ngettext('%(num)d day', '%(num)d days', n)}}]}) }}", True),
    ("{{ govukX({'hint': {'html': 'Write ' ~ name}}) }}", False),
    ("{{ govukX({'text': fmt(x, 'short')}) }}", True),
])
def test_string_literals_given_to_readable_keys(source, ok):
    assert (unmarked(source) == []) is ok


@pytest.mark.parametrize(("source", "ok"), [
    ("<p>{{ 'Yes' if done else 'No' }}</p>", False),
    ("<p>{{ _('Yes') if done else _('No') }}</p>", True),
    ("<p>{{ person.name or 'Not known' }}</p>", False),
    ('<p class="{{ \'govuk-body\' if x }}">{{ x }}</p>', True),
    ("<p>{{ url_for('referrals.queue') }}</p>", True),
    ("<p>{{ '%g' | format(share) }}%</p>", True),
])
def test_strings_printed_as_text(source, ok):
    assert (unmarked(source) == []) is ok


@pytest.mark.parametrize("source", [
    "{% set name, _, email = actor.partition(' <') %}",
    "{% set _ = rows.append(row) %}",
])
def test_a_variable_named_underscore_hides_gettext(source):
    assert unmarked(source)


def test_problems_name_the_file_and_line():
    source = "<div>\n  {{ _('Fine') }}\n  <p>\n    Not fine\n  </p>\n</div>"
    assert unmarked(source, "people/x.html") == ["people/x.html:4: Not fine"]
