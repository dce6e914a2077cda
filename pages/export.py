"""Export: tables of one pilot, a selection or all pilots in five formats (ui.export_view)."""

from tracker.services.access import Action
from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.export_view import export_page

actor = require_page(Action.export)
export_page(actor, current_language())
