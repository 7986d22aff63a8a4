"""The guided advice engine: shipped content, the journey, answer validation, content errors,
rules and reports. Pure Python: no app, no database."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.advice import engine
from portal.advice.engine import (
    AUDIENCES,
    CATALOGUE_PATH,
    CATEGORIES,
    CONTENT_DIR,
    NEEDS,
    ContentError,
    Question,
    check_content,
    default_catalogue,
    default_content,
    evaluate,
    load_catalogue,
    load_content,
)

AREA_IDS = [
    "moving_around", "bed_and_chair", "bathing", "toilet", "kitchen", "falls_and_safety",
    "memory", "going_out", "medication", "keeping_in_touch", "caring", "send",
]


@pytest.fixture(scope="module")
def content():
    return load_content()


def ids(questions):
    return [q.id for q in questions]


# The start questions after the urgent screen, answered for an adult at home with nothing that
# changes the advice (tests/scenarios play the rest).
SETTLED = {"age": "from_65", "housing": "owner", "hospital": "not_recently", "conditions": ["none"]}
START_IDS = ["who", "areas", "urgent", "age", "housing", "hospital", "conditions"]


def start(who="myself", areas=(), urgent=("none",), **more):
    extra = {"helper": "carer"} if who == "someone" else {}
    return {"who": who, "areas": list(areas), "urgent": list(urgent), **extra, **SETTLED, **more}


def shown_ids(report):
    return report.recommendation_ids


def section(report, area_id):
    return next([s.id for s in items] for area, items in report.by_area if area.id == area_id)


# ---------------------------------------------------------------------------- shipped content


def test_shipped_content_loads_with_no_errors(content):
    assert check_content() == []
    assert content.version
    assert [area.id for area in content.areas] == AREA_IDS


def test_every_area_has_two_to_four_questions(content):
    for area_id in AREA_IDS:
        assert 2 <= len(content.area_questions(area_id)) <= 4, area_id


def test_every_recommendation_can_be_reached(content):
    used = {rec_id for rule in content.rules for rec_id in rule.recommend} | set(content.fallback)
    assert set(content.recommendations) <= used
    kinds = {rec.kind for rec in content.recommendations.values()}
    assert kinds == {"urgent", "service", "telecare", "buy_or_try"}


def test_referral_needs_are_from_the_list(content):
    for rec in content.recommendations.values():
        if rec.suggests_referral:
            assert rec.need in NEEDS, rec.id
    needs = {rec.need for rec in content.recommendations.values() if rec.suggests_referral}
    assert needs == set(NEEDS)


def test_catalogue_has_enough_realistic_products():
    catalogue = load_catalogue()
    assert catalogue == default_content().catalogue
    assert len(catalogue) >= 150
    own = [p for p in catalogue.values() if p.self_purchase]
    assert len(own) >= 60
    for product in own:
        assert 0 < product.price_min <= product.price_max, product.code
        assert product.what_to_look_for, product.code
        assert product.price_range.startswith("£")
    for product in catalogue.values():
        if not product.self_purchase:
            assert product.price_min is None and product.price_range is None
        if "sling" in product.name.lower() or product.code.startswith("HOIST-"):
            assert product.inspection_months == 6, product.code
        assert product.unit_cost > 0
    categories = {p.category for p in catalogue.values()}
    assert categories == {"telecare", "telehealth", "environmental_controls",
                          "community_equipment"}
    names = " ".join(p.name.lower() for p in catalogue.values())
    for needed in ("bath lift", "raised toilet seat", "perching stool", "kettle tipper",
                   "fall detector", "gps locator", "medication dispenser", "key safe",
                   "pulse oximeter", "video calling tablet", "riser-recliner", "hoist"):
        assert needed in names, needed


def test_product_categories_are_the_equipment_features_list():
    from portal.equipment.models import CATEGORIES as EQUIPMENT_CATEGORIES

    assert tuple(EQUIPMENT_CATEGORIES) == CATEGORIES
    schema = json.loads((CONTENT_DIR / "schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["product"]["properties"]["category"]["enum"] == list(CATEGORIES)


def test_a_category_the_equipment_feature_does_not_have_is_refused(copy, monkeypatch):
    """The engine checks categories against equipment's list, not a copy of its own."""
    monkeypatch.setattr(engine.loading, "CATEGORIES", ("telecare", "telehealth",
                                                       "community_equipment"))
    errors = errors_for(copy)
    assert errors and all("is not one of telecare, telehealth, community_equipment" in e
                          for e in errors)


def test_the_shipped_catalogue_is_read_once_and_checked():
    first = default_catalogue()
    assert default_catalogue() is first  # cached: one read per process
    assert first == load_catalogue(CATALOGUE_PATH)
    assert list(first) == list(default_content().catalogue)


def test_buy_or_try_products_show_price_and_what_to_look_for(content):
    for rec in content.recommendations.values():
        for code in rec.products:
            assert code in content.catalogue
            if rec.kind == "buy_or_try":
                assert content.catalogue[code].self_purchase, (rec.id, code)


def test_monitoring_technology_mentions_consent(content):
    for rec_id in ("gps_locator", "door_sensor", "bed_sensor", "movement_sensor",
                   "carer_alerts", "consent_and_capacity"):
        body = " ".join(content.recommendations[rec_id].paragraphs("someone"))
        assert "agreement" in body and "best interests" in body, rec_id


# ---------------------------------------------------------------------------- wording


def test_wording_differs_by_audience(content):
    question = content.question("bathing.get_in_out")
    texts = {audience: question.text(audience) for audience in AUDIENCES}
    assert texts["myself"] == "Can you get in and out of the bath or shower?"
    assert texts["someone"] == (
        "Can the person you are helping get in and out of the bath or shower?")
    assert texts["professional"] == "Can the person get in and out of the bath or shower?"
    areas = content.question("areas")
    assert len({areas.text(a) for a in AUDIENCES}) == 3
    caring = content.area("caring")
    assert caring.title_for("myself") != caring.title_for("someone")
    assert caring.title == caring.title_for("myself")
    assert areas.option_label("caring", "professional") == caring.title_for("professional")
    assert content.area("start").title == "Getting started"  # a caption for the first questions


def test_every_question_is_worded_for_every_audience(content):
    for question in content.questions.values():
        for audience in AUDIENCES:
            assert question.text(audience).endswith("?"), (question.id, audience)
            for option in question.options:
                assert option.label(audience), (question.id, option.value)
        same_for_all = len({question.text(a) for a in AUDIENCES}) == 1
        says_you = "you" in question.text("myself").lower().split()
        if question.area != "start" and says_you and same_for_all:
            pytest.fail(f"{question.id} says 'you' to every audience")


def test_recommendation_wording_can_vary_by_audience(content):
    rec = content.recommendations["carers_assessment"]
    assert rec.title_for("professional") == "The carer can ask for a carer's assessment"
    assert rec.title == "Ask for a carer's assessment"  # the default (myself) wording
    assert rec.paragraphs("someone")[0].startswith("As a carer, you have the right")
    assert len(rec.paragraphs("myself")) == 2


# ---------------------------------------------------------------------------- journey


def test_journey_starts_with_who_areas_and_urgent(content):
    assert ids(content.journey({})) == START_IDS
    assert content.next_question({}).id == "who"
    assert content.next_question({"who": "someone"}).id == "areas"
    assert content.next_question({"who": "someone", "areas": ["toilet"]}).id == "urgent"


def test_journey_follows_area_order_not_tick_order(content):
    answers = start(areas=["toilet", "bathing"]) | {"bathing.washing_now": "bath"}
    journey = ids(content.journey(answers))
    assert journey[:7] == START_IDS
    assert journey[7:] == [
        "bathing.washing_now", "bathing.get_in_out", "bathing.hard_parts", "bathing.goal",
        "toilet.sit_stand", "toilet.in_time", "toilet.cleaning",
    ]
    assert content.next_question(answers).id == "bathing.get_in_out"


def test_ask_if_shows_a_question_only_when_an_earlier_answer_matches(content):
    answers = start(areas=["bathing"]) | {"bathing.washing_now": "sink"}
    assert "bathing.get_in_out" not in ids(content.journey(answers))
    answers["bathing.washing_now"] = "bath"
    assert "bathing.get_in_out" in ids(content.journey(answers))

    falls = start(areas=["falls_and_safety"]) | {"falls_and_safety.falls": "no_falls"}
    assert "falls_and_safety.get_up" not in ids(content.journey(falls))
    falls["falls_and_safety.falls"] = "more_than_once"
    assert content.next_question(falls).id == "falls_and_safety.get_up"


def test_ask_if_on_the_audience(content):
    mine = start("myself", ["memory"])
    theirs = start("someone", ["memory"])
    assert "memory.decisions" not in ids(content.journey(mine))
    assert "memory.decisions" in ids(content.journey(theirs))


def test_clean_answers_drops_an_unticked_area(content):
    answers = start(areas=["bathing", "toilet"]) | {
        "bathing.washing_now": "bath",
        "bathing.get_in_out": "cannot",
        "toilet.sit_stand": "difficult",
    }
    assert content.clean_answers(answers) == answers
    answers["areas"] = ["toilet"]
    clean = content.clean_answers(answers)
    assert "bathing.washing_now" not in clean and "bathing.get_in_out" not in clean
    assert clean["toilet.sit_stand"] == "difficult"
    assert "bathing.get_in_out" not in evaluate(content, answers).answers


def test_clean_answers_drops_junk_and_hidden_answers(content):
    answers = start(areas=["bathing"]) | {
        "bathing.washing_now": "sink",
        "bathing.get_in_out": "cannot",  # hidden: only asked when there is a bath or shower
        "bathing.hard_parts": ["reaching", "made_up"],
        "nonsense": "x",
        "urgent": ["none", "fallen"],  # exclusive option combined with another
    }
    clean = content.clean_answers(answers)
    assert clean == {"who": "myself", "areas": ["bathing"], **SETTLED, "bathing.washing_now": "sink"}


def test_checkbox_answers_are_kept_in_option_order(content):
    answers = start(areas=["send", "bathing", "bathing"])
    assert content.clean_answers(answers)["areas"] == ["bathing", "send"]


def test_next_question_is_none_when_complete(content):
    answers = start(areas=["toilet"]) | {
        "toilet.sit_stand": "difficult", "toilet.in_time": "always",
    }
    assert content.next_question(answers).id == "toilet.cleaning"
    answers["toilet.cleaning"] = "without_difficulty"
    assert content.next_question(answers) is None
    assert content.is_complete(answers)


def test_previous_question_for_back_links(content):
    answers = start(areas=["bathing", "toilet"]) | {"bathing.washing_now": "sink"}
    assert content.previous_question(answers, "who") is None
    assert content.previous_question(answers, "areas").id == "who"
    assert content.previous_question(answers, "bathing.washing_now").id == "conditions"
    # get_in_out is hidden after "sink", so hard_parts goes back to washing_now
    assert content.previous_question(answers, "bathing.hard_parts").id == "bathing.washing_now"
    assert content.previous_question(answers, "toilet.sit_stand").id == "bathing.goal"
    # a question not in the journey goes back to the last journey question before it
    assert content.previous_question(answers, "bathing.get_in_out").id == "bathing.washing_now"
    assert content.previous_question(answers, "no.such") is None


def test_summary_gives_labels_for_check_your_answers(content):
    answers = start("someone", ["bathing"]) | {"bathing.washing_now": "bath"}
    rows = content.summary(answers)
    assert [q.id for q, _ in rows] == ["who", "areas", "urgent", "helper", *START_IDS[3:],
                                       "bathing.washing_now"]
    assert rows[1][1] == ["Bathing and showering"]
    assert rows[-1][1] == ["In the bath"]


# ---------------------------------------------------------------------------- validation


def test_validate_answer_accepts_valid_answers(content):
    assert content.validate_answer("who", "someone") == ("someone", None)
    assert content.validate_answer("areas", ["toilet", "bathing"]) == (["bathing", "toilet"], None)
    assert content.validate_answer("areas", "toilet") == (["toilet"], None)
    assert content.validate_answer("urgent", ["none"]) == (["none"], None)
    assert content.validate_answer("bathing.hard_parts", ["", "taps"]) == (["taps"], None)


@pytest.mark.parametrize(
    ("question_id", "raw", "message"),
    [
        ("who", None, "Select who you are answering for"),
        ("who", "", "Select who you are answering for"),
        ("who", "everyone", "Select who you are answering for"),
        ("areas", [], "Select the areas that are hard"),
        ("areas", ["gardening"], "Select the areas that are hard"),
        ("bathing.get_in_out", None, "Select one option"),
        ("bathing.get_in_out", ["cannot", "difficult"], "Select one option"),
        ("bathing.hard_parts", [], "Select the options that apply, or select “None of these”"),
    ],
)
def test_validate_answer_errors(content, question_id, raw, message):
    assert content.validate_answer(question_id, raw) == (None, message)


def test_none_of_these_cannot_be_combined_with_other_options(content):
    value, error = content.validate_answer("bathing.hard_parts", ["none", "taps"])
    assert value is None
    assert error == "Select “None of these” or select the options that apply, not both"
    value, error = content.validate_answer("urgent", ["fallen", "none"])
    assert value is None and "No, nobody is at risk right now" in error


def test_validate_answer_unknown_question(content):
    with pytest.raises(KeyError, match="no.such"):
        content.validate_answer("no.such", "x")


# ---------------------------------------------------------------------------- content errors


@pytest.fixture
def copy(tmp_path):
    """A writable copy of the shipped content and catalogue."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    shutil.copy(CATALOGUE_PATH, tmp_path / "catalogue.yaml")
    return directory


def edit(path: Path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def find(items, key, value):
    return next(item for item in items if item[key] == value)


def errors_for(directory):
    return check_content(directory, directory.parent / "catalogue.yaml")


def test_copy_of_content_is_valid(copy):
    assert errors_for(copy) == []


def test_rule_with_unknown_question(copy):
    edit(copy / "rules.yaml", lambda d: find(d["rules"], "id", "kitchen.kettle")["when"].update(
        question="kitchen.taskz"))
    assert errors_for(copy) == [
        "rules.yaml: rule 'kitchen.kettle': condition refers to unknown question 'kitchen.taskz'"]


def test_rule_with_unknown_option_or_wrong_operator(copy):
    def change(data):
        find(data["rules"], "id", "kitchen.opening")["when"]["includes"] = "opener"
        find(data["rules"], "id", "toilet.difficult")["when"] = {
            "question": "toilet.sit_stand", "includes": "difficult"}
    edit(copy / "rules.yaml", change)
    assert errors_for(copy) == [
        "rules.yaml: rule 'toilet.difficult': condition uses 'includes' on question "
        "'toilet.sit_stand', which is a radios question (use 'is' or 'in')",
        "rules.yaml: rule 'kitchen.opening': condition on question 'kitchen.tasks' uses unknown "
        "option 'opener'",
    ]


def test_rule_with_unknown_recommendation(copy):
    edit(copy / "rules.yaml", lambda d: find(d["rules"], "id", "kitchen.reaching").update(
        recommend=["reacherz"]))
    assert errors_for(copy) == [
        "rules.yaml: rule 'kitchen.reaching': unknown recommendation 'reacherz'"]


def test_recommendation_with_unknown_product_code(copy):
    edit(copy / "recommendations.yaml", lambda d: find(
        d["recommendations"], "id", "perching_stool").update(products=["KIT-999"]))
    assert errors_for(copy) == [
        "recommendations.yaml: recommendation 'perching_stool': product code 'KIT-999' is not in "
        "the catalogue (catalogue.yaml)"]


def test_buy_or_try_product_must_be_for_self_purchase(copy):
    edit(copy / "recommendations.yaml", lambda d: find(
        d["recommendations"], "id", "bath_lift").update(products=["BATH-004", "BED-001"]))
    assert errors_for(copy) == [
        "recommendations.yaml: recommendation 'bath_lift': product 'BED-001' is not for "
        "self-purchase, so it cannot be in a buy_or_try recommendation"]


def test_repeated_option(copy):
    def change(data):
        question = find(data["questions"], "id", "bathing.get_in_out")
        question["options"].append({"value": "difficult", "label": "Again"})
    edit(copy / "questions.yaml", change)
    assert errors_for(copy) == [
        "questions.yaml: question 'bathing.get_in_out': option 'difficult' is repeated"]


def test_schema_violation_missing_text(copy):
    edit(copy / "questions.yaml", lambda d: find(d["questions"], "id", "toilet.cleaning").pop(
        "text"))
    assert errors_for(copy) == [
        "questions.yaml: question 'toilet.cleaning': missing required field 'text'"]


def test_schema_violation_wording_for_one_audience_missing(copy):
    edit(copy / "questions.yaml", lambda d: find(d["questions"], "id", "toilet.cleaning")[
        "text"].pop("professional"))
    assert errors_for(copy) == [
        "questions.yaml: question 'toilet.cleaning': text: missing required field "
        "'professional'"]


def test_schema_violation_bad_kind_and_missing_need(copy):
    def change(data):
        find(data["recommendations"], "id", "sensory_aids")["suggests_referral"] = True
        find(data["recommendations"], "id", "phones")["kind"] = "gadget"
    edit(copy / "recommendations.yaml", change)
    errors = errors_for(copy)
    assert ("recommendations.yaml: recommendation 'sensory_aids': missing required field 'need' "
            "(needed when suggests_referral is true)") in errors
    assert ("recommendations.yaml: recommendation 'phones': kind: 'gadget' is not allowed: use "
            "one of urgent, service, telecare, buy_or_try") in errors


def test_ask_if_must_refer_to_an_earlier_question(copy):
    edit(copy / "questions.yaml", lambda d: find(
        d["questions"], "id", "falls_and_safety.get_up").update(
            ask_if={"question": "memory.changes", "includes": "night"}))
    assert errors_for(copy) == [
        "questions.yaml: question 'falls_and_safety.get_up': ask_if refers to question "
        "'memory.changes', which is not asked before this one"]


def test_duplicate_question_and_area_with_no_questions(copy):
    def change(data):
        for question in data["questions"]:
            if question["area"] == "toilet":
                question["area"] = "bathing"
                question["id"] = "bathing.get_in_out"
    edit(copy / "questions.yaml", change)
    errors = errors_for(copy)
    assert "questions.yaml: question 'bathing.get_in_out': the id is repeated" in errors
    assert "questions.yaml: area 'toilet' has no questions" in errors


def test_unquoted_yes_or_no_is_explained(copy):
    path = copy / "questions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('label: "No"', "label: No", 1),
                    encoding="utf-8")
    [error] = errors_for(copy)
    assert error.startswith("questions.yaml: question 'hospital': options[0].label: ")
    assert "put quotes round Yes, No" in error


def test_invalid_yaml_names_the_file_and_line(copy):
    path = copy / "rules.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    [error] = errors_for(copy)
    assert error.startswith("rules.yaml: not valid YAML at line ")


def test_repeated_yaml_key_is_an_error(copy):
    path = copy / "recommendations.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    need: falls\n", "    need: falls\n    need: telecare\n", 1),
                    encoding="utf-8")
    [error] = errors_for(copy)
    assert error.startswith("recommendations.yaml: not valid YAML at line ")
    assert error.endswith("the key 'need' is repeated")


def test_versions_must_match(copy):
    edit(copy / "rules.yaml", lambda d: d.update(version="2099.1"))
    assert errors_for(copy) == [
        "rules.yaml: version '2099.1' does not match questions.yaml version '2026.2' "
        "(change them together)"]


def test_all_errors_are_collected(copy):
    edit(copy / "rules.yaml", lambda d: find(d["rules"], "id", "kitchen.kettle")["when"].update(
        question="kitchen.taskz"))
    edit(copy / "recommendations.yaml", lambda d: find(
        d["recommendations"], "id", "perching_stool").update(products=["KIT-999"]))
    edit(copy / "questions.yaml", lambda d: find(d["questions"], "id", "toilet.cleaning").pop(
        "text"))
    with pytest.raises(ContentError, match="The advice content has 3 problems") as caught:
        load_content(copy, copy.parent / "catalogue.yaml")
    assert len(caught.value.errors) == 3
    assert "3 problems" in str(caught.value)
    assert any("'kitchen.taskz'" in e for e in caught.value.errors)
    assert any("'KIT-999'" in e for e in caught.value.errors)
    assert any("'toilet.cleaning'" in e for e in caught.value.errors)


def test_catalogue_errors_name_the_file_and_code(copy):
    path = copy.parent / "catalogue.yaml"

    def change(data):
        data["products"][1]["code"] = data["products"][0]["code"]
        find(data["products"], "code", "KIT-001")["category"] = "gadgets"
        find(data["products"], "code", "KIT-002").pop("name")
        find(data["products"], "code", "KIT-003")["price_min"] = 99
    edit(path, change)
    with pytest.raises(ContentError, match="The advice content has 4 problems") as caught:
        load_catalogue(path)
    first = yaml.safe_load(path.read_text(encoding="utf-8"))["products"][0]["code"]
    assert caught.value.errors == [
        "catalogue.yaml: product 'KIT-001': category: 'gadgets' is not allowed: use one of "
        "telecare, telehealth, environmental_controls, community_equipment",
        "catalogue.yaml: product 'KIT-002': missing required field 'name'",
        f"catalogue.yaml: product '{first}': the code is repeated",
        "catalogue.yaml: product 'KIT-003': price_min (99) is more than price_max (15)",
    ]
    # the advice content reports the same problems, and does not blame recommendations that
    # use the broken products
    errors = errors_for(copy)
    assert errors == caught.value.errors


def test_self_purchase_product_needs_prices(copy):
    path = copy.parent / "catalogue.yaml"
    edit(path, lambda d: find(d["products"], "code", "KIT-001").pop("price_max"))
    assert errors_for(copy) == [
        "catalogue.yaml: product 'KIT-001': missing required field 'price_max' "
        "(needed when self_purchase is true)"]


# ---------------------------------------------------------------------------- rules


def test_bathing_cannot_get_in_or_out(content):
    answers = start(areas=["bathing"]) | {
        "bathing.washing_now": "bath", "bathing.get_in_out": "cannot",
        "bathing.hard_parts": ["reaching"], "bathing.goal": "bath",
    }
    report = evaluate(content, answers)
    assert report.urgent == []
    # the order an OT prescribes: things to try first, then equipment after an assessment,
    # then the major adaptation as the longer-term option
    assert section(report, "bathing") == [
        "bath_board_and_step", "washing_aids", "bath_lift", "level_access_shower"]
    assert [s.id for s in report.general] == ["ot_assessment", "dfg", "route_owner"]
    assert report.suggested_needs == ["major_adaptation", "ot_assessment"]
    bath_lift = next(s for s in report.all() if s.id == "bath_lift")
    assert [p.code for p in bath_lift.products] == ["BATH-004", "BATH-005", "BATH-006"]
    assert bath_lift.products[0].price_range == "£300 to £650"
    assert bath_lift.products[0].what_to_look_for


def test_bath_is_difficult_suggests_things_to_buy_first(content):
    answers = start(areas=["bathing"]) | {
        "bathing.washing_now": "shower_over_bath", "bathing.get_in_out": "difficult",
        "bathing.hard_parts": ["none"], "bathing.goal": "feel_safer",
    }
    report = evaluate(content, answers)
    assert section(report, "bathing") == ["bath_board_and_step", "bathroom_rails"]
    assert [s.id for s in report.general] == ["minor_adaptations", "route_owner"]
    assert report.suggested_needs == ["minor_adaptation"]


def test_stairs(content):
    unsafe = evaluate(content, start(areas=["moving_around"]) | {
        "moving_around.stairs": "unsafe"})
    assert section(unsafe, "moving_around") == ["stair_rail", "stairlift"]
    assert [s.id for s in unsafe.general] == ["ot_assessment", "minor_adaptations", "route_owner"]
    cannot = evaluate(content, start(areas=["moving_around"]) | {
        "moving_around.stairs": "cannot"})
    assert "dfg" in shown_ids(cannot) and "stair_rail" not in shown_ids(cannot)


def test_falls_with_a_long_lie(content):
    answers = start(areas=["falls_and_safety"]) | {
        "falls_and_safety.falls": "more_than_once", "falls_and_safety.get_up": "long_lie",
        "falls_and_safety.hazards": ["none"], "falls_and_safety.alone": "most",
    }
    report = evaluate(content, answers)
    # a long lie, and falls while living alone: an occupational therapist must see them first
    assert [s.id for s in report.lead] == ["ot_assessment"]
    assert section(report, "falls_and_safety") == [
        "falls_service", "night_lights", "hip_protectors", "pendant_alarm", "fall_detector"]
    assert section(report, "medication") == ["medication_review"]
    assert report.suggested_needs == ["telecare", "ot_assessment", "falls"]
    pendant = report.all()[4]
    assert [p.code for p in pendant.products] == ["TEL-001", "TEL-002", "TEL-003", "TEL-024"]


def test_memory_and_getting_lost(content):
    answers = start("someone", ["memory", "going_out"]) | {
        "memory.changes": ["day_and_time"], "memory.diagnosis": "diagnosed",
        "memory.decisions": "cannot_decide",
        "going_out.alone": "with_someone", "going_out.lost": "often",
        "going_out.goal": "social",
    }
    report = evaluate(content, answers)
    assert section(report, "memory") == ["dementia_support", "consent_and_capacity",
                                         "memory_aids"]
    assert section(report, "going_out") == ["getting_out", "gps_locator", "door_sensor"]
    assert section(report, "keeping_in_touch") == ["befriending_and_groups"]
    gps = next(s for s in report.all() if s.id == "gps_locator")
    assert any("best interests" in p for p in gps.paragraphs)
    assert "carers_assessment" in section(report, "caring")  # they care for the person


def test_hazards_at_home(content):
    answers = start(areas=["falls_and_safety"]) | {
        "falls_and_safety.falls": "no_falls",
        "falls_and_safety.hazards": ["fire", "flood", "doorstep"],
        "falls_and_safety.alone": "most",
    }
    ids_ = section(evaluate(content, answers), "falls_and_safety")
    assert {"fire_safety_check", "fire_sensors", "home_alarms", "flood_sensor", "anti_flood",
            "bogus_caller", "doorstep_safety", "pendant_alarm"} == set(ids_)
    assert ids_.index("fire_safety_check") < ids_.index("home_alarms") < ids_.index(
        "fire_sensors")


def test_medication(content):
    sometimes = evaluate(content, start(areas=["medication"]) | {
        "medication.forget": "sometimes", "medication.difficulties": ["none"],
        "medication.review": "within_year"})
    assert section(sometimes, "medication") == ["pill_organiser"]
    often = evaluate(content, start(areas=["medication"]) | {
        "medication.forget": "often", "medication.difficulties": ["opening"],
        "medication.review": "over_year"})
    assert section(often, "medication") == [
        "medication_review", "medication_aids", "medication_dispenser"]
    none = start(areas=["medication"]) | {"medication.forget": "no_medicines"}
    assert content.is_complete(none)


def test_kitchen_and_toilet_aids(content):
    answers = start(areas=["toilet", "kitchen"]) | {
        "toilet.sit_stand": "difficult", "toilet.in_time": "not_at_night",
        "toilet.cleaning": "without_difficulty",
        "kitchen.tasks": ["kettle", "standing", "carrying"],
        "kitchen.cooking_safety": "no_worries", "kitchen.meals": "cooks",
    }
    report = evaluate(content, answers)
    assert section(report, "toilet") == ["toilet_aids", "night_toilet"]
    assert section(report, "kitchen") == ["kettle_aids", "perching_stool", "kitchen_trolley"]
    assert section(report, "falls_and_safety") == ["night_lights"]  # reached, not selected
    assert [area.id for area, _ in report.by_area] == ["toilet", "kitchen", "falls_and_safety"]
    raised = next(s for s in report.all() if s.id == "toilet_aids").products[0]
    assert raised.name.startswith("Raised toilet seat") and raised.price_range


def test_loneliness(content):
    answers = start(areas=["keeping_in_touch"]) | {
        "keeping_in_touch.lonely": "often_or_always", "keeping_in_touch.phone": "hard_to_hear",
        "keeping_in_touch.would_like": ["video_calls"],
    }
    assert section(evaluate(content, answers), "keeping_in_touch") == [
        "befriending_and_groups", "digital_skills", "phones", "video_calling"]


def test_carer_who_is_struggling(content):
    answers = start("myself", ["caring"]) | {
        "caring.hours": "over_50", "caring.coping": "struggling",
        "caring.help": ["night_reassurance", "break"],
    }
    report = evaluate(content, answers)
    assert section(report, "caring") == [
        "carer_breakdown", "carers_assessment", "carers_support", "carer_alerts"]
    assert [s.id for s in report.general] == ["care_act_assessment"]


def test_send(content):
    answers = start("someone", ["send"], age="under_18") | {
        "send.age": "from_14_to_17", "send.needs": ["access", "night_safety"],
        "send.ehc_plan": "not_sure",
    }
    report = evaluate(content, answers)
    assert [s.id for s in report.lead] == ["childrens_ot"]  # a child: the OT route leads
    assert section(report, "send") == [
        "send_local_offer", "ehc_plan_advice", "preparing_for_adulthood", "epilepsy_sensor"]
    assert [s.id for s in report.general] == ["dfg", "route_owner"]
    assert report.suggested_needs == ["telecare", "major_adaptation", "ot_assessment"]


def test_urgent_recommendations_come_first(content):
    answers = start(areas=["falls_and_safety"], urgent=["at_risk", "fallen"])
    report = evaluate(content, answers)
    assert report.is_urgent
    assert [s.id for s in report.urgent] == ["urgent_fallen", "urgent_at_risk"]
    assert report.recommendation_ids[:2] == ["urgent_fallen", "urgent_at_risk"]
    assert "falls_service" in report.recommendation_ids


def test_urgent_screen_inside_falls_and_safety(content):
    answers = start(areas=["falls_and_safety"]) | {
        "falls_and_safety.falls": "no_falls", "falls_and_safety.hazards": ["no_heating"],
    }
    report = evaluate(content, answers)
    assert [s.id for s in report.urgent] == ["urgent_no_heating"]


def test_recommendations_appear_once(content):
    answers = start(areas=["falls_and_safety"], urgent=["fallen"]) | {
        "falls_and_safety.falls": "more_than_once", "falls_and_safety.get_up": "with_help",
        "falls_and_safety.alone": "most",
    }
    report = evaluate(content, answers)
    assert report.recommendation_ids.count("pendant_alarm") == 1
    pendant = next(s for s in report.all() if s.id == "pendant_alarm")
    assert pendant.rule_ids == ["urgent.fallen", "falls.more-than-once",
                                "falls.could-not-get-up", "falls.alone-and-falling",
                                "falls.alone"]


def test_no_matching_rules_gives_general_advice(content):
    answers = start(areas=["toilet"]) | {
        "toilet.sit_stand": "without_difficulty", "toilet.in_time": "always",
        "toilet.cleaning": "without_difficulty",
    }
    report = evaluate(content, answers)
    assert report.by_area == [(content.area("toilet"), [])]
    assert [s.id for s in report.general] == ["care_act_assessment", "talk_to_us"]
    assert report.suggested_needs == []
    assert evaluate(content, {}).recommendation_ids == ["care_act_assessment", "talk_to_us"]


def test_report_is_worded_for_the_audience(content):
    report = evaluate(content, start("professional", ["caring"]) | {"caring.hours": "under_20"})
    shown = report.all()[0]
    assert report.audience == "professional"
    assert shown.title == "The carer can ask for a carer's assessment"
    assert shown.paragraphs[0].startswith("Anyone who looks after someone")
    # the report carries wording already resolved for its audience, for templates
    assert shown.recommendation.title == shown.title
    assert shown.recommendation.body.startswith("Anyone who looks after someone")
    [(caring, _)] = report.by_area
    assert caring.title == "The carer and how they are coping"
    assert report.areas == [caring]


# ---------------------------------------------------------------------------- properties


def valid_answer(question: Question):
    if question.type == "radios":
        return st.sampled_from(question.values)
    alone = [o.value for o in question.exclusive_options]  # "None of these", "Prefer not to say"
    others = [v for v in question.values if v not in alone]
    answer = st.lists(st.sampled_from(others), min_size=1, unique=True)
    return answer | st.sampled_from(alone).map(lambda v: [v]) if alone else answer


@st.composite
def journeys(draw):
    """Answers the journey could produce: an audience, some areas, then a valid answer to each
    question in journey order, stopping at a random point."""
    content = default_content()
    answers = {
        "who": draw(st.sampled_from(AUDIENCES)),
        "areas": draw(st.lists(st.sampled_from(AREA_IDS), min_size=1, unique=True)),
    }
    stop_after = draw(st.integers(min_value=0, max_value=60))
    for _ in range(stop_after):
        question = content.next_question(answers)
        if question is None:
            break
        answers[question.id] = draw(valid_answer(question))
    return answers


PROPERTY = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(journeys())
def test_any_journey_gives_a_sound_report(answers):
    content = default_content()
    report = evaluate(content, answers)
    assert report.audience == answers["who"]
    assert all(s.kind == "urgent" for s in report.urgent)
    assert all(s.kind != "urgent" for s in report.all()[len(report.urgent):])
    assert report.recommendation_ids == [s.id for s in report.all()]
    assert report.recommendation_ids[:len(report.urgent)] == [s.id for s in report.urgent]
    assert len(report.recommendation_ids) == len(set(report.recommendation_ids))
    assert report.recommendation_ids  # always some advice
    selected = [area.id for area in report.areas]
    assert [area.id for area, _ in report.by_area][:len(selected)] == selected
    assert set(report.suggested_needs) <= set(NEEDS)
    for shown in report.all():
        assert shown.title and shown.paragraphs
        if shown.kind == "buy_or_try":
            assert shown.products and all(p.price_range for p in shown.products)
    # every answer the journey produced is valid and kept
    assert content.clean_answers(answers) == {
        key: content.validate_answer(key, value)[0] for key, value in answers.items()}
    for key, value in answers.items():
        assert content.validate_answer(key, value, answers["who"])[1] is None
    assert evaluate(content, report.answers).recommendation_ids == report.recommendation_ids


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10,
)


@st.composite
def junk(draw):
    content = default_content()
    keys = st.sampled_from(list(content.questions)) | st.text(max_size=20)
    values = json_values | st.sampled_from([*AREA_IDS, *AUDIENCES, "none", "cannot", ""]) | \
        st.lists(st.sampled_from([*AREA_IDS, "none", "fallen", "night", ""]), max_size=5)
    return draw(st.dictionaries(keys, values, max_size=25) | json_values)


@PROPERTY
@given(junk())
def test_junk_answers_never_raise(answers):
    content = default_content()
    report = evaluate(content, answers)
    assert len(report.recommendation_ids) == len(set(report.recommendation_ids))
    assert report.audience in AUDIENCES
    content.journey(answers)
    content.next_question(answers)
    content.previous_question(answers, "urgent")
    content.summary(answers)
    clean = content.clean_answers(answers)
    assert content.clean_answers(clean) == clean
