"""DFG web: the public enquiry, the caseworker's queue and budget, the case in the record layout
(its sections, each a page) and the actions and decisions on it."""

from portal.dfg.views import actions, case, enquiry, queue  # noqa: F401  (each registers its routes)
from portal.dfg.views.common import READERS

__all__ = ["READERS"]
