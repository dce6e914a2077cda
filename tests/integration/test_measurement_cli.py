"""`tracker measurements import` against a real, migrated SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import tracker.cli
import tracker.cli.measurements
from tests.db_helpers import row_counts
from tests.import_helpers import CONTINUOUS, PROPORTION, make_world, write, write_xlsx
from tracker import migrate
from tracker.db import make_engine


def entry_point() -> tuple[typer.Typer, list[str]]:
    """The real `tracker` app; its measurements group on its own while the app lacks it."""
    if any(g.name == "measurements" for g in tracker.cli.app.registered_groups):
        return tracker.cli.app, ["measurements"]
    return tracker.cli.measurements.app, []  # pragma: no cover - only while groups are built


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `tracker measurements …` on a fresh database; returns (run, engine, world)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_ACTOR", "cli-test")
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    world = make_world(engine)
    app, prefix = entry_point()
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(app, [*prefix, *args], env=env)

    yield run, engine, world
    engine.dispose()


GOOD = (
    "period;measure;value;numerator;denominator;group\n"
    f"01-03-2021;{CONTINUOUS};12,5;;;pilot\n"
    f"01-03-2021;{PROPORTION};;3;10;vergelijking\n"
)
BAD = (
    "period;measure;value\n"
    f"01-03-2021;{CONTINUOUS};12,5\n"
    f"31-02-2021;{CONTINUOUS};1\n"
    f"01-04-2021;{CONTINUOUS};twaalf\n"
)


def test_a_good_file_is_imported_by_pilot_slug(cli, tmp_path):
    run, engine, world = cli
    result = run("import", str(write(tmp_path, GOOD)), "--pilot", world.slug)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"2 metingen toegevoegd aan pilot '{world.slug}' uit metingen.csv "
        f"(indicatoren: {CONTINUOUS}, {PROPORTION})."
    )
    assert row_counts(engine)["measurement"] == 2


def test_a_good_file_is_imported_by_pilot_id(cli, tmp_path):
    run, engine, world = cli
    result = run("import", str(write(tmp_path, GOOD)), "--pilot", str(world.pilot_id))
    assert result.exit_code == 0, result.output
    assert row_counts(engine)["measurement"] == 2


def test_a_bad_file_exits_non_zero_names_every_bad_cell_and_stores_nothing(cli, tmp_path):
    run, engine, world = cli
    before = row_counts(engine)
    result = run("import", str(write(tmp_path, BAD)), "--pilot", world.slug)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Het bestand metingen.csv is niet ingelezen: 2 fout(en). Er is niets opgeslagen; "
        "verbeter het bestand en importeer het opnieuw.",
        "  bestand metingen.csv, rij 3, kolom 'period', waarde '31-02-2021': '31-02-2021' "
        "bestaat niet in de kalender; controleer dag en maand",
        "  bestand metingen.csv, rij 4, kolom 'value', waarde 'twaalf': 'twaalf' is geen getal; "
        "schrijf alleen cijfers, zonder eenheid of tekst (12,5)",
    ]
    assert row_counts(engine) == before


def test_errors_are_in_english_when_the_language_is_english(cli, tmp_path):
    run, _, world = cli
    result = run(
        "import", str(write(tmp_path, BAD)), "--pilot", world.slug, env={"TRACKER_LANGUAGE": "en"}
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "  file metingen.csv, row 3, column 'period', value '31-02-2021': '31-02-2021' does not "
        "exist in the calendar; check the day and the month"
    )


def test_a_long_error_list_is_cut_after_fifty(cli, tmp_path):
    run, engine, world = cli
    lines = "".join(f"{dt.date(2021, 1, 1) + dt.timedelta(days=i)};{CONTINUOUS};x\n"
                    for i in range(60))  # fmt: skip
    result = run("import", str(write(tmp_path, "period;measure;value\n" + lines)),
                 "--pilot", world.slug)  # fmt: skip
    assert result.exit_code == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith("  bestand")]
    assert len(shown) == 50
    assert shown[-1].startswith("  bestand metingen.csv, rij 51,")
    assert result.stderr.splitlines()[-1].startswith("… en nog 10 fout(en).")
    assert row_counts(engine)["measurement"] == 0


def test_a_dry_run_checks_and_writes_nothing(cli, tmp_path):
    run, engine, world = cli
    before = row_counts(engine)
    result = run("import", str(write(tmp_path, GOOD)), "--pilot", world.slug, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "alle 2 rijen uit metingen.csv zijn in orde; er is niets opgeslagen" in result.stdout
    assert row_counts(engine) == before  # no measurements, no audit event


def test_a_dry_run_of_a_bad_file_fails_like_an_import(cli, tmp_path):
    run, _, world = cli
    result = run("import", str(write(tmp_path, BAD)), "--pilot", world.slug, "--dry-run")
    assert result.exit_code == 1
    assert "rij 3, kolom 'period', waarde '31-02-2021'" in result.stderr


def test_an_xlsx_file_with_the_measure_option(cli, tmp_path):
    run, engine, world = cli
    path = write_xlsx(
        tmp_path,
        [
            ["Period", "Value", "Area"],
            [dt.datetime(2021, 3, 1), 4.5, "WK036301"],
            ["01-04-2021", 5],
        ],
    )
    result = run("import", str(path), "--pilot", world.slug, "--measure", CONTINUOUS)
    assert result.exit_code == 0, result.output
    assert "2 metingen toegevoegd" in result.stdout
    assert row_counts(engine)["measurement"] == 2


def test_an_unknown_pilot_is_an_error(cli, tmp_path):
    run, engine, _ = cli
    result = run("import", str(write(tmp_path, GOOD)), "--pilot", "bestaat-niet")
    assert result.exit_code == 1
    assert "pilot 'bestaat-niet' niet gevonden" in result.stderr
    assert row_counts(engine)["measurement"] == 0


def test_a_missing_file_is_an_error(cli, tmp_path: Path):
    run, _, world = cli
    result = run("import", str(tmp_path / "weg.csv"), "--pilot", world.slug)
    assert result.exit_code == 1
    assert "bestand weg.csv: het bestand bestaat niet" in result.stderr


def test_a_windows_1252_file_is_imported_with_a_note(cli, tmp_path):
    run, engine, world = cli
    text = f"period;measure;value;source\n01-03-2021;{CONTINUOUS};1;café\n"
    result = run("import", str(write(tmp_path, text, encoding="cp1252")), "--pilot", world.slug)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "Let op: bestand metingen.csv, rij 2: het bestand is geen UTF-8"
    )
    assert row_counts(engine)["measurement"] == 1
