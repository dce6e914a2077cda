"""Bibliotheek: lessons from pilots, one lesson with its evidence and pooled effect, pooled
effects per measure and intervention type, and shared reports (ui.library_view).

The address says what is shown (``?q=…&status=…``, ``?lesson=<id>``, ``?shared=<pilot id>``,
``?measure=…&type=…``), so every view can be passed on as a link.
"""

from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.library_view import library_page

actor = require_page()
library_page(actor, current_language())
