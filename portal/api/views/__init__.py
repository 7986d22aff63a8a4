from portal.api.views import openapi, people, referrals  # noqa: F401
