"""`tracker report`: the lessons-learned report of a pilot as Markdown, HTML, DOCX or PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from tracker.cli.common import fail, language, report_errors, transaction
from tracker.i18n import register, t
from tracker.reports.formats import ReportFormat, render
from tracker.reports.render_markdown import figure_files
from tracker.reports.writer import write_report
from tracker.services.pilots import resolve_pilot
from tracker.services.reports import build_report, published_report

register(
    {
        "cli.report.bad_published": {
            "nl": "--published moet 'latest' of een versienummer zijn, niet '{value}'",
            "en": "--published must be 'latest' or a version number, not '{value}'",
        },
        "cli.report.written": {"nl": "Geschreven: {path}", "en": "Written: {path}"},
    }
)


@report_errors
def report_command(
    pilot: str = typer.Option(..., "--pilot", help="Pilot id or slug."),
    fmt: ReportFormat = typer.Option(ReportFormat.md, "--format", help="md, html, docx or pdf."),
    out: Path = typer.Option(..., "--out", help="File to write.", dir_okay=False),
    lang: str | None = typer.Option(None, "--lang", help="nl or en; default TRACKER_LANGUAGE"),
    published: str | None = typer.Option(
        None,
        "--published",
        help="'latest' or a version number: a published version as it was frozen. "
        "Without it: the current report (draft) from today's data.",
    ),
    today: str | None = typer.Option(
        None, "--today", help="Date the current report is 'as of' (YYYY-MM-DD); default today."
    ),
) -> None:
    """Write the lessons-learned report of a pilot (Markdown charts go in a folder beside it)."""
    lang = lang or language()
    number: int | None = None
    if published is not None and published != "latest":
        try:
            number = int(published)
        except ValueError:
            fail(t("cli.report.bad_published", lang, value=published))
    as_of = None
    if today is not None:
        try:
            as_of = dt.date.fromisoformat(today)
        except ValueError:
            fail(t("cli.analyze.bad_date", lang, value=today))
    with transaction() as session:
        pilot_id = resolve_pilot(session, pilot).id
        assert pilot_id is not None
        if published is None:
            model = build_report(session, pilot_id, today=as_of)
        else:
            model = published_report(session, pilot_id, number)
    doc = write_report(model, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ReportFormat.md:
        folder = out.with_name(f"{out.stem}-figuren")
        out.write_bytes(render(doc, fmt, markdown_images="files", markdown_folder=folder.name))
        folder.mkdir(exist_ok=True)
        for name, data in figure_files(doc).items():
            (folder / name).write_bytes(data)
    else:
        out.write_bytes(render(doc, fmt))
    typer.echo(t("cli.report.written", lang, path=out))
