"""Demo data for equipment: stores, the catalogue (catalogue.yaml when present), a few thousand
assets and counted stock, borrower organisations, kits and a few hundred orders over 18 months.

Realistic and safe: almost every asset that needs inspections was inspected within its interval;
a handful are overdue (they show in the inspections queue) and none of those is reserved or on a
loan made after it fell due, because the orders go through the services' safety rules. Serial
numbers are unique per product. Hoists, slings and bariatric equipment are for an OT or a level-4
trusted assessor; children's specialist equipment for an OT."""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from portal.advice.engine import CATALOGUE_PATH, default_catalogue
from portal.equipment import services
from portal.equipment.models import (
    CATEGORIES,
    SUPPLY,
    TRACKING,
    Asset,
    BorrowerOrganisation,
    Kit,
    KitItem,
    Movement,
    Product,
    Recall,
    StockLevel,
    Store,
)
from portal.equipment.services import LineRequest
from portal.errors import PortalError
from portal.people.models import Person
from portal.timeutil import london_date, utcnow

STORES = [("CEN", "Central equipment store", "Central", "Unit 4, Riverside Trading Estate"),
          ("NOR", "North depot", "North", "Depot Road, Northfield"),
          ("SOU", "South depot", "South", "Station Yard, Southgate")]
ORGANISATIONS = [("Beech House Care Home", "care_home", "North"), ("Willow Court Nursing Home", "care_home", "South"),
                 ("The Laurels Residential Home", "care_home", "Central"),
                 ("Oakfield Supported Living", "supported_living", "North"),
                 ("Millbrook Supported Living", "supported_living", "South")]
FALLBACK = [
    ("HOI-MOB", "Mobile hoist", "community_equipment", "Transfers", "loan", "serialised", 6, 24, 950),
    ("SLI-UNI", "Universal sling", "community_equipment", "Transfers", "loan", "serialised", 6, 12, 120),
    ("BED-PRO", "Profiling bed", "community_equipment", "Bed", "loan", "serialised", 12, 24, 700),
    ("MAT-PRS", "Pressure-relieving mattress", "community_equipment", "Bed", "loan", "serialised", 12, 24, 400),
    ("CHR-RIS", "Riser-recliner chair", "community_equipment", "Seating", "loan", "serialised", 12, 24, 650),
    ("STA-AID", "Standing and turning aid", "community_equipment", "Transfers", "loan", "serialised", 12, 12, 300),
    ("TEL-HUB", "Digital alarm hub", "telecare", "Alarms", "loan", "serialised", None, 36, 180),
    ("TEL-PEN", "Pendant alarm", "telecare", "Alarms", "loan", "serialised", None, 24, 45),
    ("TEL-FAL", "Fall detector", "telecare", "Sensors", "loan", "serialised", None, 24, 90),
    ("TEL-SMK", "Linked smoke detector", "telecare", "Sensors", "loan", "serialised", None, 36, 60),
    ("COM-STD", "Commode", "community_equipment", "Toileting", "loan", "counted", None, None, 45),
    ("TOI-FRM", "Toilet frame", "community_equipment", "Toileting", "loan", "counted", None, None, 25),
    ("RSR-TOI", "Raised toilet seat", "community_equipment", "Toileting", "loan", "counted", None, None, 18),
    ("BTH-BRD", "Bath board", "community_equipment", "Bathing", "loan", "counted", None, None, 22),
    ("SHW-STL", "Shower stool", "community_equipment", "Bathing", "loan", "counted", None, None, 28),
    ("WLK-FRM", "Walking frame", "community_equipment", "Mobility", "loan", "counted", None, None, 30),
    ("WLK-STK", "Walking stick", "community_equipment", "Mobility", "issue", "counted", None, None, 8),
    ("GRB-RAI", "Grab rail", "community_equipment", "Bathing", "issue", "counted", None, None, 9),
    ("PER-TRL", "Perching stool", "community_equipment", "Kitchen", "loan", "counted", None, None, 35),
    ("KIT-TRL", "Kitchen trolley", "community_equipment", "Kitchen", "loan", "counted", None, None, 40),
]


# Kits: products issued together for one purpose, every item from the same daily-living area.
KITS = [
    ("KIT-SHC", "Single-handed care kit", "bed_and_chair",
     "A hoist with universal and in-situ slings so one carer can move someone safely",
     [("HOIST-001", 1), ("HOIST-005", 1), ("HOIST-008", 1)]),
    ("KIT-BTH", "Bathing kit", "bathing", "Getting in and out of the bath and washing seated",
     [("BATH-001", 1), ("BATH-008", 1), ("BATH-014", 1)]),
    ("KIT-TOI", "Toileting kit", "toilet", "Safer toileting, day and night",
     [("TOIL-005", 1), ("TOIL-006", 1), ("RAIL-008", 1)]),
    ("KIT-TEL", "Telecare starter kit", "telecare", "An alarm unit, a pendant and a linked smoke detector",
     [("TEL-001", 1), ("TEL-002", 1), ("TEL-006", 1)]),
]
OVERDUE_SHARE = 0.01  # of the assets that need inspections: a few, not most


def prescriber_for(code: str, name: str, area: str | None, tracking: str) -> str:
    """Who may prescribe a catalogue product: moving-and-handling (hoists, slings) and bariatric
    equipment needs an OT or a level-4 trusted assessor; children's specialist equipment an OT."""
    lowered = name.lower()
    if any(word in lowered for word in ("hoist", "sling", "bariatric")):
        return "trusted_assessor_4"
    if area == "send" and tracking == "serialised":
        return "occupational_therapist"
    return "any"


def _catalogue_rows() -> list[dict]:
    if CATALOGUE_PATH.exists():
        return [product.as_dict() for product in default_catalogue().values()]
    return [dict(code=c, name=n, category=cat, area=a, supply=s, tracking=t, inspection_months=i,
                 warranty_months=w, unit_cost=u, cleaning_required=True, self_purchase=t == "counted")
            for c, n, cat, a, s, t, i, w, u in FALLBACK]


def _dec(value):
    return Decimal(str(value)) if value not in (None, "") else None


def load_catalogue(session) -> int:
    existing = set(session.scalars(select(Product.code)))
    rows = []
    for row in _catalogue_rows():
        code = str(row["code"]).strip().upper()[:30]
        if code in existing or row.get("category") not in CATEGORIES:
            continue
        existing.add(code)
        rows.append(dict(
            code=code, name=str(row.get("name", code))[:200], category=row["category"],
            area=(str(row["area"])[:80] if row.get("area") else None), description=row.get("description"),
            supply=row.get("supply") if row.get("supply") in SUPPLY else "loan",
            tracking=row.get("tracking") if row.get("tracking") in TRACKING else "counted",
            self_purchase=bool(row.get("self_purchase")), price_min=_dec(row.get("price_min")),
            price_max=_dec(row.get("price_max")), what_to_look_for=row.get("what_to_look_for"),
            inspection_months=row.get("inspection_months") or None,
            warranty_months=row.get("warranty_months") if row.get("warranty_months") is not None else None,
            cleaning_required=bool(row.get("cleaning_required", True)), unit_cost=_dec(row.get("unit_cost")),
            alarm_unit=row.get("alarm_unit"), active=True, version=1))
        rows[-1]["prescriber"] = prescriber_for(code, rows[-1]["name"], rows[-1]["area"], rows[-1]["tracking"])
    if rows:
        session.execute(insert(Product), rows)
    return len(rows)


def seed_demo(session, *, orders: int = 300, seed: int = 7) -> None:
    """Idempotent: does nothing once the stores exist."""
    if session.scalar(select(func.count()).select_from(Store)):
        return
    rng = random.Random(seed)
    now = utcnow()
    load_catalogue(session)
    for code, name, locality, address in STORES:
        session.add(Store(code=code, name=name, locality=locality, address=address))
    for name, kind, locality in ORGANISATIONS:
        if not session.scalar(select(BorrowerOrganisation.id).where(BorrowerOrganisation.name == name)):
            session.add(BorrowerOrganisation(name=name, kind=kind, locality=locality))
    session.flush()
    stores = list(session.scalars(select(Store).order_by(Store.id)))
    products = list(session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)))
    serialised = [p for p in products if p.tracking == "serialised"]
    counted = [p for p in products if p.tracking == "counted"]

    # Assets: bulk insert, then one "received" ledger row each.
    asset_rows, n = [], 1
    per_product = max(8, 3000 // max(len(serialised), 1))
    for product in serialised:
        for _ in range(rng.randint(per_product // 2, per_product)):
            store = rng.choice(stores)
            bought = london_date(now - timedelta(days=rng.randint(30, 2000)))
            status = rng.choices(["available", "awaiting_cleaning", "in_repair", "retired"], [85, 8, 3, 4])[0]
            last = _last_inspection(rng, product, bought, london_date(now), may_be_overdue=status == "available")
            asset_rows.append(dict(
                asset_tag=f"{store.code}-{n:06d}", serial=f"SN{product.id:04d}{n:06d}", product_id=product.id,
                store_id=store.id, status=status, loan_count=0, purchased_on=bought,
                purchase_cost=product.unit_cost, last_inspected_on=last,
                next_inspection_due=services.next_inspection(last or bought, product.inspection_months),
                warranty_end=services.warranty_end(bought, product.warranty_months), created_at=now, version=1))
            n += 1
    if asset_rows:
        session.execute(insert(Asset), asset_rows)
    assets = session.execute(select(Asset.id, Asset.store_id, Asset.product_id, Asset.status)).all()
    move_rows = []
    for a in assets:
        move_rows.append(dict(at=now - timedelta(days=600), kind="received", store_id=a.store_id,
                              product_id=a.product_id, asset_id=a.id, on_hand_change=0, reserved_change=0,
                              cleaning_change=0, to_status="available", reason="Opening stock", actor="seed-demo"))
        if a.status != "available":
            move_rows.append(dict(at=now - timedelta(days=rng.randint(1, 60)), kind="adjust", store_id=a.store_id,
                                  product_id=a.product_id, asset_id=a.id, on_hand_change=0, reserved_change=0,
                                  cleaning_change=0, from_status="available", to_status=a.status,
                                  reason="Opening stock status", actor="seed-demo"))
    # Counted stock: a level per store and product, matching opening ledger rows.
    level_rows = []
    for store in stores:
        for product in counted:
            qty, reorder = rng.randint(0, 60), rng.choice([0, 5, 10, 15])
            level_rows.append(dict(store_id=store.id, product_id=product.id, on_hand=qty, reserved=0,
                                   awaiting_cleaning=0, reorder_level=reorder))
            if qty:
                move_rows.append(dict(at=now - timedelta(days=600), kind="received", store_id=store.id,
                                      product_id=product.id, on_hand_change=qty, reserved_change=0,
                                      cleaning_change=0, reason="Opening stock", actor="seed-demo"))
    if level_rows:
        session.execute(insert(StockLevel), level_rows)
    if move_rows:
        session.execute(insert(Movement), move_rows)
    seed_kits(session)
    session.flush()
    _seed_orders(session, rng, now, stores, serialised, counted, orders)
    seed_recall(session)


RECALL_REFERENCE = "MHRA/2026/FSN-0412"


def seed_recall(session) -> None:
    """One open recall, through the services so every rule holds: a batch of reclining bath lifts
    (those supplied in the middle third of their supply dates) after the maker's field safety
    notice. Everything in the stores is quarantined, orders holding one go back to be reserved,
    and each one on loan gets its collection. A couple of held ones have gone back to the supplier."""
    if session.scalar(select(Recall.id).where(Recall.reference == RECALL_REFERENCE)):
        return
    product = (session.scalar(select(Product).where(Product.code == "BATH-004"))
               or session.scalar(select(Product).where(Product.tracking == "serialised",
                                                       Product.name.ilike("%bath%")))
               or session.scalar(select(Product).where(Product.tracking == "serialised").order_by(Product.id)))
    dates = sorted(d for d in session.scalars(select(Asset.purchased_on).where(Asset.product_id == product.id))
                   if d is not None)
    if len(dates) < 3:
        return
    third = len(dates) // 3
    recall, _ = services.start_recall(session, "seed-demo", services.RecallRequest(
        product_id=product.id, scope="supplied", supplied_from=dates[third], supplied_to=dates[2 * third],
        reference=RECALL_REFERENCE, action="collect_replace",
        reason="The maker's field safety notice: the seat's backrest hinge can crack under load, and the "
               "seat may tip back suddenly. Stop using affected lifts and replace them."))
    held = [i for i in recall.items if i.state == "held" and i.asset_id is not None][:2]
    for item in held:
        services.resolve_held(session, "seed-demo", recall.id, item.id, "returned_to_supplier",
                              f"Collected by the maker, returns note RN-{item.asset_id:05d}")
    session.flush()


def _last_inspection(rng, product, bought, today, *, may_be_overdue: bool):
    """The last inspection of an asset: within its interval, except a few (OVERDUE_SHARE) that are
    overdue by up to six weeks and sit in the store for the inspections queue."""
    if not product.inspection_months:
        return None
    interval = product.inspection_months * 30
    if may_be_overdue and rng.random() < OVERDUE_SHARE:
        days_ago = interval + rng.randint(3, 42)
    else:
        days_ago = rng.randint(0, interval - 10)
    return max(bought, today - timedelta(days=days_ago))


def seed_kits(session) -> list[Kit]:
    """The demo kits whose products are all in the catalogue (KITS); each kit's items share its area."""
    codes = {code for *_, items in KITS for code, _ in items}
    found = dict(session.execute(select(Product.code, Product.id).where(Product.code.in_(codes))).all())
    kits = []
    for code, name, _purpose, description, items in KITS:
        present = [(found[c], q) for c, q in items if c in found]
        if len(present) < 2 or session.scalar(select(Kit.id).where(Kit.code == code)):
            continue
        kit = Kit(code=code, name=name, description=description)
        kit.items = [KitItem(product_id=product_id, quantity=q) for product_id, q in present]
        session.add(kit)
        kits.append(kit)
    session.flush()
    return kits


def _seed_orders(session, rng, now, stores, serialised, counted, count) -> None:
    people = list(session.scalars(select(Person.id).order_by(Person.id).limit(400)))
    orgs = list(session.scalars(select(BorrowerOrganisation.id)))
    if not (serialised or counted):
        return
    for i in range(count):
        order = None
        raised = now - timedelta(days=rng.randint(0, 540), hours=rng.randint(0, 8))
        store = rng.choice(stores)
        product = rng.choice(serialised if (serialised and rng.random() < 0.6) or not counted else counted)
        borrower = ({"person_id": rng.choice(people)} if people and rng.random() < 0.9
                    else {"organisation_id": rng.choice(orgs)})
        try:
            order, _ = services.raise_order(session, "seed-demo", store_id=store.id,
                                            priority=rng.choice(["urgent", "standard", "standard"]),
                                            lines=[LineRequest(product.id, 1 if product.tracking == "serialised"
                                                               else rng.randint(1, 2))],
                                            submission_key=f"seed-{i}", now=raised, **borrower)
            age = (now - raised).days
            if age < 2 and rng.random() < 0.5:
                continue
            with session.begin_nested():
                services.reserve_order(session, "seed-demo", order.id)
            if age < 4 and rng.random() < 0.5:
                continue
            delivered = raised + timedelta(days=rng.choice([0, 1, 1, 2, 3, 5, 8, 10]), hours=2)
            if delivered > now:
                continue
            with session.begin_nested():
                services.deliver_order(session, "seed-demo", order.id, at=delivered)
            if rng.random() < 0.45 or product.supply == "issue":
                continue
            requested = delivered + timedelta(days=rng.randint(20, 400))
            if requested > now:
                continue
            with session.begin_nested():
                services.request_collection(session, "seed-demo", order.id,
                                            rng.choice(["no_longer_needed", "no_longer_needed", "moved", "died"]),
                                            now=requested)
            collected = requested + timedelta(days=rng.randint(1, 9))
            if collected > now:
                continue
            with session.begin_nested():
                services.collect_order(session, "seed-demo", order.id, at=collected)
            if rng.random() < 0.8 and (now - collected).days > 3:
                with session.begin_nested():
                    services.clean_order_items(session, "seed-demo", order.id)
        except PortalError:
            _cancel_if_stale(session, order, now, raised)
    session.flush()


def _cancel_if_stale(session, order, now, raised) -> None:
    """An order the demo stock could not fill: a store would have cancelled it within the fortnight
    and ordered elsewhere, not left it waiting for a year (the queues would show it overdue)."""
    if order is None or order.state not in ("requested", "reserved") or (now - raised).days <= 14:
        return
    try:
        with session.begin_nested():
            services.cancel_order(session, "seed-demo", order.id, "Not in stock here: supplied by another store")
    except PortalError:
        pass
