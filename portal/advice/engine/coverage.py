"""Which rules some set of answers can reach, and which recommendations some answers can show.

For each rule, ``witness`` builds answers a person could give that make the rule fire: it turns
the rule's condition into alternatives (each a set of demands on single questions), adds what it
takes for each of those questions to be asked (its area ticked, its ``ask_if``), fills in every
other question of the journey, and then checks the result with the real engine (``Content`` and
``evaluate``), so a rule counts as reached only when the engine agrees. A rule that no answers
can make fire (contradictory conditions, a question that is never asked together with another)
is reported; so is a recommendation that no reachable rule shows (never recommended, or always
withheld).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from portal.advice.engine.content import AREAS_QUESTION, START, Condition, Content, Question
from portal.advice.engine.evaluate import evaluate

MAX_ALTERNATIVES = 400  # a condition with more alternatives than this is sampled, not searched


@dataclass
class Demand:
    """What one set of answers must do on one question."""

    allowed: set[str] | None = None  # radios: the answer is one of these
    include: list[set[str]] = field(default_factory=list)  # checkboxes: one of each set
    exclude: set[str] = field(default_factory=set)  # never these values

    def merged(self, other: Demand) -> Demand | None:
        allowed = (self.allowed if other.allowed is None else
                   other.allowed if self.allowed is None else self.allowed & other.allowed)
        result = Demand(allowed, self.include + other.include, self.exclude | other.exclude)
        if result.allowed is not None and not (result.allowed - result.exclude):
            return None
        if any(not (group - result.exclude) for group in result.include):
            return None
        return result


Alternative = dict[str, Demand]


def _merge(a: Alternative, b: Alternative) -> Alternative | None:
    out = dict(a)
    for qid, demand in b.items():
        if qid in out:
            merged = out[qid].merged(demand)
            if merged is None:
                return None
            out[qid] = merged
        else:
            out[qid] = demand
    return out


def _alternatives(condition: Condition, content: Content, negate: bool = False) -> list[Alternative]:
    op = condition.op
    if op == "not":
        return _alternatives(condition.items[0], content, not negate)
    if op in ("all", "any"):
        parts = [_alternatives(item, content, negate) for item in condition.items]
        if (op == "all") != negate:  # all, or not(any): every part at once
            combined: list[Alternative] = [{}]
            for part in parts:
                combined = [m for a, b in itertools.product(combined, part)
                            if (m := _merge(a, b)) is not None][:MAX_ALTERNATIVES]
            return combined
        return [alt for part in parts for alt in part][:MAX_ALTERNATIVES]
    question = content.questions.get(condition.question)
    if question is None:
        return []
    values = set(condition.values)
    if op == "includes":
        demand = Demand(exclude=values) if negate else Demand(include=[values])
    elif negate:
        demand = Demand(allowed=set(question.values) - values)
    else:
        demand = Demand(allowed=values)
    return [{question.id: demand}]


def _with_prerequisites(alt: Alternative, content: Content, depth: int = 0) -> Alternative | None:
    """The alternative plus what it takes for each of its questions to be asked."""
    if depth > 5:
        return None
    for qid in list(alt):
        question = content.questions[qid]
        needs: list[Alternative] = [{}]
        if question.area != START:
            needs = [{AREAS_QUESTION: Demand(include=[{question.area}])}]
        if question.ask_if is not None:
            needs = [m for a, b in itertools.product(needs, _alternatives(question.ask_if, content))
                     if (m := _merge(a, b)) is not None]
        for need in needs:
            merged = _merge(alt, need)
            if merged is None:
                continue
            if set(merged) != set(alt):
                merged = _with_prerequisites(merged, content, depth + 1)
            if merged is not None:
                alt = merged
                break
        else:
            return None
    return alt


def _choose(question: Question, demand: Demand | None, pick: int):
    values = question.values
    if demand is None:
        demand = Demand()
    if question.type == "radios":
        allowed = [v for v in values if (demand.allowed is None or v in demand.allowed)
                   and v not in demand.exclude]
        return allowed[pick % len(allowed)] if allowed else None
    chosen = []
    for group in demand.include:
        if not any(v in chosen for v in group):
            chosen.append(next(v for v in values if v in group and v not in demand.exclude))
    if not chosen:
        spare = [o.value for o in question.options if o.exclusive and o.value not in demand.exclude]
        if question.id == AREAS_QUESTION or not spare:
            spare = [v for v in values if v not in demand.exclude]
        return [spare[pick % len(spare)]] if spare else None
    if any(question.option(v).exclusive for v in chosen) and len(chosen) > 1:
        return None
    return [v for v in values if v in chosen]


def _answers_for(alt: Alternative, content: Content, pick: int) -> dict:
    answers: dict = {}
    for _ in range(len(content.questions) + 5):
        question = content.next_question(answers)
        if question is None:
            break
        value = _choose(question, alt.get(question.id), pick)
        if value is None:
            return {}
        answers[question.id] = value
    return answers


def witnesses(content: Content, condition: Condition, tries: int = 3) -> list[dict]:
    """Complete sets of answers (a few, differently filled in) that make the condition hold."""
    found = []
    for alt in _alternatives(condition, content):
        alt = _with_prerequisites(alt, content)
        if alt is None:
            continue
        for pick in range(tries):
            answers = _answers_for(alt, content, pick)
            if answers and condition.matches(content.clean_answers(answers)):
                found.append(answers)
        if found:
            return found
    return found


def quiet_answers(content: Content) -> dict:
    """A complete journey that avoids, wherever it can, every answer a rule names: the answers
    that show the fallback."""
    named: set[tuple[str, str]] = set()
    for rule in content.rules:
        for leaf in rule.when.leaves():
            named.update((leaf.question, value) for value in leaf.values)
    answers: dict = {}
    for _ in range(len(content.questions) + 5):
        question = content.next_question(answers)
        if question is None:
            break
        quiet = [v for v in question.values if (question.id, v) not in named] or question.values
        exclusive = [o.value for o in question.options if o.exclusive and o.value in quiet]
        answers[question.id] = (quiet[0] if question.type == "radios"
                                else [(exclusive or quiet)[0]])
    return answers


def coverage_problems(content: Content) -> list[str]:
    """Rules no answers can reach, and recommendations no answers can show."""
    problems: list[str] = []
    shown: set[str] = set()
    for rule in content.rules:
        found = witnesses(content, rule.when)
        if not found:
            problems.append(f"rules.yaml: rule '{rule.id}': no answers can reach it (check its "
                            "conditions, and that the questions it uses are asked together)")
            continue
        for answers in found:
            shown.update(evaluate(content, answers).recommendation_ids)
    shown.update(evaluate(content, quiet_answers(content)).recommendation_ids)  # the fallback
    for rec_id in content.recommendations:
        if rec_id not in shown:
            problems.append(f"recommendations.yaml: recommendation '{rec_id}': no answers can "
                            "show it (no rule that can be reached recommends it, or it is always "
                            "withheld)")
    return problems
