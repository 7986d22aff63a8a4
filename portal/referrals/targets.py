"""Response targets for each priority: the one place they are configured.

A council can override them with the REFERRAL_TARGETS setting, in the same shape."""

from portal.config import setting
from portal.web.clocks import Target

DEFAULT_TARGETS = {
    "urgent": {"contact": Target(2, "hours"), "assessment": Target(2, "working_days")},
    "high": {"contact": Target(2, "working_days"), "assessment": Target(10, "working_days")},
    "routine": {"contact": Target(5, "working_days"), "assessment": Target(28, "days")},
}


def targets() -> dict:
    return setting("REFERRAL_TARGETS") or DEFAULT_TARGETS

