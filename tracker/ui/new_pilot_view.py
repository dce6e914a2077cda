"""New pilot as a guided flow: context → hypotheses → review and register.

The draft lives in session state until the last step, which writes the pilot, any new
measures and the hypotheses, and registers (locks) them, in one transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from tracker.analysis.power import design_needs, minimum_detectable_effect
from tracker.errors import ValidationError
from tracker.i18n import register, t
from tracker.io.text import inert_markdown as md
from tracker.models import Design, ExpectedDirection, HypothesisCreate, PilotCreate
from tracker.services import hypotheses as hyp
from tracker.services.common import validate
from tracker.services.measures import create_measure, find_measure, list_measures
from tracker.services.pilots import create_pilot
from tracker.ui.codebook_view import measure_fields
from tracker.ui.data import actor, read, write
from tracker.ui.pilot_view import context_text, intervention_type_select

STEPS = ("context", "hypotheses", "review")
DOMAINS = (
    "Wmo",
    "Jeugd",
    "Participatie",
    "Schuldhulpverlening",
    "Armoede",
    "Informele zorg",
    "Zorg en welzijn",
    "Onderwijs",
    "Veiligheid",
    "Wonen",
)
NEW_MEASURE = "__new__"

register(
    {
        "ui.np.step": {"nl": "Stap {n} van 3: {name}", "en": "Step {n} of 3: {name}"},
        "ui.np.step.context": {"nl": "context", "en": "context"},
        "ui.np.step.hypotheses": {"nl": "hypothesen", "en": "hypotheses"},
        "ui.np.step.review": {"nl": "controleren en vastleggen", "en": "review and register"},
        "ui.np.title": {"nl": "Titel", "en": "Title"},
        "ui.np.aim": {
            "nl": "Doel (wat wilt u bereiken?)",
            "en": "Aim (what do you want to achieve?)",
        },
        "ui.np.municipality": {"nl": "Gemeente", "en": "Municipality"},
        "ui.np.municipality_code": {
            "nl": "CBS-gemeentecode (GM + 4 cijfers)",
            "en": "CBS municipality code (GM + 4 digits)",
        },
        "ui.np.domains": {"nl": "Domeinen (meer dan één mag)", "en": "Domains (several allowed)"},
        "ui.np.domains_placeholder": {
            "nl": "Kies of typ een domein",
            "en": "Choose or type a domain",
        },
        "ui.np.areas": {
            "nl": "Gebieden: wijk- (WK + 6 cijfers) of buurtcodes (BU + 8 cijfers); groep "
            "‘pilot’ of ‘comparison’ (vergelijking)",
            "en": "Areas: district (WK + 6 digits) or neighbourhood codes (BU + 8 digits); "
            "group ‘pilot’ or ‘comparison’",
        },
        "ui.np.partners": {
            "nl": "Partners (gescheiden door komma's)",
            "en": "Partners (comma-separated)",
        },
        "ui.np.strategy": {"nl": "Strategie", "en": "Strategy"},
        "ui.np.baseline_start": {"nl": "Start nulmeting", "en": "Baseline start"},
        "ui.np.intervention_start": {"nl": "Start interventie", "en": "Intervention start"},
        "ui.np.evaluation_end": {"nl": "Einde evaluatie", "en": "Evaluation end"},
        "ui.np.next": {"nl": "Volgende", "en": "Next"},
        "ui.np.back": {"nl": "Terug", "en": "Back"},
        "ui.np.template": {
            "nl": "Schrijf de verwachting uit als: **Als we** … **dan** … **omdat** …",
            "en": "Write the expectation as: **If we** … **then** … **because** …",
        },
        "ui.np.if": {"nl": "Als we …", "en": "If we …"},
        "ui.np.then": {"nl": "dan …", "en": "then …"},
        "ui.np.because": {"nl": "omdat …", "en": "because …"},
        "ui.np.measure": {"nl": "Indicator uit het codeboek", "en": "Measure from the codebook"},
        "ui.np.new_measure": {"nl": "— nieuwe indicator —", "en": "— new measure —"},
        "ui.np.direction": {"nl": "Verwachte richting", "en": "Expected direction"},
        "ui.np.min_effect": {
            "nl": "Kleinste betekenisvolle effect (δ)",
            "en": "Minimal meaningful effect (δ)",
        },
        "ui.np.relative": {
            "nl": "δ is een percentage van de nulmeting",
            "en": "δ is a percentage of the baseline",
        },
        "ui.np.design": {"nl": "Opzet", "en": "Design"},
        "ui.np.comparison": {
            "nl": "Vergelijkingsgroep (gebiedscodes, optioneel)",
            "en": "Comparison group (area codes, optional)",
        },
        "ui.np.primary": {"nl": "Primaire hypothese", "en": "Primary hypothesis"},
        "ui.np.known_baseline": {
            "nl": "Bekende waarden van vóór de start (optioneel, per maand, gescheiden door ;)",
            "en": "Known values from before the start (optional, per month, separated by ;)",
        },
        "ui.np.add": {"nl": "Hypothese toevoegen", "en": "Add hypothesis"},
        "ui.np.added": {"nl": "Hypothese {code} toegevoegd.", "en": "Hypothesis {code} added."},
        "ui.np.remove": {"nl": "Verwijderen", "en": "Remove"},
        "ui.np.needs": {"nl": "Wat deze opzet vraagt", "en": "What this design needs"},
        "ui.np.periods": {
            "nl": "Gepland: {before} maanden vóór en {after} maanden na de start.",
            "en": "Planned: {before} months before and {after} months after the start.",
        },
        "ui.np.mde_unknown": {
            "nl": "Het kleinste aantoonbare effect volgt zodra er waarden van vóór de start "
            "bekend zijn.",
            "en": "The smallest detectable effect follows once values from before the start "
            "are known.",
        },
        "ui.np.no_hypotheses": {
            "nl": "Voeg minstens één hypothese toe.",
            "en": "Add at least one hypothesis.",
        },
        "ui.np.register": {
            "nl": "Pilot aanmaken en hypothesen vastleggen",
            "en": "Create the pilot and register the hypotheses",
        },
        "ui.np.register_help": {
            "nl": "Na vastleggen staan de hypothesen op slot (met datum en vingerafdruk). "
            "Wijzigen kan daarna alleen met een reden, naast het origineel.",
            "en": "After registration the hypotheses are locked (with date and fingerprint). "
            "After that they can only be amended with a reason, beside the original.",
        },
        "ui.np.done": {
            "nl": "Pilot ‘{title}’ is aangemaakt en {n} hypothese(n) zijn vastgelegd.",
            "en": "Pilot ‘{title}’ is created and {n} hypothesis(es) are registered.",
        },
        "ui.np.open": {"nl": "Open de pilot", "en": "Open the pilot"},
        "ui.np.invalid": {
            "nl": "Verbeter eerst het volgende:",
            "en": "Please correct the following first:",
        },
    }
)


def slugify(title: str) -> str:
    """A URL-safe short name from the title: lower case, ascii, hyphens."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "pilot"


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` up to (not including) ``end``."""
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def _state() -> dict[str, Any]:
    if "np" not in st.session_state:
        st.session_state["np"] = {"step": 0, "pilot": None, "hypotheses": [], "done": None}
    return st.session_state["np"]


def _show_errors(exc: ValidationError, lang: str) -> None:
    st.error(
        t("ui.np.invalid", lang)
        + "\n\n"
        + "\n".join(f"- **{e.field}**: {e.message(lang)}" for e in exc.errors)
    )


def new_pilot_flow(lang: str) -> None:
    state = _state()
    if state["done"] is not None:
        slug, title, n = state["done"]
        st.success(t("ui.np.done", lang, title=title, n=n))
        st.page_link(
            "pages/pilot.py",
            label=t("ui.np.open", lang),
            query_params={"pilot": slug, "lang": lang},
        )
        return
    step = state["step"]
    st.progress(
        (step + 1) / len(STEPS),
        text=t("ui.np.step", lang, n=step + 1, name=t(f"ui.np.step.{STEPS[step]}", lang)),
    )
    [_context_step, _hypotheses_step, _review_step][step](state, lang)


def _context_step(state: dict[str, Any], lang: str) -> None:
    draft = state["pilot"] or {}
    today = dt.date.today()
    with st.form("np-context"):
        title = st.text_input(t("ui.np.title", lang), value=draft.get("title", ""))
        aim = st.text_area(t("ui.np.aim", lang), value=draft.get("aim", ""))
        left, right = st.columns(2)
        municipality = left.text_input(
            t("ui.np.municipality", lang), value=draft.get("municipality", "")
        )
        code = right.text_input(
            t("ui.np.municipality_code", lang), value=draft.get("municipality_code", "")
        )
        domains = st.multiselect(
            t("ui.np.domains", lang),
            DOMAINS,
            default=draft.get("domains", []),
            accept_new_options=True,
            placeholder=t("ui.np.domains_placeholder", lang),
        )
        areas = st.data_editor(
            pd.DataFrame(draft.get("areas") or [], columns=["code", "name", "group"]).astype(str),
            num_rows="dynamic",
            hide_index=True,
            column_config={
                "code": st.column_config.TextColumn("code"),
                "name": st.column_config.TextColumn("naam" if lang == "nl" else "name"),
                "group": st.column_config.SelectboxColumn(
                    "groep" if lang == "nl" else "group", options=["pilot", "comparison"]
                ),
            },
            key="np-areas",
        )
        st.caption(t("ui.np.areas", lang))
        partners = st.text_input(
            t("ui.np.partners", lang), value=", ".join(draft.get("partners", []))
        )
        strategy = st.text_input(t("ui.np.strategy", lang), value=draft.get("strategy", ""))
        intervention_type = intervention_type_select(
            lang, value=draft.get("intervention_type", ""), key="np-intervention-type"
        )
        c1, c2, c3 = st.columns(3)
        fmt = "DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD"
        baseline = c1.date_input(
            t("ui.np.baseline_start", lang),
            value=draft.get("baseline_start", today.replace(day=1)),
            format=fmt,
        )
        start = c2.date_input(
            t("ui.np.intervention_start", lang),
            value=draft.get("intervention_start", today.replace(day=1)),
            format=fmt,
        )
        end = c3.date_input(
            t("ui.np.evaluation_end", lang),
            value=draft.get("evaluation_end", today.replace(day=1)),
            format=fmt,
        )
        if st.form_submit_button(t("ui.np.next", lang), type="primary"):
            data = {
                "slug": slugify(title),
                "title": title.strip(),
                "aim": aim.strip(),
                "municipality": municipality.strip(),
                "municipality_code": code.strip().upper(),
                "domains": list(domains),
                "areas": [
                    {k: str(v).strip() for k, v in row.items()}
                    for row in areas.to_dict("records")
                    if str(row.get("code") or "").strip() and str(row.get("code")) != "nan"
                ],
                "partners": [p.strip() for p in partners.split(",") if p.strip()],
                "strategy": strategy.strip(),
                "intervention_type": intervention_type,
                "baseline_start": baseline,
                "intervention_start": start,
                "evaluation_end": end,
            }
            try:
                validate(PilotCreate, data)
            except ValidationError as exc:
                _show_errors(exc, lang)
                return
            state["pilot"] = data
            state["step"] = 1
            st.rerun()


def _hypotheses_step(state: dict[str, Any], lang: str) -> None:
    pilot = state["pilot"]
    before = months_between(pilot["baseline_start"], pilot["intervention_start"])
    after = months_between(pilot["intervention_start"], pilot["evaluation_end"]) + 1
    for i, h in enumerate(state["hypotheses"]):
        with st.container(border=True):
            st.markdown(
                f"**{md(h['code'])}** — "
                + t(
                    "ui.hyp.statement",
                    lang,
                    if_text=md(h["if_text"]),
                    then_text=md(h["then_text"]),
                    because_text=md(h["because_text"]),
                )
            )
            if st.button(t("ui.np.remove", lang), key=f"np-remove-{i}"):
                state["hypotheses"].pop(i)
                st.rerun()
    st.markdown(t("ui.np.template", lang))
    measures = read(list_measures)
    options = [NEW_MEASURE, *[m.code for m in measures]]
    names = {m.code: f"{m.name} ({m.code})" for m in measures}
    measure_code = st.selectbox(
        t("ui.np.measure", lang),
        options,
        index=1 if measures else 0,
        format_func=lambda c: t("ui.np.new_measure", lang) if c == NEW_MEASURE else names[c],
        key="np-measure",
    )
    new_measure = measure_fields(lang, "np-new") if measure_code == NEW_MEASURE else None
    design = st.selectbox(
        t("ui.np.design", lang),
        [d.value for d in Design],
        format_func=lambda d: t(f"ui.design.{d}", lang),
        key="np-design",
    )
    needs = design_needs(design)
    with st.container(border=True):
        st.markdown(f"**{t('ui.np.needs', lang)}**")
        st.markdown(needs.text_en if lang == "en" else needs.text_nl)
        st.caption(t("ui.np.periods", lang, before=before, after=after))
        known = st.text_input(t("ui.np.known_baseline", lang), key="np-known")
        values = [float(v.replace(",", ".")) for v in re.split(r"[;\s]+", known) if _is_number(v)]
        if len(values) >= 3:
            mde = minimum_detectable_effect(values, design=design, n_after=after)
            st.markdown(mde.text_en if lang == "en" else mde.text_nl)
        else:
            st.caption(t("ui.np.mde_unknown", lang))
    with st.form("np-hypothesis", clear_on_submit=True):
        if_text = st.text_area(t("ui.np.if", lang), key="np-if")
        then_text = st.text_area(t("ui.np.then", lang), key="np-then")
        because_text = st.text_area(t("ui.np.because", lang), key="np-because")
        direction = st.selectbox(
            t("ui.np.direction", lang),
            [d.value for d in ExpectedDirection],
            format_func=lambda d: t(f"ui.dir.{d}", lang),
        )
        min_effect = st.number_input(
            t("ui.np.min_effect", lang), min_value=0.0, value=0.0, format="%g", key="np-delta"
        )
        relative = st.checkbox(t("ui.np.relative", lang))
        comparison = st.text_input(t("ui.np.comparison", lang))
        primary = st.checkbox(t("ui.np.primary", lang), value=True)
        if st.form_submit_button(t("ui.np.add", lang), key="np-add"):
            code = f"H{len(state['hypotheses']) + 1}"
            data = {
                "code": code,
                "if_text": if_text.strip(),
                "then_text": then_text.strip(),
                "because_text": because_text.strip(),
                "measure_code": (new_measure or {}).get("code", measure_code)
                if new_measure
                else measure_code,
                "expected_direction": direction,
                "min_effect": min_effect,
                "min_effect_type": "relative" if relative else "absolute",
                "design": design,
                "comparison_group": comparison.strip(),
                "is_primary": primary,
            }
            try:
                validate(HypothesisCreate, data)
            except ValidationError as exc:
                _show_errors(exc, lang)
                return
            state["hypotheses"].append(data | {"new_measure": new_measure})
            st.rerun()
    back, forward = st.columns(2)
    if back.button(t("ui.np.back", lang), key="np-back-1"):
        state["step"] = 0
        st.rerun()
    if forward.button(t("ui.np.next", lang), type="primary", key="np-next-1"):
        if not state["hypotheses"]:
            st.error(t("ui.np.no_hypotheses", lang))
        else:
            state["step"] = 2
            st.rerun()


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _create_all(session: Session, state: dict[str, Any]) -> tuple[str, str, int]:
    who = actor()
    data = state["pilot"]
    # The pilot belongs to the organisation of whoever creates it (its municipality is a
    # field of its own: a regional team may run a pilot in a neighbouring gemeente).
    assert who.organisation_id is not None
    for h in state["hypotheses"]:
        if h["new_measure"] and find_measure(session, h["new_measure"]["code"]) is None:
            create_measure(session, h["new_measure"], actor=who)
    pilot = create_pilot(session, data, organisation_id=who.organisation_id, actor=who)
    for h in state["hypotheses"]:
        hyp.add_hypothesis(
            session, pilot.id, {k: v for k, v in h.items() if k != "new_measure"}, actor=who
        )
    late = dt.date.today() > pilot.intervention_start
    registered = hyp.register_hypotheses(session, pilot.id, actor=who, registered_late=late)
    return pilot.slug, pilot.title, len(registered)


def _review_step(state: dict[str, Any], lang: str) -> None:
    pilot = state["pilot"]
    st.subheader(md(pilot["title"]))
    st.markdown(context_text(pilot, lang))
    for h in state["hypotheses"]:
        with st.container(border=True):
            st.markdown(
                f"**{md(h['code'])}** — "
                + t(
                    "ui.hyp.statement",
                    lang,
                    if_text=md(h["if_text"]),
                    then_text=md(h["then_text"]),
                    because_text=md(h["because_text"]),
                )
            )
            unit = "%" if h["min_effect_type"] == "relative" else ""
            st.caption(
                f"{h['measure_code']} · {t('ui.dir.' + h['expected_direction'], lang)} · "
                f"δ = {h['min_effect']:g}{unit} · {t('ui.design.' + h['design'], lang)}"
            )
    st.info(t("ui.np.register_help", lang), icon=":material/lock:")
    back, forward = st.columns(2)
    if back.button(t("ui.np.back", lang), key="np-back-2"):
        state["step"] = 1
        st.rerun()
    if forward.button(t("ui.np.register", lang), type="primary", key="np-register"):
        done = write(lambda s: _create_all(s, state))
        if done is not None:
            state["done"] = done
            st.rerun()
