"""The reports, one page per section: the headline figures first, then each section's tables.

A page is a slug (its URL under /reports/), a title for the sub navigation and the dashboard
sections (portal.reports.sections providers, by id) it shows. The headline figures page computes
only the sections its figures are read from (REP-08), so each figure and the table it links to
come from the same provider with the same filters.
"""

from dataclasses import dataclass

from portal.reports.queries import Filters
from portal.reports.sections import Section, providers

OVERVIEW = "overview"


@dataclass(frozen=True)
class ReportPage:
    slug: str
    title: str  # in the sub navigation and the page title
    sections: tuple[str, ...]  # provider ids, in page order
    intro: str = ""
    short_title: str = ""  # in the sub navigation, where the title is long

    @property
    def nav_title(self) -> str:
        return self.short_title or self.title


PAGES = (
    ReportPage("referrals", "Referrals", ("demand",),
               "Referrals received, where they came from and what they were for, and online self-assessments."),
    ReportPage("waiting-times", "Waiting times", ("responsiveness",),
               "First contact and assessment against their targets, waits for assessment and referrals "
               "overdue now."),
    ReportPage("equipment", "Equipment", ("equipment",), "Community equipment delivered, collected and re-issued."),
    ReportPage("telecare", "Telecare", ("installs", "telecare"), "Telecare installs against their target dates."),
    ReportPage("dfg", "Disabled Facilities Grants", ("grants", "dfg"),
               "Time from enquiry to completion and to payment, and the grants' own figures.", short_title="DFG"),
    ReportPage("outcomes", "Outcomes", ("outcomes",), "How cases finished."),
)
SLUGS = tuple(p.slug for p in PAGES)
# the sections the headline figures are read from (see services.headlines)
HEADLINE_SECTIONS = ("demand", "responsiveness", "equipment", "grants", "installs")


def page(slug: str) -> ReportPage:
    return next(p for p in PAGES if p.slug == slug)


def page_of_table(table_key: str) -> str:
    """The slug of the page that shows a table (its key starts with its section's id)."""
    section_id = table_key.split("-", 1)[0]
    return next((p.slug for p in PAGES if section_id in p.sections), OVERVIEW)


def sections(session, filters: Filters, ids: tuple[str, ...]) -> list[Section]:
    """The named sections that are available now (an optional module may be missing), in `ids` order."""
    found = {p.__name__: p for p in providers()}
    return [found[i](session, filters) for i in ids if i in found]
