"""API clients: keys kept only as hashes, scopes checked, revocation final, every change audited."""

import hashlib

import pytest
from sqlalchemy import select

from portal.api import services
from portal.api.models import ApiClient
from portal.audit.models import AuditEvent
from portal.errors import Refusal


def test_a_key_is_shown_once_and_only_its_hash_is_kept(db_session):
    new = services.register_client(db_session, "test", name="Mosaic", scopes=["referrals:read"])
    _, key_id, secret = new.key.split("_", 2)
    row = db_session.get(ApiClient, new.client.id)
    assert row.key_id == key_id
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(row.__dict__)
    assert services.client_for_key(db_session, new.key) is row


@pytest.mark.parametrize("presented", ["", "Bearer x", "tecs_0000000000000000_" + "a" * 43, None])
def test_a_wrong_or_malformed_key_finds_no_client(db_session, presented):
    services.register_client(db_session, "test", name="Liquidlogic", scopes=["referrals:read"])
    assert services.client_for_key(db_session, presented) is None


def test_the_right_key_id_with_a_wrong_secret_is_refused(db_session):
    new = services.register_client(db_session, "test", name="Hospital", scopes=["referrals:write"])
    prefix = new.key.rsplit("_", 1)[0]
    assert services.client_for_key(db_session, prefix + "_" + "b" * 43) is None


def test_a_revoked_key_is_refused_and_revoking_twice_is_refused(db_session):
    new = services.register_client(db_session, "test", name="Old system", scopes=["people:read"])
    services.revoke_client(db_session, "admin", new.client)
    assert services.client_for_key(db_session, new.key) is None
    with pytest.raises(Refusal):
        services.revoke_client(db_session, "admin", new.client)
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "api_client",
                                                                 AuditEvent.entity_id == str(new.client.id)))
    assert sorted(actions) == ["api_client.registered", "api_client.revoked"]


@pytest.mark.parametrize("scopes", [[], ["everything"], ["referrals:read", "admin"]])
def test_unknown_or_no_scopes_are_refused(db_session, scopes):
    with pytest.raises(Refusal) as refused:
        services.register_client(db_session, "test", name="Bad", scopes=scopes)
    assert refused.value.field == "scopes"


def test_names_are_unique(db_session):
    services.register_client(db_session, "test", name="Mosaic", scopes=["referrals:read"])
    with pytest.raises(Refusal):
        services.register_client(db_session, "test", name="  Mosaic ", scopes=["referrals:read"])


def test_the_command_line_registers_lists_and_revokes(app, db_session):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["api-clients", "add", "Discharge team", "--scope", "referrals:write"])
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    client = services.client_for_key(db_session, key)
    assert client is not None and client.scopes == ["referrals:write"]
    listed = runner.invoke(args=["api-clients", "list"])
    assert "Discharge team" in listed.output and "active" in listed.output
    revoked = runner.invoke(args=["api-clients", "revoke", str(client.id)])
    assert revoked.exit_code == 0, revoked.output
    assert services.client_for_key(db_session, key) is None
