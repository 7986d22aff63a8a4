"""The scenario library (portal/advice/content/scenarios.yaml) played through the real engine,
and the content check's search for rules no answer reaches and advice no answer shows."""

import shutil

import pytest
import yaml

from portal.advice.engine import CATALOGUE_PATH, CONTENT_DIR, check_content, default_content, evaluate
from portal.advice.engine.coverage import coverage_problems, quiet_answers, witnesses
from portal.advice.engine.scenarios import load_scenarios, play

SCENARIOS, LOAD_ERRORS = load_scenarios()


def test_the_library_loads_and_has_at_least_30_people():
    assert LOAD_ERRORS == []
    assert len(SCENARIOS) >= 30
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario):
    report, problems = play(default_content(), scenario)
    assert problems == [], "\n".join(problems)
    if scenario.ot_leads:  # the OT route leads: right after any urgent help, before shop items
        first = report.all()[len(report.urgent)]
        assert first.recommendation.need == "ot_assessment"


def test_a_scenario_that_breaks_is_reported_in_the_ot_leads_words():
    scenario = next(s for s in SCENARIOS if s.id == "widow-84-two-falls-long-lie")
    calmer = scenario.__class__(**{**scenario.__dict__, "answers": {
        **scenario.answers, "falls_and_safety.get_up": "without_help",
        "falls_and_safety.alone": "rarely"}})
    _, problems = play(default_content(), calmer)
    assert any("occupational therapy route should lead" in p for p in problems)


def test_a_scenario_with_an_answer_the_journey_would_not_accept_is_reported():
    scenario = SCENARIOS[0]
    broken = scenario.__class__(**{**scenario.__dict__, "answers": {**scenario.answers,
                                                                    "age": "ninety"}})
    _, problems = play(default_content(), broken)
    assert any("'age'" in p and "not one the journey accepts" in p for p in problems)
    assert any("not complete" in p for p in problems)


def test_every_rule_is_reached_and_every_recommendation_shown():
    assert coverage_problems(default_content()) == []


def test_witnesses_really_make_the_rule_fire():
    content = default_content()
    rule = next(r for r in content.rules if r.id == "ot.must-see")
    found = witnesses(content, rule.when)
    assert found and all(content.is_complete(a) for a in found)
    assert all(rule.when.matches(content.clean_answers(a)) for a in found)
    # filled in differently, so a withhold in one (a child) does not hide the advice in all
    assert any("ot_assessment" in evaluate(content, a).recommendation_ids for a in found)


def test_quiet_answers_show_only_the_fallback():
    content = default_content()
    assert evaluate(content, quiet_answers(content)).recommendation_ids == list(content.fallback)


@pytest.fixture
def copy(tmp_path):
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    shutil.copy(CATALOGUE_PATH, tmp_path / "catalogue.yaml")
    return directory


def _edit_rules(directory, change):
    path = directory / "rules.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_rule_no_answer_can_reach_is_reported(copy):
    def contradiction(data):
        data["rules"].append({"id": "never", "recommend": ["stairlift"], "when": {"all": [
            {"question": "moving_around.stairs", "is": "cannot"},
            {"question": "moving_around.stairs", "is": "safely"}]}})
    _edit_rules(copy, contradiction)
    problems = check_content(copy, copy.parent / "catalogue.yaml")
    assert problems == ["rules.yaml: rule 'never': no answers can reach it (check its conditions, "
                        "and that the questions it uses are asked together)"]


def test_a_rule_on_questions_never_asked_together_is_reported(copy):
    def hidden(data):  # get_in_out is only asked when washing in a bath or shower
        data["rules"].append({"id": "sink-and-bath", "recommend": ["bath_lift"], "when": {"all": [
            {"question": "bathing.washing_now", "is": "sink"},
            {"question": "bathing.get_in_out", "is": "cannot"}]}})
    _edit_rules(copy, hidden)
    assert any("rule 'sink-and-bath': no answers can reach it" in p
               for p in check_content(copy, copy.parent / "catalogue.yaml"))


def test_advice_always_withheld_is_reported(copy):
    def withhold_everywhere(data):
        data["rules"].append({"id": "everyone", "recommend": ["talk_to_us"],
                              "when": {"question": "who", "in": ["myself", "someone", "professional"]},
                              "withhold": ["reachers"]})
    _edit_rules(copy, withhold_everywhere)
    problems = check_content(copy, copy.parent / "catalogue.yaml")
    assert any("recommendation 'reachers': no answers can show it" in p for p in problems)


def test_a_broken_scenario_fails_the_content_check(copy):
    path = copy / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    must_not_include: [stairlift, dfg, trusted_assessor]\n",
        "    must_not_include: [falls_service]\n", 1),
        encoding="utf-8")
    problems = check_content(copy, copy.parent / "catalogue.yaml")
    assert problems == ["scenarios.yaml: scenario 'widow-84-two-falls-long-lie': 'falls_service' "
                        "must not appear but does"]


def test_check_content_command_exits_non_zero_on_an_unreachable_rule(app, copy, monkeypatch):
    from portal.advice import engine

    _edit_rules(copy, lambda data: data["rules"].append({
        "id": "never", "recommend": ["stairlift"], "when": {"all": [
            {"question": "who", "is": "myself"}, {"not": {"question": "who", "is": "myself"}}]}}))
    real = engine.check_content
    monkeypatch.setattr(engine, "check_content",
                        lambda *a, **k: real(copy, copy.parent / "catalogue.yaml"))
    result = app.test_cli_runner().invoke(args=["check-content"])
    assert result.exit_code != 0
    assert "rule 'never': no answers can reach it" in result.output


def test_every_get_help_now_message_names_a_number_that_answers_at_any_hour():
    """Each urgent message names 999 or {phone_now}, which is filled in with the number that
    answers at the hour the page is read (portal.advice.services.help_words)."""
    content = default_content()
    for rec in content.recommendations.values():
        if rec.kind != "urgent":
            continue
        for audience in ("myself", "someone", "professional"):
            body = rec.body_for(audience)
            assert "999" in body or "{phone_now}" in body, rec.id


def test_a_placeholder_the_report_cannot_fill_is_a_content_error(copy):
    path = copy / "recommendations.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{phone_now}", "{phone_later}", 1),
                    encoding="utf-8")
    [problem] = check_content(copy, copy.parent / "catalogue.yaml")
    assert "{phone_later} is not a word the report can fill in" in problem


def test_prefer_not_to_say_stands_alone():
    content = default_content()
    assert content.validate_answer("conditions", ["prefer_not"]) == (["prefer_not"], None)
    value, error = content.validate_answer("conditions", ["sight", "prefer_not"])
    assert value is None
    assert error == ("Select \u201cNone of these\u201d or \u201cPrefer not to say\u201d on its own, "
                     "or select the options that apply")
