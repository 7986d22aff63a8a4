"""Amnesties: a campaign to recover equipment on loan to an organisation or area for too long."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from portal.audit.services import record
from portal.equipment.models import Amnesty, BorrowerOrganisation, Order, OrderLine
from portal.equipment.services.ledger import actor_id
from portal.equipment.services.orders import request_collection
from portal.errors import NotFound, Refusal
from portal.people.models import Person
from portal.timeutil import utcnow
from portal.web.clocks import add_months


def start_amnesty(session, actor, name: str, months: int, organisation_id: int | None = None,
                  locality: str | None = None) -> Amnesty:
    if not name or not name.strip():
        raise Refusal(_("Enter a name for the amnesty."), field="name")
    if months <= 0:
        raise Refusal(_("Enter a number of months of 1 or more."), field="months")
    if not organisation_id and not locality:
        raise Refusal(_("Select an organisation or an area."), field="organisation_id")
    amnesty = Amnesty(name=name.strip(), months=months, organisation_id=organisation_id or None,
                      locality=locality or None, started_by_id=actor_id(actor))
    session.add(amnesty)
    session.flush()
    record(session, actor, "equipment.amnesty_started", "equipment_amnesty", amnesty.id, months=months)
    return amnesty


def amnesty_candidates(session, amnesty: Amnesty, now: datetime | None = None) -> list:
    """Orders still on loan (delivered, not yet booked for collection) to the organisation or
    area for longer than the amnesty's months."""
    cutoff = add_months(now or utcnow(), -amnesty.months)
    stmt = (select(Order.id, Order.delivered_at, Person.given_name, Person.family_name,
                   BorrowerOrganisation.name.label("organisation"), func.count(OrderLine.id).label("items"))
            .join(OrderLine, and_(OrderLine.order_id == Order.id, OrderLine.released_at.is_(None)))
            .outerjoin(Person, Person.id == Order.person_id)
            .outerjoin(BorrowerOrganisation, BorrowerOrganisation.id == Order.organisation_id)
            .where(Order.state == "delivered", Order.delivered_at < cutoff)
            .group_by(Order.id, Order.delivered_at, Person.given_name, Person.family_name, BorrowerOrganisation.name)
            .order_by(Order.delivered_at))
    if amnesty.organisation_id:
        stmt = stmt.where(Order.organisation_id == amnesty.organisation_id)
    if amnesty.locality:
        stmt = stmt.where(Order.locality == amnesty.locality)
    return session.execute(stmt).all()


def amnesty_request_collections(session, actor, amnesty_id: int) -> int:
    amnesty = session.get(Amnesty, amnesty_id)
    if amnesty is None:
        raise NotFound(_("There is no amnesty with that id."))
    rows = amnesty_candidates(session, amnesty)
    for row in rows:
        request_collection(session, actor, row.id, "care_home_amnesty", amnesty_id=amnesty.id)
    return len(rows)


def amnesty_report(session, amnesty: Amnesty) -> dict:
    by_state = dict(session.execute(select(Order.state, func.count()).where(Order.amnesty_id == amnesty.id)
                                    .group_by(Order.state)).all())
    returned = session.scalar(select(func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id)
                              .where(Order.amnesty_id == amnesty.id, Order.state == "collected")) or 0
    return {"requested": by_state.get("collection_requested", 0), "collected": by_state.get("collected", 0),
            "items_returned": returned}
