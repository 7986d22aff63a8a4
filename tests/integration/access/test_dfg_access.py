"""DFG shows a person only through the access rule (DESIGN.md 6): a caseworker sees the case's
person while the case is open and for DFG_CLOSED_ACCESS_DAYS after it closed; a manager keeps
oversight. The case page, its actions, its evidence and the queue all follow it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.dfg.models import DfgEvidence
from portal.timeutil import utcnow
from tests.integration.dfg.conftest import new_case


@pytest.fixture
def upload_folder(app, tmp_path):
    old = app.config.get("DFG_UPLOAD_DIR")
    app.config["DFG_UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["DFG_UPLOAD_DIR"] = old


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _closed_long_ago(db_session, c):
    c.state = "withdrawn"
    c.state_changed_at = utcnow() - timedelta(days=400)
    db_session.commit()


def _refusals(db_session, c) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "security.refused", AuditEvent.entity_type == "dfg_case",
        AuditEvent.entity_id == str(c.id)))


def _evidence(db_session, c, folder) -> DfgEvidence:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stored-1.pdf").write_bytes(PDF)
    ev = DfgEvidence(case_id=c.id, kind="quote", description="Quote", original_name="quote.pdf",
                     stored_name="stored-1.pdf", content_type="application/pdf", size=len(PDF), sha256="0" * 64)
    db_session.add(ev)
    db_session.commit()
    return ev


def test_an_open_case_shows_the_caseworker_their_part_and_audits_the_view(client, db_session, staff):
    me = staff.create("dfg_caseworker")  # a write first: the enquiry's person match then runs as in a request
    c = new_case(db_session)
    db_session.commit()
    staff.sign_in(me)
    page = client.get(f"/dfg/cases/{c.id}")
    assert page.status_code == 200 and "Ada Lovelace" in page.text
    assert "27 March 1950" not in page.text  # the date of birth is not the caseworker's part
    viewed = db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(c.person_id))).all()
    assert [d["purpose"] for d in viewed] == [f"DFG case {c.reference}"]
    queue = client.get("/dfg/cases?state=all")
    assert "Ada Lovelace" in queue.text


def test_a_case_closed_long_ago_is_not_found_for_the_caseworker(client, db_session, staff, upload_folder):
    me = staff.create("dfg_caseworker")
    c = new_case(db_session)
    ev = _evidence(db_session, c, upload_folder)
    _closed_long_ago(db_session, c)
    staff.sign_in(me)
    page = client.get(f"/dfg/cases/{c.id}")
    assert page.status_code == 404 and "Ada" not in page.text
    download = client.get(f"/dfg/cases/{c.id}/evidence/{ev.id}")
    assert download.status_code == 404 and PDF not in download.data
    token = staff.csrf("/dfg/cases")
    version = c.version
    assert client.post(f"/dfg/cases/{c.id}/details", data={"details-csrf_token": token}).status_code == 404
    assert _refusals(db_session, c) == 3
    db_session.expire_all()
    assert c.version == version
    assert not db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "dfg.evidence_downloaded"))
    queue = client.get("/dfg/cases?state=all")
    assert queue.status_code == 200 and c.reference in queue.text
    assert "Ada" not in queue.text and "Not shown" in queue.text


@pytest.mark.parametrize("closed", [False, True])
def test_a_manager_keeps_oversight(client, db_session, staff, upload_folder, closed):
    me = staff.create("manager")
    c = new_case(db_session)
    ev = _evidence(db_session, c, upload_folder)
    if closed:
        _closed_long_ago(db_session, c)
    db_session.commit()
    staff.sign_in(me)
    page = client.get(f"/dfg/cases/{c.id}")
    assert page.status_code == 200 and "Ada Lovelace" in page.text
    assert client.get(f"/dfg/cases/{c.id}/evidence/{ev.id}").data == PDF
    assert "Ada Lovelace" in client.get("/dfg/cases?state=all").text
    assert _refusals(db_session, c) == 0
