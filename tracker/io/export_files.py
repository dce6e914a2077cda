"""Export tables written as files: CSV, Dutch Excel CSV, XLSX, Parquet and a data package (pure).

Formats (``FORMATS``; the README's "Export" section is the reference for people):

- ``csv``: RFC 4180 (CRLF line ends, ``"`` quotes, doubled inside), UTF-8 without BOM, comma,
  decimal point, ISO dates (2021-03-01) and UTC times (2021-03-01T10:00:00Z), ``true``/``false``,
  an empty cell for a missing value. Text cells are quoted, numbers are not. Numbers are written
  in the shortest form that reads back as the very same number (7, 12.5, 0.00001, 1e+20), so a
  file read with pandas or R gives exactly what the database holds.
- ``csv-nl``: the same table for Excel with Dutch regional settings: ``;`` separator, decimal
  comma, UTF-8 with a BOM (else Excel guesses Windows-1252), ``WAAR``/``ONWAAR``. Numbers and
  booleans are quoted here as well (``"12,5"``): the writer quotes every cell it holds as text,
  and these are text with a decimal comma. Excel, ``pandas.read_csv(sep=";", decimal=",")``
  and R's ``read.csv2`` read them as numbers all the same; dates and empty cells are bare.
- ``xlsx``: one sheet per table, named after the table (a table over Excel's 1,048,576 rows
  continues on "measurements (2)"), typed cells (numbers exact as in CSV, dates, booleans),
  and first a "Toelichting" sheet that describes every column.
- ``parquet``: one file per table with Arrow types; descriptions and units in the field metadata.
- ``datapackage``: a zip with ``datapackage.json`` (Frictionless Tabular Data Package, a Table
  Schema per file: types, units, descriptions) and one ``csv`` file per table.

Spreadsheets run a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula. Every format a spreadsheet opens neutralises them: the CSV files get a
leading ``'`` (``tracker.io.text.inert_cell``); XLSX cells are stored as text with Excel's "quote
prefix", so the cell shows the text and stays text when edited. Parquet is for programs and
holds the text unchanged.

The CSV files are written by Arrow's CSV writer: the same work as ``DataFrame.to_csv`` in a
fraction of its time (``make bench``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tracker.io.export_tables import ColumnSpec, ExportTable
from tracker.io.text import ESCAPED_STARTS, FORMULA_STARTS

__all__ = [
    "FORMATS",
    "MULTI_FILE_FORMATS",
    "ExportAbout",
    "ExportFile",
    "arrow_table",
    "export_files",
    "write_csv",
    "write_datapackage",
    "write_export",
    "write_parquet",
    "write_xlsx",
]

FORMATS = ("csv", "csv-nl", "xlsx", "parquet", "datapackage")
# Formats that write one file per table (several tables: a zip of them, or a folder).
MULTI_FILE_FORMATS = ("csv", "csv-nl", "parquet")
EXTENSIONS = {
    "csv": ".csv",
    "csv-nl": ".csv",
    "xlsx": ".xlsx",
    "parquet": ".parquet",
    "datapackage": ".zip",
}
MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
    ".zip": "application/zip",
}
EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, header included
CRLF = "\r\n"
BOM = b"\xef\xbb\xbf"
# A text cell a spreadsheet would run, or one that starts with the quote the escape adds.
_ESCAPE = "^([" + "".join("\\" + c if c in "-^]\\" else c for c in ESCAPED_STARTS) + "])"
_FORMULA_CHARS = frozenset(FORMULA_STARTS)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


@dataclass(frozen=True)
class ExportAbout:
    """What the export is, for the XLSX "Toelichting" sheet and ``datapackage.json``."""

    title: str
    scope: str
    created: dt.datetime
    lang: str = "nl"
    suppress_below: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportFile:
    """One file of an export, in memory (the Export page's download buttons)."""

    name: str
    data: bytes
    mime: str = field(default="application/octet-stream")


# ------------------------------------------------------------------------------------ arrow
def _texts(series: pd.Series) -> pa.Array:
    """Text as Arrow strings; '' and missing both become null (an empty cell).

    A categorical column (measure codes, areas: few distinct texts in millions of rows) stays
    dictionary-encoded, so the work per distinct text is done once and Parquet stores it as
    pandas would; the CSV writer spells each cell out.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        array = pa.array(series, from_pandas=True)
        if isinstance(array, pa.ChunkedArray):  # pragma: no cover - one chunk from pandas
            array = array.combine_chunks()
        dictionary = pc.cast(array.dictionary, pa.string())
        indices = array.indices
        empty = np.flatnonzero(pc.equal(dictionary, "").to_numpy(zero_copy_only=False))
        if len(empty):
            blank = pc.is_in(indices, value_set=pa.array(empty, type=indices.type))
            indices = pc.if_else(blank, pa.scalar(None, indices.type), indices)
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    array = pa.array(series.astype(object).where(series.notna(), None), type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _datetimes(series: pd.Series) -> pa.Array:
    values = pd.to_datetime(series, utc=True)
    return pa.array(values, type=pa.timestamp("us", tz="UTC"), from_pandas=True)


def _dates(series: pd.Series) -> pa.Array:
    values = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
    return pa.array(values, type=pa.date32(), from_pandas=True)


def _column(series: pd.Series, spec: ColumnSpec) -> pa.Array:
    if spec.type == "string":
        return _texts(series)
    if spec.type == "number":
        # + 0.0 turns -0.0 into 0.0: "-0" in a file surprises more than it informs.
        return pa.array(series.to_numpy(dtype="float64", na_value=np.nan) + 0.0, from_pandas=True)
    if spec.type == "integer":
        return pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
    if spec.type == "boolean":
        return pa.array(series.astype("boolean"), type=pa.bool_(), from_pandas=True)
    if spec.type == "date":
        return _dates(series)
    return _datetimes(series)


def arrow_table(table: ExportTable) -> pa.Table:
    """The table with Arrow types from its specs (not guessed from the data), nulls for missing,
    and the descriptions and units in each field's metadata."""
    fields = []
    arrays = []
    for spec in table.columns:
        array = _column(table.frame[spec.name], spec)
        metadata = {"description": spec.nl, "description_en": spec.en}
        if spec.unit:
            metadata["unit"] = spec.unit
        fields.append(pa.field(spec.name, array.type, metadata=metadata))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# ------------------------------------------------------------------------------------ csv
def _inert(array: pa.Array) -> pa.Array:
    """Text cells a spreadsheet would run get a leading ' (``inert_cell``, vectorised; for a
    dictionary-encoded column on its distinct texts only)."""
    if pa.types.is_dictionary(array.type):
        return pa.DictionaryArray.from_arrays(array.indices, _inert(array.dictionary))
    return pc.replace_substring_regex(array, pattern=_ESCAPE, replacement="'\\1")


def _iso_times(array: pa.Array) -> pa.Array:
    """UTC times as 2021-03-01T10:00:00Z (with microseconds only when there are any)."""
    values = pd.Series(array.to_pandas(), dtype="datetime64[us, UTC]")
    texts = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").str.replace(".000000Z", "Z", regex=False)
    return pa.array(texts.where(values.notna(), None), type=pa.string())


def _csv_table(table: ExportTable, *, dutch: bool, escape: bool = True) -> pa.Table:
    data = arrow_table(table)
    columns = []
    for spec, array in zip(table.columns, data.columns, strict=True):
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        if spec.type == "string" and escape:
            array = _inert(array)
        elif spec.type == "datetime":
            array = _iso_times(array)
        elif spec.type in ("number", "integer") and dutch:
            array = pc.replace_substring(pc.cast(array, pa.string()), ".", ",")
        elif spec.type == "boolean" and dutch:
            array = pc.if_else(array, "WAAR", "ONWAAR")
        if dutch and spec.name in table.suppressed:
            mask = pa.array(table.suppressed[spec.name])
            array = pc.if_else(mask, table.mark, pc.cast(array, pa.string()))
        columns.append(array)
    return pa.Table.from_arrays(columns, names=[c.name for c in table.columns])


def write_csv(
    table: ExportTable,
    target: IO[bytes] | str | Path,
    *,
    dialect: str = "csv",
    escape_formulas: bool = True,
) -> None:
    """``table`` as CSV (``dialect`` "csv" or "csv-nl", see the module docstring).

    ``escape_formulas=False`` only for a file that Proeftuin itself reads back at once (the data
    package import hands its measurements to the measurement import): never for people.
    """
    dutch = dialect == "csv-nl"
    data = _csv_table(table, dutch=dutch, escape=escape_formulas)
    options = pacsv.WriteOptions(delimiter=";" if dutch else ",", eol=CRLF)
    if isinstance(target, str | Path):
        with open(target, "wb") as handle:
            _write_csv_to(data, handle, options, bom=dutch)
    else:
        _write_csv_to(data, target, options, bom=dutch)


def _write_csv_to(data: pa.Table, handle: IO[bytes], options: Any, *, bom: bool) -> None:
    if bom:
        handle.write(BOM)
    pacsv.write_csv(data, handle, options)


# ------------------------------------------------------------------------------------ parquet
def write_parquet(
    table: ExportTable, target: IO[bytes] | str | Path, *, about: ExportAbout
) -> None:
    """``table`` as Parquet, text unchanged, with the export's description in the metadata."""
    data = arrow_table(table)
    metadata = {
        b"proeftuin.table": table.name.encode(),
        b"proeftuin.title": table.title(about.lang).encode(),
        b"proeftuin.scope": about.scope.encode(),
        b"proeftuin.created": _iso(about.created).encode(),
    }
    if about.suppress_below is not None:
        metadata[b"proeftuin.suppress_below"] = str(about.suppress_below).encode()
    data = data.replace_schema_metadata({**(data.schema.metadata or {}), **metadata})
    pq.write_table(data, target)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------ xlsx
_ABOUT_TEXT = {
    "nl": {
        "sheet": "Toelichting",
        "created": "Gemaakt op (UTC)",
        "scope": "Inhoud",
        "suppressed": (
            "Kleine aantallen: cellen met een aantal onder {n} zijn weggelaten en tonen '{mark}'; "
            "de kolom 'suppressed' noemt ze per rij."
        ),
        "formula": (
            "Tekst die met =, +, -, @ of ' begint, staat als tekst in de cel (geen formule)."
        ),
        "header": ("Tabel", "Blad", "Kolom", "Type", "Eenheid", "Betekenis"),
    },
    "en": {
        "sheet": "About",
        "created": "Created (UTC)",
        "scope": "Contents",
        "suppressed": (
            "Small numbers: cells with a count below {n} are left out and show '{mark}'; the "
            "column 'suppressed' names them per row."
        ),
        "formula": "Text starting with =, +, -, @ or ' is stored as text (never a formula).",
        "header": ("Table", "Sheet", "Column", "Type", "Unit", "Meaning"),
    },
}


def _sheet_names(table: ExportTable, used: set[str]) -> list[str]:
    """One sheet per 1,048,575 data rows, named after the table (stable for scripts, whatever the
    language): "measurements", "measurements (2)", …"""
    parts = max(1, -(-table.rows // (EXCEL_MAX_ROWS - 1)))
    names = []
    for part in range(1, parts + 1):
        base = table.name[:26]
        name = base if part == 1 else f"{base} ({part})"
        while name in used:  # pragma: no cover - titles are distinct
            name += "_"
        used.add(name)
        names.append(name)
    return names


def write_xlsx(
    tables: Sequence[ExportTable], target: IO[bytes] | str | Path, *, about: ExportAbout
) -> None:
    """One workbook: the "Toelichting" sheet, then a sheet per table with typed cells."""
    import xlsxwriter  # imported here: only XLSX exports need it

    texts = _ABOUT_TEXT["en" if about.lang == "en" else "nl"]
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,  # rows go to disk as they are written: flat memory
            "strings_to_numbers": False,
            "strings_to_formulas": False,  # belt and braces: write_string never makes formulas
            "strings_to_urls": False,
            "tmpdir": None,
        },
    )
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    quoted = workbook.add_format({"quote_prefix": True})
    used: set[str] = {texts["sheet"]}
    sheets = [(table, _sheet_names(table, used)) for table in tables]

    about_sheet = workbook.add_worksheet(texts["sheet"])
    row = 0
    about_sheet.write_string(row, 0, about.title, bold)
    row += 1
    about_sheet.write_string(row, 0, texts["created"])
    about_sheet.write_string(row, 1, _iso(about.created))
    row += 1
    about_sheet.write_string(row, 0, texts["scope"])
    about_sheet.write_string(row, 1, about.scope)
    row += 1
    notes = [texts["formula"], *about.notes]
    if about.suppress_below is not None:
        mark = next((t.mark for t in tables if t.mark), f"<{about.suppress_below}")
        notes.insert(0, texts["suppressed"].format(n=about.suppress_below, mark=mark))
    for note in notes:
        about_sheet.write_string(row, 0, note)
        row += 1
    row += 1
    about_sheet.write_row(row, 0, texts["header"], bold)
    for table, names in sheets:
        for spec in table.columns:
            row += 1
            about_sheet.write_row(
                row,
                0,
                (
                    table.title(about.lang),
                    ", ".join(names),
                    spec.name,
                    spec.type,
                    spec.unit,
                    spec.description(about.lang),
                ),
                wrap,
            )
    about_sheet.set_column(0, 1, 24)
    about_sheet.set_column(2, 4, 18)
    about_sheet.set_column(5, 5, 80)

    formats = {"date": date_format, "time": time_format, "quoted": quoted}
    for table, names in sheets:
        _write_sheets(workbook, table, names, formats, bold)
    workbook.close()


def _cell_values(table: ExportTable, spec: ColumnSpec) -> tuple[list[Any], Any]:
    """A column as Python values for xlsxwriter (None: an empty cell), and how to write it."""
    series = table.frame[spec.name]
    if spec.type == "string":
        # Distinct texts are few (measure codes, areas): convert each once.
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = [str(u) if str(u) != "" else None for u in uniques] + [None]
        return [values[c] for c in codes.tolist()], "string"
    if spec.type == "number":
        array = series.to_numpy(dtype="float64", na_value=np.nan) + 0.0
        return [None if v != v else v for v in array.tolist()], "number"
    if spec.type == "integer":
        return [None if pd.isna(v) else int(v) for v in series.astype("Int64")], "number"
    if spec.type == "boolean":
        return [None if pd.isna(v) else bool(v) for v in series.astype("boolean")], "boolean"
    if spec.type == "date":
        days = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
        serial = (days - _EXCEL_EPOCH).astype("float64")
        serial[np.isnat(days)] = np.nan
        return [None if v != v else v for v in serial.tolist()], "date"
    values = pd.to_datetime(series, utc=True).dt.tz_convert(None)
    return [None if pd.isna(v) else v.to_pydatetime() for v in values], "datetime"


def _exact_worksheet_class():
    """An xlsxwriter worksheet that writes numbers exactly.

    xlsxwriter writes a number with 16 significant digits (0.1 + 0.2 becomes 0.3); a double
    needs up to 17, and ``repr`` gives the shortest text that reads back as the very same
    number, as the CSV files do. Excel reads it as the same double.
    """
    from xlsxwriter.worksheet import Worksheet

    class ExactWorksheet(Worksheet):
        def _xml_number_element(self, number, attributes=()):  # type: ignore[override]
            attr = "".join(f' {k}="{self._escape_attributes(v)}"' for k, v in attributes)
            text = repr(float(number))
            self.fh.write(f"<c{attr}><v>{text[:-2] if text.endswith('.0') else text}</v></c>")

    return ExactWorksheet


def _writer(sheet: Any, kind: str, formats: dict[str, Any], marked: bool) -> Any:
    """The call that writes one cell of a column of ``kind``; a ``marked`` column may also
    hold the small-number mark (text) where a cell was left out."""
    if kind == "string":
        write_string, quoted = sheet.write_string, formats["quoted"]

        def write(r: int, c: int, v: str) -> None:
            if v[0] in _FORMULA_CHARS or v[0] == "'":
                write_string(r, c, v, quoted)
            else:
                write_string(r, c, v)

        return write
    if kind == "boolean":
        return sheet.write_boolean
    if kind == "datetime":
        write_datetime, time_format = sheet.write_datetime, formats["time"]
        return lambda r, c, v: write_datetime(r, c, v, time_format)
    write_number = sheet.write_number
    number_format = formats["date"] if kind == "date" else None
    if not marked:
        return lambda r, c, v: write_number(r, c, v, number_format)
    write_string = sheet.write_string

    def write_or_mark(r: int, c: int, v: Any) -> None:
        if isinstance(v, str):
            write_string(r, c, v)
        else:
            write_number(r, c, v, number_format)

    return write_or_mark


def _write_sheets(workbook, table, names, formats, bold) -> None:
    columns = [_cell_values(table, spec) for spec in table.columns]
    # A left-out cell shows the mark. It goes into the values themselves: with constant_memory
    # a row cannot be written to again once the next one has begun.
    for c, spec in enumerate(table.columns):
        mask = table.suppressed.get(spec.name)
        if mask is not None and mask.any():
            values = columns[c][0]
            for i in np.flatnonzero(mask).tolist():
                values[i] = table.mark
    marked = {spec.name for spec in table.columns if spec.name in table.suppressed}
    per_sheet = EXCEL_MAX_ROWS - 1
    sheet_class = _exact_worksheet_class()
    for part, name in enumerate(names):
        sheet = workbook.add_worksheet(name, worksheet_class=sheet_class)
        for c, spec in enumerate(table.columns):
            sheet.set_column(c, c, max(10, min(40, len(spec.name) + 4)))
        sheet.write_row(0, 0, [c.name for c in table.columns], bold)
        first, last = part * per_sheet, min(table.rows, (part + 1) * per_sheet)
        pairs = [
            (c, _writer(sheet, kind, formats, spec.name in marked))
            for c, ((_, kind), spec) in enumerate(zip(columns, table.columns, strict=True))
        ]
        for offset, cells in enumerate(zip(*(v[first:last] for v, _ in columns), strict=True)):
            r = offset + 1
            for c, write in pairs:
                value = cells[c]
                if value is not None:
                    write(r, c, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(last - first, 1), len(table.columns) - 1)


# ------------------------------------------------------------------------------------ datapackage
def _schema_field(spec: ColumnSpec, lang: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": spec.name,
        "type": spec.type,
        "description": spec.description(lang),
    }
    if spec.unit:
        entry["unit"] = spec.unit
    return entry


def datapackage_descriptor(tables: Sequence[ExportTable], about: ExportAbout) -> dict[str, Any]:
    """``datapackage.json``: a Tabular Data Package, one resource and Table Schema per table."""
    en = about.lang == "en"
    description = [about.scope]
    if about.suppress_below is not None:
        description.append(
            f"Counts below {about.suppress_below} are left out (empty); column 'suppressed'."
            if en
            else f"Aantallen onder {about.suppress_below} zijn weggelaten (leeg); kolom "
            "'suppressed'."
        )
    description.append(
        "Text cells starting with =, +, -, @, tab, CR or ' have one extra leading '."
        if en
        else "Tekstcellen die beginnen met =, +, -, @, tab, CR of ' hebben een extra ' ervoor."
    )
    description.extend(about.notes)
    return {
        "profile": "tabular-data-package",
        "name": "proeftuin-export",
        "title": about.title,
        "description": " ".join(description),
        "created": _iso(about.created),
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": table.name,
                "title": table.title(about.lang),
                "path": f"{table.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": CRLF,
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "schema": {
                    "fields": [_schema_field(spec, about.lang) for spec in table.columns],
                    "missingValues": [""],
                },
            }
            for table in tables
        ],
    }


def write_datapackage(
    tables: Sequence[ExportTable], target: IO[bytes] | str | Path, *, about: ExportAbout
) -> None:
    """A zip with ``datapackage.json`` and ``<table>.csv`` for every table (plain CSV)."""
    descriptor = datapackage_descriptor(tables, about)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n")
        for table in tables:
            with zf.open(f"{table.name}.csv", "w", force_zip64=True) as handle:
                write_csv(table, handle)


# ------------------------------------------------------------------------------------ dispatch
def file_name(stem: str, table: str | None, fmt: str) -> str:
    """``<stem>-<table>.csv`` for a per-table file, ``<stem>.xlsx`` / ``.zip`` for the others."""
    suffix = EXTENSIONS[fmt]
    return f"{stem}-{table}{suffix}" if table else f"{stem}{suffix}"


def _write_one(table: ExportTable, fmt: str, target: Any, about: ExportAbout) -> None:
    if fmt == "parquet":
        write_parquet(table, target, about=about)
    else:
        write_csv(table, target, dialect=fmt)


def export_files(
    tables: Sequence[ExportTable], fmt: str, *, about: ExportAbout, stem: str = "proeftuin"
) -> list[ExportFile]:
    """The export in memory: one file per table (csv, csv-nl, parquet) or one file (xlsx,
    datapackage)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in MULTI_FILE_FORMATS:
        out = []
        for table in tables:
            buffer = io.BytesIO()
            _write_one(table, fmt, buffer, about)
            name = file_name(stem, table.name, fmt)
            out.append(ExportFile(name, buffer.getvalue(), MIME[EXTENSIONS[fmt]]))
        return out
    buffer = io.BytesIO()
    (write_xlsx if fmt == "xlsx" else write_datapackage)(tables, buffer, about=about)
    name = file_name(stem, None, fmt)
    return [ExportFile(name, buffer.getvalue(), MIME[EXTENSIONS[fmt]])]


def zip_files(files: Sequence[ExportFile]) -> bytes:
    """Several per-table files in one zip (the "all tables" download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for item in files:
            zf.writestr(item.name, item.data)
    return buffer.getvalue()


def write_export(
    tables: Sequence[ExportTable], fmt: str, out: Path, *, about: ExportAbout
) -> list[Path]:
    """Write the export to ``out`` and return the files written.

    xlsx and datapackage: ``out`` is the file. csv, csv-nl and parquet write a file per table:
    ``out`` is that file when there is one table and ``out`` is not an existing folder; else a
    folder (created when needed), or a ``.zip`` that holds them.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt not in MULTI_FILE_FORMATS:
        out.parent.mkdir(parents=True, exist_ok=True)
        (write_xlsx if fmt == "xlsx" else write_datapackage)(tables, out, about=about)
        return [out]
    suffix = EXTENSIONS[fmt]
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for table in tables:
                with zf.open(f"{table.name}{suffix}", "w", force_zip64=True) as handle:
                    if fmt == "parquet":  # Parquet needs a seekable target
                        buffer = io.BytesIO()
                        write_parquet(table, buffer, about=about)
                        handle.write(buffer.getvalue())
                    else:
                        write_csv(table, handle, dialect=fmt)
        return [out]
    if len(tables) == 1 and not out.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_one(tables[0], fmt, out, about)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = out / f"{table.name}{suffix}"
        _write_one(table, fmt, path, about)
        written.append(path)
    return written
