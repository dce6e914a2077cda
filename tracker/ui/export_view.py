"""The Export page: choose pilots, tables, format and protection; make the files; download them.

The files are made only when asked for (an export of every pilot analyses all of them) and kept
in the session for the download buttons, until the choices change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from tracker.i18n import register, t
from tracker.io.export_files import FORMATS, MULTI_FILE_FORMATS, ExportFile, export_files, zip_files
from tracker.io.export_tables import DEFAULT_TABLES, SENSITIVE_TABLES, TABLES, table_title
from tracker.services.access import Actor
from tracker.services.exports import (
    ExportRequest,
    ExportScope,
    build_export,
    default_threshold,
    export_about,
)
from tracker.services.pilots import pilot_titles
from tracker.services.portfolio import filter_options
from tracker.ui.data import read

FILES_KEY = "export-files"

register(
    {
        "ui.export.intro": {
            "nl": "Haal de gegevens en resultaten op voor Excel, R of Python. Kies welke pilots, "
            "welke tabellen en welk formaat; elk bestand beschrijft zijn kolommen zelf.",
            "en": "Take the data and results into Excel, R or Python. Choose which pilots, which "
            "tables and which format; every file describes its own columns.",
        },
        "ui.export.none": {"nl": "Er zijn nog geen pilots.", "en": "There are no pilots yet."},
        "ui.export.scope": {"nl": "Welke pilots", "en": "Which pilots"},
        "ui.export.scope.pilot": {"nl": "Eén pilot", "en": "One pilot"},
        "ui.export.scope.filter": {"nl": "Een selectie", "en": "A selection"},
        "ui.export.scope.all": {
            "nl": "Alle pilots die ik mag zien",
            "en": "All pilots I may see",
        },
        "ui.export.municipalities": {"nl": "Gemeenten", "en": "Municipalities"},
        "ui.export.domains": {"nl": "Domeinen", "en": "Domains"},
        "ui.export.statuses": {"nl": "Status", "en": "Status"},
        "ui.export.period": {"nl": "Periode beperken", "en": "Limit the period"},
        "ui.export.from": {"nl": "Vanaf", "en": "From"},
        "ui.export.to": {"nl": "Tot en met", "en": "Up to and including"},
        "ui.export.tables": {"nl": "Tabellen", "en": "Tables"},
        "ui.export.observations": {
            "nl": "Ook het logboek (vrije tekst; kan gevoelige informatie bevatten)",
            "en": "The journal too (free text; may hold sensitive information)",
        },
        "ui.export.format": {"nl": "Formaat", "en": "Format"},
        "ui.export.format.csv": {
            "nl": "CSV: voor R en Python (komma, decimale punt, UTF-8)",
            "en": "CSV: for R and Python (comma, decimal point, UTF-8)",
        },
        "ui.export.format.csv-nl": {
            "nl": "CSV voor Nederlandse Excel (puntkomma, decimale komma)",
            "en": "CSV for Dutch Excel (semicolon, decimal comma)",
        },
        "ui.export.format.xlsx": {
            "nl": "Excel-werkmap (een blad per tabel, met toelichting)",
            "en": "Excel workbook (a sheet per table, with explanation)",
        },
        "ui.export.format.parquet": {
            "nl": "Parquet: getypeerd, voor grote bestanden",
            "en": "Parquet: typed, for large files",
        },
        "ui.export.format.datapackage": {
            "nl": "Data package (zip): CSV's met een beschrijving van elke kolom",
            "en": "Data package (zip): CSV files with a description of every column",
        },
        "ui.export.suppress": {
            "nl": "Kleine aantallen afschermen (om te delen buiten de organisatie)",
            "en": "Protect small numbers (for sharing outside the organisation)",
        },
        "ui.export.suppress_help": {
            "nl": "Aantallen, tellers en noemers onder de drempel worden weggelaten en gemarkeerd, "
            "zoals in gepubliceerde statistiek.",
            "en": "Counts, numerators and denominators below the threshold are left out and "
            "marked, as in published statistics.",
        },
        "ui.export.threshold": {"nl": "Drempel", "en": "Threshold"},
        "ui.export.make": {"nl": "Export maken", "en": "Make the export"},
        "ui.export.progress": {
            "nl": "Bezig met {table} ({done} van {total})",
            "en": "Working on {table} ({done} of {total})",
        },
        "ui.export.done": {"nl": "Klaar", "en": "Done"},
        "ui.export.rows": {"nl": "Rijen", "en": "Rows"},
        "ui.export.table": {"nl": "Tabel", "en": "Table"},
        "ui.export.file": {"nl": "Bestand", "en": "File"},
        "ui.export.suppressed": {
            "nl": "{cells} cel(len) met een aantal onder {n} weggelaten.",
            "en": "{cells} cell(s) with a count below {n} left out.",
        },
        "ui.export.download": {"nl": "Download {name}", "en": "Download {name}"},
        "ui.export.download_all": {
            "nl": "Download alle bestanden (zip)",
            "en": "Download all files (zip)",
        },
        "ui.export.no_pilots_match": {
            "nl": "Geen pilot past bij deze selectie; de bestanden hebben alleen kolomnamen.",
            "en": "No pilot matches this selection; the files hold only column names.",
        },
    }
)


def _scope(lang: str, actor: Actor) -> ExportScope | None:
    kind = st.radio(
        t("ui.export.scope", lang),
        ["pilot", "filter", "all"],
        format_func=lambda k: t(f"ui.export.scope.{k}", lang),
        horizontal=True,
        key="export-scope",
    )
    if kind == "pilot":
        titles = read(lambda s: pilot_titles(s, actor=actor))
        if not titles:
            st.info(t("ui.export.none", lang))
            return None
        asked = st.query_params.get("pilot")
        slugs = list(titles)
        index = slugs.index(asked) if asked in titles else 0
        slug = st.selectbox(
            t("ui.pilot.choose", lang),
            slugs,
            index=index,
            format_func=titles.get,
            key="export-pilot",
        )
        st.query_params["pilot"] = slug  # the address names the pilot: shareable
        return ExportScope(pilot=slug)
    st.query_params.pop("pilot", None)
    if kind == "all":
        return ExportScope()
    options = read(lambda s: filter_options(s, actor=actor))
    left, middle, right = st.columns(3)
    municipalities = left.multiselect(
        t("ui.export.municipalities", lang), options["municipalities"], key="export-municipalities"
    )
    domains = middle.multiselect(
        t("ui.export.domains", lang), options["domains"], key="export-domains"
    )
    statuses = right.multiselect(
        t("ui.export.statuses", lang),
        options["statuses"],
        format_func=lambda s: t(f"ui.status.{s}", lang),
        key="export-statuses",
    )
    start = end = None
    if st.checkbox(t("ui.export.period", lang), key="export-period"):
        first, last = st.columns(2)
        start = first.date_input(
            t("ui.export.from", lang),
            value=dt.date(dt.date.today().year - 5, 1, 1),
            key="export-from",
        )
        end = last.date_input(t("ui.export.to", lang), value=dt.date.today(), key="export-to")
    return ExportScope(
        municipalities=tuple(municipalities),
        domains=tuple(domains),
        statuses=tuple(statuses),
        period_from=start,
        period_to=end,
    )


def _request(lang: str, actor: Actor) -> tuple[ExportRequest, str] | None:
    scope = _scope(lang, actor)
    if scope is None:
        return None
    tables = st.multiselect(
        t("ui.export.tables", lang),
        list(DEFAULT_TABLES),
        default=list(DEFAULT_TABLES),
        format_func=lambda name: f"{table_title(name, lang)} ({name})",
        key="export-tables",
    )
    if st.checkbox(t("ui.export.observations", lang), key="export-observations"):
        tables = [*tables, *SENSITIVE_TABLES]
    fmt = st.radio(
        t("ui.export.format", lang),
        list(FORMATS),
        format_func=lambda f: t(f"ui.export.format.{f}", lang),
        key="export-format",
    )
    suppress_below = None
    if st.checkbox(
        t("ui.export.suppress", lang),
        key="export-suppress",
        help=t("ui.export.suppress_help", lang),
    ):
        suppress_below = int(
            st.number_input(
                t("ui.export.threshold", lang),
                min_value=1,
                max_value=1000,
                value=default_threshold(),
                step=1,
                key="export-threshold",
            )
        )
    ordered = tuple(name for name in TABLES if name in tables)
    request = ExportRequest(tables=ordered, scope=scope, suppress_below=suppress_below, lang=lang)
    return request, fmt


def _make(request: ExportRequest, fmt: str, actor: Actor, lang: str) -> dict[str, Any]:
    bar = st.progress(0.0, text=t("ui.export.progress", lang, table="…", done=0, total=1))

    def progress(name: str, done: int, total: int) -> None:
        text = t("ui.export.progress", lang, table=table_title(name, lang), done=done, total=total)
        bar.progress(min(1.0, done / max(total, 1)), text=text)

    tables = read(lambda s: build_export(s, request, actor=actor, progress=progress))
    stem = str(request.scope.pilot) if request.scope.pilot is not None else "proeftuin"
    files = export_files(tables, fmt, about=export_about(request), stem=stem)
    bar.progress(1.0, text=t("ui.export.done", lang))
    return {
        "rows": [(table.name, table.rows) for table in tables],
        "cells": sum(int(m.sum()) for table in tables for m in table.suppressed.values()),
        "files": files,
        "empty": all(table.rows == 0 for table in tables if table.name == "pilots"),
    }


def _downloads(made: dict[str, Any], request: ExportRequest, fmt: str, lang: str) -> None:
    if made["empty"]:
        st.info(t("ui.export.no_pilots_match", lang))
    st.dataframe(
        pd.DataFrame(
            [
                {t("ui.export.table", lang): table_title(name, lang), t("ui.export.rows", lang): n}
                for name, n in made["rows"]
            ]
        ),
        hide_index=True,
        key="export-summary",
    )
    if request.suppress_below is not None:
        st.caption(t("ui.export.suppressed", lang, cells=made["cells"], n=request.suppress_below))
    files: list[ExportFile] = made["files"]
    for item in files:
        st.download_button(
            t("ui.export.download", lang, name=item.name),
            data=item.data,
            file_name=item.name,
            mime=item.mime,
            key=f"export-download-{item.name}",
            type="primary" if len(files) == 1 else "secondary",
        )
    if fmt in MULTI_FILE_FORMATS and len(files) > 1:
        stem = files[0].name.rsplit("-", 1)[0]
        st.download_button(
            t("ui.export.download_all", lang),
            data=zip_files(files),
            file_name=f"{stem}-{fmt}.zip",
            mime="application/zip",
            key="export-download-all",
            type="primary",
        )


def export_page(actor: Actor, lang: str) -> None:
    st.title(t("ui.nav.export", lang))
    st.markdown(t("ui.export.intro", lang))
    chosen = _request(lang, actor)
    if chosen is None:
        return
    request, fmt = chosen
    signature = repr((request, fmt))
    kept = st.session_state.get(FILES_KEY)
    if st.button(t("ui.export.make", lang), type="primary", key="export-make"):
        kept = (signature, _make(request, fmt, actor, lang))
        st.session_state[FILES_KEY] = kept
    if kept is not None and kept[0] == signature:
        _downloads(kept[1], request, fmt, lang)
