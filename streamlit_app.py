"""Router: page configuration, language, and the navigation between pages.

Run with ``streamlit run streamlit_app.py``. Page titles follow the chosen language; the
addresses (``url_path``) stay the same in both languages, so shared links keep working.
"""

import streamlit as st

from tracker.i18n import t
from tracker.ui import language_selector
from tracker.ui.widgets import accessible_styles

st.set_page_config(page_title="Proeftuin", layout="wide")
lang = language_selector()
accessible_styles()


def _page(script: str, name: str, url_path: str, icon: str, *, default: bool = False):
    title = t(f"ui.nav.{name}", lang)
    return st.Page(script, title=title, icon=icon, url_path=url_path, default=default)


pages = {
    t("ui.nav.section.pilots", lang): [
        _page("pages/home.py", "home", "overzicht", ":material/home:", default=True),
        _page("pages/pilot.py", "pilot", "pilot", ":material/science:"),
        _page("pages/new_pilot.py", "new_pilot", "nieuwe-pilot", ":material/add_circle:"),
    ],
    t("ui.nav.section.learning", lang): [
        _page("pages/library.py", "library", "bibliotheek", ":material/local_library:"),
    ],
    t("ui.nav.section.data", lang): [
        _page("pages/codebook.py", "codebook", "indicatoren", ":material/menu_book:"),
        _page("pages/export.py", "export", "export", ":material/download:"),
    ],
}
st.navigation(pages).run()
