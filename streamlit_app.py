"""Router: page configuration, language, sign-in, and the navigation each role may see.

Run with ``streamlit run streamlit_app.py``. Page titles follow the chosen language; the
addresses (``url_path``) stay the same in both languages, so shared links keep working.
Without a signed-in account every page shows the sign-in form instead of its content and the
navigation is hidden; after signing in, the same address (a shared link to a pilot and tab)
opens. Each role's navigation shows only the pages it may use; every page checks the role
again itself (``require_page``), so an address typed by hand is refused there too.
"""

import streamlit as st

from tracker.i18n import t
from tracker.services.access import Action, actor_for, may
from tracker.ui import auth, language_selector
from tracker.ui.widgets import accessible_styles

st.set_page_config(page_title="Proeftuin", layout="wide")
lang = language_selector()
accessible_styles()


def _page(script, name: str, url_path: str, icon: str, *, default: bool = False):
    title = t(f"ui.nav.{name}", lang)
    return st.Page(script, title=title, icon=icon, url_path=url_path, default=default)


# (page, the action it needs)
sections = {
    t("ui.nav.section.pilots", lang): [
        (_page("pages/home.py", "home", "overzicht", ":material/home:", default=True), None),
        (_page("pages/pilot.py", "pilot", "pilot", ":material/science:"), None),
        (
            _page("pages/new_pilot.py", "new_pilot", "nieuwe-pilot", ":material/add_circle:"),
            Action.create_pilot,
        ),
    ],
    t("ui.nav.section.learning", lang): [
        (_page("pages/library.py", "library", "bibliotheek", ":material/local_library:"), None),
    ],
    t("ui.nav.section.data", lang): [
        (_page("pages/codebook.py", "codebook", "indicatoren", ":material/menu_book:"), None),
        (_page("pages/export.py", "export", "export", ":material/download:"), Action.export),
    ],
    t("ui.nav.section.admin", lang): [
        (_page("pages/users.py", "users", "gebruikers", ":material/group:"), Action.manage_users),
    ],
}
user = auth.current_user()
if user is None:
    # Every address still leads to its page, whose guard shows the sign-in form.
    every_page = [page for entries in sections.values() for page, _ in entries]
    st.navigation(every_page, position="hidden").run()
    st.stop()

actor = actor_for(user)
auth.account_box(actor, user, lang)
pages = {
    section: [page for page, needed in entries if needed is None or may(None, actor, needed)]
    for section, entries in sections.items()
}
st.navigation({section: entries for section, entries in pages.items() if entries}).run()
