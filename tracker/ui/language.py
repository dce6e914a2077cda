"""The reader's language: a sidebar choice kept in session state and in ``?lang=`` (shareable)."""

from __future__ import annotations

import json

import streamlit as st

from tracker.config import load_settings
from tracker.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

STATE_KEY = "lang"
QUERY_KEY = "lang"


def _valid(code: object) -> str | None:
    return code if isinstance(code, str) and code in LANGUAGES else None


def default_language() -> str:
    """The configured language (TRACKER_LANGUAGE), or Dutch when that is not a known one."""
    return _valid(load_settings().language) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this session (pages call this; the router sets it)."""
    return _valid(st.session_state.get(STATE_KEY)) or default_language()


def _to_query() -> None:
    st.query_params[QUERY_KEY] = st.session_state[STATE_KEY]


def language_selector() -> str:
    """Show the language choice in the sidebar and return the chosen language.

    A ``?lang=`` in the address wins over the session (someone opened a shared link); a
    choice in the selector is written to the address at once, so the two never disagree.
    """
    asked = _valid(st.query_params.get(QUERY_KEY))
    if asked is not None:
        st.session_state[STATE_KEY] = asked
    elif _valid(st.session_state.get(STATE_KEY)) is None:
        st.session_state[STATE_KEY] = default_language()
    lang = st.session_state[STATE_KEY]
    st.sidebar.selectbox(
        t("ui.language.label", lang),
        options=LANGUAGES,
        format_func=lambda code: t(f"ui.language.{code}", lang),
        key=STATE_KEY,
        on_change=_to_query,
    )
    lang = st.session_state[STATE_KEY]
    # Moving to another page clears the query string; put the language back.
    if st.query_params.get(QUERY_KEY) != lang:
        st.query_params[QUERY_KEY] = lang
    # Screen readers choose their pronunciation by <html lang>, which Streamlit fixes at "en".
    st.sidebar.html(
        f"<script>document.documentElement.lang = {json.dumps(lang)};</script>",
        unsafe_allow_javascript=True,
    )
    return lang
