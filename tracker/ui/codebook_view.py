"""The shared codebook: measures defined once and reused across pilots."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracker.i18n import register, t
from tracker.models import BetterDirection, MeasureKind
from tracker.services.access import Action, may
from tracker.services.measures import create_measure, list_measures
from tracker.ui.data import actor, read, write

register(
    {
        "ui.codebook.intro": {
            "nl": "Eén gedeelde lijst van indicatoren: elke indicator wordt één keer "
            "omschreven en door alle pilots hergebruikt, zodat uitkomsten vergelijkbaar zijn.",
            "en": "One shared list of measures: each is defined once and reused by every pilot, "
            "so that outcomes can be compared.",
        },
        "ui.codebook.empty": {"nl": "Nog geen indicatoren.", "en": "No measures yet."},
        "ui.codebook.table": {"nl": "Indicatoren", "en": "Measures"},
        "ui.codebook.add": {"nl": "Nieuwe indicator", "en": "New measure"},
        "ui.codebook.added": {
            "nl": "Indicator ‘{code}’ toegevoegd.",
            "en": "Measure ‘{code}’ added.",
        },
        "ui.measure.code": {
            "nl": "Code (kleine letters, cijfers, _)",
            "en": "Code (lower case, digits, _)",
        },
        "ui.measure.name": {"nl": "Naam", "en": "Name"},
        "ui.measure.definition": {"nl": "Definitie", "en": "Definition"},
        "ui.measure.unit": {"nl": "Eenheid", "en": "Unit"},
        "ui.measure.kind": {"nl": "Soort", "en": "Kind"},
        "ui.measure.better": {"nl": "Beter is", "en": "Better is"},
        "ui.measure.source": {"nl": "Bron", "en": "Source"},
        "ui.kind.continuous": {"nl": "getal (gemiddelde)", "en": "number (mean)"},
        "ui.kind.proportion": {
            "nl": "aandeel (teller/noemer)",
            "en": "proportion (numerator/denominator)",
        },
        "ui.kind.count": {"nl": "aantal per blootstelling", "en": "count per exposure"},
        "ui.better.higher": {"nl": "hoger", "en": "higher"},
        "ui.better.lower": {"nl": "lager", "en": "lower"},
    }
)

COLUMNS = ("code", "name", "definition", "unit", "kind", "better", "source")


def codebook_frame(lang: str) -> pd.DataFrame:
    measures = read(list_measures)
    return pd.DataFrame(
        [
            {
                "code": m.code,
                "name": m.name,
                "definition": m.definition,
                "unit": m.unit,
                "kind": t(f"ui.kind.{m.kind}", lang),
                "better": t(f"ui.better.{m.better_direction}", lang),
                "source": m.source,
            }
            for m in measures
        ],
        columns=COLUMNS,
    )


def measure_fields(lang: str, prefix: str) -> dict[str, object]:
    """The inputs of a new measure (used by the codebook and the new-pilot flow)."""
    return {
        "code": st.text_input(t("ui.measure.code", lang), key=f"{prefix}-code"),
        "name": st.text_input(t("ui.measure.name", lang), key=f"{prefix}-name"),
        "definition": st.text_area(t("ui.measure.definition", lang), key=f"{prefix}-definition"),
        "unit": st.text_input(t("ui.measure.unit", lang), key=f"{prefix}-unit"),
        "kind": st.selectbox(
            t("ui.measure.kind", lang),
            [k.value for k in MeasureKind],
            format_func=lambda k: t(f"ui.kind.{k}", lang),
            key=f"{prefix}-kind",
        ),
        "better_direction": st.selectbox(
            t("ui.measure.better", lang),
            [b.value for b in BetterDirection],
            format_func=lambda b: t(f"ui.better.{b}", lang),
            key=f"{prefix}-better",
        ),
        "source": st.text_input(t("ui.measure.source", lang), key=f"{prefix}-source"),
    }


def codebook_section(lang: str) -> None:
    st.markdown(t("ui.codebook.intro", lang))
    frame = codebook_frame(lang)
    if frame.empty:
        st.info(t("ui.codebook.empty", lang))
    else:
        config = {c: st.column_config.TextColumn(t(f"ui.measure.{c}", lang)) for c in COLUMNS}
        st.dataframe(frame, column_config=config, hide_index=True, alt=t("ui.codebook.table", lang))
    if not may(None, actor(), Action.add_measure):
        return
    with st.expander(t("ui.codebook.add", lang)), st.form("new-measure"):
        fields = measure_fields(lang, "codebook")
        if st.form_submit_button(t("ui.codebook.add", lang)):
            saved = write(lambda s: create_measure(s, fields, actor=actor()))
            if saved is not None:
                st.success(t("ui.codebook.added", lang, code=saved.code))
                st.rerun()
