"""Extension objects (unbound) and the database rules that must hold on both engines."""

import select
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)

_HUNG_UP = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


@event.listens_for(Pool, "checkout")
def _replace_closed_connection(dbapi_connection, _record, _proxy) -> None:
    """A pooled PostgreSQL connection the server has closed (a restart, a failover, a terminated
    backend) is replaced before the request uses it, so the first request afterwards succeeds.

    An idle connection has nothing to read unless the server has hung up (it sends its FATAL
    message and closes), so this asks the socket, with no round trip; `pool_pre_ping` would send a
    query on every request. Raising DisconnectionError makes the pool open a new connection.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        return
    if dbapi_connection.closed:
        raise DisconnectionError("the connection was closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), _HUNG_UP)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


# SQLite has no row locks and silently drops FOR UPDATE. A deferred transaction that reads and
# then writes fails at once with "database is locked" when another writer got in first, whatever
# the busy timeout. So a unit of work that will write starts with BEGIN IMMEDIATE: requests that
# change state set this before their first query (see portal.web.security), and code that starts
# writing in the middle of a read (an audited view) calls begin_write().
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def begin_write() -> None:
    """Make sure what follows runs in a write transaction.

    On SQLite, a read transaction already open is committed (it holds nothing) so that the next
    statement begins with BEGIN IMMEDIATE. On PostgreSQL this does nothing.
    """
    if _write_intent.get():
        return
    _write_intent.set(True)
    if db.session.get_bind().dialect.name == "sqlite" and db.session().in_transaction():
        db.session.commit()


@contextmanager
def write_intent() -> Iterator[None]:
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)

