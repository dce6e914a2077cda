"""The `tracker` command. Each command group lives in its own module of this package."""

from __future__ import annotations

import typer

from tracker.cli import analyze, audit, db, demo, export, measurements, pilots, report, users

app = typer.Typer(
    help="Proeftuin: beleidsexperimenten vastleggen, meten, toetsen en leren.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(pilots.app, name="pilots")
app.add_typer(users.app, name="users")

app.add_typer(demo.app, name="demo")
app.add_typer(measurements.app, name="measurements")
app.command("analyze")(analyze.analyze_command)
app.command("report")(report.report_command)
app.command("export")(export.export_command)
