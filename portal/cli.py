"""Command-line tasks: `flask create-user`, `flask seed-demo`, `flask notify-deliver`, `flask db-optimize`."""

import os
import secrets
import time

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from portal.extensions import db, write_intent
from portal.web.registry import registry

DEMO_ACCOUNTS = [
    ("triage@demo.council.example", "Tariq Hussain", ["triage_officer"], None),
    ("assessor@demo.council.example", "Amy Clarke", ["trusted_assessor"], 4),
    ("ot@demo.council.example", "Olivia Turner", ["occupational_therapist"], None),
    ("installer@demo.council.example", "Ian Walsh", ["telecare_installer"], None),
    ("stores@demo.council.example", "Sam Reid", ["stores_officer"], None),
    ("dfg@demo.council.example", "Deborah Fox", ["dfg_caseworker"], None),
    ("manager@demo.council.example", "Maria Lopez", ["manager"], None),
    ("admin@demo.council.example", "Adam Price", ["admin"], None),
]

def demo_password() -> str:
    """DEMO_PASSWORD, or one generated once and kept in instance/ so it stays the same."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    from portal.config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "demo_password"
    if not path.exists():
        words = ["maple", "harbour", "copper", "lantern", "meadow", "orbit", "saffron", "tidal"]
        rng = secrets.SystemRandom()
        path.write_text("-".join(rng.sample(words, 3)) + f"-{rng.randint(10, 99)}")
        path.chmod(0o600)
    return path.read_text().strip()


def seed_demo_staff(session, password: str) -> list[tuple[str, str]]:
    from portal.auth import services
    from portal.auth.models import User

    created = []
    for email, name, roles, level in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.email == email)) is None:
            services.create_user(session, "seed-demo", email=email, name=name, password=password,
                                 roles=roles, trusted_assessor_level=level)
        created.append((email, ", ".join(roles)))
    return created


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", "roles", multiple=True, required=True,
                  help="Role to give (repeat for several), e.g. admin")
    @click.option("--trusted-assessor-level", type=click.IntRange(3, 4), default=None)
    @click.password_option()
    def create_user(email, name, roles, trusted_assessor_level, password):
        """Create a staff account (use it for the first administrator)."""
        from portal.auth import services
        from portal.errors import PortalError

        with write_intent():
            try:
                user = services.create_user(db.session, "cli", email=email, name=name,
                                            password=password, roles=list(roles),
                                            trusted_assessor_level=trusted_assessor_level)
            except PortalError as exc:
                raise click.ClickException(exc.message) from exc
            db.session.commit()
        click.echo(f"Created {user.email} with roles {', '.join(user.role_names)}")

    @app.cli.command("seed-demo")
    @click.option("--quiet", is_flag=True)
    def seed_demo(quiet):
        """Create demo staff (one per role) and demo records. Safe to run again."""
        if current_app.config["ENV_NAME"] == "production" and not os.environ.get("ALLOW_DEMO_SEED"):
            raise click.ClickException("Refusing to create demo accounts in production")
        password = demo_password()
        with write_intent():
            accounts = seed_demo_staff(db.session, password)
            db.session.commit()
            for seeder in registry(app).seeders:
                seeder(db.session)
                db.session.commit()
        if not quiet:
            click.echo("Demo staff accounts (all with the same password):")
            for email, roles in accounts:
                click.echo(f"  {email:36} {roles}")
            click.echo(f"Password: {password}")

    @app.cli.command("is-empty")
    def is_empty():
        """Exit 0 when there are no staff accounts yet (used by `make run`)."""
        from portal.auth.models import User

        count = db.session.scalar(select(func.count()).select_from(User))
        raise SystemExit(0 if count == 0 else 1)

    @app.cli.command("check-content")
    def check_content_command():
        """Validate the self-assessment questions, rules and catalogue; name every problem."""
        from portal.advice.engine import check_content

        problems = check_content()
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            raise click.ClickException(f"{len(problems)} problem(s) in the advice content")
        click.echo("Advice content is valid.")

    @app.cli.command("notify-deliver")
    @click.option("--loop", is_flag=True, help="Keep running, checking every 30 seconds")
    def notify_deliver(loop):
        """Send messages waiting in the outbox through GOV.UK Notify (retrying failures)."""
        from portal.notify.services import backend_from_config, deliver_due

        backend = backend_from_config()
        if backend is None:
            raise click.ClickException("NOTIFY_API_KEY is not set: messages stay in the outbox")
        while True:
            with write_intent():
                counts = deliver_due(db.session, backend)
            click.echo(f"sent {counts['sent']}, failed {counts['failed']}")
            if not loop:
                break
            time.sleep(30)

    @app.cli.command("db-optimize")
    def db_optimize():
        """Refresh the query planner's statistics (nightly, from cron or a scheduled task).

        SQLite never gathers them by itself, and without them it can pick the locality index over
        the queue's covering index for a filtered queue (a 30x slower page). PostgreSQL's autovacuum
        does this too; running it there is harmless.
        """
        from sqlalchemy import text

        started = time.perf_counter()
        with write_intent():
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        click.echo(f"Planner statistics refreshed in {time.perf_counter() - started:.1f} s.")
