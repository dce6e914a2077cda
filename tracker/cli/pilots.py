"""`tracker pilots …`: list pilots; export and import one pilot as a TOML file; import a data
package made by `tracker export --format datapackage`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tracker.cli.common import (
    FORMAT_OPTION,
    OutputFormat,
    actor,
    console,
    language,
    print_rows,
    report_errors,
    transaction,
)
from tracker.services.pilot_files import export_toml, import_file, import_package
from tracker.services.pilots import list_pilot_summaries, resolve_pilot

app = typer.Typer(help="Pilots (proeftuinen).", no_args_is_help=True)

LIST_COLUMNS = ("id", "title", "municipality", "status", "hypotheses", "measurements")


@app.command("list")
@report_errors
def list_(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """List pilots: id, title, municipality, status, number of hypotheses and measurements."""
    with transaction() as session:
        rows = [s.to_dict() for s in list_pilot_summaries(session, actor=actor())]
    if fmt == OutputFormat.json:
        print_rows(rows, LIST_COLUMNS, fmt)
    else:
        print_rows(rows, LIST_COLUMNS, fmt, title="Pilots")


@app.command("export")
@report_errors
def export(
    pilot: str = typer.Argument(..., help="Pilot id or slug."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="TOML file to write (default: standard output)."
    ),
    data: str | None = typer.Option(
        None,
        "--data",
        help="Path written as `data = …`: the CSV with the pilot's measurements, relative to "
        "the repository root (e.g. data/demo/<slug>.csv).",
    ),
) -> None:
    """Write one pilot as a TOML file: definition, codebook entries, hypotheses, journal."""
    with transaction() as session:
        found = resolve_pilot(session, pilot)
        assert found.id is not None
        text = export_toml(session, found.id, data=data)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_bytes(text.encode("utf-8"))
    console.print(f"Geschreven: {out}", highlight=False)


@app.command("import")
@report_errors
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="Pilot file (TOML)."
    ),
    with_data: bool = typer.Option(
        False,
        "--with-data",
        help="Also import the measurements from the CSV named by `data` in the file.",
    ),
) -> None:
    """Create a pilot from a TOML file. Nothing is written when anything is wrong."""
    with transaction() as session:
        result = import_file(session, file, actor=actor(), with_data=with_data)
    console.print(result.summary(language()), highlight=False)


@app.command("import-package")
@report_errors
def import_package_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="Data package (zip) to import."
    ),
) -> None:
    """Create the pilots of a data package (tracker export --format datapackage) with their
    hypotheses, journal and measurements. Nothing is written when anything is wrong."""
    with transaction() as session:
        results = import_package(session, file, actor=actor())
    for result in results:
        console.print(result.summary(language()), highlight=False)
