"""The jobs list's rows and the installer's job card keep their accessible structure (issue 13), and
the listed jobs are not read again after the views' audit rows are committed."""

import re

from sqlalchemy import event

from portal.extensions import db
from portal.telecare import services
from portal.timeutil import today
from tests.integration.equipment.test_row_markup import _Table


def _job(db_session, world, user):
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="urgent", access_notes="Ring twice", to_fit="Hub and pendant")
    services.schedule_job(db_session, "t", job.id, on=today(), slot="am", installer_id=user.id, route_order=1)
    db_session.commit()
    return job


def test_jobs_list_row_and_no_reload_of_listed_jobs(client, staff, db_session, world, installer):
    job = _job(db_session, world, installer("Ian Walsh"))
    staff.login_as("manager")
    statements = []
    listener = lambda conn, cur, stmt, *a: statements.append(stmt)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = client.get("/telecare/").text
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # On SQLite the first audit row commits the read transaction (begin_write), which expires the job once.
    reloads = [s for s in statements if "FROM telecare_job" in s and "telecare_job.id =" in s]
    assert len(reloads) == (1 if db.engine.dialect.name == "sqlite" else 0)
    table = _Table(html)
    assert {scope for scope, _ in table.headers} == {"col"}
    (row,) = table.rows
    assert row[0] == (f"Job {job.id}", [f"/telecare/jobs/{job.id}"], [])
    assert row[1][0] == "Edna BrookesAB1 2CD" and 'Edna Brookes<span class="app-block app-hint">AB1 2CD</span>' in html
    assert row[2] == ("New installUrgent", [], ["govuk-tag govuk-tag--red"])  # the tag on a line of its own
    assert row[3][2] and row[3][0] == "Scheduled"
    assert row[6][0] == "Ian Walsh"


def test_the_job_card_heading_and_summary_list(client, staff, db_session, world, installer):
    user = installer()
    job = _job(db_session, world, user)
    staff.sign_in(user)
    html = client.get("/telecare/today").text
    card = re.search(rf'<article class="app-job-card" id="job-{job.id}".*?</article>', html, re.S).group(0)
    assert f'aria-labelledby="job-{job.id}-title"' in card
    heading = re.search(r'<h2 class="govuk-heading-m app-job-card__title" id="[^"]+">(.*?)</h2>', card, re.S)
    assert " ".join(re.sub(r"<[^>]+>", " ", heading.group(1)).split()) == "1 Edna Brookes"
    facts = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*'
                       r'<dd class="govuk-summary-list__value">(.*?)</dd>', card, re.S)
    assert [(k, " ".join(v.split())) for k, v in facts][:3] == [
        ("Address", "4 Mill Lane, AB1 2CD"), ("Access notes", "Ring twice"), ("What to fit", "Hub and pendant")]
