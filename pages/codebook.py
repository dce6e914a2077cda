"""Indicatoren: the shared codebook of measures."""

import streamlit as st

from tracker.i18n import t
from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.codebook_view import codebook_section

require_page()
lang = current_language()
st.title(t("ui.nav.codebook", lang))
codebook_section(lang)
