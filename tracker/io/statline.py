"""CBS StatLine CSV downloads (the open-data "TypedDataSet" shape) read into tidy measurements.

The format
----------
A StatLine download is a ``;``-separated CSV file, fields quoted with ``"``, in UTF-8 (often
with a BOM; older exports are Windows-1252, which is read with a warning). Row 1 holds the
column keys, every further row one combination of the table's dimensions::

    "ID";"Geslacht";"RegioS";"Perioden";"Bevolking_1";"Werkloosheid_2"
    0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"

- ``ID`` numbers the rows; it is ignored.
- The period column (``Perioden``) holds codes: ``2019MM01`` is a month (→ 2019-01-01),
  ``2019KW02`` a quarter (→ its first day, 2019-04-01), ``2019JJ00`` a year (→ 2019-01-01).
  Other codes (half years ``2019HJ01``, ``2019MM13``, ``2019KW05``) are errors at their row.
- The region column (``RegioS``, ``WijkenEnBuurten``, ``Codering_3``) holds CBS region codes
  padded with spaces: ``GM0363    `` (gemeente), ``WK036301  `` (wijk), ``BU03630101`` (buurt),
  and also ``NL01  `` (Nederland) or ``PV27`` (provincie). Proeftuin stores only GM/WK/BU codes
  (``tracker.codes.AREA_CODE``); other regions are imported only when the caller maps them to
  an area (``StatlineMapping.regions``), e.g. Nederland as the comparison group.
- Topic columns hold the figures. CBS names topic keys ``Name_<n>`` (``Bevolking_1``); when a
  file uses such keys only those columns are topics, so numeric dimension codes (``Leeftijd``
  ``10000``) stay dimensions. A key column counts as a topic when most of its cells are numbers
  (one damaged cell is then an error at its row, not a reason to call the column text);
  without CBS keys (a hand-made file) every cell that is not empty or a symbol must be a number.
- Every other text column (``Geslacht``, ``Leeftijd``, ``Marges``) is a dimension: when it has
  several values the caller chooses one (``StatlineMapping.dimensions``). A text column with
  one value per region (``Gemeentenaam_1``, ``SoortRegio_2``) only describes the region: it is
  a label column and needs no choice.

Symbols (the CBS legend)
------------------------
- ``.``   figure unknown, too unreliable or secret (suppressed) → MISSING, never 0;
- ``x``   secret → missing;
- ``-``   "nihil": CBS uses it for a figure that is exactly zero → 0 (``–``, the en dash of
  published tables, too);
- empty   no figure (on logical grounds none can exist) → missing.

A missing cell gives no tidy row: the measurement is missing for that period, which the
analysis treats as a gap. Each one is a warning located at file, row, column and symbol, so a
preview can say "3 cellen onderdrukt ('.'): die perioden ontbreken". A proportion or rate needs
both of its figures: when either is missing the row is left out. A denominator or exposure of
0 (often nihil: a new neighbourhood without inhabitants) cannot be divided by; that row is left
out with a warning too.

Decimal mark
------------
Open data uses a decimal point. Some exports use a decimal comma. The rule, per file: when any
topic cell has a digit, a comma and a digit (``4,5``) and no topic cell has a digit, a point and
a digit (``4.5``), the file uses a decimal comma; otherwise a decimal point. Figures have no
thousands separators, so a cell with the other mark is an error at its row.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first data row row 2,
row 0 the file as a whole. Pure: no database, no Streamlit.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tracker import i18n
from tracker.codes import AREA_CODE, MEASURE_CODE
from tracker.io.measurements import (
    GROUPS,
    MAX_ABS_VALUE,
    MAX_SOURCE_LENGTH,
    POINT_NUMBER,
    VALUE_COLUMNS,
    ParsedMeasurements,
    RowError,
    detect_encoding,
    empty_frame,
    make_error,
)

SEPARATOR = ";"
SUPPRESSED = frozenset({".", "x", "X"})
NIHIL = frozenset({"-", "\u2013"})
SYMBOLS = SUPPRESSED | NIHIL
FREQUENCIES = ("month", "quarter", "year")
# Periods: MM = month, KW = quarter, JJ00 = year. PERIOD_LIKE finds the period column by its
# values (any two letters, so that 2019HJ01 is found there and reported, not taken for text).
PERIOD_CODE = re.compile(r"(\d{4})(MM|KW|JJ)(\d{2})")
PERIOD_LIKE = r"\d{4}[A-Z]{2}\d{2}"
PERIOD_PREFIX = {"month": "MM", "quarter": "KW", "year": "JJ"}
PERIOD_HEADERS = frozenset({"perioden", "periode"})
# Regions: GM/WK/BU can be stored; NL (Nederland), PV (provincie), LD (landsdeel), CR (COROP)
# only through a mapping. Two capitals and digits, with at least one known prefix in the column,
# so that a dimension such as Marges (MW00000) is not taken for regions.
REGION_HEADERS = frozenset({"regios", "regio", "wijkenenbuurten", "gemeenten", "gemeente"})
CODERING = re.compile(r"codering_\d+", re.IGNORECASE)
REGION_LIKE = r"[A-Z]{2}\d{2,8}"
KNOWN_REGION = r"(?:GM|WK|BU|NL|PV|LD|CR)\d{2,8}"
TOPIC_KEY = re.compile(r".+_\d+")
# Numbers: either mark while the file is sniffed; then only the file's own mark. Used with
# Series.str.fullmatch (vectorised).
ANY_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"
COMMA_NUMBER = r"[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?"
MAX_LISTED = 12  # values named in one message ("T001038, 3000, 4000, …")
_BOM = b"\xef\xbb\xbf"

# ------------------------------------------------------------------------------------ messages
MESSAGES: dict[str, dict[str, str]] = {
    # --- the file as a whole
    "import.statline_empty_file": {
        "nl": "het bestand is leeg; download de tabel opnieuw op opendata.cbs.nl als CSV",
        "en": "the file is empty; download the table again from opendata.cbs.nl as CSV",
    },
    "import.statline_not_csv": {
        "nl": (
            "dit is een zip- of Excel-bestand, geen CSV-tekst; pak de download uit en kies het "
            "CSV-bestand met de cijfers (TypedDataSet)"
        ),
        "en": (
            "this is a zip or Excel file, not CSV text; unpack the download and choose the CSV "
            "file with the figures (TypedDataSet)"
        ),
    },
    "import.statline_encoding": {
        "nl": (
            "het bestand is geen leesbare tekst ({detail}); download de tabel opnieuw op "
            "opendata.cbs.nl als CSV en open of bewaar hem niet eerst in een ander programma"
        ),
        "en": (
            "the file is not readable text ({detail}); download the table again from "
            "opendata.cbs.nl as CSV and do not open or save it in another program first"
        ),
    },
    "import.statline_encoding_fallback": {
        "nl": (
            "het bestand is geen UTF-8 (eerste afwijkende teken op rij {row}) en is gelezen als "
            "Windows-1252; controleer namen met accenten in het voorbeeld"
        ),
        "en": (
            "the file is not UTF-8 (first unexpected character in row {row}) and was read as "
            "Windows-1252; check names with accents in the preview"
        ),
    },
    "import.statline_not_statline": {
        "nl": (
            "dit is geen StatLine-download: rij 1 heeft geen kolommen gescheiden door ';' "
            '(zoals "ID";"RegioS";"Perioden";…). Download de tabel op opendata.cbs.nl als '
            "CSV, of lees dit bestand in als gewoon meetbestand (period, value, …)"
        ),
        "en": (
            "this is not a StatLine download: row 1 has no columns separated by ';' (like "
            '"ID";"RegioS";"Perioden";…). Download the table from opendata.cbs.nl as '
            "CSV, or import this file as an ordinary measurement file (period, value, …)"
        ),
    },
    "import.statline_bad_csv": {
        "nl": (
            "deze regel kan niet gelezen worden ({detail}); controleer de aanhalingstekens en "
            "de ';' op deze regel, of download de tabel opnieuw"
        ),
        "en": (
            "this line cannot be read ({detail}); check the quotation marks and the ';' on "
            "this line, or download the table again"
        ),
    },
    "import.statline_too_many_fields": {
        "nl": (
            "deze rij heeft {found} velden en rij 1 maar {expected}; het bestand is beschadigd "
            "of bewerkt, download de tabel opnieuw"
        ),
        "en": (
            "this row has {found} fields but row 1 only {expected}; the file is damaged or "
            "edited, download the table again"
        ),
    },
    "import.statline_duplicate_column": {
        "nl": "kolom '{column}' komt meer dan één keer voor; download de tabel opnieuw",
        "en": "column '{column}' appears more than once; download the table again",
    },
    "import.statline_no_rows": {
        "nl": (
            "het bestand bevat alleen kolomnamen en geen cijfers; kies bij het downloaden "
            "minstens één periode en één regio"
        ),
        "en": (
            "the file contains only column names and no figures; choose at least one period "
            "and one region when downloading"
        ),
    },
    "import.statline_no_period_column": {
        "nl": (
            "er is geen kolom met StatLine-periodecodes (Perioden, zoals 2019MM01), dus dit "
            "lijkt geen StatLine-download; download de tabel met de perioden erin, of lees "
            "dit bestand in als gewoon meetbestand (period, value, …)"
        ),
        "en": (
            "there is no column with StatLine period codes (Perioden, like 2019MM01), so this "
            "does not look like a StatLine download; download the table with its periods, or "
            "import this file as an ordinary measurement file (period, value, …)"
        ),
    },
    "import.statline_no_topic_column": {
        "nl": (
            "er is geen kolom met cijfers (onderwerpen zoals Bevolking_1); kies bij het "
            "downloaden minstens één onderwerp"
        ),
        "en": (
            "there is no column with figures (topics like Bevolking_1); choose at least one "
            "topic when downloading"
        ),
    },
    # --- the caller's choices
    "import.statline_no_value_columns": {
        "nl": (
            "er is geen kolom met cijfers gekozen; koppel een onderwerp aan 'value', of aan "
            "'numerator' en 'denominator', of aan 'count' en 'exposure'"
        ),
        "en": (
            "no column with figures was chosen; map a topic to 'value', or to 'numerator' and "
            "'denominator', or to 'count' and 'exposure'"
        ),
    },
    "import.statline_unknown_value_column": {
        "nl": "'{value}' is geen soort waarde van Proeftuin; kies uit {known}",
        "en": "'{value}' is not a kind of value in Proeftuin; choose from {known}",
    },
    "import.statline_unknown_topic": {
        "nl": (
            "kolom '{column}' staat niet als onderwerp met cijfers in dit bestand; kies een "
            "van deze kolommen: {topics}"
        ),
        "en": (
            "column '{column}' is not a topic with figures in this file; choose one of these "
            "columns: {topics}"
        ),
    },
    "import.statline_unknown_dimension": {
        "nl": ("kolom '{column}' is geen dimensie van dit bestand; dimensies zijn: {known}"),
        "en": "column '{column}' is not a dimension of this file; the dimensions are: {known}",
    },
    "import.statline_unknown_dimension_value": {
        "nl": ("'{value}' komt niet voor in kolom '{column}'; kies een van deze waarden: {values}"),
        "en": "'{value}' does not occur in column '{column}'; choose one of these values: {values}",
    },
    "import.statline_choose_dimension": {
        "nl": (
            "kolom '{column}' heeft meerdere waarden ({values}), en elke waarde zou een eigen "
            "meting per periode geven; kies de waarde die u wilt inlezen (vaak het totaal)"
        ),
        "en": (
            "column '{column}' has several values ({values}), and each value would give its "
            "own measurement per period; choose the value to import (often the total)"
        ),
    },
    "import.statline_no_region_column": {
        "nl": (
            "er zijn regio's gekoppeld, maar het bestand heeft geen kolom met regiocodes "
            "(RegioS); laat de koppeling van regio's weg, of download de tabel met regio's"
        ),
        "en": (
            "regions were mapped, but the file has no column with region codes (RegioS); "
            "leave out the region mapping, or download the table with its regions"
        ),
    },
    "import.statline_region_not_in_file": {
        "nl": "regio '{value}' is gekoppeld maar komt niet voor in het bestand; controleer de code",
        "en": "region '{value}' is mapped but does not occur in the file; check the code",
    },
    "import.statline_bad_frequency": {
        "nl": "'{value}' is geen periodelengte; kies 'month', 'quarter' of 'year'",
        "en": "'{value}' is not a period length; choose 'month', 'quarter' or 'year'",
    },
    "import.statline_mixed_frequencies": {
        "nl": (
            "het bestand bevat perioden van verschillende lengte ({value}; MM = maand, KW = "
            "kwartaal, JJ = jaar), die niet samen in één reeks passen; kies één periodelengte"
        ),
        "en": (
            "the file holds periods of different lengths ({value}; MM = month, KW = quarter, "
            "JJ = year), which do not fit in one series; choose one period length"
        ),
    },
    "import.statline_no_rows_selected": {
        "nl": (
            "geen enkele rij van het bestand past bij de gekozen regio's, dimensies en "
            "periodelengte; controleer de keuzes"
        ),
        "en": (
            "no row of the file matches the chosen regions, dimensions and period length; "
            "check the choices"
        ),
    },
    # --- cells
    "import.statline_bad_period": {
        "nl": (
            "periodecode '{value}' wordt niet ondersteund; gebruik een StatLine-download per "
            "maand (2019MM01 t/m 2019MM12), kwartaal (2019KW01 t/m 2019KW04) of jaar (2019JJ00)"
        ),
        "en": (
            "period code '{value}' is not supported; use a StatLine download by month "
            "(2019MM01 to 2019MM12), quarter (2019KW01 to 2019KW04) or year (2019JJ00)"
        ),
    },
    "import.statline_region_not_mapped": {
        "nl": (
            "regio '{value}' is geen gemeente, wijk of buurt (GM####, WK###### of BU########) "
            "en kan alleen ingelezen worden als u haar koppelt aan een gebied en een groep "
            "(bijvoorbeeld Nederland als vergelijking); koppel de regio of laat haar weg"
        ),
        "en": (
            "region '{value}' is not a municipality, district or neighbourhood (GM####, "
            "WK###### or BU########) and can only be imported when you map it to an area and "
            "a group (for example the Netherlands as comparison); map the region or leave it out"
        ),
    },
    "import.statline_bad_mapped_area": {
        "nl": (
            "regio '{value}' is gekoppeld aan '{area}', en dat is geen CBS-gebiedscode; koppel "
            "haar aan GM####, WK###### of BU######## (of aan een leeg gebied)"
        ),
        "en": (
            "region '{value}' is mapped to '{area}', which is not a CBS area code; map it to "
            "GM####, WK###### or BU######## (or to an empty area)"
        ),
    },
    "import.statline_bad_mapped_group": {
        "nl": "regio '{value}' is gekoppeld aan groep '{group}'; kies 'pilot' of 'comparison'",
        "en": "region '{value}' is mapped to group '{group}'; choose 'pilot' or 'comparison'",
    },
    "import.statline_not_a_number": {
        "nl": (
            "'{value}' is geen getal en geen CBS-teken (. x -); controleer deze cel of "
            "download de tabel opnieuw"
        ),
        "en": (
            "'{value}' is neither a number nor a CBS symbol (. x -); check this cell or "
            "download the table again"
        ),
    },
    "import.statline_wrong_decimal": {
        "nl": (
            "'{value}' heeft een ander decimaalteken dan de rest van het bestand ('{mark}'); "
            "maak het decimaalteken in alle cellen gelijk of download de tabel opnieuw"
        ),
        "en": (
            "'{value}' has a different decimal mark than the rest of the file ('{mark}'); "
            "use the same decimal mark in every cell or download the table again"
        ),
    },
    "import.statline_suppressed": {
        "nl": (
            "CBS publiceert dit cijfer niet ('{value}': onbekend, te onbetrouwbaar of geheim); "
            "deze periode ontbreekt voor dit gebied, er wordt geen 0 ingelezen"
        ),
        "en": (
            "CBS does not publish this figure ('{value}': unknown, too unreliable or secret); "
            "this period is missing for this area, no 0 is imported"
        ),
    },
    "import.statline_empty": {
        "nl": "de cel is leeg; deze periode ontbreekt voor dit gebied",
        "en": "the cell is empty; this period is missing for this area",
    },
    "import.statline_zero_denominator": {
        "nl": (
            "'{column}' is 0 ('-' betekent bij CBS nihil), en door 0 kan niet gedeeld worden; "
            "deze periode ontbreekt voor dit gebied"
        ),
        "en": (
            "'{column}' is 0 ('-' means nil at CBS), and nothing can be divided by 0; this "
            "period is missing for this area"
        ),
    },
    "import.statline_duplicate": {
        "nl": (
            "deze meting (periode {period}, gebied '{area}', groep {group}) komt ook uit rij "
            "{first}; koppel elke regio aan een eigen gebied, of kies per dimensie één waarde"
        ),
        "en": (
            "this measurement (period {period}, area '{area}', group {group}) also comes from "
            "row {first}; map each region to an area of its own, or choose one value per "
            "dimension"
        ),
    },
}

# Registering the very same texts again (a module reload) is harmless; a clash is not.
i18n.register({k: v for k, v in MESSAGES.items() if i18n.MESSAGES.get(k) != v})


# ------------------------------------------------------------------------------------ the file
@dataclass(frozen=True)
class StatlineFile:
    """A StatLine CSV download as read: its cells as text and what was detected in them.

    ``frame`` holds every column as stripped text (str dtype), blank lines left out; ``rows``
    the spreadsheet row number of each of its rows. ``errors`` are problems with the file as
    a whole (it cannot be imported at all); ``warnings`` do not stop an import.
    ``label_columns`` are text columns with one value per region (``Gemeentenaam_1``): they
    describe the region and need no choice, unlike ``dimension_columns``.
    """

    file_name: str
    frame: pd.DataFrame
    rows: np.ndarray
    period_column: str | None
    region_column: str | None
    dimension_columns: tuple[str, ...]
    dimension_values: dict[str, tuple[str, ...]]
    topic_columns: tuple[str, ...]
    periods: tuple[str, ...]
    regions: tuple[str, ...]
    decimal: str
    errors: list[RowError]
    warnings: list[RowError]
    file_sha256: str = ""
    encoding: str = ""
    label_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def frequencies(self) -> tuple[str, ...]:
        """The period lengths in the file ("month", "quarter", "year"), in that order."""
        found = {p[1] for p in map(statline_period, self.periods) if p is not None}
        return tuple(f for f in FREQUENCIES if f in found)


def statline_period(code: str) -> tuple[dt.date, str] | None:
    """(first day, "month"|"quarter"|"year") of a StatLine period code; None if unsupported.

    ``2019MM03`` → (2019-03-01, "month"), ``2019KW02`` → (2019-04-01, "quarter"),
    ``2019JJ00`` → (2019-01-01, "year"). Padding spaces are ignored.
    """
    match = PERIOD_CODE.fullmatch(code.strip().upper())
    if not match:
        return None
    year, kind, number = int(match[1]), match[2], int(match[3])
    if year < 1:
        return None
    if kind == "MM" and 1 <= number <= 12:
        return dt.date(year, number, 1), "month"
    if kind == "KW" and 1 <= number <= 4:
        return dt.date(year, 3 * number - 2, 1), "quarter"
    if kind == "JJ" and number == 0:
        return dt.date(year, 1, 1), "year"
    return None


def _encoding(data: bytes, file_name: str) -> tuple[str, list[RowError], list[RowError]]:
    """(Python codec name, errors, warnings): UTF-8 (BOM or not), else Windows-1252 (warned);
    the same checks as a tidy measurement file, with StatLine's messages."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    if not body.strip():
        return "", [make_error("statline_empty_file", row=0, file=file_name)], []
    encoding, errors, warnings = detect_encoding(data, file_name, prefix="statline_")
    return ("utf-8-sig" if encoding == "utf-8" else encoding), errors, warnings


def _failed_file(
    file_name: str,
    sha: str,
    errors: list[RowError],
    warnings: list[RowError],
    encoding: str = "",
) -> StatlineFile:
    return StatlineFile(
        file_name=file_name,
        frame=pd.DataFrame(),
        rows=np.array([], dtype="int64"),
        period_column=None,
        region_column=None,
        dimension_columns=(),
        dimension_values={},
        topic_columns=(),
        periods=(),
        regions=(),
        decimal=".",
        errors=errors,
        warnings=warnings,
        file_sha256=sha,
        encoding=encoding,
    )


def _parser_error(exc: Exception, file_name: str) -> RowError:
    detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if fields:
        expected, row, found = (int(g) for g in fields.groups())
        return make_error(
            "statline_too_many_fields", row=row, file=file_name, expected=expected, found=found
        )
    # "line N" counts lines from 1 (the header is line 1); "row N" counts them from 0.
    line = re.search(r"line (\d+)", detail)
    data_row = re.search(r"row (\d+)", detail)
    row = int(line.group(1)) if line else int(data_row.group(1)) + 1 if data_row else 0
    return make_error("statline_bad_csv", row=row, file=file_name, detail=detail)


def read_statline(data: bytes, *, file_name: str) -> StatlineFile:
    """Read the bytes of a StatLine CSV download; every problem comes back in ``errors``."""
    sha = hashlib.sha256(data).hexdigest()
    codec, errors, warnings = _encoding(data, file_name)
    if errors:
        return _failed_file(file_name, sha, errors, warnings)
    encoding = "utf-8" if codec == "utf-8-sig" else codec

    def failed(error: RowError) -> StatlineFile:
        return _failed_file(file_name, sha, [error], warnings, encoding)

    newline = data.find(b"\n")
    header_end = len(data) if newline < 0 else newline
    header = data[:header_end].decode(codec).rstrip("\r")
    try:
        # A field without a name (a line ending in ';') gets one, so that it can be shown.
        fields = [n.strip() for n in next(csv.reader([header], delimiter=SEPARATOR))]
        unnamed = [f"kolom {i + 1}" for i, n in enumerate(fields) if not n]
        names = [n or f"kolom {i + 1}" for i, n in enumerate(fields)]
        # pandas keeps the first data line's extra fields quietly (it drops them with a
        # ParserWarning); later lines raise. So the first data line is measured here.
        rest = data[header_end + 1 : header_end + 1 + 65536].decode(codec, errors="ignore")
        first_line = rest.split("\n", 1)[0].rstrip("\r")
        width = len(next(csv.reader([first_line], delimiter=SEPARATOR))) if first_line else 0
    except csv.Error as exc:
        return failed(make_error("statline_bad_csv", row=1, file=file_name, detail=str(exc)))
    if len(names) < 2:
        # A comma-separated tidy file, a text file: one column at ';' is no StatLine table.
        return failed(make_error("statline_not_statline", row=0, file=file_name))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return failed(
                make_error("statline_duplicate_column", row=1, column=name, file=file_name)
            )
        seen.add(name)
    if width > len(names):
        return failed(
            make_error(
                "statline_too_many_fields",
                row=2,
                file=file_name,
                expected=len(names),
                found=width,
            )
        )
    try:
        raw = pd.read_csv(
            io.BytesIO(data),
            sep=SEPARATOR,
            quotechar='"',
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # blank lines keep their place: row numbers stay true
            encoding=codec,
            engine="c",
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        return failed(_parser_error(exc, file_name))
    frame = pd.DataFrame(
        {name: raw.iloc[:, i].astype("str").str.strip() for i, name in enumerate(names)}
    )
    # Lines ending in ';' give a last column without name or cells: not part of the table.
    frame = frame.drop(columns=[name for name in unnamed if not frame[name].ne("").any()])
    rows = np.arange(len(frame), dtype="int64") + 2
    blank = (frame == "").all(axis=1).to_numpy(dtype=bool)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    if frame.empty:
        return failed(make_error("statline_no_rows", row=2, file=file_name))
    return _detect(frame, rows, file_name=file_name, sha=sha, encoding=encoding, warnings=warnings)


def _fullmatch(series: pd.Series, pattern: str) -> np.ndarray:
    return series.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def _all_look_like(series: pd.Series, pattern: str) -> bool:
    """Every non-empty cell matches ``pattern`` (upper case), and there is one at least."""
    filled = series[series != ""].str.upper()
    return bool(len(filled)) and bool(_fullmatch(filled, pattern).all())


def _detect(
    frame: pd.DataFrame,
    rows: np.ndarray,
    *,
    file_name: str,
    sha: str,
    encoding: str,
    warnings: list[RowError],
) -> StatlineFile:
    columns = [c for c in frame.columns if c.lower() != "id"]
    period = next((c for c in columns if c.lower() in PERIOD_HEADERS), None)
    if period is None:
        period = next((c for c in columns if _all_look_like(frame[c], PERIOD_LIKE)), None)
    others = [c for c in columns if c != period]
    region = next((c for c in others if c.lower() in REGION_HEADERS), None)
    region = region or next((c for c in others if CODERING.fullmatch(c)), None)
    if region is None:
        region = next(
            (
                c
                for c in others
                if _all_look_like(frame[c], REGION_LIKE)
                and _fullmatch(frame[c].str.upper(), KNOWN_REGION).any()
            ),
            None,
        )
    others = [c for c in others if c != region]

    # Topics: see the module docstring (CBS keys Name_<n>; a majority of numbers there).
    cbs_keys = any(TOPIC_KEY.fullmatch(c) for c in others)
    topics: list[str] = []
    texts: list[str] = []
    for name in others:
        cells = frame[name]
        symbol = (cells == "").to_numpy(dtype=bool) | cells.isin(SYMBOLS).to_numpy(dtype=bool)
        number = _fullmatch(cells, ANY_NUMBER) & ~symbol
        n_number = int(number.sum())
        n_text = int((~symbol & ~number).sum())
        if cbs_keys:
            is_topic = bool(TOPIC_KEY.fullmatch(name)) and (n_text == 0 or n_number > n_text)
        else:
            is_topic = n_text == 0
        (topics if is_topic else texts).append(name)

    comma = point = False
    for name in topics:
        cells = frame[name]
        comma = comma or bool(cells.str.contains(r"\d,\d", regex=True).any())
        point = point or bool(cells.str.contains(r"\d\.\d", regex=True).any())
    decimal = "," if comma and not point else "."

    dimensions: list[str] = []
    labels: list[str] = []
    for name in texts:
        several = frame[name].nunique() > 1
        if region is not None and several:
            per_region = frame.groupby(frame[region], sort=False)[name].nunique()
            if int(per_region.max()) <= 1:
                labels.append(name)
                continue
        dimensions.append(name)

    errors: list[RowError] = []
    if period is None:
        errors.append(make_error("statline_no_period_column", row=0, file=file_name))
    if not topics:
        errors.append(make_error("statline_no_topic_column", row=0, file=file_name))
    region_codes = frame[region][frame[region] != ""] if region else pd.Series([], dtype="str")
    return StatlineFile(
        file_name=file_name,
        frame=frame,
        rows=rows,
        period_column=period,
        region_column=region,
        dimension_columns=tuple(dimensions),
        dimension_values={d: tuple(str(v) for v in pd.unique(frame[d])) for d in dimensions},
        topic_columns=tuple(topics),
        periods=tuple(sorted(set(frame[period]) - {""})) if period else (),
        regions=tuple(str(v) for v in pd.unique(region_codes)),
        decimal=decimal,
        errors=errors,
        warnings=list(warnings),
        file_sha256=sha,
        encoding=encoding,
        label_columns=tuple(labels),
    )


# ------------------------------------------------------------------------------------ the mapping
@dataclass(frozen=True)
class StatlineMapping:
    """Which figures of a StatLine file become which measurements.

    ``columns`` maps a tidy value column to a topic column: ``{"value": "Werkloosheid_2"}``,
    ``{"numerator": …, "denominator": …}`` or ``{"count": …, "exposure": …}``.
    ``regions`` maps a region code (stripped) to (area code to store, "pilot"|"comparison");
    regions not in it are left out. ``None`` keeps every region as its own area in the pilot
    group (only GM/WK/BU codes can be kept so). A file without a region column gives area ''
    and group pilot. ``dimensions`` keeps one value of a dimension column (``{"Geslacht":
    "T001038"}``). ``frequency`` ("month", "quarter", "year") keeps the periods of one length,
    for files that hold, say, months and their year totals; ``None`` is fine when the file
    holds one length. ``source`` defaults to "CBS StatLine <file name>".
    """

    measure_code: str
    columns: Mapping[str, str]
    regions: Mapping[str, tuple[str, str]] | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    frequency: str | None = None


def _listed(values: Any) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (", …" if len(values) > MAX_LISTED else "")


def _mapping_errors(file: StatlineFile, mapping: StatlineMapping) -> list[RowError]:
    """Choices that make the whole file unreadable as asked (located at row 0 or row 1)."""
    name = file.file_name
    errors: list[RowError] = []
    measure = mapping.measure_code.strip().lower()
    if not MEASURE_CODE.fullmatch(measure):
        errors.append(make_error("bad_measure_code", row=0, value=mapping.measure_code, file=name))
    source = mapping.source.strip()
    if len(source) > MAX_SOURCE_LENGTH:
        errors.append(
            make_error(
                "text_too_long",
                row=0,
                column="source",
                value=source,
                file=name,
                length=len(source),
                limit=MAX_SOURCE_LENGTH,
            )
        )
    if not mapping.columns:
        errors.append(make_error("statline_no_value_columns", row=0, file=name))
    not_topics = {"id", (file.period_column or "").lower(), (file.region_column or "").lower()}
    for tidy, topic in mapping.columns.items():
        if tidy not in VALUE_COLUMNS:
            errors.append(
                make_error(
                    "statline_unknown_value_column",
                    row=0,
                    value=tidy,
                    file=name,
                    known=", ".join(VALUE_COLUMNS),
                )
            )
        # A text column may be chosen (its cells are then judged one by one), not the
        # ID, period or region column.
        if topic not in file.frame.columns or topic.lower() in not_topics:
            errors.append(
                make_error(
                    "statline_unknown_topic",
                    row=1,
                    column=topic,
                    file=name,
                    topics=_listed(file.topic_columns),
                )
            )
    choosable = (*file.dimension_columns, *file.label_columns)
    for column, value in mapping.dimensions.items():
        if column not in choosable:
            errors.append(
                make_error(
                    "statline_unknown_dimension",
                    row=1,
                    column=column,
                    file=name,
                    known=_listed(choosable) or "—",
                )
            )
            continue
        values = pd.unique(file.frame[column])
        if value.strip() not in values:
            errors.append(
                make_error(
                    "statline_unknown_dimension_value",
                    row=1,
                    column=column,
                    value=value,
                    file=name,
                    values=_listed(values),
                )
            )
    mapped = set(mapping.columns.values())
    for column in file.dimension_columns:
        values = file.dimension_values[column]
        if len(values) > 1 and column not in mapping.dimensions and column not in mapped:
            errors.append(
                make_error(
                    "statline_choose_dimension",
                    row=1,
                    column=column,
                    file=name,
                    values=_listed(values),
                )
            )
    if mapping.regions and file.region_column is None:
        errors.append(make_error("statline_no_region_column", row=0, file=name))
    if mapping.frequency is not None and mapping.frequency not in FREQUENCIES:
        errors.append(
            make_error("statline_bad_frequency", row=0, value=mapping.frequency, file=name)
        )
    return errors


@dataclass
class _Figures:
    """One mapped topic column over the selected rows."""

    topic: str
    texts: np.ndarray  # the cells as written (stripped), object
    values: np.ndarray  # float64; NaN when missing or wrong
    missing: np.ndarray  # '.', 'x' or empty: the row is left out
    bad: np.ndarray  # an error at this cell


def _figures(cells: pd.Series, topic: str, decimal: str) -> tuple[_Figures, list[tuple[int, str]]]:
    """The numbers of one topic column; also (index, error code) of its wrong cells."""
    n = len(cells)
    empty = (cells == "").to_numpy(dtype=bool)
    suppressed = cells.isin(SUPPRESSED).to_numpy(dtype=bool)
    nihil = cells.isin(NIHIL).to_numpy(dtype=bool)
    own, other = (COMMA_NUMBER, POINT_NUMBER) if decimal == "," else (POINT_NUMBER, COMMA_NUMBER)
    number = _fullmatch(cells, own) & ~empty
    values = np.full(n, np.nan)
    if number.any():
        chosen = cells[number]
        if decimal == ",":
            chosen = chosen.str.replace(",", ".", regex=False)
        values[number] = chosen.astype("float64").to_numpy()
    values[nihil] = 0.0  # CBS "nihil": the figure is zero
    problems: list[tuple[int, str]] = []
    wrong = np.flatnonzero(~(empty | suppressed | nihil | number))
    if len(wrong):
        other_mark = "." if decimal == "," else ","
        texts = cells.iloc[wrong]
        other_ok = _fullmatch(texts, other)
        for k, (i, text) in enumerate(zip(wrong, texts.tolist(), strict=True)):
            code = "statline_wrong_decimal" if other_ok[k] and other_mark in text else None
            problems.append((int(i), code or "statline_not_a_number"))
    with np.errstate(invalid="ignore"):
        problems += [(int(i), "too_large") for i in np.flatnonzero(np.abs(values) > MAX_ABS_VALUE)]
    bad = np.zeros(n, dtype=bool)
    for i, _ in problems:
        bad[i] = True
    values[bad] = np.nan
    texts_all = cells.to_numpy(dtype=object)
    return _Figures(topic, texts_all, values, empty | suppressed, bad), problems


def _categorical(values: np.ndarray) -> pd.Categorical:
    """Text values (None = missing) as a categorical with str categories, like the tidy frame."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    categories = pd.Index([str(u) for u in uniques], dtype="str")
    return pd.Categorical.from_codes(np.asarray(codes), categories=categories)


def statline_measurements(file: StatlineFile, mapping: StatlineMapping) -> ParsedMeasurements:
    """The chosen figures of a StatLine file as tidy measurements, with every problem located.

    ``frame`` has the columns and dtypes of ``empty_frame()``: one row per selected StatLine
    row whose figures are all there (missing ones give no row and a warning); cells named in
    ``errors`` hold NaN/NaT. Rows of other regions, dimension values or period lengths are left
    out without a word: they were not chosen.
    """
    name = file.file_name
    value_columns = tuple(c for c in VALUE_COLUMNS if c in mapping.columns)
    order = {column: i for i, column in enumerate(file.frame.columns)}

    def result(
        frame: pd.DataFrame, errors: list[RowError], warnings: list[RowError]
    ) -> ParsedMeasurements:
        # By row, then in the file's column order; a column the file lacks (a mistyped
        # choice) after the file's own columns.
        def key(e: RowError) -> tuple[int, int]:
            return e.row, -1 if not e.column else order.get(e.column, len(order))

        return ParsedMeasurements(
            frame=frame,
            errors=sorted(errors, key=key),
            warnings=sorted(warnings, key=key),
            file_name=name,
            file_sha256=file.file_sha256,
            value_columns=value_columns,
            encoding=file.encoding,
        )

    warnings = list(file.warnings)
    if not file.ok:
        return result(empty_frame(), list(file.errors), warnings)
    errors = _mapping_errors(file, mapping)
    if errors:
        return result(empty_frame(), errors, warnings)
    measure = mapping.measure_code.strip().lower()
    source = mapping.source.strip() or f"CBS StatLine {name}"
    table = file.frame
    period_column = file.period_column
    assert period_column is not None  # a file without one is not ok

    # 1. Which rows: the chosen dimension values, the mapped regions, one period length.
    keep = np.ones(len(table), dtype=bool)
    for column, value in mapping.dimensions.items():
        keep &= (table[column] == value.strip()).to_numpy(dtype=bool)
    region_map: dict[str, tuple[str, str]] | None = None
    region_column = file.region_column
    if region_column is not None and mapping.regions is not None:
        region_map = {k.strip().upper(): v for k, v in mapping.regions.items()}
        upper = table[region_column].str.upper()
        keep &= upper.isin(list(region_map)).to_numpy(dtype=bool)
        present = set(upper)
        warnings += [
            make_error("statline_region_not_in_file", row=0, value=code, file=name)
            for code in region_map
            if code not in present
        ]
    period_codes, period_texts = pd.factorize(table[period_column])
    parsed_periods = [statline_period(str(t)) for t in period_texts]
    date_of = np.array(
        [np.datetime64(p[0], "s") if p else np.datetime64("NaT", "s") for p in parsed_periods],
        dtype="datetime64[s]",
    )
    length_of = np.array([p[1] if p else "" for p in parsed_periods] or [""], dtype=object)
    bad_of = np.array([p is None for p in parsed_periods] or [False], dtype=bool)
    lengths = length_of[period_codes]
    bad_period = bad_of[period_codes]
    if mapping.frequency is not None:
        keep &= (lengths == mapping.frequency) | bad_period
    else:
        found = {str(x) for x in lengths[keep & ~bad_period]}
        if len(found) > 1:
            prefixes = ", ".join(PERIOD_PREFIX[f] for f in FREQUENCIES if f in found)
            errors.append(
                make_error(
                    "statline_mixed_frequencies",
                    row=1,
                    column=period_column,
                    value=prefixes,
                    file=name,
                )
            )
            return result(empty_frame(), errors, warnings)
    index = np.flatnonzero(keep)
    if not len(index):
        errors.append(make_error("statline_no_rows_selected", row=0, file=name))
        return result(empty_frame(), errors, warnings)
    n = len(index)
    rows = file.rows[index]

    # 2. Periods: one error per row with a code that is not a month, quarter or year.
    periods = (
        date_of[period_codes[index]] if len(date_of) else np.full(n, np.datetime64("NaT", "s"))
    )
    bad_period = bad_period[index]
    period_cells = table[period_column].to_numpy(dtype=object)[index]
    errors += [
        make_error(
            "statline_bad_period",
            row=rows[i],
            column=period_column,
            value=period_cells[i],
            file=name,
        )
        for i in np.flatnonzero(bad_period)
    ]

    # 3. Areas and groups, judged once per distinct region code.
    areas = np.full(n, "", dtype=object)
    groups = np.full(n, "pilot", dtype=object)
    bad_area = np.zeros(n, dtype=bool)
    if region_column is not None:
        cells = table[region_column].iloc[index].reset_index(drop=True)
        codes, uniques = pd.factorize(cells)
        judged = [_judge_region(str(u), region_map) for u in uniques]
        for k, (area, group, code, params) in enumerate(judged):
            at = codes == k
            areas[at], groups[at] = area, group
            if code:
                bad_area |= at
                errors += [
                    make_error(
                        code,
                        row=rows[i],
                        column=region_column,
                        value=uniques[k],
                        file=name,
                        **params,
                    )
                    for i in np.flatnonzero(at)
                ]

    # 4. Figures: symbols, numbers, and the limits of the tidy shape.
    figures: dict[str, _Figures] = {}
    for tidy in value_columns:
        topic = mapping.columns[tidy]
        cells = table[topic].iloc[index].reset_index(drop=True)
        figures[tidy], problems = _figures(cells, topic, file.decimal)
        mark = file.decimal
        for i, code in problems:
            params = {"mark": mark} if code == "statline_wrong_decimal" else {}
            errors.append(
                make_error(
                    code,
                    row=rows[i],
                    column=topic,
                    value=figures[tidy].texts[i],
                    file=name,
                    **params,
                )
            )
    missing = np.zeros(n, dtype=bool)
    for figure in figures.values():
        missing |= figure.missing
        warnings += [
            make_error(
                "statline_suppressed" if figure.texts[i] else "statline_empty",
                row=rows[i],
                column=figure.topic,
                value=figure.texts[i],
                file=name,
            )
            for i in np.flatnonzero(figure.missing)
        ]
    dropped = missing.copy()
    with np.errstate(invalid="ignore"):
        for tidy in ("denominator", "exposure"):
            if tidy not in figures:
                continue
            figure = figures[tidy]
            zero = (figure.values == 0) & ~missing & ~figure.bad
            dropped |= zero
            warnings += [
                make_error(
                    "statline_zero_denominator",
                    row=rows[i],
                    column=figure.topic,
                    value=figure.texts[i],
                    file=name,
                )
                for i in np.flatnonzero(zero)
            ]
        errors += _range_errors(figures, rows, ~dropped, name)

    # 5. The same (period, area, group) twice, from any two chosen rows: the mapping is wrong.
    errors += _duplicates(rows, periods, areas, groups, ~bad_period & ~bad_area, name)

    # 6. The tidy frame: the rows whose figures are all there.
    take = np.flatnonzero(~dropped)
    m = len(take)
    area_values = np.where(bad_area, None, areas)[take]
    group_values = np.where(bad_area, None, groups)[take]
    frame = pd.DataFrame(
        {
            "row": rows[take].astype("int64"),
            "measure": _categorical(np.full(m, measure, dtype=object)),
            "period": periods[take].astype("datetime64[s]"),
            "area": _categorical(area_values),
            "group": _categorical(group_values),
            **{
                c: figures[c].values[take] if c in figures else np.full(m, np.nan)
                for c in VALUE_COLUMNS
            },
            "source": _categorical(np.full(m, source, dtype=object)),
        }
    )
    return result(frame, errors, warnings)


def _judge_region(
    code: str, region_map: dict[str, tuple[str, str]] | None
) -> tuple[str | None, str | None, str | None, dict[str, str]]:
    """(area, group, error code, params) of one region code of the file."""
    if region_map is None:
        area = code.upper()
        if AREA_CODE.fullmatch(area):
            return area, "pilot", None, {}
        return None, None, "statline_region_not_mapped", {}
    mapped_area, mapped_group = region_map[code.upper()]
    area = str(mapped_area).strip().upper()
    group = GROUPS.get(str(mapped_group).strip().lower()) if str(mapped_group).strip() else None
    if area and not AREA_CODE.fullmatch(area):
        return None, None, "statline_bad_mapped_area", {"area": str(mapped_area)}
    if group is None:
        return None, None, "statline_bad_mapped_group", {"group": str(mapped_group)}
    return area, group, None, {}


def _range_errors(
    figures: dict[str, _Figures], rows: np.ndarray, usable: np.ndarray, file_name: str
) -> list[RowError]:
    """The limits of the tidy shape: counts whole and ≥ 0, a share at most its whole, …"""
    errors: list[RowError] = []

    def flag(tidy: str, mask: np.ndarray, code: str, **params: Any) -> None:
        figure = figures[tidy]
        mask = mask & usable & ~figure.bad & ~figure.missing
        for i in np.flatnonzero(mask):
            extra = {k: v[i] if isinstance(v, np.ndarray) else v for k, v in params.items()}
            errors.append(
                make_error(
                    code,
                    row=rows[i],
                    column=figure.topic,
                    value=figure.texts[i],
                    file=file_name,
                    **extra,
                )
            )
        figure.bad |= mask
        figure.values[mask] = np.nan

    with np.errstate(invalid="ignore"):
        if "count" in figures:
            v = figures["count"].values
            flag("count", v < 0, "negative")
            flag("count", ~np.isnan(v) & (v >= 0) & (v != np.floor(v)), "not_integer")
        for tidy in ("denominator", "exposure"):
            if tidy in figures:
                flag(tidy, figures[tidy].values < 0, "not_positive")
        if "numerator" in figures:
            v = figures["numerator"].values
            flag("numerator", v < 0, "negative")
            if "denominator" in figures:
                den = figures["denominator"]
                flag(
                    "numerator",
                    (v > den.values) & ~den.bad,
                    "numerator_gt_denominator",
                    denominator=den.texts,
                )
    return errors


def _duplicates(
    rows: np.ndarray,
    periods: np.ndarray,
    areas: np.ndarray,
    groups: np.ndarray,
    usable: np.ndarray,
    file_name: str,
) -> list[RowError]:
    """Rows whose (period, area, group) an earlier chosen row already has."""
    if usable.sum() < 2:
        return []
    keys = pd.DataFrame(
        {
            "row": rows[usable],
            "period": periods[usable].view("int64"),
            "area": areas[usable],
            "group": groups[usable],
        }
    )
    first = keys.groupby(["period", "area", "group"], sort=False)["row"].transform("min")
    later = np.flatnonzero((keys["row"] != first).to_numpy())
    texts = periods[usable]
    return [
        make_error(
            "statline_duplicate",
            row=int(keys["row"].iat[i]),
            file=file_name,
            first=int(first.iat[i]),
            period=str(texts[i].astype("datetime64[D]")),
            area=str(keys["area"].iat[i]),
            group=str(keys["group"].iat[i]),
        )
        for i in later
    ]
