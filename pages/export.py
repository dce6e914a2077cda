"""Export: the tidy measurements of a pilot as CSV (the exports issue extends this page)."""

import streamlit as st

from tracker.i18n import register, t
from tracker.services.access import Action
from tracker.services.exports import tidy_measurements_csv
from tracker.services.pilots import open_pilot, pilot_titles
from tracker.ui import current_language, read
from tracker.ui.auth import require_page

register(
    {
        "ui.export.intro": {
            "nl": "Download de metingen van een pilot als nette tabel (CSV, één rij per meting, "
            "UTF-8, komma als scheidingsteken, punt als decimaalteken) voor eigen analyse.",
            "en": "Download a pilot's measurements as a tidy table (CSV, one row per measurement, "
            "UTF-8, comma separator, decimal point) for your own analysis.",
        },
        "ui.export.download": {"nl": "Download CSV", "en": "Download CSV"},
        "ui.export.none": {"nl": "Er zijn nog geen pilots.", "en": "There are no pilots yet."},
    }
)

actor = require_page(Action.export)
lang = current_language()
st.title(t("ui.nav.export", lang))
st.markdown(t("ui.export.intro", lang))
titles = read(lambda s: pilot_titles(s, actor=actor))
if not titles:
    st.info(t("ui.export.none", lang))
    st.stop()
slug = st.selectbox(
    t("ui.pilot.choose", lang), list(titles), format_func=titles.get, key="export-pilot"
)
pilot = read(lambda s: open_pilot(s, actor, slug))
csv = read(lambda s: tidy_measurements_csv(s, pilot.id, actor=actor))
st.download_button(
    t("ui.export.download", lang),
    data=csv.encode("utf-8"),
    file_name=f"{slug}-metingen.csv",
    mime="text/csv",
    type="primary",
)
