"""Pilot: one pilot in tabs; ``?pilot=<slug>&tab=<tab>`` reopens the same pilot and tab."""

import streamlit as st

from tracker.i18n import t
from tracker.io.text import inert_markdown
from tracker.services.pilots import open_pilot, pilot_choices
from tracker.ui import current_language, lessons_view, read
from tracker.ui import pilot_view as view
from tracker.ui.auth import require_page

actor = require_page()
lang = current_language()
asked = st.query_params.get("pilot")
# The picker's choices and the pilot the address names (shown unless the reader picks another).
titles, opened = read(lambda s: pilot_choices(s, actor, asked))
if not titles:
    st.title(t("ui.nav.pilot", lang))
    st.info(t("ui.pilot.none", lang), icon=":material/info:")
    st.stop()

if asked is not None and asked not in titles:
    st.warning(t("ui.pilot.unknown", lang, slug=asked), icon=":material/search_off:")
slug = st.selectbox(
    t("ui.pilot.choose", lang),
    list(titles),
    index=list(titles).index(asked) if asked in titles else 0,
    format_func=titles.get,
    key="pilot-choice",
)
st.query_params["pilot"] = slug  # the address always names the pilot shown: shareable
pilot = (
    opened
    if opened is not None and opened.slug == slug
    else read(lambda s: open_pilot(s, actor, slug))
)
st.title(inert_markdown(pilot.title))  # a title is the officer's text: shown as typed

labels = [t(f"ui.tab.{name}", lang) for name in view.TABS]
# Bound to ?tab=: switching tabs updates the address, and a shared link opens the same tab.
tabs = st.tabs(labels, key="tab", bind="query-params")
render = {
    "setup": lambda: view.setup_tab(pilot, lang),
    "measurements": lambda: view.measurements_tab(pilot, lang),
    "interventions": lambda: view.interventions_tab(pilot, lang),
    "journal": lambda: view.journal_tab(pilot, lang),
    "analysis": lambda: view.analysis_tab(pilot, lang),
    "lessons": lambda: lessons_view.lessons_tab(pilot, lang),
    "history": lambda: view.history_tab(pilot, lang),
}
for name, tab in zip(view.TABS, tabs, strict=True):
    # Only the open tab is built: the others would cost their queries and analyses for nothing.
    if tab.open:
        with tab:
            render[name]()
