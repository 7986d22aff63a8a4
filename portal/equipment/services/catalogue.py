"""The catalogue and the reference lists: products, stores, borrower organisations and kits."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit.services import record
from portal.equipment.models import (
    ORGANISATION_KINDS,
    PRESCRIBER_LEVELS,
    BorrowerOrganisation,
    Kit,
    KitItem,
    Product,
    Store,
)
from portal.errors import Conflict, NotFound, Refusal, check_version

PRODUCT_FIELDS = ("code", "name", "category", "area", "description", "supply", "tracking", "self_purchase",
                  "price_min", "price_max", "what_to_look_for", "inspection_months", "warranty_months",
                  "cleaning_required", "unit_cost", "prescriber", "active", "alarm_unit")


def _check_prescriber(fields: dict) -> None:
    if "prescriber" in fields and fields["prescriber"] not in PRESCRIBER_LEVELS:
        raise Refusal(_("Select who may order it."), field="prescriber")


def create_product(session, actor, **fields) -> Product:
    _check_prescriber(fields)
    code = (fields.get("code") or "").strip().upper()
    if session.scalar(select(Product.id).where(Product.code == code)):
        raise Conflict(_("A product with code %(code)s already exists.", code=code), field="code")
    product = Product(**{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    product.code = code
    session.add(product)
    session.flush()
    record(session, actor, "equipment.product_created", "equipment_product", product.id, code=code)
    return product


def update_product(session, actor, product_id: int, version: int, **fields) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("There is no product with that id."))
    check_version(product, version, f"Product {product.code}")
    _check_prescriber(fields)
    changed = {}
    for key, value in fields.items():
        if key in PRODUCT_FIELDS and key != "code" and getattr(product, key) != value:
            changed[key] = str(value)
            setattr(product, key, value)
    session.flush()
    record(session, actor, "equipment.product_changed", "equipment_product", product.id, changed=changed)
    return product


def create_store(session, actor, code: str, name: str, locality=None, address=None) -> Store:
    store = Store(code=code, name=name, locality=locality, address=address)
    session.add(store)
    session.flush()
    record(session, actor, "equipment.store_created", "equipment_store", store.id, code=code)
    return store


def _check_organisation(session, name: str, kind: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise Refusal(_("Enter the organisation's name."), field="name")
    if kind not in ORGANISATION_KINDS:
        raise Refusal(_("Select the kind of organisation."), field="kind")
    stmt = select(BorrowerOrganisation.id).where(func.lower(BorrowerOrganisation.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(BorrowerOrganisation.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(_("There is already an organisation called %(name)s.", name=name), field="name")
    return name


def create_organisation(session, actor, name: str, kind: str, locality=None, address=None):
    name = _check_organisation(session, name, kind)
    org = BorrowerOrganisation(name=name, kind=kind, locality=locality, address=address)
    session.add(org)
    session.flush()
    record(session, actor, "equipment.organisation_created", "equipment_borrower_organisation", org.id)
    return org


def update_organisation(session, actor, organisation_id: int, *, name: str, kind: str, locality=None,
                        address=None) -> BorrowerOrganisation:
    org = session.get(BorrowerOrganisation, organisation_id)
    if org is None:
        raise NotFound(_("There is no organisation with that id."))
    name = _check_organisation(session, name, kind, exclude_id=org.id)
    changed = {}
    for key, value in (("name", name), ("kind", kind), ("locality", locality or None),
                       ("address", address or None)):
        if getattr(org, key) != value:
            changed[key] = str(value) if value is not None else None
            setattr(org, key, value)
    session.flush()
    if changed:
        record(session, actor, "equipment.organisation_changed", "equipment_borrower_organisation", org.id,
               changed=changed)
    return org


MAX_KIT_ITEMS = 5


def create_kit(session, actor, *, code: str, name: str, items: list[tuple[str, int]],
               description: str | None = None) -> Kit:
    """A kit of up to MAX_KIT_ITEMS products, named by product code with a quantity each."""
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not code or not name:
        raise Refusal(_("Enter the kit's code and name."), field="code")
    wanted: dict[str, int] = {}
    for product_code, quantity in items:
        product_code = (product_code or "").strip().upper()
        if not product_code:
            continue
        if not quantity or quantity <= 0:
            raise Refusal(_("Enter a quantity of 1 or more for %(product_code)s.", product_code=product_code))
        wanted[product_code] = wanted.get(product_code, 0) + quantity
    if not wanted:
        raise Refusal(_("Enter at least one product code."), field="product_code_1")
    if len(wanted) > MAX_KIT_ITEMS:
        raise Refusal(_("A kit can have up to %(MAX_KIT_ITEMS)s products.", MAX_KIT_ITEMS=MAX_KIT_ITEMS))
    found = dict(session.execute(select(Product.code, Product.id).where(Product.code.in_(list(wanted)))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise UnknownProducts(missing)
    if session.scalar(select(Kit.id).where(Kit.code == code)) is not None:
        raise Conflict(_("A kit with code %(code)s already exists.", code=code), field="code")
    kit = Kit(code=code, name=name, description=description or None)
    kit.items = [KitItem(product_id=found[c], quantity=q) for c, q in wanted.items()]
    session.add(kit)
    session.flush()
    record(session, actor, "equipment.kit_created", "equipment_kit", kit.id, code=code,
           items={c: q for c, q in wanted.items()})
    return kit


class UnknownProducts(Refusal):
    """Product codes that are not in the catalogue (the kit form shows them against the fields)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("There is no product with code " + ", ".join(codes) + " in the catalogue.")
        self.codes = codes


def kits_with_items(session) -> list[tuple[Kit, list]]:
    """Every kit with its items (product code, name, quantity) in two queries."""
    kits = list(session.scalars(select(Kit).order_by(Kit.name)))
    rows = session.execute(
        select(KitItem.kit_id, Product.id, Product.code, Product.name, KitItem.quantity)
        .join(Product, Product.id == KitItem.product_id).order_by(Product.name)).all()
    by_kit: dict[int, list] = {}
    for row in rows:
        by_kit.setdefault(row.kit_id, []).append(row)
    return [(kit, by_kit.get(kit.id, [])) for kit in kits]
