"""Telecare services: the job state machine, idempotent steps, device moves through the ledger."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.equipment import services as equipment
from portal.equipment.models import Asset, Movement
from portal.errors import Conflict, IllegalTransition, NotAllowed, Refusal, VersionClash
from portal.telecare import services
from portal.telecare.models import Connection, ConnectionDevice, Job, JobStep
from portal.timeutil import today


def _scheduled(session, world, installer_user, job_type="new_install", **kw):
    job, _ = services.create_job(session, "t", person_id=world["person"].id, job_type=job_type,
                                 priority=kw.pop("priority", "routine"))
    return services.schedule_job(session, "t", job.id, on=today(), slot="am",
                                 installer_id=installer_user.id, route_order=1)


def _install(session, world, user, job=None, tags=("HUB1", "PEN1"), line="digital"):
    job = job or _scheduled(session, world, user)
    services.record_step(session, user, job.id, "arrived")
    for tag in tags:
        services.fit_device(session, user, job.id, world["assets"][tag].asset_tag)
    for step in ("devices_fitted", "test_call_passed", "consent_confirmed", "smoke_heat_checked"):
        services.record_step(session, user, job.id, step)
    services.record_step(session, user, job.id, "responders_confirmed",
                         {"responders": [{"name": "Pat Holt", "phone": "07700 900001"}], "service": True})
    services.record_step(session, user, job.id, "key_safe_checked", {"present": True, "location": "By the door"})
    job, created = services.complete_job(session, user, job.id, line_type=line, telephone="01632 960002",
                                         provider="Openline")
    assert created
    return job


def test_due_dates_follow_the_working_day_targets(db_session, world, app):
    from datetime import datetime

    friday = datetime(2026, 3, 6, 10)  # a Friday, no bank holidays in the next fortnight
    urgent, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                    priority="urgent", now=friday)
    services.cancel_job(db_session, "t", urgent.id, "Raised again")  # one open install a person
    routine, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                     priority="routine", now=friday)
    services.cancel_job(db_session, "t", routine.id, "Raised again")
    assert urgent.due_date.isoformat() == "2026-03-10"  # Tuesday: 2 working days
    assert routine.due_date.isoformat() == "2026-03-20"  # 10 working days
    app.config["TELECARE_TARGETS"] = {"urgent": 1}
    try:
        again, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                       priority="urgent", now=friday)
        assert again.due_date.isoformat() == "2026-03-09"
    finally:
        app.config["TELECARE_TARGETS"] = {}


def test_a_repeated_submission_key_makes_one_job(db_session, world):
    a, created = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                     priority="routine", submission_key="k-1-" + world["suffix"])
    b, again = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                   priority="routine", submission_key="k-1-" + world["suffix"])
    assert created and not again and a.id == b.id


def test_state_machine_legal_and_illegal(db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="urgent")
    assert job.state == "requested"
    for not_theirs in (lambda: services.complete_job(db_session, user, job.id),
                       lambda: services.record_step(db_session, user, job.id, "arrived"),
                       lambda: services.no_access(db_session, user, job.id, "Out")):
        with pytest.raises(NotAllowed, match="Only the installer job .* is assigned to"):
            not_theirs()  # nobody is assigned yet
    job = services.schedule_job(db_session, "t", job.id, on=today(), slot="pm", installer_id=user.id)
    assert job.state == "scheduled" and job.visit == 1
    with pytest.raises(IllegalTransition, match="Record that you have arrived first"):
        services.record_step(db_session, user, job.id, "test_call_passed")
    job, _ = services.no_access(db_session, user, job.id, "Nobody in")
    assert job.state == "no_access" and job.reason == "Nobody in"
    with pytest.raises(IllegalTransition, match="is no access, so nothing more can be recorded"):
        services.complete_job(db_session, user, job.id)
    job = services.schedule_job(db_session, "t", job.id, on=today() + timedelta(days=1), slot="10:30",
                                installer_id=user.id)
    assert job.state == "scheduled" and job.visit == 2  # the no-access visit keeps its own steps
    job = services.cancel_job(db_session, "t", job.id, "Person moved into a care home")
    assert job.state == "cancelled"
    with pytest.raises(IllegalTransition, match="is cancelled, so its visit cannot be booked"):
        services.schedule_job(db_session, "t", job.id, on=today(), slot="am", installer_id=user.id)
    with pytest.raises(IllegalTransition, match="is cancelled, so it cannot be cancelled"):
        services.cancel_job(db_session, "t", job.id, "again")
    actions = set(db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "telecare_job",
                                                                     AuditEvent.entity_id == str(job.id))))
    assert {"telecare.job_requested", "telecare.job_scheduled", "telecare.job_no_access",
            "telecare.job_rescheduled", "telecare.job_cancelled"} <= actions


def test_only_coordinators_schedule_and_cancel(db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    with pytest.raises(NotAllowed, match="Only a telecare coordinator"):
        services.schedule_job(db_session, user, job.id, on=today(), slot="am", installer_id=user.id)
    with pytest.raises(NotAllowed, match="Only a telecare coordinator"):
        services.cancel_job(db_session, user, job.id, "Not needed")
    assert services.allowed_actions(user, job) == frozenset()
    assert services.allowed_actions("t", job) == {"schedule", "cancel"}


def test_a_stale_version_is_a_clash_that_names_the_job(db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    old = job.version
    services.schedule_job(db_session, "t", job.id, on=today(), slot="am", installer_id=user.id)
    with pytest.raises(VersionClash, match="changed by someone else") as caught:
        services.cancel_job(db_session, "t", job.id, "Not needed", expected_version=old)
    assert (caught.value.entity_type, caught.value.entity_id) == ("telecare_job", job.id)
    assert db_session.get(Job, job.id).state == "scheduled"


def test_scheduling_refusals_name_their_field(db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    yesterday = today() - timedelta(days=1)
    for kwargs, field, message in (
            ({"on": yesterday, "slot": "am", "installer_id": user.id}, "on", "today or in the future"),
            ({"on": today(), "slot": "25:99", "installer_id": user.id}, "slot", "Select a time slot"),
            ({"on": today(), "slot": "am", "installer_id": -1}, "installer_id", "Select an installer")):
        with pytest.raises(Refusal, match=message) as caught:
            services.schedule_job(db_session, "t", job.id, **kwargs)
        assert caught.value.field == field


def test_steps_are_idempotent(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    first, created = services.record_step(db_session, user, job.id, "arrived")
    again, created_again = services.record_step(db_session, user, job.id, "arrived")
    assert created and not created_again and first.id == again.id
    assert db_session.scalar(select(func.count()).select_from(JobStep).where(JobStep.job_id == job.id)) == 1


def test_install_moves_devices_through_the_ledger_and_makes_the_connection(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    with pytest.raises(IllegalTransition, match="Scan or type"):
        services.record_step(db_session, user, job.id, "devices_fitted")
    hub = world["assets"]["HUB1"]
    asset, created = services.fit_device(db_session, user, job.id, hub.asset_tag.lower())
    _, again = services.fit_device(db_session, user, job.id, hub.asset_tag)  # scanned twice
    assert created and not again
    assert db_session.get(Asset, hub.id).status == "on_loan"
    assert db_session.get(Asset, hub.id).person_id == world["person"].id
    with pytest.raises(Refusal, match="No device has the asset tag NO-SUCH-TAG") as caught:
        services.fit_device(db_session, user, job.id, "no-such-tag")
    assert caught.value.field == "tag"
    with pytest.raises(IllegalTransition, match="Before completing, record: devices fitted, test call"):
        services.complete_job(db_session, user, job.id, line_type="digital")
    job = _install(db_session, world, user, job=job, tags=("PEN1",))
    assert job.state == "completed"
    conn = db_session.scalar(select(Connection).where(Connection.person_id == world["person"].id))
    assert conn.status == "active" and conn.line_type == "digital" and conn.unit_asset_id == hub.id
    assert conn.unit_serial == hub.serial and conn.telephone == "01632 960002"
    assert [r.display for r in conn.responders] == ["Pat Holt", "Responder service"]
    assert conn.key_safe_present is True
    assert equipment.ledger_discrepancies(db_session) == []
    # A replayed 'complete' changes nothing.
    same, created = services.complete_job(db_session, user, job.id, line_type="digital")
    assert not created and same.id == job.id


def test_install_needs_responders_or_the_service(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    with pytest.raises(Refusal, match="Enter at least one named responder") as caught:
        services.record_step(db_session, user, job.id, "responders_confirmed", {"responders": [], "service": False})
    assert caught.value.field == "responder_1_name"
    with pytest.raises(Refusal, match="Enter a phone number for Pat") as caught:
        services.record_step(db_session, user, job.id, "responders_confirmed",
                             {"responders": [{"name": "Sam", "phone": "07700 900002"}, {"name": "Pat", "phone": ""}]})
    assert caught.value.field == "responder_2_phone"
    with pytest.raises(Refusal, match="Enter the name of responder 1") as caught:
        services.record_step(db_session, user, job.id, "responders_confirmed",
                             {"responders": [{"name": "", "phone": "07700 900003"}]})
    assert caught.value.field == "responder_1_name"


def test_removal_returns_devices_to_stock_awaiting_cleaning(db_session, world, installer):
    user = installer()
    _install(db_session, world, user)
    removal, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="removal",
                                     priority="routine")
    services.schedule_job(db_session, "t", removal.id, on=today(), slot="pm", installer_id=user.id)
    services.record_step(db_session, user, removal.id, "arrived")
    removal, _ = services.complete_job(db_session, user, removal.id)
    for tag in ("HUB1", "PEN1"):
        asset = db_session.get(Asset, world["assets"][tag].id)
        assert asset.status == "awaiting_cleaning" and asset.person_id is None
        kinds = [m.kind for m in equipment.asset_history(db_session, asset.id)]
        assert kinds[:2] == ["collect", "deliver"]  # newest first: fitted to the person, then back to stock
    conn = services.connection_for(db_session, world["person"].id)
    assert conn.status == "ended"
    assert db_session.scalar(select(func.count()).select_from(ConnectionDevice).where(
        ConnectionDevice.person_id == world["person"].id, ConnectionDevice.removed_at.is_(None))) == 0
    assert equipment.ledger_discrepancies(db_session) == []


def test_switchover_replaces_the_analogue_unit(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    _install(db_session, world, user, job=job, tags=("ANA1", "PEN1"), line="analogue")
    conn = services.connection_for(db_session, world["person"].id)
    conn.line_type = "analogue"
    db_session.flush()
    switch, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="digital_switchover",
                                    priority="routine")
    services.schedule_job(db_session, "t", switch.id, on=today(), slot="pm", installer_id=user.id)
    services.record_step(db_session, user, switch.id, "arrived")
    services.fit_device(db_session, user, switch.id, world["assets"]["HUB2"].asset_tag)
    for step in ("devices_fitted", "test_call_passed", "responders_confirmed"):
        services.record_step(db_session, user, switch.id, step)  # responders: the existing list is kept
    services.complete_job(db_session, user, switch.id)
    conn = services.connection_for(db_session, world["person"].id)
    assert conn.line_type == "digital" and conn.unit_asset_id == world["assets"]["HUB2"].id
    assert db_session.get(Asset, world["assets"]["ANA1"].id).status == "awaiting_cleaning"
    assert db_session.get(Asset, world["assets"]["PEN1"].id).status == "on_loan"
    assert equipment.ledger_discrepancies(db_session) == []
    assert services.analogue_by_locality(db_session) == [] or all(
        r["locality"] != "North" or r["analogue"] >= 0 for r in services.analogue_by_locality(db_session))


def test_a_device_fitted_elsewhere_cannot_be_fitted_again(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    services.fit_device(db_session, user, job.id, world["assets"]["PEN2"].asset_tag)
    from portal.people.models import Person

    other = Person(given_name="Olive", family_name="Grant", date_of_birth=world["person"].date_of_birth,
                   address_line_1="1 High St", postcode="AB1 9ZZ", locality="South", communication_needs=[],
                   tenure="owner")
    db_session.add(other)
    db_session.flush()
    job2, _ = services.create_job(db_session, "t", person_id=other.id, job_type="new_install", priority="routine")
    services.schedule_job(db_session, "t", job2.id, on=today(), slot="pm", installer_id=user.id)
    services.record_step(db_session, user, job2.id, "arrived")
    with pytest.raises(Conflict, match=f"Device {world['assets']['PEN2'].asset_tag} is already fitted") as caught:
        services.fit_device(db_session, user, job2.id, world["assets"]["PEN2"].asset_tag)
    assert caught.value.field == "tag"


def test_equipment_fit_and_return_keep_the_ledger(db_session, world):
    asset = world["assets"]["SMK1"]
    equipment.fit_asset(db_session, "t", asset.id, world["person"].id, "Fitted")
    with pytest.raises(IllegalTransition, match="cannot be fitted"):
        equipment.fit_asset(db_session, "t", asset.id, world["person"].id, "Fitted twice")
    equipment.return_fitted_asset(db_session, "t", asset.id, "Removed")
    with pytest.raises(IllegalTransition, match="cannot be returned to stock"):
        equipment.return_fitted_asset(db_session, "t", asset.id, "Removed twice")
    assert db_session.get(Asset, asset.id).status == "awaiting_cleaning"
    rows = db_session.scalars(select(Movement.to_status).where(Movement.asset_id == asset.id)
                              .order_by(Movement.id)).all()
    assert rows == ["available", "on_loan", "awaiting_cleaning"]
    assert equipment.ledger_discrepancies(db_session) == []


def test_switchover_batch_is_idempotent(db_session, world, installer):
    user = installer()
    _install(db_session, world, user, tags=("ANA2", "PEN1"), line="analogue")
    services.connection_for(db_session, world["person"].id).line_type = "analogue"
    db_session.flush()
    key = "2f1e8a2c-1111-4222-8333-444455556666"
    assert services.create_switchover_batch(db_session, "t", "North", 10, batch_key=key) == 1
    assert services.create_switchover_batch(db_session, "t", "North", 10, batch_key=key) == 0
    assert db_session.scalar(select(func.count()).select_from(Job).where(
        Job.job_type == "digital_switchover", Job.person_id == world["person"].id)) == 1


def test_figures(db_session, world, installer):
    user = installer()
    _install(db_session, world, user)
    result = services.figures(db_session, today() - timedelta(days=30), today())
    assert result["installs"] >= 1
    assert result["connections_by_line_type"]["digital"] >= 1
    assert set(result) >= {"referral_to_install_days_median", "installs_per_month", "install_rate",
                           "analogue_remaining"}
    north = services.figures(db_session, today() - timedelta(days=30), today(), locality="North")
    assert north["installs"] >= 1


def test_the_test_call_comes_after_the_devices_and_no_device_is_fitted_after_it(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    services.fit_device(db_session, user, job.id, world["assets"]["HUB1"].asset_tag)
    with pytest.raises(IllegalTransition, match="Make the test call after the devices are fitted"):
        services.record_step(db_session, user, job.id, "test_call_passed")
    services.record_step(db_session, user, job.id, "devices_fitted")
    with pytest.raises(IllegalTransition, match="All devices fitted is already recorded"):
        services.fit_device(db_session, user, job.id, world["assets"]["PEN1"].asset_tag)
    services.record_step(db_session, user, job.id, "test_call_passed")
    assert db_session.get(Asset, world["assets"]["PEN1"].id).status == "available"


def test_a_visit_booked_for_a_later_day_cannot_be_started(db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    later = today() + timedelta(days=3)
    services.schedule_job(db_session, "t", job.id, on=later, slot="am", installer_id=user.id)
    assert services.allowed_actions(user, job) == frozenset()
    with pytest.raises(IllegalTransition, match="This visit is booked for"):
        services.record_step(db_session, user, job.id, "arrived")


def test_another_installer_cannot_work_the_job(db_session, world, installer):
    mine, theirs = installer("Ian Walsh"), installer("Other Installer")
    job = _scheduled(db_session, world, mine)
    with pytest.raises(NotAllowed, match="Only the installer job .* is assigned to"):
        services.record_step(db_session, theirs, job.id, "arrived")
    with pytest.raises(NotAllowed, match="Only the installer job .* is assigned to"):
        services.fit_device(db_session, theirs, job.id, world["assets"]["HUB1"].asset_tag)
    assert services.allowed_actions(theirs, job) == frozenset()


def test_a_tap_from_an_earlier_visit_is_a_refusal_not_a_clash(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived", visit=1)
    services.no_access(db_session, user, job.id, "Nobody in", visit=1)
    job = services.schedule_job(db_session, "t", job.id, on=today(), slot="pm", installer_id=user.id)
    assert job.visit == 2
    for late in (lambda: services.record_step(db_session, user, job.id, "consent_confirmed", visit=1),
                 lambda: services.fit_device(db_session, user, job.id, world["assets"]["HUB1"].asset_tag, visit=1),
                 lambda: services.complete_job(db_session, user, job.id, line_type="digital", visit=1),
                 lambda: services.fail_job(db_session, user, job.id, "No signal", visit=1)):
        with pytest.raises(IllegalTransition, match="That tap was for an earlier visit"):
            late()
    assert services.steps_done(db_session, job) == {}


def test_a_new_install_needs_an_alarm_unit_and_the_line_type(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    services.fit_device(db_session, user, job.id, world["assets"]["PEN1"].asset_tag)  # a pendant, no unit
    for step in ("devices_fitted", "test_call_passed", "consent_confirmed", "smoke_heat_checked"):
        services.record_step(db_session, user, job.id, step)
    services.record_step(db_session, user, job.id, "responders_confirmed", {"service": True})
    assert "completed" not in services.allowed_actions(user, job)
    with pytest.raises(IllegalTransition, match="Fit an alarm unit"):
        services.complete_job(db_session, user, job.id, line_type="digital")


def test_a_switchover_completes_only_with_a_digital_unit_on_a_digital_line(db_session, world, installer):
    user = installer()
    _install(db_session, world, user, tags=("ANA1", "PEN1"), line="analogue")
    services.connection_for(db_session, world["person"].id).line_type = "analogue"
    db_session.flush()
    switch, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="digital_switchover",
                                    priority="routine")
    services.schedule_job(db_session, "t", switch.id, on=today(), slot="pm", installer_id=user.id)
    services.record_step(db_session, user, switch.id, "arrived")
    services.fit_device(db_session, user, switch.id, world["assets"]["ANA2"].asset_tag)  # another analogue unit
    for step in ("devices_fitted", "test_call_passed", "responders_confirmed"):
        services.record_step(db_session, user, switch.id, step)
    assert "completed" not in services.allowed_actions(user, switch)
    with pytest.raises(IllegalTransition, match="digital-capable unit"):
        services.complete_job(db_session, user, switch.id)

    services.cancel_job(db_session, "t", switch.id, "Wrong unit taken")
    again, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="digital_switchover",
                                   priority="routine")
    services.schedule_job(db_session, "t", again.id, on=today(), slot="pm", installer_id=user.id)
    services.record_step(db_session, user, again.id, "arrived")
    services.fit_device(db_session, user, again.id, world["assets"]["HUB2"].asset_tag)
    for step in ("devices_fitted", "test_call_passed", "responders_confirmed"):
        services.record_step(db_session, user, again.id, step)
    assert "completed" in services.allowed_actions(user, again)
    with pytest.raises(Refusal, match="leaves the alarm on a digital line") as caught:
        services.complete_job(db_session, user, again.id, line_type="analogue")
    assert caught.value.field == "line_type"
    job, created = services.complete_job(db_session, user, again.id, line_type="mobile")
    assert created and services.connection_for(db_session, world["person"].id).line_type == "mobile"
