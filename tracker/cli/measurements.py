"""`tracker measurements …`: import a tidy CSV or Excel file of measurements into a pilot, or
the figures of a CBS StatLine CSV download (`import-statline`)."""

from __future__ import annotations

import json
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from tracker import i18n
from tracker.cli.common import (
    FORMAT_OPTION,
    OutputFormat,
    actor,
    console,
    err_console,
    fail,
    language,
    report_errors,
    transaction,
)
from tracker.config import load_settings
from tracker.i18n import t
from tracker.io.measurements import GROUPS, read_file_bytes
from tracker.io.statline import StatlineFile, StatlineMapping
from tracker.services.measurements import ImportReport, import_measurements
from tracker.services.measures import get_measure
from tracker.services.pilots import resolve_pilot
from tracker.services.statline_import import import_statline, read_statline, suggest_mapping

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
    # --- import-statline
    "cli.measurements.statline_dry_run_ok": {
        "nl": (
            "Proefimport (--dry-run): {rows} metingen uit {file} zijn in orde; er is niets "
            "opgeslagen."
        ),
        "en": "Dry run: {rows} measurements from {file} are valid; nothing was saved.",
    },
    "cli.measurements.statline_mapping": {
        "nl": "Koppeling (pas aan met deze opties): {options}",
        "en": "Mapping (change it with these options): {options}",
    },
    "cli.measurements.statline_left_out": {
        "nl": (
            "{count} cel(len) zonder cijfer ('.', 'x' of leeg) overgeslagen: die metingen ontbreken"
        ),
        "en": (
            "{count} cell(s) without a figure ('.', 'x' or empty) skipped: those measurements "
            "are missing"
        ),
    },
    "cli.measurements.statline_zero": {
        "nl": (
            "{count} rij(en) met 0 als noemer of blootstelling ('-' is bij CBS nihil) "
            "overgeslagen: die metingen ontbreken"
        ),
        "en": (
            "{count} row(s) with 0 as denominator or exposure ('-' means nil at CBS) skipped: "
            "those measurements are missing"
        ),
    },
    "cli.measurements.bad_column": {
        "nl": (
            "--column '{value}' is niet goed geschreven; schrijf SOORT=ONDERWERP, zoals "
            "value=Contacten_1, of numerator=… en denominator=…, of count=… en exposure=…"
        ),
        "en": (
            "--column '{value}' is not written correctly; write KIND=TOPIC, like "
            "value=Contacten_1, or numerator=… and denominator=…, or count=… and exposure=…"
        ),
    },
    "cli.measurements.bad_region": {
        "nl": (
            "--region '{value}' is niet goed geschreven; schrijf REGIO=GROEP of "
            "REGIO=GROEP:GEBIED met groep pilot of comparison, zoals WK036301=pilot, "
            "GM0363=comparison of NL01=comparison: (zonder gebied)"
        ),
        "en": (
            "--region '{value}' is not written correctly; write REGION=GROUP or "
            "REGION=GROUP:AREA with group pilot or comparison, like WK036301=pilot, "
            "GM0363=comparison or NL01=comparison: (no area)"
        ),
    },
    "cli.measurements.bad_dimension": {
        "nl": (
            "--dimension '{value}' is niet goed geschreven; schrijf KOLOM=WAARDE, zoals "
            "Geslacht=T001038"
        ),
        "en": (
            "--dimension '{value}' is not written correctly; write COLUMN=VALUE, like "
            "Geslacht=T001038"
        ),
    },
    "cli.measurements.repeated_option": {
        "nl": "--{option} noemt '{name}' meer dan één keer; geef elke keuze één keer",
        "en": "--{option} names '{name}' more than once; give each choice once",
    },
}
i18n.register({k: v for k, v in MESSAGES.items() if i18n.MESSAGES.get(k) != v})

app = typer.Typer(
    help="Metingen (measurements): importeren uit CSV of Excel, of uit een CBS StatLine-download.",
    no_args_is_help=True,
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


# ------------------------------------------------------------------------------------ StatLine
class Frequency(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


# Warnings for cells or rows that give no measurement: counted in one line each, not listed
# (a CBS table can suppress thousands of cells; --format json lists every one).
LEFT_OUT_CODES = frozenset({"statline_suppressed", "statline_empty"})
ZERO_CODES = frozenset({"statline_zero_denominator"})


def _split(raw: str, message: str) -> tuple[str, str]:
    """``NAME=TEXT`` of one option (stripped); without '=' or a name it fails (exit 1)."""
    name, sep, text = raw.partition("=")
    if not sep or not name.strip():
        fail(t(message, language(), value=raw))
    return name.strip(), text.strip()


def _add(option: str, found: dict[str, Any], key: str, name: str, value: Any) -> None:
    if key in found:
        fail(t("cli.measurements.repeated_option", language(), option=option, name=name))
    found[key] = value


def _columns(values: list[str] | None) -> dict[str, str]:
    """``--column KIND=TOPIC`` (KIND value, numerator, … as the service knows them)."""
    columns: dict[str, str] = {}
    for raw in values or []:
        kind, topic = _split(raw, "cli.measurements.bad_column")
        if not topic:
            fail(t("cli.measurements.bad_column", language(), value=raw))
        _add("column", columns, kind.lower(), kind, topic)
    return columns


def _regions(values: list[str] | None) -> dict[str, tuple[str, str]] | None:
    """``--region REGION=GROUP[:AREA]`` as the mapping's regions; None when none is given.

    Without ``:AREA`` the region keeps its own code as area; ``REGION=GROUP:`` stores it
    without an area (e.g. Nederland as the comparison group).
    """
    if not values:
        return None
    regions: dict[str, tuple[str, str]] = {}
    for raw in values:
        code, text = _split(raw, "cli.measurements.bad_region")
        group_text, colon, area = text.partition(":")
        group = GROUPS.get(group_text.strip().lower()) if group_text.strip() else None
        if group is None:
            fail(t("cli.measurements.bad_region", language(), value=raw))
        code = code.upper()
        _add("region", regions, code, code, (area.strip().upper() if colon else code, group))
    return regions


def _dimensions(values: list[str] | None) -> dict[str, str]:
    """``--dimension COLUMN=VALUE``."""
    dimensions: dict[str, str] = {}
    for raw in values or []:
        name, value = _split(raw, "cli.measurements.bad_dimension")
        if not value:
            fail(t("cli.measurements.bad_dimension", language(), value=raw))
        _add("dimension", dimensions, name, name, value)
    return dimensions


def _mapping(
    suggestion: StatlineMapping,
    *,
    columns: dict[str, str],
    regions: dict[str, tuple[str, str]] | None,
    dimensions: dict[str, str],
    frequency: Frequency | None,
    source: str | None,
) -> StatlineMapping:
    """The suggestion, with every choice given on the command line in its place."""
    return StatlineMapping(
        measure_code=suggestion.measure_code,
        columns=columns or dict(suggestion.columns),
        regions=regions if regions is not None else suggestion.regions,
        dimensions={**suggestion.dimensions, **dimensions},
        source=source if source is not None else suggestion.source,
        frequency=frequency.value if frequency is not None else suggestion.frequency,
    )


def _mapping_options(mapping: StatlineMapping) -> str:
    """The mapping as the options that give it: copy, change and run again."""
    options = [("--column", f"{k}={v}") for k, v in mapping.columns.items()]
    for code, (area, group) in (mapping.regions or {}).items():
        options.append(
            ("--region", f"{code}={group}" if area == code else f"{code}={group}:{area}")
        )
    options += [("--dimension", f"{k}={v}") for k, v in mapping.dimensions.items()]
    if mapping.frequency:
        options.append(("--frequency", mapping.frequency))
    return " ".join(f"{option} {shlex.quote(value)}" for option, value in options)


def _mapping_dict(mapping: StatlineMapping) -> dict[str, Any]:
    return {
        "measure": mapping.measure_code,
        "columns": dict(mapping.columns),
        "regions": (
            None if mapping.regions is None else {k: list(v) for k, v in mapping.regions.items()}
        ),
        "dimensions": dict(mapping.dimensions),
        "frequency": mapping.frequency,
        "source": mapping.source,
    }


@app.command("import-statline")
@report_errors
def import_statline_command(
    file: Path = typer.Argument(
        ...,
        help=(
            "CSV-download van CBS StatLine (opendata.cbs.nl, TypedDataSet): ';' als "
            "scheidingsteken, perioden als 2021MM01, 2021KW01 of 2021JJ00."
        ),
    ),
    pilot: str = typer.Option(..., "--pilot", help="Pilot: nummer (id) of korte naam (slug)."),
    measure: str = typer.Option(..., "--measure", help="Indicatorcode uit het codeboek."),
    column: list[str] | None = typer.Option(
        None,
        "--column",
        metavar="SOORT=ONDERWERP",
        help=(
            "SOORT=ONDERWERP: welke kolom van het bestand welke waarde geeft (value=Contacten_1; "
            "numerator=… en denominator=…; count=… en exposure=…). Herhaalbaar; standaard het "
            "voorstel: de onderwerpen van het bestand op volgorde."
        ),
    ),
    region: list[str] | None = typer.Option(
        None,
        "--region",
        metavar="REGIO=GROEP[:GEBIED]",
        help=(
            "REGIO=GROEP of REGIO=GROEP:GEBIED (gebied mag leeg zijn), groep pilot of "
            "comparison: WK036301=pilot, GM0363=comparison, NL01=comparison:. Herhaalbaar; "
            "andere regio's worden weggelaten. Standaard het voorstel: de gebieden van de pilot "
            "die in het bestand staan, anders de gemeente als pilotgroep."
        ),
    ),
    dimension: list[str] | None = typer.Option(
        None,
        "--dimension",
        metavar="KOLOM=WAARDE",
        help=(
            "KOLOM=WAARDE: de waarde van een dimensie die u inleest (Geslacht=T001038). "
            "Herhaalbaar; standaard de eerste waarde (bij CBS meestal het totaal)."
        ),
    ),
    frequency: Frequency | None = typer.Option(
        None,
        "--frequency",
        help="Alleen perioden van deze lengte; standaard de kortste in het bestand.",
    ),
    source: str | None = typer.Option(
        None, "--source", help="Bron bij elke meting (standaard 'CBS StatLine <bestand>')."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Alleen controleren; niets opslaan (ook geen audit-regel)."
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Import the figures of a CBS StatLine download into a pilot: all, or none when any is
    wrong. Cells CBS does not publish ('.', 'x') become missing measurements, never 0."""
    lang = language()
    columns = _columns(column)
    regions = _regions(region)
    dimensions = _dimensions(dimension)
    # The file is read before the transaction begins (SQLite takes its write lock then).
    data, unreadable = read_file_bytes(file, max_bytes=load_settings().max_import_bytes)
    table: StatlineFile | None = None if unreadable else read_statline(data, file_name=file.name)
    mapping: StatlineMapping | None = None
    with transaction() as session:
        target = resolve_pilot(session, pilot)
        assert target.id is not None
        found = get_measure(session, measure.strip().lower())
        if table is None:
            assert unreadable is not None
            report = ImportReport(0, 0, [unreadable], dry_run, "", file.name)
        else:
            mapping = _mapping(
                suggest_mapping(table, target, found),
                columns=columns,
                regions=regions,
                dimensions=dimensions,
                frequency=frequency,
                source=source,
            )
            report = import_statline(
                session,
                target.id,
                data,
                file_name=file.name,
                mapping=mapping,
                dry_run=dry_run,
                actor=actor(),
            )
    if table is not None and not table.ok:
        mapping = None  # nothing was read to map: no mapping to show
    left_out = sum(w.code in LEFT_OUT_CODES for w in report.warnings)
    zero = sum(w.code in ZERO_CODES for w in report.warnings)
    if fmt == OutputFormat.json:
        out = report.to_dict() | {
            "pilot": target.slug,
            "mapping": _mapping_dict(mapping) if mapping else None,
            "left_out": left_out,
            "zero_denominators": zero,
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        if report.errors:
            raise typer.Exit(1)
        return
    for warning in report.warnings:
        if warning.code not in LEFT_OUT_CODES and warning.code not in ZERO_CODES:
            _say(t("cli.measurements.note", lang, text=warning.describe(lang)), error=True)
    if left_out:
        text = t("cli.measurements.statline_left_out", lang, count=left_out)
        _say(t("cli.measurements.note", lang, text=text), error=True)
    if zero:
        text = t("cli.measurements.statline_zero", lang, count=zero)
        _say(t("cli.measurements.note", lang, text=text), error=True)
    shown = (
        t("cli.measurements.statline_mapping", lang, options=_mapping_options(mapping))
        if mapping
        else ""
    )
    if report.errors:
        name = report.file_name or file.name
        _say(t("cli.measurements.failed", lang, file=name, count=len(report.errors)), error=True)
        for error in report.errors[:MAX_SHOWN_ERRORS]:
            _say(f"  {error.describe(lang)}", error=True)
        more = len(report.errors) - MAX_SHOWN_ERRORS
        if more > 0:
            _say(t("cli.measurements.more", lang, more=more), error=True)
        if shown:
            _say(shown, error=True)
        raise typer.Exit(1)
    if shown:
        _say(shown)
    if report.dry_run:
        _say(
            t(
                "cli.measurements.statline_dry_run_ok",
                lang,
                rows=report.rows_read,
                file=report.file_name,
            )
        )
        return
    _say(
        t(
            "cli.measurements.imported",
            lang,
            rows=report.rows_written,
            pilot=target.slug,
            file=report.file_name,
            measures=", ".join(report.measure_codes) or found.code,
        )
    )
