"""The DFG state machine: legal moves go through, illegal ones raise a plain-English error."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.dfg import services
from portal.dfg.models import OPEN_STATES, STATES, DfgStageHistory
from portal.errors import IllegalTransition, NotAllowed, VersionClash
from portal.timeutil import utcnow
from tests.integration.dfg.conftest import ORDER, new_case, walk_to


def test_full_journey_writes_stage_history_and_audit(db_session, caseworker):
    c = walk_to(db_session, caseworker, "paid")
    stages = db_session.scalars(select(DfgStageHistory.to_state).where(DfgStageHistory.case_id == c.id)
                                .order_by(DfgStageHistory.seq)).all()
    assert stages == ORDER
    moves = db_session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "dfg_case",
                                                        AuditEvent.entity_id == str(c.id),
                                                        AuditEvent.action == "dfg.transition")).all()
    assert [m.details["to_state"] for m in moves] == ORDER[1:]
    assert all(m.actor_id == caseworker.id for m in moves)


@pytest.mark.parametrize("frm", ["enquiry", "eligibility", "ot_recommendation", "survey_and_quotes",
                                 "application_received", "approved", "works"])
def test_cannot_skip_a_stage(db_session, caseworker, frm):
    c = walk_to(db_session, caseworker, frm)
    nxt = ORDER[ORDER.index(frm) + 1]
    for target in STATES:
        if target in (nxt, "withdrawn", "refused") or services.can_move(c, target):
            continue
        with pytest.raises(IllegalTransition, match="cannot move to"):
            services.transition(db_session, caseworker, c, target)
    assert c.state == frm


def test_approval_cannot_be_reached_without_an_amount(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    with pytest.raises(IllegalTransition, match="grant amount"):
        services.transition(db_session, caseworker, c, "approved")


@pytest.mark.parametrize("state", [s for s in OPEN_STATES if s != "refused"])
def test_withdrawn_from_any_open_state(db_session, caseworker, state):
    c = walk_to(db_session, caseworker, state)
    services.withdraw(db_session, caseworker, c, reason="No longer wanted")
    assert c.state == "withdrawn"
    with pytest.raises(IllegalTransition, match="cannot move to ‘Withdrawn’"):
        services.withdraw(db_session, caseworker, c, reason="again")


@pytest.mark.parametrize("state", ["paid", "refused", "withdrawn"])
def test_closed_cases_cannot_be_withdrawn(db_session, caseworker, state):
    c = walk_to(db_session, caseworker, state)
    with pytest.raises(IllegalTransition, match="cannot move to ‘Withdrawn’"):
        services.withdraw(db_session, caseworker, c, reason="x")


def test_withdraw_needs_a_reason(db_session, caseworker):
    c = new_case(db_session)
    with pytest.raises(IllegalTransition, match="reason the case was withdrawn") as refused:
        services.withdraw(db_session, caseworker, c, reason="  ")
    assert refused.value.field == "reason"


def test_child_case_has_no_test_of_resources(db_session, caseworker):
    c = new_case(db_session, child=True)
    services.start_eligibility(db_session, caseworker, c)
    assert "tor" not in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="no test of resources"):
        services.record_test_of_resources(db_session, caseworker, c, version=None, passported=True, benefit="UC")
    services.request_ot(db_session, caseworker, c)
    assert c.test_of_resources.result == "not_required" and c.contribution == 0


def test_adult_case_needs_test_of_resources_before_ot(db_session, caseworker):
    c = new_case(db_session)
    services.start_eligibility(db_session, caseworker, c)
    assert "request_ot" not in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="Record the test of resources"):
        services.request_ot(db_session, caseworker, c)


def test_ot_must_confirm_necessary_and_appropriate(db_session, caseworker):
    c = walk_to(db_session, caseworker, "eligibility")
    services.request_ot(db_session, caseworker, c)
    services.record_ot_recommendation(db_session, caseworker, c, version=None, what="Extension", why="x",
                                      necessary_appropriate=False, ot_name="O T")
    with pytest.raises(IllegalTransition, match="necessary and appropriate"):
        services.start_survey(db_session, caseworker, c)


def test_application_needs_two_quotes_and_a_chosen_one(db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes", quotes=("5000",))
    assert "application" not in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="at least 2 quotes"):
        services.receive_application(db_session, caseworker, c, on=utcnow().date())


def test_minimum_quotes_is_configurable(app, db_session, caseworker, monkeypatch):
    monkeypatch.setitem(app.config, "DFG_MIN_QUOTES", 1)
    c = walk_to(db_session, caseworker, "survey_and_quotes", quotes=("5000",))
    services.receive_application(db_session, caseworker, c, on=utcnow().date())
    assert c.state == "application_received"


def test_tenant_needs_landlord_consent(db_session, caseworker):
    c = new_case(db_session, tenure="private_tenant")
    services.start_eligibility(db_session, caseworker, c)
    services.record_test_of_resources(db_session, caseworker, c, version=None, passported=True, benefit="UC")
    services.request_ot(db_session, caseworker, c)
    services.record_ot_recommendation(db_session, caseworker, c, version=None, what="Ramp", why="Wheelchair",
                                      necessary_appropriate=True, ot_name="O T")
    services.start_survey(db_session, caseworker, c)
    services.update_details(db_session, caseworker, c, version=None, applicants=None, locality=None,
                            works_types=["ramp"], includes_tecs=False, contractor=None, landlord_name="L")
    q1 = services.add_quote(db_session, caseworker, c, contractor="A", amount="1500", received_on=utcnow().date())
    services.add_quote(db_session, caseworker, c, contractor="B", amount="1700", received_on=utcnow().date())
    services.choose_quote(db_session, caseworker, c, q1.id)
    assert "application" not in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="landlord's consent"):
        services.receive_application(db_session, caseworker, c, on=utcnow().date())
    services.record_landlord_consent(db_session, caseworker, c, version=None, on=utcnow().date(), by="Agent")
    services.receive_application(db_session, caseworker, c, on=utcnow().date())
    assert c.state == "application_received"


def test_review_inside_the_window_reopens_a_refusal(db_session, caseworker):
    c = walk_to(db_session, caseworker, "refused")
    assert c.review_due_date == c.decision_date + timedelta(days=28)
    services.request_review(db_session, caseworker, c)
    assert c.state == "application_received" and c.decision_date is None


def test_review_after_the_window_is_refused(db_session, caseworker):
    c = walk_to(db_session, caseworker, "refused")
    c.review_due_date = utcnow().date() - timedelta(days=1)
    assert "review" not in services.allowed_actions(caseworker, c)
    with pytest.raises(IllegalTransition, match="review window has closed"):
        services.request_review(db_session, caseworker, c)


def test_stale_version_is_a_clash(db_session, caseworker):
    c = new_case(db_session)
    old = c.version
    services.start_eligibility(db_session, caseworker, c, version=old)
    db_session.flush()
    with pytest.raises(VersionClash, match="changed by someone else") as clash:
        services.withdraw(db_session, caseworker, c, reason="x", version=old)
    assert (clash.value.entity_type, clash.value.entity_id) == ("dfg_case", c.id)
    assert c.state == "eligibility"


@pytest.mark.parametrize("actor", ["test", None, "manager"])
def test_only_a_caseworker_acts(db_session, staff, actor):
    """The CLI and scripts act as a named caseworker too: a label or a manager can never change a case."""
    c = new_case(db_session)
    who = staff.create("manager") if actor == "manager" else actor
    assert services.allowed_actions(who, c) == frozenset()
    with pytest.raises(NotAllowed, match="Only a DFG caseworker"):
        services.start_eligibility(db_session, who, c)
    assert c.state == "enquiry"


def test_review_is_refused_once_the_window_closes_by_the_london_date(db_session, caseworker):
    c = walk_to(db_session, caseworker, "refused")
    closes = c.review_due_date
    assert "review" in services.allowed_actions(caseworker, c, today=closes)
    assert "review" not in services.allowed_actions(caseworker, c, today=closes + timedelta(days=1))


def test_stage_durations(db_session, caseworker):
    c = walk_to(db_session, caseworker, "eligibility")
    c.stages[0].at = c.stages[1].at - timedelta(days=4)
    rows = services.stage_durations(c, now=c.stages[1].at + timedelta(days=2))
    assert [r["state"] for r in rows] == ["enquiry", "eligibility"]
    assert rows[0]["days"] == 4.0 and rows[1]["days"] == 2.0 and rows[1]["current"]
