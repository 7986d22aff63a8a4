"""What features add to the shared pages, registered by `create_app` (never by importing a module).

Each feature's `register(app)` adds its blueprint, its navigation entries, its demo data and the
section it shows on a person's record; the lists live on the app, so two apps never share them.
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


@dataclass
class Registry:
    # (label, endpoint, roles that see it; None = every member of staff)
    navigation: list[tuple[str, str, tuple[str, ...] | None]] = field(default_factory=list)
    # called with the session once the demo staff exist; each must be idempotent
    seeders: list[Callable] = field(default_factory=list)
    # (title, function(session, person) -> list of (label, href, detail))
    person_sections: list[tuple[str, Callable]] = field(default_factory=list)
    # function(session, person) -> list[Event], for the person record's timeline
    person_events: list[Callable] = field(default_factory=list)
    # function(session, entity_type, entity_id) -> the newest audit row, for the clash page
    last_change: Callable | None = None


def registry(app: Flask | None = None) -> Registry:
    app = app or current_app
    return app.extensions.setdefault("portal", Registry())


def add_navigation(app: Flask, label: str, endpoint: str, roles: tuple[str, ...] | None) -> None:
    registry(app).navigation.append((label, endpoint, roles))


def add_seeder(app: Flask, seeder: Callable) -> None:
    registry(app).seeders.append(seeder)


def add_person_events(app: Flask, source: Callable) -> None:
    registry(app).person_events.append(source)


def add_person_section(app: Flask, title: str, section: Callable) -> None:
    registry(app).person_sections.append((title, section))
