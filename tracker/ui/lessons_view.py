"""The Lessen tab: read the lessons report, fill in what only the officer knows, publish, download;
then share the pilot with other municipalities and propose a lesson for the library.

The report itself is written by ``tracker.reports`` (the same words and numbers as the command
line and every download); this view shows it, keeps the officer's draft through
``tracker.services.reports`` (a concurrent save is refused, never overwritten) and offers each
format for download, generated only when the button is pressed. Sharing and proposing go
through ``tracker.services.sharing`` and ``tracker.services.library``, which check the rights
again; this view only hides what the reader may not do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from tracker import charts
from tracker.i18n import register, t
from tracker.io.text import inert_markdown
from tracker.models import Pilot, Report
from tracker.reports.document import Document, Figure
from tracker.reports.formats import MEDIA_TYPES, ReportFormat, render
from tracker.reports.model import (
    CONDITION_ASSESSMENTS,
    CONDITIONS,
    OBSTACLES,
    RECOMMENDATIONS,
    ConditionEntry,
    Narrative,
    ObstacleEntry,
    ReportDraft,
    ReportModel,
)
from tracker.reports.render_markdown import render_markdown
from tracker.reports.writer import write_report
from tracker.services.access import Action
from tracker.services.hypotheses import list_hypotheses
from tracker.services.library import EvidenceInput, lesson_suggestions, propose_lesson, tag_options
from tracker.services.measures import list_measures
from tracker.services.reports import (
    build_report,
    get_draft,
    list_reports,
    publish_report,
    published_report,
    save_draft,
)
from tracker.services.sharing import share_pilot
from tracker.ui.data import actor, may_on, read, write
from tracker.vocabulary import TAG_KINDS, TagKind, tag_label, tag_values

LIBRARY_PAGE = "pages/library.py"
PROPOSED_KEY = "lessons-proposed"  # the lesson just proposed: its link is shown on the next run

register(
    {
        "ui.l.version": {"nl": "Welke versie", "en": "Which version"},
        "ui.l.current": {
            "nl": "Concept: actuele cijfers en uw aanvullingen",
            "en": "Draft: current figures and your additions",
        },
        "ui.l.published": {
            "nl": "Versie {number}, gepubliceerd op {when} door {who}",
            "en": "Version {number}, published on {when} by {who}",
        },
        "ui.l.frozen": {
            "nl": "Deze versie is bevroren: latere metingen veranderen haar niet. SHA-256: {sha}",
            "en": "This version is frozen: later measurements do not change it. SHA-256: {sha}",
        },
        "ui.l.building": {
            "nl": "Het rapport wordt opgesteld…",
            "en": "Writing the report…",
        },
        "ui.l.download": {"nl": "Downloaden", "en": "Download"},
        "ui.l.download.md": {"nl": "Markdown", "en": "Markdown"},
        "ui.l.download.html": {"nl": "Webpagina (HTML)", "en": "Web page (HTML)"},
        "ui.l.download.docx": {"nl": "Word (DOCX)", "en": "Word (DOCX)"},
        "ui.l.download.pdf": {"nl": "PDF", "en": "PDF"},
        "ui.l.edit": {"nl": "Aanvullen", "en": "Add your part"},
        "ui.l.edit_help": {
            "nl": "Wat alleen u weet: een samenvatting, uw toelichting, de voorwaarden en "
            "obstakels, en het besluit over de aanbeveling. De cijfers vult Proeftuin zelf in.",
            "en": "What only you know: a summary, your notes, the conditions and obstacles, and "
            "the decision on the recommendation. Proeftuin fills in the figures itself.",
        },
        "ui.l.summary": {"nl": "Samenvatting (in het kort)", "en": "Summary (at a glance)"},
        "ui.l.why": {"nl": "Toelichting bij 4. Waarom", "en": "Note for 4. Why"},
        "ui.l.unforeseen": {
            "nl": "Toelichting bij 5. Wat we niet voorzagen",
            "en": "Note for 5. What we did not foresee",
        },
        "ui.l.next": {"nl": "Volgende stappen", "en": "Next steps"},
        "ui.l.conditions": {
            "nl": "Voorwaarden voor zelforganisatie",
            "en": "Conditions for self-organisation",
        },
        "ui.l.assessment": {"nl": "Oordeel", "en": "Assessment"},
        "ui.l.condition_note": {"nl": "Toelichting", "en": "Note"},
        "ui.l.obstacles": {"nl": "Obstakels die we tegenkwamen", "en": "Obstacles we met"},
        "ui.l.obstacle_note": {"nl": "Hoe (optioneel)", "en": "How (optional)"},
        "ui.l.other": {"nl": "Ander obstakel", "en": "Other obstacle"},
        "ui.l.recommendation": {"nl": "Aanbeveling", "en": "Recommendation"},
        "ui.l.proposal": {
            "nl": "Voorstel volgens de vaste regel: **{rec}**, omdat {why}. Kies een andere "
            "aanbeveling alleen met een reden.",
            "en": "Proposal by the fixed rule: **{rec}**, because {why}. Choose another "
            "recommendation only with a reason.",
        },
        "ui.l.reason": {
            "nl": "Reden (verplicht als u afwijkt van het voorstel)",
            "en": "Reason (required when you depart from the proposal)",
        },
        "ui.l.save": {"nl": "Concept opslaan", "en": "Save draft"},
        "ui.l.saved": {"nl": "Concept opgeslagen.", "en": "Draft saved."},
        "ui.l.reload": {
            "nl": "Iemand anders heeft het concept intussen opgeslagen. Laad de nieuwste versie "
            "en breng uw wijziging opnieuw aan.",
            "en": "Someone else saved the draft meanwhile. Load the newest version and make "
            "your change again.",
        },
        "ui.l.reload_button": {"nl": "Nieuwste versie laden", "en": "Load the newest version"},
        "ui.l.publish": {"nl": "Publiceren", "en": "Publish"},
        "ui.l.publish_help": {
            "nl": "Publiceren bevriest het rapport zoals het nu is, met uw naam, de datum en een "
            "controlegetal (SHA-256). Een volgende publicatie wordt een nieuwe versie; eerdere "
            "versies blijven bewaard.",
            "en": "Publishing freezes the report as it is now, with your name, the date and a "
            "checksum (SHA-256). A later publication becomes a new version; earlier versions "
            "are kept.",
        },
        "ui.l.published_now": {
            "nl": "Versie {number} is gepubliceerd.",
            "en": "Version {number} has been published.",
        },
        "ui.l.unsaved": {
            "nl": "Sla eerst uw aanvullingen op; publiceren gebruikt het opgeslagen concept.",
            "en": "Save your additions first; publishing uses the saved draft.",
        },
        # --- sharing with other municipalities
        "ui.l.share": {"nl": "Delen met andere gemeenten", "en": "Share with other municipalities"},
        "ui.l.share.on": {
            "nl": "Gedeeld met andere gemeenten sinds {when}, door {who}.",
            "en": "Shared with other municipalities since {when}, by {who}.",
        },
        "ui.l.share.off": {
            "nl": "Niet gedeeld: alleen uw eigen organisatie ziet deze pilot.",
            "en": "Not shared: only your own organisation sees this pilot.",
        },
        "ui.l.share.what": {
            "nl": "Wat andere gemeenten dan zien, alleen-lezen in de bibliotheek: de gegevens "
            "van de pilot (titel, doel, gemeente, domeinen, soort interventie, fasen), de "
            "gepubliceerde lessenrapporten zonder het logboek, en de resultaten daarin, met "
            "kleine aantallen afgeschermd. Nooit: concepten, de metingen zelf of het logboek. "
            "Lessen uit deze pilot worden voor hen zichtbaar in de bibliotheek.",
            "en": "What other municipalities then see, read-only in the library: the pilot's "
            "facts (title, aim, municipality, domains, intervention type, phases), the published "
            "lessons reports without the journal, and the results in them, with small numbers "
            "protected. Never: drafts, the measurements themselves or the journal. Lessons from "
            "this pilot become visible to them in the library.",
        },
        "ui.l.share.needs": {
            "nl": "Delen kan pas als er een gepubliceerd lessenrapport is: andere gemeenten zien "
            "alleen wat gepubliceerd is.",
            "en": "Sharing needs a published lessons report: other municipalities see only what "
            "is published.",
        },
        "ui.l.share.button": {
            "nl": "Delen met andere gemeenten",
            "en": "Share with other municipalities",
        },
        "ui.l.share.stop": {"nl": "Stoppen met delen", "en": "Stop sharing"},
        "ui.l.share.done": {
            "nl": "De pilot is gedeeld met andere gemeenten.",
            "en": "The pilot is shared with other municipalities.",
        },
        "ui.l.share.stopped": {
            "nl": "De pilot wordt niet meer gedeeld.",
            "en": "The pilot is no longer shared.",
        },
        # --- proposing a lesson for the library
        "ui.l.propose": {
            "nl": "Les voorstellen voor de bibliotheek",
            "en": "Propose a lesson for the library",
        },
        "ui.l.p.intro": {
            "nl": "Schrijf in één zin op wat andere gemeenten van deze pilot kunnen leren. De "
            "labels en de onderbouwing zijn alvast ingevuld uit de pilot en het rapport; pas ze "
            "aan waar nodig. De status van de les volgt later vanzelf uit de pilots die haar "
            "ondersteunen of weerspreken.",
            "en": "Write in one sentence what other municipalities can learn from this pilot. "
            "The tags and the evidence are filled in from the pilot and its report; change them "
            "where needed. The lesson's status then follows by itself from the pilots that "
            "support or contradict it.",
        },
        "ui.l.p.statement": {
            "nl": "De les in één zin (10 tot 500 tekens)",
            "en": "The lesson in one sentence (10 to 500 characters)",
        },
        "ui.l.p.explanation": {
            "nl": "Toelichting (optioneel): onder welke omstandigheden, en waarom",
            "en": "Explanation (optional): under which circumstances, and why",
        },
        "ui.l.p.tags": {"nl": "Labels", "en": "Tags"},
        "ui.l.p.tags_help": {
            "nl": "Met dezelfde indicator én soort interventie worden pilots samengenomen tot "
            "één gezamenlijk effect.",
            "en": "Pilots with the same measure and intervention type are pooled into one joint "
            "effect.",
        },
        "ui.l.p.none_chosen": {"nl": "Geen", "en": "None"},
        "ui.l.p.evidence": {
            "nl": "Onderbouwing uit deze pilot",
            "en": "Evidence from this pilot",
        },
        "ui.l.p.evidence_help": {
            "nl": "Vink de hypothesen aan die de les ondersteunen of weerspreken.",
            "en": "Tick the hypotheses that support or contradict the lesson.",
        },
        "ui.l.p.no_hypotheses": {
            "nl": "Deze pilot heeft nog geen hypothesen.",
            "en": "This pilot has no hypotheses yet.",
        },
        "ui.l.p.hypothesis": {
            "nl": "{code} meenemen als onderbouwing (uitslag: {verdict})",
            "en": "Use {code} as evidence (verdict: {verdict})",
        },
        "ui.l.p.no_verdict": {"nl": "nog geen", "en": "none yet"},
        "ui.l.p.stance": {"nl": "{code}: de hypothese", "en": "{code}: the hypothesis"},
        "ui.l.p.stance.supports": {"nl": "ondersteunt de les", "en": "supports the lesson"},
        "ui.l.p.stance.contradicts": {
            "nl": "weerspreekt de les",
            "en": "contradicts the lesson",
        },
        "ui.l.p.submit": {"nl": "Les voorstellen", "en": "Propose the lesson"},
        "ui.l.p.done": {
            "nl": "De les staat in de bibliotheek.",
            "en": "The lesson is in the library.",
        },
        "ui.l.p.open": {
            "nl": "Open de les in de bibliotheek",
            "en": "Open the lesson in the library",
        },
    }
)

FORMATS = (ReportFormat.pdf, ReportFormat.docx, ReportFormat.html, ReportFormat.md)


def report_preview(doc: Document) -> None:
    """The document as the reader will see it: Markdown text, charts as images (also the
    library's read-only view of a shared report)."""
    from tracker.reports.figures import chart_png

    text: list = []

    def flush() -> None:
        if text:
            part = Document(doc.title, doc.lang, tuple(text))
            # Without the title line: the preview sits under the pilot's own heading.
            st.markdown(render_markdown(part).split("\n", 2)[2])
            text.clear()

    st.markdown(f"### {inert_markdown(doc.title)}")
    if doc.subtitle:
        st.caption(inert_markdown(doc.subtitle))
    for block in doc.blocks:
        if isinstance(block, Figure):
            flush()
            st.image(
                chart_png(block.chart),
                caption=block.caption or block.chart.alt,
                alt=block.chart.alt,  # what a screen reader says instead of the picture
            )
        else:
            text.append(block)
    flush()
    if doc.footer:
        st.caption(inert_markdown(doc.footer))


def _downloads(doc: Document, stem: str, lang: str) -> None:
    st.markdown(f"**{t('ui.l.download', lang)}**")
    for column, fmt in zip(st.columns(len(FORMATS)), FORMATS, strict=True):
        with column:
            st.download_button(
                t(f"ui.l.download.{fmt.value}", lang),
                # A callable: the file is made when the button is pressed, not on every run.
                data=lambda fmt=fmt: render(doc, fmt),
                file_name=f"{stem}.{fmt.value}",
                mime=MEDIA_TYPES[fmt],
                key=f"lessons-download-{fmt.value}",
                icon=":material/download:",
            )


def _draft_form(
    pilot: Pilot, model: ReportModel, draft: ReportDraft, stored_version: int, lang: str
) -> None:
    base_key = f"lessons-base-{pilot.id}"
    # The version this form started from: a save names it, so a concurrent save is refused.
    base = st.session_state.setdefault(base_key, stored_version)
    if base != stored_version:
        st.warning(t("ui.l.reload", lang), icon=":material/sync_problem:")
        if st.button(t("ui.l.reload_button", lang), key="lessons-reload"):
            for key in [k for k in st.session_state if str(k).startswith("lessons-f-")]:
                del st.session_state[key]
            st.session_state[base_key] = stored_version
            st.rerun()
    st.caption(t("ui.l.edit_help", lang))
    conditions = {c.code: c for c in draft.conditions}
    obstacles = {o.code: o for o in draft.obstacles}
    with st.form("lessons-form"):
        summary = st.text_area(
            t("ui.l.summary", lang), draft.narrative.summary, key="lessons-f-summary"
        )
        why = st.text_area(t("ui.l.why", lang), draft.narrative.why, key="lessons-f-why")
        unforeseen = st.text_area(
            t("ui.l.unforeseen", lang), draft.narrative.unforeseen, key="lessons-f-unforeseen"
        )
        st.markdown(f"**{t('ui.l.conditions', lang)}**")
        chosen_conditions = []
        for code in CONDITIONS:
            entry = conditions.get(code, ConditionEntry(code))
            left, right = st.columns([1, 2])
            with left:
                assessment = st.selectbox(
                    f"{t(f'report.condition.{code}', lang)}: {t('ui.l.assessment', lang)}",
                    CONDITION_ASSESSMENTS,
                    index=CONDITION_ASSESSMENTS.index(entry.assessment),
                    format_func=lambda a: t(f"report.assessment.{a}", lang),
                    key=f"lessons-f-cond-{code}",
                )
            with right:
                note = st.text_input(
                    f"{t(f'report.condition.{code}', lang)}: {t('ui.l.condition_note', lang)}",
                    entry.text,
                    key=f"lessons-f-cond-text-{code}",
                )
            chosen_conditions.append(ConditionEntry(code, assessment, note))
        st.markdown(f"**{t('ui.l.obstacles', lang)}**")
        chosen_obstacles = []
        for code in OBSTACLES[:-1]:
            left, right = st.columns([1, 2])
            with left:
                ticked = st.checkbox(
                    t(f"report.obstacle.{code}", lang),
                    code in obstacles,
                    key=f"lessons-f-obst-{code}",
                )
            with right:
                how = st.text_input(
                    f"{t(f'report.obstacle.{code}', lang)}: {t('ui.l.obstacle_note', lang)}",
                    obstacles[code].text if code in obstacles else "",
                    key=f"lessons-f-obst-text-{code}",
                    label_visibility="collapsed",
                )
            if ticked:
                chosen_obstacles.append(ObstacleEntry(code, how))
        other = st.text_input(
            t("ui.l.other", lang),
            obstacles["other"].text if "other" in obstacles else "",
            key="lessons-f-other",
        )
        if other.strip():
            chosen_obstacles.append(ObstacleEntry("other", other))
        st.markdown(f"**{t('ui.l.recommendation', lang)}**")
        rec = model.recommendation
        st.markdown(
            t(
                "ui.l.proposal",
                lang,
                rec=t(f"report.rec.{rec.proposed}", lang),
                why=t(f"report.rule.{rec.rule}", lang),
            )
        )
        choice = st.radio(
            t("ui.l.recommendation", lang),
            RECOMMENDATIONS,
            index=RECOMMENDATIONS.index(rec.chosen),
            format_func=lambda r: t(f"report.rec.{r}", lang),
            key="lessons-f-rec",
            horizontal=True,
            label_visibility="collapsed",
        )
        reason = st.text_area(
            t("ui.l.reason", lang), draft.recommendation_reason, key="lessons-f-reason"
        )
        next_steps = st.text_area(
            t("ui.l.next", lang), draft.narrative.next_steps, key="lessons-f-next"
        )
        submitted = st.form_submit_button(t("ui.l.save", lang), key="lessons-save", type="primary")
    if submitted:
        new = ReportDraft(
            narrative=Narrative(summary, why, unforeseen, next_steps),
            conditions=tuple(chosen_conditions),
            obstacles=tuple(chosen_obstacles),
            recommendation="" if choice == rec.proposed and not reason.strip() else choice,
            recommendation_reason=reason,
        )
        saved = write(lambda s: save_draft(s, pilot.id, new, expected_version=base, actor=actor()))
        if saved is not None:
            st.session_state[base_key] = saved
            st.session_state["lessons-flash"] = t("ui.l.saved", lang)
            st.rerun()


def _publish(pilot: Pilot, model: ReportModel, lang: str) -> None:
    st.caption(t("ui.l.publish_help", lang) + " " + t("ui.l.unsaved", lang))
    if st.button(t("ui.l.publish", lang), key="lessons-publish", icon=":material/publish:"):
        # What this reader saw: the draft version and the proposal on screen. A newer draft
        # or a proposal changed by new data is refused instead of published unseen.
        seen = st.session_state.get(f"lessons-base-{pilot.id}")
        row = write(
            lambda s: publish_report(
                s,
                pilot.id,
                actor=actor(),
                language=lang,
                expected_draft_version=seen,
                seen_proposal=model.recommendation.proposed,
            )
        )
        if row is not None:
            st.session_state["lessons-flash"] = t("ui.l.published_now", lang, number=row.number)
            st.session_state["lessons-show"] = row.number  # shown on the next run
            st.rerun()


def _when(moment: dt.datetime, lang: str) -> str:
    return moment.strftime("%d-%m-%Y" if lang == "nl" else "%Y-%m-%d")


def _share_section(pilot: Pilot, versions: list[Report], lang: str) -> None:
    """Whether others may read the pilot, what they would see, and the switch."""
    if pilot.shared_at is not None:
        st.markdown(
            t(
                "ui.l.share.on",
                lang,
                when=_when(pilot.shared_at, lang),
                who=inert_markdown(pilot.shared_by, block=False),
            )
        )
    else:
        st.markdown(t("ui.l.share.off", lang))
    st.caption(t("ui.l.share.what", lang))
    shared = pilot.shared_at is not None
    if not shared and not versions:
        st.info(t("ui.l.share.needs", lang), icon=":material/info:")
    if st.button(
        t("ui.l.share.stop" if shared else "ui.l.share.button", lang),
        key="lessons-share",
        icon=":material/share:",
        disabled=not shared and not versions,
    ):
        # The version this page read: a change of the pilot since then is refused, not undone.
        done = write(
            lambda s: (
                share_pilot(
                    s, pilot.id, shared=not shared, expected_version=pilot.version, actor=actor()
                ).id
            )
        )
        if done is not None:
            st.session_state["lessons-flash"] = t(
                "ui.l.share.stopped" if shared else "ui.l.share.done", lang
            )
            st.rerun()


def _proposal_inputs(pilot: Pilot) -> dict[str, Any]:
    """What the form offers and starts with (one transaction for all of it)."""
    who = actor()

    def load(session: Any) -> dict[str, Any]:
        tags, evidence = lesson_suggestions(session, pilot.id, actor=who)
        return {
            "tags": tags,
            "evidence": {e.hypothesis_id: e.stance for e in evidence},
            "hypotheses": list_hypotheses(session, pilot.id),
            "measures": {m.code: m.name for m in list_measures(session)},
            "used": tag_options(session, actor=who),
        }

    return read(load)


def _tag_choices(
    kind: str, inputs: dict[str, Any], draft: ReportDraft
) -> tuple[list[str], list[str]]:
    """The options of one tag kind and what the form starts with."""
    suggested = list(inputs["tags"].get(kind, []))
    if kind == TagKind.condition:
        # The conditions the officer assessed in the report are what the lesson is about.
        suggested = [c.code for c in draft.conditions if c.assessment]
    elif kind == TagKind.obstacle:
        suggested = [o.code for o in draft.obstacles]
    if kind == TagKind.measure:
        options = list(inputs["measures"])
    else:
        options = list(tag_values(kind) or ())
        if not options:  # free words (domains): the pilot's own and those already in use
            options = sorted({*suggested, *inputs["used"].get(kind, [])})
    return options, [v for v in suggested if v in options]


def _propose_section(pilot: Pilot, model: ReportModel, draft: ReportDraft, lang: str) -> None:
    """A lesson drawn from this pilot: its sentence, tags and the evidence of its hypotheses."""
    inputs = _proposal_inputs(pilot)
    measures: dict[str, str] = inputs["measures"]
    verdicts = {o.code: o.result.get("verdict") for o in model.outcomes}
    st.caption(t("ui.l.p.intro", lang))
    with st.form("lessons-propose"):
        statement = st.text_area(t("ui.l.p.statement", lang), key="lessons-p-statement")
        explanation = st.text_area(t("ui.l.p.explanation", lang), key="lessons-p-explanation")
        st.markdown(f"**{t('ui.l.p.tags', lang)}**")
        st.caption(t("ui.l.p.tags_help", lang))
        tags: dict[str, list[str]] = {}
        columns = st.columns(3)
        for index, kind in enumerate(TAG_KINDS):
            options, default = _tag_choices(kind, inputs, draft)

            def label(value: str, kind: str = kind) -> str:
                if kind == TagKind.measure and value in measures:
                    return f"{measures[value]} ({value})"
                return tag_label(kind, value, lang)

            with columns[index % 3]:
                tags[kind] = st.multiselect(
                    t(f"vocab.kind.{kind}", lang),
                    options,
                    default=default,
                    format_func=label,
                    key=f"lessons-p-tag-{kind}",
                    placeholder=t("ui.l.p.none_chosen", lang),
                    # A domain is a free word; the other kinds keep to the shared vocabulary.
                    accept_new_options=kind == TagKind.domain,
                )
        st.markdown(f"**{t('ui.l.p.evidence', lang)}**")
        st.caption(t("ui.l.p.evidence_help", lang))
        if not inputs["hypotheses"]:
            st.caption(t("ui.l.p.no_hypotheses", lang))
        chosen: list[tuple[int, str]] = []
        stances = ["supports", "contradicts"]
        for h in inputs["hypotheses"]:
            verdict = verdicts.get(h.code)
            left, right = st.columns([3, 2])
            with left:
                ticked = st.checkbox(
                    t(
                        "ui.l.p.hypothesis",
                        lang,
                        code=h.code,
                        verdict=charts.VERDICT_LABELS[verdict][lang]
                        if verdict in charts.VERDICT_LABELS
                        else t("ui.l.p.no_verdict", lang),
                    ),
                    value=h.id in inputs["evidence"],
                    key=f"lessons-p-ev-{h.id}",
                )
                # The hypothesis itself under its box: too long for a label that stays whole.
                st.caption(inert_markdown(f"{h.if_text}, {h.then_text}", block=False))
            with right:
                stance = st.selectbox(
                    t("ui.l.p.stance", lang, code=h.code),
                    stances,
                    index=stances.index(inputs["evidence"].get(h.id, "supports")),
                    format_func=lambda s: t(f"ui.l.p.stance.{s}", lang),
                    key=f"lessons-p-stance-{h.id}",
                )
            if ticked:
                chosen.append((h.id, stance))
        submitted = st.form_submit_button(
            t("ui.l.p.submit", lang), key="lessons-p-submit", type="primary"
        )
    if submitted:
        data = {
            "statement": statement,
            "explanation": explanation,
            "pilot_id": pilot.id,
            "tags": {kind: values for kind, values in tags.items() if values},
        }
        evidence = [EvidenceInput(pilot.id, stance, hid) for hid, stance in chosen]  # type: ignore[arg-type]
        lesson_id = write(lambda s: propose_lesson(s, data, actor=actor(), evidence=evidence).id)
        if lesson_id is not None:
            # An empty form for the next lesson; the link to this one shows after the rerun.
            for key in [k for k in st.session_state if str(k).startswith("lessons-p-")]:
                del st.session_state[key]
            st.session_state["lessons-flash"] = t("ui.l.p.done", lang)
            st.session_state[PROPOSED_KEY] = lesson_id
            st.rerun()


def lessons_tab(pilot: Pilot, lang: str) -> None:
    flash = st.session_state.pop("lessons-flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    proposed = st.session_state.pop(PROPOSED_KEY, None)
    if proposed is not None:
        st.page_link(
            LIBRARY_PAGE,
            label=t("ui.l.p.open", lang),
            icon=":material/local_library:",
            query_params={"lesson": str(proposed), "lang": lang},
        )
    versions = read(lambda s: list_reports(s, pilot.id))
    labels = {0: t("ui.l.current", lang)} | {
        r.number: t(
            "ui.l.published",
            lang,
            number=r.number,
            when=r.published_at.strftime("%d-%m-%Y %H:%M" if lang == "nl" else "%Y-%m-%d %H:%M"),
            who=r.published_by,
        )
        for r in versions
    }
    if "lessons-show" in st.session_state:  # just published: open that version
        st.session_state["lessons-version"] = st.session_state.pop("lessons-show")
    if st.session_state.get("lessons-version") not in labels:
        st.session_state["lessons-version"] = 0
    number = st.selectbox(
        t("ui.l.version", lang), list(labels), format_func=labels.get, key="lessons-version"
    )
    # Analysing every hypothesis and drawing the charts takes a moment: say so.
    with st.spinner(t("ui.l.building", lang)):
        if number:
            model = read(lambda s: published_report(s, pilot.id, number))
            draft = model.draft
        else:
            draft, draft_version = read(lambda s: get_draft(s, pilot.id))
            model = read(lambda s: build_report(s, pilot.id, draft=draft))
        doc = write_report(model, lang)
    if model.publication is not None:
        st.info(t("ui.l.frozen", lang, sha=model.publication.sha256), icon=":material/lock:")
    _downloads(doc, f"lessen-{pilot.slug}" + (f"-v{number}" if number else ""), lang)
    if not number and may_on(pilot, Action.publish_report):
        with st.expander(t("ui.l.edit", lang), expanded=False, icon=":material/edit:"):
            _draft_form(pilot, model, draft, draft_version, lang)
        _publish(pilot, model, lang)
    if may_on(pilot, Action.share_pilot):
        with st.expander(t("ui.l.share", lang), icon=":material/share:"):
            _share_section(pilot, versions, lang)
    if may_on(pilot, Action.propose_lesson):
        with st.expander(t("ui.l.propose", lang), icon=":material/local_library:"):
            _propose_section(pilot, model, draft, lang)
    with st.container(border=True):
        report_preview(doc)
