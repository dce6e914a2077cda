"""From an estimate to a verdict on the registered expectation, as DESIGN.md defines it.

Everything is put on one scale first: *improvement in the expected direction* (for an expected
decrease the sign flips), in the units of the estimate. The minimal meaningful effect δ is
absolute (in the measure's units) or relative (a percentage of the baseline level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from tracker.analysis.numbers import format_number

SUPPORTED = "supported"
PARTLY_SUPPORTED = "partly_supported"
CONTRARY = "contrary"
NO_MEANINGFUL_EFFECT = "no_meaningful_effect"
INCONCLUSIVE = "inconclusive"
INSUFFICIENT_DATA = "insufficient_data"

VERDICTS = (
    SUPPORTED,
    PARTLY_SUPPORTED,
    CONTRARY,
    NO_MEANINGFUL_EFFECT,
    INCONCLUSIVE,
    INSUFFICIENT_DATA,
)


def delta_on_estimate_scale(
    min_effect: float, *, relative: bool, baseline: float, estimate_is_relative: bool
) -> float:
    """δ in the units of the estimate.

    Parameters
    ----------
    min_effect : float
        The registered minimal meaningful effect: absolute units, or a percentage when
        ``relative``.
    relative : bool
        Whether ``min_effect`` is a percentage of the baseline level.
    baseline : float
        The baseline level (mean, proportion or rate before the intervention).
    estimate_is_relative : bool
        True when the estimate itself is a relative change (rate ratio − 1 for counts).
    """
    if estimate_is_relative:
        if relative:
            return min_effect / 100.0
        return min_effect / abs(baseline) if baseline else math.inf
    if relative:
        return min_effect / 100.0 * abs(baseline)
    return min_effect


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason_nl: str
    reason_en: str
    improvement: float
    improvement_low: float
    improvement_high: float
    delta: float
    prob_meaningful: float | None

    def reason(self, lang: str = "nl") -> str:
        return self.reason_en if lang == "en" else self.reason_nl


REASONS: dict[str, tuple[str, str]] = {
    "no_change_supported": (
        "het interval {interval} ligt binnen −δ…δ (δ = {delta}): geen betekenisvolle "
        "verandering, zoals verwacht",
        "the interval {interval} lies within −δ…δ (δ = {delta}): no meaningful change, as expected",
    ),
    "no_change_contrary": (
        "het interval {interval} ligt geheel buiten −δ…δ (δ = {delta}): er veranderde wel iets",
        "the interval {interval} lies wholly outside −δ…δ (δ = {delta}): something did change",
    ),
    "no_change_inconclusive": (
        "het interval {interval} is te breed om te zeggen of de verandering kleiner is dan "
        "δ = {delta}",
        "the interval {interval} is too wide to say whether the change is smaller than δ = {delta}",
    ),
    SUPPORTED: (
        "verbetering {imp} (interval {interval}) is groter dan nul en minstens δ = {delta}",
        "improvement {imp} (interval {interval}) is above zero and at least δ = {delta}",
    ),
    PARTLY_SUPPORTED: (
        "verbetering {imp} (interval {interval}) is groter dan nul maar kleiner dan δ = {delta}",
        "improvement {imp} (interval {interval}) is above zero but smaller than δ = {delta}",
    ),
    CONTRARY: (
        "de verandering gaat tegen de verwachting in: interval {interval} ligt onder nul",
        "the change goes against the expectation: interval {interval} lies below zero",
    ),
    NO_MEANINGFUL_EFFECT: (
        "het interval {interval} ligt binnen −δ…δ (δ = {delta}): geen betekenisvol effect",
        "the interval {interval} lies within −δ…δ (δ = {delta}): no meaningful effect",
    ),
    INCONCLUSIVE: (
        "het interval {interval} bevat nul of is breder dan −δ…δ (δ = {delta}): nog geen "
        "uitspraak mogelijk",
        "the interval {interval} includes zero or is wider than −δ…δ (δ = {delta}): no "
        "conclusion yet",
    ),
    "not_significant": (
        "na Holm-correctie voor {m} primaire hypothesen is p = {p} niet kleiner dan α = {alpha}",
        "after Holm adjustment for {m} primary hypotheses p = {p} is not below α = {alpha}",
    ),
}


def decide(
    *,
    estimate: float,
    ci_low: float,
    ci_high: float,
    se: float | None,
    expect: str,
    delta: float,
    p_value: float | None = None,
    alpha: float = 0.05,
    n_tests: int = 1,
) -> Verdict:
    """Apply the verdict rules in DESIGN.md's order.

    ``p_value`` (Holm-adjusted when several primary hypotheses are tested) decides
    significance together with the interval: an interval that excludes 0 only counts when the
    p-value is below ``alpha`` too (for a single test both say the same).
    """
    sign = -1.0 if expect == "decrease" else 1.0
    imp = sign * estimate
    lo, hi = sorted((sign * ci_low, sign * ci_high))
    significant = p_value is None or p_value < alpha

    def words(lang: str) -> dict[str, str]:
        return {
            "imp": format_number(imp, lang),
            "interval": f"{format_number(lo, lang)} … {format_number(hi, lang)}",
            "delta": format_number(delta, lang),
            "p": format_number(p_value, lang),
            "alpha": format_number(alpha, lang),
            "m": str(n_tests),
        }

    def verdict(name: str, reason: str, prob: float | None) -> Verdict:
        nl, en = REASONS[reason]
        return Verdict(
            name, nl.format(**words("nl")), en.format(**words("en")), imp, lo, hi, delta, prob
        )

    if expect == "no_change":
        if -delta < lo and hi < delta:
            return verdict(SUPPORTED, "no_change_supported", None)
        if significant and (lo > delta or hi < -delta):
            return verdict(CONTRARY, "no_change_contrary", None)
        return verdict(INCONCLUSIVE, "no_change_inconclusive", None)

    prob = probability_at_least(imp, se, delta)
    if significant and lo > 0:
        return verdict(
            SUPPORTED if imp >= delta else PARTLY_SUPPORTED,
            SUPPORTED if imp >= delta else PARTLY_SUPPORTED,
            prob,
        )
    if significant and hi < 0:
        return verdict(CONTRARY, CONTRARY, prob)
    if -delta < lo and hi < delta:
        return verdict(NO_MEANINGFUL_EFFECT, NO_MEANINGFUL_EFFECT, prob)
    if lo > 0 or hi < 0:  # the interval excludes zero, the adjusted p-value does not
        return verdict(INCONCLUSIVE, "not_significant", prob)
    return verdict(INCONCLUSIVE, INCONCLUSIVE, prob)


def probability_at_least(improvement: float, se: float | None, delta: float) -> float | None:
    """P(true improvement ≥ δ) under a normal approximation centred on the estimate."""
    if se is None or not math.isfinite(se) or se <= 0 or not math.isfinite(delta):
        return None
    return float(stats.norm.sf((delta - improvement) / se))


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm step-down adjusted p-values (None stays None; the order of the input is kept)."""
    present = [(i, p) for i, p in enumerate(p_values) if p is not None and math.isfinite(p)]
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    running = 0.0
    for rank, (i, p) in enumerate(sorted(present, key=lambda pair: pair[1])):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def normal_interval(estimate: float, se: float, alpha: float) -> tuple[float, float]:
    z = float(stats.norm.ppf(1 - alpha / 2))
    return float(estimate - z * se), float(estimate + z * se)


__all__ = [
    "VERDICTS",
    "Verdict",
    "decide",
    "delta_on_estimate_scale",
    "holm",
    "normal_interval",
    "probability_at_least",
]
