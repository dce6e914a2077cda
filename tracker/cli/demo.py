"""`tracker demo …`: load the seven fictitious demonstration pilots and the demo lessons."""

from __future__ import annotations

from pathlib import Path

import typer

from tracker.cli.common import actor, console, language, report_errors, transaction
from tracker.config import PROJECT_ROOT
from tracker.services.demo import DemoPilotResult, load_demo

app = typer.Typer(help="Demonstratiepilots (fictieve gegevens).", no_args_is_help=True)


@app.command("load")
@report_errors
def load(
    root: Path = typer.Option(
        PROJECT_ROOT,
        "--root",
        help="Folder that holds experiments/ and data/demo/ (default: this project).",
    ),
) -> None:
    """Load every experiments/*.toml with its data; pilots already present are skipped."""
    lang = language()

    def progress(result: DemoPilotResult) -> None:
        console.print(result.summary(lang), highlight=False)

    with transaction() as session:
        report = load_demo(session, actor=actor(), root=root, progress=progress)
    console.print(report.summary(lang), highlight=False)
