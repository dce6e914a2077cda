"""Reading CBS StatLine CSV downloads into tidy measurements (pure: no database).

Every file here is hand-made in the StatLine "TypedDataSet" shape: ';'-separated, quoted,
codes padded with spaces, figures right-aligned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import string
from typing import Any

import pandas as pd
import pytest

from tracker import i18n
from tracker.io import statline
from tracker.io.measurements import ParsedMeasurements, empty_frame
from tracker.io.statline import (
    StatlineFile,
    StatlineMapping,
    read_statline,
    statline_measurements,
    statline_period,
)

HEADER = '"ID";"Geslacht";"RegioS";"Perioden";"Bevolking_1";"Werkloosheid_2"'
# The example of a monthly download: one municipality, one district, a suppressed cell.
MONTHLY = (
    '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
    '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       ."',
    '2;"T001038";"WK036301  ";"2019MM01";"     1234";"       5.1"',
)
ALL_COLUMNS = tuple(empty_frame().columns)


def statline_bytes(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode("utf-8")


def read(data: bytes, name: str = "85618NED.csv") -> StatlineFile:
    return read_statline(data, file_name=name)


def measure(
    data: bytes | StatlineFile, columns: dict[str, str] | None = None, **kwargs: Any
) -> ParsedMeasurements:
    file = data if isinstance(data, StatlineFile) else read(data)
    mapping = StatlineMapping(
        measure_code=kwargs.pop("measure_code", "werkloosheid"),
        columns=columns or {"value": "Werkloosheid_2"},
        **kwargs,
    )
    return statline_measurements(file, mapping)


def plain(value: Any) -> Any:
    if value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def records(parsed: ParsedMeasurements, *columns: str) -> list[tuple[Any, ...]]:
    frame = parsed.frame
    return [
        tuple(plain(v) for v in values)
        for values in zip(*(frame[c].tolist() for c in columns), strict=True)
    ]


def located(found: list[statline.RowError]) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.code, e.value) for e in found]


def assert_tidy_shape(frame: pd.DataFrame) -> None:
    """The columns and dtypes of measurements.empty_frame(), str categories included."""
    expected = empty_frame()
    assert tuple(frame.columns) == ALL_COLUMNS
    assert frame.dtypes.astype(str).tolist() == expected.dtypes.astype(str).tolist()
    for name in ("measure", "area", "group", "source"):
        assert str(frame[name].cat.categories.dtype) == "str", name


# --------------------------------------------------------------------------- period codes
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2019MM01", (dt.date(2019, 1, 1), "month")),
        ("2019MM03", (dt.date(2019, 3, 1), "month")),
        ("2019MM12", (dt.date(2019, 12, 1), "month")),
        ("2019KW01", (dt.date(2019, 1, 1), "quarter")),
        ("2019KW02", (dt.date(2019, 4, 1), "quarter")),
        ("2019KW03", (dt.date(2019, 7, 1), "quarter")),
        ("2019KW04", (dt.date(2019, 10, 1), "quarter")),
        ("2019JJ00", (dt.date(2019, 1, 1), "year")),
        ("  2020MM02  ", (dt.date(2020, 2, 1), "month")),
    ],
)
def test_statline_period_codes_become_the_first_day_of_the_period(code, expected):
    assert statline_period(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        *("2019HJ01", "2019MM13", "2019MM00", "2019KW05", "2019KW00", "2019JJ01", "0000MM01"),
        *("2019", "", "2019-03-01", "2019X01", "19MM01", "2019MM1"),
    ],
)
def test_other_period_codes_are_not_supported(code):
    assert statline_period(code) is None


# --------------------------------------------------------------------------- reading the file
def test_reading_detects_the_columns_and_strips_the_padding():
    data = statline_bytes(*MONTHLY)
    file = read(data)
    assert file.ok
    assert (file.period_column, file.region_column) == ("Perioden", "RegioS")
    assert file.topic_columns == ("Bevolking_1", "Werkloosheid_2")
    assert file.dimension_columns == ("Geslacht",)
    assert file.dimension_values == {"Geslacht": ("T001038",)}
    assert file.label_columns == ()
    assert file.periods == ("2019MM01", "2019MM02")
    assert file.regions == ("GM0363", "WK036301")
    assert file.frequencies == ("month",)
    assert file.decimal == "."
    assert file.rows.tolist() == [2, 3, 4]
    assert file.frame["RegioS"].tolist() == ["GM0363", "GM0363", "WK036301"]
    assert file.frame["Bevolking_1"].tolist() == ["872680", "872900", "1234"]
    assert all(str(dtype) == "str" for dtype in file.frame.dtypes)
    assert (file.file_sha256, file.encoding) == (hashlib.sha256(data).hexdigest(), "utf-8")
    assert (file.errors, file.warnings) == ([], [])


def test_a_monthly_file_gives_the_exact_tidy_frame():
    parsed = measure(statline_bytes(*MONTHLY), source="CBS StatLine 80590ned")
    assert parsed.errors == []
    assert_tidy_shape(parsed.frame)
    assert records(parsed, *ALL_COLUMNS) == [
        (
            2,
            "werkloosheid",
            "2019-01-01",
            "GM0363",
            "pilot",
            4.5,
            None,
            None,
            None,
            None,
            "CBS StatLine 80590ned",
        ),
        (
            4,
            "werkloosheid",
            "2019-01-01",
            "WK036301",
            "pilot",
            5.1,
            None,
            None,
            None,
            None,
            "CBS StatLine 80590ned",
        ),
    ]
    assert parsed.value_columns == ("value",)
    assert parsed.file_name == "85618NED.csv"
    assert parsed.file_sha256 == hashlib.sha256(statline_bytes(*MONTHLY)).hexdigest()
    assert parsed.encoding == "utf-8"


def test_the_source_defaults_to_the_file_name_and_the_measure_code_is_normalised():
    parsed = measure(statline_bytes(*MONTHLY), measure_code="  Werkloosheid ")
    assert records(parsed, "measure", "source") == [
        ("werkloosheid", "CBS StatLine 85618NED.csv"),
        ("werkloosheid", "CBS StatLine 85618NED.csv"),
    ]


def test_a_quarterly_file_gives_the_first_day_of_each_quarter():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019KW01";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"2019KW02";"   872700";"       4.4"',
        '2;"T001038";"GM0363    ";"2019KW03";"   872800";"       4.3"',
        '3;"T001038";"GM0363    ";"2019KW04";"   872900";"       4.2"',
    )
    parsed = measure(data)
    assert parsed.errors == []
    assert records(parsed, "row", "period", "value") == [
        (2, "2019-01-01", 4.5),
        (3, "2019-04-01", 4.4),
        (4, "2019-07-01", 4.3),
        (5, "2019-10-01", 4.2),
    ]


def test_a_yearly_file_with_padded_period_codes():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2018JJ00  ";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"  2019JJ00";"   872700";"       3.9"',
    )
    file = read(data)
    assert file.periods == ("2018JJ00", "2019JJ00")
    assert file.frequencies == ("year",)
    parsed = measure(file)
    assert records(parsed, "period", "value") == [("2018-01-01", 4.5), ("2019-01-01", 3.9)]


def test_padded_gemeente_wijk_and_buurt_codes_are_stripped_and_kept_as_areas():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        '1;"T001038";"WK036301  ";"2019MM01";"     1234";"       5.1"',
        '2;"T001038";"BU03630101";"2019MM01";"      234";"       6.0"',
        '3;"T001038";"  bu03630102  ";"2019MM01";"      233";"       6.5"',
    )
    parsed = measure(data)
    assert parsed.errors == []
    assert records(parsed, "area", "group", "value") == [
        ("GM0363", "pilot", 4.5),
        ("WK036301", "pilot", 5.1),
        ("BU03630101", "pilot", 6.0),
        ("BU03630102", "pilot", 6.5),
    ]


def test_crlf_line_ends_and_blank_lines_keep_the_row_numbers():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        "",
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       4.7"',
        newline="\r\n",
    )
    file = read(data)
    assert file.rows.tolist() == [2, 4]
    assert records(measure(file), "row", "value") == [(2, 4.5), (4, 4.7)]


# --------------------------------------------------------------------------- symbols
def test_suppressed_and_secret_cells_are_missing_never_zero():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       ."',
        '2;"T001038";"GM0363    ";"2019MM03";"   873000";"       x"',
        '3;"T001038";"GM0363    ";"2019MM04";"   873100";"       X"',
        '4;"T001038";"GM0363    ";"2019MM05";"   873200";"       4.1"',
    )
    parsed = measure(data)
    assert parsed.errors == []
    assert records(parsed, "row", "period", "value") == [
        (2, "2019-01-01", 4.5),
        (6, "2019-05-01", 4.1),
    ]
    assert 0.0 not in parsed.frame["value"].tolist()
    assert located(parsed.warnings) == [
        (3, "Werkloosheid_2", "statline_suppressed", "."),
        (4, "Werkloosheid_2", "statline_suppressed", "x"),
        (5, "Werkloosheid_2", "statline_suppressed", "X"),
    ]
    assert parsed.warnings[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3, kolom 'Werkloosheid_2', waarde '.': CBS publiceert dit "
        "cijfer niet ('.': onbekend, te onbetrouwbaar of geheim); deze periode ontbreekt voor "
        "dit gebied, er wordt geen 0 ingelezen"
    )


def test_nihil_is_zero():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       -"',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       \u2013"',
        '2;"T001038";"GM0363    ";"2019MM03";"   873000";"       0.5"',
    )
    parsed = measure(data)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert records(parsed, "row", "value") == [(2, 0.0), (3, 0.0), (4, 0.5)]


def test_an_empty_cell_is_missing_with_a_warning():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";""',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"          "',
        '2;"T001038";"GM0363    ";"2019MM03";"   873000";"       4.0"',
    )
    parsed = measure(data)
    assert parsed.errors == []
    assert records(parsed, "row", "value") == [(4, 4.0)]
    assert located(parsed.warnings) == [
        (2, "Werkloosheid_2", "statline_empty", ""),
        (3, "Werkloosheid_2", "statline_empty", ""),
    ]
    assert parsed.warnings[0].message("nl") == (
        "de cel is leeg; deze periode ontbreekt voor dit gebied"
    )


def test_a_file_where_every_figure_is_suppressed_gives_an_empty_tidy_frame():
    data = statline_bytes('0;"T001038";"GM0363    ";"2019MM01";"   872680";"       ."')
    parsed = measure(data)
    assert parsed.errors == []
    assert parsed.frame.empty
    assert_tidy_shape(parsed.frame)
    assert [w.code for w in parsed.warnings] == ["statline_suppressed"]


# --------------------------------------------------------------------------- decimal mark
def test_a_decimal_comma_file():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4,5"',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"      12"',
        '2;"T001038";"GM0363    ";"2019MM03";"   873000";"      -0,25"',
    )
    file = read(data)
    assert file.decimal == ","
    parsed = measure(file)
    assert parsed.errors == []
    assert records(parsed, "value") == [(4.5,), (12.0,), (-0.25,)]


def test_a_file_with_both_marks_uses_the_point_and_reports_the_comma():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       4,7"',
    )
    file = read(data)
    assert file.decimal == "."
    parsed = measure(file)
    assert located(parsed.errors) == [(3, "Werkloosheid_2", "statline_wrong_decimal", "4,7")]
    assert parsed.errors[0].message("nl") == (
        "'4,7' heeft een ander decimaalteken dan de rest van het bestand ('.'); maak het "
        "decimaalteken in alle cellen gelijk of download de tabel opnieuw"
    )
    # The wrong cell holds NaN in the frame, as in the tidy import.
    assert records(parsed, "row", "value") == [(2, 4.5), (3, None)]


def test_commas_in_another_column_than_the_figures_do_not_decide_the_mark():
    header = '"ID";"Geslacht";"RegioS";"Perioden";"Naam_1";"Werkloosheid_2"'
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"Amsterdam, 1";"       4.5"',
        '1;"T001038";"GM0518    ";"2019MM01";"Den Haag, 2";"       4"',
        header=header,
    )
    file = read(data)
    assert file.decimal == "."
    assert file.label_columns == ("Naam_1",)


# --------------------------------------------------------------------------- encodings
def test_a_bom_is_not_part_of_the_first_column_name():
    data = b"\xef\xbb\xbf" + statline_bytes(*MONTHLY)
    file = read(data)
    assert file.ok
    assert file.frame.columns[0] == "ID"
    assert records(measure(file), "row", "value") == records(
        measure(statline_bytes(*MONTHLY)), "row", "value"
    )
    assert file.encoding == "utf-8"


def test_a_windows_1252_file_is_read_with_a_warning():
    header = '"ID";"RegioS";"Perioden";"Gemeentenaam_1";"Werkloosheid_2"'
    text = "\n".join(
        [
            header,
            '0;"GM0363    ";"2019MM01";"Amsterdam";"       4.5"',
            '1;"GM1900    ";"2019MM01";"S\u00fadwest-Frysl\u00e2n";"       3.9"',
        ]
    )
    file = read(text.encode("cp1252"))
    assert file.ok
    assert file.encoding == "cp1252"
    assert file.frame["Gemeentenaam_1"].tolist() == ["Amsterdam", "S\u00fadwest-Frysl\u00e2n"]
    # One name per region: it describes the region, no choice is needed.
    assert (file.label_columns, file.dimension_columns) == (("Gemeentenaam_1",), ())
    assert located(file.warnings) == [(3, "", "statline_encoding_fallback", "")]
    parsed = measure(file)
    assert parsed.errors == []
    assert parsed.encoding == "cp1252"
    assert records(parsed, "area", "value") == [("GM0363", 4.5), ("GM1900", 3.9)]
    assert [w.code for w in parsed.warnings] == ["statline_encoding_fallback"]


@pytest.mark.parametrize(
    ("data", "code", "row"),
    [
        (b"", "statline_empty_file", 0),
        (b"\xef\xbb\xbf \n\n", "statline_empty_file", 0),
        (b"PK\x03\x04 rest of a zip", "statline_not_csv", 0),
        ('"ID";"Perioden"\n'.encode("utf-16"), "statline_encoding", 0),
        (b'"ID";"Perioden";"A_1"\n0;"2019MM01";"\x00"\n', "statline_encoding", 2),
        (b'\xef\xbb\xbf"ID";"Perioden";"A_1"\n0;"2019MM01";"\xe9"\n', "statline_encoding", 2),
        (b'"ID";"Perioden";"A_1"\n0;"2019MM01";"\x81"\n', "statline_encoding", 2),
    ],
)
def test_unreadable_files(data, code, row):
    file = read(data)
    assert not file.ok
    assert [(e.row, e.code) for e in file.errors] == [(row, code)]
    parsed = measure(file)
    assert (parsed.errors, parsed.frame.empty) == (file.errors, True)
    assert_tidy_shape(parsed.frame)


# --------------------------------------------------------------------------- not StatLine
def test_a_tidy_comma_separated_file_is_not_a_statline_download():
    data = b"period,measure,value\n2021-03-01,werkloosheid,4.5\n"
    file = read(data, "metingen.csv")
    assert not file.ok
    assert [e.describe("nl") for e in file.errors] == [
        "bestand metingen.csv: dit is geen StatLine-download: rij 1 heeft geen kolommen "
        'gescheiden door \';\' (zoals "ID";"RegioS";"Perioden";…). Download de tabel op '
        "opendata.cbs.nl als CSV, of lees dit bestand in als gewoon meetbestand (period, "
        "value, …)"
    ]
    assert [e.describe("en") for e in file.errors] == [
        "file metingen.csv: this is not a StatLine download: row 1 has no columns separated "
        'by \';\' (like "ID";"RegioS";"Perioden";…). Download the table from '
        "opendata.cbs.nl as CSV, or import this file as an ordinary measurement file "
        "(period, value, …)"
    ]


def test_a_tidy_semicolon_file_has_no_period_codes():
    file = read(b"period;measure;value\n2021-03-01;werkloosheid;4,5\n", "metingen.csv")
    assert [(e.row, e.code) for e in file.errors] == [(0, "statline_no_period_column")]
    assert (
        file.errors[0]
        .message("nl")
        .startswith(
            "er is geen kolom met StatLine-periodecodes (Perioden, zoals 2019MM01), dus dit lijkt "
            "geen StatLine-download;"
        )
    )
    assert measure(file).errors == file.errors


def test_a_file_without_figures_has_no_topic_column():
    file = read(statline_bytes('0;"GM0363    ";"2019MM01"', header='"ID";"RegioS";"Perioden"'))
    assert [(e.row, e.code) for e in file.errors] == [(0, "statline_no_topic_column")]


def test_a_file_with_only_column_names_has_no_rows():
    file = read(statline_bytes())
    assert [(e.row, e.code) for e in file.errors] == [(2, "statline_no_rows")]


def test_a_row_with_too_many_fields_is_located():
    second = statline_bytes(*MONTHLY[:2], '2;"T001038";"WK036301  ";"2019MM01";"1";"5.1";"9"')
    assert [(e.row, e.code, dict(e.params)) for e in read(second).errors] == [
        (4, "statline_too_many_fields", {"expected": 6, "found": 7})
    ]
    first = statline_bytes('0;"T001038";"GM0363    ";"2019MM01";"1";"4.5";"9"')
    assert [(e.row, e.code) for e in read(first).errors] == [(2, "statline_too_many_fields")]


def test_a_repeated_column_name_is_an_error():
    file = read(statline_bytes('0;"2019MM01";"1";"2"', header='"ID";"Perioden";"A_1";"A_1"'))
    assert [(e.row, e.column, e.code) for e in file.errors] == [
        (1, "A_1", "statline_duplicate_column")
    ]


# --------------------------------------------------------------------------- detection
def test_period_and_region_columns_are_found_by_their_values_when_renamed():
    header = '"Nr";"Gebied";"Tijd";"Inwoners";"Werkloosheid"'
    data = statline_bytes(
        '0;"GM0363    ";"2019MM01";"872680";"4.5"',
        '1;"NL01      ";"2019MM01";"17282163";"3.4"',
        header=header,
    )
    file = read(data)
    assert (file.period_column, file.region_column) == ("Tijd", "Gebied")
    assert file.topic_columns == ("Nr", "Inwoners", "Werkloosheid")
    assert file.regions == ("GM0363", "NL01")


def test_a_file_without_regions_gives_area_empty_and_group_pilot():
    data = statline_bytes(
        '0;"2019MM01";"       4.5"',
        '1;"2019MM02";"       4.6"',
        header='"ID";"Perioden";"Werkloosheid_1"',
    )
    file = read(data)
    assert (file.region_column, file.regions) == (None, ())
    parsed = measure(file, {"value": "Werkloosheid_1"})
    assert parsed.errors == []
    assert records(parsed, "period", "area", "group", "value") == [
        ("2019-01-01", "", "pilot", 4.5),
        ("2019-02-01", "", "pilot", 4.6),
    ]
    mapped = measure(file, {"value": "Werkloosheid_1"}, regions={"GM0363": ("GM0363", "pilot")})
    assert [(e.row, e.code) for e in mapped.errors] == [(0, "statline_no_region_column")]


def test_numeric_dimension_codes_stay_dimensions_in_a_file_with_cbs_topic_keys():
    header = '"ID";"Leeftijd";"RegioS";"Perioden";"Bevolking_1"'
    data = statline_bytes(
        '0;"10000";"GM0363    ";"2019JJ00";"   872680"',
        '1;"70100";"GM0363    ";"2019JJ00";"   150000"',
        header=header,
    )
    file = read(data)
    assert file.topic_columns == ("Bevolking_1",)
    assert file.dimension_values == {"Leeftijd": ("10000", "70100")}


def test_in_a_file_without_cbs_keys_every_cell_of_a_topic_is_a_number():
    header = '"ID";"Geslacht";"RegioS";"Perioden";"Inwoners"'
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019JJ00";"872680"',
        '1;"3000";"GM0363    ";"2019JJ00";"."',
        header=header,
    )
    file = read(data)
    assert (file.topic_columns, file.dimension_columns) == (("Inwoners",), ("Geslacht",))


# --------------------------------------------------------------------------- dimensions
SEXES = (
    '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
    '1;"3000   ";"GM0363    ";"2019MM01";"   430000";"       4.4"',
    '2;"4000   ";"GM0363    ";"2019MM01";"   442680";"       4.6"',
    '3;"T001038";"GM0363    ";"2019MM02";"   872900";"       4.7"',
)


def test_a_dimension_with_several_values_needs_a_choice():
    file = read(statline_bytes(*SEXES))
    assert file.dimension_values == {"Geslacht": ("T001038", "3000", "4000")}
    parsed = measure(file)
    assert located(parsed.errors) == [(1, "Geslacht", "statline_choose_dimension", "")]
    assert parsed.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 1 (kolomnamen), kolom 'Geslacht': kolom 'Geslacht' heeft "
        "meerdere waarden (T001038, 3000, 4000), en elke waarde zou een eigen meting per "
        "periode geven; kies de waarde die u wilt inlezen (vaak het totaal)"
    )
    assert parsed.frame.empty


def test_the_chosen_dimension_value_keeps_its_rows_only():
    parsed = measure(statline_bytes(*SEXES), dimensions={"Geslacht": "4000"})
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert records(parsed, "row", "period", "value") == [(4, "2019-01-01", 4.6)]
    total = measure(statline_bytes(*SEXES), dimensions={"Geslacht": "T001038"})
    assert records(total, "row", "value") == [(2, 4.5), (5, 4.7)]


def test_an_unknown_dimension_or_value_is_an_error():
    file = read(statline_bytes(*SEXES))
    parsed = measure(file, dimensions={"Geslacht": "9999", "Leeftijd": "10000"})
    assert located(parsed.errors) == [
        (1, "Geslacht", "statline_unknown_dimension_value", "9999"),
        (1, "Leeftijd", "statline_unknown_dimension", ""),
    ]
    assert parsed.errors[0].message("nl") == (
        "'9999' komt niet voor in kolom 'Geslacht'; kies een van deze waarden: T001038, 3000, 4000"
    )


# --------------------------------------------------------------------------- regions
REGIONS = (
    '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
    '1;"T001038";"GM0393    ";"2019MM01";"     5900";"       2.9"',
    '2;"T001038";"NL01      ";"2019MM01";" 17282163";"       3.4"',
    '3;"T001038";"PV27      ";"2019MM01";"  2900000";"       3.6"',
    '4;"T001038";"NL01      ";"2019MM02";" 17290000";"       ."',
)


def test_a_region_mapping_sets_area_and_group_and_leaves_other_regions_out():
    parsed = measure(
        statline_bytes(*REGIONS),
        regions={
            "GM0363": ("GM0363", "pilot"),
            " GM0393 ": ("GM0392", "comparison"),  # a merged municipality, stored as its heir
            "NL01": ("", "comparison"),
        },
    )
    assert parsed.errors == []
    assert_tidy_shape(parsed.frame)
    assert records(parsed, "row", "period", "area", "group", "value") == [
        (2, "2019-01-01", "GM0363", "pilot", 4.5),
        (3, "2019-01-01", "GM0392", "comparison", 2.9),
        (4, "2019-01-01", "", "comparison", 3.4),
    ]
    # PV27 was not mapped: left out without a word; NL01 in February is suppressed.
    assert located(parsed.warnings) == [(6, "Werkloosheid_2", "statline_suppressed", ".")]


def test_without_a_mapping_national_and_provincial_regions_are_errors():
    parsed = measure(statline_bytes(*REGIONS))
    assert located(parsed.errors) == [
        (4, "RegioS", "statline_region_not_mapped", "NL01"),
        (5, "RegioS", "statline_region_not_mapped", "PV27"),
        (6, "RegioS", "statline_region_not_mapped", "NL01"),
    ]
    assert parsed.errors[1].describe("nl") == (
        "bestand 85618NED.csv, rij 5, kolom 'RegioS', waarde 'PV27': regio 'PV27' is geen "
        "gemeente, wijk of buurt (GM####, WK###### of BU########) en kan alleen ingelezen "
        "worden als u haar koppelt aan een gebied en een groep (bijvoorbeeld Nederland als "
        "vergelijking); koppel de regio of laat haar weg"
    )
    # The rows keep their place in the frame, with the area missing.
    assert records(parsed, "row", "area", "group") == [
        (2, "GM0363", "pilot"),
        (3, "GM0393", "pilot"),
        (4, None, None),
        (5, None, None),
    ]


def test_a_region_mapped_to_something_that_is_not_an_area_or_group():
    parsed = measure(
        statline_bytes(*REGIONS),
        regions={
            "GM0363": ("Amsterdam", "pilot"),
            "GM0393": ("GM0393", "controle"),
            "PV27": ("GM0363", "vergelijking"),  # the Dutch word for the group is fine
            "GM9999": ("GM9999", "pilot"),
        },
    )
    assert [(e.row, e.code, dict(e.params)) for e in parsed.errors] == [
        (2, "statline_bad_mapped_area", {"area": "Amsterdam"}),
        (3, "statline_bad_mapped_group", {"group": "controle"}),
    ]
    assert parsed.errors[0].message("nl") == (
        "regio 'GM0363' is gekoppeld aan 'Amsterdam', en dat is geen CBS-gebiedscode; koppel "
        "haar aan GM####, WK###### of BU######## (of aan een leeg gebied)"
    )
    assert located(parsed.warnings) == [(0, "", "statline_region_not_in_file", "GM9999")]
    assert records(parsed, "row", "area", "group") == [
        (2, None, None),
        (3, None, None),
        (5, "GM0363", "comparison"),
    ]


def test_two_regions_mapped_to_one_area_are_duplicates():
    parsed = measure(
        statline_bytes(*REGIONS),
        regions={"GM0363": ("GM0363", "pilot"), "GM0393": ("GM0363", "pilot")},
    )
    assert located(parsed.errors) == [(3, "", "statline_duplicate", "")]
    assert parsed.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3: deze meting (periode 2019-01-01, gebied 'GM0363', groep "
        "pilot) komt ook uit rij 2; koppel elke regio aan een eigen gebied, of kies per "
        "dimensie één waarde"
    )


def test_an_empty_mapping_selects_no_rows():
    parsed = measure(statline_bytes(*REGIONS), regions={"GM9999": ("GM9999", "pilot")})
    assert [(e.row, e.code) for e in parsed.errors] == [(0, "statline_no_rows_selected")]


# --------------------------------------------------------------------------- bad cells
def test_an_unsupported_period_code_is_an_error_at_its_row():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"2019HJ01";"   872900";"       4.6"',
        '2;"T001038";"GM0363    ";"2019MM13";"   873000";"       4.7"',
    )
    parsed = measure(data)
    assert located(parsed.errors) == [
        (3, "Perioden", "statline_bad_period", "2019HJ01"),
        (4, "Perioden", "statline_bad_period", "2019MM13"),
    ]
    assert parsed.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3, kolom 'Perioden', waarde '2019HJ01': periodecode "
        "'2019HJ01' wordt niet ondersteund; gebruik een StatLine-download per maand (2019MM01 "
        "t/m 2019MM12), kwartaal (2019KW01 t/m 2019KW04) of jaar (2019JJ00)"
    )
    assert parsed.errors[0].describe("en") == (
        "file 85618NED.csv, row 3, column 'Perioden', value '2019HJ01': period code "
        "'2019HJ01' is not supported; use a StatLine download by month (2019MM01 to "
        "2019MM12), quarter (2019KW01 to 2019KW04) or year (2019JJ00)"
    )
    assert records(parsed, "row", "period") == [(2, "2019-01-01"), (3, None), (4, None)]


def test_a_damaged_figure_is_an_error_at_its_row():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
        '1;"T001038";"GM0363    ";"2019MM02";"   87290O";"       4.6"',
        '2;"T001038";"GM0363    ";"2019MM03";"   873000";"       4.7"',
    )
    file = read(data)
    # Most cells are numbers: still a topic, so the damaged cell is found where it is.
    assert file.topic_columns == ("Bevolking_1", "Werkloosheid_2")
    parsed = measure(file, {"value": "Bevolking_1"}, measure_code="inwoners")
    assert located(parsed.errors) == [(3, "Bevolking_1", "statline_not_a_number", "87290O")]
    assert parsed.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3, kolom 'Bevolking_1', waarde '87290O': '87290O' is geen "
        "getal en geen CBS-teken (. x -); controleer deze cel of download de tabel opnieuw"
    )
    assert records(parsed, "row", "value") == [(2, 872680.0), (3, None), (4, 873000.0)]


def test_a_huge_figure_is_an_error():
    data = statline_bytes('0;"T001038";"GM0363    ";"2019MM01";"   872680";"  2e12"')
    assert located(measure(data).errors) == [(2, "Werkloosheid_2", "too_large", "2e12")]


# --------------------------------------------------------------------------- the mapping
def test_an_unknown_topic_column_is_an_error_naming_the_topics():
    parsed = measure(statline_bytes(*MONTHLY), {"value": "Werkloosheid_3"})
    assert located(parsed.errors) == [(1, "Werkloosheid_3", "statline_unknown_topic", "")]
    assert parsed.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 1 (kolomnamen), kolom 'Werkloosheid_3': kolom "
        "'Werkloosheid_3' staat niet als onderwerp met cijfers in dit bestand; kies een van "
        "deze kolommen: Bevolking_1, Werkloosheid_2"
    )
    assert parsed.frame.empty


def test_the_period_region_or_id_column_is_no_topic():
    for column in ("Perioden", "RegioS", "ID"):
        parsed = measure(statline_bytes(*MONTHLY), {"value": column})
        assert [(e.column, e.code) for e in parsed.errors] == [(column, "statline_unknown_topic")]


def test_mistakes_in_the_mapping_itself():
    parsed = measure(statline_bytes(*MONTHLY), {"waarde": "Werkloosheid_2"}, measure_code="W 1")
    assert [(e.row, e.code, e.value) for e in parsed.errors] == [
        (0, "bad_measure_code", "W 1"),
        (0, "statline_unknown_value_column", "waarde"),
    ]
    empty = statline_measurements(
        read(statline_bytes(*MONTHLY)), StatlineMapping("werkloosheid", {})
    )
    assert [e.code for e in empty.errors] == ["statline_no_value_columns"]
    wrong = measure(statline_bytes(*MONTHLY), frequency="week")
    assert [(e.code, e.value) for e in wrong.errors] == [("statline_bad_frequency", "week")]


# --------------------------------------------------------------------------- proportions, counts
PROPORTION_HEADER = '"ID";"RegioS";"Perioden";"Werkzoekenden_1";"Beroepsbevolking_2"'


def test_a_proportion_needs_both_figures_or_the_row_is_missing():
    data = statline_bytes(
        '0;"GM0363    ";"2019KW01";"     3200";"    71000"',
        '1;"GM0363    ";"2019KW02";"        .";"    71100"',
        '2;"GM0363    ";"2019KW03";"     3300";"        x"',
        '3;"GM0363    ";"2019KW04";"        -";"    71300"',
        header=PROPORTION_HEADER,
    )
    parsed = measure(
        data,
        {"numerator": "Werkzoekenden_1", "denominator": "Beroepsbevolking_2"},
        measure_code="werkzoekenden",
    )
    assert parsed.errors == []
    assert parsed.value_columns == ("numerator", "denominator")
    assert_tidy_shape(parsed.frame)
    assert records(parsed, *ALL_COLUMNS) == [
        (
            2,
            "werkzoekenden",
            "2019-01-01",
            "GM0363",
            "pilot",
            None,
            3200.0,
            71000.0,
            None,
            None,
            "CBS StatLine 85618NED.csv",
        ),
        (
            5,
            "werkzoekenden",
            "2019-10-01",
            "GM0363",
            "pilot",
            None,
            0.0,
            71300.0,
            None,
            None,
            "CBS StatLine 85618NED.csv",
        ),
    ]
    assert located(parsed.warnings) == [
        (3, "Werkzoekenden_1", "statline_suppressed", "."),
        (4, "Beroepsbevolking_2", "statline_suppressed", "x"),
    ]


def test_a_numerator_larger_than_its_denominator_is_an_error():
    data = statline_bytes(
        '0;"GM0363    ";"2019KW01";"    72000";"    71000"', header=PROPORTION_HEADER
    )
    parsed = measure(
        data,
        {"numerator": "Werkzoekenden_1", "denominator": "Beroepsbevolking_2"},
        measure_code="werkzoekenden",
    )
    assert [(e.row, e.column, e.code, dict(e.params)) for e in parsed.errors] == [
        (2, "Werkzoekenden_1", "numerator_gt_denominator", {"denominator": "71000"})
    ]


COUNT_HEADER = '"ID";"SoortMisdrijf";"RegioS";"Perioden";"Misdrijven_1";"Bevolking_2"'


def test_a_count_with_its_exposure():
    data = statline_bytes(
        '0;"0.0.0 ";"WK036301  ";"2019MM01";"       12";"     1234"',
        '1;"0.0.0 ";"WK036301  ";"2019MM02";"        -";"     1240"',
        '2;"0.0.0 ";"WK036302  ";"2019MM01";"        5";"        -"',
        '3;"0.0.0 ";"WK036302  ";"2019MM02";"      2.5";"      800"',
        header=COUNT_HEADER,
    )
    parsed = measure(
        data, {"count": "Misdrijven_1", "exposure": "Bevolking_2"}, measure_code="misdrijven"
    )
    assert parsed.value_columns == ("count", "exposure")
    assert located(parsed.errors) == [(5, "Misdrijven_1", "not_integer", "2.5")]
    # Nothing can be divided by a population of nil: that period is missing, with a warning.
    assert located(parsed.warnings) == [(4, "Bevolking_2", "statline_zero_denominator", "-")]
    assert parsed.warnings[0].message("nl") == (
        "'Bevolking_2' is 0 ('-' betekent bij CBS nihil), en door 0 kan niet gedeeld worden; "
        "deze periode ontbreekt voor dit gebied"
    )
    assert_tidy_shape(parsed.frame)
    assert records(parsed, "row", "period", "area", "value", "count", "exposure") == [
        (2, "2019-01-01", "WK036301", None, 12.0, 1234.0),
        (3, "2019-02-01", "WK036301", None, 0.0, 1240.0),
        (5, "2019-02-01", "WK036302", None, None, 800.0),
    ]


# --------------------------------------------------------------------------- period lengths
MIXED = (
    '0;"T001038";"GM0363    ";"2019JJ00";"   872680";"       4.4"',
    '1;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5"',
    '2;"T001038";"GM0363    ";"2019MM02";"   872900";"       4.3"',
)


def test_months_and_year_totals_in_one_file_need_a_choice():
    file = read(statline_bytes(*MIXED))
    assert file.frequencies == ("month", "year")
    parsed = measure(file)
    assert located(parsed.errors) == [(1, "Perioden", "statline_mixed_frequencies", "MM, JJ")]
    assert parsed.frame.empty
    months = measure(file, frequency="month")
    assert records(months, "row", "period", "value") == [
        (3, "2019-01-01", 4.5),
        (4, "2019-02-01", 4.3),
    ]
    years = measure(file, frequency="year")
    assert records(years, "row", "period", "value") == [(2, "2019-01-01", 4.4)]


# --------------------------------------------------------------------------- messages
def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_statline_message_is_registered_in_dutch_and_english():
    for key, entry in statline.MESSAGES.items():
        assert key.startswith("import.statline_")
        assert i18n.MESSAGES[key] == entry
        assert set(entry) == {"nl", "en"}
        assert _placeholders(entry["nl"]) == _placeholders(entry["en"]), key


def test_an_unclosed_quote_is_located():
    data = statline_bytes(*MONTHLY[:1], '1;"T001038";"GM0363    ";"2019MM02";"   872900;4.6')
    file = read(data)
    assert [(e.row, e.code) for e in file.errors] == [(3, "statline_bad_csv")]
    assert file.errors[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3: deze regel kan niet gelezen worden (EOF inside string "
        "starting at row 2); controleer de aanhalingstekens en de ';' op deze regel, of "
        "download de tabel opnieuw"
    )


def test_lines_ending_in_a_separator_do_not_make_an_extra_column():
    data = statline_bytes(
        '0;"T001038";"GM0363    ";"2019MM01";"   872680";"       4.5";',
        '1;"T001038";"GM0363    ";"2019MM02";"   872900";"       4.6";',
        header=HEADER + ";",
    )
    file = read(data)
    assert file.ok
    assert "|".join(file.frame.columns) == "ID|Geslacht|RegioS|Perioden|Bevolking_1|Werkloosheid_2"
    assert records(measure(file), "row", "value") == [(2, 4.5), (3, 4.6)]


def test_a_wijken_en_buurten_file_with_codes_and_names_per_region():
    header = (
        '"ID";"WijkenEnBuurten";"Perioden";"Gemeentenaam_1";"SoortRegio_2";"Codering_3";'
        '"AantalInwoners_5"'
    )
    data = statline_bytes(
        '0;"GM0363    ";"2023JJ00";"Amsterdam ";"Gemeente  ";"GM0363    ";"   918117"',
        '1;"WK036300  ";"2023JJ00";"Amsterdam ";"Wijk      ";"WK036300  ";"     7290"',
        '2;"BU03630000";"2023JJ00";"Amsterdam ";"Buurt     ";"BU03630000";"     1005"',
        header=header,
    )
    file = read(data)
    assert (file.period_column, file.region_column) == ("Perioden", "WijkenEnBuurten")
    assert file.topic_columns == ("AantalInwoners_5",)
    # Several values, one per region: they describe the region, no choice is asked for.
    # (One value for every row is a dimension that needs no choice either.)
    assert file.label_columns == ("SoortRegio_2", "Codering_3")
    assert file.dimension_values == {"Gemeentenaam_1": ("Amsterdam",)}
    parsed = measure(file, {"count": "AantalInwoners_5"}, measure_code="inwoners")
    assert parsed.errors == []
    assert records(parsed, "area", "count") == [
        ("GM0363", 918117.0),
        ("WK036300", 7290.0),
        ("BU03630000", 1005.0),
    ]
