"""Nieuwe pilot: the guided flow from context to registered hypotheses."""

import streamlit as st

from tracker.i18n import t
from tracker.services.access import Action
from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.new_pilot_view import new_pilot_flow

require_page(Action.create_pilot)
lang = current_language()
st.title(t("ui.nav.new_pilot", lang))
new_pilot_flow(lang)
