"""`tracker audit verify`: recompute every hash the app keeps and name the first that fails."""

from __future__ import annotations

import typer

from tracker.cli.common import console, err_console, language, transaction
from tracker.i18n import register, t
from tracker.services.integrity import check_integrity

app = typer.Typer(help="Audit trail and integrity.", no_args_is_help=True)

register(
    {
        "cli.audit.ok": {
            "nl": "In orde: {events} audit-gebeurtenissen in een ongebroken keten, {hypotheses} "
            "vastgelegde hypothesen en {reports} gepubliceerde rapporten ongewijzigd.",
            "en": "All well: {events} audit events in an unbroken chain, {hypotheses} "
            "registered hypotheses and {reports} published reports unchanged.",
        },
        "cli.audit.broken_chain": {
            "nl": "De audit-keten is gebroken bij gebeurtenis {id}: die of een eerdere is buiten "
            "de app veranderd of verwijderd.",
            "en": "The audit chain is broken at event {id}: it or an earlier one was changed or "
            "removed outside the app.",
        },
        "cli.audit.changed_hypotheses": {
            "nl": "Vastgelegde hypothesen die niet meer kloppen met hun vingerafdruk: {items}",
            "en": "Registered hypotheses that no longer match their fingerprint: {items}",
        },
        "cli.audit.changed_reports": {
            "nl": "Gepubliceerde rapporten die niet meer kloppen met hun SHA-256: {items}",
            "en": "Published reports that no longer match their SHA-256: {items}",
        },
    }
)


@app.command("verify")
def verify() -> None:
    """Check the audit chain, registered hypotheses and published reports; exit 1 on a break."""
    lang = language()
    with transaction() as session:
        report = check_integrity(session)
    if report.ok:
        console.print(
            t(
                "cli.audit.ok",
                lang,
                events=report.events,
                hypotheses=report.hypotheses,
                reports=report.reports,
            )
        )
        return
    if report.first_broken_event is not None:
        err_console.print(t("cli.audit.broken_chain", lang, id=report.first_broken_event))
    if report.changed_hypotheses:
        items = ", ".join(report.changed_hypotheses)
        err_console.print(t("cli.audit.changed_hypotheses", lang, items=items))
    if report.changed_reports:
        items = ", ".join(report.changed_reports)
        err_console.print(t("cli.audit.changed_reports", lang, items=items))
    raise typer.Exit(1)
