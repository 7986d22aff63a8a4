"""Loading the advice content and the equipment catalogue: every file read, checked against the
schema and cross-checked (ids, areas, conditions, product codes), every problem collected."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from portal.advice.engine.content import (
    AREAS_QUESTION,
    AUDIENCE_QUESTION,
    AUDIENCES,
    DEFAULT_PRIORITY,
    GENERAL,
    PLACEHOLDER,
    PLACEHOLDERS,
    START,
    Area,
    Condition,
    Content,
    ContentError,
    Option,
    Product,
    Question,
    Recommendation,
    Rule,
    pick_wording,
)
from portal.advice.engine.files import (
    CATALOGUE_PATH,
    CONTENT_DIR,
    QUESTIONS_FILE,
    RECOMMENDATIONS_FILE,
    RULES_FILE,
    load_schema,
    read_yaml,
    schema_errors,
)
from portal.equipment.models import CATEGORIES as _PRODUCT_CATEGORIES

# The product categories are the equipment feature's; the catalogue is checked against them.
CATEGORIES = tuple(_PRODUCT_CATEGORIES)


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
    data = read_yaml(path, label, errors)
    if data is None:
        return {}, None
    bad: set[tuple[str, int]] = set()
    if schema is not None:
        messages, bad = schema_errors(data, schema, "catalogue_file", label)
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
                alarm_unit=item.get("alarm_unit"),
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
    """The equipment catalogue, by product code, in file order, checked against the schema.
    Raises ContentError."""
    errors: list[str] = []
    schema = load_schema(CONTENT_DIR, errors)
    products, _ = _read_catalogue(Path(path) if path else CATALOGUE_PATH, schema, errors)
    if errors:
        raise ContentError(errors)
    return products


@cache
def default_catalogue() -> dict[str, Product]:
    """The shipped catalogue, read and checked once per process: the one way to read
    ``catalogue.yaml`` (the advice report and the equipment demo data both use it)."""
    return load_catalogue()


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
        for wording in (item.get("title"), item.get("body"), item.get("easy_read")):
            texts = wording.values() if isinstance(wording, dict) else [wording]
            for name in sorted({m for t in texts if isinstance(t, str)
                                for m in PLACEHOLDER.findall(t)} - set(PLACEHOLDERS)):
                errors.append(f"{where}: {{{name}}} is not a word the report can fill in (use "
                              f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})")
        links = tuple((str(link.get("text")), str(link.get("url")))
                      for link in item.get("links") or [] if isinstance(link, dict))
        titles = _wording(item.get("title")) or {}
        bodies = _wording(item.get("body")) or {}
        easy_reads = _wording(item.get("easy_read")) or {}
        recommendations[ident] = Recommendation(
            id=ident,
            kind=kind,
            title=pick_wording(titles, None) or ident,
            body=pick_wording(bodies, None) or "",
            titles=titles,
            bodies=bodies,
            easy_read=pick_wording(easy_reads, None) or "",
            easy_reads=easy_reads,
            area=area,
            products=products,
            suggests_referral=bool(item.get("suggests_referral", False)),
            need=item.get("need"),
            priority=item.get("priority", DEFAULT_PRIORITY.get(kind, 50)),
            links=links,
            step=item.get("step"),
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
        withhold = tuple(item.get("withhold") or ())
        for rec_id in (*recommend, *withhold):
            if broken_recs is not None and rec_id not in {*recommendations, *broken_recs}:
                errors.append(f"{where}: unknown recommendation '{rec_id}'")
        for rec_id in set(recommend) & set(withhold):
            errors.append(f"{where}: recommends and withholds '{rec_id}'")
        rules.append(Rule(ident, condition, recommend, bool(item.get("lead", False)), withhold))
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
    schema = load_schema(directory, errors)

    documents: dict[str, Any] = {}
    bad: dict[str, set] = {}
    for name, definition in (
        (QUESTIONS_FILE, "questions_file"),
        (RECOMMENDATIONS_FILE, "recommendations_file"),
        (RULES_FILE, "rules_file"),
    ):
        documents[name] = read_yaml(directory / name, name, errors)
        bad[name] = set()
        if documents[name] is not None and schema is not None:
            messages, bad[name] = schema_errors(documents[name], schema, definition, name)
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
    """Every problem in the content and catalogue; [] when they are valid. Valid content is
    then checked further: every rule can be reached by some answers, every recommendation can be
    shown, every scenario in scenarios.yaml plays as its occupational therapist expects, and
    each translation (``content/cy/``) is complete and keeps the English shape and placeholders."""
    from portal.advice.engine.coverage import coverage_problems
    from portal.advice.engine.scenarios import scenario_problems
    from portal.advice.engine.translation import TRANSLATED_LOCALES, translation_problems

    content, errors = _load(Path(directory) if directory else None,
                            Path(catalogue_path) if catalogue_path else None)
    if errors or content is None:
        return errors
    translations = [problem for locale in TRANSLATED_LOCALES
                    for problem in translation_problems(content, locale, directory, catalogue_path)]
    return coverage_problems(content) + scenario_problems(content, directory) + translations


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
