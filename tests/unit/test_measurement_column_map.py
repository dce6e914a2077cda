"""Reading a file whose headers are a municipality's own, through a chosen column mapping."""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import pandas as pd
import pytest

from tracker.io.measurements import (
    HeaderPreview,
    ParsedMeasurements,
    parse_measurement_bytes,
    read_header,
    read_measurement_file,
    suggest_columns,
)

TODAY = dt.date(2025, 6, 30)
# An officer's own registration: Dutch headers, a remark column, a blank line (row 3).
OWN_CSV = (
    "Maand;Wijk;Aantal meldingen;Inwoners;Opmerking\n"
    "2021-03-01;WK036301;12;1500;let op\n"
    "\n"
    "01-04-2021;wk036302;7;1250;\n"
)
OWN_MAPPING = {
    "Maand": "period",
    "Wijk": "area",
    "Aantal meldingen": "count",
    "Inwoners": "exposure",
    "Opmerking": "",
}
OWN_RECORDS = [
    (2, "meldingen", "2021-03-01", "WK036301", "pilot", 12.0, 1500.0, None),
    (4, "meldingen", "2021-04-01", "WK036302", "pilot", 7.0, 1250.0, None),
]
COLUMNS = ("row", "measure", "period", "area", "group", "count", "exposure", "value")


def parse(content: str | bytes, name: str = "eigen.csv", **kwargs: Any) -> ParsedMeasurements:
    data = content.encode() if isinstance(content, str) else content
    kwargs.setdefault("measure_code", "meldingen")
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


def located(errors: list[Any]) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.code, e.value) for e in errors]


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


OWN_XLSX = [
    ["Periode (maand)", "Buurtcode", "Teller", "Noemer", "Toelichting"],
    [dt.datetime(2021, 3, 1), "BU03630101", 3, 40, "eerste meting"],
    [None, None, None, None, None],
    ["2021-04-01", "bu03630101", 5, 41.5, None],
]


# --------------------------------------------------------------------------- parsing with a map
def test_a_csv_file_with_its_own_headers_is_read_through_the_mapping():
    parsed = parse(OWN_CSV, columns=OWN_MAPPING)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert parsed.value_columns == ("count", "exposure")
    assert records(parsed, *COLUMNS) == OWN_RECORDS


def test_an_xlsx_file_with_its_own_headers_is_read_through_the_mapping():
    columns = {
        "Periode (maand)": "period",
        "Buurtcode": "area",
        "Teller": "numerator",
        "Noemer": "denominator",
        "Toelichting": "source",
    }
    parsed = parse(xlsx_bytes(OWN_XLSX), name="eigen.xlsx", columns=columns)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert parsed.value_columns == ("numerator", "denominator")
    assert records(parsed, "row", "period", "area", "numerator", "denominator", "source") == [
        (2, "2021-03-01", "BU03630101", 3.0, 40.0, "eerste meting"),
        (4, "2021-04-01", "BU03630101", 5.0, 41.5, ""),
    ]


def test_without_a_mapping_the_same_files_give_the_existing_errors():
    csv_parsed = parse(OWN_CSV)
    assert located(csv_parsed.errors) == [
        (1, "period", "missing_column", ""),
        (1, "value", "missing_value_columns", ""),
    ]
    assert [(w.code, w.value) for w in csv_parsed.warnings] == [
        ("ignored_column", name) for name in OWN_MAPPING
    ]
    xlsx_parsed = parse(xlsx_bytes(OWN_XLSX), name="eigen.xlsx", measure_code=None)
    assert located(xlsx_parsed.errors) == [
        (1, "period", "missing_column", ""),
        (1, "measure", "missing_measure_column", ""),
    ]
    assert len(xlsx_parsed.frame) == 0


def test_headers_the_mapping_does_not_name_are_read_as_before():
    text = "Maand;waarde;Opmerking;Notitie\n2021-03-01;4,5;x;y\n"
    parsed = parse(text, columns={"Maand": "period", "Notitie": ""})
    assert parsed.errors == []
    assert [(w.code, w.value) for w in parsed.warnings] == [("ignored_column", "Opmerking")]
    assert records(parsed, "row", "period", "value") == [(2, "2021-03-01", 4.5)]


def test_a_column_chosen_to_be_ignored_gives_no_warning_and_is_not_read():
    # "aantal" would be read as count without the mapping.
    text = "period;value;aantal\n2021-03-01;4;twaalf\n"
    assert [w.value for w in parse(text).warnings] == []
    assert [e.code for e in parse(text).errors] == ["not_a_number"]
    parsed = parse(text, columns={"aantal": ""})
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert parsed.value_columns == ("value",)
    assert records(parsed, "value", "count") == [(4.0, None)]


def test_mapping_headers_ignore_case_whitespace_quotes_and_a_bom():
    text = '\ufeff"MAAND" ; Wijk;aantal MELDINGEN;Inwoners\n2021-03-01;WK036301;12;1500\n'
    columns = {" maand ": "period", '"wijk"': "area", "Aantal Meldingen": "count"}
    parsed = parse(text, columns=columns)
    assert parsed.errors == []
    assert [(w.code, w.value) for w in parsed.warnings] == [("ignored_column", "Inwoners")]
    assert records(parsed, "period", "area", "count") == [("2021-03-01", "WK036301", 12.0)]


def test_the_mapping_decides_the_separator_of_a_comma_file_with_unknown_headers():
    text = "Maand,Wijk,Aantal meldingen,Inwoners,Opmerking\n2021-03-01,WK036301,12,1500,x\n"
    parsed = parse(text, columns=OWN_MAPPING)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert records(parsed, "period", "area", "count", "exposure") == [
        ("2021-03-01", "WK036301", 12.0, 1500.0)
    ]


def test_two_columns_mapped_to_one_tidy_column_are_a_duplicate_column():
    columns = {**OWN_MAPPING, "Inwoners": "count"}
    parsed = parse(OWN_CSV, columns=columns)
    assert located(parsed.errors) == [(1, "count", "duplicate_column", "Inwoners")]
    assert parsed.errors[0].describe("nl") == (
        "bestand eigen.csv, rij 1 (kolomnamen), kolom 'count': de kolommen 'Aantal meldingen' "
        "en 'Inwoners' worden allebei ingelezen als 'count'; houd één van beide over (in het "
        "bestand, of in de gekozen koppeling van de kolommen)"
    )
    assert parsed.errors[0].describe("en") == (
        "file eigen.csv, row 1 (column names), column 'count': the columns 'Aantal meldingen' "
        "and 'Inwoners' are both read as 'count'; keep one of the two (in the file, or in the "
        "chosen column mapping)"
    )
    assert len(parsed.frame) == 0


def test_a_mapped_column_and_a_known_name_for_the_same_tidy_column_are_a_duplicate():
    text = "periode;Maand;value\n2021-03-01;2021-04-01;1\n"
    parsed = parse(text, name="m.csv", columns={"Maand": "period"})
    assert located(parsed.errors) == [(1, "period", "duplicate_column", "Maand")]
    assert dict(parsed.errors[0].params) == {"first": "periode"}
    xlsx = xlsx_bytes([["periode", "Maand", "value"], ["2021-03-01", "2021-04-01", 1]])
    parsed = parse(xlsx, name="m.xlsx", columns={"Maand": "period"})
    assert located(parsed.errors) == [(1, "period", "duplicate_column", "Maand")]


def test_a_duplicate_without_a_mapping_still_names_both_headers():
    parsed = parse("period;value;Waarde\n2021-03-01;1;2\n")
    assert located(parsed.errors) == [(1, "value", "duplicate_column", "Waarde")]
    assert parsed.errors[0].message("nl") == (
        "de kolommen 'value' en 'Waarde' worden allebei ingelezen als 'value'; houd één van "
        "beide over (in het bestand, of in de gekozen koppeling van de kolommen)"
    )


def test_a_mapped_header_the_file_lacks_is_an_error_naming_it():
    columns = {**OWN_MAPPING, "Datum melding": "period", "Maand": ""}
    parsed = parse(OWN_CSV, columns=columns)
    assert located(parsed.errors) == [(1, "", "mapped_column_missing", "Datum melding")]
    assert parsed.errors[0].describe("nl") == (
        "bestand eigen.csv, rij 1: de kolom 'Datum melding' uit de gekozen koppeling van de "
        "kolommen staat niet op rij 1 van dit bestand; kies de koppeling van de kolommen "
        "opnieuw voor dit bestand"
    )
    assert parsed.errors[0].describe("en") == (
        "file eigen.csv, row 1: the column 'Datum melding' of the chosen column mapping is not "
        "in row 1 of this file; choose the column mapping again for this file"
    )
    assert len(parsed.frame) == 0


def test_a_mapping_made_for_another_xlsx_file_is_reported_for_each_header_it_lacks():
    parsed = parse(xlsx_bytes(OWN_XLSX), name="eigen.xlsx", columns=OWN_MAPPING)
    assert [(e.code, e.value) for e in parsed.errors] == [
        ("mapped_column_missing", name) for name in OWN_MAPPING
    ]


@pytest.mark.parametrize("target", ["Period", "periode", " period", "row", "tijd", None])
def test_a_target_that_is_no_tidy_column_is_a_programming_error(target, tmp_path):
    with pytest.raises(ValueError, match="the target must be one of"):
        parse(OWN_CSV, columns={"Maand": target})
    # Also before anything is read: the file need not exist.
    with pytest.raises(ValueError, match="the target must be one of"):
        read_measurement_file(tmp_path / "absent.csv", columns={"Maand": target})


def test_an_ambiguous_or_unnamed_mapping_header_is_a_programming_error():
    with pytest.raises(ValueError, match="same header with different targets"):
        parse(OWN_CSV, columns={"Maand": "period", " MAAND": "area"})
    with pytest.raises(ValueError, match="the header is empty"):
        parse(OWN_CSV, columns={" ": "area"})
    # The same header twice with one target, or an unnamed one skipped, is harmless.
    parsed = parse(OWN_CSV, columns={**OWN_MAPPING, "maand": "period", "": ""})
    assert records(parsed, *COLUMNS) == OWN_RECORDS


def test_read_measurement_file_passes_the_mapping_on(tmp_path):
    path = tmp_path / "eigen.csv"
    path.write_text(OWN_CSV, encoding="utf-8")
    parsed = read_measurement_file(path, measure_code="meldingen", today=TODAY, columns=OWN_MAPPING)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert records(parsed, *COLUMNS) == OWN_RECORDS
    path = tmp_path / "eigen.xlsx"
    path.write_bytes(xlsx_bytes(OWN_XLSX))
    parsed = read_measurement_file(path, today=TODAY, columns={"Buurtcode": ""})
    assert [w.value for w in parsed.warnings] == ["Periode (maand)", "Toelichting"]


# --------------------------------------------------------------------------- read_header
def test_read_header_of_a_semicolon_csv():
    preview = read_header(OWN_CSV.encode(), file_name="eigen.csv")
    assert preview == HeaderPreview(
        file_name="eigen.csv",
        names=["Maand", "Wijk", "Aantal meldingen", "Inwoners", "Opmerking"],
        suggested=OWN_MAPPING,
        rows=[
            ["2021-03-01", "WK036301", "12", "1500", "let op"],
            ["01-04-2021", "wk036302", "7", "1250", ""],
        ],
        errors=[],
    )
    # The suggestion read straight back gives the tidy frame.
    parsed = parse(OWN_CSV, columns=preview.suggested)
    assert records(parsed, *COLUMNS) == OWN_RECORDS


def test_read_header_of_a_comma_csv_with_quotes_and_a_short_row():
    data = b'Datum,"Gebied, code",Waarde\n2021-03-01,"WK036301",1.5\n2021-04-01\n'
    preview = read_header(data, file_name="eigen.txt")
    assert preview.errors == []
    assert preview.names == ["Datum", "Gebied, code", "Waarde"]
    assert preview.suggested == {"Datum": "period", "Gebied, code": "area", "Waarde": "value"}
    assert preview.rows == [["2021-03-01", "WK036301", "1.5"], ["2021-04-01", "", ""]]


def test_read_header_splits_unknown_names_and_the_parse_splits_them_alike():
    data = b"A,B,C\n2021-03-01,7,x\n"
    preview = read_header(data, file_name="eigen.csv")
    assert (preview.names, preview.suggested, preview.rows) == (
        ["A", "B", "C"],
        {"A": "", "B": "", "C": ""},
        [["2021-03-01", "7", "x"]],
    )
    parsed = parse(data, columns={"A": "period", "B": "value", "C": ""})
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert records(parsed, "period", "value") == [("2021-03-01", 7.0)]


def test_read_header_splits_by_the_names_it_can_suggest_a_column_for():
    # Split at ',' this line has more fields, but only one that names a known thing.
    data = "Maand;Wijk;Soort (overlast, geluid, afval, anders)\n2021-03-01;WK036301;geluid\n"
    preview = read_header(data.encode(), file_name="eigen.csv")
    assert preview.names == ["Maand", "Wijk", "Soort (overlast, geluid, afval, anders)"]
    assert preview.rows == [["2021-03-01", "WK036301", "geluid"]]
    columns = {**preview.suggested, "Soort (overlast, geluid, afval, anders)": "value"}
    parsed = parse(data, columns=columns)
    assert [(e.row, e.column, e.code) for e in parsed.errors] == [(2, "value", "not_a_number")]


def test_a_header_twice_is_suggested_alike_and_read_back_as_a_duplicate():
    data = b"Maand;Aantal;aantal\n2021-03-01;1;2\n"
    preview = read_header(data, file_name="eigen.csv")
    assert preview.suggested == {"Maand": "period", "Aantal": "count", "aantal": "count"}
    parsed = parse(data, columns=preview.suggested)
    assert located(parsed.errors) == [(1, "count", "duplicate_column", "aantal")]


def test_read_header_of_an_xlsx_file():
    preview = read_header(xlsx_bytes(OWN_XLSX), file_name="eigen.xlsx", max_rows=5)
    assert preview == HeaderPreview(
        file_name="eigen.xlsx",
        names=["Periode (maand)", "Buurtcode", "Teller", "Noemer", "Toelichting"],
        suggested={
            "Periode (maand)": "period",
            "Buurtcode": "area",
            "Teller": "numerator",
            "Noemer": "denominator",
            "Toelichting": "",
        },
        rows=[
            ["2021-03-01", "BU03630101", "3", "40", "eerste meting"],
            ["2021-04-01", "bu03630101", "5", "41.5", ""],
        ],
        errors=[],
    )


def test_read_header_shows_at_most_max_rows_and_drops_unnamed_columns_at_the_end():
    lines = ["Maand;Aantal;;"] + [f"2021-0{m}-01;{m};x;" for m in range(1, 9)]
    preview = read_header("\n".join(lines).encode(), file_name="eigen.csv", max_rows=3)
    assert preview.names == ["Maand", "Aantal"]
    assert preview.rows == [["2021-01-01", "1"], ["2021-02-01", "2"], ["2021-03-01", "3"]]
    sheet = [["Maand", None, "Aantal", None]] + [[f"2021-0{m}-01", "x", m, "y"] for m in (1, 2)]
    preview = read_header(xlsx_bytes(sheet), file_name="eigen.xlsx", max_rows=1)
    assert (preview.names, preview.suggested, preview.rows) == (
        ["Maand", "", "Aantal"],
        {"Maand": "period", "": "", "Aantal": "count"},
        [["2021-01-01", "x", "1"]],
    )


def test_read_header_decodes_as_the_parser_does():
    bom = b"\xef\xbb\xbfPeriode;Waarde;Bron\n2021-03-01;1,5;caf\xc3\xa9\n"
    assert read_header(bom, file_name="m.csv").names == ["Periode", "Waarde", "Bron"]
    assert read_header(bom, file_name="m.csv").rows == [["2021-03-01", "1,5", "café"]]
    # Windows-1252 (as the parser falls back to): the header decodes as the parse reads it.
    cp1252 = "Maand;Aantal;Caféwijk\n2021-03-01;1;Café Noord\n".encode("cp1252")
    preview = read_header(cp1252, file_name="m.csv")
    assert (preview.names, preview.errors) == (["Maand", "Aantal", "Caféwijk"], [])
    assert preview.rows == [["2021-03-01", "1", "Café Noord"]]
    parsed = parse(cp1252, columns={"Maand": "period", "Caféwijk": ""})
    assert (parsed.errors, [w.code for w in parsed.warnings]) == ([], ["encoding_fallback"])
    assert records(parsed, "period", "count") == [("2021-03-01", 1.0)]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"", "m.csv", [(0, "", "empty_file", "")]),
        (b"\xef\xbb\xbf \n\r\n", "m.csv", [(0, "", "empty_file", "")]),
        (b"\nperiod;value\n", "m.csv", [(1, "", "no_header", "")]),
        (b"Maand;Aantal\n", "m.csv", [(2, "", "no_rows", "")]),
        (b"Maand;Aantal\n;\n \n", "m.csv", [(2, "", "no_rows", "")]),
        (b"Maand;Aantal\n1;2\n", "m.ods", [(0, "", "unsupported_extension", ".ods")]),
        (b"\xff\xfeM\x00", "m.csv", [(0, "", "encoding", "")]),
        (b"PK\x03\x04 not really", "m.csv", [(0, "", "not_csv", "")]),
        (b"not a workbook", "m.xlsx", [(0, "", "unreadable_xlsx", "")]),
    ],
)
def test_read_header_reports_what_leaves_nothing_to_map(data, name, expected):
    preview = read_header(data, file_name=name)
    assert located(preview.errors) == expected
    assert preview.rows == []
    assert all(e.file == name for e in preview.errors)


def test_read_header_of_an_xlsx_file_with_only_a_header():
    preview = read_header(xlsx_bytes([["Maand", "Aantal"]]), file_name="m.xlsx")
    assert (preview.names, located(preview.errors)) == (
        ["Maand", "Aantal"],
        [(2, "", "no_rows", "")],
    )


# --------------------------------------------------------------------------- suggest_columns
@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["Maand", "Wijk", "Aantal meldingen", "Inwoners"],
            {
                "Maand": "period",
                "Wijk": "area",
                "Aantal meldingen": "count",
                "Inwoners": "exposure",
            },
        ),
        (
            ["period", "measure", "value", "group", "area", "source"],
            {c: c for c in ["period", "measure", "value", "group", "area", "source"]},
        ),
        (
            # Aliases first, whatever their place; then words; each column once.
            ["Datum", "Buurt", "Wijkcode", "Periode", "Teller", "Noemer", "Doelgroep"],
            {
                "Datum": "",
                "Buurt": "area",
                "Wijkcode": "",
                "Periode": "period",
                "Teller": "numerator",
                "Noemer": "denominator",
                "Doelgroep": "",
            },
        ),
        (
            ["Jaar", "Kwartaal", "Regio", "Aantal inwoners", "Totaal aantal meldingen", "Bron"],
            {
                "Jaar": "period",
                "Kwartaal": "",
                "Regio": "area",
                "Aantal inwoners": "exposure",
                "Totaal aantal meldingen": "count",
                "Bron": "source",
            },
        ),
        (
            ["Indicator", "Gemiddelde score per wijk", "Wijk", "Groep", "Totaal", "Opmerking"],
            {
                "Indicator": "measure",
                "Gemiddelde score per wijk": "value",
                "Wijk": "area",
                "Groep": "group",
                "Totaal": "denominator",
                "Opmerking": "",
            },
        ),
        (
            ["Date", "Month", "neighbourhood", "COUNT", "population", "wijk_code"],
            {
                "Date": "period",
                "Month": "",
                "neighbourhood": "",
                "COUNT": "count",
                "population": "",
                "wijk_code": "area",
            },
        ),
        (
            ["Noemer (aantal inwoners)", "Teller: aantal meldingen", "Bevolking", "Maat"],
            {
                "Noemer (aantal inwoners)": "denominator",
                "Teller: aantal meldingen": "numerator",
                "Bevolking": "exposure",
                "Maat": "measure",
            },
        ),
        (
            # One header to a mapping: one suggestion.
            ["Aantal", "Maand", "aantal", ' "AANTAL" '],
            {"Aantal": "count", "Maand": "period", "aantal": "count", ' "AANTAL" ': "count"},
        ),
        (
            # A header whose first column is taken is not offered its next one.
            ["Aantal", "Totaal aantal meldingen", "Inwoners", "Aantal inwoners"],
            {
                "Aantal": "count",
                "Totaal aantal meldingen": "",
                "Inwoners": "exposure",
                "Aantal inwoners": "",
            },
        ),
        ([], {}),
    ],
)
def test_suggest_columns(names, expected):
    suggested = suggest_columns(names)
    assert suggested == expected
    assert list(suggested) == list(expected)  # file order
