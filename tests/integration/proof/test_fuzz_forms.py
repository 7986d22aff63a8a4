"""Form fuzzing (RELIABILITY.md V1, V2; issue 19 item 3): Hypothesis posts hostile and arbitrary
values to every form a person can post, at every step of its journey (the earlier steps done, so
the step is really reachable). This file holds the engine and the public forms; the staff forms
are in the other test_fuzz_*.py files.

The invariants, for every post:
- never a 500; the raw <script> payload never comes back unescaped (nor on the page a redirect
  leads to);
- a post that is not a success re-renders the same form with the GOV.UK error summary and keeps
  the answer typed (a marker in a free-text field must come back), or is a 4xx page that says what
  went wrong (a bad token, a record changed meanwhile, an action not open);
- nothing is saved when the post is refused: the row count of every table (apart from the audit
  of views and the rate-limit counters) and the versions of every versioned record are unchanged.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from portal.extensions import db, limiter
from portal.referrals.public_forms import AddressForm, ContactForm, HospitalForm, TrackForm, WhatIsHardForm, WhoForm
from tests.conftest import csrf_from
from tests.integration.referrals.test_public import CONTACT, DETAILS, HELP, WHO, answer_pages

SCRIPT = "<script>alert('tecs')</script>"
KEPT = "Typed answer 7Q"  # posted in a free-text field: a re-rendered form must show it again
HOSTILE = [
    SCRIPT, "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "'; DROP TABLE referral; --",
    "' OR '1'='1", "1 UNION SELECT password_hash FROM staff_user", "\x00", "a\x00b", "<b>bold</b>",
    "\u202e\u0645\u0631\u062d\u0628\u0627", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏠", "Ω" * 300, "x" * 6000, "x" * 70_000, "-1", "0", "1", "2",
    "-99999999999999999999", "1e308", "NaN", "inf", "1.5", "99999999999999999999999", "2147483648",
    "2026-02-30", "31 2 2026", "00", "13", "32", "9999", "", " ", "\r\n", "%s%n", "../../etc/passwd",
    "{{7*7}}", "${7*7}", "R-AAAA-AAAA", "943 476 5919", "SW1A 1AA", "yes", "no", "urgent", "none", "true",
    "twelve", "next Tuesday", "£12.50", "12,000", "option-that-does-not-exist",
]
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.from_regex(r"\A\d{1,2} \d{1,2} \d{2,5}\Z", fullmatch=True),
)
field_value = st.one_of(value, value, st.lists(value, min_size=0, max_size=4))  # one, or repeated (or none)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def field_names(app, form_class: type[FlaskForm], extra=(), prefix: str = "") -> list[str]:
    with app.test_request_context():
        names = [n for n in form_class()._fields if n not in ("csrf_token", "submit")]
    return [prefix + n for n in names] + list(extra)


def submission(names):
    return st.fixed_dictionaries({}, optional={name: field_value for name in names})


def one_field(names):
    """One answer odd, the rest as a person would give them: reaches the checks behind the form."""
    return st.sampled_from(names).flatmap(lambda name: st.fixed_dictionaries({name: field_value}))


def _text(resp) -> str:
    return resp.get_data(as_text=True)


# -- what must not change when a post is refused ---------------------------------------------------

IGNORED_TABLES = {"rate_limit", "alembic_version"}


def snapshot() -> tuple:
    """Every table's row count and every versioned table's version total, in one query. Audit rows
    that record a view (or a refused request) are not changes, so they are left out."""
    db.session.expire_all()
    parts = []
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        if table.name in IGNORED_TABLES:
            continue
        where = " WHERE action NOT LIKE '%viewed' AND action NOT LIKE 'security%'" \
            if table.name == "audit_event" else ""
        parts.append(f"(SELECT count(*) FROM {table.name}{where})")  # noqa: S608 (names from the models)
        if "version" in table.c:
            parts.append(f"(SELECT coalesce(sum(version), 0) FROM {table.name})")  # noqa: S608
    return tuple(db.session.execute(text("SELECT " + ", ".join(parts))).one())


# -- one step of a journey ------------------------------------------------------------------------

@dataclass
class Step:
    """A form at one step of its journey, reachable now."""
    url: str
    fields: list[str]                                  # the names to fuzz
    valid: dict = field(default_factory=dict)          # answers with which the post would pass the form
    keep: str | None = None                            # a free-text field whose answer must come back
    htmx_target: str | None = None                     # also post it as htmx, aimed at this target
    rerender_has_summary: bool = True                  # False for a search-like form (200 = a result)
    method: str = "POST"


def is_success(resp) -> bool:
    return resp.status_code in (301, 302, 303) or bool(
        resp.headers.get("HX-Location") or resp.headers.get("HX-Redirect"))


def check(client, resp, step: Step, posted: dict, before: tuple, *, token_ok: bool = True):
    """The invariants for one fuzzed post."""
    body = _text(resp)
    assert resp.status_code < 500, body[:2000]
    assert SCRIPT not in body
    if is_success(resp):
        location = resp.headers.get("Location") or resp.headers.get("HX-Location") or ""
        if location.startswith("/"):
            follow = client.get(location)
            assert follow.status_code < 500, _text(follow)[:2000]
            assert SCRIPT not in _text(follow)
        return True
    if step.method == "GET":  # a search: nothing to refuse (an export is audited, so rows may be added)
        return False
    assert snapshot() == before, f"a refused post changed the database: {resp.status_code} {body[:1500]}"
    if not token_ok:
        assert resp.status_code == 400, resp.status_code
    if resp.status_code >= 400 and resp.status_code != 422:
        assert resp.status_code in (400, 403, 404, 409, 413, 429), resp.status_code
        assert body.strip(), "a refusal needs a page that says what went wrong"
        return False
    if resp.status_code == 200 and 'name="confirmed" value="yes"' in body:
        return False  # a decision's check step (portal.web.decisions): nothing is decided until confirmed
    if step.rerender_has_summary:
        assert "govuk-error-summary" in body, f"a re-displayed form must explain what is wrong: {body[:3000]}"
        if step.keep and posted.get(step.keep) == KEPT:
            assert KEPT in body, f"the answer typed in {step.keep} was lost"
    return False


def fuzz(client, token: str, make: Callable[[], Step], *, max_examples: int = 25, bad_tokens: bool = True):
    """Post generated answers to the step `make()` builds; build it again after each success, so
    every example meets the form at the same step of its journey."""
    current: dict = {}
    statuses: list[int] = []

    @settings(SETTINGS, max_examples=max_examples)
    @given(data=st.data())
    def run(data):
        if "step" not in current:
            current["step"] = make()
        step: Step = current["step"]
        fuzzed = data.draw(st.one_of(one_field(step.fields), submission(step.fields)), label="fuzzed")
        base = step.valid if data.draw(st.booleans(), label="from_valid") else {}
        posted = {**base, **fuzzed}
        if step.keep and step.keep not in fuzzed and data.draw(st.booleans(), label="keep"):
            posted[step.keep] = KEPT
        token_ok = not bad_tokens or data.draw(st.sampled_from([True] * 9 + [False]), label="token_ok")
        headers = {}
        if step.htmx_target and data.draw(st.booleans(), label="htmx"):
            headers = {"HX-Request": "true", "HX-Target": step.htmx_target}
        before = snapshot()
        limiter.reset()
        form = {**posted, "csrf_token": token if token_ok else "not-the-token"}
        if step.method == "GET":
            resp = client.get(step.url, query_string=form, headers=headers)
        else:
            resp = client.post(step.url, data=form, headers=headers)
        statuses.append(resp.status_code)
        if check(client, resp, step, posted, before, token_ok=token_ok):
            current.pop("step")

    run()
    assert {*statuses} - {400, 403, 404}, f"the form was never reached: {statuses}"


# -- public: ask for help ---------------------------------------------------------------------------

def start_journey(client, upto: str) -> str:
    answer_pages(client, WHO, DETAILS, CONTACT, HELP, upto=upto if upto != "check" else None)
    return csrf_from(client.get(f"/ask-for-help/{upto}").text)


ALL = {**WHO, **DETAILS, **CONTACT, **HELP}
PUBLIC_STEPS = {"who": (WhoForm, ALL, "relationship"), "address": (AddressForm, ALL, "address_line_1"),
                "contact": (ContactForm, ALL, "email"), "what-is-hard": (WhatIsHardForm, ALL, "help_wanted"),
                "hospital": (HospitalForm, ALL, None)}


@pytest.mark.parametrize("step", PUBLIC_STEPS)
def test_fuzz_ask_for_help_steps(app, client, db_session, step):
    form_class, valid, keep = PUBLIC_STEPS[step]
    token = start_journey(client, step)
    fuzz(client, token, lambda: Step(f"/ask-for-help/{step}", field_names(app, form_class), valid, keep))
    # whatever was stored, the check-answers page shows it escaped
    page = client.get("/ask-for-help/check")
    assert page.status_code < 500 and SCRIPT not in page.text


def test_fuzz_ask_for_help_check_with_hostile_answers(app, client, db_session):
    start_journey(client, "check")
    token = csrf_from(client.get("/ask-for-help/check").text)
    client.post("/ask-for-help/what-is-hard", data={"help_wanted": SCRIPT * 10, "csrf_token": token})
    client.post("/ask-for-help/name", data={**DETAILS, "given_name": SCRIPT[:90], "csrf_token": token})
    client.post("/ask-for-help/address", data={**DETAILS, "address_line_1": SCRIPT[:100], "csrf_token": token})

    def make():
        page = client.get("/ask-for-help/check")
        if page.status_code == 303:  # sent: start again with the same hostile answers
            start_journey(client, "check")
            client.post("/ask-for-help/what-is-hard", data={"help_wanted": SCRIPT * 10, "csrf_token": token})
            page = client.get("/ask-for-help/check")
        assert page.status_code == 200 and SCRIPT not in page.text
        return Step("/ask-for-help/check", ["submission_key"], {"submission_key": "k" * 20})

    fuzz(client, token, make)


def test_a_submission_key_we_did_not_issue_is_ignored(app, client, db_session):
    """Found by fuzzing on PostgreSQL: a posted key longer than the column was a 500."""
    from portal.referrals.models import Referral

    token = start_journey(client, "check")
    resp = client.post("/ask-for-help/check", data={"csrf_token": token, "submission_key": "1 UNION SELECT " * 5})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/done")
    assert db_session.scalar(select(func.count()).select_from(Referral)) == 1


def test_fuzz_track(app, client, db_session):
    token = csrf_from(client.get("/track").text)
    fuzz(client, token, lambda: Step("/track", field_names(app, TrackForm),
                                     {"reference": "R-AAAA-AAAA", "date_of_birth": ["1", "2", "1940"]},
                                     keep="reference", rerender_has_summary=False))


# -- public: the self-assessment, one question a page ----------------------------------------------

def _advice_choice(qid: str, options: list[str]):
    if qid == "who":
        return "someone"
    if qid == "areas":
        return options  # every area: every question page is on the journey
    if qid == "urgent":
        return [o for o in options if o.startswith("none")][:1] or options[-1:]
    return options[:1] or ["Some words"]


def test_fuzz_advice_every_question_page(app, client, db_session):
    import re

    page = client.get("/advice/")
    token = csrf_from(page.text)
    assert client.post("/advice/begin", data={"csrf_token": token}).status_code == 303
    fuzz(client, token, lambda: Step("/advice/begin", ["answer"]), max_examples=5)
    seen = []
    url = client.get("/advice/check").headers["Location"]
    while "/advice/questions/" in url:
        qid = url.rsplit("/", 1)[-1]
        seen.append(qid)
        page = client.get(url)
        assert page.status_code == 200, url
        options = re.findall(r'name="answer" type="(?:radio|checkbox)" value="([^"]+)"', page.text)
        fuzz(client, token, lambda u=url, o=options: Step(
            u, ["answer"], {"answer": o[:1] or ["Some words"]}, rerender_has_summary=True), max_examples=8)
        resp = client.post(url, data={"csrf_token": token, "answer": _advice_choice(qid, options)})
        assert resp.status_code == 303, (qid, _text(resp)[:500])
        url = client.get("/advice/check").headers.get("Location", "/advice/check")
    assert len(seen) > 10, seen
    assert len(seen) == len(set(seen))
    fuzz(client, token, lambda: Step("/advice/check", ["answer", "submission_key"]), max_examples=5)


def test_fuzz_advice_report_email(app, client, db_session):
    from tests.integration.advice.test_journey import carer_bathing_choice, run_journey

    check_url = run_journey(client, carer_bathing_choice)
    token = csrf_from(client.get(check_url).text)
    url = client.post(check_url, data={"csrf_token": token}).headers["Location"]
    assert "/advice/report/" in url
    fuzz(client, token, lambda: Step(f"{url}/email", ["email"], {"email": "someone@example.com"}, keep="email"))


# -- public: the DFG enquiry (portal/dfg belongs to another helper: failures are reported) ----------

DFG_STEPS = [
    ("who", {"who": "adult"}, None), ("tenure", {"tenure": "owner_occupier"}, None),
    ("difficulties", {"difficulties": ["stairs", "bathing"], "details": "Bath is too high"}, "details"),
    ("name", {"given_name": "Grace", "family_name": "Hopper"}, "given_name"),
    ("date-of-birth", {"date_of_birth": ["9", "12", "1946"]}, None),
    ("address", {"address_line_1": "2 Mill Lane", "town": "Ashdown", "postcode": "ad1 2bd"}, "address_line_1"),
    ("contact", {"phone": "01632 960002", "email": ""}, "phone"),
]


def _dfg_to(client, upto: str) -> str:
    token = csrf_from(client.get("/dfg/enquiry/who").text)
    for step, data, _keep in DFG_STEPS:
        if step == upto:
            return token
        resp = client.post(f"/dfg/enquiry/{step}", data={**data, "csrf_token": token})
        assert resp.status_code == 303, (step, _text(resp)[:500])
    return token


@pytest.mark.parametrize("step", [s for s, _d, _k in DFG_STEPS])
def test_fuzz_dfg_enquiry_steps(app, client, db_session, step):
    token = _dfg_to(client, step)
    valid, keep = next((d, k) for s, d, k in DFG_STEPS if s == step)
    names = sorted({*valid, "who", "tenure", "difficulties", "details", "given_name", "family_name",
                    "date_of_birth", "email"} if step == "who" else set(valid))
    fuzz(client, token, lambda: Step(f"/dfg/enquiry/{step}", names, valid, keep))


def test_fuzz_dfg_enquiry_check(app, client, db_session):
    token = _dfg_to(client, "check")

    def make():
        if client.get("/dfg/enquiry/check").status_code != 200:  # sent: fill it in again
            _dfg_to(client, "check")
        return Step("/dfg/enquiry/check", ["submission_key"], {"submission_key": "k" * 20})

    fuzz(client, token, make)
