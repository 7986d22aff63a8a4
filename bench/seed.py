"""Bulk-seed a large database quickly (Core inserts in batches, not one ORM object at a time).

    python -m bench.seed --referrals 100000 [--audit 1000000] --database sqlite:///bench/work/bench.db
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite:///bench/work/bench.db")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=0)
    args = parser.parse_args(argv)
    app = make_app(args.database)
    rng = random.Random(1)
    now = datetime(2026, 11, 23, 12, 0)
    with app.app_context():
        upgrade(revision="heads")
        started = time.perf_counter()
        with write_intent(), db.engine.begin() as conn:
            seed_referrals(conn, args.referrals, rng, now)
            if args.audit:
                seed_audit(conn, args.audit, rng, now, args.referrals)
        print(f"seeded {args.referrals} referrals and {args.audit} audit rows in "
              f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
