from sqlalchemy import func, select

from portal.dfg.models import DfgCase
from portal.dfg.seed import seed_demo


def test_demo_seed_is_realistic_and_idempotent(db_session, client, staff):
    assert seed_demo(db_session) == 150
    assert seed_demo(db_session) == 0
    states = dict(db_session.execute(select(DfgCase.state, func.count()).group_by(DfgCase.state)).all())
    assert len(states) >= 8
    staff.login_as("manager")
    assert client.get("/dfg/cases?state=all").status_code == 200
    assert client.get("/dfg/cases?clock=breached").status_code == 200
    budget = client.get("/dfg/budget")
    assert budget.status_code == 200 and "Committed" in budget.text
