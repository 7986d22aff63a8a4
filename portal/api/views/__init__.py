"""The API's routes: one module a resource; importing them adds them to the blueprint."""

from portal.api.views import admin, fhir, openapi, people, referrals  # noqa: F401
