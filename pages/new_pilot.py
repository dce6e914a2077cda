"""Nieuwe pilot: the guided flow from context to registered hypotheses."""

import streamlit as st

from tracker.i18n import t
from tracker.ui import current_language
from tracker.ui.new_pilot_view import new_pilot_flow

lang = current_language()
st.title(t("ui.nav.new_pilot", lang))
new_pilot_flow(lang)
