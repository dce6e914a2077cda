"""The lessons-learned report in words: :class:`ReportModel` → :class:`Document`, Dutch or English.

Deterministic templates (no network, no language model), short sentences at B1 level. Numbers
are formatted with :mod:`tracker.analysis.numbers` and the plain-language sentence of each
result is the analysis' own :meth:`AnalysisResult.summary`, so the report says what the
analysis page says. Section 6 shows only what the officer ticked and wrote (and the obstacles
the officer logged in the journal); nothing there is generated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from tracker.analysis.numbers import format_number, format_percent, format_signed
from tracker.analysis.summary import DESIGN_WORDS
from tracker.charts import INTERVENTION_STATUS_LABELS, VERDICT_LABELS, format_date
from tracker.i18n import register, t
from tracker.reports.document import (
    Block,
    BulletList,
    ChartSeries,
    Document,
    Figure,
    Heading,
    Paragraph,
    ReportChart,
    Table,
)
from tracker.reports.model import (
    CONDITIONS,
    OBSTACLES,
    HypothesisFacts,
    ObservationFacts,
    Outcome,
    ReportModel,
)

__all__ = ["SECTION_KEYS", "write_report"]

# Follow-up shorter than this many months is named as a limitation.
SHORT_FOLLOW_UP_MONTHS = 12

SECTION_KEYS = (
    "expected",
    "did",
    "happened",
    "why",
    "unforeseen",
    "conditions",
    "limitations",
    "recommendation",
)

register(
    {
        "report.title": {
            "nl": "Lessen uit de pilot: {title}",
            "en": "Lessons from the pilot: {title}",
        },
        "report.subtitle": {
            "nl": "{municipality} · {domains} · opgesteld op {as_of} · metingen tot en met {last}",
            "en": "{municipality} · {domains} · written on {as_of} · measurements up to {last}",
        },
        "report.draft": {
            "nl": "Concept: nog niet gepubliceerd.",
            "en": "Draft: not yet published.",
        },
        "report.published": {
            "nl": "Gepubliceerde versie {number}, door {who} op {when}. SHA-256 van de inhoud: "
            "{sha}.",
            "en": "Published version {number}, by {who} on {when}. SHA-256 of the content: {sha}.",
        },
        "report.aim": {"nl": "Doel van de pilot: {aim}", "en": "Aim of the pilot: {aim}"},
        "report.glance": {"nl": "In het kort", "en": "At a glance"},
        "report.glance.caption": {
            "nl": "De uitslag per hypothese en de aanbeveling",
            "en": "The verdict per hypothesis and the recommendation",
        },
        "report.col.hypothesis": {"nl": "Hypothese", "en": "Hypothesis"},
        "report.col.measure": {"nl": "Indicator", "en": "Measure"},
        "report.col.verdict": {"nl": "Uitslag", "en": "Verdict"},
        "report.col.primary": {"nl": "Soort", "en": "Type"},
        "report.primary": {"nl": "primair", "en": "primary"},
        "report.secondary": {"nl": "secundair", "en": "secondary"},
        "report.summary": {"nl": "Samenvatting", "en": "Summary"},
        # --- section headings
        "report.s.expected": {"nl": "1. Wat we verwachtten", "en": "1. What we expected"},
        "report.s.did": {"nl": "2. Wat we deden", "en": "2. What we did"},
        "report.s.happened": {"nl": "3. Wat er gebeurde", "en": "3. What happened"},
        "report.s.why": {"nl": "4. Waarom", "en": "4. Why"},
        "report.s.unforeseen": {
            "nl": "5. Wat we niet voorzagen",
            "en": "5. What we did not foresee",
        },
        "report.s.conditions": {
            "nl": "6. Voorwaarden en obstakels",
            "en": "6. Conditions and obstacles",
        },
        "report.s.limitations": {"nl": "7. Beperkingen", "en": "7. Limitations"},
        "report.s.recommendation": {"nl": "8. Aanbeveling", "en": "8. Recommendation"},
        # --- 1. expected
        "report.expected.intro": {
            "nl": "De interventie begon op {start}.",
            "en": "The intervention started on {start}.",
        },
        "report.expected.on_time": {
            "nl": "Van de {total} hypothesen legden we er {n} vóór de start vast.",
            "en": "Of the {total} hypotheses, we registered {n} before the start.",
        },
        "report.expected.n_late": {
            "nl": "Te laat vastgelegd, pas na de start: {n}.",
            "en": "Registered late, only after the start: {n}.",
        },
        "report.expected.n_never": {
            "nl": "Niet vastgelegd: {n}.",
            "en": "Not registered: {n}.",
        },
        "report.expected.beside": {
            "nl": "Hieronder staat elke hypothese zoals ze is vastgelegd, met eventuele "
            "wijzigingen ernaast.",
            "en": "Below, each hypothesis as registered, with any amendments beside it.",
        },
        "report.expected.none": {
            "nl": "Er zijn geen hypothesen vastgelegd.",
            "en": "No hypotheses were registered.",
        },
        "report.expected.statement": {
            "nl": "Zoals vastgelegd: “{text}”",
            "en": "As registered: “{text}”",
        },
        "report.expected.expect": {
            "nl": "Verwacht: {what} ({kind}).",
            "en": "Expected: {what} ({kind}).",
        },
        "report.expected.registered": {
            "nl": "Vastgelegd op {when}, vóór de start.",
            "en": "Registered on {when}, before the start.",
        },
        "report.expected.late": {
            "nl": "Vastgelegd op {when}: te laat, pas na de start van de interventie.",
            "en": "Registered on {when}: late, only after the intervention started.",
        },
        "report.expected.unregistered": {
            "nl": "Niet vastgelegd: deze hypothese kon nog worden veranderd.",
            "en": "Not registered: this hypothesis could still be changed.",
        },
        "report.expected.amendment": {
            "nl": "Gewijzigd op {when} door {who}: {field} van ‘{old}’ naar ‘{new}’. Reden: "
            "{reason}",
            "en": "Amended on {when} by {who}: {field} from ‘{old}’ to ‘{new}’. Reason: {reason}",
        },
        "report.field.if_text": {"nl": "Als we …", "en": "If we …"},
        "report.field.then_text": {"nl": "dan …", "en": "then …"},
        "report.field.because_text": {"nl": "omdat …", "en": "because …"},
        "report.field.expected_direction": {"nl": "verwachte richting", "en": "expected direction"},
        "report.field.min_effect": {
            "nl": "kleinste betekenisvolle effect",
            "en": "minimal meaningful effect",
        },
        "report.field.min_effect_type": {
            "nl": "δ absoluut of relatief",
            "en": "δ absolute or relative",
        },
        "report.field.design": {"nl": "opzet", "en": "design"},
        "report.field.comparison_group": {"nl": "vergelijkingsgroep", "en": "comparison group"},
        "report.field.alpha": {"nl": "significantieniveau α", "en": "significance level α"},
        "report.field.is_primary": {"nl": "primair", "en": "primary"},
        "report.yes": {"nl": "ja", "en": "yes"},
        "report.no": {"nl": "nee", "en": "no"},
        "report.value.increase": {"nl": "stijging", "en": "increase"},
        "report.value.decrease": {"nl": "daling", "en": "decrease"},
        "report.value.no_change": {"nl": "geen verandering", "en": "no change"},
        "report.value.absolute": {"nl": "absoluut", "en": "absolute"},
        "report.value.relative": {"nl": "relatief (%)", "en": "relative (%)"},
        "report.value.auto": {"nl": "automatisch", "en": "automatic"},
        "report.value.prepost": {"nl": "voor/na-vergelijking", "en": "before/after comparison"},
        "report.value.its": {"nl": "onderbroken tijdreeks", "en": "interrupted time series"},
        "report.value.did": {"nl": "verschil-in-verschillen", "en": "difference-in-differences"},
        "report.value.spc": {"nl": "procesbeheersing (SPC)", "en": "statistical process control"},
        "report.expect.increase": {
            "nl": "een stijging van minstens {delta}",
            "en": "an increase of at least {delta}",
        },
        "report.expect.decrease": {
            "nl": "een daling van minstens {delta}",
            "en": "a decrease of at least {delta}",
        },
        "report.expect.no_change": {
            "nl": "geen verandering groter dan {delta}",
            "en": "no change larger than {delta}",
        },
        # --- 2. did
        "report.did.none": {
            "nl": "Er zijn geen interventies in het logboek gezet.",
            "en": "No interventions were logged.",
        },
        "report.did.count": {
            "nl": "{delivered} uitgevoerd, {planned} nog gepland, {cancelled} geannuleerd.",
            "en": "{delivered} delivered, {planned} still planned, {cancelled} cancelled.",
        },
        "report.did.caption": {"nl": "Interventies in de tijd", "en": "Interventions over time"},
        "report.col.date": {"nl": "Datum", "en": "Date"},
        "report.col.intervention": {"nl": "Interventie", "en": "Intervention"},
        "report.col.kind": {"nl": "Soort", "en": "Kind"},
        "report.col.status": {"nl": "Status", "en": "Status"},
        "report.col.plan": {
            "nl": "Gepland tegenover uitgevoerd",
            "en": "Planned against delivered",
        },
        "report.plan.on_time": {"nl": "zoals gepland", "en": "as planned"},
        "report.plan.late": {
            "nl": "{days} dagen later dan gepland ({planned})",
            "en": "{days} days later than planned ({planned})",
        },
        "report.plan.early": {
            "nl": "{days} dagen eerder dan gepland ({planned})",
            "en": "{days} days earlier than planned ({planned})",
        },
        "report.plan.unknown": {"nl": "geen plandatum", "en": "no planned date"},
        # --- 3. happened
        "report.happened.none": {
            "nl": "Er zijn nog geen uitkomsten: er zijn geen hypothesen.",
            "en": "There are no outcomes yet: there are no hypotheses.",
        },
        "report.happened.caption": {
            "nl": "De cijfers van {code}",
            "en": "The numbers of {code}",
        },
        "report.row.baseline": {"nl": "Niveau vóór de start", "en": "Level before the start"},
        "report.row.after": {"nl": "Niveau na de start", "en": "Level after the start"},
        "report.row.effect": {"nl": "Effect", "en": "Effect"},
        "report.row.interval": {"nl": "{level}%-interval", "en": "{level}% interval"},
        "report.row.delta": {
            "nl": "Vooraf als betekenisvol vastgelegd",
            "en": "Registered as meaningful",
        },
        "report.delta.converted": {
            "nl": "{delta} ({pct} van het niveau vóór de start)",
            "en": "{delta} ({pct} of the level before the start)",
        },
        "report.row.prob": {
            "nl": "Kans op een verbetering van minstens die grootte",
            "en": "Probability of an improvement at least that large",
        },
        "report.row.p": {"nl": "p-waarde", "en": "p-value"},
        "report.row.p_holm": {
            "nl": "p-waarde na Holm-correctie",
            "en": "p-value after Holm adjustment",
        },
        "report.row.design": {"nl": "Ontwerp", "en": "Design"},
        "report.row.why_design": {"nl": "Waarom dit ontwerp", "en": "Why this design"},
        "report.row.n": {"nl": "Meetpunten vóór / na", "en": "Data points before / after"},
        "report.row.verdict": {"nl": "Uitslag", "en": "Verdict"},
        "report.col.item": {"nl": "Onderdeel", "en": "Item"},
        "report.col.value": {"nl": "Waarde", "en": "Value"},
        "report.interval": {"nl": "{low} tot {high}", "en": "{low} to {high}"},
        "report.figure.caption": {
            "nl": "{code}: {measure} per periode; de periode na de start is gearceerd.",
            "en": "{code}: {measure} per period; the period after the start is shaded.",
        },
        "report.figure.alt": {
            "nl": "Lijngrafiek van {measure}: {n} meetpunten van {first} tot {last}, "
            "start van de interventie op {start}.",
            "en": "Line chart of {measure}: {n} data points from {first} to {last}, "
            "intervention start on {start}.",
        },
        "report.line.pilot": {"nl": "pilotgebied", "en": "pilot area"},
        "report.line.comparison": {"nl": "vergelijkingsgroep", "en": "comparison group"},
        "report.line.fitted": {"nl": "model", "en": "model"},
        "report.line.counterfactual": {
            "nl": "zonder interventie (doorgetrokken trend)",
            "en": "without the intervention (trend extended)",
        },
        "report.line.center": {"nl": "gemiddelde vóór de start", "en": "mean before the start"},
        "report.line.lower": {"nl": "ondergrens", "en": "lower limit"},
        "report.line.upper": {"nl": "bovengrens", "en": "upper limit"},
        "report.phase.before": {"nl": "voor", "en": "before"},
        "report.phase.after": {"nl": "na de start", "en": "after the start"},
        # --- 4. why
        "report.why.intro": {
            "nl": "Oorzaken die in het logboek zijn vastgelegd, bij de hypothese die ze verklaren.",
            "en": "Causes recorded in the journal, with the hypothesis they explain.",
        },
        "report.why.none": {
            "nl": "Er zijn (nog) geen oorzaken in het logboek vastgelegd.",
            "en": "No causes have been recorded in the journal (yet).",
        },
        "report.why.general": {"nl": "Algemeen", "en": "General"},
        "report.officer": {
            "nl": "Toelichting van de beleidsmedewerker: {text}",
            "en": "The policy officer's note: {text}",
        },
        # --- 5. unforeseen
        "report.unforeseen.journal": {
            "nl": "Onvoorziene effecten uit het logboek:",
            "en": "Unforeseen effects from the journal:",
        },
        "report.unforeseen.none": {
            "nl": "Er zijn geen onvoorziene effecten in het logboek vastgelegd.",
            "en": "No unforeseen effects were recorded in the journal.",
        },
        "report.unforeseen.exploratory": {
            "nl": "Verkennend: indicatoren zonder vooraf vastgelegde hypothese die duidelijk "
            "veranderden. Dit is geen toetsing; het zijn aanwijzingen voor een volgende pilot.",
            "en": "Exploratory: measures without a registered hypothesis that changed clearly. "
            "This is not a test; these are leads for a next pilot.",
        },
        "report.unforeseen.moved": {
            "nl": "{measure} (verkennend): {summary}",
            "en": "{measure} (exploratory): {summary}",
        },
        "report.unforeseen.moved_text": {
            "nl": "het niveau ging van {before} naar {after}; verandering {change} "
            "({level}%-interval {low} tot {high}), {design}.",
            "en": "the level went from {before} to {after}; change {change} "
            "({level}% interval {low} to {high}), {design}.",
        },
        # --- 6. conditions and obstacles
        "report.conditions.intro": {
            "nl": "Zoals de beleidsmedewerker het heeft ingevuld.",
            "en": "As the policy officer filled it in.",
        },
        "report.conditions.none": {
            "nl": "De beleidsmedewerker heeft de voorwaarden nog niet ingevuld.",
            "en": "The policy officer has not filled in the conditions yet.",
        },
        "report.conditions.caption": {
            "nl": "Vijf voorwaarden voor zelforganisatie",
            "en": "Five conditions for self-organisation",
        },
        "report.col.condition": {"nl": "Voorwaarde", "en": "Condition"},
        "report.col.assessment": {"nl": "Oordeel", "en": "Assessment"},
        "report.col.note": {"nl": "Toelichting", "en": "Note"},
        "report.obstacles": {"nl": "Obstakels", "en": "Obstacles"},
        "report.obstacles.none": {
            "nl": "De beleidsmedewerker heeft geen obstakels aangevinkt.",
            "en": "The policy officer ticked no obstacles.",
        },
        "report.obstacles.journal": {
            "nl": "Obstakels die de beleidsmedewerker in het logboek schreef:",
            "en": "Obstacles the policy officer wrote in the journal:",
        },
        "report.condition.handelingsruimte": {"nl": "Handelingsruimte", "en": "Room to act"},
        "report.condition.aanhaken": {"nl": "Aanhaken", "en": "Joining in"},
        "report.condition.sense_of_belonging": {
            "nl": "Sense of belonging",
            "en": "Sense of belonging",
        },
        "report.condition.begrenzing": {"nl": "Begrenzing", "en": "Boundaries"},
        "report.condition.vertrouwen": {"nl": "Vertrouwen", "en": "Trust"},
        "report.assessment.": {"nl": "niet beoordeeld", "en": "not assessed"},
        "report.assessment.present": {"nl": "aanwezig", "en": "present"},
        "report.assessment.partly": {"nl": "deels aanwezig", "en": "partly present"},
        "report.assessment.absent": {"nl": "afwezig", "en": "absent"},
        "report.obstacle.eigen_kracht": {
            "nl": "Eigen kracht verward met eigen verantwoordelijkheid",
            "en": "Own strength confused with own responsibility",
        },
        "report.obstacle.hulp_vragen": {
            "nl": "Terughoudendheid om hulp te vragen",
            "en": "Reluctance to ask for help",
        },
        "report.obstacle.gescheiden_circuits": {
            "nl": "Gescheiden circuits voor jeugd, zorg en participatie",
            "en": "Separate circuits for youth, care and participation",
        },
        "report.obstacle.geen_mandaat": {
            "nl": "Geen mandaat voor generalisten",
            "en": "No mandate for generalists",
        },
        "report.obstacle.wantrouwen": {
            "nl": "Wederzijds wantrouwen tussen specialisten en generalisten",
            "en": "Mutual distrust between specialists and generalists",
        },
        "report.obstacle.landelijke_regels": {
            "nl": "Landelijke regels boven lokaal maatwerk",
            "en": "National rules over local tailoring",
        },
        "report.obstacle.geen_infrastructuur": {
            "nl": "Geen sociale infrastructuur voor burgerinitiatieven",
            "en": "No social infrastructure for citizens' initiatives",
        },
        "report.obstacle.risicomijding": {"nl": "Angst voor risico", "en": "Fear of risk"},
        "report.obstacle.other": {"nl": "Ander obstakel", "en": "Other obstacle"},
        # --- 7. limitations
        "report.limitations.none": {
            "nl": "De analyse meldt geen bijzondere beperkingen.",
            "en": "The analysis reports no particular limitations.",
        },
        "report.limit.holm": {
            "nl": "Er zijn {n} primaire hypothesen getoetst; om toevalstreffers te beperken zijn "
            "de p-waarden met de Holm-methode gecorrigeerd.",
            "en": "{n} primary hypotheses were tested; to limit chance findings the p-values "
            "were adjusted with the Holm method.",
        },
        "report.limit.short": {
            "nl": "Korte nameting: {months} maand(en) gegevens na de start (minder dan {min}). "
            "Effecten die later komen, zijn nog niet te zien.",
            "en": "Short follow-up: {months} month(s) of data after the start (fewer than "
            "{min}). Effects that come later cannot be seen yet.",
        },
        "report.limit.exploratory": {
            "nl": "De verkennende bevindingen in deel 5 zijn niet vooraf vastgelegd en niet "
            "gecorrigeerd voor het aantal bekeken indicatoren.",
            "en": "The exploratory findings in part 5 were not registered beforehand and not "
            "adjusted for the number of measures looked at.",
        },
        "report.limit.item": {"nl": "{message} ({codes}).", "en": "{message} ({codes})."},
        # --- 8. recommendation
        "report.rec.opschalen": {"nl": "opschalen", "en": "scale up"},
        "report.rec.bijstellen": {"nl": "bijstellen", "en": "adjust"},
        "report.rec.stoppen": {"nl": "stoppen", "en": "stop"},
        "report.rec.doorgaan_met_meten": {"nl": "doorgaan met meten", "en": "keep measuring"},
        "report.rule.no_hypotheses": {
            "nl": "er geen hypothesen zijn om op te beslissen",
            "en": "there are no hypotheses to decide on",
        },
        "report.rule.contrary_only": {
            "nl": "een primaire hypothese tegengesteld uitpakt en er geen enkele wordt ondersteund",
            "en": "a primary hypothesis turned out contrary and none is supported",
        },
        "report.rule.contrary_mixed": {
            "nl": "een primaire hypothese tegengesteld uitpakt, terwijl een andere (deels) wordt "
            "ondersteund",
            "en": "a primary hypothesis turned out contrary, another is (partly) supported",
        },
        "report.rule.all_supported": {
            "nl": "alle primaire hypothesen worden ondersteund en geen enkele hypothese "
            "tegengesteld uitpakt",
            "en": "all primary hypotheses are supported and no hypothesis turned out contrary",
        },
        "report.rule.mostly_open": {
            "nl": "bij meer dan de helft van de primaire hypothesen nog geen conclusie mogelijk is",
            "en": "for more than half of the primary hypotheses no conclusion is possible yet",
        },
        "report.rule.no_effect": {
            "nl": "geen enkele primaire hypothese een betekenisvol effect laat zien",
            "en": "no primary hypothesis shows a meaningful effect",
        },
        "report.rule.mixed": {
            "nl": "de uitslagen gemengd zijn",
            "en": "the verdicts are mixed",
        },
        "report.rec.proposed": {
            "nl": "Voorstel volgens de vaste regel: {rec}, omdat {why}.",
            "en": "Proposal by the fixed rule: {rec}, because {why}.",
        },
        "report.rec.confirmed": {
            "nl": "Besluit: {rec}. De beleidsmedewerker bevestigt het voorstel.",
            "en": "Decision: {rec}. The policy officer confirms the proposal.",
        },
        "report.rec.overridden": {
            "nl": "Besluit: {rec}. De beleidsmedewerker wijkt af van het voorstel ({proposed}). "
            "Reden: {reason}",
            "en": "Decision: {rec}. The policy officer departs from the proposal ({proposed}). "
            "Reason: {reason}",
        },
        "report.rec.note": {"nl": "Toelichting: {reason}", "en": "Note: {reason}"},
        "report.rec.next": {"nl": "Volgende stappen: {text}", "en": "Next steps: {text}"},
        "report.rec.glance": {"nl": "Aanbeveling: {rec}.", "en": "Recommendation: {rec}."},
    }
)


# ------------------------------------------------------------------------------- helpers
def _date(iso: str | None, lang: str) -> str:
    if not iso:
        return "–"
    return format_date(dt.date.fromisoformat(iso[:10]), lang)


def _verdict(verdict: str, lang: str) -> str:
    return VERDICT_LABELS.get(verdict, {}).get(lang, verdict)


def _recommendation(code: str, lang: str) -> str:
    return t(f"report.rec.{code}", lang)


def _delta_text(min_effect: float, effect_type: str, lang: str) -> str:
    if effect_type == "relative":
        return format_percent(min_effect / 100, lang, signed=False)
    return format_number(min_effect, lang)


def _expectation(h: HypothesisFacts, lang: str) -> str:
    return t(
        f"report.expect.{h.expected_direction}",
        lang,
        delta=_delta_text(h.min_effect, h.min_effect_type, lang),
    )


def _field_value(field: str, value: str, lang: str) -> str:
    """An amended value as people read it: numbers with a decimal comma, words for codes."""
    if field in ("min_effect", "alpha"):
        try:
            return format_number(float(value), lang)
        except ValueError:
            return value
    if field == "is_primary":
        return t("report.yes" if value == "true" else "report.no", lang)
    if field in ("expected_direction", "min_effect_type", "design"):
        return t(f"report.value.{value}", lang)
    return value


def _sentence(*parts: str) -> str:
    """'Als we X' + 'dan Y' + 'omdat Z' → 'Als we X, dan Y, omdat Z.'"""
    text = ", ".join(p.strip().rstrip(".,") for p in parts if p.strip())
    return text + "." if text else ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _effect(result: dict[str, Any], key: str, lang: str) -> str:
    value = result.get(key)
    if result.get("estimate_is_relative"):
        return format_percent(value, lang)
    return format_signed(value, lang)


def _p(value: float, lang: str) -> str:
    """p-values below 0.001 as "< 0,001": more digits there mean nothing to a reader."""
    return f"< {format_number(0.001, lang)}" if value < 0.001 else format_number(value, lang)


def _level(result: dict[str, Any]) -> int:
    return 100 - round(100 * float(result.get("alpha") or 0.05))


def _design(result: dict[str, Any], lang: str) -> str:
    design = result.get("design")
    return t(f"report.value.{design}", lang) if design else "–"  # the design's name


def _reason(result: dict[str, Any], name: str, lang: str) -> str:
    return str(result.get(f"{name}_en" if lang == "en" else f"{name}_nl") or "")


# ------------------------------------------------------------------------------- sections
def _glance(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.glance", lang), 2)]
    if model.outcomes:
        blocks.append(
            Table(
                header=(
                    t("report.col.hypothesis", lang),
                    t("report.col.measure", lang),
                    t("report.col.primary", lang),
                    t("report.col.verdict", lang),
                ),
                rows=tuple(
                    (
                        o.code,
                        o.measure_name,
                        t("report.primary" if o.is_primary else "report.secondary", lang),
                        _verdict(o.verdict, lang),
                    )
                    for o in model.outcomes
                ),
                caption=t("report.glance.caption", lang),
            )
        )
    rec = model.recommendation
    blocks.append(Paragraph(t("report.rec.glance", lang, rec=_recommendation(rec.chosen, lang))))
    if model.draft.narrative.summary.strip():
        blocks += [
            Heading(t("report.summary", lang), 3),
            Paragraph(model.draft.narrative.summary.strip()),
        ]
    return blocks


def _expected(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.s.expected", lang), 2)]
    if not model.hypotheses:
        return [*blocks, Paragraph(t("report.expected.none", lang))]
    on_time = sum(h.registered_at is not None and not h.registered_late for h in model.hypotheses)
    late = sum(h.registered_at is not None and h.registered_late for h in model.hypotheses)
    never = sum(h.registered_at is None for h in model.hypotheses)
    intro = [
        t("report.expected.intro", lang, start=_date(model.pilot.intervention_start, lang)),
        t("report.expected.on_time", lang, n=on_time, total=len(model.hypotheses)),
    ]
    if late:
        intro.append(t("report.expected.n_late", lang, n=late))
    if never:
        intro.append(t("report.expected.n_never", lang, n=never))
    intro.append(t("report.expected.beside", lang))
    blocks.append(Paragraph(" ".join(intro)))
    for h in model.hypotheses:
        blocks.append(Heading(f"{h.code} · {h.measure_name}", 3))
        # The officer's own words, verbatim as registered (in the language they were written).
        statement = _sentence(h.if_text, h.then_text, h.because_text)
        blocks.append(Paragraph(t("report.expected.statement", lang, text=statement)))
        kind = t("report.primary" if h.is_primary else "report.secondary", lang)
        items = [t("report.expected.expect", lang, what=_expectation(h, lang), kind=kind)]
        if h.registered_at is None:
            items.append(t("report.expected.unregistered", lang))
        else:
            key = "report.expected.late" if h.registered_late else "report.expected.registered"
            items.append(t(key, lang, when=_date(h.registered_at, lang)))
        items += [
            t(
                "report.expected.amendment",
                lang,
                when=_date(a.at, lang),
                who=a.author,
                field=t(f"report.field.{a.field}", lang),
                old=_field_value(a.field, a.old_value, lang),
                new=_field_value(a.field, a.new_value, lang),
                reason=a.reason,
            )
            for a in h.amendments
        ]
        blocks.append(BulletList(tuple(items)))
    return blocks


def _plan(planned: str | None, done: str, lang: str) -> str:
    if not planned:
        return t("report.plan.unknown", lang)
    days = (dt.date.fromisoformat(done[:10]) - dt.date.fromisoformat(planned[:10])).days
    if days == 0:
        return t("report.plan.on_time", lang)
    key = "report.plan.late" if days > 0 else "report.plan.early"
    return t(key, lang, days=abs(days), planned=_date(planned, lang))


def _did(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.s.did", lang), 2)]
    if not model.interventions:
        return [*blocks, Paragraph(t("report.did.none", lang))]
    counts = {s: sum(i.status == s for i in model.interventions) for s in INTERVENTION_STATUS}
    blocks.append(Paragraph(t("report.did.count", lang, **counts)))
    rows = []
    for i in sorted(model.interventions, key=lambda i: (i.date, i.title)):
        status = INTERVENTION_STATUS_LABELS.get(i.status, {}).get(lang, i.status)
        plan = _plan(i.planned_date, i.date, lang) if i.status == "delivered" else "–"
        title = f"{i.title}: {i.description}" if i.description else i.title
        rows.append((_date(i.date, lang), title, i.kind, status, plan))
    blocks.append(
        Table(
            header=(
                t("report.col.date", lang),
                t("report.col.intervention", lang),
                t("report.col.kind", lang),
                t("report.col.status", lang),
                t("report.col.plan", lang),
            ),
            rows=tuple(rows),
            caption=t("report.did.caption", lang),
        )
    )
    return blocks


INTERVENTION_STATUS = ("delivered", "planned", "cancelled")


def _numbers_table(o: Outcome, lang: str) -> Table:
    r = o.result
    rows: list[tuple[str, str]] = [
        (t("report.row.baseline", lang), format_number(r.get("baseline"), lang)),
        (t("report.row.after", lang), format_number(r.get("after_level"), lang)),
        (t("report.row.effect", lang), _effect(r, "estimate", lang)),
        (
            t("report.row.interval", lang, level=_level(r)),
            t(
                "report.interval",
                lang,
                low=_effect(r, "ci_low", lang),
                high=_effect(r, "ci_high", lang),
            ),
        ),
    ]
    if r.get("delta") is not None:
        delta = r["delta"]
        shown = (
            format_percent(delta, lang, signed=False)
            if r.get("estimate_is_relative")
            else format_number(delta, lang)
        )
        if (
            o.min_effect is not None
            and o.min_effect_type == "relative"
            and not r.get("estimate_is_relative")
        ):
            # A relative δ tested on an absolute scale: say where the number comes from.
            pct = format_percent(o.min_effect / 100, lang, signed=False)
            shown = t("report.delta.converted", lang, delta=shown, pct=pct)
        rows.append((t("report.row.delta", lang), shown))
    if r.get("prob_meaningful") is not None:
        rows.append((t("report.row.prob", lang), format_percent(r["prob_meaningful"], lang, False)))
    if r.get("p_value") is not None:
        rows.append((t("report.row.p", lang), _p(r["p_value"], lang)))
    if r.get("p_adjusted") is not None:
        rows.append((t("report.row.p_holm", lang), _p(r["p_adjusted"], lang)))
    rows += [
        (t("report.row.design", lang), _design(r, lang)),
        (t("report.row.why_design", lang), _reason(r, "design_reason", lang) or "–"),
        (t("report.row.n", lang), f"{r.get('n_before', 0)} / {r.get('n_after', 0)}"),
        (t("report.row.verdict", lang), _verdict(o.verdict, lang)),
    ]
    return Table(
        header=(t("report.col.item", lang), t("report.col.value", lang)),
        rows=tuple(rows),
        caption=t("report.happened.caption", lang, code=o.code),
    )


_LINE_STYLES = {
    "pilot": ("solid", True),
    "comparison": ("dashed", True),
    "fitted": ("dashdot", False),
    "counterfactual": ("dotted", False),
    "center": ("dashdot", False),
    "lower": ("dotted", False),
    "upper": ("dotted", False),
}


def _chart(o: Outcome, model: ReportModel, lang: str) -> ReportChart:
    series = tuple(
        ChartSeries(
            name=t(f"report.line.{line.key}", lang),
            points=line.points,
            style=_LINE_STYLES.get(line.key, ("solid", True))[0],  # type: ignore[arg-type]
            markers=_LINE_STYLES.get(line.key, ("solid", True))[1],
        )
        for line in o.lines
        if line.points
    )
    observed = next((line.points for line in o.lines if line.key == "pilot"), ())
    alt = t(
        "report.figure.alt",
        lang,
        measure=o.measure_name,
        n=len(observed),
        first=_date(observed[0][0], lang) if observed else "–",
        last=_date(observed[-1][0], lang) if observed else "–",
        start=_date(model.pilot.intervention_start, lang),
    )
    unit = f" ({o.unit})" if o.unit else ""
    return ReportChart(
        title=f"{o.code} · {o.measure_name}",
        y_label=f"{o.measure_name}{unit}" if len(o.measure_name) < 40 else o.unit or "",
        intervention_start=model.pilot.intervention_start,
        series=series,
        interventions=tuple(
            (i.date, i.title) for i in model.interventions if i.status == "delivered"
        ),
        alt=alt,
        lang=lang,
        before_label=t("report.phase.before", lang),
        after_label=t("report.phase.after", lang),
    )


def _happened(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.s.happened", lang), 2)]
    if not model.outcomes:
        return [*blocks, Paragraph(t("report.happened.none", lang))]
    for o in model.outcomes:
        blocks.append(Heading(f"{o.code} · {o.measure_name}: {_verdict(o.verdict, lang)}", 3))
        summary = o.summary(lang) or o.result_object().summary(lang)
        blocks.append(Paragraph(f"{o.measure_name}: {_lower_first(summary)}"))
        blocks.append(_numbers_table(o, lang))
        blocks.append(
            Figure(
                _chart(o, model, lang),
                name=o.code,
                caption=t("report.figure.caption", lang, code=o.code, measure=o.measure_name),
            )
        )
    return blocks


def _journal_items(
    observations: Iterable[ObservationFacts], lang: str, *, author: bool = False
) -> tuple[str, ...]:
    return tuple(
        f"{o.text} ({_date(o.date, lang)}" + (f", {o.author}" if author and o.author else "") + ")"
        for o in observations
    )


def _why(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.s.why", lang), 2)]
    causes = [o for o in model.observations if o.kind == "cause"]
    if causes:
        blocks.append(Paragraph(t("report.why.intro", lang)))
        names = {h.code: h.measure_name for h in model.hypotheses}
        groups = [
            h.code for h in model.hypotheses if any(c.hypothesis_code == h.code for c in causes)
        ]
        for code in groups:
            blocks.append(Heading(f"{code} · {names[code]}", 3))
            blocks.append(
                BulletList(_journal_items((c for c in causes if c.hypothesis_code == code), lang))
            )
        general = [c for c in causes if c.hypothesis_code not in names]
        if general:
            blocks.append(Heading(t("report.why.general", lang), 3))
            blocks.append(BulletList(_journal_items(general, lang)))
    else:
        blocks.append(Paragraph(t("report.why.none", lang)))
    if model.draft.narrative.why.strip():
        blocks.append(Paragraph(t("report.officer", lang, text=model.draft.narrative.why.strip())))
    return blocks


def _moved(o: Outcome, lang: str) -> str:
    r = o.result
    design = DESIGN_WORDS.get(str(r.get("design") or ""), ("", ""))[1 if lang == "en" else 0]
    return t(
        "report.unforeseen.moved",
        lang,
        measure=o.measure_name,
        summary=t(
            "report.unforeseen.moved_text",
            lang,
            before=format_number(r.get("baseline"), lang),
            after=format_number(r.get("after_level"), lang),
            change=_effect(r, "estimate", lang),
            level=_level(r),
            low=_effect(r, "ci_low", lang),
            high=_effect(r, "ci_high", lang),
            design=design,
        ),
    )


def _unforeseen(model: ReportModel, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(t("report.s.unforeseen", lang), 2)]
    effects = [o for o in model.observations if o.kind == "unforeseen_effect"]
    if effects:
        blocks += [
            Paragraph(t("report.unforeseen.journal", lang)),
            BulletList(_journal_items(effects, lang)),
        ]
    else:
        blocks.append(Paragraph(t("report.unforeseen.none", lang)))
    if model.exploratory:
        blocks += [
            Paragraph(t("report.unforeseen.exploratory", lang), style="note"),
            BulletList(tuple(_moved(o, lang) for o in model.exploratory)),
        ]
    if model.draft.narrative.unforeseen.strip():
        text = model.draft.narrative.unforeseen.strip()
        blocks.append(Paragraph(t("report.officer", lang, text=text)))
    return blocks


def _conditions(model: ReportModel, lang: str) -> list[Block]:
    """Only what the officer entered: assessed or annotated conditions, ticked obstacles, and
    the obstacles the officer wrote in the journal."""
    blocks: list[Block] = [Heading(t("report.s.conditions", lang), 2)]
    entries = [
        c
        for c in sorted(model.draft.conditions, key=lambda c: CONDITIONS.index(c.code))
        if c.assessment or c.text.strip()
    ]
    if entries:
        blocks.append(Paragraph(t("report.conditions.intro", lang)))
        blocks.append(
            Table(
                header=(
                    t("report.col.condition", lang),
                    t("report.col.assessment", lang),
                    t("report.col.note", lang),
                ),
                rows=tuple(
                    (
                        t(f"report.condition.{c.code}", lang),
                        t(f"report.assessment.{c.assessment}", lang),
                        c.text.strip() or "–",
                    )
                    for c in entries
                ),
                caption=t("report.conditions.caption", lang),
            )
        )
    else:
        blocks.append(Paragraph(t("report.conditions.none", lang)))
    blocks.append(Heading(t("report.obstacles", lang), 3))
    ticked = sorted(model.draft.obstacles, key=lambda o: OBSTACLES.index(o.code))
    ticked = [o for o in ticked if o.code != "other" or o.text.strip()]
    if ticked:
        blocks.append(
            BulletList(
                tuple(
                    t(f"report.obstacle.{o.code}", lang)
                    + (f": {o.text.strip()}" if o.text.strip() else "")
                    for o in ticked
                )
            )
        )
    else:
        blocks.append(Paragraph(t("report.obstacles.none", lang)))
    logged = [o for o in model.observations if o.kind == "obstacle"]
    if logged:
        blocks += [
            Paragraph(t("report.obstacles.journal", lang)),
            BulletList(_journal_items(logged, lang, author=True)),
        ]
    return blocks


def _last_period(model: ReportModel) -> str | None:
    """The latest measured period of the pilot group over all hypotheses (ISO date)."""
    return max(
        (
            line.points[-1][0]
            for o in model.outcomes
            for line in o.lines
            if line.key == "pilot" and line.points
        ),
        default=None,
    )


def _months_after(model: ReportModel) -> int | None:
    """Months from the intervention start up to the last measured period (both included)."""
    last = _last_period(model)
    if last is None:
        return None
    start = dt.date.fromisoformat(model.pilot.intervention_start[:10])
    end = dt.date.fromisoformat(last[:10])
    return max(0, (end.year - start.year) * 12 + end.month - start.month + 1)


def _limitations(model: ReportModel, lang: str) -> list[Block]:
    """From the analysis warnings, each once with the hypotheses it concerns, plus the
    report-level ones (several primary hypotheses, short follow-up, exploratory findings)."""
    blocks: list[Block] = [Heading(t("report.s.limitations", lang), 2)]
    by_message: dict[str, list[str]] = {}
    for o in model.outcomes:
        for w in o.result.get("warnings", []):
            message = w["message_en"] if lang == "en" else w["message_nl"]
            codes = by_message.setdefault(message, [])
            if o.code not in codes:
                codes.append(o.code)
    items = [
        t(
            "report.limit.item",
            lang,
            message=message[:1].upper() + message[1:],
            codes=", ".join(codes),
        )
        for message, codes in by_message.items()
    ]
    primaries = [
        o for o in model.outcomes if o.is_primary and o.result.get("p_adjusted") is not None
    ]
    if len(primaries) > 1:
        items.append(t("report.limit.holm", lang, n=len(primaries)))
    months = _months_after(model)
    if months is not None and months < SHORT_FOLLOW_UP_MONTHS:
        items.append(t("report.limit.short", lang, months=months, min=SHORT_FOLLOW_UP_MONTHS))
    if model.exploratory:
        items.append(t("report.limit.exploratory", lang))
    if items:
        blocks.append(BulletList(tuple(items)))
    else:
        blocks.append(Paragraph(t("report.limitations.none", lang)))
    return blocks


def _recommendation_section(model: ReportModel, lang: str) -> list[Block]:
    rec = model.recommendation
    blocks: list[Block] = [
        Heading(t("report.s.recommendation", lang), 2),
        Paragraph(
            t(
                "report.rec.proposed",
                lang,
                rec=_recommendation(rec.proposed, lang),
                why=t(f"report.rule.{rec.rule}", lang),
            )
        ),
    ]
    if rec.overridden:
        blocks.append(
            Paragraph(
                t(
                    "report.rec.overridden",
                    lang,
                    rec=_recommendation(rec.chosen, lang),
                    proposed=_recommendation(rec.proposed, lang),
                    reason=rec.reason.strip(),
                )
            )
        )
    else:
        blocks.append(
            Paragraph(t("report.rec.confirmed", lang, rec=_recommendation(rec.chosen, lang)))
        )
        if rec.reason.strip():
            blocks.append(Paragraph(t("report.rec.note", lang, reason=rec.reason.strip())))
    if model.draft.narrative.next_steps.strip():
        text = model.draft.narrative.next_steps.strip()
        blocks.append(Paragraph(t("report.rec.next", lang, text=text)))
    return blocks


def write_report(model: ReportModel, lang: str = "nl") -> Document:
    """The whole report as a document in ``lang`` ("nl" or "en")."""
    lang = "en" if lang == "en" else "nl"
    pilot = model.pilot
    blocks: list[Block] = [Paragraph(t("report.aim", lang, aim=pilot.aim))] if pilot.aim else []
    for part in (
        _glance,
        _expected,
        _did,
        _happened,
        _why,
        _unforeseen,
        _conditions,
        _limitations,
        _recommendation_section,
    ):
        blocks += part(model, lang)
    pub = model.publication
    footer = (
        t(
            "report.published",
            lang,
            number=pub.number,
            who=pub.published_by,
            when=_date(pub.published_at, lang),
            sha=pub.sha256,
        )
        if pub
        else t("report.draft", lang)
    )
    return Document(
        title=t("report.title", lang, title=pilot.title),
        subtitle=t(
            "report.subtitle",
            lang,
            municipality=pilot.municipality,
            domains=", ".join(pilot.domains),
            as_of=_date(model.as_of, lang),
            last=_date(_last_period(model), lang),
        ),
        lang=lang,
        blocks=tuple(blocks),
        footer=footer,
        metadata={
            "author": pub.published_by if pub else pilot.owner,
            "subject": pilot.title,
            "date": pub.published_at if pub else f"{model.as_of[:10]}T00:00:00+00:00",
        },
    )
