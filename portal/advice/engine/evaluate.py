"""Answers to a report: which rules fire, and the recommendations in report order."""

from __future__ import annotations

from collections.abc import Mapping

from portal.advice.engine.content import (
    AREAS_QUESTION,
    AUDIENCE_QUESTION,
    DEFAULT_AUDIENCE,
    NEEDS,
    Answers,
    Content,
    Report,
    ShownRecommendation,
)


def evaluate(content: Content, answers: Answers, words: Mapping[str, str] | None = None) -> Report:
    """The personalised report for these answers. Junk (unknown keys, wrong types, answers to
    questions not in the journey) is ignored; this never raises for any input.

    ``words`` fills the {placeholders} in titles and bodies (the numbers to phone at this hour).

    Order: urgent help; then the lead (recommendations of rules marked ``lead``, such as "Ask for
    an occupational therapy assessment"); then the areas; then general advice. Within each, advice
    and services off the ladder first, then the occupational therapist's order (``step``: try
    first, small changes to the home, equipment after an assessment, major adaptations), then
    ``priority``, then file order. A recommendation a fired rule withholds is not shown at all.
    """
    clean = content.clean_answers(answers)
    audience = clean.get(AUDIENCE_QUESTION, DEFAULT_AUDIENCE)
    chosen_ids = clean.get(AREAS_QUESTION) or []

    fired: dict[str, list[str]] = {}
    leading: set[str] = set()
    withheld: set[str] = set()
    for rule in content.rules:
        if rule.when.matches(clean):
            withheld.update(rule.withhold)
            for rec_id in rule.recommend:
                if rec_id in content.recommendations:
                    fired.setdefault(rec_id, []).append(rule.id)
                    if rule.lead:
                        leading.add(rec_id)
    withheld_fired = [rec_id for rec_id in fired if rec_id in withheld]
    fired = {rec_id: rules for rec_id, rules in fired.items() if rec_id not in withheld}

    order = {rec_id: index for index, rec_id in enumerate(content.recommendations)}

    def show(rec_id: str, rule_ids: list[str]) -> ShownRecommendation:
        rec = content.recommendations[rec_id]
        products = [content.catalogue[code] for code in rec.products if code in content.catalogue]
        return ShownRecommendation(rec.for_audience(audience).filled(words), products, rule_ids,
                                   audience)

    def ordered(items: list[ShownRecommendation]) -> list[ShownRecommendation]:
        return sorted(items, key=lambda s: (*s.recommendation.sort_key, order[s.id]))

    shown = [show(rec_id, rule_ids) for rec_id, rule_ids in fired.items()]
    known_areas = {area.id for area in content.areas}
    urgent = ordered([s for s in shown if s.kind == "urgent"])
    lead = ordered([s for s in shown if s.kind != "urgent" and s.id in leading])
    rest = [s for s in shown if s.kind != "urgent" and s.id not in leading]
    general = ordered([s for s in rest if s.recommendation.area not in known_areas])
    by_area = []
    for selected in (True, False):  # the areas the person selected first, then any others
        for area in content.areas:
            if (area.id in chosen_ids) != selected:
                continue
            items = ordered([s for s in rest if s.recommendation.area == area.id])
            if items or selected:
                by_area.append((area.for_audience(audience), items))
    if not lead and not general and not any(items for _, items in by_area):
        general = [show(rec_id, ["fallback"]) for rec_id in content.fallback
                   if rec_id in content.recommendations and rec_id not in withheld]

    report_items = urgent + lead + [s for _, items in by_area for s in items] + general
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
        lead=lead,
        withheld=withheld_fired,
    )
