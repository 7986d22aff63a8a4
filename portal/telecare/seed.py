"""Demo data for telecare: ~400 connections (about 45% still analogue) with responders and fitted
devices moved through the equipment ledger, 18 months of completed jobs, open jobs, and a day of
scheduled visits (today and this week) for the demo installer. Idempotent."""

import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, insert, select, update

from portal.auth.models import User
from portal.equipment import services as equipment
from portal.equipment.models import Asset, Movement, Product, Store
from portal.people.models import Person
from portal.referrals.models import Referral, ReferralNeed
from portal.telecare import services
from portal.telecare.models import Connection, ConnectionDevice, Job, Responder
from portal.timeutil import london_date, utcnow
from portal.timeutil import today as london_today

CONNECTIONS = 400
ANALOGUE_SHARE = 0.45
PRODUCTS = [("TEL-ANA", "Analogue alarm unit", "Alarms", 120, "analogue"),
            ("TEL-HUB", "Digital alarm hub", "Alarms", 180, "digital"),
            ("TEL-PEN", "Pendant alarm", "Alarms", 45, None), ("TEL-FAL", "Fall detector", "Sensors", 90, None),
            ("TEL-SMK", "Linked smoke detector", "Sensors", 60, None)]
NAMES = ["Pat Holt", "Chris Dunn", "Sam Patel", "Jo Wright", "Alex Moss", "Lee Baker", "Kim Shah", "Robin Ellis"]
RELATIONS = ["Daughter", "Son", "Neighbour", "Friend", "Nephew", "Niece"]
PROVIDERS = ["Openline", "Brightcall", "Northern Telecom", "Cityfibre Voice"]
ACCESS = ["Ring twice, hard of hearing", "Side door, dog is friendly", "Park on the drive",
          "Flat 3, buzzer broken: call", "Carer visits 9 to 10am", None, None]
KEY_SAFES = ["Left of the front door", "Behind the side gate", "By the back door, under the light"]


def seed_demo(session, *, connections: int = CONNECTIONS, seed: int = 11) -> None:
    if session.scalar(select(func.count()).select_from(Connection)):
        return
    stores = list(session.scalars(select(Store).order_by(Store.id)))
    people = list(session.scalars(select(Person).order_by(Person.id)))
    if not stores or len(people) < 20:
        return
    rng = random.Random(seed)
    now = utcnow()
    products = _products(session)
    assets = _assets(session, rng, stores, products, connections, now)
    installer = session.scalar(select(User).where(User.email == "installer@demo.council.example"))
    chosen = rng.sample(people, min(connections, len(people) - 12))
    spare = [p for p in people if p not in chosen]
    telecare_refs = list(session.scalars(select(Referral).join(ReferralNeed).where(ReferralNeed.need == "telecare")))
    ref_by_person = {r.person_id: r for r in telecare_refs}
    job_rows, device_rows, move_rows, responder_rows, asset_updates = [], [], [], [], []
    conn_rows = []
    for i, person in enumerate(chosen):
        analogue = rng.random() < ANALOGUE_SHARE
        line = "analogue" if analogue else rng.choices(["digital", "mobile"], [85, 15])[0]
        installed = now - timedelta(days=rng.randint(3, 540) if not analogue else rng.randint(400, 2500),
                                    hours=rng.randint(0, 6))
        unit = assets["TEL-ANA" if analogue else "TEL-HUB"].pop()
        fitted = [unit, assets["TEL-PEN"].pop()]
        if rng.random() < 0.4:
            fitted.append(assets["TEL-FAL"].pop())
        if rng.random() < 0.5:
            fitted.append(assets["TEL-SMK"].pop())
        conn_rows.append(dict(person_id=person.id, unit_asset_id=unit.id, unit_model=unit.product.name,
                              unit_serial=unit.serial, line_type=line,
                              telephone=f"01632 {rng.randint(960000, 960999)}" if line != "mobile" else
                              f"07700 {rng.randint(900000, 900999)}", provider=rng.choice(PROVIDERS),
                              monitoring_start=london_date(installed), status="active",
                              key_safe_present=(ks := rng.random() < 0.6),
                              key_safe_location=rng.choice(KEY_SAFES) if ks else None, created_at=installed,
                              updated_at=installed, version=1))
        ref = ref_by_person.get(person.id)
        priority = rng.choice(["urgent", "routine", "routine"])
        requested = installed - timedelta(days=rng.randint(1, 4) if priority == "urgent" else rng.randint(3, 16))
        job_rows.append(dict(submission_key=f"seed-telecare-{i}", job_type="new_install", person_id=person.id,
                             referral_id=ref.id if ref and ref.received_at < installed else None,
                             priority=priority, state="completed", requested_at=requested,
                             due_date=services.due_after(requested, services.targets()[priority]),  # some are late
                             scheduled_date=london_date(installed),
                             slot=rng.choice(["am", "pm"]), installer_id=installer.id if installer else None,
                             visit=1, completed_at=installed, completed_by_id=installer.id if installer else None,
                             version=2))
        for a in fitted:
            asset_updates.append((a, person.id, installed))
            device_rows.append(dict(person_id=person.id, asset_id=a.id, fitted_at=installed, _person=person.id))
    session.execute(insert(Connection), conn_rows)
    session.execute(insert(Job), job_rows)
    conn_ids = dict(session.execute(select(Connection.person_id, Connection.id)).all())
    job_ids = dict(session.execute(select(Job.person_id, Job.id)
                                   .where(Job.submission_key.like("seed-telecare-%"))).all())
    for row in device_rows:
        pid = row.pop("_person")
        row.update(connection_id=conn_ids[pid], job_id=job_ids[pid], fitted_by_id=installer.id if installer else None)
    session.execute(insert(ConnectionDevice), device_rows)
    for asset, person_id, at in asset_updates:
        asset.status, asset.person_id, asset.on_loan_since, asset.loan_count = "on_loan", person_id, at, 1
        move_rows.append(dict(at=at, kind="deliver", store_id=asset.store_id, product_id=asset.product_id,
                              asset_id=asset.id, on_hand_change=0, reserved_change=0, cleaning_change=0,
                              from_status="available", to_status="on_loan", reason="Fitted (demo history)",
                              actor="seed-demo"))
    session.execute(insert(Movement), move_rows)
    for cid in conn_ids.values():
        order = 1
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            responder_rows.append(dict(connection_id=cid, call_order=order, kind="named", name=rng.choice(NAMES),
                                       phone=f"07700 {rng.randint(900000, 900999)}",
                                       relationship_to_person=rng.choice(RELATIONS)))
            order += 1
        if rng.random() < 0.35:
            responder_rows.append(dict(connection_id=cid, call_order=order, kind="service", name=None, phone=None,
                                       relationship_to_person=None))
    session.execute(insert(Responder), responder_rows)
    session.flush()
    _history(session, rng, now, installer, conn_ids)
    _open_jobs(session, rng, now, installer, spare, conn_ids)


def _products(session) -> dict:
    found = {p.code: p for p in session.scalars(select(Product).where(Product.code.in_([c for c, *_ in PRODUCTS])))}
    for code, name, area, cost, unit in PRODUCTS:
        if code not in found:
            found[code] = equipment.create_product(
                session, "seed-demo", code=code, name=name, category="telecare", area=area, supply="loan",
                tracking="serialised", warranty_months=36, cleaning_required=True, unit_cost=cost, self_purchase=False,
                alarm_unit=unit)
    return found


def _assets(session, rng, stores, products, connections, now) -> dict:
    """Enough available telecare assets for the demo, added in bulk with their ledger rows."""
    need = {"TEL-ANA": int(connections * ANALOGUE_SHARE) + 40, "TEL-HUB": connections + 40,
            "TEL-PEN": connections + 40, "TEL-FAL": connections // 2 + 30, "TEL-SMK": connections // 2 + 40}
    rows, n = [], session.scalar(select(func.count()).select_from(Asset)) + 1
    for code, count in need.items():
        product = products[code]
        have = session.scalar(select(func.count()).select_from(Asset).where(Asset.product_id == product.id,
                                                                         Asset.status == "available")) or 0
        for _ in range(max(0, count - have)):
            store = rng.choice(stores)
            bought = london_date(now - timedelta(days=rng.randint(800, 2600)))
            rows.append(dict(asset_tag=f"TC-{n:06d}", serial=f"{code[4:]}{rng.randint(10**7, 10**8 - 1)}",
                             product_id=product.id, store_id=store.id, status="available", loan_count=0,
                             purchased_on=bought, purchase_cost=product.unit_cost, created_at=now, version=1,
                             warranty_end=equipment.warranty_end(bought, product.warranty_months)))
            n += 1
    if rows:
        session.execute(insert(Asset), rows)
        new = session.execute(select(Asset.id, Asset.store_id, Asset.product_id)
                              .where(Asset.asset_tag.in_([r["asset_tag"] for r in rows]))).all()
        session.execute(insert(Movement), [dict(at=now - timedelta(days=900), kind="received", store_id=a.store_id,
                                                product_id=a.product_id, asset_id=a.id, on_hand_change=0,
                                                reserved_change=0, cleaning_change=0, to_status="available",
                                                reason="Opening stock", actor="seed-demo") for a in new])
    out = {}
    for code in need:
        out[code] = list(session.scalars(select(Asset).where(Asset.product_id == products[code].id,
                                                             Asset.status == "available").order_by(Asset.id.desc())))
    return out


def _history(session, rng, now, installer, conn_ids) -> None:
    """Completed switchover jobs spread over 18 months (the progress chart), a few removals and
    no-access visits. Bulk rows: the connections above are already digital for these people."""
    digital = list(session.scalars(select(Connection).where(Connection.line_type == "digital")))
    rows = []
    for i, conn in enumerate(rng.sample(digital, min(len(digital), 120))):
        done = now - timedelta(days=rng.randint(1, 540))
        if london_date(done) < conn.monitoring_start:
            continue
        rows.append(dict(submission_key=f"seed-switch-{i}", job_type="digital_switchover", person_id=conn.person_id,
                         priority="routine", state="completed", requested_at=done - timedelta(days=10),
                         due_date=london_date(done), scheduled_date=london_date(done), slot="am", visit=1,
                         installer_id=installer.id if installer else None, completed_at=done,
                         completed_by_id=installer.id if installer else None, version=2))
    for i, conn in enumerate(rng.sample(digital, 15)):
        when = now - timedelta(days=rng.randint(1, 200))
        rows.append(dict(submission_key=f"seed-fault-{i}", job_type="fault_visit", person_id=conn.person_id,
                         priority="urgent", state=rng.choice(["completed", "no_access", "cancelled"]),
                         requested_at=when - timedelta(days=2), due_date=london_date(when),
                         scheduled_date=london_date(when),
                         slot="pm", visit=1, installer_id=installer.id if installer else None,
                         reason="Nobody home; card left", version=2))
    if rows:
        session.execute(insert(Job), rows)
    # Each completed switchover fitted the digital unit the connection has now (the catalogue says
    # it is digital-capable), so no switchover was ever completed with an analogue alarm.
    for job_id, person_id, done in session.execute(select(Job.id, Job.person_id, Job.completed_at).where(
            Job.submission_key.like("seed-switch-%"))).all():
        unit_id = session.scalar(select(Connection.unit_asset_id).where(Connection.person_id == person_id))
        session.execute(update(ConnectionDevice).where(ConnectionDevice.asset_id == unit_id,
                                                       ConnectionDevice.removed_at.is_(None))
                        .values(job_id=job_id, fitted_at=done))


def _open_jobs(session, rng, now, installer, spare, conn_ids) -> None:
    """Requested jobs for the coordinators, and today's and this week's visits for the installer."""
    if installer is None:
        return
    today = london_today()
    analogue = list(session.scalars(select(Connection).where(Connection.line_type == "analogue")
                                    .order_by(Connection.id).limit(30)))
    plan = []
    for person in spare[:6]:
        plan.append(("new_install", person.id, "Digital alarm hub, pendant, linked smoke detector"))
    for conn in analogue[:6]:
        plan.append(("digital_switchover", conn.person_id, "Digital alarm hub (replaces the analogue unit)"))
    # Each visit in its own installer slot (never double-booked), on days the service books.
    days = [d for d in (today + timedelta(days=i) for i in range(0, 10))
            if (d == today or d.weekday() < 5) and services.works_on(d) is None]
    slots = ["am", "pm", "17:30"]
    for i, (job_type, person_id, to_fit) in enumerate(plan):
        start = datetime.combine(today - timedelta(days=rng.randint(1, 6)), time(10))
        job, _ = services.create_job(session, "seed-demo", person_id=person_id, job_type=job_type,
                                     priority="urgent" if i % 3 == 0 else "routine", to_fit=to_fit,
                                     access_notes=rng.choice(ACCESS), submission_key=f"seed-open-{i}", now=start)
        services.schedule_job(session, "seed-demo", job.id, on=days[i // len(slots)], slot=slots[i % len(slots)],
                              installer_id=installer.id, route_order=(i % len(slots)) + 1)
    for i, person in enumerate(spare[6:12]):
        start = now - timedelta(days=rng.randint(0, 12))
        services.create_job(session, "seed-demo", person_id=person.id, job_type="new_install",
                            priority=rng.choice(["urgent", "routine"]), to_fit="Pendant alarm and hub",
                            submission_key=f"seed-req-{i}", now=start)
    session.flush()
