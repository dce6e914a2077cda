"""Measurement files (CSV, XLSX) read into the tidy shape, with every problem located.

The tidy shape (DESIGN.md, "Analysis"): one row per observation with ``period``, the value
columns (``value``, or ``numerator`` + ``denominator``, or ``count`` + ``exposure``), optional
``group`` (pilot/comparison, Dutch ``vergelijking`` too), optional ``area`` (CBS code),
``measure`` (codebook code; ``measure_code=`` sets it for a whole file) and optional ``source``.

This module checks everything that can be judged from the file alone: encoding, separator,
header, dates, numbers, codes, value ranges and duplicate rows. What needs the codebook or the
pilot (does the measure exist, which value columns its kind needs, the pilot's period, rows
already stored) is checked by ``tracker.services.measurements``. Nothing here touches a database.

Work is vectorised: text columns are read as categoricals and each *distinct* text is judged
once (a million rows have a few dozen periods and some thousands of areas), numbers are checked
with one regular expression per column. Python loops run only over the cells that are wrong.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1, the first data row
is row 2; row 0 means the file as a whole. (A quoted field that spans lines in a CSV file counts
as one row, as in a spreadsheet.)
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tracker import i18n
from tracker.codes import AREA_CODE, MEASURE_CODE

SUPPORTED_EXTENSIONS = (".csv", ".txt", ".xlsx")
VALUE_COLUMNS = ("value", "numerator", "denominator", "count", "exposure")
TEXT_COLUMNS = ("measure", "period", "area", "group", "source")
# The order of the tidy shape; errors on one row are listed in this order.
COLUMNS = ("measure", "period", "area", "group", *VALUE_COLUMNS, "source")
KEY_COLUMNS = ("measure", "period", "area", "group")
# Dutch header names a person may type; the tidy names above are what exports write.
ALIASES = {
    "indicator": "measure",
    "periode": "period",
    "gebied": "area",
    "groep": "group",
    "waarde": "value",
    "teller": "numerator",
    "noemer": "denominator",
    "aantal": "count",
    "blootstelling": "exposure",
    "bron": "source",
}
# Words in the headers of a municipality's own registrations ("Maand;Wijk;Aantal meldingen;
# Inwoners"), for suggest_columns. A header is matched on its whole words (lower case; "Wijkcode"
# is one word, "Doelgroep" is not "groep"). Where a header has words of several columns, the
# first row of this table wins: what a column *counts* ("Aantal inwoners", "Meldingen per wijk")
# before what it is *about* (period, area); the explicit teller/noemer before "aantal" and
# "inwoners" ("Noemer (aantal inwoners)"); the vague "totaal" after them ("Totaal aantal
# meldingen" is a count, "Totaal" alone a denominator). A suggestion is only a suggestion: the
# person checks it before the file is read.
SUGGESTION_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("numerator", frozenset({"teller", "numerator"})),
    ("denominator", frozenset({"noemer", "denominator"})),
    ("exposure", frozenset({"inwoners", "bevolking", "populatie", "blootstelling", "exposure"})),
    ("count", frozenset({"aantal", "meldingen", "count"})),
    ("denominator", frozenset({"totaal", "total"})),
    ("value", frozenset({"waarde", "gemiddelde", "score", "value"})),
    ("measure", frozenset({"indicator", "maat", "measure"})),
    (
        "period",
        frozenset({"datum", "maand", "periode", "jaar", "kwartaal", "date", "month", "period"}),
    ),
    ("area", frozenset({"wijk", "buurt", "gebied", "regio", "wijkcode", "buurtcode", "area"})),
    ("group", frozenset({"groep", "group"})),
    ("source", frozenset({"bron", "source"})),
)
GROUPS = {
    "": "pilot",
    "pilot": "pilot",
    "comparison": "comparison",
    "vergelijking": "comparison",
    "vergelijkingsgroep": "comparison",
}
MAX_ABS_VALUE = 1e12  # the message "too_large" names this limit
MAX_SOURCE_LENGTH = 500
# A cell is quoted in full in RowError.value, but only this many characters of it in the
# texts: a 1 MB cell must not make a 2 MB message line (the location and message both quote it).
MAX_SHOWN_VALUE = 80
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})(?: 0?0:00(?::00)?)?")
# Numbers. Decimal point: 12.5, -3, 1e5. Decimal comma: 12,5 and 1.234,5 (point groups
# thousands, only in groups of three). Used with Series.str.fullmatch (RE2 under pyarrow).
POINT_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
COMMA_NUMBER = r"[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?|[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?"
NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# UTF-8 read as Windows-1252 shows "Ã©" for "é", "â€™" for "’": such a file is damaged UTF-8,
# not Windows-1252 (where Â and Ã hardly occur in Dutch data).
MOJIBAKE = re.compile("[ÂÃ]|â€")

# ------------------------------------------------------------------------------------ messages
MESSAGES: dict[str, dict[str, str]] = {
    "import.kind.continuous": {"nl": "doorlopende waarde (value)", "en": "continuous (value)"},
    "import.kind.proportion": {
        "nl": "aandeel (numerator/denominator)",
        "en": "proportion (numerator/denominator)",
    },
    "import.kind.count": {"nl": "aantal (count/exposure)", "en": "count (count/exposure)"},
    "import.where.file": {"nl": "bestand {file}", "en": "file {file}"},
    "import.where.header": {
        "nl": "bestand {file}, rij 1 (kolomnamen), kolom '{column}'",
        "en": "file {file}, row 1 (column names), column '{column}'",
    },
    "import.where.row": {"nl": "bestand {file}, rij {row}", "en": "file {file}, row {row}"},
    "import.where.cell": {
        "nl": "bestand {file}, rij {row}, kolom '{column}', waarde '{value}'",
        "en": "file {file}, row {row}, column '{column}', value '{value}'",
    },
    # --- the file as a whole
    "import.file_not_found": {
        "nl": "het bestand bestaat niet of kan niet gelezen worden; controleer naam en map",
        "en": "the file does not exist or cannot be read; check its name and folder",
    },
    "import.unsupported_extension": {
        "nl": (
            "bestanden met de extensie '{value}' worden niet ondersteund; sla het bestand op "
            "als CSV (.csv of .txt) of als Excel-werkmap (.xlsx)"
        ),
        "en": (
            "files with the extension '{value}' are not supported; save the file as CSV "
            "(.csv or .txt) or as an Excel workbook (.xlsx)"
        ),
    },
    "import.file_too_large": {
        "nl": (
            "het bestand is {size} bytes; de grens is {limit} bytes. Splits het bestand of "
            "laat de beheerder TRACKER_IMPORT_MAX_BYTES verhogen"
        ),
        "en": (
            "the file is {size} bytes; the limit is {limit} bytes. Split the file or ask the "
            "administrator to raise TRACKER_IMPORT_MAX_BYTES"
        ),
    },
    "import.empty_file": {
        "nl": (
            "het bestand is leeg; zet op rij 1 de kolomnamen (period, value, …) en daaronder "
            "één meting per rij"
        ),
        "en": (
            "the file is empty; put the column names (period, value, …) in row 1 and one "
            "measurement per row below"
        ),
    },
    "import.no_header": {
        "nl": "rij 1 is leeg; zet de kolomnamen (period, value, …) op rij 1",
        "en": "row 1 is empty; put the column names (period, value, …) in row 1",
    },
    "import.no_rows": {
        "nl": "het bestand bevat alleen kolomnamen; zet vanaf rij 2 één meting per rij",
        "en": "the file contains only column names; put one measurement per row from row 2",
    },
    "import.encoding": {
        "nl": (
            "het bestand is geen leesbare tekst in UTF-8 ({detail}); sla het in Excel op als "
            "'CSV UTF-8 (door komma's gescheiden)' en probeer het opnieuw"
        ),
        "en": (
            "the file is not readable UTF-8 text ({detail}); save it from Excel as "
            "'CSV UTF-8 (comma delimited)' and try again"
        ),
    },
    "import.encoding_fallback": {
        "nl": (
            "het bestand is geen UTF-8 (eerste afwijkende teken op rij {row}) en is gelezen als "
            "Windows-1252; controleer letters met accenten, of sla op als 'CSV UTF-8'"
        ),
        "en": (
            "the file is not UTF-8 (first unexpected character in row {row}) and was read as "
            "Windows-1252; check accented letters, or save it as 'CSV UTF-8'"
        ),
    },
    "import.not_csv": {
        "nl": (
            "dit is een Excel-werkmap, geen CSV-tekst; geef het bestand de extensie .xlsx of "
            "sla het in Excel op als CSV"
        ),
        "en": (
            "this is an Excel workbook, not CSV text; give the file the extension .xlsx or "
            "save it from Excel as CSV"
        ),
    },
    "import.unreadable_xlsx": {
        "nl": (
            "het bestand kan niet als Excel-werkmap gelezen worden ({detail}); open het in "
            "Excel en sla het opnieuw op als .xlsx"
        ),
        "en": (
            "the file cannot be read as an Excel workbook ({detail}); open it in Excel and "
            "save it again as .xlsx"
        ),
    },
    "import.too_many_fields": {
        "nl": (
            "deze rij heeft {found} velden en rij 1 maar {expected}; controleer de "
            "scheidingstekens: bij een decimale komma (12,5) moet het scheidingsteken ';' zijn, "
            "en tekst met ; of , erin hoort tussen aanhalingstekens"
        ),
        "en": (
            "this row has {found} fields but row 1 only {expected}; check the separators: "
            "with a decimal comma (12,5) the separator must be ';', and text containing ; or , "
            "belongs between quotation marks"
        ),
    },
    "import.line_endings": {
        "nl": (
            "deze regel bevat een los CR-teken (regeleinde van een oude Mac, of een Enter in "
            "een cel); sla het bestand in Excel op als 'CSV UTF-8 (door komma's gescheiden)' "
            "en probeer het opnieuw"
        ),
        "en": (
            "this line contains a lone CR character (an old Mac line ending, or a line break "
            "inside a cell); save the file from Excel as 'CSV UTF-8 (comma delimited)' and try "
            "again"
        ),
    },
    "import.bad_csv": {
        "nl": (
            "deze regel kan niet gelezen worden ({detail}); controleer de scheidingstekens "
            "(; of ,) en de aanhalingstekens op deze regel"
        ),
        "en": (
            "this line cannot be read ({detail}); check the separators (; or ,) and the "
            "quotation marks on this line"
        ),
    },
    # --- the header
    # The file's own header names are in the text: through a column mapping the file need not
    # have a column called '{column}' at all.
    "import.duplicate_column": {
        "nl": (
            "de kolommen '{first}' en '{value}' worden allebei ingelezen als '{column}'; houd "
            "één van beide over (in het bestand, of in de gekozen koppeling van de kolommen)"
        ),
        "en": (
            "the columns '{first}' and '{value}' are both read as '{column}'; keep one of the "
            "two (in the file, or in the chosen column mapping)"
        ),
    },
    "import.mapped_column_missing": {
        "nl": (
            "de kolom '{value}' uit de gekozen koppeling van de kolommen staat niet op rij 1 van "
            "dit bestand; kies de koppeling van de kolommen opnieuw voor dit bestand"
        ),
        "en": (
            "the column '{value}' of the chosen column mapping is not in row 1 of this file; "
            "choose the column mapping again for this file"
        ),
    },
    "import.ignored_column": {
        "nl": "kolom '{value}' is onbekend en wordt niet ingelezen; bekende kolommen: {known}",
        "en": "column '{value}' is unknown and is not read; known columns: {known}",
    },
    "import.missing_column": {
        "nl": "de kolom '{column}' ontbreekt; voeg op rij 1 een kolom '{column}' toe",
        "en": "the column '{column}' is missing; add a column '{column}' in row 1",
    },
    "import.missing_measure_column": {
        "nl": (
            "de kolom 'measure' ontbreekt; voeg een kolom 'measure' met de indicatorcode toe, "
            "of geef de code voor het hele bestand op (--measure CODE)"
        ),
        "en": (
            "the column 'measure' is missing; add a column 'measure' with the measure code, "
            "or give the code for the whole file (--measure CODE)"
        ),
    },
    "import.missing_value_columns": {
        "nl": (
            "er is geen kolom met waarden; voeg 'value' toe, of 'numerator' en 'denominator', "
            "of 'count' en 'exposure' (wat de indicator vraagt)"
        ),
        "en": (
            "there is no column with values; add 'value', or 'numerator' and 'denominator', "
            "or 'count' and 'exposure' (whatever the measure needs)"
        ),
    },
    "import.missing_kind_column": {
        "nl": (
            "indicator '{measure}' is een {kind} en heeft de kolom '{column}' nodig; voeg die "
            "kolom toe op rij 1"
        ),
        "en": (
            "measure '{measure}' is {kind} and needs the column '{column}'; add that column "
            "in row 1"
        ),
    },
    # --- cells
    "import.missing_value": {
        "nl": "'{column}' is leeg; vul hier een waarde in of verwijder de rij",
        "en": "'{column}' is empty; fill in a value or delete the row",
    },
    "import.missing_kind_value": {
        "nl": (
            "'{column}' is leeg, maar indicator '{measure}' is een {kind} en heeft hier een "
            "waarde nodig; vul '{column}' in"
        ),
        "en": (
            "'{column}' is empty, but measure '{measure}' is {kind} and needs a value here; "
            "fill in '{column}'"
        ),
    },
    "import.not_for_kind": {
        "nl": (
            "indicator '{measure}' is een {kind} en gebruikt de kolom '{column}' niet; maak de "
            "cel leeg of kies de indicator waar deze waarde bij hoort"
        ),
        "en": (
            "measure '{measure}' is {kind} and does not use the column '{column}'; empty the "
            "cell or choose the measure this value belongs to"
        ),
    },
    "import.bad_date": {
        "nl": (
            "'{value}' is geen datum; schrijf de datum als jjjj-mm-dd (2021-03-01) of "
            "dd-mm-jjjj (01-03-2021)"
        ),
        "en": (
            "'{value}' is not a date; write the date as yyyy-mm-dd (2021-03-01) or "
            "dd-mm-yyyy (01-03-2021)"
        ),
    },
    "import.impossible_date": {
        "nl": "'{value}' bestaat niet in de kalender; controleer dag en maand",
        "en": "'{value}' does not exist in the calendar; check the day and the month",
    },
    "import.future_date": {
        "nl": (
            "{value} ligt in de toekomst (vandaag is {today}); een meting gaat over een "
            "periode die al begonnen is, controleer het jaartal"
        ),
        "en": (
            "{value} lies in the future (today is {today}); a measurement is about a period "
            "that has begun, check the year"
        ),
    },
    "import.outside_pilot_period": {
        "nl": (
            "{value} ligt buiten de looptijd van de pilot ({start} t/m {end}); controleer de "
            "datum, of pas eerst de looptijd van de pilot aan"
        ),
        "en": (
            "{value} lies outside the pilot's period ({start} to {end}); check the date, or "
            "change the pilot's period first"
        ),
    },
    "import.not_a_number": {
        "nl": "'{value}' is geen getal; schrijf alleen cijfers, zonder eenheid of tekst (12,5)",
        "en": "'{value}' is not a number; write digits only, without a unit or text (12.5)",
    },
    "import.wrong_decimal": {
        "nl": (
            "'{value}' gebruikt een ander decimaalteken dan de rest van het bestand ('{mark}'); "
            "schrijf alle getallen met hetzelfde decimaalteken en zonder duizendtallen-punten"
        ),
        "en": (
            "'{value}' uses a different decimal mark than the rest of the file ('{mark}'); "
            "write all numbers with the same decimal mark and without thousands separators"
        ),
    },
    "import.not_finite": {
        "nl": "'{value}' is geen eindig getal; vul een echte waarde in of maak de cel leeg",
        "en": "'{value}' is not a finite number; fill in a real value or empty the cell",
    },
    "import.too_large": {
        "nl": (
            "'{value}' is groter dan 1.000.000.000.000 (10^12); controleer of er cijfers te "
            "veel staan"
        ),
        "en": "'{value}' is larger than 1,000,000,000,000 (10^12); check for extra digits",
    },
    "import.negative": {
        "nl": "'{value}' is negatief; '{column}' moet 0 of meer zijn",
        "en": "'{value}' is negative; '{column}' must be 0 or more",
    },
    "import.not_integer": {
        "nl": "'{value}' is geen geheel getal; een aantal (count) is 0, 1, 2, …",
        "en": "'{value}' is not a whole number; a count is 0, 1, 2, …",
    },
    "import.not_positive": {
        "nl": "'{value}' moet groter dan 0 zijn; '{column}' is waardoor gedeeld wordt",
        "en": "'{value}' must be greater than 0; '{column}' is what is divided by",
    },
    "import.numerator_gt_denominator": {
        "nl": (
            "teller {value} is groter dan noemer {denominator}; een aandeel is hoogstens 100%, "
            "controleer of teller en noemer verwisseld zijn"
        ),
        "en": (
            "numerator {value} is larger than denominator {denominator}; a proportion is at "
            "most 100%, check whether numerator and denominator are swapped"
        ),
    },
    "import.unknown_group": {
        "nl": "'{value}' is geen groep; gebruik 'pilot' of 'vergelijking', of laat leeg (pilot)",
        "en": "'{value}' is not a group; use 'pilot' or 'comparison', or leave empty (pilot)",
    },
    "import.bad_area": {
        "nl": (
            "'{value}' is geen CBS-gebiedscode; gebruik GM####, WK###### of BU######## "
            "(bijvoorbeeld WK036301), of laat leeg"
        ),
        "en": (
            "'{value}' is not a CBS area code; use GM####, WK###### or BU######## "
            "(for example WK036301), or leave empty"
        ),
    },
    "import.bad_measure_code": {
        "nl": "'{value}' is geen indicatorcode (kleine letters, cijfers en _); controleer de code",
        "en": "'{value}' is not a measure code (lower-case letters, digits and _); check it",
    },
    "import.measure_mismatch": {
        "nl": (
            "de indicator in het bestand ('{value}') verschilt van --measure {expected}; "
            "corrigeer de code of laat --measure weg"
        ),
        "en": (
            "the measure in the file ('{value}') differs from --measure {expected}; correct "
            "the code or leave out --measure"
        ),
    },
    "import.unknown_measure": {
        "nl": (
            "indicator '{value}' staat niet in het codeboek; controleer de code of voeg de "
            "indicator eerst toe aan het codeboek"
        ),
        "en": (
            "measure '{value}' is not in the codebook; check the code or add the measure to "
            "the codebook first"
        ),
    },
    "import.text_too_long": {
        "nl": "de tekst is {length} tekens lang, de grens is {limit}; kort hem in",
        "en": "the text is {length} characters long, the limit is {limit}; shorten it",
    },
    "import.duplicate_row": {
        "nl": (
            "deze meting (indicator, periode, gebied, groep) staat ook op rij {first}; houd "
            "één van beide rijen over"
        ),
        "en": (
            "this measurement (measure, period, area, group) is also in row {first}; keep one "
            "of the two rows"
        ),
    },
    "import.already_stored": {
        "nl": (
            "deze meting (indicator {measure}, periode {period}, gebied '{area}', groep "
            "{group}) staat al in de database; verwijder de rij uit het bestand, of wijzig de "
            "opgeslagen meting in de app"
        ),
        "en": (
            "this measurement (measure {measure}, period {period}, area '{area}', group "
            "{group}) is already in the database; delete the row from the file, or change the "
            "stored measurement in the app"
        ),
    },
}

# Registering the very same texts again (a module reload) is harmless; a clash is not.
i18n.register({k: v for k, v in MESSAGES.items() if i18n.MESSAGES.get(k) != v})


@dataclass(frozen=True)
class RowError:
    """One problem in an import file, where a person finds it, with what to do about it.

    ``row`` is the spreadsheet row (header = 1, first data row = 2; 0 = the whole file),
    ``column`` the tidy column name ('' when the problem is not in one column), ``value`` the
    cell's text as written. The texts are made from the catalogue (key ``import.<code>``) when
    asked for, so that a file with a million wrong cells stays cheap to report.
    """

    row: int
    column: str
    value: str
    code: str
    file: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    def _fill(self, key: str, lang: str) -> str:
        params = dict(self.params)
        if "kind" in params:
            params["kind"] = i18n.t(f"import.kind.{params['kind']}", lang)
        value = self.value
        if len(value) > MAX_SHOWN_VALUE:
            value = f"{value[: MAX_SHOWN_VALUE - 1]}…"
        return i18n.t(
            key,
            lang,
            row=self.row,
            column=self.column,
            value=value,
            file=self.file,
            **params,
        )

    def message(self, lang: str = "nl") -> str:
        """What is wrong and what to do, in ``lang`` (nl or en)."""
        return self._fill(f"import.{self.code}", lang)

    @property
    def message_nl(self) -> str:
        return self.message("nl")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def location(self, lang: str = "nl") -> str:
        if self.row == 0:
            return self._fill("import.where.file", lang)
        if self.row == 1 and self.column:
            return self._fill("import.where.header", lang)
        if not self.column:
            return self._fill("import.where.row", lang)
        return self._fill("import.where.cell", lang)

    def describe(self, lang: str = "nl") -> str:
        """One line with file, row, column, value, the problem and what to do."""
        return f"{self.location(lang)}: {self.message(lang)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message_nl": self.message_nl,
            "message_en": self.message_en,
        }


def make_error(
    code: str, *, row: int, column: str = "", value: Any = "", file: str = "", **params: Any
) -> RowError:
    """A RowError with message parameters (besides row/column/value/file) for its text."""
    return RowError(
        row=int(row),
        column=column,
        value="" if value is None else str(value),
        code=code,
        file=file,
        params=tuple(sorted(params.items())),
    )


def sort_errors(errors: list[RowError]) -> list[RowError]:
    """By row, then in the column order of the tidy shape."""
    order = {name: i for i, name in enumerate(COLUMNS)}
    return sorted(errors, key=lambda e: (e.row, order.get(e.column, -1)))


@dataclass(frozen=True)
class ParsedMeasurements:
    """A file read into the tidy shape, with every problem found on the way.

    ``frame`` has one row per data row of the file (blank rows left out) and the columns
    ``row`` (spreadsheet row number), ``measure``, ``period`` (datetime64, NaT when wrong),
    ``area``, ``group`` (categoricals), ``value``, ``numerator``, ``denominator``, ``count``,
    ``exposure`` (float64, NaN when empty or wrong) and ``source`` (categorical, '' when empty).
    Cells named in ``errors`` hold NaN/NaT or the text as written. ``warnings`` do not stop an
    import (an unknown column that is skipped, a Windows-1252 file).
    """

    frame: pd.DataFrame
    errors: list[RowError]
    warnings: list[RowError] = field(default_factory=list)
    file_name: str = ""
    file_sha256: str = ""
    value_columns: tuple[str, ...] = ()
    encoding: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_read(self) -> int:
        return len(self.frame)

    @property
    def measure_codes(self) -> list[str]:
        if self.frame.empty:
            return []
        return sorted(str(c) for c in self.frame["measure"].dropna().unique())

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "sha256": self.file_sha256,
            "rows": self.rows_read,
            "encoding": self.encoding,
            "value_columns": list(self.value_columns),
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            return f"{self.file_name}: {self.rows_read} rows, {len(self.errors)} errors"
        return f"{self.file_name}: {self.rows_read} rijen, {len(self.errors)} fouten"


def empty_frame() -> pd.DataFrame:
    """The tidy frame with no rows (its columns and dtypes as ``ParsedMeasurements.frame``)."""
    cat = pd.Categorical([], categories=pd.Index([], dtype="str"))
    return pd.DataFrame(
        {
            "row": np.array([], dtype="int64"),
            "measure": cat,
            "period": np.array([], dtype="datetime64[s]"),
            "area": cat,
            "group": cat,
            **{c: np.array([], dtype="float64") for c in VALUE_COLUMNS},
            "source": cat,
        }
    )


def _failed(file_name: str, sha: str, errors: list[RowError], **kw: Any) -> ParsedMeasurements:
    return ParsedMeasurements(
        frame=empty_frame(), errors=errors, file_name=file_name, file_sha256=sha, **kw
    )


# ------------------------------------------------------------------------------------ entry points
def read_file_bytes(path: Path, *, max_bytes: int | None = None) -> tuple[bytes, RowError | None]:
    """A file's bytes, or the error that says why they cannot be read: larger than
    ``max_bytes`` (refused unread) or not there."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            error = make_error("file_too_large", row=0, file=path.name, size=size, limit=max_bytes)
            return b"", error
        return path.read_bytes(), None
    except OSError:
        return b"", make_error("file_not_found", row=0, value=str(path), file=path.name)


def read_measurement_file(
    path: Path | str,
    *,
    measure_code: str | None = None,
    max_bytes: int | None = None,
    today: dt.date | None = None,
    columns: Mapping[str, str] | None = None,
) -> ParsedMeasurements:
    """Read a CSV or XLSX measurement file; a file over ``max_bytes`` is refused unread.

    ``columns``: see ``parse_measurement_bytes``.
    """
    _column_mapping(columns)  # a wrong mapping is the caller's mistake, whatever the file
    path = Path(path)
    name = path.name
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        return _failed(name, "", [_unsupported(path.suffix, name)])
    data, unreadable = read_file_bytes(path, max_bytes=max_bytes)
    if unreadable is not None:
        return _failed(name, "", [unreadable])
    return parse_measurement_bytes(
        data, file_name=name, measure_code=measure_code, today=today, columns=columns
    )


def parse_measurement_bytes(
    data: bytes,
    *,
    file_name: str,
    measure_code: str | None = None,
    max_bytes: int | None = None,
    today: dt.date | None = None,
    columns: Mapping[str, str] | None = None,
) -> ParsedMeasurements:
    """Parse the bytes of an uploaded file; ``file_name``'s extension chooses CSV or XLSX.

    ``columns`` maps headers of the file (as ``read_header`` shows them; compared without
    surrounding whitespace, quotes and BOM, ignoring case) to a tidy column, or to ``""`` to
    skip that column without a warning: the step where a person has said which of their own
    columns ("Maand", "Aantal meldingen") is which. Headers it does not name are read as without
    a mapping. Two columns read as one tidy column are a ``duplicate_column`` error; a header it
    names that the file lacks is a ``mapped_column_missing`` error (the mapping was made for
    another file). A target that is no tidy column raises ValueError: that is a program's error.
    """
    mapping = _column_mapping(columns)
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        return _failed(file_name, "", [_unsupported(suffix, file_name)])
    if max_bytes is not None and len(data) > max_bytes:
        error = make_error("file_too_large", row=0, file=file_name, size=len(data), limit=max_bytes)
        return _failed(file_name, "", [error])
    sha = hashlib.sha256(data).hexdigest()
    reader = _read_xlsx if suffix == ".xlsx" else _read_csv
    raw = reader(data, file_name, mapping)
    if raw.errors:
        return _failed(file_name, sha, raw.errors, warnings=raw.warnings, encoding=raw.encoding)
    code = measure_code.strip().lower() if measure_code else None
    return _validate(raw, file_name=file_name, sha=sha, measure_code=code, today=today)


def _unsupported(suffix: str, file_name: str) -> RowError:
    return make_error("unsupported_extension", row=0, value=suffix or "(—)", file=file_name)


# ------------------------------------------------------------------------------------ raw tables
@dataclass
class _Raw:
    """Cells as text: categoricals for TEXT_COLUMNS, str for VALUE_COLUMNS; one row per line."""

    frame: pd.DataFrame | None
    errors: list[RowError]
    warnings: list[RowError]
    decimal: str = "."  # ".", "," or "auto" (per cell: XLSX text cells)
    encoding: str = ""


def _header_key(name: str) -> str:
    """A header as compared: without BOM, surrounding whitespace and quotes, in lower case."""
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


def _canonical_header(name: str) -> str:
    name = _header_key(name)
    return ALIASES.get(name, name)


# A column mapping as the readers use it: header key -> (the header as the caller wrote it,
# tidy column or "" to skip).
_Mapping = dict[str, tuple[str, str]]


def _column_mapping(columns: Mapping[str, str] | None) -> _Mapping:
    """``columns`` keyed by ``_header_key``; ValueError for a target that is no tidy column.

    A header without a name cannot be chosen by its name: mapping it to ``""`` is what happens
    anyway and is dropped, mapping it to a column is a ValueError (a mapping screen offers
    only named columns). Two spellings of one header with different targets are a ValueError
    as well: which one was meant cannot be told.
    """
    mapping: _Mapping = {}
    for header, target in (columns or {}).items():
        if target != "" and target not in COLUMNS:
            raise ValueError(
                f"column mapping {header!r} -> {target!r}: the target must be one of "
                f"{', '.join(COLUMNS)}, or '' to skip the column"
            )
        key = _header_key(header)
        if not key:
            if target:
                raise ValueError(f"column mapping {header!r} -> {target!r}: the header is empty")
            continue
        if key in mapping and mapping[key][1] != target:
            raise ValueError(
                f"column mapping: {mapping[key][0]!r} and {header!r} are the same header with "
                f"different targets ({mapping[key][1]!r}, {target!r})"
            )
        mapping.setdefault(key, (header, target))
    return mapping


def _map_header(
    names: list[str], file_name: str, mapping: _Mapping | None = None
) -> tuple[list[tuple[int, str]], list[RowError], list[RowError]]:
    """(position, tidy name) of the known columns, header errors, warnings for skipped ones.

    ``mapping`` (see ``parse_measurement_bytes``) decides for the headers it names; the others
    are known by their tidy or Dutch name, or skipped with a warning.
    """
    mapping = mapping or {}
    known: list[tuple[int, str]] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    first: dict[str, str] = {}  # tidy name -> the header (as written) first read as it
    mapped: set[str] = set()
    for position, raw in enumerate(names):
        key = _header_key(raw)
        if key in mapping:
            mapped.add(key)
            name = mapping[key][1]
        else:
            name = ALIASES.get(key, key)
        if not name:
            continue
        if name not in COLUMNS:
            warnings.append(
                make_error(
                    "ignored_column",
                    row=1,
                    value=raw.strip(),
                    file=file_name,
                    known=", ".join(COLUMNS),
                )
            )
            continue
        if name in first:
            errors.append(
                make_error(
                    "duplicate_column",
                    row=1,
                    column=name,
                    value=raw.strip(),
                    file=file_name,
                    first=first[name],
                )
            )
            continue
        first[name] = raw.strip()
        known.append((position, name))
    for key, (header, _) in mapping.items():
        if key not in mapped:
            errors.append(make_error("mapped_column_missing", row=1, value=header, file=file_name))
    return known, errors, warnings


_BOM = b"\xef\xbb\xbf"
_NON_BLANK = re.compile(rb"\S")
_CHUNK_BYTES = 1 << 20


def _row_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _encoding(data: bytes, file_name: str) -> tuple[str, list[RowError], list[RowError]]:
    return detect_encoding(data, file_name)


def detect_encoding(
    data: bytes, file_name: str, *, prefix: str = ""
) -> tuple[str, list[RowError], list[RowError]]:
    """("utf-8" or "cp1252", errors, warnings). UTF-8 (BOM or not); Windows-1252 with a warning.

    The file is checked a chunk at a time, so a large file is not copied into a second string.
    ``prefix`` puts the codes (``encoding``, ``not_csv``, ``encoding_fallback``) under another
    reader's messages (``statline_``).
    """

    def bad(detail: str, row: int = 0) -> tuple[str, list[RowError], list[RowError]]:
        return "", [make_error(f"{prefix}encoding", row=row, file=file_name, detail=detail)], []

    if data.startswith(b"PK\x03\x04"):
        return "", [make_error(f"{prefix}not_csv", row=0, file=file_name)], []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return bad("UTF-16")
    nul = data.find(b"\x00")
    if nul >= 0:
        # UTF-16 without a BOM has a NUL in nearly every other byte: the whole file is wrong.
        # A stray NUL (a damaged export) is in one row, which the person needs to find.
        head = data[:64]
        if head.count(b"\x00") * 4 >= len(head):
            return bad("NUL")
        return bad("NUL", _row_of(data, nul))
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK_BYTES):
            pending = len(decoder.getstate()[0])
            decoder.decode(data[start : start + _CHUNK_BYTES], final=False)
        decoder.decode(b"", final=True)
        return "utf-8", [], []
    except UnicodeDecodeError as exc:
        first_bad_row = _row_of(data, max(0, start - pending + exc.start))
    if data.startswith(_BOM):  # declared UTF-8, yet it is not: damaged
        return bad("UTF-8?", first_bad_row)
    for start in range(0, len(data), _CHUNK_BYTES):
        try:
            text = data[start : start + _CHUNK_BYTES].decode("cp1252")
        except UnicodeDecodeError as exc:
            position = start + exc.start
            return bad(f"byte 0x{data[position]:02X}", _row_of(data, position))
        if MOJIBAKE.search(text):
            return bad("UTF-8?", first_bad_row)
    fallback = make_error(f"{prefix}encoding_fallback", row=first_bad_row, file=file_name)
    return "cp1252", [], [fallback]


def _known_header(name: str) -> bool:
    return _canonical_header(name) in COLUMNS


def _sniff_separator(
    header: str, recognised: Callable[[str], bool] = _known_header, *, most_fields: bool = False
) -> tuple[str, list[str]]:
    """The separator that makes the most recognised column names of the header line.

    Recognised are the tidy and Dutch names; with a column mapping also the headers it names,
    so that the file is split as it was when the mapping was chosen (``read_header`` counts
    the headers ``suggest_columns`` knows a column for). A tie goes to ';', then ',', then tab;
    with ``most_fields`` first to the separator giving more fields, so that a header of names
    nobody knows ("A,B,C") still shows its columns to choose from.
    """
    best: tuple[int, int, int, str, list[str]] | None = None
    for rank, sep in enumerate((";", ",", "\t")):
        fields = next(csv.reader([header], delimiter=sep))
        score = sum(recognised(f) for f in fields)
        candidate = (score, len(fields) if most_fields else 0, -rank, sep, fields)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    assert best is not None
    return best[3], best[4]


def _read_csv(data: bytes, file_name: str, mapping: _Mapping | None = None) -> _Raw:
    if not _NON_BLANK.search(data, len(_BOM) if data.startswith(_BOM) else 0):
        return _Raw(None, [make_error("empty_file", row=0, file=file_name)], [])
    encoding, errors, warnings = _encoding(data, file_name)
    if errors:
        return _Raw(None, errors, warnings)
    text_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    newline = data.find(b"\n")
    end = len(data) if newline < 0 else newline
    header = data[:end].decode(text_encoding).rstrip("\r")
    has_rows = newline >= 0 and _NON_BLANK.search(data, newline + 1) is not None
    # The first 64 kB after the header, to guess the decimal mark (a cut-off last character
    # does not matter).
    sample = data[end + 1 : end + 1 + 65536].decode(text_encoding, errors="ignore")
    if not header.strip():
        return _Raw(None, [make_error("no_header", row=1, file=file_name)], warnings, ".", encoding)
    chosen = mapping or {}

    def recognised(name: str) -> bool:
        return _header_key(name) in chosen or _known_header(name)

    try:
        sep, names = _sniff_separator(header, recognised)
    except csv.Error as exc:
        return _Raw(None, [_csv_module_error(exc, 1, file_name)], warnings, ".", encoding)
    known, header_errors, header_warnings = _map_header(names, file_name, mapping)
    warnings += header_warnings
    if header_errors:
        return _Raw(None, header_errors, warnings, ".", encoding)
    if not has_rows:
        return _Raw(None, [make_error("no_rows", row=2, file=file_name)], warnings, ".", encoding)
    # pandas would take extra fields on the first data row for an index (shifting every
    # column); on later rows its own parser error names the line.
    first_line = sample.split("\n", 1)[0].rstrip("\r")
    try:
        width = len(next(csv.reader([first_line], delimiter=sep))) if first_line.strip() else 0
    except csv.Error as exc:
        return _Raw(None, [_csv_module_error(exc, 2, file_name)], warnings, ".", encoding)
    if width > len(names):
        error = make_error(
            "too_many_fields", row=2, file=file_name, expected=len(names), found=width
        )
        return _Raw(None, [error], warnings, ".", encoding)
    # Every column is read (not only the known ones) so that a line with too many fields is an
    # error: "2021-03-01,12,5" in a comma-separated file must not silently become 12.
    read_names = [f"_{i}" for i in range(len(names))]
    for position, name in known:
        read_names[position] = name

    def read(numbers: str, decimal: str) -> pd.DataFrame:
        dtypes = {
            name: (
                "category" if name in TEXT_COLUMNS else numbers if name in VALUE_COLUMNS else "str"
            )
            for name in read_names
        }
        return pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            header=None,
            skiprows=1,
            names=read_names,
            dtype=dtypes,
            na_filter=False,
            skip_blank_lines=False,
            decimal=decimal,
            encoding=text_encoding,
            engine="c",
            index_col=False,
        )[[name for _, name in known]]

    # Fast path: pandas' C parser reads the numbers (strictly: text, empty cells and a wrong
    # decimal mark fail). Anything unusual is read again as text and judged cell by cell.
    guess = "," if sep != "," and re.search(r"\d,\d", sample) else "."
    try:
        try:
            frame = read("float64", guess)
            if all(_plain_numbers(frame[c]) for c in VALUE_COLUMNS if c in frame):
                return _Raw(frame, [], warnings, guess, encoding)
        except pd.errors.ParserError:
            raise
        except ValueError:
            pass
        frame = read("str", ".")
    except (pd.errors.ParserError, ValueError) as exc:
        return _Raw(None, [_parser_error(exc, file_name)], warnings)
    decimal = "."
    if sep != ",":
        # With ';' (or tab) a file may use the Dutch decimal comma. One mark per file: a comma
        # anywhere makes it a comma file, where a point only groups thousands (1.234,5).
        for name in VALUE_COLUMNS:
            if name in frame and frame[name].str.contains(",", regex=False).any():
                decimal = ","
                break
    return _Raw(frame, [], warnings, decimal, encoding)


def _csv_module_error(exc: csv.Error, row: int, file_name: str) -> RowError:
    """The csv module's error on the header or first data line, as a located RowError.

    It raises on a lone CR outside quotes (old Mac line ends make the whole file one line) and
    on a field over its 128 kB limit; uncaught, either escaped as a raw exception.
    """
    if "new-line character" in str(exc):
        return make_error("line_endings", row=row, file=file_name)
    return make_error("bad_csv", row=row, file=file_name, detail=str(exc))


def _parser_error(exc: Exception, file_name: str) -> RowError:
    detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if fields:
        expected, row, found = (int(g) for g in fields.groups())
        return make_error(
            "too_many_fields", row=row, file=file_name, expected=expected, found=found
        )
    # "line N" counts lines from 1 (the header is line 1); "row N" counts data rows from 0.
    line = re.search(r"line (\d+)", detail)
    data_row = re.search(r"row (\d+)", detail)
    row = int(line.group(1)) if line else int(data_row.group(1)) + 1 if data_row else 0
    return make_error("bad_csv", row=row, file=file_name, detail=detail)


def _plain_numbers(column: pd.Series) -> bool:
    values = column.to_numpy()
    with np.errstate(invalid="ignore"):
        return bool((np.abs(values) <= MAX_ABS_VALUE).all())


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text the CSV path would see."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _open_workbook(data: bytes, file_name: str) -> tuple[Any, list[RowError]]:
    """(read-only workbook, []) or (None, [unreadable_xlsx]); the caller closes the workbook."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True), []
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        detail = type(exc).__name__
        return None, [make_error("unreadable_xlsx", row=0, file=file_name, detail=detail)]


def _read_xlsx(data: bytes, file_name: str, mapping: _Mapping | None = None) -> _Raw:
    workbook, errors = _open_workbook(data, file_name)
    if errors:
        return _Raw(None, errors, [])
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(min_row=1, values_only=True)
        header = next(rows, None)
        if header is None:
            return _Raw(None, [make_error("empty_file", row=0, file=file_name)], [])
        names = [_cell_text(c) for c in header]
        if not any(n.strip() for n in names):
            return _Raw(None, [make_error("no_header", row=1, file=file_name)], [])
        known, errors, warnings = _map_header(names, file_name, mapping)
        if errors:
            return _Raw(None, errors, warnings)
        columns: dict[str, list[str]] = {name: [] for _, name in known}
        for cells in rows:
            width = len(cells)
            for position, name in known:
                columns[name].append(_cell_text(cells[position]) if position < width else "")
    finally:
        workbook.close()
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype="category" if name in TEXT_COLUMNS else "str")
            for name, values in columns.items()
        }
    )
    return _Raw(frame, [], warnings, "auto", "xlsx")


# -------------------------------------------------------------------------------- column mapping
@dataclass(frozen=True)
class HeaderPreview:
    """What a column-mapping screen shows of a file before it is read with a mapping.

    ``names`` is row 1 as written (stripped), in file order; unnamed columns at the end are left
    out. ``suggested`` holds every name (once) with the tidy column ``suggest_columns`` proposes
    for it, or ``""`` (skip). ``rows`` are the first data rows as text, blank rows left out, each
    cut or padded to the width of ``names``. ``errors`` are the problems that leave nothing to
    map (an empty file, a damaged workbook, …), with the codes the parser uses for them.
    """

    file_name: str
    names: list[str]
    suggested: dict[str, str]
    rows: list[list[str]]
    errors: list[RowError]


def _word_columns(name: str) -> list[str]:
    """The columns of SUGGESTION_WORDS whose words ``name`` contains, in the table's order."""
    words = set(re.findall(r"[^\W_]+", _header_key(name)))
    return [column for column, table in SUGGESTION_WORDS if words & table]


def _suggestible(name: str) -> bool:
    return _known_header(name) or bool(_word_columns(name))


def suggest_columns(names: Sequence[str]) -> dict[str, str]:
    """For each header in ``names``: the tidy column it probably is, or ``""`` (skip it).

    First the tidy names and their Dutch aliases (``ALIASES``; case, spaces and quotes do not
    matter), then the words of ``SUGGESTION_WORDS``: a header is offered the first column of
    that table whose words it contains. Each tidy column is suggested once: the first header in
    file order that is offered it gets it, later ones get ``""``. So "Maand;Wijk;Aantal
    meldingen;Inwoners" becomes period, area, count, exposure. Headers that differ only in
    case, spaces or quotes are one header to a mapping and get the same suggestion (two such
    columns are then a ``duplicate_column`` error, as without a mapping).
    """
    chosen: dict[str, str] = {}  # _header_key -> column or ""
    taken: set[str] = set()
    for name in names:
        key = _header_key(name)
        column = ALIASES.get(key, key)
        if key not in chosen and column in COLUMNS and column not in taken:
            chosen[key] = column
            taken.add(column)
    for name in names:
        key = _header_key(name)
        if key in chosen:
            continue
        offered = _word_columns(name)
        chosen[key] = offered[0] if offered and offered[0] not in taken else ""
        if chosen[key]:
            taken.add(chosen[key])
    return {name: chosen[_header_key(name)] for name in names}


def read_header(data: bytes, *, file_name: str, max_rows: int = 5) -> HeaderPreview:
    """Row 1 of a CSV or XLSX file, a suggested column mapping and the first ``max_rows`` rows.

    Nothing is validated beyond what is needed to show the file: the parse with the chosen
    mapping (``parse_measurement_bytes(..., columns=preview.suggested)``) judges the cells. A
    CSV file is decoded as the parser decodes it (the whole file decides UTF-8 or
    Windows-1252) and split by the same separator sniffing, counting the headers
    ``suggest_columns`` knows; the parser given the mapping counts the mapping's headers, so
    both split the header line alike. An XLSX file is read from its first sheet.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        return HeaderPreview(file_name, [], {}, [], [_unsupported(suffix, file_name)])
    reader = _preview_xlsx if suffix == ".xlsx" else _preview_csv
    names, rows, errors = reader(data, file_name, max_rows)
    while names and not names[-1]:
        names.pop()
    width = len(names)
    rows = [(row + [""] * width)[:width] for row in rows]
    return HeaderPreview(file_name, names, suggest_columns(names), rows, errors)


_Preview = tuple[list[str], list[list[str]], list[RowError]]  # names, rows, errors


def _preview_csv(data: bytes, file_name: str, max_rows: int) -> _Preview:
    if not _NON_BLANK.search(data, len(_BOM) if data.startswith(_BOM) else 0):
        return [], [], [make_error("empty_file", row=0, file=file_name)]
    encoding, errors, _ = _encoding(data, file_name)
    if errors:
        return [], [], errors
    text_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    newline = data.find(b"\n")
    header = data[: len(data) if newline < 0 else newline].decode(text_encoding).rstrip("\r")
    if not header.strip():
        return [], [], [make_error("no_header", row=1, file=file_name)]
    try:
        sep, fields = _sniff_separator(header, _suggestible, most_fields=True)
    except csv.Error as exc:
        return [], [], [_csv_module_error(exc, 1, file_name)]
    names = [f.strip() for f in fields]
    rows: list[list[str]] = []
    if newline < 0 or max_rows <= 0:
        return names, rows, _no_rows(newline < 0, file_name)
    buffer = io.BytesIO(data)  # shares the bytes; only the rows shown are decoded
    buffer.seek(newline + 1)
    reader = csv.reader(io.TextIOWrapper(buffer, encoding=encoding, newline=""), delimiter=sep)
    try:
        for record in reader:
            cells = [cell.strip() for cell in record]
            if any(cells):
                rows.append(cells)
                if len(rows) == max_rows:
                    break
    except csv.Error as exc:
        return names, rows, [_csv_module_error(exc, reader.line_num + 1, file_name)]
    return names, rows, _no_rows(not rows, file_name)


def _preview_xlsx(data: bytes, file_name: str, max_rows: int) -> _Preview:
    workbook, errors = _open_workbook(data, file_name)
    if errors:
        return [], [], errors
    rows: list[list[str]] = []
    try:
        cells = workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        header = next(cells, None)
        if header is None:
            return [], [], [make_error("empty_file", row=0, file=file_name)]
        names = [_cell_text(c).strip() for c in header]
        if not any(names):
            return [], [], [make_error("no_header", row=1, file=file_name)]
        for row in cells if max_rows > 0 else ():
            texts = [_cell_text(c).strip() for c in row[: len(names)]]
            if any(texts):
                rows.append(texts)
                if len(rows) == max_rows:
                    break
    finally:
        workbook.close()
    return names, rows, _no_rows(max_rows > 0 and not rows, file_name)


def _no_rows(empty: bool, file_name: str) -> list[RowError]:
    return [make_error("no_rows", row=2, file=file_name)] if empty else []


# ------------------------------------------------------------------------------------ validation
_Judgement = tuple[Any, str | None, dict[str, Any]]  # (canonical value, error code, params)


@dataclass
class _Column:
    """A text column judged per distinct text: codes into ``values`` plus a bad-row mask."""

    codes: np.ndarray
    values: list[Any]
    texts: list[str]
    judgements: list[_Judgement]
    bad: np.ndarray

    def errors(self, rows: np.ndarray, column: str, file_name: str) -> list[RowError]:
        found = []
        for i in np.flatnonzero(self.bad):
            k = self.codes[i]
            _, code, params = self.judgements[k]
            found.append(
                make_error(
                    code or "",
                    row=rows[i],
                    column=column,
                    value=self.texts[k],
                    file=file_name,
                    **params,
                )
            )
        return found

    def categorical(self) -> pd.Categorical:
        """Canonical values as a categorical (wrong cells become missing)."""
        canon = pd.Series(self.values, dtype=object)
        inverse, uniques = pd.factorize(canon, use_na_sentinel=True)
        codes = inverse[self.codes] if len(self.codes) else np.array([], dtype="int64")
        categories = pd.Index([str(u) for u in uniques], dtype="str")
        return pd.Categorical.from_codes(codes, categories=categories)


def _judge_text(series: pd.Series, judge: Callable[[str], _Judgement]) -> _Column:
    categorical = series.array if isinstance(series.dtype, pd.CategoricalDtype) else None
    if categorical is None:
        categorical = pd.Categorical(series)
    texts = [str(c).strip() for c in categorical.categories]
    codes = np.asarray(categorical.codes)
    judgements = [judge(text) for text in texts]
    bad_category = np.array([j[1] is not None for j in judgements], dtype=bool)
    values = [None if j[1] is not None else j[0] for j in judgements]
    bad = bad_category[codes] if len(texts) else np.zeros(len(codes), dtype=bool)
    return _Column(codes, values, texts, judgements, bad)


def _judge_measure(measure_code: str | None) -> Callable[[str], _Judgement]:
    def judge(text: str) -> _Judgement:
        code = text.lower()
        if not code:
            return (measure_code, None, {}) if measure_code else (None, "missing_value", {})
        if measure_code and code != measure_code:
            return None, "measure_mismatch", {"expected": measure_code}
        if not MEASURE_CODE.fullmatch(code):
            return None, "bad_measure_code", {}
        return code, None, {}

    return judge


def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """(date, None) for 2021-03-01 or 01-03-2021 (also 1-3-2021); (None, error code) else."""
    if not text:
        return None, "missing_value"
    iso = ISO_DATE.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        dutch = DUTCH_DATE.fullmatch(text)
        if not dutch:
            return None, "bad_date"
        day, month, year = (int(g) for g in dutch.groups())
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, "impossible_date"


def _judge_period(today: dt.date) -> Callable[[str], _Judgement]:
    def judge(text: str) -> _Judgement:
        date, code = parse_date(text)
        if code:
            return None, code, {}
        assert date is not None
        if date > today:
            return None, "future_date", {"today": today.isoformat()}
        return date, None, {}

    return judge


def _judge_area(text: str) -> _Judgement:
    code = text.upper()
    if code and not AREA_CODE.fullmatch(code):
        return None, "bad_area", {}
    return code, None, {}


def _judge_group(text: str) -> _Judgement:
    group = GROUPS.get(text.lower())
    return (group, None, {}) if group else (None, "unknown_group", {})


def _judge_source(text: str) -> _Judgement:
    if len(text) > MAX_SOURCE_LENGTH:
        return None, "text_too_long", {"length": len(text), "limit": MAX_SOURCE_LENGTH}
    return text, None, {}


@dataclass
class _Numbers:
    values: np.ndarray  # float64, NaN when empty or wrong
    texts: pd.Series | None  # the cells as written (stripped); None when read as numbers
    empty: np.ndarray
    bad: np.ndarray
    decimal: str = "."

    def text(self, i: int) -> str:
        """Cell ``i`` as written, or as the number read, with the file's decimal mark."""
        if self.texts is not None:
            return str(self.texts.iat[i])
        text = f"{self.values[i]:.15g}"
        return text.replace(".", ",") if self.decimal == "," else text


def _parse_numbers(series: pd.Series, decimal: str) -> tuple[_Numbers, list[tuple[int, str]]]:
    """Numbers of one column; also (index, error code) of the cells that are not numbers."""
    if series.dtype.kind == "f":  # read by the C parser, already checked (see _read_csv)
        values = np.array(series, dtype="float64")
        nothing = np.zeros(len(values), dtype=bool)
        return _Numbers(values, None, nothing, nothing.copy(), decimal), []
    texts = series.astype("str").str.strip()
    empty = texts.eq("").to_numpy(dtype=bool)
    comma_cells = None
    if decimal == ".":
        ok, clean = texts.str.fullmatch(POINT_NUMBER), texts
    else:
        as_comma = texts.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        if decimal == ",":
            ok, clean = texts.str.fullmatch(COMMA_NUMBER), as_comma
        else:  # auto: a cell with a comma uses the decimal comma (XLSX text cells)
            comma_cells = texts.str.contains(",", regex=False)
            ok = texts.str.fullmatch(POINT_NUMBER).where(
                ~comma_cells, texts.str.fullmatch(COMMA_NUMBER)
            )
            clean = texts.where(~comma_cells, as_comma)
    ok = ok.fillna(False).to_numpy(dtype=bool) & ~empty
    if ok.all():
        values = np.array(clean.astype("float64"), dtype="float64")
    else:
        values = np.full(len(texts), np.nan)
        if ok.any():
            values[ok] = clean[ok].astype("float64").to_numpy()
    problems: list[tuple[int, str]] = []
    wrong = np.flatnonzero(~ok & ~empty)
    if len(wrong):
        mark = {".": ",", ",": "."}.get(decimal)
        for i, text in zip(wrong, texts.iloc[wrong].tolist(), strict=True):
            if text.lower() in NOT_FINITE:
                problems.append((i, "not_finite"))
            elif mark and mark in text and any(ch.isdigit() for ch in text):
                problems.append((i, "wrong_decimal"))
            else:
                problems.append((i, "not_a_number"))
    with np.errstate(invalid="ignore"):
        huge = np.flatnonzero(ok & ~(np.abs(values) <= MAX_ABS_VALUE))
    problems += [(i, "too_large") for i in huge]
    bad = np.zeros(len(texts), dtype=bool)
    for i, _ in problems:
        bad[i] = True
    values[bad] = np.nan
    return _Numbers(values, texts, empty, bad, decimal), problems


def _range_problems(numbers: dict[str, _Numbers]) -> list[tuple[str, np.ndarray, str, dict]]:
    """Kind-independent limits: counts are whole and ≥ 0, what is divided by is > 0, …"""
    found: list[tuple[str, np.ndarray, str, dict]] = []

    def flag(column: str, mask: np.ndarray, code: str, **params: Any) -> None:
        mask = mask & ~numbers[column].bad
        if mask.any():
            numbers[column].bad |= mask
            found.append((column, mask, code, params))

    with np.errstate(invalid="ignore"):
        if "count" in numbers:
            v = numbers["count"].values
            flag("count", v < 0, "negative")
            flag("count", ~np.isnan(v) & (v != np.floor(v)), "not_integer")
        for column in ("denominator", "exposure"):
            if column in numbers:
                flag(column, numbers[column].values <= 0, "not_positive")
        if "numerator" in numbers:
            v = numbers["numerator"].values
            flag("numerator", v < 0, "negative")
            if "denominator" in numbers:
                den = numbers["denominator"]
                flag("numerator", (v > den.values) & ~den.bad, "numerator_gt_denominator")
    return found


def _validate(
    raw: _Raw,
    *,
    file_name: str,
    sha: str,
    measure_code: str | None,
    today: dt.date | None,
) -> ParsedMeasurements:
    assert raw.frame is not None
    table = raw.frame
    today = today or dt.date.today()
    present = set(table.columns)
    value_columns = tuple(c for c in VALUE_COLUMNS if c in present)
    errors: list[RowError] = []
    if "period" not in present:
        errors.append(make_error("missing_column", row=1, column="period", file=file_name))
    if "measure" not in present and not measure_code:
        errors.append(make_error("missing_measure_column", row=1, column="measure", file=file_name))
    if not value_columns:
        errors.append(make_error("missing_value_columns", row=1, column="value", file=file_name))
    failed = {"warnings": raw.warnings, "encoding": raw.encoding, "value_columns": value_columns}
    if errors:
        return _failed(file_name, sha, errors, **failed)

    # Blank lines (and Excel's ';;;;' rows) are skipped; the others keep their row numbers.
    rows = np.arange(len(table), dtype="int64") + 2
    blank = np.ones(len(table), dtype=bool)
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            empty_category = np.array([not str(c).strip() for c in column.cat.categories], bool)
            codes = np.asarray(column.cat.codes)
            blank &= empty_category[codes] if len(empty_category) else True
        elif column.dtype.kind == "f":
            blank &= np.isnan(column.to_numpy())
        else:
            blank &= column.str.strip().eq("").to_numpy(dtype=bool)
    if blank.any():
        table = table.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    n = len(table)
    if n == 0:
        return _failed(file_name, sha, [make_error("no_rows", row=2, file=file_name)], **failed)

    # Text columns: each distinct text is judged once.
    judged: dict[str, _Column] = {}
    judges: dict[str, Callable[[str], _Judgement]] = {
        "measure": _judge_measure(measure_code),
        "period": _judge_period(today),
        "area": _judge_area,
        "group": _judge_group,
        "source": _judge_source,
    }
    for name, judge in judges.items():
        if name in present:
            judged[name] = _judge_text(table[name], judge)
            errors += judged[name].errors(rows, name, file_name)

    # Numbers, then their kind-independent limits.
    numbers: dict[str, _Numbers] = {}
    for name in value_columns:
        parsed, problems = _parse_numbers(table[name], raw.decimal)
        numbers[name] = parsed
        mark = "," if raw.decimal == "," else "."
        for i, code in problems:
            params = {"mark": mark} if code == "wrong_decimal" else {}
            errors.append(
                make_error(
                    code,
                    row=rows[i],
                    column=name,
                    value=parsed.text(i),
                    file=file_name,
                    **params,
                )
            )
    for name, mask, code, params in _range_problems(numbers):
        extra = dict(params)
        for i in np.flatnonzero(mask):
            if code == "numerator_gt_denominator":
                extra = {"denominator": numbers["denominator"].text(i)}
            errors.append(
                make_error(
                    code,
                    row=rows[i],
                    column=name,
                    value=numbers[name].text(i),
                    file=file_name,
                    **extra,
                )
            )

    frame = _tidy_frame(n, rows, judged, numbers, measure_code)
    errors += _duplicate_rows(frame, judged, file_name)
    return ParsedMeasurements(
        frame=frame,
        errors=sort_errors(errors),
        warnings=raw.warnings,
        file_name=file_name,
        file_sha256=sha,
        value_columns=value_columns,
        encoding=raw.encoding,
    )


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.zeros(n, dtype="int8"), categories=pd.Index([value], dtype="str")
    )


def _tidy_frame(
    n: int,
    rows: np.ndarray,
    judged: dict[str, _Column],
    numbers: dict[str, _Numbers],
    measure_code: str | None,
) -> pd.DataFrame:
    if "period" in judged:
        period = judged["period"]
        dates = np.array(
            [v if v is not None else "NaT" for v in period.values] or ["NaT"],
            dtype="datetime64[D]",
        )
        periods = dates[period.codes].astype("datetime64[s]")
    else:  # pragma: no cover - a missing period column stops earlier
        periods = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    # copy=False: the arrays are fresh and ours; pandas need not copy them into one block.
    return pd.DataFrame(
        {
            "row": rows,
            "measure": (
                judged["measure"].categorical()
                if "measure" in judged
                else _constant(measure_code or "", n)
            ),
            "period": periods,
            "area": judged["area"].categorical() if "area" in judged else _constant("", n),
            "group": judged["group"].categorical() if "group" in judged else _constant("pilot", n),
            **{c: numbers[c].values if c in numbers else np.full(n, np.nan) for c in VALUE_COLUMNS},
            "source": judged["source"].categorical() if "source" in judged else _constant("", n),
        },
        copy=False,
    )


def _duplicate_rows(
    frame: pd.DataFrame, judged: dict[str, _Column], file_name: str
) -> list[RowError]:
    """Rows whose (measure, period, area, group) an earlier row of the file already has."""
    usable = np.ones(len(frame), dtype=bool)
    for name in KEY_COLUMNS:
        if name in judged:
            usable &= ~judged[name].bad
    usable &= frame["measure"].notna().to_numpy() & frame["period"].notna().to_numpy()
    # One int64 per row numbering its key (a mixed-radix number of the four codes): hashing one
    # column is much lighter than DataFrame.duplicated on four.
    parts = [
        frame["measure"].cat.codes.to_numpy(),
        pd.factorize(frame["period"].to_numpy().view("int64"))[0],
        frame["area"].cat.codes.to_numpy(),
        frame["group"].cat.codes.to_numpy(),
    ]
    sizes = [int(p.max()) + 2 if len(p) else 1 for p in parts]
    if math.prod(sizes) < 2**62:
        key = np.zeros(len(frame), dtype="int64")
        for part, size in zip(parts, sizes, strict=True):
            key = key * size + (part.astype("int64") + 1)
        keys = pd.DataFrame({"key": key[usable]})
    else:  # pragma: no cover - needs billions of distinct keys
        keys = pd.DataFrame({str(i): part[usable] for i, part in enumerate(parts)})
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    dupes = keys[repeated].assign(row=frame["row"].to_numpy()[usable][repeated])
    first = dupes.groupby([c for c in dupes.columns if c != "row"], sort=False)["row"].transform(
        "min"
    )
    later = dupes["row"] != first
    errors = []
    for position in np.flatnonzero(later.to_numpy()):
        errors.append(
            make_error(
                "duplicate_row",
                row=int(dupes["row"].iat[position]),
                file=file_name,
                first=int(first.iat[position]),
            )
        )
    return errors
