"""The self-assessment ("guided advice") engine: content, the question journey and the rules.

Pure Python: no Flask, no database. The Flask views call this module; answers are a plain,
JSON-serialisable dict ``{question_id: str | list[str]}`` that the caller keeps in the session or
the database.

Content is data, in versioned YAML files under ``portal/advice/content/``:

``questions.yaml``
    ``version``, the ``areas`` (daily-living topics, in the order they are asked and reported) and
    the ``questions``. Questions in the pseudo-area ``start`` come first, in file order: ``who``
    (the audience: myself / someone / professional), ``areas`` (checkboxes whose options are the
    areas) and the urgent screen. Then, for each area the person selected, that area's questions
    in file order. A question is shown only when its ``ask_if`` condition (on earlier answers)
    holds.
``rules.yaml``
    ``rules``: ``when`` a condition on the answers holds, ``recommend`` recommendation ids.
    ``fallback``: recommendations shown when no other (non-urgent) recommendation applies.
``recommendations.yaml``
    ``recommendations``: kind (urgent, service, telecare, buy_or_try), title and body (plain text,
    paragraphs separated by a blank line), optional area, catalogue product codes, and for
    services whether they suggest a referral and for which need.
``schema.json``
    The JSON Schema for all three files and the equipment catalogue
    (``portal/equipment/catalogue.yaml``).

Wording (question text and hint, option labels, area titles, recommendation titles and bodies)
is either one string for every audience, or a mapping with a string for each of ``myself``,
``someone`` and ``professional``.

Conditions (``ask_if`` and rule ``when``)::

    {question: ID, is: VALUE}            radios answer is VALUE
    {question: ID, in: [V1, V2]}         radios answer is one of them
    {question: ID, includes: VALUE}      checkboxes answer contains VALUE
    {question: ID, includes: [V1, V2]}   checkboxes answer contains at least one of them
    {all: [COND, ...]}  {any: [COND, ...]}  {not: COND}

A question that was not asked, or not answered, matches no ``is``, ``in`` or ``includes``
(so ``not`` of it is true).

Report order: urgent recommendations first; then one section per area: the areas the person
selected, in area order (a section may be empty), then any other area that a fired rule reached
(for example a bed sensor, from an answer about confusion at night); then general advice
(services not tied to one area). When no rule gives a non-urgent recommendation, the general
section holds the ``fallback`` recommendations from ``rules.yaml``. Within each list,
recommendations are sorted by ``priority`` (lower first); a recommendation without a ``priority``
gets one by kind: urgent 0, service 20, telecare 30, buy_or_try 40. Ties keep the order of
``recommendations.yaml``. A recommendation appears once however many rules fire it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"
CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "equipment" / "catalogue.yaml"
SCHEMA_FILE = "schema.json"
QUESTIONS_FILE = "questions.yaml"
RULES_FILE = "rules.yaml"
RECOMMENDATIONS_FILE = "recommendations.yaml"

AUDIENCES = ("myself", "someone", "professional")
DEFAULT_AUDIENCE = "myself"
AUDIENCE_QUESTION = "who"
AREAS_QUESTION = "areas"
START = "start"
GENERAL = "general"
KINDS = ("urgent", "service", "telecare", "buy_or_try")
DEFAULT_PRIORITY = {"urgent": 0, "service": 20, "telecare": 30, "buy_or_try": 40}
NEEDS = ("telecare", "equipment", "minor_adaptation", "major_adaptation", "ot_assessment", "falls")
CATEGORIES = ("telecare", "telehealth", "environmental_controls", "community_equipment")

Answers = Mapping[str, Any]


class ContentError(Exception):
    """The advice content or the catalogue is not valid. ``errors`` lists every problem found,
    each naming the file, the item (question, rule, recommendation or product) and the problem."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        count = len(self.errors)
        summary = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"The advice content has {summary}:\n" + "\n".join(self.errors))


# ---------------------------------------------------------------------------------- data classes


def _pick(wording: Mapping[str, str] | None, audience: str | None) -> str | None:
    if not wording:
        return None
    return wording.get(audience or DEFAULT_AUDIENCE) or wording.get(DEFAULT_AUDIENCE)


def _paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


@dataclass(frozen=True)
class Product:
    """A catalogue entry (``portal/equipment/catalogue.yaml``)."""

    code: str
    name: str
    category: str
    area: str
    description: str
    supply: str
    tracking: str
    self_purchase: bool
    cleaning_required: bool
    unit_cost: float
    price_min: int | None = None
    price_max: int | None = None
    what_to_look_for: str | None = None
    inspection_months: int | None = None
    warranty_months: int | None = None

    @property
    def price_range(self) -> str | None:
        """Typical retail price in words, for example "£15 to £30"; None if not sold."""
        if not self.self_purchase or self.price_min is None or self.price_max is None:
            return None
        if self.price_min == self.price_max:
            return f"about £{self.price_min:,}"
        return f"£{self.price_min:,} to £{self.price_max:,}"

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for seeding the equipment tables)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Area:
    """A daily-living area. ``title`` and ``hint`` are the wording for one audience (the default
    audience in ``Content.areas``; the report's audience in ``Report.by_area``)."""

    id: str
    title: str
    hint: str | None = None
    titles: Mapping[str, str] = field(default_factory=dict, repr=False)
    hints: Mapping[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_wording(cls, area_id: str, titles: Mapping[str, str],
                     hints: Mapping[str, str] | None = None) -> Area:
        return cls(area_id, _pick(titles, None) or area_id, _pick(hints, None), titles, hints)

    def title_for(self, audience: str | None) -> str:
        return _pick(self.titles, audience) or self.title

    def hint_for(self, audience: str | None) -> str | None:
        return _pick(self.hints, audience)

    def for_audience(self, audience: str | None) -> Area:
        """This area with ``title`` and ``hint`` worded for the audience."""
        return replace(self, title=self.title_for(audience), hint=self.hint_for(audience))


START_AREA = Area.from_wording(START, dict.fromkeys(AUDIENCES, "Getting started"))


@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``op`` is all, any, not (with ``items``) or is, in, includes (with
    ``question`` and ``values``)."""

    op: str
    question: str | None = None
    values: tuple[str, ...] = ()
    items: tuple[Condition, ...] = ()

    def matches(self, answers: Answers) -> bool:
        if self.op == "all":
            return all(item.matches(answers) for item in self.items)
        if self.op == "any":
            return any(item.matches(answers) for item in self.items)
        if self.op == "not":
            return not self.items[0].matches(answers)
        answer = answers.get(self.question) if self.question else None
        if self.op == "includes":
            return isinstance(answer, list) and any(value in answer for value in self.values)
        if not isinstance(answer, str):
            return False
        return answer in self.values  # "is" has one value, "in" several

    def leaves(self) -> Iterator[Condition]:
        if self.items:
            for item in self.items:
                yield from item.leaves()
        else:
            yield self


@dataclass(frozen=True)
class Option:
    value: str
    labels: Mapping[str, str]
    hints: Mapping[str, str] | None = None
    exclusive: bool = False

    def label(self, audience: str | None = None) -> str:
        return _pick(self.labels, audience) or self.value

    def hint(self, audience: str | None = None) -> str | None:
        return _pick(self.hints, audience)


@dataclass(frozen=True)
class Question:
    id: str
    area: str
    type: str  # "radios" or "checkboxes"
    options: list[Option]
    ask_if: Condition | None
    texts: Mapping[str, str]
    hints: Mapping[str, str] | None = None
    errors: Mapping[str, str] | None = None

    def text(self, audience: str | None = None) -> str:
        return _pick(self.texts, audience) or self.id

    def hint(self, audience: str | None = None) -> str | None:
        return _pick(self.hints, audience)

    @property
    def values(self) -> list[str]:
        return [option.value for option in self.options]

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def option_label(self, value: str, audience: str | None = None) -> str:
        option = self.option(value)
        return option.label(audience) if option else value

    @property
    def exclusive_option(self) -> Option | None:
        return next((option for option in self.options if option.exclusive), None)

    def error_message(self, audience: str | None = None) -> str:
        """The GOV.UK error message shown when nothing (or something invalid) is selected."""
        custom = _pick(self.errors, audience)
        if custom:
            return custom
        if self.type == "radios":
            return "Select one option"
        none = self.exclusive_option
        if none:
            return f"Select the options that apply, or select \u201c{none.label(audience)}\u201d"
        return "Select at least one option"

    def parse(self, raw: Any) -> tuple[Any, str | None]:
        """(value, problem): problem is None, "missing", "unknown" or "exclusive"."""
        if self.type == "radios":
            if isinstance(raw, list | tuple):
                if len(raw) > 1:
                    return None, "unknown"
                raw = raw[0] if raw else None
            if raw is None or raw == "":
                return None, "missing"
            if not isinstance(raw, str) or raw not in self.values:
                return None, "unknown"
            return raw, None
        if raw is None or raw == "":
            return None, "missing"
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple):
            return None, "unknown"
        picked = [item for item in raw if item != ""]  # GOV.UK forms may post an empty value
        if not picked:
            return None, "missing"
        if any(not isinstance(item, str) or item not in self.values for item in picked):
            return None, "unknown"
        chosen = [value for value in self.values if value in picked]  # option order, no repeats
        if len(chosen) > 1 and any(self.option(value).exclusive for value in chosen):
            return None, "exclusive"
        return chosen, None


@dataclass(frozen=True)
class Recommendation:
    """Something the report can recommend. ``title`` and ``body`` are the wording for one
    audience (the default audience in ``Content.recommendations``; the report's audience in a
    ``ShownRecommendation``). ``body`` is plain text with paragraphs separated by a blank line:
    use ``paragraphs()`` to get them one by one."""

    id: str
    kind: str
    title: str
    body: str
    area: str | None = None
    products: tuple[str, ...] = ()
    suggests_referral: bool = False
    need: str | None = None
    priority: int = 50
    links: tuple[tuple[str, str], ...] = ()  # (text, url)
    titles: Mapping[str, str] = field(default_factory=dict, repr=False)
    bodies: Mapping[str, str] = field(default_factory=dict, repr=False)

    def title_for(self, audience: str | None) -> str:
        return _pick(self.titles, audience) or self.title

    def body_for(self, audience: str | None) -> str:
        return _pick(self.bodies, audience) or self.body

    def paragraphs(self, audience: str | None = None) -> list[str]:
        """The body as a list of paragraphs (line breaks inside a paragraph removed), for the
        given audience, or for this object's own wording when no audience is given."""
        return _paragraphs(self.body_for(audience) if audience else self.body)

    def for_audience(self, audience: str | None) -> Recommendation:
        """This recommendation with ``title`` and ``body`` worded for the audience."""
        return replace(self, title=self.title_for(audience), body=self.body_for(audience))


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    recommend: tuple[str, ...]


@dataclass(frozen=True)
class ShownRecommendation:
    """A recommendation as shown in a report: worded for the report's audience (``recommendation``
    is already resolved, so ``recommendation.title`` and ``recommendation.body`` are the words to
    show), with its catalogue products and the ids of the rules that fired it."""

    recommendation: Recommendation
    products: list[Product]
    rule_ids: list[str]
    audience: str = DEFAULT_AUDIENCE

    @property
    def id(self) -> str:
        return self.recommendation.id

    @property
    def kind(self) -> str:
        return self.recommendation.kind

    @property
    def title(self) -> str:
        return self.recommendation.title

    @property
    def paragraphs(self) -> list[str]:
        return self.recommendation.paragraphs()


@dataclass(frozen=True)
class Report:
    audience: str
    urgent: list[ShownRecommendation]
    by_area: list[tuple[Area, list[ShownRecommendation]]]
    general: list[ShownRecommendation]
    suggested_needs: list[str]
    recommendation_ids: list[str]
    content_version: str = ""
    areas: list[Area] = field(default_factory=list)  # the areas the person selected
    answers: dict[str, Any] = field(default_factory=dict)  # the cleaned answers used

    @property
    def is_urgent(self) -> bool:
        return bool(self.urgent)

    def all(self) -> list[ShownRecommendation]:
        """Every recommendation in display order."""
        shown = list(self.urgent)
        for _, items in self.by_area:
            shown.extend(items)
        return shown + list(self.general)


@dataclass(frozen=True)
class Content:
    version: str
    areas: list[Area]
    questions: dict[str, Question]  # in journey order: start questions, then area by area
    recommendations: dict[str, Recommendation]
    rules: list[Rule]
    catalogue: dict[str, Product]
    fallback: tuple[str, ...] = ()

    # -- lookups

    def area(self, area_id: str) -> Area:
        """The area with this id; ``area("start")`` gives a pseudo-area for the first questions
        (so a view can show ``content.area(question.area).title`` for any question)."""
        for area in self.areas:
            if area.id == area_id:
                return area
        if area_id == START:
            return START_AREA
        raise KeyError(area_id)

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    def area_questions(self, area_id: str) -> list[Question]:
        return [q for q in self.questions.values() if q.area == area_id]

    # -- the journey

    def _walk(self, answers: Any) -> tuple[list[Question], dict[str, Any]]:
        """The questions to ask and the accepted answers, built in order so that each ask_if
        sees only answers to questions that are themselves in the journey."""
        raw = answers if isinstance(answers, Mapping) else {}
        journey: list[Question] = []
        accepted: dict[str, Any] = {}

        def visit(question: Question) -> None:
            if question.ask_if is not None and not question.ask_if.matches(accepted):
                return
            journey.append(question)
            try:
                value, problem = question.parse(raw.get(question.id))
            except Exception:  # a hostile Mapping; ignore its answer
                value, problem = None, "unknown"
            if problem is None:
                accepted[question.id] = value

        questions = list(self.questions.values())
        for question in questions:
            if question.area == START:
                visit(question)
        chosen = accepted.get(AREAS_QUESTION) or []
        for area in self.areas:
            if area.id in chosen:
                for question in questions:
                    if question.area == area.id:
                        visit(question)
        return journey, accepted

    def journey(self, answers: Answers) -> list[Question]:
        """The questions to ask, in order, given the answers so far. The first is always the
        audience question; area questions appear once the areas question is answered."""
        return self._walk(answers)[0]

    def clean_answers(self, answers: Answers) -> dict[str, Any]:
        """Only the valid answers to questions still in the journey (for example, answers to an
        area that has been unticked are dropped). Checkbox answers come back in option order."""
        return self._walk(answers)[1]

    def next_question(self, answers: Answers) -> Question | None:
        """The first question in the journey without a valid answer; None when complete."""
        journey, accepted = self._walk(answers)
        return next((q for q in journey if q.id not in accepted), None)

    def is_complete(self, answers: Answers) -> bool:
        return self.next_question(answers) is None

    def previous_question(self, answers: Answers, question_id: str) -> Question | None:
        """The question before ``question_id`` in the journey (for a Back link); None for the
        first question or an unknown id."""
        journey = self.journey(answers)
        ids = [q.id for q in journey]
        if question_id in ids:
            index = ids.index(question_id)
            return journey[index - 1] if index else None
        order = list(self.questions)
        if question_id not in order:
            return None
        position = order.index(question_id)
        before = [q for q in journey if order.index(q.id) < position]
        return before[-1] if before else None

    def audience(self, answers: Answers) -> str:
        value = self.clean_answers(answers).get(AUDIENCE_QUESTION)
        return value if value in AUDIENCES else DEFAULT_AUDIENCE

    def validate_answer(
        self, question_id: str, raw: str | list[str] | None, audience: str | None = None
    ) -> tuple[Any, str | None]:
        """(value, None) for a valid answer, or (None, GOV.UK error message). Checkbox values
        come back as a list in option order. Raises KeyError for an unknown question id."""
        question = self.questions[question_id]
        value, problem = question.parse(raw)
        if problem is None:
            return value, None
        if problem == "exclusive":
            none = question.exclusive_option
            label = none.label(audience) if none else "None of these"
            return None, f"Select \u201c{label}\u201d or select the options that apply, not both"
        return None, question.error_message(audience)

    def summary(self, answers: Answers) -> list[tuple[Question, list[str]]]:
        """The answered questions with the labels of their answers, for a "Check your answers"
        page or a referral."""
        journey, accepted = self._walk(answers)
        audience = accepted.get(AUDIENCE_QUESTION, DEFAULT_AUDIENCE)
        rows = []
        for question in journey:
            if question.id in accepted:
                value = accepted[question.id]
                values = value if isinstance(value, list) else [value]
                rows.append((question, [question.option_label(v, audience) for v in values]))
        return rows


# ---------------------------------------------------------------------------------- evaluation


def evaluate(content: Content, answers: Answers) -> Report:
    """The personalised report for these answers. Junk (unknown keys, wrong types, answers to
    questions not in the journey) is ignored; this never raises for any input."""
    clean = content.clean_answers(answers)
    audience = clean.get(AUDIENCE_QUESTION, DEFAULT_AUDIENCE)
    chosen_ids = clean.get(AREAS_QUESTION) or []

    fired: dict[str, list[str]] = {}
    for rule in content.rules:
        if rule.when.matches(clean):
            for rec_id in rule.recommend:
                if rec_id in content.recommendations:
                    fired.setdefault(rec_id, []).append(rule.id)

    order = {rec_id: index for index, rec_id in enumerate(content.recommendations)}

    def show(rec_id: str, rule_ids: list[str]) -> ShownRecommendation:
        rec = content.recommendations[rec_id]
        products = [content.catalogue[code] for code in rec.products if code in content.catalogue]
        return ShownRecommendation(rec.for_audience(audience), products, rule_ids, audience)

    def ordered(items: list[ShownRecommendation]) -> list[ShownRecommendation]:
        return sorted(items, key=lambda s: (s.recommendation.priority, order[s.id]))

    shown = [show(rec_id, rule_ids) for rec_id, rule_ids in fired.items()]
    known_areas = {area.id for area in content.areas}
    urgent = ordered([s for s in shown if s.kind == "urgent"])
    general = ordered(
        [s for s in shown if s.kind != "urgent" and s.recommendation.area not in known_areas]
    )
    by_area = []
    for selected in (True, False):  # the areas the person selected first, then any others
        for area in content.areas:
            if (area.id in chosen_ids) != selected:
                continue
            items = ordered([s for s in shown
                             if s.kind != "urgent" and s.recommendation.area == area.id])
            if items or selected:
                by_area.append((area.for_audience(audience), items))
    if not general and not any(items for _, items in by_area):
        general = [show(rec_id, ["fallback"]) for rec_id in content.fallback
                   if rec_id in content.recommendations]

    report_items = urgent + [s for _, items in by_area for s in items] + general
    needs = {s.recommendation.need for s in report_items
             if s.recommendation.suggests_referral and s.recommendation.need}
    return Report(
        audience=audience,
        urgent=urgent,
        by_area=by_area,
        general=general,
        suggested_needs=[need for need in NEEDS if need in needs],
        recommendation_ids=[s.id for s in report_items],
        content_version=content.version,
        areas=[area.for_audience(audience) for area in content.areas if area.id in chosen_ids],
        answers=clean,
    )


# ---------------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a repeated key in a mapping (PyYAML silently keeps the last)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is repeated", key_node.start_mark
                )
            seen.add(key)
        except TypeError:  # unhashable key: construct_mapping reports it
            pass
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, label: str, errors: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(f"{label}: file not found ({path})")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{label}: cannot be read ({exc})")
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(f"{label}: not valid YAML{where}: {problem}")
        return None


@cache
def _schema(directory: Path) -> dict[str, Any]:
    return json.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8"))


def _load_schema(directory: Path, errors: list[str]) -> dict[str, Any] | None:
    path = directory / SCHEMA_FILE
    if not path.exists():
        path = CONTENT_DIR / SCHEMA_FILE  # a content copy without its own schema uses ours
        directory = CONTENT_DIR
    try:
        return _schema(directory)
    except (OSError, ValueError) as exc:
        errors.append(f"{SCHEMA_FILE}: cannot be read ({exc})")
        return None


_NOUNS = {
    "areas": "area",
    "questions": "question",
    "rules": "rule",
    "recommendations": "recommendation",
    "products": "product",
}


def _field_path(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _type_name(instance: Any) -> str:
    return type(instance).__name__.replace("str", "text").replace("NoneType", "empty")


_QUOTES = "put quotes round Yes, No, On and Off, which YAML reads as true or false"


def _describe(error: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """(extra path, message) in plain words for one schema error."""
    validator, instance, schema = error.validator, error.instance, error.schema
    if validator in ("oneOf", "anyOf") and error.context:
        branches = error.validator_value

        def fits(branch: Any) -> bool:
            kind = branch.get("type") if isinstance(branch, dict) else None
            types = {"object": dict, "string": str, "array": list, "boolean": bool}
            return kind is None or isinstance(instance, types.get(kind, object))

        candidates = [i for i, b in enumerate(branches) if fits(b)]
        if len(candidates) > 1 and isinstance(instance, dict):
            candidates = [i for i in candidates
                          if all(k in instance for k in branches[i].get("required", []))]
        if len(candidates) == 1:
            sub = [e for e in error.context if e.relative_schema_path[0] == candidates[0]]
            if sub:
                best = sorted(sub, key=lambda e: len(e.relative_path))[0]
                extra, message = _describe(best)
                return list(best.relative_path) + extra, message
        message = f"is not valid: expected {schema.get('description', 'another form')}"
        if isinstance(instance, bool):
            message += f", not {str(instance).lower()} ({_QUOTES})"
        return [], message
    if validator == "required":
        present = instance if isinstance(instance, dict) else {}
        missing = [k for k in error.validator_value if k not in present]
        name = missing[0] if missing else error.message
        note = f" ({schema['description']})" if schema.get("description") else ""
        return [], f"missing required field '{name}'{note}"
    if validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        present = instance if isinstance(instance, dict) else {}
        extra = sorted(str(k) for k in present if k not in allowed)
        return [], f"unknown field '{', '.join(extra)}'"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        words = {"string": "text", "integer": "a whole number", "number": "a number",
                 "boolean": "true or false", "array": "a list", "object": "a mapping"}
        message = f"must be {words.get(expected, expected)}, not {_type_name(instance)}"
        if isinstance(instance, bool) and expected == "string":
            message += f" ({_QUOTES})"
        return [], message
    if validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return [], f"'{instance}' is not allowed: use one of {allowed}"
    if validator == "const":
        return [], f"must be '{error.validator_value}'"
    if validator == "pattern":
        form = schema.get("description", error.validator_value)
        return [], f"'{instance}' is not in the right form ({form})"
    if validator in ("minItems", "minLength") and not instance:
        return [], "must not be empty"
    if validator in ("minProperties", "maxProperties") and schema.get("description"):
        return [], f"is not valid: expected {schema['description']}"
    if validator == "uniqueItems":
        return [], "has a repeated item"
    return [], error.message


def _schema_errors(
    data: Any, schema: dict[str, Any], definition: str, label: str
) -> tuple[list[str], set[tuple[str, int]]]:
    """Schema errors in plain words, and the (collection, index) of every item with an error."""
    validator = jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})
    messages: list[str] = []
    bad: set[tuple[str, int]] = set()
    for error in validator.iter_errors(data):
        extra, message = _describe(error)
        path = list(error.absolute_path) + extra
        who = ""
        if len(path) >= 2 and path[0] in _NOUNS and isinstance(path[1], int):
            bad.add((path[0], path[1]))
            item = data[path[0]][path[1]]
            key = "code" if path[0] == "products" else "id"
            ident = item.get(key) if isinstance(item, dict) else None
            noun = _NOUNS[path[0]]
            who = f"{noun} '{ident}'" if isinstance(ident, str) else f"{noun} number {path[1] + 1}"
            path = path[2:]
        parts = [label, who, _field_path(path), message]
        text = ": ".join(p for p in parts[:-1] if p) + ": " + message
        if text not in messages:
            messages.append(text)
    return messages, bad


def _wording(value: Any) -> dict[str, str] | None:
    if isinstance(value, str):
        return dict.fromkeys(AUDIENCES, value.strip())
    if isinstance(value, dict):
        return {a: str(value.get(a) or "").strip() for a in AUDIENCES}
    return None


def _items(data: Any, key: str) -> list[tuple[int, dict]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _parse_condition(raw: Any) -> Condition | None:
    if not isinstance(raw, dict):
        return None
    for op in ("all", "any"):
        if op in raw and isinstance(raw[op], list):
            items = [_parse_condition(item) for item in raw[op]]
            if not items or any(item is None for item in items):
                return None
            return Condition(op, items=tuple(items))
    if "not" in raw:
        item = _parse_condition(raw["not"])
        return Condition("not", items=(item,)) if item else None
    question = raw.get("question")
    if not isinstance(question, str):
        return None
    for op in ("is", "in", "includes"):
        if op in raw:
            value = raw[op]
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str) for v in values):
                return None
            return Condition("is" if op == "is" else ("includes" if op == "includes" else "in"),
                             question, tuple(values))
    return None


def _check_condition(
    condition: Condition,
    questions: Mapping[str, Question],
    broken: set[str] | None,
    where: str,
    errors: list[str],
    order: list[str] | None = None,
    current: str | None = None,
) -> None:
    if broken is None:  # questions.yaml could not be read: nothing to check against
        return
    for leaf in condition.leaves():
        qid = leaf.question
        if qid in broken:
            continue
        if qid not in questions:
            errors.append(f"{where}: condition refers to unknown question '{qid}'")
            continue
        if order is not None and current is not None and (
            qid == current or qid not in order or order.index(qid) >= order.index(current)
        ):
            errors.append(f"{where}: ask_if refers to question '{qid}', which is not asked "
                          "before this one")
        question = questions[qid]
        if leaf.op == "includes" and question.type != "checkboxes":
            errors.append(f"{where}: condition uses 'includes' on question '{qid}', which is "
                          "a radios question (use 'is' or 'in')")
        if leaf.op != "includes" and question.type == "checkboxes":
            errors.append(f"{where}: condition uses 'is' or 'in' on question '{qid}', which is "
                          "a checkboxes question (use 'includes')")
        for value in leaf.values:
            if value not in question.values:
                errors.append(f"{where}: condition on question '{qid}' uses unknown option "
                              f"'{value}'")


def _repeated(ids: list[str]) -> list[str]:
    seen, repeated = set(), []
    for ident in ids:
        if ident in seen and ident not in repeated:
            repeated.append(ident)
        seen.add(ident)
    return repeated


# -- catalogue


def _read_catalogue(
    path: Path, schema: dict[str, Any] | None, errors: list[str], area_ids: set[str] | None = None
) -> tuple[dict[str, Product], set[str] | None]:
    """The products, and the codes of products with errors (None if the file is unreadable)."""
    label = path.name
    data = _read_yaml(path, label, errors)
    if data is None:
        return {}, None
    bad: set[tuple[str, int]] = set()
    if schema is not None:
        messages, bad = _schema_errors(data, schema, "catalogue_file", label)
        errors.extend(messages)
    products: dict[str, Product] = {}
    codes = [item.get("code") for _, item in _items(data, "products")]
    for code in _repeated([c for c in codes if isinstance(c, str)]):
        errors.append(f"{label}: product '{code}': the code is repeated")
    broken = {item.get("code") for index, item in _items(data, "products")
              if ("products", index) in bad and isinstance(item.get("code"), str)}
    for index, item in _items(data, "products"):
        code = item.get("code")
        if ("products", index) in bad or not isinstance(code, str) or code in products:
            continue
        where = f"{label}: product '{code}'"
        try:
            product = Product(
                code=code,
                name=str(item["name"]),
                category=item["category"],
                area=item["area"],
                description=str(item["description"]).strip(),
                supply=item["supply"],
                tracking=item["tracking"],
                self_purchase=bool(item["self_purchase"]),
                cleaning_required=bool(item["cleaning_required"]),
                unit_cost=item["unit_cost"],
                price_min=item.get("price_min"),
                price_max=item.get("price_max"),
                what_to_look_for=(item.get("what_to_look_for") or "").strip() or None,
                inspection_months=item.get("inspection_months"),
                warranty_months=item.get("warranty_months"),
            )
        except KeyError as exc:  # only without a schema
            errors.append(f"{where}: missing required field '{exc.args[0]}'")
            continue
        if product.category not in CATEGORIES:
            errors.append(f"{where}: category '{product.category}' is not one of "
                          f"{', '.join(CATEGORIES)}")
        if product.self_purchase:
            if product.price_min is None or product.price_max is None:
                errors.append(f"{where}: a self-purchase product needs price_min and price_max")
            elif product.price_min > product.price_max:
                errors.append(f"{where}: price_min ({product.price_min}) is more than price_max "
                              f"({product.price_max})")
        elif product.price_min is not None or product.price_max is not None:
            errors.append(f"{where}: has a price but self_purchase is false")
        if area_ids is not None and product.area not in area_ids | {GENERAL}:
            errors.append(f"{where}: area '{product.area}' is not one of the advice areas "
                          "or 'general'")
        products[code] = product
    return products, broken


def load_catalogue(path: Path | str | None = None) -> dict[str, Product]:
    """The equipment catalogue, by product code, in file order. Raises ContentError."""
    errors: list[str] = []
    schema = _load_schema(CONTENT_DIR, errors)
    products, _ = _read_catalogue(Path(path) if path else CATALOGUE_PATH, schema, errors)
    if errors:
        raise ContentError(errors)
    return products


# -- questions, rules, recommendations


def _build_areas(data: Any, bad: set, label: str, errors: list[str]) -> list[Area]:
    areas: list[Area] = []
    raw_ids = [item.get("id") for _, item in _items(data, "areas")]
    for ident in _repeated([i for i in raw_ids if isinstance(i, str)]):
        errors.append(f"{label}: area '{ident}': the id is repeated")
    seen = set()
    for index, item in _items(data, "areas"):
        ident = item.get("id")
        if ("areas", index) in bad or not isinstance(ident, str) or ident in seen:
            continue
        if ident in (START, GENERAL):
            errors.append(f"{label}: area '{ident}': '{ident}' is reserved; use another id")
            continue
        seen.add(ident)
        areas.append(Area.from_wording(ident, _wording(item.get("title")) or {},
                                       _wording(item.get("hint"))))
    return areas


def _build_questions(
    data: Any, bad: set, areas: list[Area], label: str, errors: list[str]
) -> tuple[dict[str, Question], set[str]]:
    area_ids = [a.id for a in areas]
    items = _items(data, "questions")
    raw_ids = [item.get("id") for _, item in items]
    for ident in _repeated([i for i in raw_ids if isinstance(i, str)]):
        errors.append(f"{label}: question '{ident}': the id is repeated")
    broken = {item.get("id") for index, item in items
              if ("questions", index) in bad and isinstance(item.get("id"), str)}
    for _, item in items:
        raw_options = item.get("options") if isinstance(item.get("options"), list) else []
        values = [o.get("value") for o in raw_options if isinstance(o, dict)]
        for value in _repeated([v for v in values if isinstance(v, str)]):
            errors.append(f"{label}: question '{item.get('id')}': option '{value}' is repeated")
    built: dict[str, Question] = {}
    raw_conditions: dict[str, Any] = {}
    for index, item in items:
        ident = item.get("id")
        if ("questions", index) in bad or not isinstance(ident, str) or ident in built:
            continue
        where = f"{label}: question '{ident}'"
        area = item.get("area")
        qtype = item.get("type")
        if area != START and area not in area_ids:
            errors.append(f"{where}: area '{area}' is not one of the areas (or '{START}')")
            broken.add(ident)
            continue
        if area != START and not ident.startswith(f"{area}."):
            errors.append(f"{where}: the id must start with its area, '{area}.'")
        if item.get("options_from") == "areas":
            if ident != AREAS_QUESTION:
                errors.append(f"{where}: only the '{AREAS_QUESTION}' question can take its "
                              "options from the areas")
            if "options" in item:
                errors.append(f"{where}: has both options and options_from")
            options = [Option(a.id, a.titles, a.hints) for a in areas]
        else:
            options = [
                Option(o["value"], _wording(o["label"]) or {}, _wording(o.get("hint")),
                       bool(o.get("exclusive", False)))
                for o in item.get("options") or []
            ]
            if len(options) < 2:
                errors.append(f"{where}: needs at least 2 options")
        exclusive = [o.value for o in options if o.exclusive]
        if exclusive and qtype != "checkboxes":
            errors.append(f"{where}: option '{exclusive[0]}' is exclusive, but only checkboxes "
                          "questions can have an exclusive option")
        if len(exclusive) > 1:
            errors.append(f"{where}: has more than one exclusive option ({', '.join(exclusive)})")
        built[ident] = Question(
            id=ident, area=area, type=qtype, options=options, ask_if=None,
            texts=_wording(item.get("text")) or {}, hints=_wording(item.get("hint")),
            errors=_wording(item.get("error")),
        )
        if "ask_if" in item:
            raw_conditions[ident] = item["ask_if"]

    # journey order: start questions (file order), then area by area in area order
    order = [q for q in built.values() if q.area == START]
    for area_id in area_ids:
        order += [q for q in built.values() if q.area == area_id]
    questions = {q.id: q for q in order}
    ids = list(questions)
    for area_id in area_ids:
        if not any(q.area == area_id for q in order) and not any(
            isinstance(i, dict) and i.get("area") == area_id and i.get("id") in broken
            for _, i in items
        ):
            errors.append(f"{label}: area '{area_id}' has no questions")

    # the two fixed questions
    start_ids = [q.id for q in order if q.area == START]
    for position, fixed in enumerate((AUDIENCE_QUESTION, AREAS_QUESTION)):
        if fixed in broken:
            continue
        if fixed not in questions:
            errors.append(f"{label}: question '{fixed}' is missing (it must be in area "
                          f"'{START}')")
        elif start_ids.index(fixed) != position:
            errors.append(f"{label}: question '{fixed}' must be question number {position + 1} "
                          f"in area '{START}'")
    who = questions.get(AUDIENCE_QUESTION)
    if who and (who.type != "radios" or sorted(who.values) != sorted(AUDIENCES)):
        errors.append(f"{label}: question '{AUDIENCE_QUESTION}': must be radios with options "
                      f"{', '.join(AUDIENCES)}")
    chooser = questions.get(AREAS_QUESTION)
    if chooser and (chooser.type != "checkboxes" or chooser.values != area_ids):
        errors.append(f"{label}: question '{AREAS_QUESTION}': must be checkboxes with "
                      "options_from: areas")

    # ask_if, now that every question is known
    for ident, raw in raw_conditions.items():
        where = f"{label}: question '{ident}'"
        if ident in (AUDIENCE_QUESTION, AREAS_QUESTION):
            errors.append(f"{where}: cannot have ask_if (it is always asked)")
            continue
        condition = _parse_condition(raw)
        if condition is None:
            errors.append(f"{where}: ask_if is not a valid condition")
            continue
        if ident in questions:
            _check_condition(condition, questions, broken, where, errors, ids, ident)
            questions[ident] = _replace(questions[ident], ask_if=condition)
    return questions, broken


def _replace(question: Question, **changes: Any) -> Question:
    values = {name: getattr(question, name) for name in question.__dataclass_fields__}
    values.update(changes)
    return Question(**values)


def _build_recommendations(
    data: Any, bad: set, area_ids: set[str], catalogue: Mapping[str, Product],
    skip_codes: set[str] | None, label: str, catalogue_label: str, errors: list[str]
) -> tuple[dict[str, Recommendation], set[str]]:
    items = _items(data, "recommendations")
    for ident in _repeated([i.get("id") for _, i in items if isinstance(i.get("id"), str)]):
        errors.append(f"{label}: recommendation '{ident}': the id is repeated")
    broken = {item.get("id") for index, item in items
              if ("recommendations", index) in bad and isinstance(item.get("id"), str)}
    recommendations: dict[str, Recommendation] = {}
    for index, item in items:
        ident = item.get("id")
        if ("recommendations", index) in bad or not isinstance(ident, str):
            continue
        if ident in recommendations:
            continue
        where = f"{label}: recommendation '{ident}'"
        kind = item.get("kind")
        area = item.get("area")
        products = tuple(item.get("products") or ())
        if area is not None and area not in area_ids:
            errors.append(f"{where}: area '{area}' is not one of the areas")
        if kind == "urgent" and (area or products or item.get("suggests_referral")):
            errors.append(f"{where}: an urgent recommendation cannot have an area, products "
                          "or suggests_referral")
        if kind in ("buy_or_try", "telecare") and not products:
            errors.append(f"{where}: a {kind} recommendation needs at least one product")
        if kind == "service" and products:
            errors.append(f"{where}: a service recommendation cannot list products")
        for code in _repeated(list(products)):
            errors.append(f"{where}: product '{code}' is listed twice")
        for code in products:
            product = catalogue.get(code)
            if product is None:
                if skip_codes is not None and code not in skip_codes:
                    errors.append(f"{where}: product code '{code}' is not in the catalogue "
                                  f"({catalogue_label})")
            elif kind == "buy_or_try" and not product.self_purchase:
                errors.append(f"{where}: product '{code}' is not for self-purchase, so it cannot "
                              "be in a buy_or_try recommendation")
        if item.get("suggests_referral") and not item.get("need"):
            errors.append(f"{where}: suggests_referral needs a need")
        links = tuple((str(link.get("text")), str(link.get("url")))
                      for link in item.get("links") or [] if isinstance(link, dict))
        titles = _wording(item.get("title")) or {}
        bodies = _wording(item.get("body")) or {}
        recommendations[ident] = Recommendation(
            id=ident,
            kind=kind,
            title=_pick(titles, None) or ident,
            body=_pick(bodies, None) or "",
            titles=titles,
            bodies=bodies,
            area=area,
            products=products,
            suggests_referral=bool(item.get("suggests_referral", False)),
            need=item.get("need"),
            priority=item.get("priority", DEFAULT_PRIORITY.get(kind, 50)),
            links=links,
        )
    return recommendations, broken


def _build_rules(
    data: Any, bad: set, questions: Mapping[str, Question], broken_questions: set[str] | None,
    recommendations: Mapping[str, Recommendation], broken_recs: set[str] | None, label: str,
    errors: list[str],
) -> tuple[list[Rule], tuple[str, ...]]:
    items = _items(data, "rules")
    for ident in _repeated([i.get("id") for _, i in items if isinstance(i.get("id"), str)]):
        errors.append(f"{label}: rule '{ident}': the id is repeated")
    rules: list[Rule] = []
    for index, item in items:
        ident = item.get("id")
        if ("rules", index) in bad or not isinstance(ident, str):
            continue
        where = f"{label}: rule '{ident}'"
        condition = _parse_condition(item.get("when"))
        if condition is None:
            errors.append(f"{where}: 'when' is not a valid condition")
            continue
        _check_condition(condition, questions, broken_questions, where, errors)
        recommend = tuple(item.get("recommend") or ())
        for rec_id in recommend:
            if broken_recs is not None and rec_id not in {*recommendations, *broken_recs}:
                errors.append(f"{where}: unknown recommendation '{rec_id}'")
        rules.append(Rule(ident, condition, recommend))
    fallback = data.get("fallback") if isinstance(data, dict) else None
    fallback = tuple(f for f in fallback or () if isinstance(f, str))
    for rec_id in fallback:
        if broken_recs is not None and rec_id not in {*recommendations, *broken_recs}:
            errors.append(f"{label}: fallback: unknown recommendation '{rec_id}'")
    return rules, fallback


def _load(directory: Path | None, catalogue_path: Path | None) -> tuple[Content | None, list[str]]:
    directory = Path(directory) if directory else CONTENT_DIR
    catalogue_path = Path(catalogue_path) if catalogue_path else CATALOGUE_PATH
    errors: list[str] = []
    schema = _load_schema(directory, errors)

    documents: dict[str, Any] = {}
    bad: dict[str, set] = {}
    for name, definition in (
        (QUESTIONS_FILE, "questions_file"),
        (RECOMMENDATIONS_FILE, "recommendations_file"),
        (RULES_FILE, "rules_file"),
    ):
        documents[name] = _read_yaml(directory / name, name, errors)
        bad[name] = set()
        if documents[name] is not None and schema is not None:
            messages, bad[name] = _schema_errors(documents[name], schema, definition, name)
            errors.extend(messages)

    qdata = documents[QUESTIONS_FILE]
    readable = {name: isinstance(data, dict) for name, data in documents.items()}
    areas = _build_areas(qdata, bad[QUESTIONS_FILE], QUESTIONS_FILE, errors)
    area_ids = {a.id for a in areas}
    catalogue, skip_codes = _read_catalogue(catalogue_path, schema, errors, area_ids or None)
    questions: dict[str, Question] = {}
    broken_questions: set[str] | None = None  # None: questions.yaml unreadable, skip checks
    if readable[QUESTIONS_FILE]:
        questions, broken_questions = _build_questions(
            qdata, bad[QUESTIONS_FILE], areas, QUESTIONS_FILE, errors)
    recommendations, broken_recs = _build_recommendations(
        documents[RECOMMENDATIONS_FILE], bad[RECOMMENDATIONS_FILE], area_ids, catalogue,
        skip_codes, RECOMMENDATIONS_FILE, catalogue_path.name, errors)
    rules, fallback = _build_rules(
        documents[RULES_FILE], bad[RULES_FILE], questions, broken_questions, recommendations,
        broken_recs if readable[RECOMMENDATIONS_FILE] else None, RULES_FILE, errors)

    version = qdata.get("version") if isinstance(qdata, dict) else None
    for name in (RULES_FILE, RECOMMENDATIONS_FILE):
        other = documents[name].get("version") if isinstance(documents[name], dict) else None
        if isinstance(version, str) and isinstance(other, str) and other != version:
            errors.append(f"{name}: version '{other}' does not match {QUESTIONS_FILE} "
                          f"version '{version}' (change them together)")
    if errors:
        return None, errors
    content = Content(
        version=version,
        areas=areas,
        questions=questions,
        recommendations=recommendations,
        rules=rules,
        catalogue=catalogue,
        fallback=fallback,
    )
    return content, []


def check_content(
    directory: Path | str | None = None, catalogue_path: Path | str | None = None
) -> list[str]:
    """Every problem in the content and catalogue; [] when they are valid."""
    return _load(Path(directory) if directory else None,
                 Path(catalogue_path) if catalogue_path else None)[1]


def load_content(
    directory: Path | str | None = None, catalogue_path: Path | str | None = None
) -> Content:
    """Load and check the advice content and the catalogue. Raises ContentError listing every
    problem."""
    content, errors = _load(Path(directory) if directory else None,
                            Path(catalogue_path) if catalogue_path else None)
    if errors or content is None:
        raise ContentError(errors)
    return content


@cache
def default_content() -> Content:
    """The shipped content, loaded once per process (for the web views)."""
    return load_content()
