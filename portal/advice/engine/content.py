"""The advice content as Python objects: areas, questions and their options, conditions, rules,
recommendations, catalogue products, and the journey through the questions.

Pure Python: built by ``loading`` from the checked files, read by ``evaluate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from portal.web.i18n import N_

AUDIENCES = ("myself", "someone", "professional")
DEFAULT_AUDIENCE = "myself"
AUDIENCE_QUESTION = "who"
AREAS_QUESTION = "areas"
START = "start"
GENERAL = "general"
KINDS = ("urgent", "service", "telecare", "buy_or_try")
DEFAULT_PRIORITY = {"urgent": 0, "service": 20, "telecare": 30, "buy_or_try": 40}
NEEDS = ("telecare", "equipment", "minor_adaptation", "major_adaptation", "ot_assessment", "falls")
# The order an occupational therapist prescribes in: least intrusive first. A recommendation's
# ``step`` puts it on this ladder; within a report section, advice and services with no step
# come first, then the steps in this order. The labels are shown on the report.
STEPS = {
    "try_first": "Try first",
    "minor_adaptation": "A small change to the home",
    "assessed_equipment": "Needs an assessment first",
    "major_adaptation": "A longer-term option",
}
STEP_RANK = {name: rank for rank, name in enumerate(STEPS, start=1)}
# Words filled in when the report is shown, so that each "get help now" message names a number
# that answers at that hour (see portal.advice.services.help_words). Written {name} in a title
# or body; check_content refuses any other {name}.
PLACEHOLDERS = ("phone_now", "council_phone", "out_of_hours_phone")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Answers = Mapping[str, Any]

# The engine's own words (error messages for a question without its own, the first questions'
# caption), in English. Content.messages holds them in the content's language: the web layer
# gives the translated content the catalogue's words (portal.advice.services).
MESSAGES = {
    "select_one": N_("Select one option"),
    "select_some": N_("Select at least one option"),
    "select_some_or_none": N_("Select the options that apply, or select {label}"),
    "alone_one": N_("Select {label} or select the options that apply, not both"),
    "alone_many": N_("Select {labels} on its own, or select the options that apply"),
    "or": N_(" or "),
    "none_of_these": N_("None of these"),
    "start": N_("Getting started"),
}


class ContentError(Exception):
    """The advice content or the catalogue is not valid. ``errors`` lists every problem found,
    each naming the file, the item (question, rule, recommendation or product) and the problem."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        count = len(self.errors)
        summary = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"The advice content has {summary}:\n" + "\n".join(self.errors))


def pick_wording(wording: Mapping[str, str] | None, audience: str | None) -> str | None:
    """The words for this audience (the default audience's when it has none)."""
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
    # A telecare alarm unit (the box that calls the monitoring centre): "digital" (works on a
    # digital or mobile line) or "analogue" (needs an analogue line); None for anything else.
    alarm_unit: str | None = None

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
        return cls(area_id, pick_wording(titles, None) or area_id, pick_wording(hints, None), titles, hints)

    def title_for(self, audience: str | None) -> str:
        return pick_wording(self.titles, audience) or self.title

    def hint_for(self, audience: str | None) -> str | None:
        return pick_wording(self.hints, audience)

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
        return pick_wording(self.labels, audience) or self.value

    def hint(self, audience: str | None = None) -> str | None:
        return pick_wording(self.hints, audience)


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
        return pick_wording(self.texts, audience) or self.id

    def hint(self, audience: str | None = None) -> str | None:
        return pick_wording(self.hints, audience)

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

    @property
    def exclusive_options(self) -> list[Option]:
        """Options that stand alone, such as "None of these" and "Prefer not to say"."""
        return [option for option in self.options if option.exclusive]

    def error_message(self, audience: str | None = None, messages: Mapping[str, str] = MESSAGES) -> str:
        """The GOV.UK error message shown when nothing (or something invalid) is selected."""
        custom = pick_wording(self.errors, audience)
        if custom:
            return custom
        if self.type == "radios":
            return messages["select_one"]
        none = self.exclusive_option
        if none:
            return messages["select_some_or_none"].format(label=f"\u201c{none.label(audience)}\u201d")
        return messages["select_some"]

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
    use ``paragraphs()`` to get them one by one. ``easy_read`` is the same advice in one or two
    very short sentences, for the Easy Read version of the report."""

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
    step: str | None = None  # a key of STEPS, or None for advice and services off the ladder
    titles: Mapping[str, str] = field(default_factory=dict, repr=False)
    bodies: Mapping[str, str] = field(default_factory=dict, repr=False)
    easy_read: str = ""
    easy_reads: Mapping[str, str] = field(default_factory=dict, repr=False)

    def title_for(self, audience: str | None) -> str:
        return pick_wording(self.titles, audience) or self.title

    def body_for(self, audience: str | None) -> str:
        return pick_wording(self.bodies, audience) or self.body

    def easy_read_for(self, audience: str | None) -> str:
        return pick_wording(self.easy_reads, audience) or self.easy_read

    def paragraphs(self, audience: str | None = None) -> list[str]:
        """The body as a list of paragraphs (line breaks inside a paragraph removed), for the
        given audience, or for this object's own wording when no audience is given."""
        return _paragraphs(self.body_for(audience) if audience else self.body)

    def for_audience(self, audience: str | None) -> Recommendation:
        """This recommendation with ``title``, ``body`` and ``easy_read`` worded for the audience."""
        return replace(self, title=self.title_for(audience), body=self.body_for(audience),
                       easy_read=self.easy_read_for(audience))

    def filled(self, values: Mapping[str, str] | None) -> Recommendation:
        """This recommendation with its {placeholders} filled in (unknown names left alone)."""
        if not values:
            return self

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

        return replace(self, title=fill(self.title), body=fill(self.body), easy_read=fill(self.easy_read))

    @property
    def step_label(self) -> str | None:
        return STEPS.get(self.step) if self.step else None

    @property
    def sort_key(self) -> tuple[int, int]:
        return (STEP_RANK.get(self.step, 0) if self.step else 0, self.priority)


@dataclass(frozen=True)
class Rule:
    """``lead``: the rule's recommendations go first in the report, straight after any urgent
    help (for example "Ask for an occupational therapy assessment" when the answers show a need
    an occupational therapist must see). ``withhold``: recommendations this rule keeps out of the
    report whatever else fires them (for example a bath lift while hip precautions apply)."""

    id: str
    when: Condition
    recommend: tuple[str, ...]
    lead: bool = False
    withhold: tuple[str, ...] = ()


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
    lead: list[ShownRecommendation] = field(default_factory=list)  # first after urgent help
    withheld: list[str] = field(default_factory=list)  # ids fired but kept out by a rule

    @property
    def is_urgent(self) -> bool:
        return bool(self.urgent)

    def all(self) -> list[ShownRecommendation]:
        """Every recommendation in display order."""
        shown = list(self.urgent) + list(self.lead)
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
    messages: Mapping[str, str] = field(default_factory=lambda: dict(MESSAGES))

    # -- lookups

    def area(self, area_id: str) -> Area:
        """The area with this id; ``area("start")`` gives a pseudo-area for the first questions
        (so a view can show ``content.area(question.area).title`` for any question)."""
        for area in self.areas:
            if area.id == area_id:
                return area
        if area_id == START:
            return START_AREA if self.messages["start"] == MESSAGES["start"] else Area.from_wording(
                START, dict.fromkeys(AUDIENCES, self.messages["start"]))
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
            words = self.messages
            labels = [f"\u201c{o.label(audience)}\u201d" for o in question.exclusive_options]
            if len(labels) > 1:
                return None, words["alone_many"].format(labels=words["or"].join(labels))
            label = labels[0] if labels else f"\u201c{words['none_of_these']}\u201d"
            return None, words["alone_one"].format(label=label)
        return None, question.error_message(audience, self.messages)

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

