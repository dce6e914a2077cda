"""The pilot page's tabs: set-up and hypotheses, measurements, interventions, journal, analysis.

Each function renders one tab; every read and write goes through the services (``read`` and
``write`` in :mod:`tracker.ui.data`), so the rules live there, not here.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from tracker import charts
from tracker.i18n import MESSAGES, register, t
from tracker.io.text import inert_markdown as md
from tracker.models import (
    AMENDABLE_FIELDS,
    Hypothesis,
    InterventionStatus,
    Measure,
    ObservationKind,
    Pilot,
    User,
)
from tracker.reports import writer as _report_texts  # noqa: F401  (report.field.* labels)
from tracker.services import hypotheses as hyp
from tracker.services import journal
from tracker.services.access import Action, Actor, may
from tracker.services.analysis import HypothesisAnalysis, analyze_pilot
from tracker.services.audit import pilot_history
from tracker.services.measurement_entry import (
    measurement_grid,
    save_measurement,
    save_measurement_grid,
)
from tracker.services.measurements import ImportReport, import_measurements
from tracker.services.measures import list_measures
from tracker.services.pilots import add_member, list_members, update_pilot
from tracker.services.verdicts import rerun_analysis
from tracker.ui.data import actor, may_on, read, write
from tracker.ui.import_view import column_mapping, statline_section
from tracker.vocabulary import INTERVENTION_TYPES, intervention_type_label

TABS = ("setup", "measurements", "interventions", "journal", "analysis", "lessons", "history")

register(
    {
        "ui.tab.setup": {"nl": "Opzet", "en": "Set-up"},
        "ui.tab.measurements": {"nl": "Metingen", "en": "Measurements"},
        "ui.tab.interventions": {"nl": "Interventies", "en": "Interventions"},
        "ui.tab.journal": {"nl": "Logboek", "en": "Journal"},
        "ui.tab.analysis": {"nl": "Analyse", "en": "Analysis"},
        "ui.tab.lessons": {"nl": "Lessen", "en": "Lessons"},
        "ui.tab.history": {"nl": "Geschiedenis", "en": "History"},
        "ui.hist.intro": {
            "nl": "Elke wijziging aan deze pilot, nieuwste eerst: wie, wanneer, wat, en de "
            "waarden ervoor en erna. De gebeurtenissen zijn aan elkaar gekoppeld met hashes; "
            "`tracker audit verify` controleert dat er niets is veranderd.",
            "en": "Every change to this pilot, newest first: who, when, what, and the values "
            "before and after. The events are chained by hashes; `tracker audit verify` checks "
            "that nothing was altered.",
        },
        "ui.hist.none": {"nl": "Nog geen gebeurtenissen.", "en": "No events yet."},
        # What the audit trail's action and entity codes mean, in plain words.
        "ui.hist.action.create": {"nl": "aangemaakt", "en": "created"},
        "ui.hist.action.update": {"nl": "gewijzigd", "en": "changed"},
        "ui.hist.action.register": {"nl": "vastgelegd", "en": "registered"},
        "ui.hist.action.amend": {"nl": "aangepast met reden", "en": "amended with a reason"},
        "ui.hist.action.import": {"nl": "geïmporteerd", "en": "imported"},
        "ui.hist.action.grid_save": {"nl": "tabel opgeslagen", "en": "table saved"},
        "ui.hist.action.publish": {"nl": "gepubliceerd", "en": "published"},
        "ui.hist.action.rerun_analysis": {
            "nl": "analyse opnieuw uitgevoerd",
            "en": "analysis run again",
        },
        "ui.hist.entity.pilot": {"nl": "pilot", "en": "pilot"},
        "ui.hist.entity.hypothesis": {"nl": "hypothese", "en": "hypothesis"},
        "ui.hist.entity.measurement": {"nl": "metingen", "en": "measurements"},
        "ui.hist.entity.intervention": {"nl": "interventie", "en": "intervention"},
        "ui.hist.entity.observation": {"nl": "logboeknotitie", "en": "journal note"},
        "ui.hist.entity.report": {"nl": "lessenrapport", "en": "lessons report"},
        "ui.hist.entity.report_draft": {"nl": "rapportconcept", "en": "report draft"},
        "ui.hist.entity.pilot_member": {"nl": "teamlid", "en": "team member"},
        "ui.hist.when": {"nl": "Wanneer (UTC)", "en": "When (UTC)"},
        "ui.hist.who": {"nl": "Wie", "en": "Who"},
        "ui.hist.action": {"nl": "Actie", "en": "Action"},
        "ui.hist.entity": {"nl": "Onderdeel", "en": "Item"},
        "ui.hist.changes": {"nl": "Wijzigingen", "en": "Changes"},
        "ui.hist.table": {"nl": "Geschiedenis van de pilot", "en": "History of the pilot"},
        "ui.team.heading": {"nl": "Team", "en": "Team"},
        "ui.team.owner": {"nl": "eigenaar", "en": "owner"},
        "ui.team.add": {"nl": "Teamlid toevoegen", "en": "Add a team member"},
        "ui.team.email": {
            "nl": "E-mailadres van de collega",
            "en": "The colleague's e-mail address",
        },
        "ui.team.added": {"nl": "Toegevoegd aan het team.", "en": "Added to the team."},
        "ui.readonly": {
            "nl": "U kunt dit bekijken; wijzigen is voor het team van de pilot.",
            "en": "You can view this; changes are for the pilot's team.",
        },
        "ui.a.rerun": {"nl": "Analyse opnieuw uitvoeren", "en": "Run the analysis again"},
        "ui.a.rerun_help": {
            "nl": "Berekent alle uitslagen opnieuw en bewaart ze, bijvoorbeeld na een nieuwe "
            "hypothese of gewijzigde data van de fasen.",
            "en": "Recomputes and stores every verdict, e.g. after a new hypothesis or changed "
            "phase dates.",
        },
        "ui.a.rerun_ok": {
            "nl": "{n} uitslagen opnieuw berekend en bewaard.",
            "en": "{n} verdicts recomputed and stored.",
        },
        "ui.pilot.choose": {"nl": "Kies een pilot", "en": "Choose a pilot"},
        "ui.pilot.none": {
            "nl": "Er zijn nog geen pilots. Leg er een vast via ‘Nieuwe pilot’.",
            "en": "There are no pilots yet. Register one under ‘New pilot’.",
        },
        "ui.pilot.unknown": {
            "nl": "De pilot ‘{slug}’ bestaat niet (meer). Kies een andere pilot.",
            "en": "The pilot ‘{slug}’ does not exist (any more). Choose another pilot.",
        },
        "ui.pilot.context": {
            "nl": "**Gemeente:** {municipality} ({code}) · **Domeinen:** {domains} · "
            "**Strategie:** {strategy} · **Soort interventie:** {intervention_type}  \n"
            "**Nulmeting vanaf** {baseline} · **interventie vanaf** {start} · "
            "**evaluatie tot** {end}",
            "en": "**Municipality:** {municipality} ({code}) · **Domains:** {domains} · "
            "**Strategy:** {strategy} · **Intervention type:** {intervention_type}  \n"
            "**Baseline from** {baseline} · **intervention from** {start} · "
            "**evaluation until** {end}",
        },
        "ui.pilot.intervention_type": {"nl": "Soort interventie", "en": "Intervention type"},
        "ui.pilot.intervention_type_none": {"nl": "niet opgegeven", "en": "not stated"},
        "ui.pilot.intervention_type_help": {
            "nl": "Kies wat het beste past. Met de soort kan de bibliotheek deze pilot naast "
            "andere pilots van dezelfde soort leggen (ook van andere gemeenten) en hun "
            "resultaten samen bekijken.",
            "en": "Choose what fits best. With the type the library can put this pilot beside "
            "other pilots of the same type (also of other municipalities) and pool their "
            "results.",
        },
        "ui.pilot.intervention_type_edit": {
            "nl": "Soort interventie wijzigen",
            "en": "Change the intervention type",
        },
        "ui.pilot.save": {"nl": "Opslaan", "en": "Save"},
        "ui.pilot.shared_since": {
            "nl": "Gedeeld met andere gemeenten sinds {date}.",
            "en": "Shared with other municipalities since {date}.",
        },
        "ui.pilot.areas": {"nl": "Gebieden", "en": "Areas"},
        "ui.pilot.partners": {"nl": "Partners", "en": "Partners"},
        "ui.hyp.heading": {"nl": "Hypothesen", "en": "Hypotheses"},
        "ui.hyp.statement": {
            "nl": "**Als we** {if_text}, **dan** {then_text}, **omdat** {because_text}.",
            "en": "**If we** {if_text}, **then** {then_text}, **because** {because_text}.",
        },
        "ui.hyp.facts": {
            "nl": "Indicator: {measure} · verwachting: {direction} · kleinste betekenisvolle "
            "effect: {delta} · opzet: {design}{primary}",
            "en": "Measure: {measure} · expectation: {direction} · minimal meaningful effect: "
            "{delta} · design: {design}{primary}",
        },
        "ui.hyp.primary": {"nl": " · primair", "en": " · primary"},
        "ui.hyp.registered": {
            "nl": "Vastgelegd op {at} · vingerafdruk {hash}",
            "en": "Registered on {at} · fingerprint {hash}",
        },
        "ui.hyp.late": {
            "nl": "Te laat vastgelegd: pas na de start van de interventie.",
            "en": "Registered late: only after the intervention started.",
        },
        "ui.hyp.not_registered": {
            "nl": "Nog niet vastgelegd: de hypothese kan nog veranderen.",
            "en": "Not registered yet: the hypothesis can still change.",
        },
        "ui.hyp.register": {"nl": "Hypothesen vastleggen", "en": "Register the hypotheses"},
        "ui.hyp.register_help": {
            "nl": "Vastleggen zet de hypothesen op slot met datum en vingerafdruk. Daarna kunt u "
            "ze alleen nog wijzigen met een reden, naast het origineel.",
            "en": "Registering locks the hypotheses with a date and fingerprint. After that they "
            "can only be amended with a reason, beside the original.",
        },
        "ui.hyp.registered_ok": {
            "nl": "{n} hypothese(n) vastgelegd.",
            "en": "{n} hypothesis(es) registered.",
        },
        "ui.hyp.amendments": {
            "nl": "Wijzigingen na vastleggen",
            "en": "Amendments after registration",
        },
        "ui.hyp.amendment": {
            "nl": "{at} · {field}: ‘{old}’ → ‘{new}’ — {reason} ({author})",
            "en": "{at} · {field}: ‘{old}’ → ‘{new}’ — {reason} ({author})",
        },
        "ui.hyp.amend": {"nl": "Wijziging vastleggen", "en": "Record an amendment"},
        "ui.hyp.amend_field": {"nl": "Wat verandert er?", "en": "What changes?"},
        "ui.hyp.amend_value": {"nl": "Nieuwe waarde", "en": "New value"},
        "ui.hyp.amend_reason": {
            "nl": "Reden (minstens 10 tekens)",
            "en": "Reason (at least 10 characters)",
        },
        "ui.hyp.amended_ok": {
            "nl": "De wijziging is vastgelegd.",
            "en": "The amendment is recorded.",
        },
        "ui.m.measure": {"nl": "Indicator", "en": "Measure"},
        "ui.m.no_hypotheses": {
            "nl": "Deze pilot heeft nog geen hypothesen, dus nog geen indicatoren om te meten.",
            "en": "This pilot has no hypotheses yet, so no measures to record.",
        },
        "ui.m.form": {"nl": "Eén meting invoeren", "en": "Enter one measurement"},
        "ui.m.grid": {"nl": "Metingen bekijken en bewerken", "en": "View and edit measurements"},
        "ui.m.upload": {
            "nl": "Bestand uploaden (CSV of Excel)",
            "en": "Upload a file (CSV or Excel)",
        },
        "ui.m.period": {"nl": "Periode (eerste dag)", "en": "Period (first day)"},
        "ui.m.area": {
            "nl": "Gebied (wijk/buurtcode, leeg = hele pilot)",
            "en": "Area (district/neighbourhood code, empty = whole pilot)",
        },
        "ui.m.group": {"nl": "Groep", "en": "Group"},
        "ui.m.group.pilot": {"nl": "pilot", "en": "pilot"},
        "ui.m.group.comparison": {"nl": "vergelijking", "en": "comparison"},
        "ui.m.value": {"nl": "Waarde", "en": "Value"},
        "ui.m.numerator": {"nl": "Teller", "en": "Numerator"},
        "ui.m.denominator": {"nl": "Noemer", "en": "Denominator"},
        "ui.m.count": {"nl": "Aantal", "en": "Count"},
        "ui.m.exposure": {
            "nl": "Blootstelling (bijv. inwoners)",
            "en": "Exposure (e.g. residents)",
        },
        "ui.m.replace": {"nl": "Bestaande waarde vervangen", "en": "Replace an existing value"},
        "ui.m.save": {"nl": "Opslaan", "en": "Save"},
        "ui.m.saved": {"nl": "De meting is opgeslagen.", "en": "The measurement is saved."},
        "ui.m.grid_save": {"nl": "Wijzigingen opslaan", "en": "Save changes"},
        "ui.m.grid_saved": {
            "nl": "Opgeslagen: {inserted} nieuw, {updated} gewijzigd, {deleted} verwijderd.",
            "en": "Saved: {inserted} new, {updated} changed, {deleted} deleted.",
        },
        "ui.m.file": {"nl": "Kies een bestand", "en": "Choose a file"},
        "ui.m.file_help": {
            "nl": "Eén rij per meting met de kolommen periode, waarde (of teller/noemer, "
            "aantal/blootstelling), en eventueel gebied en groep. Eerst wordt alles gecontroleerd; "
            "er wordt pas iets opgeslagen als het hele bestand in orde is.",
            "en": "One row per measurement with the columns period, value (or numerator/"
            "denominator, count/exposure), and optionally area and group. Everything is checked "
            "first; nothing is saved unless the whole file is correct.",
        },
        "ui.m.preview": {"nl": "Voorbeeld (eerste rijen)", "en": "Preview (first rows)"},
        "ui.m.check": {"nl": "Controleren (proef)", "en": "Check (dry run)"},
        "ui.m.commit": {"nl": "Alles opslaan", "en": "Save everything"},
        "ui.m.errors": {
            "nl": "{n} fout(en) in {file}; er is niets opgeslagen. Verbeter het bestand en upload "
            "het opnieuw.",
            "en": "{n} error(s) in {file}; nothing was saved. Correct the file and upload it "
            "again.",
        },
        "ui.m.col.row": {"nl": "Rij", "en": "Row"},
        "ui.m.col.column": {"nl": "Kolom", "en": "Column"},
        "ui.m.col.value": {"nl": "Waarde", "en": "Value"},
        "ui.m.col.problem": {
            "nl": "Wat is er mis en wat te doen",
            "en": "What is wrong and what to do",
        },
        "ui.m.progress.check": {"nl": "Bestand controleren…", "en": "Checking the file…"},
        "ui.m.progress.save": {"nl": "Opslaan en opnieuw toetsen…", "en": "Saving and re-testing…"},
        "ui.m.progress.done": {"nl": "Klaar", "en": "Done"},
        "ui.i.heading": {"nl": "Logboek van interventies", "en": "Log of interventions"},
        "ui.i.none": {
            "nl": "Nog geen interventies vastgelegd.",
            "en": "No interventions logged yet.",
        },
        "ui.i.add": {"nl": "Interventie toevoegen", "en": "Add an intervention"},
        "ui.i.date": {"nl": "Datum", "en": "Date"},
        "ui.i.kind": {
            "nl": "Soort (bijv. training, bijeenkomst)",
            "en": "Kind (e.g. training, meeting)",
        },
        "ui.i.title": {"nl": "Titel", "en": "Title"},
        "ui.i.description": {"nl": "Beschrijving", "en": "Description"},
        "ui.i.status": {"nl": "Status", "en": "Status"},
        "ui.i.saved": {"nl": "De interventie is toegevoegd.", "en": "The intervention is added."},
        "ui.o.heading": {"nl": "Logboek", "en": "Journal"},
        "ui.o.none": {"nl": "Nog niets in het logboek.", "en": "Nothing in the journal yet."},
        "ui.o.add": {"nl": "Notitie toevoegen", "en": "Add a note"},
        "ui.o.kind": {"nl": "Soort notitie", "en": "Kind of note"},
        "ui.o.text": {"nl": "Tekst", "en": "Text"},
        "ui.o.hypothesis": {"nl": "Bij hypothese (optioneel)", "en": "About hypothesis (optional)"},
        "ui.o.saved": {"nl": "De notitie is toegevoegd.", "en": "The note is added."},
        "ui.obs.cause": {"nl": "oorzaak", "en": "cause"},
        "ui.obs.unforeseen_effect": {"nl": "onvoorzien effect", "en": "unforeseen effect"},
        "ui.obs.obstacle": {"nl": "belemmering", "en": "obstacle"},
        "ui.obs.quote": {"nl": "citaat", "en": "quote"},
        "ui.obs.decision": {"nl": "besluit", "en": "decision"},
        "ui.obs.comment": {"nl": "opmerking", "en": "comment"},
        "ui.a.forest": {"nl": "Alle hypothesen in één beeld", "en": "All hypotheses at a glance"},
        "ui.a.numbers": {"nl": "De cijfers", "en": "The numbers"},
        "ui.a.method": {
            "nl": "Methode: {design} · standaardfout: {se_type}",
            "en": "Method: {design} · standard error: {se_type}",
        },
        "ui.a.warnings": {"nl": "Let op", "en": "Note"},
        "ui.a.none": {
            "nl": "Nog geen hypothesen om te toetsen.",
            "en": "No hypotheses to test yet.",
        },
        "ui.dir.increase": {"nl": "stijging", "en": "increase"},
        "ui.dir.decrease": {"nl": "daling", "en": "decrease"},
        "ui.dir.no_change": {"nl": "geen verandering", "en": "no change"},
        "ui.design.auto": {"nl": "automatisch", "en": "automatic"},
        "ui.design.prepost": {"nl": "voor-en-na", "en": "before/after"},
        "ui.design.its": {"nl": "onderbroken tijdreeks", "en": "interrupted time series"},
        "ui.design.did": {"nl": "verschil-in-verschillen", "en": "difference-in-differences"},
        "ui.design.spc": {"nl": "procesbeheersing (SPC)", "en": "process control (SPC)"},
        "ui.istatus.planned": {"nl": "gepland", "en": "planned"},
        "ui.istatus.delivered": {"nl": "uitgevoerd", "en": "delivered"},
        "ui.istatus.cancelled": {"nl": "geschrapt", "en": "cancelled"},
        "ui.istatus.delayed": {"nl": "uitgesteld", "en": "delayed"},
    }
)

VALUE_FIELDS = {
    "continuous": ("value",),
    "proportion": ("numerator", "denominator"),
    "count": ("count", "exposure"),
}


def date_text(day: dt.date | dt.datetime | None, lang: str) -> str:
    """A date as the reader writes it: 31-12-2025 in Dutch, 2025-12-31 in English."""
    if day is None:
        return ""
    return day.strftime("%d-%m-%Y") if lang == "nl" else day.strftime("%Y-%m-%d")


def _delta_text(values: dict[str, Any], lang: str) -> str:
    delta = float(values["min_effect"])
    text = f"{delta:g}".replace(".", ",") if lang == "nl" else f"{delta:g}"
    return text + ("%" if str(values["min_effect_type"]) == "relative" else "")


# --------------------------------------------------------------------------------- set-up tab
INTERVENTION_TYPE_OPTIONS = ("", *INTERVENTION_TYPES)


def intervention_type_text(code: str, lang: str) -> str:
    """The words for a pilot's intervention type; "" is said as "not stated"."""
    if not code:
        return t("ui.pilot.intervention_type_none", lang)
    return intervention_type_label(code, lang)


def intervention_type_select(lang: str, *, value: str, key: str) -> str:
    """The "Soort interventie" choice (new-pilot form and set-up tab): "" first, as "not
    stated"; a code no longer in the list would fall back to "" rather than fail the page."""
    return st.selectbox(
        t("ui.pilot.intervention_type", lang),
        INTERVENTION_TYPE_OPTIONS,
        index=INTERVENTION_TYPE_OPTIONS.index(value) if value in INTERVENTION_TYPE_OPTIONS else 0,
        format_func=lambda code: intervention_type_text(code, lang),
        help=t("ui.pilot.intervention_type_help", lang),
        key=key,
    )


def context_text(values: dict[str, Any], lang: str) -> str:
    """The pilot's facts in one block (set-up tab, and the new-pilot review): typed texts inert."""
    return t(
        "ui.pilot.context",
        lang,
        municipality=md(values["municipality"]),
        code=values["municipality_code"],
        domains=md(", ".join(values["domains"] or [])) or "–",
        strategy=md(values["strategy"]) or "–",
        intervention_type=intervention_type_text(values.get("intervention_type", ""), lang),
        baseline=date_text(values["baseline_start"], lang),
        start=date_text(values["intervention_start"], lang),
        end=date_text(values["evaluation_end"], lang),
    )


def _facts(pilot: Pilot) -> dict[str, Any]:
    return {
        name: getattr(pilot, name)
        for name in (
            "municipality",
            "municipality_code",
            "domains",
            "strategy",
            "intervention_type",
            "baseline_start",
            "intervention_start",
            "evaluation_end",
        )
    }


def _setup_data(
    session: Session, pilot: Pilot, who: Actor
) -> tuple[bool, list[hyp.HypothesisDetails], list[User]]:
    """All the set-up tab reads, in one transaction: may the reader edit, the hypotheses with
    their details, and the team."""
    return (
        may(session, who, Action.edit_pilot, pilot),
        hyp.hypotheses_with_details(session, pilot.id),  # type: ignore[arg-type]
        list_members(session, pilot.id),  # type: ignore[arg-type]
    )


def setup_tab(pilot: Pilot, lang: str) -> None:
    who = actor()
    editable, details, members = read(lambda s: _setup_data(s, pilot, who))
    st.markdown(context_text(_facts(pilot), lang))
    if pilot.shared_at is not None:
        st.caption(t("ui.pilot.shared_since", lang, date=date_text(pilot.shared_at, lang)))
    if editable:
        _intervention_type_form(pilot, lang)
    if pilot.aim:
        st.markdown(md(pilot.aim))
    if pilot.areas:
        st.markdown(
            f"**{t('ui.pilot.areas', lang)}:** "
            + md(", ".join(f"{a.get('name', '')} ({a.get('code', '')})" for a in pilot.areas))
        )
    if pilot.partners:
        st.markdown(f"**{t('ui.pilot.partners', lang)}:** " + md(", ".join(pilot.partners)))

    st.subheader(t("ui.hyp.heading", lang))
    for d in details:
        _hypothesis_card(d.hypothesis, d.measure, d.values, d.amendments, lang, editable=editable)
    if editable and any(not d.hypothesis.is_locked for d in details):
        st.info(t("ui.hyp.register_help", lang), icon=":material/lock:")
        if st.button(t("ui.hyp.register", lang), type="primary", key="register"):
            late = dt.date.today() > pilot.intervention_start
            done = write(
                lambda s: hyp.register_hypotheses(s, pilot.id, actor=actor(), registered_late=late)
            )
            if done is not None:
                st.success(t("ui.hyp.registered_ok", lang, n=len(done)))
                st.rerun()
    _team(pilot, members, editable, lang)


def _intervention_type_form(pilot: Pilot, lang: str) -> None:
    """The one pilot fact this tab edits: pilots made before the library have no type yet, and
    without one the library cannot pool them."""
    base_key = f"pilot-type-{pilot.id}-base"
    # The version this form was first shown with (every run reads the pilot afresh): a save
    # names it, so a colleague's save in between is refused instead of overwritten unseen.
    base = st.session_state.setdefault(base_key, pilot.version)
    with (
        st.expander(t("ui.pilot.intervention_type_edit", lang)),
        st.form(f"pilot-type-{pilot.id}"),
    ):
        chosen = intervention_type_select(
            lang, value=pilot.intervention_type, key=f"pilot-type-{pilot.id}-choice"
        )
        if st.form_submit_button(t("ui.pilot.save", lang), key=f"pilot-type-{pilot.id}-save"):
            saved = write(
                lambda s: update_pilot(
                    s,
                    pilot.id,
                    {"intervention_type": chosen},
                    expected_version=base,
                    actor=actor(),
                )
            )
            # Refused or not, the facts above now show what is stored: the next save starts
            # from there.
            st.session_state[base_key] = pilot.version if saved is None else saved.version
            if saved is not None:
                st.rerun()  # the facts above show the new type


def _team(pilot: Pilot, members: list[User], editable: bool, lang: str) -> None:
    st.subheader(t("ui.team.heading", lang))
    for user in members:
        owner = f" ({t('ui.team.owner', lang)})" if user.id == pilot.owner_id else ""
        st.markdown(f"- {md(user.display_name)} · {md(user.email)}{owner}")
    if editable:
        with st.expander(t("ui.team.add", lang)), st.form("team-add"):
            email = st.text_input(t("ui.team.email", lang), key="team-email")
            if st.form_submit_button(t("ui.team.add", lang)):
                added = write(lambda s: add_member(s, pilot.id, email, actor=actor()))
                if added is not None:
                    st.success(t("ui.team.added", lang))
                    st.rerun()


def _hypothesis_card(
    h: Hypothesis,
    measure: Measure,
    values: dict[str, Any],
    amendments: list[Any],
    lang: str,
    *,
    editable: bool,
) -> None:
    with st.container(border=True):
        st.markdown(f"#### {md(h.code)}")
        original, amended = st.columns(2) if amendments else (st.container(), None)
        with original:
            st.markdown(
                t(
                    "ui.hyp.statement",
                    lang,
                    if_text=md(h.if_text),
                    then_text=md(h.then_text),
                    because_text=md(h.because_text),
                )
            )
            st.caption(
                t(
                    "ui.hyp.facts",
                    lang,
                    measure=md(
                        f"{measure.name} ({measure.unit})" if measure.unit else measure.name
                    ),
                    direction=t(f"ui.dir.{h.expected_direction}", lang),
                    delta=_delta_text(
                        {"min_effect": h.min_effect, "min_effect_type": h.min_effect_type}, lang
                    ),
                    design=t(f"ui.design.{h.design}", lang),
                    primary=t("ui.hyp.primary", lang) if h.is_primary else "",
                )
            )
            if h.is_locked:
                st.caption(
                    t(
                        "ui.hyp.registered",
                        lang,
                        at=date_text(h.registered_at, lang),
                        hash=(h.content_hash or "")[:12],
                    )
                )
                if h.registered_late:
                    st.warning(t("ui.hyp.late", lang), icon=":material/schedule:")
            else:
                st.caption(t("ui.hyp.not_registered", lang))
        if amended is not None:
            with amended:
                st.markdown(f"**{t('ui.hyp.amendments', lang)}**")
                for a in amendments:
                    st.markdown(
                        "- "
                        + t(
                            "ui.hyp.amendment",
                            lang,
                            at=date_text(a.created_at, lang),
                            field=t(f"report.field.{a.field}", lang),
                            old=md(a.old_value),
                            new=md(a.new_value),
                            reason=md(a.reason),
                            author=md(a.author),
                        )
                    )
        if h.is_locked and editable:
            with st.expander(t("ui.hyp.amend", lang)), st.form(f"amend-{h.id}"):
                field = st.selectbox(
                    t("ui.hyp.amend_field", lang),
                    AMENDABLE_FIELDS,
                    format_func=lambda f: t(f"report.field.{f}", lang),
                    key=f"amend-field-{h.id}",
                )
                new_value = st.text_input(t("ui.hyp.amend_value", lang), key=f"amend-value-{h.id}")
                reason = st.text_area(t("ui.hyp.amend_reason", lang), key=f"amend-reason-{h.id}")
                if st.form_submit_button(t("ui.hyp.amend", lang), key=f"amend-save-{h.id}"):
                    saved = write(
                        lambda s: hyp.amend_hypothesis(
                            s,
                            h.id,
                            {"field": field, "new_value": new_value, "reason": reason},
                            expected_version=h.version,
                            actor=actor(),
                        )
                    )
                    if saved is not None:
                        st.success(t("ui.hyp.amended_ok", lang))
                        st.rerun()


# --------------------------------------------------------------------------- measurements tab
def _pilot_measures(session: Session, pilot_id: int) -> list[Measure]:
    ids = {h.measure_id for h in hyp.list_hypotheses(session, pilot_id)}
    return [m for m in list_measures(session) if m.id in ids]


def measurements_tab(pilot: Pilot, lang: str) -> None:
    measures = read(lambda s: _pilot_measures(s, pilot.id))
    if not measures:
        st.info(t("ui.m.no_hypotheses", lang))
        return
    measure = st.selectbox(
        t("ui.m.measure", lang),
        measures,
        format_func=lambda m: f"{m.name} ({m.code})",
        key="m-measure",
    )
    kind = str(measure.kind)
    if not may_on(pilot, Action.enter_data):
        st.caption(t("ui.readonly", lang))
        grid = read(lambda s: measurement_grid(s, pilot.id, measure.code))
        st.dataframe(grid.drop(columns=["id"]), hide_index=True, key="m-readonly")
        return
    with st.expander(t("ui.m.form", lang), expanded=False):
        _one_value_form(pilot, measure, kind, lang)
    with st.expander(t("ui.m.grid", lang), expanded=True):
        _grid(pilot, measure, kind, lang)
    with st.expander(t("ui.m.upload", lang), expanded=True):
        _upload(pilot, measure, lang)
    with st.expander(t("ui.sl.heading", lang), expanded=False):
        statline_section(
            pilot, measure, lang, actor(), lambda report: show_import_report(report, lang)
        )


def _one_value_form(pilot: Pilot, measure: Measure, kind: str, lang: str) -> None:
    with st.form(f"one-{measure.code}"):
        period = st.date_input(
            t("ui.m.period", lang),
            value=pilot.intervention_start,
            min_value=pilot.baseline_start,
            max_value=pilot.evaluation_end,
            format="DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD",
        )
        area = st.text_input(t("ui.m.area", lang))
        group = st.radio(
            t("ui.m.group", lang),
            ["pilot", "comparison"],
            format_func=lambda g: t(f"ui.m.group.{g}", lang),
            horizontal=True,
        )
        numbers = {
            name: st.number_input(t(f"ui.m.{name}", lang), value=None, format="%g")
            for name in VALUE_FIELDS[kind]
        }
        replace = st.checkbox(t("ui.m.replace", lang))
        if st.form_submit_button(t("ui.m.save", lang), type="primary"):
            saved = write(
                lambda s: save_measurement(
                    s,
                    pilot.id,
                    measure.code,
                    period=period,
                    area=area.strip(),
                    group=group,
                    actor=actor(),
                    replace=replace,
                    source="formulier",
                    **numbers,
                )
            )
            if saved is not None:
                st.success(t("ui.m.saved", lang))


def _grid(pilot: Pilot, measure: Measure, kind: str, lang: str) -> None:
    original = read(lambda s: measurement_grid(s, pilot.id, measure.code))
    config: dict[str, Any] = {
        "id": None,  # the key stays in the data but is not shown
        "period": st.column_config.DateColumn(
            t("ui.m.period", lang), format="DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD"
        ),
        "area": st.column_config.TextColumn(t("ui.m.area", lang)),
        "group": st.column_config.SelectboxColumn(
            t("ui.m.group", lang), options=["pilot", "comparison"]
        ),
    }
    for name in VALUE_FIELDS[kind]:
        config[name] = st.column_config.NumberColumn(t(f"ui.m.{name}", lang), format="%g")
    edited = st.data_editor(
        original,
        column_config=config,
        num_rows="dynamic",
        hide_index=True,
        key=f"grid-{pilot.id}-{measure.code}",
    )
    if st.button(t("ui.m.grid_save", lang), key=f"grid-save-{measure.code}"):
        report = write(
            lambda s: save_measurement_grid(
                s, pilot.id, measure.code, original=original, edited=edited, actor=actor()
            )
        )
        if report is not None:
            st.success(
                t(
                    "ui.m.grid_saved",
                    lang,
                    inserted=report.inserted,
                    updated=report.updated,
                    deleted=report.deleted,
                )
            )


def _upload(pilot: Pilot, measure: Measure, lang: str) -> None:
    st.caption(t("ui.m.file_help", lang))
    uploaded = st.file_uploader(t("ui.m.file", lang), type=["csv", "xlsx"], key="upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    if uploaded.name.lower().endswith(".csv"):
        st.caption(t("ui.m.preview", lang))
        st.code("\n".join(data.decode("utf-8-sig", errors="replace").splitlines()[:6]))
    columns = column_mapping(data, uploaded.name, lang)
    check, commit = st.columns(2)
    dry_run = check.button(t("ui.m.check", lang), key="upload-check")
    save = commit.button(t("ui.m.commit", lang), type="primary", key="upload-save")
    if not (dry_run or save):
        return
    progress = st.progress(0, text=t("ui.m.progress.check", lang))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(uploaded.name).name
        path.write_bytes(data)
        if save:
            progress.progress(30, text=t("ui.m.progress.save", lang))
        report = write(
            lambda s: import_measurements(
                s,
                pilot.id,
                path,
                measure_code=measure.code,
                dry_run=not save,
                actor=actor(),
                columns=columns,
            )
        )
    progress.progress(100, text=t("ui.m.progress.done", lang))
    if report is not None:
        show_import_report(report, lang)


def show_import_report(report: ImportReport, lang: str) -> None:
    """The errors of an import, one row each with what to do; or what it did."""
    if report.errors:
        st.error(t("ui.m.errors", lang, n=len(report.errors), file=report.file_name))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("ui.m.col.row", lang): e.row,
                        t("ui.m.col.column", lang): e.column,
                        t("ui.m.col.value", lang): "" if e.value is None else str(e.value),
                        t("ui.m.col.problem", lang): e.message(lang),
                    }
                    for e in report.errors
                ]
            ),
            hide_index=True,
        )
    else:
        st.success(report.summary(lang))


# ------------------------------------------------------------------ interventions and journal
def interventions_tab(pilot: Pilot, lang: str) -> None:
    items = read(lambda s: journal.list_interventions(s, pilot.id))
    if items:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("ui.i.date", lang): date_text(i.date, lang),
                        t("ui.i.title", lang): i.title,
                        t("ui.i.kind", lang): i.kind,
                        t("ui.i.status", lang): t(f"ui.istatus.{i.status}", lang),
                        t("ui.i.description", lang): i.description,
                    }
                    for i in items
                ]
            ),
            hide_index=True,
        )
    else:
        st.info(t("ui.i.none", lang))
    if not may_on(pilot, Action.edit_pilot):
        return
    with st.expander(t("ui.i.add", lang)), st.form("intervention"):
        day = st.date_input(t("ui.i.date", lang), value=pilot.intervention_start)
        kind = st.text_input(t("ui.i.kind", lang))
        title = st.text_input(t("ui.i.title", lang))
        description = st.text_area(t("ui.i.description", lang))
        status = st.selectbox(
            t("ui.i.status", lang),
            [s.value for s in InterventionStatus],
            format_func=lambda s: t(f"ui.istatus.{s}", lang),
        )
        if st.form_submit_button(t("ui.i.add", lang)):
            saved = write(
                lambda s: journal.add_intervention(
                    s,
                    pilot.id,
                    {
                        "date": day,
                        "kind": kind,
                        "title": title,
                        "description": description,
                        "status": status,
                    },
                    actor=actor(),
                )
            )
            if saved is not None:
                st.success(t("ui.i.saved", lang))
                st.rerun()


def journal_tab(pilot: Pilot, lang: str) -> None:
    notes = read(lambda s: journal.list_observations(s, pilot.id))
    codes = read(lambda s: [h.code for h in hyp.list_hypotheses(s, pilot.id)])
    if notes:
        for note in notes:
            kind = t(f"ui.obs.{note.kind}", lang)
            author = f" ({md(note.author)})" if note.author else ""
            st.markdown(f"**{date_text(note.date, lang)} · {kind}**{author} — {md(note.text)}")
    else:
        st.info(t("ui.o.none", lang))
    # The team writes every kind of entry; a manager may add a comment, nothing else.
    if may_on(pilot, Action.edit_pilot):
        kinds = [k.value for k in ObservationKind]
    elif may_on(pilot, Action.comment):
        kinds = [ObservationKind.comment.value]
    else:
        return
    with st.expander(t("ui.o.add", lang)), st.form("observation"):
        day = st.date_input(t("ui.i.date", lang), value=dt.date.today())
        kind = st.selectbox(
            t("ui.o.kind", lang),
            kinds,
            format_func=lambda k: t(f"ui.obs.{k}", lang),
        )
        text = st.text_area(t("ui.o.text", lang))
        code = st.selectbox(t("ui.o.hypothesis", lang), ["", *codes])
        if st.form_submit_button(t("ui.o.add", lang)):
            saved = write(
                lambda s: journal.add_observation(
                    s,
                    pilot.id,
                    {"date": day, "kind": kind, "text": text, "hypothesis_code": code or None},
                    actor=actor(),
                )
            )
            if saved is not None:
                st.success(t("ui.o.saved", lang))
                st.rerun()


# ------------------------------------------------------------------------------- analysis tab
def _analysis_data(
    session: Session, pilot: Pilot
) -> list[tuple[HypothesisAnalysis, Measure, pd.DataFrame]]:
    out = []
    for a in analyze_pilot(session, pilot.id):
        measure = session.get(Measure, a.measure_id)  # already in the session: no query
        out.append((a, measure, charts.period_series(a.data, str(measure.kind))))
    return out


def analysis_tab(pilot: Pilot, lang: str) -> None:
    if may_on(pilot, Action.run_analysis) and st.button(
        t("ui.a.rerun", lang), help=t("ui.a.rerun_help", lang), key="a-rerun"
    ):
        rows = write(lambda s: rerun_analysis(s, pilot.id, actor=actor()))
        if rows is not None:
            st.success(t("ui.a.rerun_ok", lang, n=len(rows)))
    data = read(lambda s: _analysis_data(s, pilot))
    if not data:
        st.info(t("ui.a.none", lang))
        return
    markers = [
        charts.InterventionMarker(i.date, i.title, str(i.status))
        for i in read(lambda s: journal.list_interventions(s, pilot.id))
    ]
    st.subheader(t("ui.a.forest", lang))
    rows = [
        charts.ForestRow(
            label=f"{a.code} · {m.name}",
            estimate=a.result.estimate,
            ci_low=a.result.ci_low,
            ci_high=a.result.ci_high,
            delta=a.result.delta,
            expect=a.result.expect,
            verdict=a.result.verdict,
            relative=a.result.estimate_is_relative,
        )
        for a, m, _ in data
    ]
    st.plotly_chart(charts.forest_plot(rows, lang=lang), key="forest")
    for a, measure, series in data:
        result = a.result
        with st.container(border=True):
            st.markdown(f"#### {md(a.code)} · {md(measure.name)}")
            label = charts.VERDICT_LABELS[result.verdict][lang]
            st.markdown(f"**{label.capitalize()}.** {result.summary(lang)}")
            details = result.to_dict(lang)
            st.plotly_chart(
                charts.series_chart(
                    series,
                    details,
                    intervention_start=pilot.intervention_start,
                    interventions=markers,
                    lang=lang,
                    title=measure.name,
                    unit=measure.unit,
                ),
                key=f"chart-{a.code}",
            )
            with st.expander(t("ui.a.numbers", lang)):
                st.caption(
                    t(
                        "ui.a.method",
                        lang,
                        design=result.design or "–",
                        se_type=result.se_type or "–",
                    )
                )
                if result.warnings:
                    st.markdown(f"**{t('ui.a.warnings', lang)}**")
                    for w in result.warnings:
                        st.markdown(f"- {w.message_en if lang == 'en' else w.message_nl}")
                st.json({k: v for k, v in details.items() if k != "details"}, expanded=False)


# ------------------------------------------------------------------------------- history tab
def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What changed, as "field: old → new" (a creation lists what it was created with)."""
    before, after = before or {}, after or {}
    skip = {"updated_at", "created_at", "version", "id"}
    parts = []
    for name in sorted(set(before) | set(after)):
        if name in skip or before.get(name) == after.get(name):
            continue
        old, new = before.get(name), after.get(name)
        text = f"{new}" if name not in before else f"{old} → {new}"
        parts.append(f"{name}: {text[:120]}")
    return "; ".join(parts)


def _label(kind: str, code: str, lang: str) -> str:
    """The plain-language name of an audit action or entity; the code itself when unknown."""
    key = f"ui.hist.{kind}.{code}"
    return t(key, lang) if key in MESSAGES else code


def history_tab(pilot: Pilot, lang: str) -> None:
    st.caption(t("ui.hist.intro", lang))
    who = actor()
    events = read(lambda s: pilot_history(s, pilot, actor=who))
    if not events:
        st.info(t("ui.hist.none", lang))
        return
    frame = pd.DataFrame(
        {
            t("ui.hist.when", lang): [e.at.strftime("%Y-%m-%d %H:%M:%S") for e in events],
            t("ui.hist.who", lang): [e.actor for e in events],
            t("ui.hist.action", lang): [_label("action", e.action, lang) for e in events],
            t("ui.hist.entity", lang): [
                f"{_label('entity', e.entity, lang)} {e.entity_id or ''}".strip() for e in events
            ],
            t("ui.hist.changes", lang): [_changes(e.before, e.after) for e in events],
        }
    )
    st.dataframe(frame, hide_index=True, key="history", alt=t("ui.hist.table", lang))
