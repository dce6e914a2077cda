"""`tracker pilots …`: list pilots; export and import one pilot as a TOML file."""

from __future__ import annotations

import typer

from tracker.cli.common import FORMAT_OPTION, OutputFormat, print_rows, report_errors, transaction
from tracker.services.pilots import list_pilot_summaries

app = typer.Typer(help="Pilots (proeftuinen).", no_args_is_help=True)

LIST_COLUMNS = ("id", "title", "municipality", "status", "hypotheses", "measurements")


@app.command("list")
@report_errors
def list_(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """List pilots: id, title, municipality, status, number of hypotheses and measurements."""
    with transaction() as session:
        rows = [s.to_dict() for s in list_pilot_summaries(session)]
    if fmt == OutputFormat.json:
        print_rows(rows, LIST_COLUMNS, fmt)
    else:
        print_rows(rows, LIST_COLUMNS, fmt, title="Pilots")
