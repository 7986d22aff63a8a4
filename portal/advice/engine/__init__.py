"""The self-assessment ("guided advice") engine: content, the question journey and the rules.

No requests and no queries (the product categories are read from the equipment models, the one
list of them). The Flask views call this module; answers are a plain, JSON-serialisable dict
``{question_id: str | list[str]}`` that the caller keeps in the session or the database.

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

Rules may also ``lead`` (their recommendations go first after urgent help: "Ask for an
occupational therapy assessment", the hospital discharge route, "you do not need equipment") and
``withhold`` recommendations an occupational therapist would not suggest in that situation (a
bath lift while hip precautions apply). Recommendations may sit on the occupational therapist's
ladder (``step``: try_first, minor_adaptation, assessed_equipment, major_adaptation), and may
name ``{phone_now}``, ``{council_phone}`` or ``{out_of_hours_phone}``, filled in when the report
is shown so each "get help now" message names a number that answers at that hour.

``scenarios.yaml`` holds people an occupational therapist would recognise, with what their report
must and must not say; ``check_content`` plays them (``scenarios``) and searches for rules no
answers reach and recommendations no answers show (``coverage``).

Report order: urgent recommendations first; then the lead; then one section per area: the areas the person
selected, in area order (a section may be empty), then any other area that a fired rule reached
(for example a bed sensor, from an answer about confusion at night); then general advice
(services not tied to one area). When no rule gives a non-urgent recommendation, the general
section holds the ``fallback`` recommendations from ``rules.yaml``. Within each list,
recommendations are sorted by step (none first, then the ladder), then ``priority`` (lower
first); a recommendation without a ``priority``
gets one by kind: urgent 0, service 20, telecare 30, buy_or_try 40. Ties keep the order of
``recommendations.yaml``. A recommendation appears once however many rules fire it.

The package: ``content`` (the objects and the journey), ``files`` (reading YAML and the schema),
``loading`` (building and cross-checking the content and the catalogue) and ``evaluate``
(answers to a report).
"""

from portal.advice.engine.content import (
    AREAS_QUESTION,
    AUDIENCE_QUESTION,
    AUDIENCES,
    DEFAULT_AUDIENCE,
    DEFAULT_PRIORITY,
    GENERAL,
    KINDS,
    NEEDS,
    START,
    START_AREA,
    Answers,
    Area,
    Condition,
    Content,
    ContentError,
    Option,
    Product,
    Question,
    Recommendation,
    Report,
    Rule,
    ShownRecommendation,
)
from portal.advice.engine.evaluate import evaluate
from portal.advice.engine.files import (
    CATALOGUE_PATH,
    CONTENT_DIR,
    QUESTIONS_FILE,
    RECOMMENDATIONS_FILE,
    RULES_FILE,
    SCHEMA_FILE,
)
from portal.advice.engine.loading import (
    CATEGORIES,
    check_content,
    default_catalogue,
    default_content,
    load_catalogue,
    load_content,
)

__all__ = [
    "AREAS_QUESTION", "AUDIENCES", "AUDIENCE_QUESTION", "CATALOGUE_PATH", "CATEGORIES",
    "CONTENT_DIR", "DEFAULT_AUDIENCE", "DEFAULT_PRIORITY", "GENERAL", "KINDS", "NEEDS",
    "QUESTIONS_FILE", "RECOMMENDATIONS_FILE", "RULES_FILE", "SCHEMA_FILE", "START", "START_AREA",
    "Answers", "Area", "Condition", "Content", "ContentError", "Option", "Product", "Question",
    "Recommendation", "Report", "Rule", "ShownRecommendation", "check_content",
    "default_catalogue", "default_content", "evaluate", "load_catalogue", "load_content",
]
