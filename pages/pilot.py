"""Pilot: one pilot with tabs (hypotheses, measurements, journal, results, report).

Filled by later work; for now the page says what will come.
"""

from tracker.ui import placeholder_page

placeholder_page("pilot")
