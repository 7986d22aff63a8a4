"""The API's routes: one module a resource; importing them adds them to the blueprint."""

from portal.api.views import fhir  # noqa: F401
