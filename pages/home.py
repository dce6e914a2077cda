"""Overzicht: what Proeftuin is for, and the portfolio of pilots with filters and charts."""

import streamlit as st

from tracker.i18n import t
from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.portfolio_view import portfolio_section

require_page()
lang = current_language()
st.title(t("ui.home.title", lang))
st.markdown(t("ui.home.intro", lang))
with st.expander(t("ui.home.how", lang)):
    st.markdown(t("ui.home.loop", lang))
st.header(t("ui.home.pilots", lang))
portfolio_section(lang)
