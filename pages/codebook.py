"""Indicatoren: the codebook of measures.

Filled by later work; for now the page says what will come.
"""

from tracker.ui import placeholder_page

placeholder_page("codebook")
