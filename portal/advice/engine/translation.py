"""The advice content in another language (Welsh): files in ``content/<locale>/`` laid over the
English content, and the checks ``flask check-content`` runs on them.

One file per English file, with the same ids and only the words a person reads::

    cy/questions.yaml        version; areas: {id: {title, hint}};
                             questions: {id: {text, hint, error, options: {value: {label, hint}}}}
    cy/recommendations.yaml  version; recommendations: {id: {title, body, links: [link text, ...]}}
    cy/catalogue.yaml        version; products: {code: {name, what_to_look_for, description}}
    cy/easy_read.yaml        version; recommendations: {id: {easy_read}} (the Easy Read report)

Each field has the English field's shape (one string, or a mapping with the same audience keys),
keeps every ``{placeholder}`` and has as many paragraphs. The English content stays the one source
of structure (questions, options, rules, products): a translation only replaces words, and a word
not translated shows in English, so a gap never breaks a page. The gaps are for
``translation_problems`` (and ``flask check-content``) to name, not for start-up to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from portal.advice.engine.content import (
    AREAS_QUESTION,
    PLACEHOLDER,
    Content,
    Option,
    Product,
    Question,
    Recommendation,
    _paragraphs,
    pick_wording,
)
from portal.advice.engine.files import (
    CATALOGUE_PATH,
    CONTENT_DIR,
    QUESTIONS_FILE,
    RECOMMENDATIONS_FILE,
    read_yaml,
)

TRANSLATED_LOCALES = ("cy",)
CATALOGUE_FILE = "catalogue.yaml"
EASY_READ_FILE = "easy_read.yaml"
TRANSLATION_FILES = (QUESTIONS_FILE, RECOMMENDATIONS_FILE, CATALOGUE_FILE, EASY_READ_FILE)
PRODUCT_FIELDS = ("name", "what_to_look_for", "description")


# -- reading


def read_translation(locale: str, directory: Path | None = None,
                     errors: list[str] | None = None) -> dict[str, Any]:
    """The locale's files as read (a missing or unreadable file is None), problems in ``errors``."""
    folder = Path(directory or CONTENT_DIR) / locale
    errors = errors if errors is not None else []
    return {name: read_yaml(folder / name, f"{locale}/{name}", errors) for name in TRANSLATION_FILES}


def _english(directory: Path | None, catalogue_path: Path | None) -> dict[str, Any]:
    folder = Path(directory or CONTENT_DIR)
    ignore: list[str] = []
    return {
        QUESTIONS_FILE: read_yaml(folder / QUESTIONS_FILE, QUESTIONS_FILE, ignore),
        RECOMMENDATIONS_FILE: read_yaml(folder / RECOMMENDATIONS_FILE, RECOMMENDATIONS_FILE, ignore),
        CATALOGUE_FILE: read_yaml(Path(catalogue_path or CATALOGUE_PATH), CATALOGUE_FILE, ignore),
    }


def _section(data: Any, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


# -- checking


def _shape_problems(where: str, english: Any, translated: Any) -> list[str]:
    """A translated field against its English: present, same shape, placeholders and paragraphs."""
    if translated is None:
        return [f"{where}: missing (English has it)"]
    if isinstance(english, str):
        if not isinstance(translated, str):
            return [f"{where}: must be one piece of text, as in English"]
        pairs = [("", english, translated)]
    elif isinstance(english, dict):
        if not isinstance(translated, dict):
            return [f"{where}: must have a wording for each of {', '.join(english)}, as in English"]
        if set(translated) != set(english):
            return [f"{where}: must have the audiences {', '.join(english)} (has "
                    f"{', '.join(str(k) for k in translated) or 'none'})"]
        pairs = [(f" ({audience})", english[audience], translated[audience]) for audience in english]
    else:
        return []
    problems = []
    for who, source, text in pairs:
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}{who}: is empty")
            continue
        if not isinstance(source, str):
            continue
        lost = sorted(set(PLACEHOLDER.findall(source)) - set(PLACEHOLDER.findall(text)))
        added = sorted(set(PLACEHOLDER.findall(text)) - set(PLACEHOLDER.findall(source)))
        for name in lost:
            problems.append(f"{where}{who}: {{{name}}} is missing (keep it exactly as in English)")
        for name in added:
            problems.append(f"{where}{who}: {{{name}}} is not in the English")
        if len(_paragraphs(source)) != len(_paragraphs(text)):
            problems.append(f"{where}{who}: has {len(_paragraphs(text))} paragraph(s); English has "
                            f"{len(_paragraphs(source))}")
    return problems


def _fields_problems(where: str, english: Mapping, translated: Any, fields: tuple[str, ...],
                     also: tuple[str, ...] = ()) -> list[str]:
    """The fields English has (each checked by _shape_problems), and no others but ``also``."""
    if not isinstance(translated, dict):
        return [f"{where}: missing" if translated is None else f"{where}: must be a mapping of fields"]
    problems = []
    for name in sorted(set(translated) - {f for f in fields if english.get(f) is not None} - set(also)):
        problems.append(f"{where}: '{name}' is not a field English has here")
    for name in fields:
        if english.get(name) is not None:
            problems.extend(_shape_problems(f"{where}.{name}", english[name], translated.get(name)))
    return problems


def _ids_problems(label: str, noun: str, english_ids: list[str], translated: Mapping,
                  required: set[str] | None = None) -> list[str]:
    required = set(english_ids) if required is None else required
    problems = [f"{label}: {noun} '{ident}' has no translation" for ident in english_ids
                if ident in required and ident not in translated]
    problems += [f"{label}: {noun} '{ident}' is not in the English content" for ident in translated
                 if ident not in english_ids]
    return problems


def _items(data: Any, key: str, id_key: str = "id") -> dict[str, dict]:
    items = data.get(key) if isinstance(data, dict) else None
    return {item[id_key]: item for item in items or [] if isinstance(item, dict)
            and isinstance(item.get(id_key), str)}


def _question_problems(label: str, english: Any, translated: Any) -> list[str]:
    areas = _items(english, "areas")
    questions = _items(english, "questions")
    t_areas, t_questions = _section(translated, "areas"), _section(translated, "questions")
    problems = _ids_problems(label, "area", list(areas), t_areas)
    problems += _ids_problems(label, "question", list(questions), t_questions)
    for ident, area in areas.items():
        if ident in t_areas:
            problems += _fields_problems(f"{label}: area '{ident}'", area, t_areas[ident], ("title", "hint"))
    for ident, question in questions.items():
        if ident not in t_questions:
            continue
        where = f"{label}: question '{ident}'"
        mine = t_questions[ident]
        problems += _fields_problems(where, question, mine, ("text", "hint", "error"),
                                     also=("options",) if question.get("options") else ())
        if not isinstance(mine, dict):
            continue
        options = {o["value"]: o for o in question.get("options") or []
                   if isinstance(o, dict) and isinstance(o.get("value"), str)}
        t_options = mine.get("options")
        if options and not isinstance(t_options, dict):
            problems.append(f"{where}: options: missing (a label for each of {', '.join(options)})")
            continue
        if not options and t_options is not None:
            problems.append(f"{where}: 'options' is not a field English has here")
            continue
        problems += _ids_problems(where, "option", list(options), t_options or {})
        for value, option in options.items():
            if value in (t_options or {}):
                problems += _fields_problems(f"{where}: option '{value}'", option, t_options[value],
                                             ("label", "hint"))
    return problems


def _recommendation_problems(label: str, english: Any, translated: Any) -> list[str]:
    recommendations = _items(english, "recommendations")
    mine = _section(translated, "recommendations")
    problems = _ids_problems(label, "recommendation", list(recommendations), mine)
    for ident, rec in recommendations.items():
        if ident not in mine:
            continue
        where = f"{label}: recommendation '{ident}'"
        links = [link.get("text") for link in rec.get("links") or [] if isinstance(link, dict)]
        problems += _fields_problems(where, rec, mine[ident], ("title", "body"), also=("links",) if links else ())
        t_links = mine[ident].get("links") if isinstance(mine[ident], dict) else None
        if links and (not isinstance(t_links, list) or len(t_links) != len(links)
                      or not all(isinstance(t, str) and t.strip() for t in t_links)):
            problems.append(f"{where}.links: must be the {len(links)} link text(s) in English's order")
    return problems


def _easy_read_problems(label: str, english: Any, translated: Any) -> list[str]:
    recommendations = _items(english, "recommendations")
    mine = _section(translated, "recommendations")
    problems = _ids_problems(label, "recommendation", list(recommendations), mine)
    for ident, rec in recommendations.items():
        if ident in mine:
            problems += _fields_problems(f"{label}: recommendation '{ident}'", rec, mine[ident], ("easy_read",))
    return problems


def _catalogue_problems(label: str, english: Any, translated: Any, shown: set[str]) -> list[str]:
    products = _items(english, "products", "code")
    mine = _section(translated, "products")
    problems = _ids_problems(label, "product", list(products), mine, required=shown & set(products))
    for code, product in products.items():
        if code in mine:
            where = f"{label}: product '{code}'"
            problems += _fields_problems(where, product, mine[code], ("name", "what_to_look_for"),
                                         also=("description",))
            extra = mine[code].get("description") if isinstance(mine[code], dict) else None
            if extra is not None and not (isinstance(extra, str) and extra.strip()):
                problems.append(f"{where}.description: is empty")
    return problems


def translation_problems(content: Content, locale: str, directory: Path | str | None = None,
                         catalogue_path: Path | str | None = None) -> list[str]:
    """Every gap or fault in one locale's translation of valid English content; [] when complete."""
    directory = Path(directory) if directory else None
    errors: list[str] = []
    data = read_translation(locale, directory, errors)
    english = _english(directory, Path(catalogue_path) if catalogue_path else None)
    shown = {code for rec in content.recommendations.values() for code in rec.products}
    checks = {
        QUESTIONS_FILE: lambda label, t: _question_problems(label, english[QUESTIONS_FILE], t),
        RECOMMENDATIONS_FILE: lambda label, t: _recommendation_problems(label, english[RECOMMENDATIONS_FILE], t),
        CATALOGUE_FILE: lambda label, t: _catalogue_problems(label, english[CATALOGUE_FILE], t, shown),
        EASY_READ_FILE: lambda label, t: _easy_read_problems(label, english[RECOMMENDATIONS_FILE], t),
    }
    for name, check in checks.items():
        label, translated = f"{locale}/{name}", data[name]
        if translated is None:
            continue  # read_yaml said why
        if not isinstance(translated, dict):
            errors.append(f"{label}: must be a mapping (version and the translated items)")
            continue
        if translated.get("version") != content.version:
            errors.append(f"{label}: version '{translated.get('version')}' does not match the English "
                          f"content's version '{content.version}' (translate the changes, then update it)")
        errors += check(label, translated)
    return errors


# -- laying a translation over the English content


def _words(english: Mapping[str, str] | None, translated: Any) -> Mapping[str, str] | None:
    """The translated wording by audience where it is well formed, else the English."""
    if not english:
        return english
    if isinstance(translated, str) and translated.strip():
        return dict.fromkeys(english, translated.strip())
    if isinstance(translated, dict):
        return {audience: (str(translated.get(audience) or "").strip() or english[audience])
                for audience in english}
    return english


def translate(content: Content, data: Mapping[str, Any]) -> Content:
    """The content with the translated words laid over the English (English where a word is
    missing); structure, rules and ids unchanged."""
    q_data = data.get(QUESTIONS_FILE) if isinstance(data.get(QUESTIONS_FILE), dict) else {}
    t_areas, t_questions = _section(q_data, "areas"), _section(q_data, "questions")
    areas = []
    for area in content.areas:
        mine = t_areas.get(area.id) if isinstance(t_areas.get(area.id), dict) else {}
        titles = _words(area.titles, mine.get("title"))
        hints = _words(area.hints, mine.get("hint"))
        areas.append(replace(area, title=pick_wording(titles, None) or area.title,
                             hint=pick_wording(hints, None), titles=titles, hints=hints))
    questions: dict[str, Question] = {}
    for ident, question in content.questions.items():
        mine = t_questions.get(ident) if isinstance(t_questions.get(ident), dict) else {}
        t_options = mine.get("options") if isinstance(mine.get("options"), dict) else {}
        if ident == AREAS_QUESTION:
            options = [Option(a.id, a.titles, a.hints, o.exclusive) for a, o in zip(areas, question.options,
                                                                                    strict=False)]
        else:
            options = []
            for option in question.options:
                mo = t_options.get(option.value) if isinstance(t_options.get(option.value), dict) else {}
                options.append(replace(option, labels=_words(option.labels, mo.get("label")),
                                       hints=_words(option.hints, mo.get("hint"))))
        questions[ident] = replace(question, options=options, texts=_words(question.texts, mine.get("text")),
                                   hints=_words(question.hints, mine.get("hint")),
                                   errors=_words(question.errors, mine.get("error")))
    r_data = data.get(RECOMMENDATIONS_FILE) if isinstance(data.get(RECOMMENDATIONS_FILE), dict) else {}
    t_recs = _section(r_data, "recommendations")
    e_data = data.get(EASY_READ_FILE) if isinstance(data.get(EASY_READ_FILE), dict) else {}
    t_easy = _section(e_data, "recommendations")
    recommendations: dict[str, Recommendation] = {}
    for ident, rec in content.recommendations.items():
        mine = t_recs.get(ident) if isinstance(t_recs.get(ident), dict) else {}
        easy = t_easy.get(ident) if isinstance(t_easy.get(ident), dict) else {}
        easy_reads = _words(rec.easy_reads, easy.get("easy_read"))
        titles, bodies = _words(rec.titles, mine.get("title")), _words(rec.bodies, mine.get("body"))
        texts = mine.get("links") if isinstance(mine.get("links"), list) else []
        links = tuple((str(texts[i]).strip() if i < len(texts) and str(texts[i]).strip() else text, url)
                      for i, (text, url) in enumerate(rec.links))
        recommendations[ident] = replace(rec, titles=titles, bodies=bodies, links=links, easy_reads=easy_reads,
                                         title=pick_wording(titles, None) or rec.title,
                                         body=pick_wording(bodies, None) or rec.body,
                                         easy_read=pick_wording(easy_reads, None) or rec.easy_read)
    c_data = data.get(CATALOGUE_FILE) if isinstance(data.get(CATALOGUE_FILE), dict) else {}
    t_products = _section(c_data, "products")
    catalogue: dict[str, Product] = {}
    for code, product in content.catalogue.items():
        mine = t_products.get(code) if isinstance(t_products.get(code), dict) else {}
        changes = {name: mine[name].strip() for name in PRODUCT_FIELDS
                   if isinstance(mine.get(name), str) and mine[name].strip()
                   and (name != "what_to_look_for" or product.what_to_look_for)}
        catalogue[code] = replace(product, **changes) if changes else product
    return replace(content, areas=areas, questions=questions, recommendations=recommendations,
                   catalogue=catalogue)


def load_translated(content: Content, locale: str, directory: Path | str | None = None) -> Content:
    """The content in ``locale``: its translation laid over ``content`` (English where missing)."""
    return translate(content, read_translation(locale, Path(directory) if directory else None))
