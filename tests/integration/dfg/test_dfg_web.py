"""The DFG web pages: public enquiry journey, double submit, caseworker actions, uploads and access."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.dfg import services
from portal.dfg.models import MAX_EVIDENCE_BYTES, DfgCase, DfgEvidence
from portal.people.models import Person
from portal.timeutil import today as london_today
from tests.conftest import csrf_from
from tests.integration.dfg.conftest import walk_to

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _post_step(client, step, data):
    page = client.get(f"/dfg/enquiry/{step}")
    assert page.status_code == 200
    return client.post(f"/dfg/enquiry/{step}", data={**data, "csrf_token": csrf_from(page.text)})


def _fill_enquiry(client):
    assert _post_step(client, "who", {"who": "adult"}).headers["Location"].endswith("/dfg/enquiry/tenure")
    _post_step(client, "tenure", {"tenure": "owner_occupier"})
    _post_step(client, "difficulties", {"difficulties": ["stairs", "bathing"], "details": "Bath is too high"})
    _post_step(client, "name", {"given_name": "Grace", "family_name": "Hopper"})
    _post_step(client, "date-of-birth", {"date_of_birth": ["9", "12", "1946"]})
    _post_step(client, "address", {"address_line_1": "2 Mill Lane", "town": "Ashdown", "postcode": "ad1 2bd"})
    resp = _post_step(client, "contact", {"phone": "01632 960002", "email": ""})
    assert resp.headers["Location"].endswith("/dfg/enquiry/check")


def test_start_page_links_to_the_enquiry(client):
    assert 'href="/dfg/enquiry"' in client.get("/").text
    page = client.get("/dfg/enquiry")
    assert page.status_code == 200 and page.text.count("<h1") == 1


def test_public_enquiry_creates_one_case_even_when_sent_twice(client, db_session):
    _fill_enquiry(client)
    check = client.get("/dfg/enquiry/check")
    assert "Grace Hopper" in check.text and "AD1 2BD" in check.text and "9 December 1946" in check.text
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', check.text).group(1)
    data = {"csrf_token": csrf_from(check.text), "submission_key": key}
    before = db_session.scalar(select(func.count()).select_from(DfgCase))
    first = client.post("/dfg/enquiry/check", data=data)
    assert first.status_code == 303
    again = client.post("/dfg/enquiry/check", data=data)
    assert again.status_code == 303
    assert db_session.scalar(select(func.count()).select_from(DfgCase)) == before + 1
    c = db_session.scalar(select(DfgCase).where(DfgCase.submission_key == key))
    assert c.state == "enquiry" and c.person.family_name == "Hopper" and c.tenure == "owner_occupier"
    done = client.get(first.headers["Location"])
    assert c.reference in done.text and "Enquiry sent" in done.text
    assert f"<br><strong>{c.reference}</strong>" in done.text and "&lt;strong&gt;" not in done.text
    people = db_session.scalar(select(func.count()).select_from(Person).where(Person.family_name == "Hopper"))
    assert people == 1  # the person is made once, through the people feature


def test_the_enquiry_person_is_made_by_the_people_feature_and_audited(client, db_session):
    _fill_enquiry(client)
    check = client.get("/dfg/enquiry/check")
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', check.text).group(1)
    client.post("/dfg/enquiry/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    c = db_session.scalar(select(DfgCase).where(DfgCase.submission_key == key))
    assert c.person.postcode == "AD1 2BD" and c.person.tenure == "owner"
    actions = set(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "person", AuditEvent.entity_id == str(c.person_id))))
    assert "person.created" in actions


def test_enquiry_errors_use_govuk_wording(client):
    resp = _post_step(client, "who", {})
    assert resp.status_code == 422
    assert "Select who the grant is for" in resp.text and "<title>Error:" in resp.text


def test_enquiry_check_without_answers_goes_to_the_first_question(client):
    resp = client.get("/dfg/enquiry/check")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/dfg/enquiry/who")


@pytest.fixture
def case_in_works(db_session, caseworker):
    return walk_to(db_session, caseworker, "works", grant="4800")


def test_queue_and_case_page_for_caseworker_and_manager(client, staff, db_session, case_in_works, htmx_headers):
    staff.login_as("manager")
    page = client.get("/dfg/cases?state=all")
    assert page.status_code == 200 and case_in_works.reference in page.text
    fragment = client.get("/dfg/cases?state=works", headers=htmx_headers)
    assert fragment.status_code == 200 and "<html" not in fragment.text and case_in_works.reference in fragment.text
    detail = client.get(f"/dfg/cases/{case_in_works.id}")
    assert detail.status_code == 200 and "Record a payment" not in detail.text  # managers read only
    assert detail.text.count("<h1") == 1
    resp = client.post(f"/dfg/cases/{case_in_works.id}/payment",
                       data={"csrf_token": csrf_from(detail.text), "payment-amount": "10"})
    assert resp.status_code == 403


def test_other_roles_cannot_see_dfg(client, staff, case_in_works):
    staff.login_as("occupational_therapist")
    assert client.get("/dfg/cases").status_code == 403
    assert client.get(f"/dfg/cases/{case_in_works.id}").status_code == 403


def test_payment_over_approval_shows_an_error_and_keeps_the_form(client, staff, db_session, case_in_works):
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{case_in_works.id}")
    resp = client.post(f"/dfg/cases/{case_in_works.id}/payment", data={
        "payment-csrf_token": csrf_from(page.text), "payment-amount": "4320.01",
        "payment-paid_on": _date(london_today()), "payment-payee": "Lift Co 0"})
    assert resp.status_code == 422
    assert "at most £4,320.00" in resp.text and 'value="4320.01"' in resp.text
    assert "completed and inspected" in resp.text
    db_session.refresh(case_in_works)
    assert case_in_works.paid_total == 0 and not case_in_works.payments
    before = _date(case_in_works.decision_date - timedelta(days=1))
    early = client.post(f"/dfg/cases/{case_in_works.id}/payment", data={
        "payment-csrf_token": csrf_from(page.text), "payment-amount": "1000", "payment-paid_on": before})
    assert early.status_code == 422 and "when the grant was approved" in early.text
    ok = client.post(f"/dfg/cases/{case_in_works.id}/payment", data={
        "payment-csrf_token": csrf_from(page.text), "payment-amount": "1000",
        "payment-paid_on": _date(london_today())})
    assert ok.status_code == 303


def test_approval_amount_is_validated_on_the_page(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}")
    resp = client.post(f"/dfg/cases/{c.id}/approve", data={
        "approve-csrf_token": csrf_from(page.text), "approve-version": str(c.version), "approve-fees": "50000.01",
        "approve-decision_date": _date(london_today())})
    assert resp.status_code == 422 and "Allowed fees cannot be more than £50,000.00" in resp.text
    assert 'value="50000.01"' in resp.text
    db_session.refresh(c)
    assert c.state == "application_received" and c.approved_amount is None


def test_stale_form_is_a_clash_that_names_the_latest_change(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "enquiry")
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}/withdraw")
    services.start_eligibility(db_session, caseworker, c)  # someone else moves the case on meanwhile
    db_session.commit()
    resp = client.post(f"/dfg/cases/{c.id}/withdraw", data={
        "withdraw-csrf_token": csrf_from(page.text), "withdraw-version": re.search(
            r'name="withdraw-version"[^>]*value="(\d+)"', page.text).group(1), "withdraw-reason": "Moved"})
    assert resp.status_code == 409 and "changed by someone else" in resp.text
    assert "The latest change: transition by Dee Caseworker" in resp.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "eligibility"


def _field_error(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert match, f"no error message on {field_id}"
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).replace("Error:", "").strip()


def _date(d):
    return [str(d.day), str(d.month), str(d.year)]


@pytest.mark.parametrize("state,action,fields,field_id,message", [
    ("application_received", "approve", {"fees": "50000.01"}, "approve-fees", "cannot be more than £50,000.00"),
    ("application_received", "approve", {"discretionary": "50"}, "approve-discretionary_reason",
     "Select the policy reason"),
    ("application_received", "approve", {"discretionary": "300", "discretionary_reason": "tecs"},
     "approve-discretionary", "cannot be more than £4,800.00 (the chosen quote"),
    ("application_received", "approve", {"decision_date": "long ago"}, "approve-decision_date",
     "when the full application was received"),
    ("works", "payment", {"amount": "4800.01"}, "payment-amount", "at most £4,320.00 (90% of the approved"),
    ("works", "complete", {"completed_on": "today", "inspected_on": "yesterday"}, "complete-inspected_on",
     "when the works were completed"),
    ("survey_and_quotes", "quote", {"contractor": "Lift Co", "amount": "0"}, "quote-amount",
     "must be more than £0"),
    ("eligibility", "tor", {"passported": "no", "weekly_income": "100", "savings": "12.345"}, "tor-savings",
     "Enter an amount"),
])
def test_a_refusal_comes_back_on_its_field(client, staff, db_session, caseworker, state, action, fields, field_id,
                                           message):
    """Each money or date rule re-renders the case page (422) with the message on the field it names and
    every answer kept; nothing is saved."""
    c = walk_to(db_session, caseworker, state)
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}")
    today = london_today()
    words = {"today": _date(today), "yesterday": _date(today - timedelta(days=1)),
             "long ago": _date(today - timedelta(days=400))}
    defaults = {"approve": {"decision_date": "today"}, "payment": {"paid_on": "today"},
                "quote": {"received_on": "today"}, "tor": {}, "complete": {}}[action]
    answers = {k: words.get(v, v) for k, v in {**defaults, **fields}.items()}
    version, audits = c.version, _audits(db_session, c)
    resp = client.post(f"/dfg/cases/{c.id}/{action}", data={
        f"{action}-csrf_token": csrf_from(page.text), f"{action}-version": str(c.version),
        **{f"{action}-{k}": v for k, v in answers.items()}})
    assert resp.status_code == 422
    assert message in _field_error(resp.text, field_id)
    assert "There is a problem" in resp.text and f'href="#{field_id}"' in resp.text
    for k, v in answers.items():
        if isinstance(v, str) and k not in ("discretionary_reason", "passported"):
            assert f'value="{v}"' in resp.text, k
    db_session.expire_all()
    assert (db_session.get(DfgCase, c.id).version, _audits(db_session, c)) == (version, audits)


def _audits(session, c) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "dfg_case", AuditEvent.entity_id == str(c.id)))


def test_an_action_not_open_now_is_refused_at_the_top_of_the_form(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes", quotes=("5000",))
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}")
    assert "Policy needs at least 2 quotes before the full application; this case has 1." in page.text
    assert f'action="/dfg/cases/{c.id}/application"' not in page.text
    resp = client.post(f"/dfg/cases/{c.id}/application", data={
        "application-csrf_token": csrf_from(page.text), "application-version": str(c.version),
        "application-on": _date(london_today())})
    assert resp.status_code == 422 and "There is a problem" in resp.text
    assert "Policy needs at least 2 quotes" in resp.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "survey_and_quotes"


def test_a_one_button_action_with_a_bad_form_shows_the_page_again(client, staff, db_session, caseworker, app,
                                                                 monkeypatch):
    """No more abort(400): a one-button form that does not validate comes back on the case page."""
    monkeypatch.setitem(app.config, "WTF_CSRF_CHECK_DEFAULT", False)  # so the view's own check runs
    c = walk_to(db_session, caseworker, "enquiry")
    staff.login_as("dfg_caseworker")
    resp = client.post(f"/dfg/cases/{c.id}/eligibility", data={"version": str(c.version)})
    assert resp.status_code == 422 and "There is a problem" in resp.text and "<h1" in resp.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "enquiry"


def test_an_out_of_date_check_page_is_shown_again_not_a_400(client, db_session):
    _fill_enquiry(client)
    check = client.get("/dfg/enquiry/check")
    before = db_session.scalar(select(func.count()).select_from(DfgCase))
    resp = client.post("/dfg/enquiry/check", data={"csrf_token": csrf_from(check.text), "submission_key": "stale"})
    assert resp.status_code == 422
    assert "This page was out of date" in resp.text and "Grace Hopper" in resp.text
    assert db_session.scalar(select(func.count()).select_from(DfgCase)) == before
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', resp.text).group(1)
    sent = client.post("/dfg/enquiry/check", data={"csrf_token": csrf_from(resp.text), "submission_key": key})
    assert sent.status_code == 303
    assert db_session.scalar(select(func.count()).select_from(DfgCase)) == before + 1


# Uploads -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,message", [
    ("report.exe", b"MZ\x90\x00", "must be a PDF, JPG or PNG"),
    ("quote.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not a real PDF"),
    ("quote.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "not a real PDF"),
    ("photo.png", b"<html><script>alert(1)</script></html>", "not a real PNG"),
    ("page.html", b"<html></html>", "must be a PDF, JPG or PNG"),
    ("../../etc/passwd.pdf", PDF, "must not include folders"),
    ("..\\boot.pdf", PDF, "must not include folders"),
    (".hidden.pdf", PDF, "must not include folders"),
    ("empty.pdf", b"", "is empty"),
    ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "smaller than 10 MB"),
    ("eicar.pdf", b"%PDF-1.4 X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*", "virus"),
    ("polyglot.pdf", b"%PDF-1.4\n<html><script>alert(1)</script>", "must be a PDF, JPG or PNG"),
])
def test_upload_checks(name, data, message):
    with pytest.raises(services.UploadRejected, match=message) as refused:
        services.check_upload(name, data)
    assert refused.value.field == "file"


def test_the_upload_limit_is_the_setting_and_the_database_agrees(app, db_session, monkeypatch):
    assert services.upload_limit_mb() == app.config["MAX_UPLOAD_MB"] == 10
    assert services.upload_limit_bytes() == MAX_EVIDENCE_BYTES  # the size CHECK on dfg_evidence
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 5)
    with pytest.raises(services.UploadRejected, match="smaller than 5 MB"):
        services.check_upload("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 50)  # never above what the database accepts
    assert services.upload_limit_bytes() == MAX_EVIDENCE_BYTES


def test_good_files_pass_and_names_are_sanitised():
    assert services.check_upload("Quote from Lift Co.pdf", PDF) == ("application/pdf", "Quote_from_Lift_Co.pdf")
    assert services.check_upload("photo.PNG", PNG)[0] == "image/png"
    assert services.check_upload("x.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20)[0] == "image/jpeg"


def test_upload_and_download(client, staff, db_session, case_in_works, upload_folder):
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{case_in_works.id}")
    resp = client.post(f"/dfg/cases/{case_in_works.id}/evidence/new", content_type="multipart/form-data", data={
        "evidence-csrf_token": csrf_from(page.text), "evidence-kind": "quote", "evidence-description": "First quote",
        "evidence-file": (io.BytesIO(PDF), "Quote (1) from Lift Co.pdf")})
    assert resp.status_code == 303
    ev = db_session.scalar(select(DfgEvidence).where(DfgEvidence.case_id == case_in_works.id))
    stored = upload_folder / ev.stored_name
    assert stored.read_bytes() == PDF and "static" not in str(stored) and len(ev.stored_name) >= 32
    download = client.get(f"/dfg/cases/{case_in_works.id}/evidence/{ev.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Disposition"] == "attachment; filename=Quote_1_from_Lift_Co.pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    audits = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "dfg.evidence_downloaded", AuditEvent.entity_id == str(case_in_works.id)))
    assert audits == 1
    assert client.get(f"/dfg/cases/{case_in_works.id + 999}/evidence/{ev.id}").status_code == 404


def test_refused_upload_keeps_the_rest_of_the_form(client, staff, case_in_works):
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{case_in_works.id}")
    resp = client.post(f"/dfg/cases/{case_in_works.id}/evidence/new", content_type="multipart/form-data", data={
        "evidence-csrf_token": csrf_from(page.text), "evidence-kind": "benefit",
        "evidence-description": "Universal Credit letter",
        "evidence-file": (io.BytesIO(b"MZ\x90\x00rest"), "letter.pdf")})
    assert resp.status_code == 422
    assert "not a real PDF" in resp.text and "There is a problem" in resp.text
    assert 'value="Universal Credit letter"' in resp.text
    assert re.search(r'<option value="benefit" selected', resp.text)


def test_another_role_cannot_download(client, staff, db_session, case_in_works, caseworker):
    ev = services.store_evidence(db_session, caseworker, case_in_works, filename="q.pdf", data=PDF, kind="quote")
    staff.login_as("occupational_therapist")
    assert client.get(f"/dfg/cases/{case_in_works.id}/evidence/{ev.id}").status_code == 403


def _multipart(token: str, size: int) -> tuple[bytes, str]:
    boundary = "dfgboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"evidence-csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"evidence-kind\"\r\n\r\nphoto\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"evidence-description\"\r\n\r\nThe stairs\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"evidence-file\"; "
            f"filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
        b"\x89PNG\r\n\x1a\n" + b"0" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_file_over_the_limit_comes_back_on_the_evidence_form(client, staff, db_session, case_in_works):
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{case_in_works.id}/evidence")
    assert "PDF, JPG or PNG, smaller than 10 MB" in page.text
    body, content_type = _multipart(csrf_from(page.text), 13 * 1024 * 1024)
    resp = client.post(f"/dfg/cases/{case_in_works.id}/evidence/new", data=body, content_type=content_type)
    assert resp.status_code == 422
    assert "must be smaller than 10 MB" in _field_error(resp.text, "evidence-file")
    assert 'value="The stairs"' in resp.text and "PDF, JPG or PNG, smaller than 10 MB" in resp.text
    assert db_session.scalar(select(func.count()).select_from(DfgEvidence)) == 0


def test_a_body_over_four_times_the_limit_is_the_413_page(client, staff, case_in_works):
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{case_in_works.id}")
    body, content_type = _multipart(csrf_from(page.text), 41 * 1024 * 1024)
    resp = client.post(f"/dfg/cases/{case_in_works.id}/evidence/new", data=body, content_type=content_type)
    assert resp.status_code == 413 and "must be smaller than 10 MB" in resp.text


def test_an_ot_recommendation_needs_the_ot_even_when_the_name_is_left_empty(client, staff, db_session, caseworker):
    """WTForms' Optional() stopped the inline check when the name was empty: the rule never ran."""
    c = walk_to(db_session, caseworker, "ot_recommendation")
    db_session.commit()
    staff.login_as("dfg_caseworker")
    page = client.get(f"/dfg/cases/{c.id}")
    version = c.version
    resp = client.post(f"/dfg/cases/{c.id}/ot", data={
        "csrf_token": csrf_from(page.text), "ot-version": str(version), "ot-what": "Level-access shower",
        "ot-why": "Cannot step into the bath", "ot-necessary_appropriate": "yes", "ot-ot": "", "ot-ot_name": ""})
    assert resp.status_code == 422
    assert "Select the occupational therapist or enter their name" in resp.text
    assert "Level-access shower" in resp.text  # the answers are kept
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).version == version
