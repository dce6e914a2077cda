"""`tracker export`: tables for analysts as CSV, Dutch Excel CSV, XLSX, Parquet or a datapackage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.progress import Progress

from tracker.cli.common import actor, err_console, fail, language, report_errors, transaction
from tracker.i18n import register, t
from tracker.io.export_files import FORMATS, write_export
from tracker.io.export_tables import DEFAULT_TABLES, TABLES
from tracker.services.exports import ExportRequest, ExportScope, build_export, export_about

register(
    {
        "cli.export.bad_format": {
            "nl": "onbekend formaat '{value}'; kies uit {expected}",
            "en": "unknown format '{value}'; choose from {expected}",
        },
        "cli.export.bad_date": {
            "nl": "'{value}' is geen datum; schrijf JJJJ-MM-DD, bijvoorbeeld 2021-03-01",
            "en": "'{value}' is not a date; write YYYY-MM-DD, for example 2021-03-01",
        },
        "cli.export.several_files": {
            "nl": (
                "{n} tabellen in {fmt} worden {n} bestanden: geef bij --out een map (eindigend "
                "op /) of een .zip, of kies één tabel met --tables"
            ),
            "en": (
                "{n} tables in {fmt} make {n} files: give --out a folder (ending in /) or a "
                ".zip, or choose one table with --tables"
            ),
        },
        "cli.export.written": {
            "nl": "Geschreven: {path} ({tables})",
            "en": "Written: {path} ({tables})",
        },
        "cli.export.rows": {"nl": "{name}: {rows} rijen", "en": "{name}: {rows} rows"},
        "cli.export.suppressed": {
            "nl": "Kleine aantallen (onder {n}) weggelaten: {cells} cel(len)",
            "en": "Small numbers (below {n}) left out: {cells} cell(s)",
        },
    }
)


def _date(text: str | None, lang: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(t("cli.export.bad_date", lang, value=text))


def _tables(text: str) -> tuple[str, ...]:
    if text.strip() == "all":
        return TABLES
    return tuple(name.strip() for name in text.split(",") if name.strip())


@report_errors
def export_command(
    out: str = typer.Option(
        ...,
        "--out",
        help="File to write; for csv, csv-nl and parquet with several tables a folder "
        "(ending in /) or a .zip.",
    ),
    tables: str = typer.Option(
        ",".join(DEFAULT_TABLES),
        "--tables",
        help=f"Comma-separated, from: {', '.join(TABLES)}; or 'all'. Observations (free text) "
        "only when named.",
    ),
    fmt: str = typer.Option("csv", "--format", help=" | ".join(FORMATS)),
    pilot: str | None = typer.Option(None, "--pilot", help="One pilot (id or slug)."),
    municipality: list[str] = typer.Option([], "--municipality", help="Filter; repeatable."),
    domain: list[str] = typer.Option([], "--domain", help="Filter; repeatable."),
    status: list[str] = typer.Option([], "--status", help="Filter; repeatable."),
    period_from: str | None = typer.Option(None, "--from", help="Period start, YYYY-MM-DD."),
    period_to: str | None = typer.Option(None, "--to", help="Period end, YYYY-MM-DD."),
    suppress_below: int | None = typer.Option(
        None,
        "--suppress-below",
        help="Leave out and mark counts, numerators and denominators below N (for sharing "
        "outside the organisation; usual: 5, TRACKER_EXPORT_SUPPRESS_BELOW).",
    ),
    lang: str | None = typer.Option(None, "--lang", help="nl or en; default TRACKER_LANGUAGE"),
) -> None:
    """Export tables of the pilots (one, a filter, or all) for Excel, R and Python."""
    lang = lang or language()
    if fmt not in FORMATS:
        fail(t("cli.export.bad_format", lang, value=fmt, expected=", ".join(FORMATS)))
    request = ExportRequest(
        tables=_tables(tables),
        scope=ExportScope(
            pilot=pilot,
            municipalities=tuple(municipality),
            domains=tuple(domain),
            statuses=tuple(status),
            period_from=_date(period_from, lang),
            period_to=_date(period_to, lang),
        ),
        suppress_below=suppress_below,
        lang=lang,
    ).checked()
    target = Path(out)
    folder = out.endswith(("/", "\\")) or target.is_dir()
    several = len(request.tables) > 1 and fmt in ("csv", "csv-nl", "parquet")
    if several and not (folder or target.suffix.lower() == ".zip"):
        fail(t("cli.export.several_files", lang, n=len(request.tables), fmt=fmt))
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("export", total=len(request.tables))

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done if name != "results" else None)

        with transaction() as session:
            built = build_export(session, request, actor=actor(), progress=progress)
    about = export_about(request)
    if folder:
        target.mkdir(parents=True, exist_ok=True)
    paths = write_export(built, fmt, target, about=about)
    rows = [t("cli.export.rows", lang, name=b.name, rows=b.rows) for b in built]
    if len(paths) == len(built):  # a file per table
        for path, line in zip(paths, rows, strict=True):
            typer.echo(t("cli.export.written", lang, path=path, tables=line))
    else:
        typer.echo(t("cli.export.written", lang, path=paths[0], tables="; ".join(rows)))
    if suppress_below is not None:
        cells = sum(int(m.sum()) for b in built for m in b.suppressed.values())
        typer.echo(t("cli.export.suppressed", lang, n=suppress_below, cells=cells))
