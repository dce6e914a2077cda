"""Small page building blocks."""

from __future__ import annotations

import streamlit as st

from tracker.i18n import t
from tracker.ui.language import current_language


def placeholder_page(name: str) -> None:
    """A page that later work fills: its title and, in plain words, what will come here."""
    lang = current_language()
    st.title(t(f"ui.nav.{name}", lang))
    st.info(t(f"ui.later.{name}", lang), icon=":material/construction:")
