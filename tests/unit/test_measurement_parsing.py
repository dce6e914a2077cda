"""Reading measurement files into the tidy shape (pure: no database)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.io.measurements import (
    ParsedMeasurements,
    RowError,
    make_error,
    parse_date,
    parse_measurement_bytes,
    read_measurement_file,
)

TODAY = dt.date(2025, 6, 30)


def parse(content: str | bytes, name: str = "m.csv", **kwargs: Any) -> ParsedMeasurements:
    data = content.encode() if isinstance(content, str) else content
    return parse_measurement_bytes(data, file_name=name, today=TODAY, **kwargs)


def plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def records(parsed: ParsedMeasurements, *columns: str) -> list[tuple[Any, ...]]:
    frame = parsed.frame
    rows = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [tuple(plain(v) for v in values) for values in rows]


def located(parsed: ParsedMeasurements) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in parsed.errors]


# --------------------------------------------------------------------------- dialects
def test_both_csv_dialects_give_the_same_frame():
    dutch = parse(
        "period;measure;value;group;area\n"
        "01-03-2021;contacten;1.234,5;vergelijking;wk036301\n"
        "1-4-2021;contacten;-0,25;;\n"
    )
    iso = parse(
        "period,measure,value,group,area\n"
        "2021-03-01,contacten,1234.5,comparison,WK036301\n"
        "2021-04-01,contacten,-0.25,,\n"
    )
    assert dutch.errors == iso.errors == []
    columns = ("row", "measure", "period", "value", "group", "area")
    assert (
        records(dutch, *columns)
        == records(iso, *columns)
        == [
            (2, "contacten", "2021-03-01", 1234.5, "comparison", "WK036301"),
            (3, "contacten", "2021-04-01", -0.25, "pilot", ""),
        ]
    )


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_the_separator_is_sniffed_from_the_header(separator):
    text = separator.join(["period", "value"]) + "\n" + separator.join(["2021-03-01", "7"]) + "\n"
    parsed = parse(text, measure_code="contacten")
    assert (parsed.errors, records(parsed, "value")) == ([], [(7.0,)])


def test_header_names_ignore_case_whitespace_quotes_bom_and_know_dutch_names():
    text = '\ufeff "PERIODE" ; Indicator ;Waarde  ;Groep\n2021-03-01;Contacten;5;Pilot\n'
    parsed = parse(text)
    assert parsed.errors == []
    assert records(parsed, "measure", "period", "value", "group") == [
        ("contacten", "2021-03-01", 5.0, "pilot")
    ]


def test_an_unknown_column_is_skipped_with_a_warning():
    parsed = parse("period;value;opmerking\n2021-03-01;5;let op\n", measure_code="contacten")
    assert parsed.errors == []
    assert [(w.row, w.code, w.value) for w in parsed.warnings] == [
        (1, "ignored_column", "opmerking")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("-3", -3.0),
        ("+3", 3.0),
        ("0,5", 0.5),
        (",5", 0.5),
        ("1.234", 1234.0),
        ("1.234.567,89", 1234567.89),
        ("1,5e3", 1500.0),
        (" 7 ", 7.0),
    ],
)
def test_numbers_in_a_decimal_comma_file(text, expected):
    parsed = parse(f"period;value\n2021-03-01;{text}\n2021-04-01;0,1\n", measure_code="m_a")
    assert parsed.errors == []
    assert parsed.frame["value"].iloc[0] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("twaalf", "not_a_number"),
        ("12 euro", "not_a_number"),
        ("1_000", "not_a_number"),
        ("0x10", "not_a_number"),
        ("12.5", "wrong_decimal"),
        ("1.23", "wrong_decimal"),
        ("nan", "not_finite"),
        ("-Infinity", "not_finite"),
        ("1e999", "too_large"),
        ("-2.000.000.000.000", "too_large"),
    ],
)
def test_what_is_not_a_number_in_a_decimal_comma_file(text, code):
    parsed = parse(f"period;value\n2021-03-01;0,5\n2021-04-01;{text}\n", measure_code="m_a")
    assert [(e.row, e.column, e.code, e.value) for e in parsed.errors] == [
        (3, "value", code, text.strip())
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-01", dt.date(2021, 3, 1)),
        ("2021-3-1", dt.date(2021, 3, 1)),
        ("01-03-2021", dt.date(2021, 3, 1)),
        ("1-3-2021", dt.date(2021, 3, 1)),
        ("2021-03-01 00:00:00", dt.date(2021, 3, 1)),
        ("2020-02-29", dt.date(2020, 2, 29)),
    ],
)
def test_dates_in_iso_and_dutch_form(text, expected):
    assert parse_date(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "missing_value"),
        ("maart 2021", "bad_date"),
        ("03/01/2021", "bad_date"),
        ("2021-03-01 12:30", "bad_date"),
        ("20210301", "bad_date"),
        ("31-02-2021", "impossible_date"),
        ("2021-13-01", "impossible_date"),
        ("2021-02-29", "impossible_date"),
    ],
)
def test_what_is_not_a_date(text, code):
    assert parse_date(text) == (None, code)


def test_a_date_after_today_is_in_the_future():
    parsed = parse("period;value\n2025-06-30;1\n2025-07-01;1\n", measure_code="m_a")
    assert located(parsed) == [(3, "period", "future_date")]


def test_blank_lines_are_skipped_but_keep_their_row_numbers():
    parsed = parse("period;value\n\n2021-03-01;1\n;\n2021-04-01;x\n\n", measure_code="m_a")
    assert records(parsed, "row") == [(3,), (5,)]
    assert located(parsed) == [(5, "value", "not_a_number")]


def test_group_and_area_defaults_and_spellings():
    parsed = parse(
        "period;value;group;area\n"
        "2021-01-01;1;;\n"
        "2021-02-01;1;Vergelijking;bu03630101\n"
        "2021-03-01;1;COMPARISON; GM0363 \n",
        measure_code="m_a",
    )
    assert records(parsed, "group", "area") == [
        ("pilot", ""),
        ("comparison", "BU03630101"),
        ("comparison", "GM0363"),
    ]


def test_the_measure_option_fills_the_column_and_must_agree_with_it():
    parsed = parse("period;measure;value\n2021-01-01;;1\n2021-02-01;m_a;1\n2021-03-01;m_b;1\n",
                   measure_code="M_A")  # fmt: skip
    assert records(parsed, "measure")[:2] == [("m_a",), ("m_a",)]
    assert [(e.row, e.code, e.value) for e in parsed.errors] == [(4, "measure_mismatch", "m_b")]


def test_duplicates_name_the_first_row():
    parsed = parse("period;value;area\n2021-01-01;1;\n2021-01-01;2;WK036301\n01-01-2021;3;\n",
                   measure_code="m_a")  # fmt: skip
    [error] = parsed.errors
    assert (error.row, error.code) == (4, "duplicate_row")
    assert "rij 2" in error.message("nl") and "row 2" in error.message("en")


def test_value_limits_that_hold_for_every_kind():
    parsed = parse(
        "period;count;exposure;numerator;denominator\n"
        "2021-01-01;3;10;;\n"
        "2021-02-01;-1;0;;\n"
        "2021-03-01;2.5;1;;\n"
        "2021-04-01;;;5;4\n"
        "2021-05-01;;;-1;0\n",
        measure_code="m_a",
    )
    assert located(parsed) == [
        (3, "count", "negative"),
        (3, "exposure", "not_positive"),
        (4, "count", "not_integer"),
        (5, "numerator", "numerator_gt_denominator"),
        (6, "numerator", "negative"),
        (6, "denominator", "not_positive"),
    ]
    assert parsed.errors[3].message("en").startswith("numerator 5 is larger than denominator 4")


# --------------------------------------------------------------------------- encodings
def test_utf8_with_and_without_bom():
    text = "period;value;source\n2021-03-01;1;Gemeente Súdwest-Fryslân\n"
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        parsed = parse(data, measure_code="m_a")
        assert (parsed.errors, parsed.warnings, parsed.encoding) == ([], [], "utf-8")
        assert records(parsed, "source") == [("Gemeente Súdwest-Fryslân",)]


def test_windows_1252_is_read_with_a_warning_naming_the_row():
    data = "period;value;source\n2021-03-01;1;eigen\n2021-04-01;2;café €\n".encode("cp1252")
    parsed = parse(data, measure_code="m_a")
    assert parsed.errors == []
    assert [(w.row, w.code) for w in parsed.warnings] == [(3, "encoding_fallback")]
    assert records(parsed, "source") == [("eigen",), ("café €",)]


@pytest.mark.parametrize(
    ("data", "row"),
    [
        ("period;value\n2021-03-01;1\n".encode("utf-16"), 0),
        ("period;value\n2021-03-01;1\n".encode("utf-16-le"), 0),
        (b"period;value\n2021-03-01;1\n2021-04-01;\x81\n", 3),  # undefined in cp1252
        ("period;value;source\n2021-03-01;1;café\n".encode()[:-2] + b"\n", 2),  # cut UTF-8
        # UTF-8 with one Windows-1252 "é" pasted in: neither reading is right.
        ("period;value;source\n2021-03-01;1;café\n".encode() + b"2021-04-01;1;caf\xe9\n", 3),
    ],
)
def test_a_wrong_encoding_is_an_error_never_garbage(data, row):
    parsed = parse(data, measure_code="m_a")
    assert located(parsed) == [(row, "", "encoding")]
    assert parsed.frame.empty


# --------------------------------------------------------------------------- XLSX
def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_of_every_type():
    data = xlsx_bytes(
        [
            ["Period", "Value", "Group"],
            [dt.datetime(2021, 3, 1), 1.5, "pilot"],
            [dt.date(2021, 4, 1), 2, None],
            [],
            ["01-05-2021", "3,25", "vergelijking"],
            ["2021-06-01", "4.5", None],
        ]
    )
    parsed = parse(data, name="m.xlsx", measure_code="m_a")
    assert parsed.errors == []
    assert records(parsed, "row", "period", "value", "group") == [
        (2, "2021-03-01", 1.5, "pilot"),
        (3, "2021-04-01", 2.0, "pilot"),
        (5, "2021-05-01", 3.25, "comparison"),
        (6, "2021-06-01", 4.5, "pilot"),
    ]


def test_xlsx_errors_carry_the_spreadsheet_row():
    data = xlsx_bytes(
        [["period", "value"], [dt.datetime(2021, 3, 1, 14, 30), 1], [], ["2021-04-01", "veel"]]
    )
    parsed = parse(data, name="m.xlsx", measure_code="m_a")
    assert located(parsed) == [(2, "period", "bad_date"), (4, "value", "not_a_number")]


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ("period;value\n2021-03-01;1\n", "m.json", [(0, "", "unsupported_extension")]),
        ("", "m.csv", [(0, "", "empty_file")]),
        ("\ufeff\n  \n", "m.csv", [(0, "", "empty_file")]),
        ("\nperiod;value\n", "m.csv", [(1, "", "no_header")]),
        ("period;value\n", "m.csv", [(2, "", "no_rows")]),
        ("period;value", "m.txt", [(2, "", "no_rows")]),
        ("period;value;VALUE\n2021-03-01;1;2\n", "m.csv", [(1, "value", "duplicate_column")]),
        ('period;value\n2021-03-01;"1\n', "m.csv", [(2, "", "bad_csv")]),
        ('period;value\n2021-03-01;1\n\n2021-04-01;"1\n', "m.csv", [(4, "", "bad_csv")]),
    ],
)
def test_file_level_problems(content, name, expected):
    assert located(parse(content, name=name, measure_code="m_a")) == expected


def test_a_file_over_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("period;value\n2021-03-01;1\n")
    parsed = read_measurement_file(path, measure_code="m_a", max_bytes=10)
    assert [(e.code, e.file) for e in parsed.errors] == [("file_too_large", "m.csv")]
    assert parsed.file_sha256 == ""
    assert parsed.errors[0].message("en").startswith("the file is 26 bytes; the limit is 10 bytes")


def test_a_missing_file():
    parsed = read_measurement_file("/nonexistent/metingen.csv")
    assert [(e.row, e.code) for e in parsed.errors] == [(0, "file_not_found")]


def test_the_file_hash_is_of_its_bytes():
    import hashlib

    data = b"period;value\n2021-03-01;1\n"
    assert parse(data, measure_code="m_a").file_sha256 == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- errors
def test_a_row_error_speaks_both_languages_and_says_where():
    error = make_error("bad_area", row=7, column="area", value="WK12", file="data.csv")
    assert isinstance(error, RowError)
    assert error.message_nl == error.message("nl")
    assert error.message_en == error.message("en")
    assert error.describe("nl").startswith("bestand data.csv, rij 7, kolom 'area', waarde 'WK12': ")
    assert error.describe("en").startswith("file data.csv, row 7, column 'area', value 'WK12': ")
    assert error.to_dict()["message_en"] == error.message_en
    assert error == make_error("bad_area", row=7, column="area", value="WK12", file="data.csv")


def test_kind_names_are_translated_in_messages():
    error = make_error(
        "not_for_kind", row=2, column="numerator", value="3", measure="contacten", kind="count"
    )
    assert "aantal (count/exposure)" in error.message("nl")
    assert "count (count/exposure)" in error.message("en")


# --------------------------------------------------------------------------- property
keys = st.tuples(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=TODAY),
    st.sampled_from(["", "GM0363", "WK036301", "BU03630101"]),
    st.sampled_from(["pilot", "comparison"]),
)
values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
frames = st.lists(st.tuples(keys, values), min_size=1, max_size=30, unique_by=lambda r: r[0])


def write_csv(rows: list[tuple[Any, float]], *, dutch: bool, header_case: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow([getattr(name, header_case)() for name in ("period", "area", "group", "value")])
    for (period, area, group), value in rows:
        number = repr(value)
        if dutch:
            writer.writerow([period.strftime("%d-%m-%Y"), area, group, number.replace(".", ",")])
        else:
            writer.writerow([period.isoformat(), area, group, number])
    return buffer.getvalue().encode()


@settings(max_examples=150, deadline=None)
@given(rows=frames, dutch=st.booleans(), header_case=st.sampled_from(["lower", "upper", "title"]))
def test_any_valid_frame_written_in_either_dialect_reads_back_the_same(rows, dutch, header_case):
    parsed = parse(write_csv(rows, dutch=dutch, header_case=header_case), measure_code="m_a")
    assert parsed.errors == []
    frame = parsed.frame
    assert frame["period"].dt.date.tolist() == [key[0] for key, _ in rows]
    assert frame["area"].tolist() == [key[1] for key, _ in rows]
    assert frame["group"].tolist() == [key[2] for key, _ in rows]
    got = frame["value"].to_numpy()
    assert np.array_equal(got, np.array([v for _, v in rows]))  # exactly, not approximately
    assert frame["row"].tolist() == list(range(2, len(rows) + 2))
