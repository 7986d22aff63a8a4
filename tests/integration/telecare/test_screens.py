"""The coordinators' telecare screens (issue 20): the jobs list on the list pattern (filters in the
URL, sorting by column, pagination to the last job), the job's record page, booking on its own page,
and cancelling as a decision with a check step."""

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.people.models import Person
from portal.telecare import services
from portal.telecare.models import Job
from portal.timeutil import today
from portal.web.lists import PAGE_SIZE
from tests.conftest import csrf_from

COUNT = re.compile(r'id="list-count"[^>]*>([^<]+)<')


def _count(html: str) -> str:
    return COUNT.search(html).group(1).strip()


def _job_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/telecare/jobs/(\d+)"', html)]


def _people_with_jobs(session, n: int, surname: str = "Listwell") -> list[Job]:
    jobs = []
    for i in range(n):
        person = Person(given_name=f"Ada{i}", family_name=f"{surname}{i:03d}", date_of_birth=date(1940, 1, 1),
                        address_line_1=f"{i} Long Row",
                        postcode=f"ZZ{i % 9} 1AB", locality="North", communication_needs=[], tenure="owner")
        session.add(person)
        session.flush()
        job, _ = services.create_job(session, "t", person_id=person.id, job_type="new_install", priority="routine")
        jobs.append(job)
    session.commit()
    return jobs


def test_the_jobs_list_filters_sorts_and_reaches_the_last_job(client, staff, db_session, installer):
    extra = 7
    jobs = _people_with_jobs(db_session, PAGE_SIZE + extra)
    fitter = installer("Una Fitter")
    booked = services.schedule_job(db_session, "t", jobs[3].id, on=today(), slot="pm", installer_id=fitter.id)
    late = db_session.get(Job, jobs[5].id)
    late.due_date = today() - timedelta(days=3)
    db_session.commit()
    staff.login_as("triage_officer")

    first = client.get("/telecare/")
    assert first.status_code == 200 and first.text.count("<h1") == 1
    total = db_session.scalar(select(func.count()).select_from(Job))
    assert _count(first.text).startswith(f"{total} jobs")
    assert "Showing 1 to 50" in first.text and "first 200" not in first.text
    assert 'class="govuk-pagination"' in first.text and "app-width-container--wide" in first.text
    last_page = (total + PAGE_SIZE - 1) // PAGE_SIZE
    assert f'href="/telecare/?page={last_page}"' in first.text  # GOV.UK pagination links to the last page

    # sorted by job number, descending: the newest job first; the last page ends with the oldest
    newest = client.get("/telecare/?sort=job&order=descending")
    assert _job_ids(newest.text)[0] == max(j.id for j in jobs)
    assert 'aria-sort="descending"' in newest.text
    end = client.get(f"/telecare/?sort=job&order=descending&page={last_page}")
    assert f"to {total}</span>" in end.text.replace(",", "")
    assert _job_ids(end.text)[-1] == min(db_session.scalars(select(Job.id)))
    everything = set()
    for n in range(1, last_page + 1):
        everything |= set(_job_ids(client.get(f"/telecare/?sort=person&page={n}").text))
    assert {j.id for j in jobs} <= everything  # every job is on some page

    # filters in the URL, each shown as a removable tag, with "Clear filters"
    found = client.get("/telecare/?q=listwell004")
    assert _count(found.text) == "1 job" and _job_ids(found.text) == [jobs[4].id]
    assert "Clear filters" in found.text and "Remove this filter" in found.text
    by_number = client.get(f"/telecare/?q={jobs[6].id}")
    assert jobs[6].id in _job_ids(by_number.text)
    mine = client.get(f"/telecare/?installer={fitter.id}&visit=today")
    assert _count(mine.text) == "1 job" and _job_ids(mine.text) == [booked.id]
    assert "Una Fitter" in mine.text
    overdue = client.get("/telecare/?overdue=yes")
    assert late.id in _job_ids(overdue.text) and jobs[4].id not in _job_ids(overdue.text)
    unbooked = client.get("/telecare/?visit=unbooked&type=new_install&state=requested")
    assert booked.id not in _job_ids(unbooked.text)
    assert _count(client.get("/telecare/?state=cancelled").text) == "No jobs match these filters"
    # an unknown value is dropped, never an error
    assert client.get("/telecare/?state=nonsense&installer=abc&page=zz&sort=evil").status_code == 200
    # the staff home's counts are the list's own
    assert services.queries.count_jobs(db_session, overdue=True) == int(_count(overdue.text).split()[0])


def test_the_job_page_is_a_record_for_coordinators_only(client, staff, db_session, world, installer):
    fitter = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="urgent", to_fit="Hub and pendant")
    services.schedule_job(db_session, "t", job.id, on=today(), slot="am", installer_id=fitter.id)
    db_session.commit()
    staff.login_as("triage_officer")
    page = client.get(f"/telecare/jobs/{job.id}")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert "moj-identity-bar" in page.text and "Edna Brookes" in page.text  # the identity bar
    assert re.search(r'govuk-caption-l">\s*New install', page.text)  # the caption names the job type
    assert "govuk-summary-card" in page.text and "Hub and pendant" in page.text
    assert f'href="/telecare/jobs/{job.id}/schedule"' in page.text  # Change on the visit card
    assert "Reschedule the visit" in page.text and f'href="/telecare/jobs/{job.id}/cancel"' in page.text
    assert "moj-timeline" in page.text and "Visit booked" in page.text and "Job requested" in page.text
    assert 'method="post"' not in page.text.split("<main", 1)[1]  # actions have their own pages
    booking = client.get(f"/telecare/jobs/{job.id}/schedule")
    assert booking.status_code == 200 and "Reschedule the visit" in booking.text

    staff.client.post("/sign-out", data={"csrf_token": csrf_from(page.text)})
    staff.login_as("stores_officer")
    for url in (f"/telecare/jobs/{job.id}", f"/telecare/jobs/{job.id}/schedule", f"/telecare/jobs/{job.id}/cancel",
                "/telecare/"):
        assert client.get(url).status_code == 403, url
    home = client.get("/staff").text
    assert "/telecare/" not in home  # no link to a page that would refuse them


def test_cancelling_a_job_needs_confirmation(client, staff, db_session, world):
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    db_session.commit()
    staff.login_as("triage_officer")
    url = f"/telecare/jobs/{job.id}/cancel"
    form = client.get(url)
    assert form.status_code == 200 and form.text.count("<h1") == 1 and 'name="reason"' in form.text
    token = csrf_from(form.text)

    def cancelled() -> int:
        return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "telecare.job_cancelled", AuditEvent.entity_id == str(job.id)))

    empty = client.post(url, data={"csrf_token": token, "version": job.version, "reason": ""})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text

    check = client.post(url, data={"csrf_token": token, "version": job.version, "reason": "Moved to a care home"})
    assert check.status_code == 200 and "Check your decision: cancel the job" in check.text
    assert "Moved to a care home" in check.text and 'name="confirmed" value="yes"' in check.text
    db_session.expire_all()
    assert db_session.get(Job, job.id).state == "requested" and cancelled() == 0  # nothing changed yet

    change = client.post(url, data={"csrf_token": token, "version": job.version, "reason": "Moved to a care home",
                                    "change": "yes"})
    assert change.status_code == 200 and re.search(r'name="reason"[^>]*value="Moved to a care home"', change.text)
    db_session.expire_all()
    assert db_session.get(Job, job.id).state == "requested"

    done = client.post(url, data={"csrf_token": token, "version": job.version, "reason": "Moved to a care home",
                                  "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/telecare/jobs/{job.id}")
    db_session.expire_all()
    assert db_session.get(Job, job.id).state == "cancelled" and cancelled() == 1
    page = client.get(f"/telecare/jobs/{job.id}")
    assert "Job cancelled" in page.text and f'href="{url}"' not in page.text
    again = client.post(url, data={"csrf_token": token, "version": job.version, "reason": "Twice"})
    assert again.status_code == 422 and "cannot be cancelled" in again.text  # refused before any check page
    assert cancelled() == 1
