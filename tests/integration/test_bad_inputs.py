"""Issue 7's bad-input corpus: every file here is refused with a clear, located message and
leaves the database exactly as it was.

Each case is a small file built here (no binary fixtures), imported through
``import_measurements`` into a real database (SQLite, and PostgreSQL when ``TEST_DATABASE_URL``
is set) with the pilot of ``tests.import_helpers.make_world`` (2020-01-01 … 2022-12-31). The
expected code, row and column are what ``tracker.io.measurements`` and
``tracker.services.measurements`` produce; the case names the error it is about, other errors
the same file gives are checked for their form only.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.db_helpers import row_counts
from tests.import_helpers import CONTINUOUS, COUNT, PROPORTION, make_world
from tracker import i18n
from tracker.db import session_scope
from tracker.io.measurements import MAX_SHOWN_VALUE, RowError
from tracker.services.access import system
from tracker.services.measurements import ImportReport, import_measurements

ACTOR = system("analist@gemeente.example")
C = CONTINUOUS
V = "period;measure;value"  # header of a continuous measure
P = "period;measure;numerator;denominator"  # … of a proportion
K = "period;measure;count;exposure"  # … of a count
S = "period;measure;value;source"
A = "period;measure;value;group;area"
OK = f"2021-03-01;{C};12"  # a good row under V


def csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def value(cell: str, header: str = V) -> bytes:
    """A file whose only data row (row 2) has ``cell`` as its value."""
    return csv(header, f"2021-03-01;{C};{cell}")


def period(cell: str) -> bytes:
    return csv(V, f"{cell};{C};12")


def xlsx(*rows: list[Any], merge: str | None = None) -> Callable[[], bytes]:
    """An .xlsx workbook with ``rows`` on its first sheet (built when the case runs)."""

    def build() -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for cells in rows:
            sheet.append(cells)
        if merge:
            sheet.merge_cells(merge)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return build


def xlsx_value(cell: Any) -> Callable[[], bytes]:
    return xlsx(["period", "measure", "value"], ["2021-03-01", C, cell])


def zip_archive() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metingen.csv", csv(V, OK))
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """A bad file and the error it must give: code, row (0 = the file), column and value."""

    id: str
    name: str
    data: bytes | Callable[[], bytes]
    code: str
    row: int = 0
    column: str = ""
    value: str | None = None  # None: not checked (e.g. a long or generated value)
    measure_code: str | None = None
    env: dict[str, str] = field(default_factory=dict)


F = "metingen.csv"
X = "metingen.xlsx"
LONG = "9" * 1_000_000

# fmt: off
CASES = [
    # --- encodings
    Case("enc-utf16-with-bom", F, csv(V, OK, encoding="utf-16"), "encoding"),
    Case("enc-utf16be-without-bom", F, csv(V, OK, encoding="utf-16-be"), "encoding"),
    Case("enc-latin1-undefined-byte", F, csv(V, OK) + f"2021-04-01;{C};1\x81\n".encode("latin-1"),
         "encoding", 3),
    Case("enc-utf8-with-pasted-latin1", F, csv(S, f"2021-03-01;{C};1;Café")
         + f"2021-04-01;{C};1;Caf\xe9\n".encode("latin-1"), "encoding", 3),
    Case("enc-binary-garbage", F, bytes(range(11, 256)) * 4, "encoding", 1),
    Case("enc-nul-byte-in-a-row", F, csv(V, OK + "\x00"), "encoding", 2),
    Case("enc-bom-in-a-cell", F, value("\ufeff12"), "not_a_number", 2, "value", "\ufeff12"),
    Case("enc-bom-before-a-second-file", F, csv(V, OK, "\ufeff" + V, f"2021-04-01;{C};1"),
         "bad_date", 3, "period", "\ufeffperiod"),
    # --- separators, quotes, line structure
    Case("sep-semicolon-header-comma-rows", F, csv(V, f"2021-03-01,{C},12"),
         "bad_date", 2, "period", f"2021-03-01,{C},12"),
    Case("sep-pipe", F, csv("period|measure|value", f"2021-03-01|{C}|12"),
         "missing_column", 1, "period"),
    Case("sep-decimal-comma-in-comma-file", F, csv("period,measure,value", f"2021-03-01,{C},12,5"),
         "too_many_fields", 2),
    Case("sep-too-many-fields-further-down", F, csv(V, OK, f"2021-04-01;{C};12;5"),
         "too_many_fields", 3),
    Case("sep-too-few-fields", F, csv(V, f"2021-03-01;{C}"), "missing_kind_value", 2, "value", ""),
    Case("sep-dutch-thousands-in-comma-file", F,
         csv("period,measure,value", f'2021-03-01,{C},"1.234,5"'),
         "wrong_decimal", 2, "value", "1.234,5"),
    Case("sep-english-thousands-in-semicolon-file", F, value("1,234.5"),
         "wrong_decimal", 2, "value", "1,234.5"),
    Case("sep-space-thousands", F, value("1 234"), "not_a_number", 2, "value", "1 234"),
    Case("sep-old-mac-line-ends", F, csv(V, OK).replace(b"\n", b"\r"), "line_endings", 1),
    Case("sep-lone-cr-in-first-row", F, csv(V, f"2021-03-01;{C}\r;12"), "line_endings", 2),
    Case("quote-left-open", F, csv(V, f'2021-03-01;{C};"12', f"2021-04-01;{C};13"), "bad_csv", 2),
    Case("quote-left-open-further-down", F, csv(V, OK, f'2021-04-01;{C};"13', f"2021-05-01;{C};1"),
         "bad_csv", 3),
    Case("long-line-of-digits", F, value(LONG), "too_large", 2, "value", LONG),
    Case("long-header-field", F, csv(V + ";" + "x" * 200_000, OK + ";"), "bad_csv", 1),
    Case("long-source-text", F, csv(S, f"{OK};" + "x" * 100_000),
         "text_too_long", 2, "source", "x" * 100_000),
    # --- headers
    Case("header-title-row-above", F, csv("Metingen wijkteam Noord 2021", V, OK),
         "too_many_fields", 2),
    Case("header-merged-title-row-above", F, csv("Metingen wijkteam Noord 2021;;", V, OK),
         "missing_column", 1, "period"),
    Case("header-two-rows", F, csv(V, "periode;indicator;waarde", OK),
         "bad_date", 2, "period", "periode"),
    Case("header-blank-first-line", F, csv("", V, OK), "no_header", 1),
    Case("header-separators-only", F, csv(";;", OK), "missing_column", 1, "period"),
    Case("header-missing-period", F, csv("measure;value", f"{C};12"),
         "missing_column", 1, "period"),
    Case("header-missing-measure", F, csv("period;value", "2021-03-01;12"),
         "missing_measure_column", 1, "measure"),
    Case("header-missing-value-columns", F, csv("period;measure", f"2021-03-01;{C}"),
         "missing_value_columns", 1, "value"),
    Case("header-duplicate-through-alias", F, csv(V + ";waarde", OK + ";12"),
         "duplicate_column", 1, "value"),
    Case("header-columns-of-another-kind", F, csv(V, f"2021-03-01;{PROPORTION};0,4"),
         "missing_kind_column", 1, "numerator"),
    # --- empty files
    Case("empty-zero-bytes", F, b"", "empty_file"),
    Case("empty-whitespace-only", F, b"  \n\t\r\n   \n", "empty_file"),
    Case("empty-bom-only", F, b"\xef\xbb\xbf", "empty_file"),
    Case("empty-header-only", F, csv(V), "no_rows", 2),
    Case("empty-header-and-blank-rows", F, csv(V, ";;", "", " ; ; "), "no_rows", 2),
    # --- spreadsheet formulas in number and text cells
    Case("formula-sum-in-value", F, value("=SUM(A1:A3)"), "not_a_number", 2, "value",
         "=SUM(A1:A3)"),
    Case("formula-plus-in-value", F, value("+1+1"), "not_a_number", 2, "value", "+1+1"),
    Case("formula-at-in-measure", F, csv(V, "2021-03-01;@cmd;12"),
         "bad_measure_code", 2, "measure", "@cmd"),
    Case("formula-dde-in-measure", F, csv(V, "2021-03-01;=cmd|' /C calc'!A0;12"),
         "bad_measure_code", 2, "measure", "=cmd|' /C calc'!A0"),
    Case("formula-in-area", F, csv(A, f'2021-03-01;{C};12;pilot;=HYPERLINK("http://x")'),
         "bad_area", 2, "area", '=HYPERLINK("http://x")'),
    Case("formula-in-group", F, csv(A, f"2021-03-01;{C};12;-2+3;"),
         "unknown_group", 2, "group", "-2+3"),
    Case("formula-in-period", F, period("=TODAY()"), "bad_date", 2, "period", "=TODAY()"),
    # --- numbers
    Case("num-1e309", F, value("1e309"), "too_large", 2, "value", "1e309"),
    Case("num-400-digits", F, value("1" * 400), "too_large", 2, "value", "1" * 400),
    Case("num-count-above-2-to-53", F, csv(K, f"2021-03-01;{COUNT};9007199254740993;10"),
         "too_large", 2, "count", "9007199254740993"),
    Case("num-nan", F, value("NaN"), "not_finite", 2, "value", "NaN"),
    Case("num-minus-infinity", F, value("-Infinity"), "not_finite", 2, "value", "-Infinity"),
    Case("num-text-12-stuks", F, value("12 stuks"), "not_a_number", 2, "value", "12 stuks"),
    Case("num-text-nvt", F, value("n.v.t."), "not_a_number", 2, "value", "n.v.t."),
    Case("num-percent-sign", F, value("12%"), "not_a_number", 2, "value", "12%"),
    Case("num-currency-sign", F, value("€ 12"), "not_a_number", 2, "value", "€ 12"),
    Case("num-hexadecimal", F, value("0x1F"), "not_a_number", 2, "value", "0x1F"),
    Case("num-excel-text-apostrophe", F, value("'12"), "not_a_number", 2, "value", "'12"),
    Case("num-negative-count", F, csv(K, f"2021-03-01;{COUNT};-3;10"),
         "negative", 2, "count", "-3"),
    Case("num-fractional-count", F, csv(K, f"2021-03-01;{COUNT};2,5;10"),
         "not_integer", 2, "count", "2,5"),
    Case("num-negative-exposure", F, csv(K, f"2021-03-01;{COUNT};3;-10"),
         "not_positive", 2, "exposure", "-10"),
    Case("num-zero-exposure", F, csv(K, f"2021-03-01;{COUNT};3;0"),
         "not_positive", 2, "exposure", "0"),
    Case("num-numerator-above-denominator", F, csv(P, f"2021-03-01;{PROPORTION};11;10"),
         "numerator_gt_denominator", 2, "numerator", "11"),
    Case("num-negative-numerator", F, csv(P, f"2021-03-01;{PROPORTION};-1;10"),
         "negative", 2, "numerator", "-1"),
    Case("num-zero-denominator", F, csv(P, f"2021-03-01;{PROPORTION};0;0"),
         "not_positive", 2, "denominator", "0"),
    # --- dates
    Case("date-future", F, period("2099-01-01"), "future_date", 2, "period", "2099-01-01"),
    Case("date-30-february", F, period("2023-02-30"), "impossible_date", 2, "period",
         "2023-02-30"),
    Case("date-month-13", F, period("2021-13-01"), "impossible_date", 2, "period", "2021-13-01"),
    Case("date-us-slashes", F, period("03/01/2021"), "bad_date", 2, "period", "03/01/2021"),
    Case("date-year-month-only", F, period("2021-03"), "bad_date", 2, "period", "2021-03"),
    Case("date-compact", F, period("20210301"), "bad_date", 2, "period", "20210301"),
    Case("date-excel-serial-number", F, period("44256"), "bad_date", 2, "period", "44256"),
    Case("date-two-digit-year", F, period("01-03-21"), "bad_date", 2, "period", "01-03-21"),
    Case("date-with-time-of-day", F, period("2021-03-01 14:30"), "bad_date", 2, "period",
         "2021-03-01 14:30"),
    Case("date-in-words", F, period("maart 2021"), "bad_date", 2, "period", "maart 2021"),
    Case("date-before-pilot-baseline", F, period("2019-12-01"), "outside_pilot_period", 2,
         "period", "2019-12-01"),
    Case("date-after-pilot-end", F, period("2023-06-01"), "outside_pilot_period", 2, "period",
         "2023-06-01"),
    # --- duplicate periods
    Case("dup-same-row-twice", F, csv(V, OK, OK), "duplicate_row", 3),
    Case("dup-same-key-written-differently", F,
         csv(A, f"2021-03-01;{C};1;comparison;WK036301", f"01-03-2021;{C};2;vergelijking;wk036301"),
         "duplicate_row", 3),
    # --- codes
    Case("code-unknown-measure", F, csv(V, OK, "2021-04-01;onbekend;1"),
         "unknown_measure", 3, "measure", "onbekend"),
    Case("code-unknown-measure-option", F, csv("period;value", "2021-03-01;12"),
         "unknown_measure", 0, "measure", "onbekend", measure_code="onbekend"),
    Case("code-measure-differs-from-option", F, csv(V, OK), "measure_mismatch", 2, "measure", C,
         measure_code=PROPORTION),
    Case("code-unknown-group", F, csv(A, f"2021-03-01;{C};12;interventie;"),
         "unknown_group", 2, "group", "interventie"),
    Case("code-malformed-area", F, csv(A, f"2021-03-01;{C};12;;WK0363"),
         "bad_area", 2, "area", "WK0363"),
    # --- what the file is
    Case("file-exe", "metingen.exe", b"MZ\x90\x00\x03", "unsupported_extension", value=".exe"),
    Case("file-pdf", "metingen.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "unsupported_extension",
         value=".pdf"),
    Case("file-double-extension", "metingen.csv.exe", csv(V, OK), "unsupported_extension",
         value=".exe"),
    Case("file-old-excel-xls", "metingen.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
         "unsupported_extension", value=".xls"),
    Case("file-without-extension", "metingen", csv(V, OK), "unsupported_extension",
         value="(—)"),
    Case("file-zip-named-csv", F, zip_archive, "not_csv"),
    Case("file-xlsx-named-csv", F, xlsx(V.split(";"), ["2021-03-01", C, 12]), "not_csv"),
    Case("file-csv-named-xlsx", X, csv(V, OK), "unreadable_xlsx"),
    Case("file-truncated-xlsx", X, lambda: xlsx(V.split(";"), ["2021-03-01", C, 12])()[:300],
         "unreadable_xlsx"),
    Case("file-over-configured-limit", F, csv(V, OK), "file_too_large",
         env={"TRACKER_IMPORT_MAX_BYTES": "20"}),
    # --- XLSX cells
    Case("xlsx-error-cell-div0", X, xlsx_value("#DIV/0!"), "not_a_number", 2, "value", "#DIV/0!"),
    Case("xlsx-error-cell-na", X, xlsx_value("#N/A"), "not_a_number", 2, "value", "#N/A"),
    Case("xlsx-formula-without-cached-value", X, xlsx_value("=SUM(A1:A3)"),
         "missing_kind_value", 2, "value", ""),
    Case("xlsx-merged-title-row", X, xlsx(["Metingen Noord", None, None], V.split(";"),
         ["2021-03-01", C, 12], merge="A1:C1"), "missing_column", 1, "period"),
    Case("xlsx-boolean-value", X, xlsx_value(True), "not_a_number", 2, "value", "TRUE"),
    Case("xlsx-text-in-number", X, xlsx_value("12 stuks"), "not_a_number", 2, "value",
         "12 stuks"),
    Case("xlsx-huge-number", X, xlsx_value(1e300), "too_large", 2, "value", "1e+300"),
    Case("xlsx-date-with-time", X, xlsx(V.split(";"), [dt.datetime(2021, 3, 1, 14, 30), C, 12]),
         "bad_date", 2, "period", "2021-03-01 14:30:00"),
    Case("xlsx-empty-workbook", X, xlsx(), "empty_file"),
    Case("xlsx-header-only", X, xlsx(V.split(";")), "no_rows", 2),
    Case("xlsx-same-day-as-date-and-text", X,
         xlsx(V.split(";"), ["2021-03-01", C, 1], [dt.datetime(2021, 3, 1), C, 2]),
         "duplicate_row", 3),
]
# fmt: on

# Markers of a raw Python error leaking into a message meant for a person.
RAW = ("Traceback", "Error:", "Exception", "KeyError", "ValueError", "TypeError", "<class", "nan")


def run_import(engine, pilot_id: int, path: Path, **kwargs: Any) -> ImportReport:
    with session_scope(engine) as session:
        return import_measurements(session, pilot_id, path, actor=ACTOR, **kwargs)


def assert_clear(error: RowError, file_name: str) -> None:
    """File, row, column and value named in both languages; no raw exception text."""
    assert error.file == file_name
    texts = {lang: error.describe(lang) for lang in ("nl", "en")}
    assert texts["nl"] != texts["en"]
    for lang, text in texts.items():
        message = error.message(lang)
        assert message.strip() and message != f"import.{error.code}", text
        assert "import." not in text and "{" not in text, text
        assert not any(marker in text for marker in RAW), text
        assert len(text) < 1000, f"{len(text)} characters"
        assert file_name in text
        if error.row:
            assert f"{'rij' if lang == 'nl' else 'row'} {error.row}" in text, text
        if error.row and error.column:  # row 0: the file or --measure, not a column of it
            assert f"'{error.column}'" in text, text
        if error.value:
            assert error.value[: MAX_SHOWN_VALUE // 2] in text, text


def test_the_corpus_is_large_and_uses_real_codes():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(f"import.{c.code}" in i18n.MESSAGES for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_is_refused_clearly_and_changes_nothing(
    engine, tmp_path, monkeypatch, case: Case
):
    world = make_world(engine)
    for name, setting in case.env.items():
        monkeypatch.setenv(name, setting)
    path = tmp_path / case.name
    path.write_bytes(case.data() if callable(case.data) else case.data)
    before = row_counts(engine)

    report = run_import(engine, world.pilot_id, path, measure_code=case.measure_code)

    assert not report.ok and report.rows_written == 0
    found = [e for e in report.errors if e.code == case.code]
    assert found, [(e.row, e.column, e.code) for e in report.errors]
    error = found[0]
    assert (error.row, error.column) == (case.row, case.column)
    if case.value is not None:
        assert error.value == case.value
    for each in report.errors:
        assert_clear(each, case.name)
    after = row_counts(engine)
    assert after == before
    assert after["measurement"] == 0


def test_a_1_gb_file_is_refused_before_it_is_read(engine, tmp_path, monkeypatch):
    world = make_world(engine)
    path = tmp_path / "metingen.csv"
    with path.open("wb") as f:  # sparse: takes no disk space, but stat() says 1.1 GB
        f.write(csv(V, OK))
        f.truncate(1_100_000_000)
    assert path.stat().st_size == 1_100_000_000

    def never(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a file over the limit must not be read")

    monkeypatch.setattr(Path, "read_bytes", never)
    monkeypatch.setattr(Path, "open", never)
    before = row_counts(engine)
    started = time.perf_counter()
    report = run_import(engine, world.pilot_id, path)
    elapsed = time.perf_counter() - started

    assert [(e.row, e.column, e.code) for e in report.errors] == [(0, "", "file_too_large")]
    assert report.file_sha256 == ""  # never opened, so never hashed
    assert elapsed < 5, elapsed
    assert "1100000000" in report.errors[0].describe("en")
    assert_clear(report.errors[0], "metingen.csv")
    assert row_counts(engine) == before
