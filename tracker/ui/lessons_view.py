"""The Lessen tab: read the lessons report, fill in what only the officer knows, publish, download.

The report itself is written by ``tracker.reports`` (the same words and numbers as the command
line and every download); this view shows it, keeps the officer's draft through
``tracker.services.reports`` (a concurrent save is refused, never overwritten) and offers each
format for download, generated only when the button is pressed.
"""

from __future__ import annotations

import streamlit as st

from tracker.i18n import register, t
from tracker.io.text import inert_markdown
from tracker.models import Pilot
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
from tracker.services.reports import (
    build_report,
    get_draft,
    list_reports,
    publish_report,
    published_report,
    save_draft,
)
from tracker.ui.data import actor, may_on, read, write

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
    }
)

FORMATS = (ReportFormat.pdf, ReportFormat.docx, ReportFormat.html, ReportFormat.md)


def _preview(doc: Document) -> None:
    """The document as the reader will see it: Markdown text, charts as images."""
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


def lessons_tab(pilot: Pilot, lang: str) -> None:
    flash = st.session_state.pop("lessons-flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
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
    with st.container(border=True):
        _preview(doc)
