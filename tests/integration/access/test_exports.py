"""Every export writes an audit row: who, which export, how many rows; never the data itself."""

from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.reports import services
from portal.reports.queries import Filters

QUERY = "start=1&start=9&start=2026&end=31&end=10&end=2026"


def test_every_report_export_records_who_what_and_how_many(client, db_session, staff):
    user = staff.login_as("manager")
    filters = Filters(date(2026, 9, 1), date(2026, 10, 31), None)
    tables = [t for section in services.dashboard(db_session, filters) for t in section.tables]
    assert tables
    for table in tables:
        assert client.get(f"/reports/export/{table.key}.csv?{QUERY}").status_code == 200, table.key
        event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "report.exported")
                                  .order_by(AuditEvent.id.desc()).limit(1))
        assert (event.actor_id, event.entity_type, event.entity_id) == (user.id, "report", table.key)
        assert event.details == {"format": "csv", "start": "2026-09-01", "end": "2026-10-31", "locality": None,
                                 "rows": len(table.rows)}
