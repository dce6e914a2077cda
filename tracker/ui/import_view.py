"""Bringing data in on the Metingen tab: the column-mapping step for files whose headers differ,
and a CBS StatLine download mapped onto the measure and the pilot's areas, with a preview.

Both end in the same all-or-nothing import as a tidy file (check first, then save everything);
the mapping only tells the reader which column is which.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tracker.codes import AREA_CODE
from tracker.i18n import register, t
from tracker.io.measurements import ALIASES, COLUMNS, read_header
from tracker.io.statline import StatlineMapping, statline_measurements
from tracker.models import Measure, Pilot
from tracker.services.access import Actor
from tracker.services.measurements import KIND_COLUMNS, ImportReport
from tracker.services.statline_import import import_statline, read_statline, suggest_mapping
from tracker.ui.data import write

register(
    {
        "ui.map.heading": {
            "nl": "Kolommen koppelen",
            "en": "Match the columns",
        },
        "ui.map.help": {
            "nl": "Niet elke kolomnaam van dit bestand is bekend. Kies per kolom wat erin staat, "
            "of 'niet gebruiken'. Het voorstel gaat uit van de kolomnaam.",
            "en": "Not every column name of this file is known. Choose for each column what it "
            "holds, or 'do not use'. The proposal follows the column name.",
        },
        "ui.map.ignore": {"nl": "(niet gebruiken)", "en": "(do not use)"},
        "ui.map.recognised": {
            "nl": "Kolommen herkend: {columns}",
            "en": "Columns recognised: {columns}",
        },
        "ui.sl.heading": {
            "nl": "CBS StatLine-bestand inlezen",
            "en": "Read a CBS StatLine file",
        },
        "ui.sl.help": {
            "nl": "Download op StatLine de tabel als CSV (puntkomma, 'TypedDataSet'). Kies welke "
            "kolom bij deze indicator hoort en welke gebieden pilot- of vergelijkingsgebied zijn. "
            "Onderdrukte cellen ('.' of 'x') worden ontbrekende metingen, nooit nul.",
            "en": "On StatLine, download the table as CSV (semicolon, 'TypedDataSet'). Choose "
            "which column belongs to this measure and which regions are pilot or comparison "
            "areas. Suppressed cells ('.' or 'x') become missing measurements, never zero.",
        },
        "ui.sl.file": {"nl": "StatLine-bestand (CSV)", "en": "StatLine file (CSV)"},
        "ui.sl.found": {
            "nl": "{rows} rijen; perioden: {periods} ({first} … {last}); gebieden: {regions}; "
            "cijferkolommen: {topics}.",
            "en": "{rows} rows; periods: {periods} ({first} … {last}); regions: {regions}; "
            "figure columns: {topics}.",
        },
        "ui.sl.frequency": {"nl": "Perioden", "en": "Periods"},
        "ui.sl.frequency.month": {"nl": "maanden", "en": "months"},
        "ui.sl.frequency.quarter": {"nl": "kwartalen", "en": "quarters"},
        "ui.sl.frequency.year": {"nl": "jaren", "en": "years"},
        "ui.sl.topic": {"nl": "Kolom voor {what}", "en": "Column for {what}"},
        "ui.sl.dimension": {"nl": "Welke {name}", "en": "Which {name}"},
        "ui.sl.pilot_regions": {"nl": "Pilotgebieden", "en": "Pilot areas"},
        "ui.sl.comparison_regions": {"nl": "Vergelijkingsgebieden", "en": "Comparison areas"},
        "ui.sl.preview": {
            "nl": "Voorbeeld: {n} metingen",
            "en": "Preview: {n} measurements",
        },
        "ui.sl.left_out": {
            "nl": "{n} cel(len) zonder cijfer (onderdrukt '.' of 'x', of leeg): die metingen "
            "ontbreken, ze worden geen nul.",
            "en": "{n} cell(s) without a figure (suppressed '.' or 'x', or empty): those "
            "measurements are missing, they do not become zero.",
        },
    }
)

IGNORE = ""


def _known(name: str) -> bool:
    key = name.replace("\ufeff", "").strip().strip('"').strip().lower()
    return key in COLUMNS or key in ALIASES


def column_mapping(data: bytes, file_name: str, lang: str) -> dict[str, str] | None:
    """The mapping step: None when every header is known (nothing to ask), else the person's
    choice per header (a tidy column or '' for not used), proposed from the names."""
    preview = read_header(data, file_name=file_name)
    if preview.errors or not preview.names:
        return None  # the import itself reports what is wrong with the file
    if all(_known(name) for name in preview.names):
        st.caption(t("ui.map.recognised", lang, columns=", ".join(preview.names)))
        return None
    st.markdown(f"**{t('ui.map.heading', lang)}**")
    st.caption(t("ui.map.help", lang))
    if preview.rows:
        st.dataframe(
            pd.DataFrame(preview.rows, columns=preview.names), hide_index=True, key="map-preview"
        )
    options = [IGNORE, *COLUMNS]
    mapping: dict[str, str] = {}
    cells = st.columns(min(4, len(preview.names)))
    for i, name in enumerate(preview.names):
        suggested = preview.suggested.get(name, IGNORE)
        mapping[name] = cells[i % len(cells)].selectbox(
            name,
            options,
            index=options.index(suggested) if suggested in options else 0,
            format_func=lambda c: t("ui.map.ignore", lang) if c == IGNORE else c,
            key=f"map-{i}",
        )
    return mapping


# ------------------------------------------------------------------------------------ StatLine
def _area_of(region: str) -> str:
    """Proeftuin keeps GM/WK/BU codes as areas; a wider region (NL01, PV27) stands for the whole
    comparison and is stored without an area."""
    return region if AREA_CODE.fullmatch(region) else ""


def _choices(file: Any, pilot: Pilot, measure: Measure, lang: str) -> StatlineMapping:
    proposal = suggest_mapping(file, pilot, measure)
    columns = {}
    for name in KIND_COLUMNS[str(measure.kind)]:
        default = proposal.columns.get(name)
        topics = list(file.topic_columns)
        columns[name] = st.selectbox(
            t("ui.sl.topic", lang, what=t(f"ui.m.{name}", lang)),
            topics,
            index=topics.index(default) if default in topics else 0,
            key=f"sl-col-{name}",
        )
    frequency = None
    if len(file.frequencies) > 1:
        frequency = st.radio(
            t("ui.sl.frequency", lang),
            list(file.frequencies),
            format_func=lambda f: t(f"ui.sl.frequency.{f}", lang),
            horizontal=True,
            key="sl-frequency",
        )
    dimensions = {}
    for name in file.dimension_columns:
        values = list(file.dimension_values.get(name, ()))
        if len(values) > 1:
            dimensions[name] = st.selectbox(
                t("ui.sl.dimension", lang, name=name), values, key=f"sl-dim-{name}"
            )
    regions = None
    if file.region_column:
        suggested = proposal.regions or {}
        left, right = st.columns(2)
        pilot_regions = left.multiselect(
            t("ui.sl.pilot_regions", lang),
            list(file.regions),
            default=[r for r, (_, g) in suggested.items() if g == "pilot"],
            key="sl-pilot-regions",
        )
        comparison_regions = right.multiselect(
            t("ui.sl.comparison_regions", lang),
            [r for r in file.regions if r not in pilot_regions],
            default=[
                r for r, (_, g) in suggested.items() if g == "comparison" and r not in pilot_regions
            ],
            key="sl-comparison-regions",
        )
        regions = {r: (_area_of(r), "pilot") for r in pilot_regions} | {
            r: (_area_of(r), "comparison") for r in comparison_regions
        }
    return StatlineMapping(
        measure_code=measure.code,
        columns=columns,
        regions=regions,
        dimensions=dimensions,
        source=proposal.source,
        frequency=frequency,
    )


def statline_section(pilot: Pilot, measure: Measure, lang: str, actor: Actor, show: Any) -> None:
    """Upload, detect, map, preview, then check or save through ``import_statline``.

    ``show(report)`` draws an import report (the same table of errors as a tidy upload).
    """
    st.caption(t("ui.sl.help", lang))
    uploaded = st.file_uploader(t("ui.sl.file", lang), type=["csv"], key="statline-upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    file = read_statline(data, file_name=uploaded.name)
    if not file.ok:
        show(ImportReport(0, 0, list(file.errors), True, file.file_sha256, uploaded.name))
        return
    periods = file.periods
    st.caption(
        t(
            "ui.sl.found",
            lang,
            rows=len(file.frame),
            periods=", ".join(t(f"ui.sl.frequency.{f}", lang) for f in file.frequencies),
            first=periods[0] if periods else "–",
            last=periods[-1] if periods else "–",
            regions=len(file.regions),
            topics=", ".join(file.topic_columns),
        )
    )
    mapping = _choices(file, pilot, measure, lang)
    parsed = statline_measurements(file, mapping)
    st.caption(t("ui.sl.preview", lang, n=len(parsed.frame)))
    preview = parsed.frame.drop(columns=["row"]).head(12)
    st.dataframe(
        preview.assign(period=preview["period"].dt.date), hide_index=True, key="sl-preview"
    )
    if parsed.warnings:
        st.info(t("ui.sl.left_out", lang, n=len(parsed.warnings)))
    check, commit = st.columns(2)
    dry_run = check.button(t("ui.m.check", lang), key="sl-check")
    save = commit.button(t("ui.m.commit", lang), type="primary", key="sl-save")
    if not (dry_run or save):
        return
    report = write(
        lambda s: import_statline(
            s,
            pilot.id,  # type: ignore[arg-type]
            data,
            file_name=uploaded.name,
            mapping=mapping,
            dry_run=not save,
            actor=actor,
        )
    )
    if report is not None:
        show(report)
