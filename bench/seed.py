"""Bulk-seed a large database quickly (Core inserts in batches, not one ORM object at a time).

    python -m bench.seed --referrals 100000 [--audit 1000000] [--assets 20000 --movements 200000]
        --database sqlite:///bench/work/bench.db

    python -m bench.seed --referrals 100000 --dfg 10000 --telecare 5000 --advice 20000 ...

Also creates the load generator's staff accounts (BENCH_STAFF, password BENCH_PASSWORD) and
`--orders` requested equipment orders for the reservation POST. `--dfg` DFG cases (with works,
test of resources, quotes, payments and stage history), `--telecare` telecare connections (with
fitted devices, responders, installation jobs and their steps) and `--advice` completed online
self-assessments reuse the people the referrals made. On PostgreSQL every seeded table's id
sequence is moved past the ids written here, so the app's own inserts do not collide.
"""

import argparse
import random
import secrets
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import bindparam, func, insert, select, update

from portal import create_app
from portal.audit.models import AuditEvent
from portal.config import TestConfig
from portal.extensions import db, write_intent
from portal.people.models import Person
from portal.referrals.models import OPEN_STATES, OUTCOMES, Referral, ReferralNeed, ReferralPause
from portal.referrals.seed import FAMILY, GIVEN, INWARD_LETTERS, STREETS
from portal.referrals.services import REFERENCE_ALPHABET

BATCH = 5000
NEEDS = ["telecare", "equipment", "minor_adaptation", "major_adaptation", "ot_assessment", "falls"]
SOURCES = ["gp", "self_assessment", "self", "carer", "hospital_discharge", "social_worker", "nhs_111"]
STATES = ["submitted", "screened", "awaiting_assessment", "assessed", "closed", "closed", "closed", "closed",
          "withdrawn", "declined"]


def make_app(url: str):
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    return create_app(config)


def _reference(rng) -> str:
    chars = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{chars[:4]}-{chars[4:]}"


def seed_referrals(conn, n: int, rng: random.Random, now: datetime, start_id: int = 1) -> None:
    """n people with one referral each; 20 % open with due times around now."""
    refs = set()
    for base in range(start_id, start_id + n, BATCH):
        people, referrals, needs, pauses = [], [], [], []
        milestones = random.Random(base)  # its own stream: the columns the queue reads stay as they were
        for i in range(base, min(base + BATCH, start_id + n)):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            postcode = f"AD{rng.randint(1, 9)} {inward}"
            people.append({"id": i, "given_name": given, "family_name": family,
                           "date_of_birth": date(rng.randint(1925, 1965), rng.randint(1, 12), rng.randint(1, 28)),
                           "address_line_1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}", "postcode": postcode,
                           "locality": rng.choice(["North", "Central", "South"]), "tenure": "owner",
                           "communication_needs": [], "created_at": now, "version": 1,
                           "nhs_number": None})
            received = now - timedelta(minutes=rng.randint(0, 548 * 24 * 60))
            state = rng.choice(STATES) if rng.random() < 0.5 else "closed"
            is_open = state in OPEN_STATES
            due = received + timedelta(days=rng.choice([2, 10, 28])) if is_open else None
            ref = _reference(rng)
            while ref in refs:
                ref = _reference(rng)
            refs.add(ref)
            referrals.append({
                "id": i, "reference": ref, "person_id": i, "state": state, "source": rng.choice(SOURCES),
                "priority": rng.choice(["urgent", "high", "routine", "routine"]), "suggested_priority": None,
                "received_at": received, "contact_due_at": due, "assessment_due_at": due, "next_due_at": due,
                "help_wanted": "Help at home", "consent_given": True, "locality": people[-1]["locality"],
                "search_name": f"{family} {given}".lower(), "submission_key": str(uuid.UUID(int=rng.getrandbits(128))),
                "version": 1, "closed_at": None if is_open else received + timedelta(days=20)})
            referrals[-1].update(_milestones(milestones, referrals[-1], now, pauses))
            for need in rng.sample(NEEDS, rng.randint(1, 2)):
                needs.append({"referral_id": i, "need": need})
        conn.execute(insert(Person), people)
        conn.execute(insert(Referral), referrals)
        conn.execute(insert(ReferralNeed), needs)
        if pauses:
            conn.execute(insert(ReferralPause), pauses)


def _milestones(rng: random.Random, r: dict, now: datetime, pauses: list) -> dict:
    """First contact, assessment, historic due times, outcome and a few pauses, so the dashboard's
    timeliness, waits and outcomes have something to count. All within [received, closed or now]."""
    state, received = r["state"], r["received_at"]
    end = r["closed_at"] or now
    out = {"first_contact_at": None, "assessed_at": None, "outcome": None}
    if r["closed_at"] is not None:
        out["contact_due_at"] = received + timedelta(days=rng.choice([1, 2, 5]))
        out["assessment_due_at"] = received + timedelta(days=rng.choice([2, 10, 28]))
    if state == "submitted" or (state in ("withdrawn", "declined") and rng.random() < 0.5):
        return out
    out["first_contact_at"] = contact = min(received + timedelta(hours=rng.uniform(1, 120)), end)
    if state in ("assessed", "closed"):
        out["assessed_at"] = assessed = min(contact + timedelta(days=rng.uniform(0.5, 14)), end)
        if rng.random() < 0.05 and assessed - contact > timedelta(days=2):
            pauses.append({"referral_id": r["id"], "started_at": contact + timedelta(hours=6),
                           "ended_at": assessed - timedelta(days=1), "reason": "Waiting for the GP"})
    if state == "closed":
        out["outcome"] = rng.choices(list(OUTCOMES), [30, 15, 5, 10, 15, 5, 5, 15])[0]
    return out


def seed_audit(conn, n: int, rng: random.Random, now: datetime, referrals: int) -> None:
    actions = ["person.viewed", "referral.created", "referral.priority_set", "referral.routed", "sign_in"]
    for base in range(0, n, BATCH * 4):
        rows = [{"at": now - timedelta(minutes=rng.randint(0, 548 * 24 * 60)), "actor_id": None,
                 "actor": "bench", "action": rng.choice(actions), "entity_type": "referral",
                 "entity_id": str(rng.randint(1, max(referrals, 1))), "details": {}, "request_id": None,
                 "client_addr": None} for _ in range(min(BATCH * 4, n - base))]
        conn.execute(insert(AuditEvent), rows)


BENCH_PASSWORD = "loopback bench passphrase for staff only"
BENCH_STAFF = {
    "triage": ("bench-triage@bench.council.example", ["triage_officer"]),
    "stores": ("bench-stores@bench.council.example", ["stores_officer", "occupational_therapist"]),
    "manager": ("bench-manager@bench.council.example", ["manager"]),
}
BENCH_PRODUCT_ID = 26  # counted stock with plenty on the shelf in store 1: what the orders ask for
STORES, PRODUCTS = 20, 50


def seed_staff(session) -> None:
    from portal.auth.services import create_user, find_by_email

    for email, roles in BENCH_STAFF.values():
        if find_by_email(session, email) is None:
            create_user(session, "bench", email=email, name=f"Bench {roles[0]}", password=BENCH_PASSWORD,
                        roles=roles)
    session.commit()


def seed_equipment(conn, rng: random.Random, now: datetime, *, assets: int, movements: int, orders: int,
                   people: int) -> None:
    """20 stores, 50 products (half serialised), `assets` assets, `movements` ledger rows and
    `orders` requested orders (one counted line each) ready to be reserved."""
    from portal.equipment.models import Asset, Movement, Product, StockLevel, Store

    conn.execute(insert(Store), [{"id": i, "code": f"B{i:02d}", "name": f"Bench store {i}",
                                  "locality": ["North", "Central", "South"][i % 3], "address": None}
                                 for i in range(1, STORES + 1)])
    conn.execute(insert(Product), [{
        "id": i, "code": f"BP-{i:03d}", "name": f"Bench product {i}", "category": "community_equipment",
        "area": "Bench", "description": None, "supply": "loan", "tracking": "serialised" if i <= 25 else "counted",
        "self_purchase": False, "price_min": None, "price_max": None, "what_to_look_for": None,
        "inspection_months": 6 if i <= 25 else None, "warranty_months": 24, "cleaning_required": True,
        "unit_cost": None, "active": True, "version": 1} for i in range(1, PRODUCTS + 1)])
    conn.execute(insert(StockLevel), [{
        "store_id": st, "product_id": p, "reorder_level": 2, "awaiting_cleaning": 0, "reserved": 0,
        "on_hand": 1_000_000 if (st, p) == (1, BENCH_PRODUCT_ID) else rng.randint(0, 60)}
        for st in range(1, STORES + 1) for p in range(26, PRODUCTS + 1)])
    statuses = ["available"] * 6 + ["on_loan"] * 3 + ["awaiting_cleaning"]
    for base in range(0, assets, BATCH):
        rows = []
        for i in range(base + 1, min(base + BATCH, assets) + 1):
            status = rng.choice(statuses)
            rows.append({"id": i, "asset_tag": f"BA{i:07d}", "serial": None, "product_id": rng.randint(1, 25),
                         "store_id": rng.randint(1, STORES), "status": status,
                         "person_id": rng.randint(1, max(people, 1)) if status == "on_loan" and people else None,
                         "organisation_id": None, "on_loan_since": now if status == "on_loan" else None,
                         "loan_count": rng.randint(0, 9), "purchased_on": date(2024, 1, 1), "purchase_cost": None,
                         "last_inspected_on": None, "warranty_end": date(2027, 1, 1),
                         "next_inspection_due": date(2026, 1, 1) + timedelta(days=rng.randint(0, 500)),
                         "created_at": now, "version": 1})
        conn.execute(insert(Asset), rows)
    kinds = ["received", "reserve", "deliver", "collect", "clean", "inspect", "adjust"]
    for base in range(0, movements, BATCH * 4):
        rows = []
        for _ in range(min(BATCH * 4, movements - base)):
            serial = rng.random() < 0.5 and assets > 0
            rows.append({"at": now - timedelta(minutes=rng.randint(0, 548 * 24 * 60)), "kind": rng.choice(kinds),
                         "store_id": rng.randint(1, STORES),
                         "product_id": rng.randint(1, 25) if serial else rng.randint(26, PRODUCTS),
                         "asset_id": rng.randint(1, assets) if serial else None, "order_id": None,
                         "on_hand_change": 0, "reserved_change": 0, "cleaning_change": 0, "from_status": None,
                         "to_status": None, "reason": None, "actor_id": None, "actor": "bench"})
        conn.execute(insert(Movement), rows)
    add_orders(conn, rng, now, orders, people=people)


def add_orders(conn, rng: random.Random, now: datetime, orders: int, *, people: int, start_id: int = 1) -> None:
    """Requested orders (one counted line each, store 1) for the reservation POST to reserve."""
    from portal.equipment.models import Order, OrderLine

    planned = now.date() + timedelta(days=30)
    for base in range(start_id, start_id + orders, BATCH):
        rows, lines = [], []
        for i in range(base, min(base + BATCH, start_id + orders)):
            rows.append({"id": i, "submission_key": str(uuid.UUID(int=rng.getrandbits(128))),
                         "person_id": (i % max(people, 1)) + 1, "organisation_id": None, "store_id": 1,
                         "kit_id": None, "amnesty_id": None, "locality": "North", "priority": "standard",
                         "state": "requested", "planned_date": planned, "due_date": planned, "notes": None,
                         "raised_by_id": None, "raised_at": now, "version": 1})
            lines.append({"order_id": i, "product_id": BENCH_PRODUCT_ID, "quantity": 1, "asset_id": None,
                          "reissue": None, "released_at": None})
        conn.execute(insert(Order), rows)
        conn.execute(insert(OrderLine), lines)


def _next_id(conn, model) -> int:
    return (conn.execute(select(func.max(model.__table__.c.id))).scalar() or 0) + 1


def _people(conn, ids) -> dict[int, tuple]:
    """(given, family, address, postcode, locality) of the seeded people with these ids."""
    from portal.people.models import Person

    ids, out = sorted(set(ids)), {}
    for i in range(0, len(ids), 500):
        out.update({row[0]: tuple(row[1:]) for row in conn.execute(
            select(Person.id, Person.given_name, Person.family_name, Person.address_line_1, Person.postcode,
                   Person.locality).where(Person.id.in_(ids[i:i + 500])))})
    return out


# Online self-assessments ------------------------------------------------------------------------

def seed_advice(conn, n: int, rng: random.Random, now: datetime) -> None:
    """n completed self-assessments over 18 months (answers from a few real journeys through the
    content); about a third asked for help, and each of those is linked to a self-assessment
    referral so "ended in self-help without a referral" has referrals to look for."""
    from portal.advice.engine import evaluate
    from portal.advice.models import AdviceReport
    from portal.advice.services import content, random_journey

    c = content()
    journeys = []
    for _ in range(12):
        answers = random_journey(c, rng)
        result = evaluate(c, answers)
        journeys.append({"answers": answers, "audience": result.audience,
                         "areas": [a.id for a, _ in result.by_area],
                         "recommendation_ids": list(result.recommendation_ids), "urgent": bool(result.urgent)})
    start, asked = _next_id(conn, AdviceReport), []
    for base in range(start, start + n, BATCH):
        rows = []
        for i in range(base, min(base + BATCH, start + n)):
            when = now - timedelta(minutes=rng.randint(0, 548 * 24 * 60))
            outcome = "asked_for_help" if rng.random() < 0.32 else "self_help"
            if outcome == "asked_for_help":
                asked.append(i)
            rows.append({"id": i, "reference": secrets.token_urlsafe(18), "status": "completed",
                         "content_version": str(c.version), **rng.choice(journeys), "outcome": outcome,
                         "completed_by_id": None, "created_at": when - timedelta(minutes=rng.randint(3, 30)),
                         "updated_at": when, "completed_at": when})
        conn.execute(insert(AdviceReport), rows)
    referral_ids = list(conn.scalars(select(Referral.id).where(Referral.source == "self_assessment",
                                                               Referral.advice_report_id.is_(None))
                                     .order_by(Referral.id).limit(len(asked))))
    if referral_ids:
        conn.execute(update(Referral).where(Referral.id == bindparam("rid"))
                     .values(advice_report_id=bindparam("aid")),
                     [{"rid": r, "aid": a} for r, a in zip(referral_ids, asked, strict=False)])


# Disabled Facilities Grants ---------------------------------------------------------------------

def seed_dfg(conn, n: int, rng: random.Random, now: datetime, *, people: int) -> None:
    """n DFG cases over 18 months for existing people, moved along the real path (older cases
    further on, some stalled past their decision clock, some refused or withdrawn), with the child
    rows the case list, case page, budget and dashboard read: works, test of resources, two quotes
    (one chosen), payments and the stage history. Amounts and timings as portal.dfg.seed."""
    from portal.dfg.models import DfgCase, DfgPayment, DfgQuote, DfgStageHistory, DfgTestOfResources, DfgWorks
    from portal.dfg.seed import CONTRACTORS, PRICES, WEIGHTS, _money, progress, steps
    from portal.web.clocks import add_months

    if not people:
        raise SystemExit("--dfg needs people: seed referrals too")
    start = _next_id(conn, DfgCase)
    ids = {t: _next_id(conn, t) for t in (DfgTestOfResources, DfgQuote, DfgPayment, DfgStageHistory)}
    for base in range(start, start + n, BATCH):
        stop = min(base + BATCH, start + n)
        person_ids = [rng.randint(1, people) for _ in range(base, stop)]
        who = _people(conn, person_ids)
        cases, works, tors, quotes, payments, stages = [], [], [], [], [], []
        for i, person_id in zip(range(base, stop), person_ids, strict=True):
            given, family, street, postcode, locality = who[person_id]
            created = now - timedelta(days=rng.uniform(0, 548), hours=rng.uniform(0, 10))
            tenure = rng.choices(["owner_occupier", "private_tenant", "council_tenant", "housing_association_tenant"],
                                 [55, 15, 15, 15])[0]
            kind = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
            tecs = rng.random() < 0.22
            c = {"id": i, "reference": f"DFG-B{i:06d}", "person_id": person_id, "is_child": False,
                 "applicants": f"{given} {family}", "property_address": f"{street}, Ashdown",
                 "property_postcode": postcode, "tenure": tenure,
                 "landlord_name": None if tenure == "owner_occupier" else "Ashdown Homes",
                 "landlord_consent_date": None, "landlord_consent_by": None,
                 "difficulties": ["stairs"] if kind == "stairlift" else ["bathing"], "difficulty_details": None,
                 "contact_phone": None, "contact_email": None, "ot_recommendation": None, "ot_reason": None,
                 "ot_necessary_appropriate": None, "ot_user_id": None, "ot_name": None, "ot_recorded_at": None,
                 "includes_tecs": tecs, "contractor": None, "locality": locality, "created_at": created,
                 "full_application_date": None, "decision_due_date": None, "decision_date": None,
                 "payment_due_date": None, "works_due_date": None, "works_started_date": None,
                 "completed_date": None, "inspected_date": None, "paid_date": None, "review_due_date": None,
                 "closed_reason": None, "late_reason": None, "grant_maximum": None, "approved_amount": None,
                 "contribution": None,
                 "discretionary_amount": Decimal("0"), "discretionary_reason": None, "paid_total": Decimal("0"),
                 "land_charge": False, "submission_key": uuid.UUID(int=rng.getrandbits(128)).hex, "version": 1}
            works.append({"case_id": i, "works_type": kind})
            if tecs:
                works.append({"case_id": i, "works_type": "tecs"})
            reach, refused, withdrawn = progress(rng, created, now)
            at, state, history = created, "enquiry", [("enquiry", created)]
            low, high = PRICES[kind]
            cost = _money(rng.uniform(low, high)) + (_money(rng.uniform(*PRICES["tecs"])) if tecs else 0)
            contribution = Decimal("0")
            for step, at in steps(rng, created, reach, refused, now):
                history.append((step, at))
                state = step
                if step == "eligibility":
                    tor = {"id": ids[DfgTestOfResources], "case_id": i, "assessed_by_id": None, "assessed_at": at}
                    ids[DfgTestOfResources] += 1
                    if rng.random() < 0.6:
                        tor.update(inputs={"passported": True, "benefit": "Universal Credit"}, result="passported",
                                   contribution=Decimal("0"))
                    else:
                        contribution = min(_money(rng.choice([0, 0, 500, 1500, 3200])), _money(float(cost) / 2))
                        tor.update(inputs={"passported": False, "seeded": True}, result="assessed",
                                   contribution=contribution)
                    tors.append(tor)
                    c["contribution"] = contribution
                elif step == "ot_recommendation":
                    c.update(ot_recommendation=f"{kind.replace('_', ' ').capitalize()} to meet assessed needs",
                             ot_reason="Cannot safely manage current arrangements", ot_necessary_appropriate=True,
                             ot_name="Olivia Turner", ot_recorded_at=at)
                elif step == "survey_and_quotes":
                    names = rng.sample(CONTRACTORS, 2)
                    for contractor, amount, chosen in ((names[0], cost, True),
                                                       (names[1], _money(float(cost) * rng.uniform(1.03, 1.2)),
                                                        False)):
                        quotes.append({"id": ids[DfgQuote], "case_id": i, "contractor": contractor, "amount": amount,
                                       "chosen": chosen, "received_on": at.date(), "added_by_id": None,
                                       "added_at": at})
                        ids[DfgQuote] += 1
                    c["contractor"] = names[0]
                    if tenure != "owner_occupier":
                        c.update(landlord_consent_date=at.date(), landlord_consent_by="Ashdown Homes lettings")
                elif step == "application_received":
                    c.update(full_application_date=at.date(), decision_due_date=add_months(at.date(), 6),
                             payment_due_date=add_months(at.date(), 12))
                elif step == "approved":
                    grant = min(max(cost - contribution, Decimal("0")), Decimal("30000"))  # capped last
                    extra = max(cost - contribution - grant, Decimal("0"))
                    c.update(grant_maximum=Decimal("30000.00"), approved_amount=grant, decision_date=at.date(),
                             works_due_date=add_months(at.date(), 12),
                             land_charge=tenure == "owner_occupier" and grant > 5000)
                    if c.get("decision_due_date") and at.date() > c["decision_due_date"]:
                        c["late_reason"] = "Waiting for the landlord's consent (bench data)"
                    if extra > 0:
                        c.update(discretionary_amount=extra, discretionary_reason="top_up")
                elif step == "refused":
                    c.update(decision_date=at.date(), closed_reason="Works not eligible under the grant conditions",
                             review_due_date=at.date() + timedelta(days=28))
                    break
                elif step == "works":
                    c["works_started_date"] = at.date()
                elif step == "completed":
                    c.update(completed_date=at.date(), inspected_date=(at + timedelta(days=rng.randint(0, 5))).date())
                elif step == "paid":
                    total = (c["approved_amount"] or Decimal("0")) + c["discretionary_amount"]
                    paid_on = max(at.date(), c["inspected_date"])  # the balance only after the inspection
                    payments.append({"id": ids[DfgPayment], "case_id": i, "amount": total, "paid_on": paid_on,
                                     "paid_by_id": None, "paid_by": "Finance (bench)", "payee": c["contractor"],
                                     "recorded_at": at, "submission_key": None})
                    ids[DfgPayment] += 1
                    c.update(paid_total=total, paid_date=paid_on)
            if withdrawn and state not in ("paid", "refused"):
                at = min(now, at + timedelta(days=rng.uniform(3, 30)))
                history.append(("withdrawn", at))
                state = "withdrawn"
                c["closed_reason"] = rng.choice(["Moved to a care home", "Decided not to go ahead", "Died"])
            c.update(state=state, state_changed_at=history[-1][1])
            cases.append(c)
            previous = None
            for seq, (to, when) in enumerate(history, start=1):
                stages.append({"id": ids[DfgStageHistory], "case_id": i, "seq": seq, "from_state": previous,
                               "to_state": to, "at": when, "by_id": None, "by_label": "bench"})
                ids[DfgStageHistory] += 1
                previous = to
        conn.execute(insert(DfgCase), cases)
        for model, rows in ((DfgWorks, works), (DfgTestOfResources, tors), (DfgQuote, quotes),
                            (DfgPayment, payments), (DfgStageHistory, stages)):
            if rows:
                conn.execute(insert(model), rows)


# Telecare ---------------------------------------------------------------------------------------

TELECARE_PRODUCTS = [("BT-ANA", "Analogue alarm unit", "Alarms", 120), ("BT-HUB", "Digital alarm hub", "Alarms", 180),
                     ("BT-PEN", "Pendant alarm", "Alarms", 45), ("BT-FAL", "Fall detector", "Sensors", 90),
                     ("BT-SMK", "Linked smoke detector", "Sensors", 60)]
STEPS_DONE = ["arrived", "devices_fitted", "test_call_passed", "consent_confirmed", "responders_confirmed",
              "completed"]


def seed_telecare(conn, n: int, rng: random.Random, now: datetime, *, people: int) -> None:
    """n telecare connections (one per person, about 45 % still analogue; a few suspended or
    ended), each with its fitted devices (serialised telecare assets on loan, with their ledger
    rows), responders in call order and the completed install job with its steps; plus digital
    switchovers, fault visits, removals, open jobs and spare stock."""
    from portal.equipment.models import Asset, Movement, Product, Store
    from portal.telecare.models import Connection, ConnectionDevice, Job, JobStep, Responder
    from portal.telecare.seed import ACCESS, KEY_SAFES, NAMES, PROVIDERS, RELATIONS

    if n > people:
        raise SystemExit(f"--telecare {n} needs at least as many people (one connection each); there are {people}")
    stores = list(conn.scalars(select(Store.id).order_by(Store.id)))
    if not stores:
        conn.execute(insert(Store), [{"id": 1, "code": "B01", "name": "Bench store 1", "locality": "North",
                                      "address": None}])
        stores = [1]
    product_id = _next_id(conn, Product)
    products = {}
    for code, name, area, cost in TELECARE_PRODUCTS:
        products[code] = (product_id, Decimal(cost))
        conn.execute(insert(Product), [{
            "id": product_id, "code": code, "name": name, "category": "telecare", "area": area, "description": None,
            "supply": "loan", "tracking": "serialised", "self_purchase": False, "price_min": None, "price_max": None,
            "what_to_look_for": None, "inspection_months": None, "warranty_months": 36, "cleaning_required": True,
            "unit_cost": Decimal(cost), "active": True, "version": 1}])
        product_id += 1
    chosen = rng.sample(range(1, people + 1), n)
    referral_of: dict[int, tuple[int, datetime]] = {}
    for i in range(0, n, 500):
        chunk = chosen[i:i + 500]
        referral_of.update({pid: (rid, received) for pid, rid, received in conn.execute(
            select(Referral.person_id, Referral.id, Referral.received_at)
            .join(ReferralNeed, ReferralNeed.referral_id == Referral.id)
            .where(ReferralNeed.need == "telecare", Referral.person_id.in_(chunk)))})
    ids = {m: _next_id(conn, m) for m in (Asset, Connection, ConnectionDevice, Job, JobStep, Responder)}

    def new_id(model) -> int:
        ids[model] += 1
        return ids[model] - 1

    def asset(code: str, at: datetime, person_id: int | None) -> dict:
        pid, cost = products[code]
        bought = (at - timedelta(days=rng.randint(30, 400))).date()
        i = new_id(Asset)
        return {"id": i, "asset_tag": f"BT{i:07d}", "serial": f"{code[3:]}{rng.randint(10**7, 10**8 - 1)}",
                "product_id": pid, "store_id": rng.choice(stores), "status": "on_loan" if person_id else "available",
                "person_id": person_id, "organisation_id": None, "on_loan_since": at if person_id else None,
                "loan_count": 1 if person_id else 0, "purchased_on": bought, "purchase_cost": cost,
                "last_inspected_on": None, "warranty_end": bought + timedelta(days=3 * 365),
                "next_inspection_due": None, "created_at": at, "version": 1}

    def movement(a: dict, at: datetime, kind: str, before: str, after: str, reason: str) -> dict:
        return {"at": at, "kind": kind, "store_id": a["store_id"], "product_id": a["product_id"], "asset_id": a["id"],
                "order_id": None, "on_hand_change": 0, "reserved_change": 0, "cleaning_change": 0,
                "from_status": before, "to_status": after, "reason": reason, "actor_id": None, "actor": "bench"}

    def job(person_id: int, kind: str, state: str, requested: datetime, *, done: datetime | None = None,
            referral_id: int | None = None, priority: str = "routine", reason: str | None = None,
            to_fit: str | None = None) -> dict:
        i = new_id(Job)
        visited = done if state in ("completed", "no_access") else None
        return {"id": i, "submission_key": f"bench-telecare-{i}", "job_type": kind, "person_id": person_id,
                "referral_id": referral_id, "priority": priority, "state": state, "requested_at": requested,
                "due_date": (requested + timedelta(days=2 if priority == "urgent" else 10)).date(),
                "scheduled_date": visited.date() if visited else None,
                "slot": rng.choice(["am", "pm"]) if visited else None, "installer_id": None, "route_order": None,
                "visit": 1, "access_notes": rng.choice(ACCESS), "to_fit": to_fit, "reason": reason,
                "completed_at": done if state == "completed" else None, "completed_by_id": None,
                "cancelled_at": done if state == "cancelled" else None, "created_by_id": None,
                "version": 1 if state == "requested" else 2}

    for base in range(0, n, BATCH):
        conns, assets, devices, moves, responders, jobs, steps = [], [], [], [], [], [], []
        for person_id in chosen[base:base + BATCH]:
            analogue = rng.random() < 0.45
            line = "analogue" if analogue else rng.choices(["digital", "mobile"], [85, 15])[0]
            referral_id, received = referral_of.get(person_id, (None, None))
            if not analogue and received is not None and received < now - timedelta(days=60):
                installed = received + timedelta(days=rng.uniform(3, 45), hours=rng.uniform(0, 6))
            else:
                referral_id = None
                installed = now - timedelta(days=rng.randint(400, 2500) if analogue else rng.randint(3, 540),
                                            hours=rng.randint(0, 6))
            status = rng.choices(["active", "suspended", "ended"], [94, 2, 4])[0]
            ended = installed + timedelta(days=rng.uniform(30, 300)) if status == "ended" else None
            if ended is not None and ended > now:
                status, ended = "active", None
            cid = new_id(Connection)
            install = job(person_id, "new_install", "completed", installed - timedelta(days=rng.randint(2, 14)),
                          done=installed, referral_id=referral_id, to_fit="Alarm unit and pendant",
                          priority=rng.choice(["urgent", "routine", "routine"]))
            jobs.append(install)
            steps += [{"id": new_id(JobStep), "job_id": install["id"], "visit": 1, "step": step,
                       "at": installed + timedelta(minutes=10 * k), "by_id": None, "by": "bench", "details": {}}
                      for k, step in enumerate(STEPS_DONE)]
            removal = None
            if ended is not None:
                removal = job(person_id, "removal", "completed", ended - timedelta(days=7), done=ended)
                jobs.append(removal)
            fitted = ["BT-ANA" if analogue else "BT-HUB", "BT-PEN"]
            fitted += ["BT-FAL"] if rng.random() < 0.4 else []
            fitted += ["BT-SMK"] if rng.random() < 0.5 else []
            unit = None
            for code in fitted:
                a = asset(code, installed, person_id)
                moves.append(movement(a, installed, "deliver", "available", "on_loan", "Fitted (bench)"))
                if ended is not None:
                    a.update(status="available", person_id=None, on_loan_since=None)
                    moves.append(movement(a, ended, "collect", "on_loan", "available", "Removed (bench)"))
                assets.append(a)
                unit = unit or a
                devices.append({"id": new_id(ConnectionDevice), "person_id": person_id, "connection_id": cid,
                                "asset_id": a["id"], "job_id": install["id"], "fitted_at": installed,
                                "fitted_by_id": None, "removed_at": ended,
                                "removed_job_id": removal["id"] if removal else None})
            key_safe = rng.random() < 0.6
            conns.append({"id": cid, "person_id": person_id, "unit_asset_id": unit["id"],
                          "unit_model": TELECARE_PRODUCTS[0 if analogue else 1][1], "unit_serial": unit["serial"],
                          "line_type": line,
                          "telephone": f"07700 {rng.randint(900000, 900999)}" if line == "mobile" else
                          f"01632 {rng.randint(100000, 999999)}", "provider": rng.choice(PROVIDERS),
                          "monitoring_start": installed.date(), "status": status, "ended_at": ended,
                          "key_safe_present": key_safe,
                          "key_safe_location": rng.choice(KEY_SAFES) if key_safe else None,
                          "created_at": installed, "updated_at": ended or installed, "version": 1})
            order = 1
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                responders.append({"id": new_id(Responder), "connection_id": cid, "call_order": order,
                                   "kind": "named", "name": rng.choice(NAMES),
                                   "phone": f"07700 {rng.randint(900000, 900999)}",
                                   "relationship_to_person": rng.choice(RELATIONS)})
                order += 1
            if rng.random() < 0.35:
                responders.append({"id": new_id(Responder), "connection_id": cid, "call_order": order,
                                   "kind": "service", "name": None, "phone": None, "relationship_to_person": None})
            if status != "ended" and line == "digital" and rng.random() < 0.25:  # switched over since install
                done = installed + timedelta(days=rng.uniform(1, max(2, (now - installed).days)))
                if done < now:
                    jobs.append(job(person_id, "digital_switchover", "completed", done - timedelta(days=10),
                                    done=done, to_fit="Digital alarm hub (replaces the analogue unit)"))
            elif status == "active" and analogue and rng.random() < 0.1:  # waiting for a switchover
                asked = now - timedelta(days=rng.randint(2, 30))
                jobs.append(job(person_id, "digital_switchover", rng.choice(["requested", "requested", "no_access"]),
                                asked, done=asked + timedelta(days=1),
                                reason="Nobody home; card left",
                                to_fit="Digital alarm hub (replaces the analogue unit)"))
            if status == "active" and rng.random() < 0.04:
                when = now - timedelta(days=rng.randint(1, 200))
                state = rng.choice(["completed", "no_access", "cancelled"])
                jobs.append(job(person_id, "fault_visit", state, when - timedelta(days=2), done=when, priority="urgent",
                                reason=None if state == "completed" else "Nobody home; card left"))
        conn.execute(insert(Asset), assets)
        conn.execute(insert(Movement), moves)
        conn.execute(insert(Connection), conns)
        conn.execute(insert(Job), jobs)
        conn.execute(insert(JobStep), steps)
        conn.execute(insert(ConnectionDevice), devices)
        conn.execute(insert(Responder), responders)
    # requested installs for people not yet connected, and spare stock in the stores
    connected = set(chosen)
    waiting = [p for p in rng.sample(range(1, people + 1), min(people, n // 20 + 10)) if p not in connected]
    conn.execute(insert(Job), [job(p, "new_install", "requested", now - timedelta(days=rng.randint(0, 12)),
                                   priority=rng.choice(["urgent", "routine"]), to_fit="Pendant alarm and hub")
                               for p in waiting])
    spare = [asset(code, now - timedelta(days=rng.randint(5, 300)), None)
             for code in ("BT-HUB", "BT-PEN", "BT-FAL", "BT-SMK") for _ in range(max(10, n // 20))]
    conn.execute(insert(Asset), spare)
    conn.execute(insert(Movement), [movement(a, a["created_at"], "received", None, "available", "Opening stock")
                                    for a in spare])


def reset_sequences(conn) -> None:
    """PostgreSQL: explicit ids do not move a serial's sequence; move each past the largest id.
    (Table names come from the models' metadata, not from input.)"""
    for table in db.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name} "  # noqa: S608
            "HAVING max(id) IS NOT NULL")


def refresh_figures() -> None:
    """The dashboard's daily totals (portal.reports.aggregates), worked out from the rows just written,
    as `flask reports refresh` does on a schedule. Inside an app context."""
    from portal.reports.aggregates import refresh, tidy

    with write_intent():
        refresh(db.session)
        db.session.commit()
        tidy(db.session)


def seed(database: str, *, referrals: int, audit: int = 0, assets: int = 0, movements: int = 0,
         orders: int = 0, dfg: int = 0, telecare: int = 0, advice: int = 0, quiet: bool = False) -> dict:
    app = make_app(database)
    rng = random.Random(1)
    now = datetime(2026, 11, 23, 12, 0)
    report = {"referrals": referrals, "audit": audit, "assets": assets, "movements": movements,
              "orders": orders, "dfg": dfg, "telecare": telecare, "advice": advice}
    with app.app_context():
        upgrade(revision="heads")
        started = time.perf_counter()
        with write_intent(), db.engine.begin() as conn:
            seed_referrals(conn, referrals, rng, now)
            if audit:
                seed_audit(conn, audit, rng, now, referrals)
            if assets or movements or orders:
                seed_equipment(conn, rng, now, assets=assets, movements=movements, orders=orders, people=referrals)
            if advice:
                seed_advice(conn, advice, random.Random(2), now)
            if dfg:
                seed_dfg(conn, dfg, random.Random(3), now, people=referrals)
            if telecare:
                seed_telecare(conn, telecare, random.Random(4), now, people=referrals)
            if conn.dialect.name == "postgresql":
                reset_sequences(conn)
        with write_intent():
            seed_staff(db.session)
        refresh_figures()
        with db.engine.begin() as conn:  # begin(): a bare connect() rolled the statistics back
            conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
        report["seconds"] = round(time.perf_counter() - started, 1)
    if not quiet:
        print(f"seeded {report} ")
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite:///bench/work/bench.db")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=0)
    parser.add_argument("--assets", type=int, default=0)
    parser.add_argument("--movements", type=int, default=0)
    parser.add_argument("--orders", type=int, default=0)
    parser.add_argument("--dfg", type=int, default=0, help="DFG cases (for people the referrals made)")
    parser.add_argument("--telecare", type=int, default=0, help="telecare connections (one per person)")
    parser.add_argument("--advice", type=int, default=0, help="completed online self-assessments")
    args = parser.parse_args(argv)
    seed(args.database, referrals=args.referrals, audit=args.audit, assets=args.assets, movements=args.movements,
         orders=args.orders, dfg=args.dfg, telecare=args.telecare, advice=args.advice)


if __name__ == "__main__":
    main()
