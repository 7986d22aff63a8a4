"""`flask reports refresh`: work the dashboard's daily totals out again (schedule it: README.md)."""

import click
from flask.cli import AppGroup

from portal.extensions import db, write_intent

reports_cli = AppGroup("reports", help="The reports' figures.")


@reports_cli.command("refresh")
def refresh_command():
    """Work the dashboard's referral figures out again from scratch (every few minutes, from cron or a
    systemd timer); the pages show the time they are true at."""
    from portal.reports import aggregates, services
    from portal.timeutil import utcnow

    with write_intent():
        as_of = aggregates.refresh(db.session)
        db.session.commit()
        aggregates.tidy(db.session)
    click.echo(f"Referral figures as of {services.as_of_text(as_of, utcnow())}.")
