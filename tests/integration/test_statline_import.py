"""CBS StatLine downloads imported into a pilot: the service and `tracker measurements
import-statline`, on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.

Every file is hand-made in the StatLine "TypedDataSet" shape: ';'-separated, quoted, region
codes padded with spaces, figures right-aligned, '.' and 'x' for figures CBS does not publish.
The pilot of ``make_world`` (Amsterdam, GM0363, area WK036301 in the pilot group) runs from
2020-01-01 to 2022-12-31.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import tracker.cli
import tracker.cli.measurements
from tests import factories
from tests.db_helpers import row_counts
from tests.import_helpers import CONTINUOUS, COUNT, PROPORTION, d, make_world, stored
from tracker.db import session_scope
from tracker.io.statline import StatlineMapping
from tracker.services import audit
from tracker.services.access import system
from tracker.services.measurements import ImportReport
from tracker.services.measures import get_measure
from tracker.services.pilots import get_pilot
from tracker.services.statline_import import import_statline, read_statline, suggest_mapping
from tracker.services.verdicts import stored_verdicts

ACTOR = system("analist@gemeente.example")


def statline(header: str, *rows: str, bom: bool = False) -> bytes:
    """A StatLine download: header and rows, CRLF line ends (as CBS writes them)."""
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def located(errors: list[Any]) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.code, e.value) for e in errors]


# --------------------------------------------------------------------------- the files
# Months; a dimension (Geslacht: T001038 = totaal, 3000 = mannen); districts and the
# municipality, padded; '.' and 'x' suppressed; a district the pilot does not use (row 10).
MONTHLY_HEADER = '"ID";"Geslacht";"WijkenEnBuurten";"Perioden";"Contacten_1"'
MONTHLY_ROWS = (
    '0;"T001038";"WK036301  ";"2021MM01";"      12"',  # row 2
    '1;"T001038";"WK036301  ";"2021MM02";"       ."',  # row 3: suppressed
    '2;"T001038";"WK036301  ";"2021MM03";"      15"',  # row 4
    '3;"T001038";"GM0363    ";"2021MM01";"     140"',  # row 5
    '4;"T001038";"GM0363    ";"2021MM02";"       x"',  # row 6: secret
    '5;"T001038";"GM0363    ";"2021MM03";"     151"',  # row 7
    '6;"3000";"WK036301  ";"2021MM01";"       7"',  # row 8: men only, not chosen
    '7;"3000";"GM0363    ";"2021MM01";"      70"',  # row 9
    '8;"T001038";"WK036302  ";"2021MM01";"      20"',  # row 10: a district not mapped
)
MONTHLY = statline(MONTHLY_HEADER, *MONTHLY_ROWS, bom=True)
MONTHLY_NAME = "85618NED.csv"
MONTHLY_MAPPING = StatlineMapping(
    measure_code=CONTINUOUS,
    columns={"value": "Contacten_1"},
    regions={"WK036301": ("WK036301", "pilot"), "GM0363": ("GM0363", "comparison")},
    dimensions={"Geslacht": "T001038"},
)
MONTHLY_STORED = [
    (CONTINUOUS, d("2021-01-01"), "GM0363", "comparison", 140.0),
    (CONTINUOUS, d("2021-01-01"), "WK036301", "pilot", 12.0),
    (CONTINUOUS, d("2021-03-01"), "GM0363", "comparison", 151.0),
    (CONTINUOUS, d("2021-03-01"), "WK036301", "pilot", 15.0),
]
MONTHLY_LEFT_OUT = [
    (3, "Contacten_1", "statline_suppressed", "."),
    (6, "Contacten_1", "statline_suppressed", "x"),
]

# Quarters; a proportion from two topics; '-' (nihil) is 0, '.' and 'x' are missing.
QUARTERLY = statline(
    '"ID";"RegioS";"Perioden";"Verwezen_1";"Clienten_2"',
    '0;"GM0363    ";"2021KW01";"      30";"     200"',  # row 2
    '1;"GM0363    ";"2021KW02";"       -";"     210"',  # row 3: nihil numerator → 0
    '2;"GM0363    ";"2021KW03";"      33";"       ."',  # row 4: denominator suppressed
    '3;"GM0344    ";"2021KW01";"      25";"     180"',  # row 5
    '4;"GM0344    ";"2021KW02";"       x";"     185"',  # row 6: numerator secret
)
QUARTERLY_MAPPING = StatlineMapping(
    measure_code=PROPORTION,
    columns={"numerator": "Verwezen_1", "denominator": "Clienten_2"},
    regions={"GM0363": ("GM0363", "pilot"), "GM0344": ("GM0344", "comparison")},
)

# Years; a count with its exposure; neighbourhoods (BU codes fill the field); an exposure of
# '-' (nihil, 0) cannot be divided by.
YEARLY = statline(
    '"ID";"Codering_3";"Perioden";"Meldingen_1";"Inwoners_2"',
    '0;"BU03630101";"2020JJ00";"      12";"    1500"',  # row 2
    '1;"BU03630101";"2021JJ00";"       .";"    1510"',  # row 3: suppressed
    '2;"BU03630102";"2020JJ00";"       9";"    1200"',  # row 4
    '3;"BU03630102";"2021JJ00";"       4";"       -"',  # row 5: exposure 0
    '4;"BU03630101";"2022JJ00";"      10";"    1520"',  # row 6
)
YEARLY_MAPPING = StatlineMapping(
    measure_code=COUNT,
    columns={"count": "Meldingen_1", "exposure": "Inwoners_2"},
    regions={"BU03630101": ("BU03630101", "pilot"), "BU03630102": ("BU03630102", "comparison")},
    source="CBS StatLine 83765NED, kerncijfers buurten",
)


def run_import(
    engine, pilot_id: int, data: bytes, mapping: StatlineMapping, **kwargs: Any
) -> ImportReport:
    kwargs.setdefault("file_name", MONTHLY_NAME)
    with session_scope(engine) as session:
        return import_statline(session, pilot_id, data, mapping=mapping, actor=ACTOR, **kwargs)


def values(engine) -> list[tuple[Any, ...]]:
    """(measure, period, area, group, value) of every stored measurement, ordered."""
    return [row[:5] for row in stored(engine)]


# --------------------------------------------------------------------------- good files
def test_a_monthly_file_stores_the_chosen_regions_and_dimension_and_leaves_out_suppressed(
    engine,
):
    world = make_world(engine)
    report = run_import(engine, world.pilot_id, MONTHLY, MONTHLY_MAPPING)
    assert (report.errors, report.rows_read, report.rows_written) == ([], 4, 4)
    assert report.measure_codes == (CONTINUOUS,)
    # The suppressed February figures give no row at all: missing, never 0.
    assert values(engine) == MONTHLY_STORED
    assert {row[5:] for row in stored(engine)} == {
        (None, None, None, None, f"CBS StatLine {MONTHLY_NAME}", ACTOR.name)
    }
    assert located(report.warnings) == MONTHLY_LEFT_OUT
    assert report.warnings[0].describe("nl") == (
        "bestand 85618NED.csv, rij 3, kolom 'Contacten_1', waarde '.': CBS publiceert dit "
        "cijfer niet ('.': onbekend, te onbetrouwbaar of geheim); deze periode ontbreekt voor "
        "dit gebied, er wordt geen 0 ingelezen"
    )


def test_a_quarterly_file_gives_a_proportion_from_two_topic_columns(engine):
    world = make_world(engine)
    report = run_import(engine, world.pilot_id, QUARTERLY, QUARTERLY_MAPPING)
    assert (report.errors, report.rows_written) == ([], 3)
    assert [(r[1], r[2], r[3], r[5], r[6]) for r in stored(engine)] == [
        (d("2021-01-01"), "GM0344", "comparison", 25.0, 180.0),
        (d("2021-01-01"), "GM0363", "pilot", 30.0, 200.0),
        (d("2021-04-01"), "GM0363", "pilot", 0.0, 210.0),  # '-' is nihil: a real 0
    ]
    assert [r[4] for r in stored(engine)] == [None, None, None]  # no 'value' for a proportion
    assert located(report.warnings) == [
        (4, "Clienten_2", "statline_suppressed", "."),
        (6, "Verwezen_1", "statline_suppressed", "x"),
    ]


def test_a_yearly_file_gives_a_count_with_its_exposure(engine):
    world = make_world(engine)
    report = run_import(engine, world.pilot_id, YEARLY, YEARLY_MAPPING, file_name="83765.csv")
    assert (report.errors, report.rows_written) == ([], 3)
    assert [(r[1], r[2], r[3], r[7], r[8], r[9]) for r in stored(engine)] == [
        (d("2020-01-01"), "BU03630101", "pilot", 12.0, 1500.0, YEARLY_MAPPING.source),
        (d("2020-01-01"), "BU03630102", "comparison", 9.0, 1200.0, YEARLY_MAPPING.source),
        (d("2022-01-01"), "BU03630101", "pilot", 10.0, 1520.0, YEARLY_MAPPING.source),
    ]
    assert located(report.warnings) == [
        (3, "Meldingen_1", "statline_suppressed", "."),
        (5, "Inwoners_2", "statline_zero_denominator", "-"),
    ]


def test_without_a_region_mapping_every_area_code_is_its_own_pilot_area(engine):
    world = make_world(engine)
    mapping = StatlineMapping(CONTINUOUS, {"value": "Contacten_1"}, dimensions={"Geslacht": "3000"})
    report = run_import(engine, world.pilot_id, MONTHLY, mapping)
    assert report.errors == []
    assert values(engine) == [
        (CONTINUOUS, d("2021-01-01"), "GM0363", "pilot", 70.0),
        (CONTINUOUS, d("2021-01-01"), "WK036301", "pilot", 7.0),
    ]


def test_a_dry_run_checks_everything_and_writes_nothing(engine):
    world = make_world(engine)
    with session_scope(engine) as session:
        factories.hypothesis(session, world.pilot_id)
    before = row_counts(engine)
    report = run_import(engine, world.pilot_id, MONTHLY, MONTHLY_MAPPING, dry_run=True)
    assert (report.ok, report.dry_run, report.rows_read, report.rows_written) == (
        True,
        True,
        4,
        0,
    )
    assert located(report.warnings) == MONTHLY_LEFT_OUT
    assert row_counts(engine) == before  # no measurements, audit event or verdicts


def test_a_successful_import_writes_one_audit_event_with_the_mapping(engine):
    world = make_world(engine)
    before = row_counts(engine)["audit_event"]
    run_import(engine, world.pilot_id, MONTHLY, MONTHLY_MAPPING)
    with session_scope(engine) as session:
        events = audit.list_events(session)
        assert len(events) == before + 1
        event = events[-1]
        assert (event.entity, event.action, event.pilot_id, event.actor) == (
            "measurement",
            "import",
            world.pilot_id,
            ACTOR.name,
        )
        assert event.after == {
            "file": MONTHLY_NAME,
            "rows": 4,
            "sha256": hashlib.sha256(MONTHLY).hexdigest(),
            "measures": [CONTINUOUS],
            "dry_run": False,
            "statline": {
                "columns": {"value": "Contacten_1"},
                "regions": {
                    "WK036301": ["WK036301", "pilot"],
                    "GM0363": ["GM0363", "comparison"],
                },
                "dimensions": {"Geslacht": "T001038"},
                "frequency": None,
                "left_out": 2,
            },
        }
        assert audit.verify_chain(session).ok


def test_a_successful_import_refreshes_the_stored_verdicts(engine):
    world = make_world(engine)
    with session_scope(engine) as session:
        hypothesis = factories.hypothesis(session, world.pilot_id)
        assert stored_verdicts(session, world.pilot_id) == {}
    run_import(engine, world.pilot_id, MONTHLY, MONTHLY_MAPPING)
    with session_scope(engine) as session:
        verdicts = stored_verdicts(session, world.pilot_id)
        assert list(verdicts) == [hypothesis.id]
        assert verdicts[hypothesis.id].pilot_id == world.pilot_id
        assert verdicts[hypothesis.id].result_json  # the full analysis is kept


# --------------------------------------------------------------------------- errors
def replace_row(row: int, old: str, new: str) -> bytes:
    """MONTHLY with ``old`` replaced by ``new`` in spreadsheet row ``row``."""
    rows = list(MONTHLY_ROWS)
    assert old in rows[row - 2]
    rows[row - 2] = rows[row - 2].replace(old, new)
    return statline(MONTHLY_HEADER, *rows, bom=True)


@pytest.mark.parametrize(
    ("data", "measure", "expected"),
    [
        pytest.param(
            replace_row(7, "2021MM03", "2021HJ01"),
            CONTINUOUS,
            [(7, "Perioden", "statline_bad_period", "2021HJ01")],
            id="half-year period code",
        ),
        pytest.param(
            replace_row(4, "2021MM03", "2021MM13"),
            CONTINUOUS,
            [(4, "Perioden", "statline_bad_period", "2021MM13")],
            id="month 13",
        ),
        pytest.param(
            replace_row(5, '"     140"', '"    14,0a"'),
            CONTINUOUS,
            [(5, "Contacten_1", "statline_not_a_number", "14,0a")],
            id="not a number",
        ),
        pytest.param(
            MONTHLY, "onbekend", [(0, "measure", "unknown_measure", "onbekend")], id="measure"
        ),
    ],
)
def test_an_error_anywhere_writes_nothing_and_names_the_statline_cell(
    engine, data, measure, expected
):
    world = make_world(engine)
    before = row_counts(engine)
    mapping = StatlineMapping(
        measure, MONTHLY_MAPPING.columns, MONTHLY_MAPPING.regions, MONTHLY_MAPPING.dimensions
    )
    report = run_import(engine, world.pilot_id, data, mapping)
    assert located(report.errors) == expected
    assert report.rows_written == 0
    assert row_counts(engine) == before


def test_a_period_outside_the_pilot_writes_nothing(engine):
    world = make_world(engine)
    before = row_counts(engine)
    report = run_import(
        engine, world.pilot_id, replace_row(5, "2021MM01", "2019MM12"), MONTHLY_MAPPING
    )
    assert [(e.row, e.code) for e in report.errors] == [(5, "outside_pilot_period")]
    assert row_counts(engine) == before


def test_a_period_outside_the_pilot_is_located_in_the_statline_file(engine):
    # The StatLine file has no column 'period' and no cell '2019-12-01': the error should name
    # the file's own column (Perioden) and cell (2019MM12), as every other error does.
    world = make_world(engine)
    report = run_import(
        engine, world.pilot_id, replace_row(5, "2021MM01", "2019MM12"), MONTHLY_MAPPING
    )
    assert [(e.row, e.column, e.value) for e in report.errors] == [(5, "Perioden", "2019MM12")]


def test_a_measurement_already_stored_writes_nothing_of_the_second_file(engine):
    world = make_world(engine)
    first = statline(MONTHLY_HEADER, MONTHLY_ROWS[2])  # WK036301, 2021MM03 = row 4 of MONTHLY
    assert run_import(engine, world.pilot_id, first, MONTHLY_MAPPING).rows_written == 1
    before = row_counts(engine)
    report = run_import(engine, world.pilot_id, MONTHLY, MONTHLY_MAPPING)
    assert located(report.errors) == [(4, "", "already_stored", "")]
    assert (
        report.errors[0]
        .describe("nl")
        .startswith(
            "bestand 85618NED.csv, rij 4: deze meting (indicator contacten, periode 2021-03-01, "
            "gebied 'WK036301', groep pilot) staat al in de database"
        )
    )
    assert row_counts(engine) == before
    assert values(engine) == [(CONTINUOUS, d("2021-03-01"), "WK036301", "pilot", 15.0)]


def test_a_file_that_is_no_statline_download_writes_nothing(engine):
    world = make_world(engine)
    before = row_counts(engine)
    report = run_import(engine, world.pilot_id, b"period,value\n2021-01-01,3\n", MONTHLY_MAPPING)
    assert located(report.errors) == [(0, "", "statline_not_statline", "")]
    assert row_counts(engine) == before


# --------------------------------------------------------------------------- suggestions
def test_the_suggestion_takes_the_pilots_areas_in_the_file_and_the_shortest_periods(engine):
    make_world(engine)  # the measures
    areas = [
        {"code": "WK036301", "name": "Noord-Oost", "group": "pilot"},
        {"code": "WK036302", "name": "Noord-West", "group": "comparison"},
        {"code": "WK036303", "name": "Oost", "group": "pilot"},  # not in the file
    ]
    with session_scope(engine) as session:
        pilot_id = factories.pilot(session, slug="wijken", areas=areas).id
    data = statline(
        '"ID";"Geslacht";"WijkenEnBuurten";"Perioden";"Verwezen_1";"Clienten_2";"Wachttijd_3"',
        '0;"T001038";"WK036301  ";"2021MM01";"       3";"      40";"     12"',
        '1;"T001038";"WK036302  ";"2021MM01";"       5";"      50";"     10"',
        '2;"T001038";"GM0363    ";"2021MM01";"      90";"    1000";"     11"',
        '3;"T001038";"WK036301  ";"2021JJ00";"      30";"     400";"     12"',
        '4;"3000";"WK036301  ";"2021MM01";"       1";"      20";"     13"',
    )
    file = read_statline(data, file_name="wijken.csv")
    with session_scope(engine) as session:
        suggestion = suggest_mapping(
            file, get_pilot(session, pilot_id), get_measure(session, PROPORTION)
        )
    assert suggestion == StatlineMapping(
        measure_code=PROPORTION,
        columns={"numerator": "Verwezen_1", "denominator": "Clienten_2"},
        regions={"WK036301": ("WK036301", "pilot"), "WK036302": ("WK036302", "comparison")},
        dimensions={"Geslacht": "T001038"},
        source="CBS StatLine wijken.csv",
        frequency="month",
    )
    report = run_import(engine, pilot_id, data, suggestion, file_name="wijken.csv")
    assert (report.errors, report.rows_written) == ([], 2)
    assert [(r[1], r[2], r[3], r[5], r[6]) for r in stored(engine)] == [
        (d("2021-01-01"), "WK036301", "pilot", 3.0, 40.0),
        (d("2021-01-01"), "WK036302", "comparison", 5.0, 50.0),
    ]


def test_the_suggestion_for_a_pilot_without_areas_in_the_file_is_its_municipality(engine):
    world = make_world(engine)  # its area WK036301 is not in this file
    data = statline(
        '"ID";"RegioS";"Perioden";"Meldingen_1";"Inwoners_2"',
        '0;"NL01      ";"2021KW01";"   90000";"17500000"',
        '1;"GM0363    ";"2021KW01";"     800";"  870000"',
        '2;"GM0344    ";"2021KW01";"     300";"  360000"',
        '3;"GM0363    ";"2021KW02";"     810";"  871000"',
    )
    file = read_statline(data, file_name="gemeenten.csv")
    with session_scope(engine) as session:
        suggestion = suggest_mapping(
            file, get_pilot(session, world.pilot_id), get_measure(session, COUNT)
        )
    assert suggestion == StatlineMapping(
        measure_code=COUNT,
        columns={"count": "Meldingen_1", "exposure": "Inwoners_2"},
        regions={"GM0363": ("GM0363", "pilot")},
        dimensions={},
        source="CBS StatLine gemeenten.csv",
        frequency=None,
    )
    report = run_import(engine, world.pilot_id, data, suggestion, file_name="gemeenten.csv")
    assert (report.errors, report.rows_written) == ([], 2)
    assert [(r[1], r[2], r[3], r[7], r[8]) for r in stored(engine)] == [
        (d("2021-01-01"), "GM0363", "pilot", 800.0, 870000.0),
        (d("2021-04-01"), "GM0363", "pilot", 810.0, 871000.0),
    ]


# --------------------------------------------------------------------------- the command line
def entry_point() -> tuple[typer.Typer, list[str]]:
    """The real `tracker` app; its measurements group on its own while the app lacks it."""
    if any(g.name == "measurements" for g in tracker.cli.app.registered_groups):
        return tracker.cli.app, ["measurements"]
    return tracker.cli.measurements.app, []  # pragma: no cover - only while groups are built


@pytest.fixture
def cli(engine, tmp_path, monkeypatch):
    """Run `tracker measurements import-statline FILE …` on the test database.

    Returns (run, world); ``run(data, *options)`` writes ``data`` as 85618NED.csv first.
    """
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TRACKER_ACTOR", "cli-test")
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)
    world = make_world(engine)
    app, prefix = entry_point()
    runner = CliRunner()

    def run(
        data: bytes | None,
        *options: str,
        env: dict[str, str] | None = None,
        pilot: str = world.slug,
        name: str = MONTHLY_NAME,
    ):
        """Write ``data`` as ``name`` (None: no file) and run the command on it."""
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        args = [*prefix, "import-statline", str(path), "--pilot", pilot, *options]
        return runner.invoke(app, args, env=env)

    return run, world


MONTHLY_OPTIONS = (
    "--measure",
    CONTINUOUS,
    "--region",
    "WK036301=pilot",
    "--region",
    "GM0363=comparison",
)
MAPPING_LINE = (
    "Koppeling (pas aan met deze opties): --column value=Contacten_1 --region WK036301=pilot "
    "--region GM0363=comparison --dimension Geslacht=T001038"
)
LEFT_OUT_LINE = (
    "Let op: 2 cel(len) zonder cijfer ('.', 'x' of leeg) overgeslagen: die metingen ontbreken"
)


def flat(text: str) -> str:
    """Text with Rich's line wrapping undone."""
    return " ".join(text.split())


def test_cli_imports_and_prints_the_mapping_and_the_summary(cli, engine):
    run, world = cli
    result = run(MONTHLY, *MONTHLY_OPTIONS)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{MAPPING_LINE}\n"
        f"4 metingen toegevoegd aan pilot '{world.slug}' uit 85618NED.csv "
        f"(indicatoren: {CONTINUOUS}).\n"
    )
    assert result.stderr == f"{LEFT_OUT_LINE}\n"
    assert values(engine) == MONTHLY_STORED
    assert {row[10] for row in stored(engine)} == {"cli-test"}


def test_cli_without_choices_uses_the_suggestion(cli, engine):
    run, _ = cli
    result = run(MONTHLY, "--measure", CONTINUOUS)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Koppeling (pas aan met deze opties): --column value=Contacten_1 --region "
        "WK036301=pilot --dimension Geslacht=T001038",
        "2 metingen toegevoegd aan pilot 'netwerk-noord' uit 85618NED.csv "
        "(indicatoren: contacten).",
    ]
    assert result.stderr == (
        "Let op: 1 cel(len) zonder cijfer ('.', 'x' of leeg) overgeslagen: die metingen ontbreken\n"
    )
    assert [r[2] for r in values(engine)] == ["WK036301", "WK036301"]


def test_cli_dry_run_prints_the_same_and_writes_nothing(cli, engine):
    run, _ = cli
    before = row_counts(engine)
    result = run(MONTHLY, *MONTHLY_OPTIONS, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{MAPPING_LINE}\n"
        "Proefimport (--dry-run): 4 metingen uit 85618NED.csv zijn in orde; er is niets "
        "opgeslagen.\n"
    )
    assert result.stderr == f"{LEFT_OUT_LINE}\n"
    assert row_counts(engine) == before


def test_cli_a_bad_file_exits_1_with_the_dutch_errors_and_writes_nothing(cli, engine):
    run, _ = cli
    before = row_counts(engine)
    rows = list(MONTHLY_ROWS)
    rows[2] = rows[2].replace("2021MM03", "2021HJ01")  # row 4
    rows[3] = rows[3].replace('"     140"', '"    veel"')  # row 5
    result = run(statline(MONTHLY_HEADER, *rows), *MONTHLY_OPTIONS)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        LEFT_OUT_LINE,
        "Het bestand 85618NED.csv is niet ingelezen: 2 fout(en). Er is niets opgeslagen; "
        "verbeter het bestand en importeer het opnieuw.",
        "  bestand 85618NED.csv, rij 4, kolom 'Perioden', waarde '2021HJ01': periodecode "
        "'2021HJ01' wordt niet ondersteund; gebruik een StatLine-download per maand (2019MM01 "
        "t/m 2019MM12), kwartaal (2019KW01 t/m 2019KW04) of jaar (2019JJ00)",
        "  bestand 85618NED.csv, rij 5, kolom 'Contacten_1', waarde 'veel': 'veel' is geen "
        "getal en geen CBS-teken (. x -); controleer deze cel of download de tabel opnieuw",
        MAPPING_LINE,
    ]
    assert row_counts(engine) == before


def test_cli_messages_follow_the_language(cli):
    run, _ = cli
    result = run(MONTHLY, *MONTHLY_OPTIONS, "--dry-run", env={"TRACKER_LANGUAGE": "en"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Dry run: 4 measurements from 85618NED.csv are valid; nothing was saved."
    )
    assert result.stderr == (
        "Note: 2 cell(s) without a figure ('.', 'x' or empty) skipped: those measurements are "
        "missing\n"
    )


def test_cli_json_output(cli, engine):
    run, world = cli
    result = run(MONTHLY, *MONTHLY_OPTIONS, "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = json.loads(result.stdout)
    assert list(out) == [
        "file",
        "sha256",
        "rows_read",
        "rows_written",
        "dry_run",
        "measures",
        "errors",
        "warnings",
        "pilot",
        "mapping",
        "left_out",
        "zero_denominators",
    ]
    assert (out["file"], out["rows_written"], out["pilot"], out["left_out"]) == (
        MONTHLY_NAME,
        4,
        world.slug,
        2,
    )
    assert out["sha256"] == hashlib.sha256(MONTHLY).hexdigest()
    assert out["mapping"] == {
        "measure": CONTINUOUS,
        "columns": {"value": "Contacten_1"},
        "regions": {"WK036301": ["WK036301", "pilot"], "GM0363": ["GM0363", "comparison"]},
        "dimensions": {"Geslacht": "T001038"},
        "frequency": None,
        "source": f"CBS StatLine {MONTHLY_NAME}",
    }
    assert [(w["row"], w["column"], w["value"], w["code"]) for w in out["warnings"]] == [
        (row, column, value, code) for row, column, code, value in MONTHLY_LEFT_OUT
    ]
    assert len(values(engine)) == 4


def test_cli_json_output_of_a_bad_file_exits_1(cli, engine):
    run, _ = cli
    before = row_counts(engine)
    data = replace_row(4, "2021MM03", "2021HJ01")
    result = run(data, *MONTHLY_OPTIONS, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert [(e["row"], e["column"], e["value"], e["code"]) for e in out["errors"]] == [
        (4, "Perioden", "2021HJ01", "statline_bad_period")
    ]
    assert out["errors"][0]["message_nl"].startswith("periodecode '2021HJ01' wordt niet")
    assert out["rows_written"] == 0
    assert row_counts(engine) == before


def test_cli_region_without_area_column_choice_and_frequency(cli, engine):
    run, _ = cli
    data = statline(
        '"ID";"RegioS";"Perioden";"Verwezen_1";"Clienten_2"',
        '0;"NL01      ";"2021MM01";"    9000";"  100000"',
        '1;"NL01      ";"2021JJ00";"  110000";" 1200000"',
        '2;"GM0363    ";"2021MM01";"     800";"    9000"',
        '3;"GM0363    ";"2021JJ00";"    9500";"  108000"',
    )
    result = run(
        data,
        "--measure", PROPORTION,
        "--column", "Numerator=Verwezen_1", "--column", "denominator=Clienten_2",
        "--region", "nl01=vergelijking:", "--region", "GM0363=pilot:WK036301",
        "--frequency", "year",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Koppeling (pas aan met deze opties): --column numerator=Verwezen_1 --column "
        "denominator=Clienten_2 --region NL01=comparison: --region GM0363=pilot:WK036301 "
        "--frequency year"
    )
    assert [(r[1], r[2], r[3], r[5], r[6]) for r in stored(engine)] == [
        (d("2021-01-01"), "", "comparison", 110000.0, 1200000.0),
        (d("2021-01-01"), "WK036301", "pilot", 9500.0, 108000.0),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ("--column", "Contacten_1"),
            "Fout: --column 'Contacten_1' is niet goed geschreven; schrijf SOORT=ONDERWERP",
        ),
        (("--column", "value="), "Fout: --column 'value=' is niet goed geschreven"),
        (
            ("--column", "value=Contacten_1", "--column", "Value=Contacten_1"),
            "Fout: --column noemt 'Value' meer dan één keer",
        ),
        (
            ("--region", "WK036301"),
            "Fout: --region 'WK036301' is niet goed geschreven; schrijf REGIO=GROEP of "
            "REGIO=GROEP:GEBIED met groep pilot of comparison",
        ),
        (("--region", "=pilot"), "Fout: --region '=pilot' is niet goed geschreven"),
        (("--region", "WK036301=buren"), "Fout: --region 'WK036301=buren' is niet goed"),
        (("--region", "WK036301=:WK036301"), "Fout: --region 'WK036301=:WK036301' is niet"),
        (
            ("--region", "WK036301=pilot", "--region", "wk036301=comparison"),
            "Fout: --region noemt 'WK036301' meer dan één keer",
        ),
        (("--dimension", "Geslacht"), "Fout: --dimension 'Geslacht' is niet goed geschreven"),
    ],
)
def test_cli_bad_option_syntax_exits_1_with_a_clear_message(cli, engine, options, message):
    run, _ = cli
    before = row_counts(engine)
    result = run(MONTHLY, "--measure", CONTINUOUS, *options)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert flat(result.stderr).startswith(message)
    assert row_counts(engine) == before


def test_cli_unknown_measure_or_pilot_exits_1(cli, engine):
    run, _ = cli
    result = run(MONTHLY, "--measure", "onbekend")
    assert result.exit_code == 1
    assert flat(result.stderr) == "Fout: indicator 'onbekend' niet gevonden"
    result = run(MONTHLY, "--measure", CONTINUOUS, pilot="bestaat-niet")
    assert result.exit_code == 1
    assert "pilot 'bestaat-niet' niet gevonden" in flat(result.stderr)
    assert values(engine) == []


def test_cli_a_missing_file_is_an_error(cli, engine):
    run, _ = cli
    before = row_counts(engine)
    result = run(None, "--measure", CONTINUOUS, name="weg.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Het bestand weg.csv is niet ingelezen: 1 fout(en). Er is niets opgeslagen; verbeter "
        "het bestand en importeer het opnieuw.",
        "  bestand weg.csv: het bestand bestaat niet of kan niet gelezen worden; controleer "
        "naam en map",
    ]
    assert row_counts(engine) == before
