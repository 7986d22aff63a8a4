"""What features add to the shared pages, registered by `create_app` (never by importing a module).

Each feature's `register(app)` adds its blueprint, its navigation entries, the waiting work it
shows on the staff home, its demo data and the section it shows on a person's record; the lists
live on the app, so two apps never share them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask, current_app


@dataclass(frozen=True)
class Event:
    """One dated line of a person's timeline (MOJ timeline pattern)."""

    at: datetime | date  # a stored UTC time, or a date
    title: str
    href: str | None = None
    who: str | None = None
    detail: str | None = None

    @property
    def sort_key(self) -> datetime:
        return self.at if isinstance(self.at, datetime) else datetime(self.at.year, self.at.month, self.at.day)


@dataclass(frozen=True)
class NavEntry:
    """One item of the service navigation. It is the current item on its own page, and on any page
    whose endpoint starts with one of `owns` when no earlier visible item owns that page too."""

    label: str
    endpoint: str
    roles: tuple[str, ...] | None  # None = every member of staff
    owns: tuple[str, ...]  # endpoint prefixes, e.g. "referrals." or "people."


@dataclass(frozen=True)
class WaitingWork:
    """One card on the staff home: a count of work waiting and the link to the queue that lists it.
    `count(session, user)` must use the queue's own query function with the filter `url()` opens."""

    label: str
    roles: tuple[str, ...] | None
    count: Callable
    url: Callable
    hint: str | None = None


@dataclass
class Registry:
    navigation: list[NavEntry] = field(default_factory=list)
    # the staff home's cards, in the order features add them
    waiting_work: list[WaitingWork] = field(default_factory=list)
    # called with the session once the demo staff exist; each must be idempotent
    seeders: list[Callable] = field(default_factory=list)
    # (title, function(session, person) -> list of (label, href, detail))
    person_sections: list[tuple[str, Callable]] = field(default_factory=list)
    # function(session, person) -> list[Event], for the person record's timeline
    person_events: list[Callable] = field(default_factory=list)
    # function(session, entity_type, entity_id) -> the newest audit row, for the clash page
    last_change: Callable | None = None
    # path prefix -> function(status, title, message, headers) -> response: machine callers (the API)
    # get errors in their own format, never an HTML page
    error_renderers: dict[str, Callable] = field(default_factory=dict)


def registry(app: Flask | None = None) -> Registry:
    app = app or current_app
    return app.extensions.setdefault("portal", Registry())


def add_navigation(app: Flask, label: str, endpoint: str, roles: tuple[str, ...] | None,
                   owns: tuple[str, ...] | None = None) -> None:
    """`owns` defaults to the endpoint's blueprint ("referrals."); Home owns nothing but itself."""
    if owns is None:
        owns = (endpoint.split(".")[0] + ".",)
    registry(app).navigation.append(NavEntry(label, endpoint, roles, tuple(owns)))


def add_waiting_work(app: Flask, label: str, roles: tuple[str, ...] | None, count_fn: Callable,
                     url_fn: Callable, hint: str | None = None) -> None:
    """A staff home card: count_fn(session, user) -> int, url_fn() -> the filtered queue's address."""
    registry(app).waiting_work.append(WaitingWork(label, roles, count_fn, url_fn, hint))


def waiting_work_for(session, user) -> list[dict]:
    """The staff home's cards for this user's roles, each counted by its feature's own function."""
    held = set(user.role_names)
    return [{"label": w.label, "count": w.count(session, user), "href": w.url(), "hint": w.hint}
            for w in registry().waiting_work if w.roles is None or held & set(w.roles)]


def add_seeder(app: Flask, seeder: Callable) -> None:
    registry(app).seeders.append(seeder)


def add_person_events(app: Flask, source: Callable) -> None:
    registry(app).person_events.append(source)


def add_person_section(app: Flask, title: str, section: Callable) -> None:
    registry(app).person_sections.append((title, section))


def add_error_renderer(app: Flask, prefix: str, render: Callable) -> None:
    registry(app).error_renderers[prefix] = render


def error_renderer_for(path: str) -> Callable | None:
    """The renderer of the longest registered prefix of `path`, if any."""
    found = [p for p in registry().error_renderers if path.startswith(p)]
    return registry().error_renderers[max(found, key=len)] if found else None
