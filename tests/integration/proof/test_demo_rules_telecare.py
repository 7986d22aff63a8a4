"""The telecare demo data obeys every telecare rule (issue 17): it is loaded as `make run` loads
it, then each rule is checked over every row, so the demo never shows a state the rules forbid
(like a digital switchover completed by fitting an analogue alarm)."""

from collections import defaultdict

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.equipment.models import Asset, Product
from portal.extensions import db
from portal.telecare import services
from portal.telecare.models import OPEN_JOB_STATES, Connection, ConnectionDevice, Job, JobStep, Responder
from tests.integration.proof.conftest import demo_app_on_its_own_database


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_app_on_its_own_database(tmp_path_factory, "telecare_demo", "demo rules password 2026") as app, \
            app.app_context():
        yield db.session
        db.session.remove()


def test_there_is_telecare_demo_data(demo):
    assert demo.scalar(select(Connection.id).limit(1)) is not None
    assert demo.scalar(select(Job.id).where(Job.state == "scheduled").limit(1)) is not None


def test_every_completed_switchover_fitted_a_digital_unit_and_left_a_digital_line(demo):
    switchovers = list(demo.scalars(select(Job).where(Job.job_type == "digital_switchover", Job.state == "completed")))
    assert switchovers
    for job in switchovers:
        units = demo.scalars(select(Product.alarm_unit).join(Asset, Asset.product_id == Product.id)
                             .join(ConnectionDevice, ConnectionDevice.asset_id == Asset.id)
                             .where(ConnectionDevice.job_id == job.id)).all()
        assert "digital" in units, job.id
        assert services.connection_for(demo, job.person_id).line_type in ("digital", "mobile"), job.id


def test_live_units_come_from_the_catalogue_and_suit_the_line(demo):
    for conn in demo.scalars(select(Connection).where(Connection.status != "ended")):
        product = demo.get(Asset, conn.unit_asset_id).product
        assert product.alarm_unit in ("digital", "analogue"), conn.id
        if product.alarm_unit == "analogue":
            assert conn.line_type == "analogue", conn.id


def test_one_open_job_of_a_type_per_person_and_no_new_install_over_a_live_connection(demo):
    seen = set()
    live = set(demo.scalars(select(Connection.person_id).where(Connection.status != "ended")))
    for job in demo.scalars(select(Job).where(Job.state.in_(OPEN_JOB_STATES))):
        assert (job.person_id, job.job_type) not in seen, job.id
        seen.add((job.person_id, job.job_type))
        if job.job_type == "new_install":
            assert job.person_id not in live, job.id


def test_no_installer_is_double_booked_and_visits_are_on_working_days(demo):
    booked = defaultdict(list)
    for job in demo.scalars(select(Job).where(Job.state == "scheduled")):
        assert services.works_on(job.scheduled_date) is None, job.id
        booked[(job.installer_id, job.scheduled_date)].append(job)
    for jobs in booked.values():
        spans = sorted((services.visit_span(j.slot), j.id) for j in jobs)
        for ((_, end), a), ((start, _), b) in zip(spans, spans[1:], strict=False):
            assert end <= start, (a, b)


def test_every_live_connection_has_someone_to_call_and_numbers_are_uk_national(demo):
    for conn in demo.scalars(select(Connection).where(Connection.status != "ended")):
        assert services.reachable(conn.responders), conn.id
        if conn.telephone:
            assert services.parse_uk_phone(conn.telephone) == conn.telephone, conn.id
    for responder in demo.scalars(select(Responder).where(Responder.kind == "named")):
        assert services.parse_uk_phone(responder.phone) == responder.phone, responder.id


def test_no_key_safe_code_is_stored_anywhere_in_telecare(demo):
    for job in demo.scalars(select(Job)):
        for text in (job.access_notes, job.to_fit, job.reason):
            assert not services.looks_like_key_safe_code(text), job.id
    for conn in demo.scalars(select(Connection)):
        assert not services.looks_like_key_safe_code(conn.key_safe_location), conn.id
        assert not services.looks_like_key_safe_code(conn.provider), conn.id
    for r in demo.scalars(select(Responder)):
        assert not services.looks_like_key_safe_code(r.name), r.id
        assert not services.looks_like_key_safe_code(r.relationship_to_person), r.id
    for step in demo.scalars(select(JobStep)):
        assert not services.looks_like_key_safe_code(str(step.details)), step.id
    for event in demo.scalars(select(AuditEvent).where(AuditEvent.action.like("telecare.%"))):
        assert not services.looks_like_key_safe_code(str(event.details)), event.id


def test_steps_are_in_their_real_order(demo):
    for job_id, visit in demo.execute(select(JobStep.job_id, JobStep.visit).distinct()).all():
        steps = {s.step: s for s in demo.scalars(select(JobStep).where(JobStep.job_id == job_id,
                                                                       JobStep.visit == visit))}
        if "test_call_passed" in steps and demo.get(Job, job_id).job_type in services.FIT_TYPES:
            assert "devices_fitted" in steps and steps["devices_fitted"].at <= steps["test_call_passed"].at
        if "completed" in steps and "test_call_passed" in services.REQUIRED_STEPS[demo.get(Job, job_id).job_type]:
            assert "test_call_passed" in steps and steps["test_call_passed"].at <= steps["completed"].at
        if "devices_fitted" in steps:
            late = demo.scalars(select(ConnectionDevice.id).where(
                ConnectionDevice.job_id == job_id, ConnectionDevice.fitted_at > steps["devices_fitted"].at)).all()
            assert late == [], job_id
