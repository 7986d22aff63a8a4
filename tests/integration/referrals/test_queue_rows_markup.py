"""The queue's rows come from one plain-HTML partial (templates/referrals/_queue_rows.html), not a
macro per row and cell: it must give screen readers and browsers without JavaScript exactly what
the old `queue_row` macro gave. The expected rows below are that macro's output (commit c2a94da),
compared element by element, attribute by attribute and word by word (whitespace between tags is
not content)."""
# ruff: noqa: E501 (the old macro's rows, byte for byte)

from datetime import datetime
from html.parser import HTMLParser

import pytest

from portal.referrals.services.queries import QueueRow
from portal.web.clocks import Reading


class _Structure(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("<", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.events.append((">", tag))

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            # a run of text keeps its edge spaces: "Grace O'Murphy" and " R-AB12-CD34" are content
            self.events.append(("text", (" " if data[:1].isspace() else "") + text
                                + (" " if data[-1:].isspace() else "")))


def structure(html: str) -> list[tuple]:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser.events


def _row(**changes) -> QueueRow:
    values = dict(id=7, reference="R-AB12-CD34", source="gp", priority=None, suggested_priority="high",
                  received_at=datetime(2025, 5, 24, 9, 30), next_due_at=datetime(2025, 5, 26, 14, 18),
                  first_contact_at=None, paused_since=None, pause_reason=None, state="submitted", version=3,
                  assigned_to_id=None, route=None, complex=None, ta_level_required=None, contact_due_at=None,
                  assessment_due_at=None, assessed_at=None, given_name="Grace", family_name="O'Murphy <b>",
                  postcode="AD8 9PQ", assigned_name=None, needs=("falls", "equipment"))
    return QueueRow(**{**values, **changes})


# (row, clock reading, inline actions, flash message, error message) -> the old macro's output
CASES = {
    "suggested priority, claim and contact": (
        _row(), Reading("Contact by", "overdue", "Overdue by 2 days", datetime(2025, 5, 26, 14, 18)),
        {"claim", "first_contact"}, None, None,
        """<tr class="govuk-table__row" id="referral-row-7">
<td class="govuk-table__cell"><a class="govuk-link" href="/referrals/7">R-AB12-CD34</a></td>
<td class="govuk-table__cell">Grace O&#39;Murphy &lt;b&gt;<span class="app-hint app-block">AD8 9PQ</span></td>
<td class="govuk-table__cell">Falls, Equipment</td>
<td class="govuk-table__cell">GP</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--orange">High</strong>
<span class="app-hint app-block">suggested</span></td>
<td class="govuk-table__cell">24 May 2025</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--red">Overdue by 2 days</strong><span class="app-hint app-block">Contact by 26 May 2025 at 3:18pm</span></td>
<td class="govuk-table__cell">
<form method="post" action="/referrals/7/claim" hx-post="/referrals/7/claim">
<input type="hidden" name="csrf_token" value="TOKEN"><input type="hidden" name="version" value="3">
<button class="govuk-button govuk-button--secondary app-button--small">Claim<span class="govuk-visually-hidden"> R-AB12-CD34</span></button><button class="govuk-button govuk-button--secondary app-button--small" formaction="/referrals/7/first-contact">Contacted<span class="govuk-visually-hidden"> R-AB12-CD34</span></button></form>
</td>
</tr>"""),
    "set priority, contact only, assigned, after an action": (
        _row(priority="routine", assigned_to_id=3, assigned_name="Sam Lee", state="screened"),
        Reading("Assessment by", "on_track", "Due in 9 days", datetime(2025, 7, 1, 11, 0)), {"first_contact"},
        "Claimed.", None,
        """<tr class="govuk-table__row" id="referral-row-7">
<td class="govuk-table__cell"><a class="govuk-link" href="/referrals/7">R-AB12-CD34</a><span class="app-hint app-block" role="status">Claimed.</span></td>
<td class="govuk-table__cell">Grace O&#39;Murphy &lt;b&gt;<span class="app-hint app-block">AD8 9PQ</span></td>
<td class="govuk-table__cell">Falls, Equipment</td>
<td class="govuk-table__cell">GP</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">Routine</strong>
</td>
<td class="govuk-table__cell">24 May 2025</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">Due in 9 days</strong><span class="app-hint app-block">Assessment by 1 July 2025 at 12:00pm</span></td>
<td class="govuk-table__cell">Sam Lee
<form method="post" action="/referrals/7/first-contact" hx-post="/referrals/7/first-contact">
<input type="hidden" name="csrf_token" value="TOKEN"><input type="hidden" name="version" value="3">
<button class="govuk-button govuk-button--secondary app-button--small">Contacted<span class="govuk-visually-hidden"> R-AB12-CD34</span></button></form>
</td>
</tr>"""),
    "paused, nothing to do inline": (
        _row(priority="high", paused_since=datetime(2025, 6, 1), pause_reason="In hospital & away",
             assigned_name="Ann"),
        Reading("Contact by", "paused", "Paused", None), set(), None, None,
        """<tr class="govuk-table__row" id="referral-row-7">
<td class="govuk-table__cell"><a class="govuk-link" href="/referrals/7">R-AB12-CD34</a></td>
<td class="govuk-table__cell">Grace O&#39;Murphy &lt;b&gt;<span class="app-hint app-block">AD8 9PQ</span></td>
<td class="govuk-table__cell">Falls, Equipment</td>
<td class="govuk-table__cell">GP</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--orange">High</strong>
</td>
<td class="govuk-table__cell">24 May 2025</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--blue">Paused</strong><span class="app-hint app-block">In hospital &amp; away</span></td>
<td class="govuk-table__cell">Ann
</td>
</tr>"""),
    "no priority, no clock, a refusal": (
        _row(suggested_priority=None, needs=(), state="closed"), None, set(), None, "Someone else claimed it first",
        """<tr class="govuk-table__row" id="referral-row-7">
<td class="govuk-table__cell"><a class="govuk-link" href="/referrals/7">R-AB12-CD34</a><span class="govuk-error-message app-block" role="alert"><span class="govuk-visually-hidden">Error:</span> Someone else claimed it first</span></td>
<td class="govuk-table__cell">Grace O&#39;Murphy &lt;b&gt;<span class="app-hint app-block">AD8 9PQ</span></td>
<td class="govuk-table__cell"></td>
<td class="govuk-table__cell">GP</td>
<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">Not set</strong><span class="app-hint app-block">suggested</span></td>
<td class="govuk-table__cell">24 May 2025</td>
<td class="govuk-table__cell">Closed</td>
<td class="govuk-table__cell">
</td>
</tr>"""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_queue_row_is_the_markup_the_old_macro_gave(app, case):
    r, reading, actions, flash_message, error_message, expected = CASES[case]
    with app.test_request_context("/referrals"):
        html = app.jinja_env.get_template("referrals/_queue_rows.html").render(
            lines=[(r, reading, actions)], row_url="/referrals/", csrf="TOKEN",
            flash_message=flash_message, error_message=error_message)
    assert structure(html) == structure(expected)


def test_the_structure_comparison_sees_a_changed_word_and_a_lost_attribute():
    _, _, _, _, _, expected = CASES["paused, nothing to do inline"]
    assert structure(expected.replace("Paused</strong>", "Pause</strong>")) != structure(expected)
    assert structure(expected.replace(' class="app-hint app-block"', "", 1)) != structure(expected)
    assert structure(expected.replace(' id="referral-row-7"', "")) != structure(expected)


def test_the_queue_page_has_one_row_per_referral_with_sortable_headers(client, staff, make_referral):
    referral = make_referral()
    staff.login_as("triage_officer")
    page = client.get("/referrals").text
    events = structure(page)
    headers = [e for e in events if e[:2] == ("<", "th")]
    assert len(headers) == 8 and all(("scope", "col") in e[2] for e in headers)
    assert [dict(e[2]).get("aria-sort") for e in headers] == ["none", "none", None, "none", "none", "none", "ascending", "none"]  # by time left
    assert f'id="referral-row-{referral.id}"' in page
    assert f'<a class="govuk-link" href="/referrals/{referral.id}">{referral.reference}</a>' in page
