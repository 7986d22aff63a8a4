"""Staff roles in the council's own words. A user may hold several."""

TRIAGE_OFFICER = "triage_officer"
TRUSTED_ASSESSOR = "trusted_assessor"
OCCUPATIONAL_THERAPIST = "occupational_therapist"
TELECARE_INSTALLER = "telecare_installer"
STORES_OFFICER = "stores_officer"
DFG_CASEWORKER = "dfg_caseworker"
MANAGER = "manager"
ADMIN = "admin"

ROLES = {
    TRIAGE_OFFICER: "Triage officer",
    TRUSTED_ASSESSOR: "Trusted assessor",
    OCCUPATIONAL_THERAPIST: "Occupational therapist",
    TELECARE_INSTALLER: "Telecare installer",
    STORES_OFFICER: "Stores officer",
    DFG_CASEWORKER: "DFG caseworker",
    MANAGER: "Manager",
    ADMIN: "Administrator",
}

TRUSTED_ASSESSOR_LEVELS = (3, 4)

# Groups used by access rules.
ASSESSORS = (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
RECORD_READERS = (*ASSESSORS, TELECARE_INSTALLER, STORES_OFFICER, DFG_CASEWORKER, MANAGER)
OVERSIGHT = (MANAGER, ADMIN)
