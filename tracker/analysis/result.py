"""The result of analysing one hypothesis: a frozen dataclass with a stable JSON form.

The keys of ``to_dict()`` are the documented schema (README, "Analysis results") that the
results export reuses; add keys, never rename them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tracker.analysis.estimates import _clean

SCHEMA_VERSION = 1

WARNINGS: dict[str, tuple[str, str]] = {
    "few_points": (
        "weinig meetpunten ({n_before} voor, {n_after} na): de uitkomst is onzeker",
        "few data points ({n_before} before, {n_after} after): the result is uncertain",
    ),
    "missing_periods": (
        "{n} maand(en) ontbreken in de reeks",
        "{n} month(s) are missing from the series",
    ),
    "autocorrelation": (
        "opeenvolgende metingen hangen samen (autocorrelatie); de standaardfouten houden daar "
        "rekening mee",
        "consecutive measurements are correlated (autocorrelation); the standard errors allow "
        "for it",
    ),
    "baseline_trend": (
        "er was al een trend vóór de start; het effect is gemeten tegen die trend in",
        "there was already a trend before the start; the effect is measured against that trend",
    ),
    "pretrend": (
        "pilot- en vergelijkingsgroep liepen vóór de start niet evenwijdig; het "
        "verschil-in-verschillen kan daardoor vertekend zijn",
        "pilot and comparison group did not run parallel before the start; the "
        "difference-in-differences may be biased",
    ),
    "amended": (
        "de hypothese is na het vastleggen gewijzigd; de wijziging staat naast het origineel",
        "the hypothesis was amended after registration; the amendment is shown beside the original",
    ),
    "registered_late": (
        "de hypothese is pas na de start van de interventie vastgelegd",
        "the hypothesis was registered only after the intervention started",
    ),
    "dropped_rows": (
        "{n} rij(en) zonder bruikbare waarde zijn overgeslagen",
        "{n} row(s) without a usable value were skipped",
    ),
    "no_comparison": (
        "er is geen vergelijkingsgroep: andere veranderingen in dezelfde tijd zijn niet "
        "uitgesloten",
        "there is no comparison group: other changes at the same time are not ruled out",
    ),
}


@dataclass(frozen=True)
class AnalysisWarning:
    code: str
    message_nl: str
    message_en: str

    @classmethod
    def make(cls, code: str, **params: Any) -> AnalysisWarning:
        nl, en = WARNINGS[code]
        return cls(code, nl.format(**params), en.format(**params))

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_nl": self.message_nl, "message_en": self.message_en}


@dataclass(frozen=True)
class AnalysisResult:
    """One hypothesis, analysed. ``estimate`` is on the scale DESIGN.md names per design."""

    design: str | None
    design_reason_nl: str
    design_reason_en: str
    kind: str
    n_before: int
    n_after: int
    baseline: float | None
    after_level: float | None
    estimate: float | None
    se: float | None
    se_type: str | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    relative_estimate: float | None
    estimate_is_relative: bool
    delta: float | None
    prob_meaningful: float | None
    verdict: str
    verdict_reason_nl: str
    verdict_reason_en: str
    expect: str
    alpha: float
    warnings: tuple[AnalysisWarning, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        en = lang == "en"
        return {
            "schema_version": SCHEMA_VERSION,
            "design": self.design,
            "design_reason": self.design_reason_en if en else self.design_reason_nl,
            "kind": self.kind,
            "expect": self.expect,
            "alpha": self.alpha,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "baseline": _clean(self.baseline),
            "after_level": _clean(self.after_level),
            "estimate": _clean(self.estimate),
            "estimate_is_relative": self.estimate_is_relative,
            "se": _clean(self.se),
            "se_type": self.se_type,
            "ci_low": _clean(self.ci_low),
            "ci_high": _clean(self.ci_high),
            "p_value": _clean(self.p_value),
            "p_adjusted": _clean(self.p_adjusted),
            "relative_estimate": _clean(self.relative_estimate),
            "delta": _clean(self.delta),
            "prob_meaningful": _clean(self.prob_meaningful),
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason_en if en else self.verdict_reason_nl,
            "warnings": [w.to_dict() for w in self.warnings],
            "details": _json_safe(self.details),
        }

    def summary(self, lang: str = "nl") -> str:
        """A plain-language paragraph: what changed, how sure, and the verdict."""
        from tracker.analysis.summary import summarise  # keeps the wording in one module

        return summarise(self, lang)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "to_dict"):
        return _json_safe(value.to_dict())
    if hasattr(value, "isoformat"):  # dates and timestamps: periods are whole days
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
