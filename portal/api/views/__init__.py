from portal.api.views import admin, openapi, people, referrals  # noqa: F401
