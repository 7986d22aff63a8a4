"""Fixtures for DFG tests: a caseworker, and cases walked to any stage through the services."""

from datetime import date, timedelta

import pytest

from portal.dfg import services
from portal.sql import new_submission_key
from portal.timeutil import today as london_today

ORDER = ["enquiry", "eligibility", "ot_recommendation", "survey_and_quotes", "application_received",
         "approved", "works", "completed", "paid"]


@pytest.fixture
def caseworker(db_session):
    from portal.auth.services import create_user

    user = create_user(db_session, "test", email=f"dfg-{new_submission_key()[:6]}@test.council.example",
                       name="Dee Caseworker", password="correct horse battery staple", roles=["dfg_caseworker"])
    db_session.flush()
    return user


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path):
    old = app.config.get("DFG_UPLOAD_DIR")
    app.config["DFG_UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["DFG_UPLOAD_DIR"] = old


ENQUIRY_DAYS_AGO = 60
CHILD_BORN = date(2016, 5, 1)  # 10 or so in 2026: a child on any date the tests use
ADULT_BORN = date(1950, 3, 27)


def new_case(session, actor="public", *, tenure="owner_occupier", child=False, key=None, born=None,
             days_ago=ENQUIRY_DAYS_AGO):
    """A case whose enquiry was made `days_ago` (so the later dates the tests record come after it).
    Whether it is a child's case follows from the date of birth (`born`, or a child's or an adult's)."""
    born = born or (CHILD_BORN if child else ADULT_BORN)
    c, created = services.create_enquiry(
        session, actor, submission_key=key or new_submission_key(), tenure=tenure,
        difficulties=["stairs"], difficulty_details=None, given_name="Ada" if not child else "Ted",
        family_name="Lovelace", date_of_birth=born, address_line_1="1 High Street", address_line_2=None,
        town="Ashdown", postcode="AB1 2CD", phone="01632 960001", email=None, locality="North")
    assert created
    c.created_at = c.created_at - timedelta(days=days_ago)
    session.flush()
    return c


def walk_to(session, actor, state, *, tenure="owner_occupier", child=False, contribution_income=None,
            quotes=("4800", "5400"), grant=None, discretionary="0", reason=None, fees="0"):
    """A case moved through the services to `state` (one of ORDER, or refused/withdrawn)."""
    c = new_case(session, tenure=tenure, child=child)
    target = state
    path = ORDER[: ORDER.index("application_received") + 1] if state == "refused" else ORDER[: ORDER.index(
        state) + 1] if state in ORDER else ORDER[:1]
    today = london_today()
    for step in path[1:]:
        if step == "eligibility":
            services.start_eligibility(session, actor, c)
            if not child:
                if contribution_income is None:
                    services.record_test_of_resources(session, actor, c, version=None, passported=True,
                                                      benefit="Universal Credit")
                else:
                    services.record_test_of_resources(session, actor, c, version=None, passported=False,
                                                      weekly_income=contribution_income, weekly_allowances="200",
                                                      savings="0")
        elif step == "ot_recommendation":
            services.request_ot(session, actor, c)
            services.record_ot_recommendation(session, actor, c, version=None, what="Stairlift", why="Cannot climb",
                                              necessary_appropriate=True, ot_name="Olivia Turner")
        elif step == "survey_and_quotes":
            services.start_survey(session, actor, c)
            services.update_details(session, actor, c, version=None, applicants="Ada Lovelace", locality="North",
                                    works_types=["stairlift"], includes_tecs=False, contractor=None,
                                    landlord_name=None)
            qs = [services.add_quote(session, actor, c, contractor=f"Lift Co {i}", amount=a,
                                     received_on=today - timedelta(days=3)) for i, a in enumerate(quotes)]
            if qs:
                services.choose_quote(session, actor, c, qs[0].id)
            if tenure != "owner_occupier":
                services.record_landlord_consent(session, actor, c, version=None, on=today, by="Landlord Ltd")
        elif step == "application_received":
            services.receive_application(session, actor, c, on=today - timedelta(days=10))
        elif step == "approved":
            services.approve(session, actor, c, grant=grant, fees=fees, discretionary=discretionary,
                             discretionary_reason=reason, decision_date=today)
        elif step == "works":
            services.start_works(session, actor, c, on=today)
        elif step == "completed":
            services.complete(session, actor, c, completed_on=today, inspected_on=today)
        elif step == "paid":
            services.record_payment(session, actor, c.id, amount=c.approved_total, paid_on=today)
    if target == "refused":
        services.refuse(session, actor, c, reason="Not eligible", decision_date=today)
    if target == "withdrawn":
        services.withdraw(session, actor, c, reason="Moved house")
    session.flush()
    assert c.state == target, (c.state, target)
    return c
