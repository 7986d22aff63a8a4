"""The dashboard's generic tables for other modules' figures say the right unit and show per cent as per cent."""

from decimal import Decimal

from portal.reports.sections import display, tables_from_figures


def test_shares_and_rates_given_as_fractions_are_shown_as_per_cent():
    figures = {"spend_share_of_budget": 0.254, "install_rate": 0.3333, "reissue_rate_percent": 12.5,
               "paid": Decimal("1200.50"), "cases_open": 14, "tecs_share": 0.5,
               "by_month": [{"month": "2026-10", "install_rate": 0.5, "installs": 3}]}
    measures, by_month = tables_from_figures("x", "X", figures)
    rows = {label: value for label, value in measures.rows}
    assert rows == {"Spend share of budget (per cent)": 25.4, "Install rate (per cent)": 33.3,
                    "Reissue rate percent": 12.5, "Paid (pounds)": 1200.5, "Cases open": 14,
                    "TECS share (per cent)": 50.0}
    assert [c.kind for c in by_month.columns] == ["text", "percent", "int"]
    assert by_month.rows[0][1:] == [50.0, 3]
    assert display(by_month.rows[0][1], "percent") == "50.0%"
