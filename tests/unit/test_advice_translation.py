"""The advice content in Welsh: the overlay of content/cy/*.yaml on the English, and the checks
`flask check-content` runs on a translation (issue 15: it fails when a translation is missing)."""

import shutil

import pytest
import yaml

from portal.advice.engine import CATALOGUE_PATH, CONTENT_DIR, check_content, default_content
from portal.advice.engine.translation import translate, translation_problems


def _english(name, path=None):
    return yaml.safe_load((path or CONTENT_DIR / name).read_text(encoding="utf-8"))


def mirror() -> dict:
    """A well-formed "translation" that repeats the English words: every id, field and shape."""
    questions, recs, catalogue = (_english("questions.yaml"), _english("recommendations.yaml"),
                                  _english("catalogue.yaml", CATALOGUE_PATH))
    version = questions["version"]
    areas = {a["id"]: {k: a[k] for k in ("title", "hint") if k in a} for a in questions["areas"]}
    qs = {}
    for q in questions["questions"]:
        item = {k: q[k] for k in ("text", "hint", "error") if k in q}
        if q.get("options"):
            item["options"] = {o["value"]: {k: o[k] for k in ("label", "hint") if k in o} for o in q["options"]}
        qs[q["id"]] = item
    rs = {}
    for r in recs["recommendations"]:
        item = {"title": r["title"], "body": r["body"]}
        if r.get("links"):
            item["links"] = [link["text"] for link in r["links"]]
        rs[r["id"]] = item
    shown = {code for r in recs["recommendations"] for code in r.get("products") or []}
    products = {p["code"]: {k: p[k] for k in ("name", "what_to_look_for") if k in p}
                for p in catalogue["products"] if p["code"] in shown}
    easy = {r["id"]: {"easy_read": r["easy_read"]} for r in recs["recommendations"]}
    return {"questions.yaml": {"version": version, "areas": areas, "questions": qs},
            "recommendations.yaml": {"version": version, "recommendations": rs},
            "catalogue.yaml": {"version": version, "products": products},
            "easy_read.yaml": {"version": version, "recommendations": easy}}


@pytest.fixture
def copy(tmp_path):
    """A writable copy of the content with a complete mirror translation in cy/."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    shutil.copy(CATALOGUE_PATH, tmp_path / "catalogue.yaml")
    (directory / "cy").mkdir(exist_ok=True)
    for name, data in mirror().items():
        write(directory, name, data)
    return directory


def write(directory, name, data):
    (directory / "cy" / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                                         encoding="utf-8")


def problems(directory):
    return translation_problems(default_content(), "cy", directory, directory.parent / "catalogue.yaml")


def test_a_complete_translation_has_no_problems_and_check_content_passes(copy):
    assert problems(copy) == []
    assert check_content(copy, copy.parent / "catalogue.yaml") == []


def test_a_missing_translation_fails_check_content(copy):
    data = mirror()
    del data["questions.yaml"]["questions"]["who"]
    write(copy, "questions.yaml", data["questions.yaml"])
    assert "cy/questions.yaml: question 'who' has no translation" in check_content(
        copy, copy.parent / "catalogue.yaml")


def test_a_missing_file_is_named(copy):
    (copy / "cy" / "catalogue.yaml").unlink()
    assert [p for p in problems(copy) if "catalogue" in p] == [
        f"cy/catalogue.yaml: file not found ({copy / 'cy' / 'catalogue.yaml'})"]


def test_a_missing_option_field_and_an_extra_id_are_named(copy):
    data = mirror()["questions.yaml"]
    del data["questions"]["who"]["options"]["someone"]
    del data["questions"]["who"]["hint"]
    data["questions"]["no_such_question"] = {"text": "Beth?"}
    write(copy, "questions.yaml", data)
    found = problems(copy)
    assert "cy/questions.yaml: question 'who': option 'someone' has no translation" in found
    assert "cy/questions.yaml: question 'who'.hint: missing (English has it)" in found
    assert "cy/questions.yaml: question 'no_such_question' is not in the English content" in found


def test_a_different_shape_is_named(copy):
    data = mirror()["questions.yaml"]
    data["questions"]["areas"]["text"] = "Un testun i bawb"  # English words it for each audience
    data["questions"]["who"]["text"] = {"myself": "a", "someone": "b", "professional": "c"}
    write(copy, "questions.yaml", data)
    found = problems(copy)
    assert any(p.startswith("cy/questions.yaml: question 'areas'.text: must have a wording for each of")
               for p in found)
    assert "cy/questions.yaml: question 'who'.text: must be one piece of text, as in English" in found


def test_a_lost_placeholder_and_a_lost_paragraph_are_named(copy):
    data = mirror()["recommendations.yaml"]
    rec_id, rec = next((k, v) for k, v in data["recommendations"].items()
                       if isinstance(v["body"], str) and "{phone_now}" in v["body"])
    rec["body"] = rec["body"].replace("{phone_now}", "01632 960 001")
    other_id, other = next((k, v) for k, v in data["recommendations"].items()
                           if isinstance(v["body"], str) and "\n\n" in v["body"].strip())
    other["body"] = " ".join(other["body"].split())
    write(copy, "recommendations.yaml", data)
    found = problems(copy)
    assert (f"cy/recommendations.yaml: recommendation '{rec_id}'.body: {{phone_now}} is missing "
            "(keep it exactly as in English)") in found
    assert any(p.startswith(f"cy/recommendations.yaml: recommendation '{other_id}'.body: has 1 paragraph")
               for p in found)


def test_link_texts_must_match_english_in_number(copy):
    data = mirror()["recommendations.yaml"]
    rec_id = next(k for k, v in data["recommendations"].items() if v.get("links"))
    data["recommendations"][rec_id]["links"].append("un arall")
    write(copy, "recommendations.yaml", data)
    assert any(p.startswith(f"cy/recommendations.yaml: recommendation '{rec_id}'.links: must be the")
               for p in problems(copy))


def test_a_product_a_report_shows_needs_its_name(copy):
    data = mirror()["catalogue.yaml"]
    code = next(iter(data["products"]))
    del data["products"][code]
    data["products"]["NOT-A-PRODUCT"] = {"name": "Dim"}
    write(copy, "catalogue.yaml", data)
    found = problems(copy)
    assert f"cy/catalogue.yaml: product '{code}' has no translation" in found
    assert "cy/catalogue.yaml: product 'NOT-A-PRODUCT' is not in the English content" in found


def test_a_missing_easy_read_translation_is_named(copy):
    data = mirror()["easy_read.yaml"]
    rec_id = next(iter(data["recommendations"]))
    del data["recommendations"][rec_id]
    write(copy, "easy_read.yaml", data)
    assert f"cy/easy_read.yaml: recommendation '{rec_id}' has no translation" in problems(copy)


def test_an_old_version_is_named(copy):
    data = mirror()["questions.yaml"]
    data["version"] = "2000.1"
    write(copy, "questions.yaml", data)
    assert any(p.startswith("cy/questions.yaml: version '2000.1' does not match") for p in problems(copy))


def test_the_overlay_replaces_words_and_keeps_english_where_missing():
    english = default_content()
    data = mirror()
    data["questions.yaml"]["questions"]["who"]["text"] = "Ar gyfer pwy ydych chi'n ateb?"
    data["questions.yaml"]["questions"]["who"]["options"]["myself"]["label"] = "Fi fy hun"
    del data["questions.yaml"]["questions"]["who"]["hint"]
    first_area = english.areas[0].id
    data["questions.yaml"]["areas"][first_area]["title"] = "Symud o gwmpas"
    rec_id = next(iter(english.recommendations))
    data["recommendations.yaml"]["recommendations"][rec_id]["title"] = "Teitl Cymraeg"
    data["easy_read.yaml"]["recommendations"][rec_id]["easy_read"] = "Ffoniwch ni."
    welsh = translate(english, data)
    who = welsh.question("who")
    assert who.text("myself") == "Ar gyfer pwy ydych chi'n ateb?"
    assert who.option_label("myself") == "Fi fy hun" and who.option_label("someone") == english.question(
        "who").option_label("someone")
    assert who.hint() == english.question("who").hint()  # not translated: English
    assert welsh.area(first_area).title == "Symud o gwmpas"
    assert welsh.question("areas").option_label(first_area) == "Symud o gwmpas"
    assert welsh.recommendations[rec_id].title == "Teitl Cymraeg"
    assert welsh.recommendations[rec_id].easy_read_for("myself") == "Ffoniwch ni."
    assert welsh.journey({}) and [q.id for q in welsh.journey({})] == [q.id for q in english.journey({})]
    assert english.question("who").text("myself") != "Ar gyfer pwy ydych chi'n ateb?"  # English untouched
