"""SQL that must read the same on SQLite and PostgreSQL, written once for every feature."""

import uuid
from datetime import date

from sqlalchemy import DateTime, case, cast, func, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.errors import VersionClash


def _dialect(session) -> str:
    return session.get_bind().dialect.name


def insert_ignore(session, table, values: dict, index_elements: list[str]):
    """INSERT … ON CONFLICT DO NOTHING: the unique key, not Python, keeps a second copy out."""
    ins = postgresql.insert(table) if _dialect(session) == "postgresql" else sqlite.insert(table)
    return ins.values(**values).on_conflict_do_nothing(index_elements=index_elements)


def month_key(session, column):
    """"2026-11" for a date or a (naive UTC) time column: the month it falls in in London.

    SQLite has no time zones, but only the last hour of a month can change month, and London is
    always on summer time for the last hour of March to September and never for the last hour of
    October to February (summer time starts on the last Sunday of March and ends on the last
    Sunday of October, at 01:00 UTC). So an hour is added in those months; a date is unaffected."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone("Europe/London", func.timezone("UTC", cast(column, DateTime))), "YYYY-MM")
    return case((func.strftime("%m", column).between("03", "09"), func.strftime("%Y-%m", column, "+1 hour")),
                else_=func.strftime("%Y-%m", column))


def days_between(session, later, earlier):
    """Days (with a fraction) from `earlier` to `later`."""
    if _dialect(session) == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def month_keys(start: date, end: date) -> list[str]:
    """Every month key from start's month to end's, in order."""
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def new_submission_key() -> str:
    """A form's idempotency key: the same form sent twice makes one record (a unique column)."""
    return uuid.uuid4().hex


def is_submission_key(value: str | None) -> bool:
    """One of ours: anything else posted as a key is never looked up or stored."""
    return bool(value) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def move_state(session, thing, to_state: str, label: str, **values):
    """Move a versioned record to `to_state` with one conditional UPDATE on the state and version
    that were read: if anyone changed it in between, no row matches and that is a version clash,
    never a silent overwrite. `label` names the record as the person knows it ("Order 12")."""
    model = type(thing)
    stmt = (update(model).where(model.id == thing.id, model.state == thing.state, model.version == thing.version)
            .values(state=to_state, version=model.version + 1, **values)
            .returning(model.id).execution_options(synchronize_session="fetch"))
    if session.execute(stmt).first() is None:
        raise VersionClash(f"{label} was changed by someone else just now. Your change was not saved.",
                           entity_type=model.__tablename__, entity_id=thing.id)
    session.refresh(thing)
    return thing
