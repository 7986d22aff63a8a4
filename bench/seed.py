"""Bulk-seed a large database quickly (Core inserts in batches, not one ORM object at a time).

    python -m bench.seed --referrals 100000 [--audit 1000000] [--assets 20000 --movements 200000]
        --database sqlite:///bench/work/bench.db

Also creates the load generator's staff accounts (BENCH_STAFF, password BENCH_PASSWORD) and
`--orders` requested equipment orders for the reservation POST. DFG cases and telecare
connections are seeded only when those modules are registered (they are being built).
"""

import argparse
import random
import time
import uuid
from datetime import date, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert

from portal import create_app
from portal.audit.models import AuditEvent
from portal.config import TestConfig
from portal.extensions import db, write_intent
from portal.people.models import Person
from portal.referrals.models import OPEN_STATES, Referral, ReferralNeed
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
        people, referrals, needs = [], [], []
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
            for need in rng.sample(NEEDS, rng.randint(1, 2)):
                needs.append({"referral_id": i, "need": need})
        conn.execute(insert(Person), people)
        conn.execute(insert(Referral), referrals)
        conn.execute(insert(ReferralNeed), needs)


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


def optional_modules(app) -> dict[str, bool]:
    """DFG and telecare are being built: seed them only when their blueprints are registered."""
    return {"dfg": "dfg" in app.blueprints, "telecare": "telecare" in app.blueprints}


def seed(database: str, *, referrals: int, audit: int = 0, assets: int = 0, movements: int = 0,
         orders: int = 0, quiet: bool = False) -> dict:
    app = make_app(database)
    rng = random.Random(1)
    now = datetime(2026, 11, 23, 12, 0)
    report = {"referrals": referrals, "audit": audit, "assets": assets, "movements": movements,
              "orders": orders, "skipped": []}
    with app.app_context():
        upgrade(revision="heads")
        started = time.perf_counter()
        with write_intent(), db.engine.begin() as conn:
            seed_referrals(conn, referrals, rng, now)
            if audit:
                seed_audit(conn, audit, rng, now, referrals)
            if assets or movements or orders:
                seed_equipment(conn, rng, now, assets=assets, movements=movements, orders=orders, people=referrals)
        with write_intent():
            seed_staff(db.session)
        for module, present in optional_modules(app).items():
            if not present:
                report["skipped"].append(f"{module}: module not registered in this build, not seeded")
        with db.engine.begin() as conn:  # begin(): a bare connect() rolled the statistics back
            conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
        report["seconds"] = round(time.perf_counter() - started, 1)
    if not quiet:
        print(f"seeded {report} ")
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite:///bench/work/bench.db")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=0)
    parser.add_argument("--assets", type=int, default=0)
    parser.add_argument("--movements", type=int, default=0)
    parser.add_argument("--orders", type=int, default=0)
    args = parser.parse_args(argv)
    seed(args.database, referrals=args.referrals, audit=args.audit, assets=args.assets, movements=args.movements,
         orders=args.orders)


if __name__ == "__main__":
    main()
