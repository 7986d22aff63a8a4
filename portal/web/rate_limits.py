"""Rate-limit counters kept in the portal's own database (`portaldb://`).

Flask-Limiter counts in process memory unless told otherwise, so with two gunicorn workers each
counted its own guesses and 15 wrong passwords in a row never met the limit. Redis is the usual
shared store; where a council runs without it, the counters live in the `rate_limit` table, which
every worker and host shares. Each hit is one atomic upsert, on its own connection and
transaction, so it holds under concurrent requests and never mixes with the request's own work.

On PostgreSQL the table is in the portal's database (migration 0010). SQLite locks the whole file
for a write, and the request itself may hold that lock when the limiter counts a failed sign-in, so
there the counters live in a file of their own beside the database (`portal.db-limits`).
"""

import random
import threading
import time

from flask import current_app
from limits.storage import Storage
from sqlalchemy import CheckConstraint, Column, Float, Integer, String, Table, case, create_engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

rate_limit = Table(
    "rate_limit", db.metadata,
    Column("key", String(255), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    CheckConstraint("hits >= 0", name="hits"),
)

SWEEP_CHANCE = 0.01  # about one hit in a hundred clears counters that ended over an hour ago

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def counters_engine() -> Engine:
    """The engine the counters use: the portal's own on PostgreSQL, a sibling file on SQLite."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return db.engine
    if not url.database or url.database == ":memory:":
        raise RuntimeError("portaldb:// rate limits need a database file (use memory:// for one process)")
    path = url.database + "-limits"
    with _engines_lock:
        if path not in _engines:
            engine = create_engine(f"sqlite:///{path}")
            rate_limit.create(engine, checkfirst=True)
            _engines[path] = engine
        return _engines[path]


class DatabaseStorage(Storage):
    """A fixed-window counter store for the `limits` library, on SQLite or PostgreSQL."""

    STORAGE_SCHEME = ["portaldb"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with counters_engine().begin() as conn:
            insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(rate_limit)
            ended = rate_limit.c.expires_at <= now
            stmt = insert.values(key=key, hits=amount, expires_at=now + expiry).on_conflict_do_update(
                index_elements=["key"],
                set_={"hits": case((ended, amount), else_=rate_limit.c.hits + amount),
                      "expires_at": case((ended, now + expiry), else_=rate_limit.c.expires_at)},
            ).returning(rate_limit.c.hits)
            hits = conn.execute(stmt).scalar_one()
            if random.random() < SWEEP_CHANCE:
                conn.execute(delete(rate_limit).where(rate_limit.c.expires_at < now - 3600))
        return hits

    def _row(self, key: str):
        with counters_engine().connect() as conn:
            return conn.execute(select(rate_limit.c.hits, rate_limit.c.expires_at)
                                .where(rate_limit.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with counters_engine().connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with counters_engine().begin() as conn:
            return conn.execute(delete(rate_limit)).rowcount

    def clear(self, key: str) -> None:
        with counters_engine().begin() as conn:
            conn.execute(delete(rate_limit).where(rate_limit.c.key == key))
