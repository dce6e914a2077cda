"""The manager's overview: filters bound to the address, the portfolio table and its charts."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import pyarrow as pa
import streamlit as st

from tracker import charts
from tracker.codes import SLUG
from tracker.i18n import register, t
from tracker.services.portfolio import (
    PortfolioFilter,
    PortfolioRow,
    matches,
    options_of,
    portfolio,
    verdict_mix_by_domain,
)
from tracker.ui.data import actor, read

TIMELINE_MAX_PILOTS = 60

VERDICT_ORDER = (
    "supported",
    "partly_supported",
    "contrary",
    "no_meaningful_effect",
    "inconclusive",
    "insufficient_data",
)

register(
    {
        "ui.portfolio.filters": {"nl": "Filters", "en": "Filters"},
        "ui.portfolio.all": {"nl": "Alle", "en": "All"},
        "ui.portfolio.municipality": {"nl": "Gemeente", "en": "Municipality"},
        "ui.portfolio.domain": {"nl": "Domein", "en": "Domain"},
        "ui.portfolio.status": {"nl": "Status", "en": "Status"},
        "ui.portfolio.strategy": {"nl": "Strategie", "en": "Strategy"},
        "ui.portfolio.none": {
            "nl": "Geen pilots voldoen aan deze filters.",
            "en": "No pilots match these filters.",
        },
        "ui.portfolio.count": {
            "nl": "{n} van {total} pilots",
            "en": "{n} of {total} pilots",
        },
        "ui.portfolio.table": {"nl": "Pilots in de portefeuille", "en": "Pilots in the portfolio"},
        "ui.portfolio.col.title": {"nl": "Pilot", "en": "Pilot"},
        "ui.portfolio.col.open": {"nl": "Openen", "en": "Open"},
        "ui.portfolio.col.municipality": {"nl": "Gemeente", "en": "Municipality"},
        "ui.portfolio.col.domains": {"nl": "Domeinen", "en": "Domains"},
        "ui.portfolio.col.status": {"nl": "Status", "en": "Status"},
        "ui.portfolio.col.phase": {"nl": "Fase", "en": "Phase"},
        "ui.portfolio.col.owner": {"nl": "Eigenaar", "en": "Owner"},
        "ui.portfolio.col.verdicts": {"nl": "Uitslagen", "en": "Verdicts"},
        "ui.portfolio.col.late": {"nl": "Te laat vastgelegd", "en": "Registered late"},
        "ui.portfolio.col.last_entry": {"nl": "Laatste invoer", "en": "Last entry"},
        "ui.portfolio.col.fresh": {"nl": "Actualiteit", "en": "Up to date"},
        "ui.portfolio.overdue": {"nl": "⚠ gegevens achter", "en": "⚠ data overdue"},
        "ui.portfolio.fresh": {"nl": "bij", "en": "current"},
        "ui.portfolio.overdue_note": {
            "nl": "⚠ gegevens achter: de laatste meting is meer dan twee maanden oud terwijl de "
            "pilot loopt. Vraag de eigenaar om de nieuwe cijfers in te voeren.",
            "en": "⚠ data overdue: the latest measurement is more than two months old while the "
            "pilot runs. Ask the owner to enter the new figures.",
        },
        "ui.portfolio.charts": {"nl": "Portefeuille in beeld", "en": "Portfolio at a glance"},
        "ui.portfolio.timeline_too_many": {
            "nl": "De tijdlijn verschijnt bij hoogstens {n} pilots; kies hierboven een gemeente, "
            "domein, status of strategie.",
            "en": "The timeline appears for at most {n} pilots; choose a municipality, domain, "
            "status or strategy above.",
        },
        "ui.phase.preparation": {"nl": "voorbereiding", "en": "preparation"},
        "ui.phase.baseline": {"nl": "nulmeting", "en": "baseline"},
        "ui.phase.intervention": {"nl": "interventie", "en": "intervention"},
        "ui.phase.evaluation_done": {"nl": "afgerond", "en": "completed"},
    }
)


def _verdict_mix(row: PortfolioRow, lang: str) -> str:
    parts = [
        f"{row.verdicts[v]} {charts.VERDICT_LABELS[v][lang]}"
        for v in VERDICT_ORDER
        if row.verdicts.get(v)
    ]
    return " · ".join(parts)


def _late(row: PortfolioRow, lang: str) -> str:
    if not row.late_registrations:
        return ""
    return t("ui.late.value", lang, late=row.late_registrations, total=row.n_hypotheses)


# The table's columns: all text except the date of the last entry.
COLUMNS = (
    "title",
    "open",
    "municipality",
    "domains",
    "status",
    "phase",
    "owner",
    "verdicts",
    "late",
    "last_entry",
    "fresh",
)
SCHEMA = pa.schema(
    [(name, pa.date32() if name == "last_entry" else pa.string()) for name in COLUMNS]
)


def portfolio_table(rows: Sequence[PortfolioRow], lang: str) -> pa.Table:
    """The table as the reader sees it (translated values, one row per pilot).

    An Arrow table built column by column, each translation looked up once: the overview
    builds it for a thousand pilots on every run, and Streamlit sends Arrow to the browser
    (a pandas frame in between cost five times as much).
    """
    if not rows:
        return SCHEMA.empty_table()
    fields = dict(zip(PortfolioRow._fields, zip(*rows, strict=True), strict=True))
    status = {s: t(f"ui.status.{s}", lang) for s in set(fields["status"])}
    phase = {p: t(f"ui.phase.{p}", lang) for p in set(fields["phase"])}
    fresh = {
        True: t("ui.portfolio.overdue", lang),
        False: t("ui.portfolio.fresh", lang),
    }
    mixes: dict[tuple[tuple[str, int], ...], str] = {}
    verdicts = []
    for r in rows:
        key = tuple(r.verdicts.items())
        text = mixes.get(key)
        if text is None:
            text = mixes[key] = _verdict_mix(r, lang)
        verdicts.append(text)
    # A slug is letters, digits and hyphens (tracker.codes.SLUG): safe in an address as it is.
    # quote() is for anything else, and rather than urlencode(): the same text at a third of
    # the cost.
    link_lang = quote(lang, safe="")
    columns = {
        "title": fields["title"],
        "open": [
            f"pilot?pilot={slug if SLUG.fullmatch(slug) else quote(slug, safe='')}&lang={link_lang}"
            for slug in fields["slug"]
        ],
        "municipality": fields["municipality"],
        "domains": [", ".join(d) for d in fields["domains"]],
        "status": [status[s] for s in fields["status"]],
        "phase": [phase[p] for p in fields["phase"]],
        "owner": fields["owner"],
        "verdicts": verdicts,
        "late": [_late(r, lang) for r in rows],
        "last_entry": fields["last_entry"],
        "fresh": [fresh[o] for o in fields["overdue"]],
    }
    return pa.table(columns, schema=SCHEMA)


def _filters(rows: Sequence[PortfolioRow], lang: str) -> PortfolioFilter:
    options = options_of(rows)
    st.subheader(t("ui.portfolio.filters", lang))
    cols = st.columns(4)
    chosen = {}
    for col, (name, key, label) in zip(
        cols,
        [
            ("municipalities", "gemeente", "ui.portfolio.municipality"),
            ("domains", "domein", "ui.portfolio.domain"),
            ("statuses", "status", "ui.portfolio.status"),
            ("strategies", "strategie", "ui.portfolio.strategy"),
        ],
        strict=True,
    ):
        with col:
            fmt = (lambda s: t(f"ui.status.{s}", lang)) if name == "statuses" else str
            # Bound to the address (?gemeente=…&domein=…): a filtered overview can be shared.
            chosen[name] = tuple(
                st.multiselect(
                    t(label, lang),
                    options[name],
                    format_func=fmt,
                    key=key,
                    bind="query-params",
                    placeholder=t("ui.portfolio.all", lang),
                )
            )
    return PortfolioFilter(**chosen)


def portfolio_section(lang: str) -> None:
    """Filters, the pilots table with links and the portfolio charts."""
    who = actor()
    everything = read(lambda s: portfolio(s, actor=who))
    if not everything:
        st.info(t("ui.home.empty", lang), icon=":material/info:")
        return
    filters = _filters(everything, lang)
    unfiltered = filters == PortfolioFilter()
    rows = everything if unfiltered else [r for r in everything if matches(r, filters)]
    st.caption(t("ui.portfolio.count", lang, n=len(rows), total=len(everything)))
    if not rows:
        st.info(t("ui.portfolio.none", lang), icon=":material/filter_alt_off:")
        return
    table = portfolio_table(rows, lang)
    config = {
        column: st.column_config.TextColumn(t(f"ui.portfolio.col.{column}", lang))
        for column in COLUMNS
    }
    config["open"] = st.column_config.LinkColumn(
        t("ui.portfolio.col.open", lang), display_text=t("ui.portfolio.col.open", lang) + " →"
    )
    config["last_entry"] = st.column_config.DateColumn(
        t("ui.portfolio.col.last_entry", lang),
        format="DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD",
    )
    st.dataframe(table, column_config=config, hide_index=True, alt=t("ui.portfolio.table", lang))
    if any(r.overdue for r in rows):
        st.caption(t("ui.portfolio.overdue_note", lang))
    if any(r.late_registrations for r in rows):
        st.caption(t("ui.home.late_note", lang))

    st.subheader(t("ui.portfolio.charts", lang))
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.verdicts_by_domain(verdict_mix_by_domain(rows), lang=lang))
    with right:
        if len(rows) > TIMELINE_MAX_PILOTS:
            # A thousand bars are unreadable (and slow to draw): ask for a narrower view.
            st.caption(t("ui.portfolio.timeline_too_many", lang, n=TIMELINE_MAX_PILOTS))
        else:
            timeline = [
                charts.TimelineRow(
                    r.title, r.baseline_start, r.intervention_start, r.evaluation_end, r.status
                )
                for r in rows
            ]
            st.plotly_chart(charts.pilot_timeline(timeline, lang=lang))
