"""`tracker measurements …`: import a tidy CSV or Excel file of measurements into a pilot."""

from __future__ import annotations

from pathlib import Path

import typer

from tracker import i18n
from tracker.cli.common import actor, console, err_console, language, report_errors, transaction
from tracker.i18n import t
from tracker.services.measurements import import_measurements
from tracker.services.pilots import resolve_pilot

# A file with thousands of wrong cells should not scroll the first ones away; the report keeps
# them all (and --dry-run checks again after a fix).
MAX_SHOWN_ERRORS = 50

MESSAGES: dict[str, dict[str, str]] = {
    "cli.measurements.failed": {
        "nl": (
            "Het bestand {file} is niet ingelezen: {count} fout(en). Er is niets opgeslagen; "
            "verbeter het bestand en importeer het opnieuw."
        ),
        "en": (
            "The file {file} was not imported: {count} error(s). Nothing was saved; correct "
            "the file and import it again."
        ),
    },
    "cli.measurements.more": {
        "nl": "… en nog {more} fout(en). Verbeter eerst deze en controleer opnieuw met --dry-run.",
        "en": "… and {more} more error(s). Fix these first and check again with --dry-run.",
    },
    "cli.measurements.imported": {
        "nl": (
            "{rows} metingen toegevoegd aan pilot '{pilot}' uit {file} (indicatoren: {measures})."
        ),
        "en": "{rows} measurements added to pilot '{pilot}' from {file} (measures: {measures}).",
    },
    "cli.measurements.dry_run_ok": {
        "nl": (
            "Proefimport (--dry-run): alle {rows} rijen uit {file} zijn in orde; er is niets "
            "opgeslagen."
        ),
        "en": "Dry run: all {rows} rows in {file} are valid; nothing was saved.",
    },
    "cli.measurements.note": {"nl": "Let op: {text}", "en": "Note: {text}"},
}
i18n.register({k: v for k, v in MESSAGES.items() if i18n.MESSAGES.get(k) != v})

app = typer.Typer(
    help="Metingen (measurements): importeren uit CSV of Excel.", no_args_is_help=True
)


@app.callback()
def measurements() -> None:
    """Metingen van een pilot (measurements of a pilot)."""


def _say(text: str, *, error: bool = False) -> None:
    # Cell values are printed as they are: no Rich markup, no highlighting, no wrapping.
    (err_console if error else console).print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("import")
@report_errors
def import_(
    file: Path = typer.Argument(
        ...,
        help=(
            "CSV (.csv/.txt; ; of , als scheidingsteken) of Excel (.xlsx) in de tidy vorm: "
            "period, value of numerator+denominator of count+exposure, en optioneel measure, "
            "group, area, source."
        ),
    ),
    pilot: str = typer.Option(..., "--pilot", help="Pilot: nummer (id) of korte naam (slug)."),
    measure: str | None = typer.Option(
        None, "--measure", help="Indicatorcode voor het hele bestand (dan is 'measure' optioneel)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Alleen controleren; niets opslaan (ook geen audit-regel)."
    ),
) -> None:
    """Import measurements from FILE into a pilot: all rows, or none when any row is wrong."""
    lang = language()
    with transaction() as session:
        target = resolve_pilot(session, pilot)
        assert target.id is not None
        report = import_measurements(
            session, target.id, file, measure_code=measure, dry_run=dry_run, actor=actor()
        )
    for warning in report.warnings:
        _say(t("cli.measurements.note", lang, text=warning.describe(lang)), error=True)
    if report.errors:
        name = report.file_name or file.name
        _say(t("cli.measurements.failed", lang, file=name, count=len(report.errors)), error=True)
        for error in report.errors[:MAX_SHOWN_ERRORS]:
            _say(f"  {error.describe(lang)}", error=True)
        more = len(report.errors) - MAX_SHOWN_ERRORS
        if more > 0:
            _say(t("cli.measurements.more", lang, more=more), error=True)
        raise typer.Exit(1)
    if report.dry_run:
        _say(t("cli.measurements.dry_run_ok", lang, rows=report.rows_read, file=report.file_name))
        return
    _say(
        t(
            "cli.measurements.imported",
            lang,
            rows=report.rows_written,
            pilot=target.slug,
            file=report.file_name,
            measures=", ".join(report.measure_codes),
        )
    )
