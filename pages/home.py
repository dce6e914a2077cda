"""Overzicht: what Proeftuin is for, and every pilot with its hypotheses and measurements."""

import streamlit as st

from tracker.i18n import t
from tracker.services.pilots import list_pilot_summaries
from tracker.ui import current_language, pilot_table, read

lang = current_language()
st.title(t("ui.home.title", lang))
st.markdown(t("ui.home.intro", lang))
st.markdown(t("ui.home.loop", lang))

heading = t("ui.home.pilots", lang)
st.header(heading)
summaries = read(list_pilot_summaries)
if not summaries:
    st.info(t("ui.home.empty", lang), icon=":material/info:")
else:
    pilot_table(summaries, lang, name=heading)
    if any(s.late_registrations for s in summaries):
        st.caption(t("ui.home.late_note", lang))
