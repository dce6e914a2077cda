"""Plain-language summaries of results, Dutch first (B1 level), English complete.

The tone follows the lessons report: "Het aantal daalde van 42 naar 35 per maand (−17%,
95%-interval −25% tot −9%). Vooraf verwachtten we minstens 10% daling: de hypothese wordt
ondersteund." Every number comes from the AnalysisResult.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.analysis.numbers import format_number, format_percent, format_signed

if TYPE_CHECKING:
    from tracker.analysis.result import AnalysisResult

VERDICT_WORDS = {
    "supported": ("de hypothese wordt ondersteund", "the hypothesis is supported"),
    "partly_supported": (
        "de hypothese wordt deels ondersteund: er is een verbetering, maar kleiner dan vooraf "
        "als betekenisvol vastgelegd",
        "the hypothesis is partly supported: there is an improvement, but smaller than the "
        "registered meaningful effect",
    ),
    "contrary": (
        "de uitkomst gaat tegen de verwachting in",
        "the outcome goes against the expectation",
    ),
    "no_meaningful_effect": (
        "er is geen betekenisvol effect",
        "there is no meaningful effect",
    ),
    "inconclusive": (
        "we kunnen nog geen conclusie trekken",
        "we cannot draw a conclusion yet",
    ),
    "insufficient_data": (
        "er zijn te weinig gegevens voor een toetsing",
        "there are too few data for a test",
    ),
}

# How the effect was measured, completing "het effect is … , {words}".
DESIGN_WORDS = {
    "prepost": ("na tegenover voor de start", "after against before the start"),
    "its": (
        "tegenover de doorgetrokken trend van vóór de start (onderbroken tijdreeks)",
        "against the trend from before the start, extended (interrupted time series)",
    ),
    "did": (
        "tegenover de vergelijkingsgroep (verschil-in-verschillen)",
        "against the comparison group (difference-in-differences)",
    ),
    "spc": (
        "tegenover het gemiddelde van vóór de start (procesbeheersing)",
        "against the mean before the start (process control)",
    ),
}

EXPECT_WORDS = {
    "increase": ("stijging", "an increase"),
    "decrease": ("daling", "a decrease"),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def summarise(result: AnalysisResult, lang: str = "nl") -> str:
    en = lang == "en"
    i = 1 if en else 0
    verdict = VERDICT_WORDS[result.verdict][i]
    if result.verdict == "insufficient_data" or result.estimate is None:
        reason = result.verdict_reason_en if en else result.verdict_reason_nl
        return f"{_cap(verdict)}: {reason}."

    base = result.baseline
    level = 100 - round(100 * result.alpha)
    after = result.after_level
    if result.estimate_is_relative:
        change = format_percent(result.estimate, lang)
        low, high = format_percent(result.ci_low, lang), format_percent(result.ci_high, lang)
        delta = format_percent(result.delta, lang, signed=False)
    else:
        change = format_signed(result.estimate, lang)
        low, high = format_signed(result.ci_low, lang), format_signed(result.ci_high, lang)
        delta = format_number(result.delta, lang)
    design = DESIGN_WORDS.get(result.design or "", ("", ""))[i]
    if en:
        first = (
            f"The level went from {format_number(base, lang)} to {format_number(after, lang)}"
            f"; the effect is {change} ({level}% interval {low} to {high}), {design}."
        )
        if result.expect == "no_change":
            second = f"Beforehand we expected no change larger than {delta}: {verdict}."
        else:
            second = (
                f"Beforehand we expected {EXPECT_WORDS[result.expect][1]} of at least {delta}: "
                f"{verdict}."
            )
    else:
        first = (
            f"Het niveau ging van {format_number(base, lang)} naar "
            f"{format_number(after, lang)}; het effect is {change} ({level}%-interval {low} tot "
            f"{high}), {design}."
        )
        if result.expect == "no_change":
            second = f"Vooraf verwachtten we geen verandering groter dan {delta}: {verdict}."
        else:
            second = (
                f"Vooraf verwachtten we minstens {delta} {EXPECT_WORDS[result.expect][0]}: "
                f"{verdict}."
            )
    return f"{first} {second}"
