"""The only tracker code that imports streamlit: cached engine, language state, shared widgets.

Importing this package registers all of the app's texts with the translation layer: the views
register theirs when imported, so they are imported here, and the first page a fresh server
shows finds every text, not only those of the pages already seen.
"""

from tracker.ui import (  # noqa: F401  (imported for the texts they register)
    auth,
    codebook_view,
    export_view,
    import_view,
    lessons_view,
    library_view,
    messages,
    new_pilot_view,
    pilot_view,
    portfolio_view,
    users_view,
)
from tracker.ui.data import get_engine, read
from tracker.ui.language import current_language, language_selector
from tracker.ui.tables import pilot_table, pilots_frame

__all__ = [
    "current_language",
    "get_engine",
    "language_selector",
    "pilot_table",
    "pilots_frame",
    "read",
]
