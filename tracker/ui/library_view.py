"""The library page: lessons from pilots, one lesson with its evidence, pooled effects, and the
read-only view of a pilot another organisation shared.

What the page shows follows the address, so that every view can be passed on as a link:

- ``?q=…&lesstatus=…&tag_<kind>=…&pagina=…``: the list, searched and filtered (the widgets are bound
  to these parameters; values are the labels the reader sees, as on the overview page);
- ``?tab=…&measure=…&type=…``: the pooled effects, with one group of pilots opened;
- ``?lesson=<id>``: one lesson, the pilots on each side and what they say together;
- ``?shared=<pilot id>``: the latest published report of a pilot, as the reader may read it.

Every read goes through ``tracker.services.library`` and ``tracker.services.sharing``; they
decide what this reader may see (another organisation's lessons only from shared pilots, their
results only from published reports with small numbers protected).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import pandas as pd
import streamlit as st
from sqlmodel import Session

from tracker import charts
from tracker.analysis.lesson_status import LESSON_STATUSES
from tracker.analysis.numbers import format_number, format_percent, format_signed
from tracker.errors import TrackerError
from tracker.i18n import register, t
from tracker.io.text import inert_markdown
from tracker.reports.writer import write_report
from tracker.services.access import Actor
from tracker.services.library import (
    PAGE_SIZE,
    EvidenceView,
    LessonQuery,
    LessonRow,
    PooledView,
    lesson_detail,
    pool_groups,
    pooled_evidence,
    search_lessons,
    tag_options,
)
from tracker.services.measures import list_measures
from tracker.services.sharing import shared_report_view
from tracker.ui.data import read
from tracker.ui.lessons_view import report_preview
from tracker.vocabulary import TAG_KINDS, TagKind, intervention_type_label, tag_label

T = TypeVar("T")

LIBRARY_PAGE = "pages/library.py"
LIBRARY_PATH = "bibliotheek"  # the page's url_path in streamlit_app.py
PAGE_KEY = "pagina"  # the pagination widget, bound to ?pagina=
FILTER_KEYS = ("q", "lesstatus", *(f"tag_{kind}" for kind in TAG_KINDS))

register(
    {
        "ui.lib.intro": {
            "nl": "Wat gemeenten van hun pilots leerden, in één zin per les, met de pilots die "
            "de les ondersteunen of weerspreken. U ziet de lessen van uw eigen organisatie en "
            "die uit pilots die andere gemeenten deelden.",
            "en": "What municipalities learned from their pilots, one sentence per lesson, with "
            "the pilots that support or contradict it. You see your own organisation's lessons "
            "and those from pilots that other municipalities shared.",
        },
        "ui.lib.tab.lessons": {"nl": "Lessen", "en": "Lessons"},
        "ui.lib.axis.difference": {
            "nl": "Verschil in {unit} (0 = geen effect)",
            "en": "Difference in {unit} (0 = no effect)",
        },
        "ui.lib.axis.log_ratio": {
            "nl": "Log rate ratio (0 = geen verandering)",
            "en": "Log rate ratio (0 = no change)",
        },
        "ui.lib.tab.pooled": {"nl": "Gepoolde effecten", "en": "Pooled effects"},
        "ui.lib.search": {"nl": "Zoeken in de lessen", "en": "Search the lessons"},
        "ui.lib.search_help": {
            "nl": "Zoekt in de les, de toelichting, de pilot, de gemeente en de labels. Ook "
            "andere vormen van een woord worden gevonden: 'bijeenkomst' vindt 'bijeenkomsten'.",
            "en": "Searches the lesson, its explanation, the pilot, the municipality and the "
            "tags. Dutch word forms are matched too: 'bijeenkomst' finds 'bijeenkomsten'.",
        },
        "ui.lib.search_placeholder": {
            "nl": "bijvoorbeeld: gespreksleider",
            "en": "for example: gespreksleider",
        },
        "ui.lib.any": {"nl": "Alle", "en": "Any"},
        "ui.lib.status": {"nl": "Status van de les", "en": "Status of the lesson"},
        "ui.lib.status.all": {"nl": "alle", "en": "all"},
        "ui.lib.status.emerging": {"nl": "opkomend", "en": "emerging"},
        "ui.lib.status.supported": {"nl": "ondersteund", "en": "supported"},
        "ui.lib.status.contested": {"nl": "omstreden", "en": "contested"},
        "ui.lib.status.rejected": {"nl": "verworpen", "en": "rejected"},
        "ui.lib.rule.all": {"nl": "Elke status.", "en": "Any status."},
        "ui.lib.rule.emerging": {
            "nl": "Eén pilot ondersteunt de les en geen enkele weerspreekt haar (of er is nog "
            "geen onderbouwing).",
            "en": "One pilot supports the lesson and none contradicts it (or there is no "
            "evidence yet).",
        },
        "ui.lib.rule.supported": {
            "nl": "Twee of meer pilots ondersteunen de les en geen enkele weerspreekt haar.",
            "en": "Two or more pilots support the lesson and none contradicts it.",
        },
        "ui.lib.rule.contested": {
            "nl": "Minstens één pilot ondersteunt de les en minstens één weerspreekt haar.",
            "en": "At least one pilot supports the lesson and at least one contradicts it.",
        },
        "ui.lib.rule.rejected": {
            "nl": "Minstens één pilot weerspreekt de les en geen enkele ondersteunt haar.",
            "en": "At least one pilot contradicts the lesson and none supports it.",
        },
        "ui.lib.rule_note": {
            "nl": "De status volgt uit de pilots die u mag zien; niemand typt hem in.",
            "en": "The status follows from the pilots you may see; nobody types it in.",
        },
        "ui.lib.results": {"nl": "Gevonden lessen", "en": "Lessons found"},
        "ui.lib.count": {
            "nl": "Lessen {first} tot en met {last} van {total}",
            "en": "Lessons {first} to {last} of {total}",
        },
        "ui.lib.none_yet": {
            "nl": "Er staan nog geen lessen in de bibliotheek die u mag zien. Een les stelt u "
            "voor in het tabblad Lessen van een pilot.",
            "en": "The library holds no lessons you may see yet. You propose a lesson in the "
            "Lessons tab of a pilot.",
        },
        "ui.lib.none_match": {
            "nl": "Geen lessen voldoen aan deze zoekwoorden en filters. Gebruik minder woorden "
            "of haal een filter weg.",
            "en": "No lessons match these words and filters. Use fewer words or remove a filter.",
        },
        "ui.lib.status_line": {
            "nl": "Status: **{status}** · ondersteund door {supporting} pilot(s) · weersproken "
            "door {contradicting}",
            "en": "Status: **{status}** · supported by {supporting} pilot(s) · contradicted by "
            "{contradicting}",
        },
        "ui.lib.source": {
            "nl": "Uit de pilot {pilot} ({municipality})",
            "en": "From the pilot {pilot} ({municipality})",
        },
        "ui.lib.source_pilot": {"nl": "Uit de pilot {pilot}", "en": "From the pilot {pilot}"},
        "ui.lib.shared_by": {"nl": "gedeeld door {organisation}", "en": "shared by {organisation}"},
        "ui.lib.open": {"nl": "Les openen", "en": "Open the lesson"},
        "ui.lib.back": {"nl": "Terug naar de bibliotheek", "en": "Back to the library"},
        "ui.lib.bad_address": {
            "nl": "'{value}' in het adres is geen nummer van een les of pilot.",
            "en": "'{value}' in the address is not the number of a lesson or pilot.",
        },
        "ui.lib.lesson": {"nl": "Les uit de bibliotheek", "en": "Lesson from the library"},
        "ui.lib.status_rule": {
            "nl": "**Status: {status}.** {rule}",
            "en": "**Status: {status}.** {rule}",
        },
        "ui.lib.proposed_by": {"nl": "voorgesteld door {who}", "en": "proposed by {who}"},
        "ui.lib.tags": {"nl": "Labels", "en": "Tags"},
        "ui.lib.supporting": {"nl": "Ondersteund door", "en": "Supported by"},
        "ui.lib.contradicting": {"nl": "Weersproken door", "en": "Contradicted by"},
        "ui.lib.no_evidence": {
            "nl": "Geen pilots die u mag zien.",
            "en": "No pilots you may see.",
        },
        "ui.lib.col.pilot": {"nl": "Pilot", "en": "Pilot"},
        "ui.lib.col.open": {"nl": "Openen", "en": "Open"},
        "ui.lib.col.municipality": {"nl": "Gemeente", "en": "Municipality"},
        "ui.lib.col.organisation": {"nl": "Organisatie", "en": "Organisation"},
        "ui.lib.col.hypothesis": {"nl": "Hypothese", "en": "Hypothesis"},
        "ui.lib.col.verdict": {"nl": "Uitslag", "en": "Verdict"},
        "ui.lib.col.estimate": {"nl": "Geschat effect", "en": "Estimated effect"},
        "ui.lib.col.note": {"nl": "Toelichting", "en": "Note"},
        "ui.lib.col.weight": {"nl": "Gewicht", "en": "Weight"},
        "ui.lib.col.change": {"nl": "Verandering", "en": "Change"},
        "ui.lib.col.measure": {"nl": "Indicator", "en": "Measure"},
        "ui.lib.col.type": {"nl": "Soort interventie", "en": "Intervention type"},
        "ui.lib.col.pilots": {"nl": "Aantal pilots", "en": "Number of pilots"},
        "ui.lib.evidence_table": {
            "nl": "{side}: pilot, gemeente, hypothese, uitslag, geschat effect en toelichting",
            "en": "{side}: pilot, municipality, hypothesis, verdict, estimated effect and note",
        },
        "ui.lib.no_result": {"nl": "geen uitslag", "en": "no result"},
        "ui.lib.estimate": {
            "nl": "{estimate} ({level}%-interval {low} tot {high})",
            "en": "{estimate} ({level}% interval {low} to {high})",
        },
        "ui.lib.together": {
            "nl": "Wat zeggen alle pilots samen?",
            "en": "What do all pilots say together?",
        },
        "ui.lib.no_pools": {
            "nl": "Deze les heeft nog geen indicator en soort interventie die pilots delen. "
            "Pilots worden samengenomen per indicator uit het codeboek en per soort "
            "interventie; geef de les die labels om hier het gezamenlijke effect te zien.",
            "en": "This lesson has no measure and intervention type that pilots share yet. "
            "Pilots are pooled per codebook measure and per intervention type; give the lesson "
            "those tags to see the joint effect here.",
        },
        "ui.lib.pooled": {
            "nl": "Samen laten {k} pilots een effect zien van {estimate} ({level}%-interval "
            "{low} tot {high}).",
            "en": "Together, {k} pilots show an effect of {estimate} ({level}% interval {low} "
            "to {high}).",
        },
        "ui.lib.pooled_log": {
            "nl": "Samen laten {k} pilots een effect zien van {estimate} op de logaritmische "
            "schaal ({level}%-interval {low} tot {high}). Dat is een verandering van {pct} "
            "({pct_low} tot {pct_high}).",
            "en": "Together, {k} pilots show an effect of {estimate} on the log scale ({level}% "
            "interval {low} to {high}). That is a change of {pct} ({pct_low} to {pct_high}).",
        },
        "ui.lib.prediction": {
            "nl": "In een volgende pilot verwachten we een effect tussen {low} en {high}.",
            "en": "In a next pilot we expect an effect between {low} and {high}.",
        },
        "ui.lib.prediction_log": {
            "nl": "In een volgende pilot verwachten we een effect tussen {low} en {high}: een "
            "verandering tussen {pct_low} en {pct_high}.",
            "en": "In a next pilot we expect an effect between {low} and {high}: a change "
            "between {pct_low} and {pct_high}.",
        },
        "ui.lib.heterogeneity": {
            "nl": "Verschil tussen de pilots: I² = {i2} (het deel van de spreiding tussen de "
            "pilots dat niet door toeval komt) en τ² = {tau2} (de variantie van het echte "
            "effect tussen pilots).",
            "en": "Difference between the pilots: I² = {i2} (the share of the spread between "
            "pilots that is not due to chance) and τ² = {tau2} (the variance of the true effect "
            "between pilots).",
        },
        "ui.lib.too_few": {
            "nl": "Nog {needed} pilot(s) nodig voor een gepoold effect: nu dragen {k} pilot(s) "
            "bij, en er zijn er minstens {min} nodig.",
            "en": "{needed} more pilot(s) needed for a pooled effect: {k} pilot(s) contribute "
            "now, and at least {min} are needed.",
        },
        "ui.lib.dropped": {
            "nl": "Niet meegeteld omdat hun onzekerheid onbekend is: {labels}.",
            "en": "Left out because their uncertainty is unknown: {labels}.",
        },
        "ui.lib.pool_source": {
            "nl": "Pilots van uw eigen organisatie tellen mee met hun actuele analyse; gedeelde "
            "pilots van andere organisaties met hun laatst gepubliceerde rapport, met kleine "
            "aantallen afgeschermd. Het gepoolde effect komt uit een random-effects-model "
            "(DerSimonian-Laird).",
            "en": "Pilots of your own organisation count with their current analysis; shared "
            "pilots of other organisations with their latest published report, with small "
            "numbers protected. The pooled effect comes from a random-effects model "
            "(DerSimonian-Laird).",
        },
        "ui.lib.pool_table": {
            "nl": "De grafiek als tabel: {title}",
            "en": "The chart as a table: {title}",
        },
        "ui.lib.pooled_row": {"nl": "Gepoold effect", "en": "Pooled effect"},
        "ui.lib.groups_intro": {
            "nl": "Pilots met dezelfde indicator uit het codeboek en dezelfde soort interventie "
            "worden samengenomen. Kies een groep om te zien wat die pilots samen laten zien.",
            "en": "Pilots with the same codebook measure and the same intervention type are "
            "pooled. Choose a group to see what those pilots show together.",
        },
        "ui.lib.groups_none": {
            "nl": "Nog geen pilots om samen te nemen: een pilot telt mee als hij een soort "
            "interventie heeft en een hypothese op een indicator uit het codeboek.",
            "en": "No pilots to pool yet: a pilot counts when it has an intervention type and a "
            "hypothesis on a codebook measure.",
        },
        "ui.lib.groups_table": {
            "nl": "Groepen van pilots: indicator, soort interventie en aantal pilots",
            "en": "Groups of pilots: measure, intervention type and number of pilots",
        },
        "ui.lib.group": {"nl": "Groep", "en": "Group"},
        "ui.lib.group_label": {
            "nl": "{measure} · {type} ({n} pilot(s))",
            "en": "{measure} · {type} ({n} pilot(s))",
        },
        "ui.lib.shared_banner": {
            "nl": "Gedeeld door {organisation}: alleen gepubliceerde resultaten, kleine aantallen "
            "afgeschermd, zonder logboek.",
            "en": "Shared by {organisation}: published results only, small numbers protected, "
            "without the journal.",
        },
        "ui.lib.own_report": {
            "nl": "Een pilot van uw eigen organisatie: hieronder staat het laatst gepubliceerde "
            "rapport, zoals het is gepubliceerd. Alles van de pilot staat op de pilotpagina.",
            "en": "A pilot of your own organisation: below is the latest published report, as "
            "it was published. Everything about the pilot is on the pilot page.",
        },
        "ui.lib.open_pilot": {"nl": "Open de pilot", "en": "Open the pilot"},
        "ui.lib.shared_report": {
            "nl": "Gepubliceerd lessenrapport",
            "en": "Published lessons report",
        },
    }
)


# ------------------------------------------------------------------------------- formatting
def status_label(status: str, lang: str) -> str:
    return t(f"ui.lib.status.{status or 'all'}", lang)


def _level(alpha: float | None) -> str:
    return f"{round(100 * (1 - (alpha or 0.05)), 1):g}"


def _measure_names() -> dict[str, str]:
    return {m.code: m.name for m in read(list_measures)}


def _tag_text(kind: str, value: str, lang: str, measures: dict[str, str]) -> str:
    if kind == TagKind.measure and value in measures:
        return f"{measures[value]} ({value})"
    return tag_label(kind, value, lang)


def _tags_line(tags: dict[str, tuple[str, ...]], lang: str, measures: dict[str, str]) -> str:
    return " · ".join(
        f"{t(f'vocab.kind.{kind}', lang)}: "
        + ", ".join(_tag_text(kind, v, lang, measures) for v in tags[kind])
        for kind in TAG_KINDS
        if tags.get(kind)
    )


def _effect(value: float | None, relative: bool, lang: str) -> str:
    return format_percent(value, lang) if relative else format_signed(value, lang)


def estimate_text(view: EvidenceView, lang: str) -> str:
    """An evidence pilot's estimate with its 95% interval, in the reader's notation."""
    if view.estimate is None:
        return "–"
    relative = view.estimate_is_relative
    if view.ci_low is None or view.ci_high is None:
        return _effect(view.estimate, relative, lang)
    return t(
        "ui.lib.estimate",
        lang,
        estimate=_effect(view.estimate, relative, lang),
        level="95",
        low=_effect(view.ci_low, relative, lang),
        high=_effect(view.ci_high, relative, lang),
    )


def _pilot_link(view: EvidenceView, lang: str) -> str:
    """Own pilot: its page; another organisation's shared pilot: its shared report here."""
    if view.own:
        return f"pilot?pilot={quote(view.pilot_slug, safe='')}&lang={lang}"
    return f"{LIBRARY_PATH}?shared={view.pilot_id}&lang={lang}"


def _number_from_address(name: str, lang: str) -> int | None:
    value = st.query_params.get(name, "")
    if value.isdigit():
        # Arriving by st.page_link on this same page, Streamlit rewrites the address from the
        # widgets bound to it (the search words stay) and drops this parameter; set it again,
        # so the address in the bar opens this lesson or report when shared or reloaded.
        st.query_params[name] = value
        return int(value)
    st.warning(t("ui.lib.bad_address", lang, value=value), icon=":material/link_off:")
    return None


def _refused(exc: TrackerError, lang: str) -> None:
    """An expected refusal (not readable, not found) in the reader's language, no traceback."""
    message = getattr(exc, "message", None)
    st.error(message(lang) if callable(message) else str(exc), icon=":material/block:")


def _back(lang: str) -> None:
    st.page_link(
        LIBRARY_PAGE,
        label=t("ui.lib.back", lang),
        icon=":material/arrow_back:",
        query_params={"lang": lang},
    )


# ------------------------------------------------------------------------------ the list
def _first_page() -> None:
    # A new search starts on its first page (the pagination is bound to ?page=).
    if PAGE_KEY in st.session_state:
        st.session_state[PAGE_KEY] = 1


def _filters(who: Actor, lang: str, measures: dict[str, str]) -> LessonQuery:
    options = read(lambda s: tag_options(s, actor=who))
    words = st.text_input(
        t("ui.lib.search", lang),
        key="q",
        bind="query-params",
        help=t("ui.lib.search_help", lang),
        placeholder=t("ui.lib.search_placeholder", lang),
        on_change=_first_page,
    )
    tags: dict[str, tuple[str, ...]] = {}
    columns = st.columns(3)
    for index, kind in enumerate(TAG_KINDS):
        with columns[index % 3]:
            chosen = st.multiselect(
                t(f"vocab.kind.{kind}", lang),
                options.get(kind, []),
                format_func=lambda v, kind=kind: _tag_text(kind, v, lang, measures),
                key=f"tag_{kind}",
                bind="query-params",
                placeholder=t("ui.lib.any", lang),
                on_change=_first_page,
            )
        if chosen:
            tags[kind] = tuple(chosen)
    statuses = ["", *LESSON_STATUSES]
    status = st.radio(
        t("ui.lib.status", lang),
        statuses,
        format_func=lambda s: status_label(s, lang),
        captions=[t(f"ui.lib.rule.{s or 'all'}", lang) for s in statuses],
        horizontal=True,
        key="lesstatus",
        bind="query-params",
        help=t("ui.lib.rule_note", lang),
        on_change=_first_page,
    )
    return LessonQuery(text=words or "", tags=tags, status=status or "", limit=PAGE_SIZE)


def _lesson_card(row: LessonRow, lang: str, measures: dict[str, str]) -> None:
    with st.container(border=True):
        st.markdown(f"### {inert_markdown(row.statement, block=False)}")
        st.markdown(
            t(
                "ui.lib.status_line",
                lang,
                status=status_label(row.status, lang),
                supporting=row.supporting,
                contradicting=row.contradicting,
            )
        )
        source = t(
            "ui.lib.source",
            lang,
            pilot=inert_markdown(row.pilot_title, block=False),
            municipality=inert_markdown(row.municipality, block=False),
        )
        if not row.own:
            source += " · " + t(
                "ui.lib.shared_by", lang, organisation=inert_markdown(row.organisation, block=False)
            )
        st.caption(source)
        if row.tags:
            st.caption(inert_markdown(_tags_line(row.tags, lang, measures), block=False))
        st.page_link(
            LIBRARY_PAGE,
            label=t("ui.lib.open", lang),
            icon=":material/arrow_forward:",
            query_params={"lesson": str(row.id), "lang": lang},
        )


def _requested_page() -> int:
    # The pagination widget comes after the list; until it runs, its value is in the session
    # (after a click) or in the address (a shared link).
    value = st.session_state.get(PAGE_KEY) or st.query_params.get(PAGE_KEY, "1")
    return int(value) if str(value).isdigit() and int(value) >= 1 else 1


def _lessons(who: Actor, lang: str) -> None:
    measures = _measure_names()
    query = _filters(who, lang, measures)
    asked = _requested_page()

    def search(page: int) -> Any:
        offset = (page - 1) * PAGE_SIZE
        return read(
            lambda s: search_lessons(
                s,
                LessonQuery(query.text, query.tags, query.status, PAGE_SIZE, offset),
                actor=who,
            )
        )

    found = search(asked)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    st.header(t("ui.lib.results", lang))
    listing = st.container()
    page = st.pagination(pages, key=PAGE_KEY, bind="query-params") if pages > 1 else 1
    if page != asked:
        found = search(page)
    with listing:
        if found.total == 0:
            filtered = query.text.strip() or query.tags or query.status
            st.info(
                t("ui.lib.none_match" if filtered else "ui.lib.none_yet", lang),
                icon=":material/search_off:",
            )
            return
        first = found.offset + 1
        st.caption(
            t(
                "ui.lib.count",
                lang,
                first=first,
                last=found.offset + len(found.rows),
                total=found.total,
            )
        )
        for row in found.rows:
            _lesson_card(row, lang, measures)


# -------------------------------------------------------------------------- pooled evidence
def _pool_title(view: PooledView, lang: str) -> str:
    return f"{view.measure_name} · {intervention_type_label(view.intervention_type, lang)}"


def _pooled_sentences(view: PooledView, lang: str) -> list[str]:
    r = view.result
    if r.status != "pooled":
        return [t("ui.lib.too_few", lang, needed=r.needed, k=r.k, min=r.k + r.needed)]
    level = _level(r.alpha)
    numbers = {
        "k": r.k,
        "level": level,
        "estimate": format_signed(r.estimate, lang),
        "low": format_signed(r.ci_low, lang),
        "high": format_signed(r.ci_high, lang),
    }
    prediction = {"low": format_signed(r.pi_low, lang), "high": format_signed(r.pi_high, lang)}
    if view.scale == "log_ratio":
        # The log rate ratio as a percentage change: exp(x) − 1.
        def pct(x: float | None) -> str:
            return format_percent(None if x is None else math.expm1(x), lang)

        out = [
            t(
                "ui.lib.pooled_log",
                lang,
                **numbers,
                pct=pct(r.estimate),
                pct_low=pct(r.ci_low),
                pct_high=pct(r.ci_high),
            ),
            t(
                "ui.lib.prediction_log",
                lang,
                **prediction,
                pct_low=pct(r.pi_low),
                pct_high=pct(r.pi_high),
            ),
        ]
    else:
        if view.unit and view.kind == "continuous":
            numbers["estimate"] += f" {view.unit}"
        out = [t("ui.lib.pooled", lang, **numbers), t("ui.lib.prediction", lang, **prediction)]
    out.append(
        t(
            "ui.lib.heterogeneity",
            lang,
            i2=format_percent(r.i2, lang, signed=False),
            tau2=format_number(r.tau2, lang),
        )
    )
    return out


def _pool_frame(view: PooledView, lang: str) -> pd.DataFrame:
    """The chart's numbers as a table: its text alternative."""
    r = view.result
    z = 1.959963984540054
    weights: Sequence[float | None] = r.weights or [None] * len(r.studies)
    rows = [
        (s.label, s.estimate, s.estimate - z * s.se, s.estimate + z * s.se, w)
        for s, w in zip(r.studies, weights, strict=True)
    ]
    if r.status == "pooled":
        rows.append((t("ui.lib.pooled_row", lang), r.estimate, r.ci_low, r.ci_high, 1.0))
    records = []
    for label, estimate, low, high, weight in rows:
        record = {
            t("ui.lib.col.pilot", lang): label,
            t("ui.lib.col.estimate", lang): t(
                "ui.lib.estimate",
                lang,
                estimate=format_signed(estimate, lang),
                level="95",
                low=format_signed(low, lang),
                high=format_signed(high, lang),
            ),
            t("ui.lib.col.weight", lang): format_percent(weight, lang, signed=False)
            if weight is not None
            else "–",
        }
        if view.scale == "log_ratio":
            record[t("ui.lib.col.change", lang)] = format_percent(math.expm1(estimate), lang)
        records.append(record)
    return pd.DataFrame(records)


def pooled_block(view: PooledView, lang: str, key: str) -> None:
    """One group's forest plot, what it says in words, and the chart as a table."""
    title = _pool_title(view, lang)
    st.subheader(inert_markdown(title, block=False))
    result = view.result
    if result.studies:
        # Untitled: the heading above names the group (a title would repeat it).
        axis = (
            t("ui.lib.axis.log_ratio", lang)
            if view.scale == "log_ratio"
            else t("ui.lib.axis.difference", lang, unit=view.unit or view.measure_name)
        )
        st.plotly_chart(
            charts.pooled_forest_plot(result, lang=lang, axis_title=axis),
            key=f"pool-chart-{key}",
        )
    for sentence in _pooled_sentences(view, lang):
        st.markdown(sentence)
    if result.dropped:
        st.caption(
            t("ui.lib.dropped", lang, labels=inert_markdown(", ".join(result.dropped), block=False))
        )
    if result.studies:
        table = t("ui.lib.pool_table", lang, title=title)
        with st.expander(table, icon=":material/table:"):
            st.dataframe(
                _pool_frame(view, lang), hide_index=True, key=f"pool-table-{key}", alt=table
            )
    st.caption(t("ui.lib.pool_source", lang))


def _pooled_overview(who: Actor, lang: str) -> None:
    groups = read(lambda s: pool_groups(s, actor=who))
    st.markdown(t("ui.lib.groups_intro", lang))
    if not groups:
        st.info(t("ui.lib.groups_none", lang), icon=":material/info:")
        return
    frame = pd.DataFrame(
        [
            {
                t("ui.lib.col.measure", lang): f"{g.measure_name} ({g.measure_code})",
                t("ui.lib.col.type", lang): intervention_type_label(g.intervention_type, lang),
                t("ui.lib.col.pilots", lang): g.pilots,
            }
            for g in groups
        ]
    )
    alt = t("ui.lib.groups_table", lang)
    st.dataframe(frame, hide_index=True, key="pool-groups", alt=alt)
    keys = [(g.measure_code, g.intervention_type) for g in groups]
    asked = (st.query_params.get("measure"), st.query_params.get("type"))
    choice = st.selectbox(
        t("ui.lib.group", lang),
        range(len(groups)),
        index=keys.index(asked) if asked in keys else 0,  # type: ignore[arg-type]
        format_func=lambda i: t(
            "ui.lib.group_label",
            lang,
            measure=groups[i].measure_name,
            type=intervention_type_label(groups[i].intervention_type, lang),
            n=groups[i].pilots,
        ),
        key="pool-group",
    )
    measure, kind = keys[choice]
    # The address names the group shown: shareable.
    st.query_params["measure"] = measure
    st.query_params["type"] = kind
    view = read(lambda s: pooled_evidence(s, measure, kind, actor=who))
    pooled_block(view, lang, "overview")


def _overview(who: Actor, lang: str) -> None:
    st.title(t("ui.nav.library", lang))
    st.markdown(t("ui.lib.intro", lang))
    labels = [t("ui.lib.tab.lessons", lang), t("ui.lib.tab.pooled", lang)]
    # A link to a pooled group opens that tab; ?tab= (bound) wins when it is there.
    default = labels[1] if "measure" in st.query_params else labels[0]
    lessons_tab, pooled_tab = st.tabs(labels, key="tab", bind="query-params", default=default)
    if lessons_tab.open:  # only the open tab is built: the other one costs queries for nothing
        with lessons_tab:
            _lessons(who, lang)
    if pooled_tab.open:
        with pooled_tab:
            _pooled_overview(who, lang)


# ---------------------------------------------------------------------------- one lesson
def _evidence_table(views: Sequence[EvidenceView], side: str, lang: str) -> None:
    st.header(t(f"ui.lib.{side}", lang))
    if not views:
        st.caption(t("ui.lib.no_evidence", lang))
        return
    columns = {
        "pilot": "ui.lib.col.pilot",
        "open": "ui.lib.col.open",
        "municipality": "ui.lib.col.municipality",
        "organisation": "ui.lib.col.organisation",
        "hypothesis": "ui.lib.col.hypothesis",
        "verdict": "ui.lib.col.verdict",
        "estimate": "ui.lib.col.estimate",
        "note": "ui.lib.col.note",
    }
    frame = pd.DataFrame(
        [
            {
                "pilot": v.pilot_title,
                "open": _pilot_link(v, lang),
                "municipality": v.municipality,
                "organisation": v.organisation,
                "hypothesis": (
                    f"{v.hypothesis_code} ({v.measure_code})" if v.hypothesis_code else "–"
                ),
                "verdict": charts.VERDICT_LABELS[v.verdict][lang]
                if v.verdict in charts.VERDICT_LABELS
                else t("ui.lib.no_result", lang),
                "estimate": estimate_text(v, lang),
                "note": v.note,
            }
            for v in views
        ],
        columns=list(columns),
    )
    config: dict[str, Any] = {
        name: st.column_config.TextColumn(t(key, lang)) for name, key in columns.items()
    }
    config["open"] = st.column_config.LinkColumn(
        t("ui.lib.col.open", lang), display_text=t("ui.lib.col.open", lang) + " →"
    )
    st.dataframe(
        frame,
        column_config=config,
        hide_index=True,
        key=f"evidence-{side}",
        alt=t("ui.lib.evidence_table", lang, side=t(f"ui.lib.{side}", lang)),
    )


def _from_address(name: str, load: Callable[[Session, int], T], lang: str) -> T | None:
    """What the id in ``?name=`` names, read with ``load``; None after saying why not (no
    valid number, or not there / not the reader's to see). Starts with the way back."""
    _back(lang)
    item_id = _number_from_address(name, lang)
    if item_id is None:
        return None
    try:
        return read(lambda s: load(s, item_id))
    except TrackerError as exc:
        _refused(exc, lang)
        return None


def _lesson_view(who: Actor, lang: str) -> None:
    detail = _from_address("lesson", lambda s, i: lesson_detail(s, i, actor=who), lang)
    if detail is None:
        return
    measures = _measure_names()
    st.title(inert_markdown(detail.statement, block=False))
    st.caption(t("ui.lib.lesson", lang))
    if detail.explanation:
        st.markdown(inert_markdown(detail.explanation))
    st.markdown(
        t(
            "ui.lib.status_rule",
            lang,
            status=status_label(detail.status, lang),
            rule=t(f"ui.lib.rule.{detail.status}", lang),
        )
    )
    source = t("ui.lib.source_pilot", lang, pilot=inert_markdown(detail.pilot_title, block=False))
    if detail.own:
        source += " · " + t(
            "ui.lib.proposed_by", lang, who=inert_markdown(detail.created_by, block=False)
        )
    else:
        source += " · " + t(
            "ui.lib.shared_by", lang, organisation=inert_markdown(detail.organisation, block=False)
        )
    st.caption(source)
    if detail.tags:
        st.markdown(f"**{t('ui.lib.tags', lang)}**")
        st.markdown(
            "\n".join(
                f"- {t(f'vocab.kind.{kind}', lang)}: "
                + inert_markdown(
                    ", ".join(_tag_text(kind, v, lang, measures) for v in detail.tags[kind]),
                    block=False,
                )
                for kind in TAG_KINDS
                if detail.tags.get(kind)
            )
        )
    _evidence_table(detail.supporting, "supporting", lang)
    _evidence_table(detail.contradicting, "contradicting", lang)
    st.header(t("ui.lib.together", lang))
    if not detail.pools:
        st.info(t("ui.lib.no_pools", lang), icon=":material/info:")
    for index, group in enumerate(detail.pools):
        view = read(
            lambda s, g=group: pooled_evidence(s, g.measure_code, g.intervention_type, actor=who)
        )
        pooled_block(view, lang, f"lesson-{index}")


# ------------------------------------------------------------------------ a shared report
def _shared_view(who: Actor, lang: str) -> None:
    shared = _from_address("shared", lambda s, i: shared_report_view(s, i, actor=who), lang)
    if shared is None:
        return
    st.title(inert_markdown(shared.title, block=False))
    st.caption(t("ui.lib.shared_report", lang))
    if shared.own:
        st.info(t("ui.lib.own_report", lang), icon=":material/info:")
        st.page_link(
            "pages/pilot.py",
            label=t("ui.lib.open_pilot", lang),
            icon=":material/science:",
            query_params={"pilot": shared.slug, "lang": lang},
        )
    else:
        st.info(
            t(
                "ui.lib.shared_banner",
                lang,
                organisation=inert_markdown(shared.organisation, block=False),
            ),
            icon=":material/share:",
        )
    with st.container(border=True):
        report_preview(write_report(shared.model, lang))


# ------------------------------------------------------------------------------- the page
def library_page(who: Actor, lang: str) -> None:
    """The library: the list and pooled effects, or one lesson, or a shared report, as the
    address asks."""
    if "shared" in st.query_params:
        _shared_view(who, lang)
    elif "lesson" in st.query_params:
        _lesson_view(who, lang)
    else:
        _overview(who, lang)
