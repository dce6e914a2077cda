"""The only tracker code that imports streamlit: cached engine, language state, shared widgets.

Importing this package registers the app's texts with the translation layer.
"""

from tracker.ui import messages as messages
from tracker.ui.data import get_engine, read
from tracker.ui.language import current_language, language_selector
from tracker.ui.tables import pilot_table, pilots_frame
from tracker.ui.widgets import placeholder_page

__all__ = [
    "current_language",
    "get_engine",
    "language_selector",
    "pilot_table",
    "pilots_frame",
    "placeholder_page",
    "read",
]
