"""Bibliotheek: published lessons from pilots.

Filled by later work; for now the page says what will come.
"""

from tracker.ui import placeholder_page
from tracker.ui.auth import require_page

require_page()
placeholder_page("library")
