"""`flask api-clients`: register, list and revoke the systems that call the API."""

import click
from flask import Flask

from portal.api import services
from portal.errors import Refusal
from portal.extensions import db


def register(app: Flask) -> None:
    group = click.Group("api-clients", help="Register, list and revoke API clients.")

    @group.command("add")
    @click.argument("name")
    @click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(sorted(services.SCOPES)))
    @click.option("--rate", "rate_per_minute", default=120, show_default=True, help="Requests a minute.")
    @click.option("--contact", "contact_email", default=None, help="Who to tell about changes and incidents.")
    def add(name, scopes, rate_per_minute, contact_email):
        """Register a client and print its key (shown once: only its hash is kept)."""
        try:
            new = services.register_client(db.session, "flask api-clients", name=name, scopes=scopes,
                                           rate_per_minute=rate_per_minute, contact_email=contact_email)
        except Refusal as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Registered {new.client.name} (#{new.client.id}) with {', '.join(new.client.scopes)}.")
        click.echo("Its key (shown once; give it to the system's administrator over a secure channel):")
        click.echo(new.key)

    @group.command("list")
    def list_():
        """Every client, its scopes and whether it is active."""
        for client in services.clients(db.session):
            state = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
            click.echo(f"#{client.id}\t{client.name}\t{','.join(client.scopes)}\t{client.rate_per_minute}/min\t{state}")

    @group.command("revoke")
    @click.argument("client_id", type=int)
    def revoke(client_id):
        """Refuse this client's key from now on."""
        from portal.api.models import ApiClient

        client = db.session.get(ApiClient, client_id)
        if client is None:
            raise click.ClickException(f"No client #{client_id}")
        try:
            services.revoke_client(db.session, "flask api-clients", client)
        except Refusal as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"Revoked {client.name} (#{client.id}).")

    app.cli.add_command(group)
