"""Small page building blocks."""

from __future__ import annotations

import streamlit as st

# Streamlit draws captions as body text at 60% opacity (about 3.9:1 on white), below the 4.5:1
# that WCAG 2.1 AA asks for; our captions carry real information (counts, registration dates,
# what a file must hold), so they get full opacity and a mid grey (7:1). The empty span keeps
# the style in the page: HTML of style tags alone goes to Streamlit's event container, which
# the multipage router does not show.
ACCESSIBLE_CSS = """
<style>
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #595959 !important; }
</style>
<span hidden></span>
"""


def accessible_styles() -> None:
    """Style fixes that every page needs for WCAG 2.1 AA (called once by the router)."""
    st.sidebar.html(ACCESSIBLE_CSS)
