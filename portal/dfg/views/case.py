"""A DFG case in the record layout: its sections, each its own page (overview, money, quotes and
payments, evidence, history), and the evidence download."""

import io
from dataclasses import dataclass
from datetime import datetime

from flask import send_file
from flask_login import current_user

from portal.dfg import bp, forms, services
from portal.dfg.models import DISCRETIONARY_REASONS, STATES
from portal.dfg.views.common import READERS, blank_form, get_case, render_record
from portal.extensions import db
from portal.timeutil import today as london_today
from portal.web.filters import actor_name, format_money
from portal.web.security import staff


def _overview(c, failed=None):
    return {"difficulty_text": ", ".join(forms.DIFFICULTIES.get(d, d) for d in c.difficulties or []),
            "failed_form": failed}


@bp.get("/cases/<int:case_id>")
@staff(*READERS)
def case(case_id: int):
    c = get_case(case_id)
    services.record_case_view(db.session, current_user, c)
    db.session.commit()
    return render_record("dfg/case.html", c, "dfg.case", **_overview(c))


@bp.get("/cases/<int:case_id>/money")
@staff(*READERS)
def case_money(case_id: int):
    c = get_case(case_id)
    return render_record("dfg/case_money.html", c, "dfg.case_money", grant_sum=services.grant_sum(c),
                         grant_limit=services.grant_limit(c), explain=services.explain,
                         discretionary_reasons=DISCRETIONARY_REASONS)


def quotes_context(c) -> dict:
    return {"instalment_limit": services.instalment_limit(c) if c.approved_amount is not None else None,
            "instalment_percent": f"{services.instalment_share() * 100:.0f}%", "payable_now": services.payable_now(c)}


@bp.get("/cases/<int:case_id>/quotes")
@staff(*READERS)
def case_quotes(case_id: int):
    c = get_case(case_id)
    return render_record("dfg/case_quotes.html", c, "dfg.case_quotes", **quotes_context(c))


@bp.get("/cases/<int:case_id>/evidence")
@staff(*READERS)
def case_evidence(case_id: int):
    c = get_case(case_id)
    return render_record("dfg/case_evidence.html", c, "dfg.case_evidence", upload=blank_form("upload", c))


@dataclass
class Event:
    label: str
    by: str | None
    at: datetime
    text: str = ""


def _history(c) -> list[Event]:
    """The case's timeline, newest first: its stages (with their days), quotes, payments and files."""
    events = []
    for s in services.stage_durations(c):
        days = "" if s["days"] is None else f"{s['days']:g} days at this stage" + (" so far" if s["current"] else "")
        events.append(Event(s["label"], actor_name(s["by"]), s["at"], days))
    for q in c.quotes:
        events.append(Event(f"Quote from {q.contractor}", None, q.added_at,
                            f"{format_money(q.amount)}, received {q.received_on:%-d %B %Y}"))
        if q.withdrawn_at:
            events.append(Event(f"Quote from {q.contractor} withdrawn", None, q.withdrawn_at, q.withdrawn_reason))
    for p in c.payments:
        events.append(Event(f"Payment of {format_money(p.amount)}", actor_name(p.paid_by), p.recorded_at,
                            f"Paid on {p.paid_on:%-d %B %Y}" + (f" to {p.payee}" if p.payee else "")))
    for e in c.evidence:
        events.append(Event(f"File uploaded: {e.original_name}", None, e.uploaded_at, e.kind_label))
    return sorted(events, key=lambda e: e.at, reverse=True)


@bp.get("/cases/<int:case_id>/history")
@staff(*READERS)
def case_history(case_id: int):
    c = get_case(case_id)
    return render_record("dfg/case_history.html", c, "dfg.case_history", events=_history(c),
                         stages=services.stage_durations(c), states=STATES, today=london_today())


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@staff(*READERS)
def download(case_id: int, evidence_id: int):
    get_case(case_id)
    ev, path = services.evidence_for_download(db.session, current_user, case_id, evidence_id)
    db.session.commit()
    data = path.read_bytes()  # at most the upload limit; read whole so no file handle outlives the request
    resp = send_file(io.BytesIO(data), mimetype=ev.content_type, as_attachment=True, download_name=ev.original_name,
                     max_age=0, conditional=False, etag=False)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp
