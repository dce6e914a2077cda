"""Tables shared by pages, with translated headers and numbers in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from tracker.i18n import t
from tracker.services.pilots import PilotSummary
from tracker.ui.formatting import format_number

PILOT_COLUMNS = ("title", "municipality", "status", "hypotheses", "late", "measurements")
_NUMBER_COLUMNS = ["hypotheses", "measurements"]


def _late(summary: PilotSummary, lang: str) -> str:
    if not summary.late_registrations:
        return ""
    return t(
        "ui.late.value",
        lang,
        late=format_number(summary.late_registrations, lang),
        total=format_number(summary.hypotheses, lang),
    )


def pilots_frame(summaries: Sequence[PilotSummary], lang: str) -> pd.DataFrame:
    """One row per pilot, indexed by pilot id (for links), with translated status and marks."""
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "municipality": s.municipality,
            "status": t(f"ui.status.{s.status}", lang),
            "hypotheses": s.hypotheses,
            "late": _late(s, lang),
            "measurements": s.measurements,
        }
        for s in summaries
    ]
    return pd.DataFrame(rows, columns=["id", *PILOT_COLUMNS]).set_index("id")


def pilot_table(summaries: Sequence[PilotSummary], lang: str, *, name: str) -> None:
    """The pilots as a sortable table named ``name`` for screen readers; numbers stay numbers
    (so they sort) but read as 1.234 in Dutch."""
    frame = pilots_frame(summaries, lang)
    styled = frame.style.format(lambda v: format_number(v, lang), subset=_NUMBER_COLUMNS)
    config = {
        column: (
            st.column_config.NumberColumn(t(f"ui.column.{column}", lang))
            if column in _NUMBER_COLUMNS
            else st.column_config.TextColumn(t(f"ui.column.{column}", lang))
        )
        for column in PILOT_COLUMNS
    }
    st.dataframe(styled, column_config=config, hide_index=True, alt=name)
