"""Router: page configuration, language, sign-in, and the navigation each role may see.

Run with ``streamlit run streamlit_app.py``. Page titles follow the chosen language; the
addresses (``url_path``) stay the same in both languages, so shared links keep working.
Without a signed-in account every page shows the sign-in form instead of its content and the
menu is hidden; after signing in, the same address (a shared link to a pilot and tab) opens.
Each role's menu shows only the pages it may use; every page checks the role itself
(``require_page``), so an address typed by hand is refused there with a message.
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
# Every page stays reachable by its address: signed out, its guard shows the sign-in form;
# outside the role, it refuses with a message (instead of Streamlit silently showing the
# overview). The menu in the sidebar lists only the role's own pages.
navigation = st.navigation(
    [page for entries in sections.values() for page, _ in entries], position="hidden"
)
user = auth.current_user()
if user is None:
    navigation.run()
    st.stop()

actor = actor_for(user)
auth.checked_this_run(actor)
with st.sidebar:
    for section, entries in sections.items():
        allowed = [page for page, needed in entries if needed is None or may(None, actor, needed)]
        if allowed:
            st.caption(section)
            for page in allowed:
                st.page_link(page)
auth.account_box(actor, user, lang)
navigation.run()
