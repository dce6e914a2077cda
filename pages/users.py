"""Gebruikers: the accounts of the administrator's organisation."""

import streamlit as st

from tracker.i18n import t
from tracker.services.access import Action
from tracker.ui import current_language
from tracker.ui.auth import require_page
from tracker.ui.users_view import users_section

require_page(Action.manage_users)
lang = current_language()
st.title(t("ui.nav.users", lang))
users_section(lang)
