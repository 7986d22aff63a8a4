"""Who may do what to a DFG case: for a case in every state and every role, the case page offers
exactly `allowed_actions`, and every other action is refused (403 or 422) with nothing changed."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import UserRole
from portal.auth.roles import DFG_CASEWORKER, MANAGER, ROLES
from portal.dfg import services
from portal.dfg.models import DfgCase
from portal.dfg.services import ACTIONS
from portal.sql import new_submission_key
from portal.timeutil import today as london_today
from tests.actions import shown_actions
from tests.conftest import csrf_from
from tests.integration.dfg.conftest import new_case, walk_to

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _not_necessary(s, u):
    c = walk_to(s, u, "eligibility")
    services.request_ot(s, u, c)
    services.record_ot_recommendation(s, u, c, version=None, what="Extension", why="Space",
                                      necessary_appropriate=False, ot_name="O T")
    return c


def _tenant_without_consent(s, u):
    c = walk_to(s, u, "survey_and_quotes", tenure="private_tenant")
    c.landlord_consent_date = c.landlord_consent_by = None
    return c


def _instalments_at_limit(s, u):
    """Works in progress with 90% of the approval paid: the balance waits for completion and inspection."""
    c = walk_to(s, u, "works")
    services.record_payment(s, u, c.id, amount=services.instalment_limit(c), paid_on=london_today())
    return c


def _part_paid_completed(s, u):
    c = walk_to(s, u, "completed")
    services.record_payment(s, u, c.id, amount="100", paid_on=london_today())
    return c


def _review_window_closed(s, u):
    c = walk_to(s, u, "refused")
    c.review_due_date = london_today() - timedelta(days=1)
    return c


def _no_tor(s, u):
    c = new_case(s)
    services.start_eligibility(s, u, c)
    return c


def _no_ot(s, u):
    c = walk_to(s, u, "eligibility")
    services.request_ot(s, u, c)
    return c


CASES = {
    "enquiry": lambda s, u: walk_to(s, u, "enquiry"),
    "enquiry-child": lambda s, u: new_case(s, child=True),
    "eligibility-no-test": _no_tor,
    "eligibility-tested": lambda s, u: walk_to(s, u, "eligibility"),
    "eligibility-child": lambda s, u: walk_to(s, u, "eligibility", child=True),
    "ot-waiting": _no_ot,
    "ot-recorded": lambda s, u: walk_to(s, u, "ot_recommendation"),
    "ot-not-necessary": _not_necessary,
    "survey-ready": lambda s, u: walk_to(s, u, "survey_and_quotes"),
    "survey-one-quote": lambda s, u: walk_to(s, u, "survey_and_quotes", quotes=("5000",)),
    "survey-no-quotes": lambda s, u: walk_to(s, u, "survey_and_quotes", quotes=()),
    "survey-tenant-no-consent": _tenant_without_consent,
    "application": lambda s, u: walk_to(s, u, "application_received"),
    "application-contribution-covers-quote": lambda s, u: walk_to(s, u, "application_received",
                                                                  contribution_income="300"),
    "approved": lambda s, u: walk_to(s, u, "approved"),
    "works": lambda s, u: walk_to(s, u, "works"),
    "works-instalments-at-limit": _instalments_at_limit,
    "completed": lambda s, u: walk_to(s, u, "completed"),
    "completed-part-paid": _part_paid_completed,
    "paid": lambda s, u: walk_to(s, u, "paid"),
    "refused": lambda s, u: walk_to(s, u, "refused"),
    "refused-window-closed": _review_window_closed,
    "withdrawn": lambda s, u: walk_to(s, u, "withdrawn"),
}

def _date(d):
    return [str(d.day), str(d.month), str(d.year)]


def _post_data(action: str, c: DfgCase, token: str) -> dict:
    """Plausible answers for each action's form, with a good token and the case's current version."""
    today = _date(london_today())
    v = str(c.version)
    forms = {
        "tor": {"passported": "yes", "benefit": "Universal Credit"},
        "ot": {"what": "Stairlift", "why": "Stairs", "necessary_appropriate": "yes", "ot": "", "ot_name": "O T"},
        "quote": {"contractor": "Lift Co", "amount": "1000", "received_on": today},
        "landlord": {"consent_date": today, "consent_by": "Agent"},
        "application": {"on": today},
        "approve": {"fees": "100", "decision_date": today},
        "refuse": {"reason": "Not eligible"},
        "works": {"on": today},
        "complete": {"completed_on": today, "inspected_on": today},
        "payment": {"amount": "1", "paid_on": today, "submission_key": new_submission_key()},
        "details": {"includes_tecs": "no", "works_types": ["stairlift"], "locality": ""},
        "withdraw": {"reason": "Moved"},
        "upload": {"kind": "quote", "file": (io.BytesIO(PDF), "quote.pdf")},
        "withdraw_quote": {"quote": str(c.live_quotes[0].id) if c.live_quotes else "1", "reason": "Wrong figure"},
        "dob": {"date_of_birth": ["1", "1", "1940"]},  # still an adult
    }
    if action not in forms:  # a one-button form
        return {"csrf_token": token, "version": v}
    prefix = "evidence" if action == "upload" else action
    data = {f"{prefix}-{k}": val for k, val in forms[action].items()}
    return {**data, f"{prefix}-csrf_token": token, f"{prefix}-version": v}


def _url(action: str, c: DfgCase) -> str:
    paths = {"request_ot": "request-ot", "close_paid": "close-paid", "upload": "evidence/new",
             "withdraw_quote": "withdraw-quote", "dob": "date-of-birth"}
    if action == "choose_quote":
        quote_id = c.quotes[0].id if c.quotes else 999999
        return f"/dfg/cases/{c.id}/quotes/{quote_id}/choose"
    return f"/dfg/cases/{c.id}/{paths.get(action, action)}"


SECTIONS = ("", "/money", "/quotes", "/evidence", "/history")
DECISIONS = {"approve", "refuse", "withdraw", "close_paid"}


def _offered(app, client, c: DfgCase) -> set[str]:
    """The actions every section of the case offers: forms posted from it, and links to an action's page."""
    found = set()
    for section in SECTIONS:
        page = client.get(f"/dfg/cases/{c.id}{section}")
        assert page.status_code == 200, section
        found |= shown_actions(app, page.text, "dfg", {f"dfg.{a}" for a in ACTIONS})
    return found


def _snapshot(session, c: DfgCase) -> tuple:
    session.expire_all()
    fresh = session.get(DfgCase, c.id)
    audits = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "dfg_case", AuditEvent.entity_id == str(c.id)))
    return fresh.state, fresh.version, audits, len(fresh.quotes), len(fresh.payments), len(fresh.evidence)


@pytest.mark.parametrize("name", list(CASES))
def test_page_offers_exactly_the_allowed_actions_and_routes_refuse_the_rest(app, client, staff, db_session,
                                                                           caseworker, name):
    """Every role in turn (one signed-in person whose role changes, to keep it fast)."""
    c = CASES[name](db_session, caseworker)
    user = staff.login_as(DFG_CASEWORKER)
    # Any caseworker may act on any case: there is no ownership.
    assert services.allowed_actions(user, c) == services.allowed_actions(caseworker, c)
    for role in ROLES:
        user.roles = [UserRole(role=role)]
        db_session.flush()
        allowed = services.allowed_actions(user, c)
        page = client.get(f"/dfg/cases/{c.id}")
        if role in (DFG_CASEWORKER, MANAGER):
            assert page.status_code == 200, (name, role)
            assert _offered(app, client, c) == allowed, (name, role)
            token = csrf_from(page.text)
        else:
            assert page.status_code == 403, (name, role)
            token = staff.csrf()
        assert bool(allowed) == (role == DFG_CASEWORKER), (name, role)
        for action in sorted(set(ACTIONS) - allowed):
            before = _snapshot(db_session, c)
            resp = client.post(_url(action, c), data=_post_data(action, c, token),
                               content_type="multipart/form-data")
            expected = 422 if role == DFG_CASEWORKER else 403
            assert resp.status_code == expected, (name, role, action, resp.status_code)
            if expected == 422:
                assert "There is a problem" in resp.text, (name, role, action)
            assert _snapshot(db_session, c) == before, (name, role, action)


# Each action once, from a state where it is open.
OPEN = [("eligibility", "enquiry"), ("tor", "eligibility-tested"), ("request_ot", "eligibility-tested"),
        ("ot", "ot-recorded"), ("survey", "ot-recorded"), ("quote", "survey-ready"),
        ("choose_quote", "survey-ready"), ("landlord", "survey-tenant-no-consent"),
        ("application", "survey-ready"), ("approve", "application"), ("refuse", "application"),
        ("works", "approved"), ("payment", "works"), ("complete", "works"), ("close_paid", "completed-part-paid"),
        ("review", "refused"), ("details", "enquiry"), ("withdraw", "works"), ("upload", "paid"),
        ("withdraw_quote", "survey-ready"), ("dob", "enquiry")]


def test_every_action_is_covered():
    assert sorted(a for a, _ in OPEN) == sorted(ACTIONS)


@pytest.mark.parametrize("action,name", OPEN)
def test_an_allowed_action_goes_through_its_route(client, staff, db_session, caseworker, action, name):
    c = CASES[name](db_session, caseworker)
    user = staff.login_as(DFG_CASEWORKER)
    assert action in services.allowed_actions(user, c)
    if action == "choose_quote":
        c = next(q for q in c.quotes if not q.chosen).case
    before = _snapshot(db_session, c)
    page = client.get(f"/dfg/cases/{c.id}")
    data = _post_data(action, c, csrf_from(page.text))
    if action == "choose_quote":
        url = f"/dfg/cases/{c.id}/quotes/{next(q.id for q in c.quotes if not q.chosen)}/choose"
    else:
        url = _url(action, c)
    if action in DECISIONS:  # a check page first; only the confirmed post decides
        check = client.post(url, data=data, content_type="multipart/form-data")
        assert check.status_code == 200 and "Check your decision" in check.text, (action, check.status_code)
        assert _snapshot(db_session, c)[:2] == before[:2]
        data = {**data, "confirmed": "yes"}
    resp = client.post(url, data=data, content_type="multipart/form-data")
    assert resp.status_code == 303, (action, resp.status_code, resp.text[:2000])
    assert _snapshot(db_session, c)[2] > before[2] + 1  # the page view and the action's own audit row
