"""The scenario library: people an occupational therapist would recognise, each with their answers
and what their report must and must not say (``portal/advice/content/scenarios.yaml``).

Each scenario is played through the real engine. It fails when an answer is not one the
journey would accept, when the journey is not complete, when an item that must appear does not
(or one that must not, does), when urgent help does or does not come first as expected, when the
occupational therapy route does or does not lead as expected, or when a phrase that must (or
must not) be said is missing (or present).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.advice.engine.content import STEP_RANK, Content, Report
from portal.advice.engine.evaluate import evaluate
from portal.advice.engine.files import CONTENT_DIR, load_schema, read_yaml, schema_errors

SCENARIOS_FILE = "scenarios.yaml"
# Fixed words for the {placeholders}, so the scenarios do not depend on the hour they run.
WORDS = {"phone_now": "PHONE-NOW", "council_phone": "COUNCIL-PHONE",
         "out_of_hours_phone": "OUT-OF-HOURS-PHONE"}
OT_NEED = "ot_assessment"


@dataclass(frozen=True)
class Scenario:
    id: str
    persona: str
    answers: dict[str, Any]
    must_include: tuple[str, ...] = ()
    must_not_include: tuple[str, ...] = ()
    help_now_first: bool = False
    ot_leads: bool = False
    must_say: tuple[str, ...] = ()
    must_not_say: tuple[str, ...] = ()
    lead: tuple[str, ...] = field(default=())  # if given, exactly these lead, in this order


def load_scenarios(directory: Path | str | None = None) -> tuple[list[Scenario], list[str]]:
    """The scenarios in the content directory, and any problems reading them."""
    directory = Path(directory) if directory else CONTENT_DIR
    errors: list[str] = []
    path = directory / SCENARIOS_FILE
    if not path.exists():
        return [], []
    data = read_yaml(path, SCENARIOS_FILE, errors)
    schema = load_schema(directory, errors)
    if data is None or schema is None:
        return [], errors
    messages, _ = schema_errors(data, schema, "scenarios_file", SCENARIOS_FILE)
    if messages:
        return [], errors + messages
    scenarios = []
    seen = set()
    for item in data["scenarios"]:
        if item["id"] in seen:
            errors.append(f"{SCENARIOS_FILE}: scenario '{item['id']}': the id is repeated")
            continue
        seen.add(item["id"])
        scenarios.append(Scenario(
            id=item["id"], persona=" ".join(item["persona"].split()), answers=item["answers"],
            must_include=tuple(item.get("must_include") or ()),
            must_not_include=tuple(item.get("must_not_include") or ()),
            help_now_first=bool(item.get("help_now_first", False)),
            ot_leads=bool(item.get("ot_leads", False)),
            must_say=tuple(item.get("must_say") or ()),
            must_not_say=tuple(item.get("must_not_say") or ()),
            lead=tuple(item.get("lead") or ()),
        ))
    return scenarios, errors


def report_text(report: Report) -> str:
    """Every title and body in the report, with line breaks and runs of spaces made single."""
    return " ".join(" ".join(f"{s.title} {s.recommendation.body}" for s in report.all()).split())


def play(content: Content, scenario: Scenario) -> tuple[Report, list[str]]:
    """The scenario's report, and every way it falls short (an empty list when it passes)."""
    where = f"{SCENARIOS_FILE}: scenario '{scenario.id}'"
    problems: list[str] = []
    clean = content.clean_answers(scenario.answers)
    for qid, value in scenario.answers.items():
        if qid not in clean:
            problems.append(f"{where}: the answer to '{qid}' ({value!r}) is not one the journey "
                            "accepts, or the question is not asked")
        elif clean[qid] != value:
            problems.append(f"{where}: the answer to '{qid}' is {value!r}; write it as "
                            f"{clean[qid]!r}")
    missing = content.next_question(scenario.answers)
    if missing is not None:
        problems.append(f"{where}: the journey is not complete: answer '{missing.id}'")
    report = evaluate(content, scenario.answers, WORDS)
    shown = report.recommendation_ids
    for rec_id in scenario.must_include:
        if rec_id not in content.recommendations:
            problems.append(f"{where}: must_include names unknown recommendation '{rec_id}'")
        elif rec_id not in shown:
            problems.append(f"{where}: '{rec_id}' must appear but does not")
    for rec_id in scenario.must_not_include:
        if rec_id not in content.recommendations:
            problems.append(f"{where}: must_not_include names unknown recommendation '{rec_id}'")
        elif rec_id in shown:
            problems.append(f"{where}: '{rec_id}' must not appear but does")
    if scenario.help_now_first != bool(report.urgent):
        problems.append(f"{where}: urgent help should {'' if scenario.help_now_first else 'not '}"
                        "come first")
    ot_leading = any(s.recommendation.need == OT_NEED for s in report.lead)
    if scenario.ot_leads != ot_leading:
        problems.append(f"{where}: the occupational therapy route should "
                        f"{'' if scenario.ot_leads else 'not '}lead the report")
    if scenario.lead and tuple(s.id for s in report.lead) != scenario.lead:
        problems.append(f"{where}: the report should lead with {list(scenario.lead)}, "
                        f"not {[s.id for s in report.lead]}")
    text = report_text(report)
    for phrase in scenario.must_say:
        if phrase.lower() not in text.lower():
            problems.append(f"{where}: the report must say {phrase!r} but does not")
    for phrase in scenario.must_not_say:
        if phrase.lower() in text.lower():
            problems.append(f"{where}: the report must not say {phrase!r} but does")
    for title, items in [("lead", report.lead), ("general", report.general),
                         *((area.id, items) for area, items in report.by_area)]:
        ranks = [STEP_RANK.get(s.recommendation.step, 0) for s in items]
        if ranks != sorted(ranks):
            problems.append(f"{where}: section '{title}' is not in the order an occupational "
                            "therapist prescribes")
    return report, problems


def scenario_problems(content: Content, directory: Path | str | None = None) -> list[str]:
    scenarios, problems = load_scenarios(directory)
    for scenario in scenarios:
        problems.extend(play(content, scenario)[1])
    return problems
