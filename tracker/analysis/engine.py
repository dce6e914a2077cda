"""``analyze``: tidy data and a registered expectation in, an AnalysisResult out.

Two steps, so that several primary hypotheses can share one Holm adjustment: ``fit`` runs the
design and returns the raw estimate; ``judge`` turns it into a verdict with the (adjusted)
p-value. ``analyze`` does both for one hypothesis; ``analyze_many`` for a pilot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tracker.analysis import did as did_method
from tracker.analysis import its as its_method
from tracker.analysis import prepost as prepost_method
from tracker.analysis import spc as spc_method
from tracker.analysis.estimates import Estimate, InsufficientData
from tracker.analysis.prepare import (
    Columns,
    Prepared,
    choose_design,
    missing_periods,
    per_period,
    prepare,
)
from tracker.analysis.result import AnalysisResult, AnalysisWarning
from tracker.analysis.verdict import decide, delta_on_estimate_scale, holm

FEW_POINTS = 6


@dataclass(frozen=True)
class AnalysisSpec:
    """What was registered: the expectation and how to test it.

    ``min_effect`` is δ: absolute units, or a percentage of the baseline when ``relative``.
    """

    intervention: dt.date
    kind: str = "continuous"
    design: str = "auto"
    expect: str = "increase"
    min_effect: float = 0.0
    relative: bool = False
    alpha: float = 0.05
    maxlags: int | None = None
    errors: str | None = None  # its, continuous: "ar1" | "hac"; None: "hac" if maxlags else "ar1"
    seasonality: str = "auto"
    better: str | None = None  # SPC direction; default follows ``expect``
    amended: bool = False
    registered_late: bool = False
    columns: Columns = field(default_factory=Columns)

    @property
    def its_errors(self) -> str:
        """The continuous ITS error model: as given, else HAC when a lag length is given."""
        if self.errors is not None:
            return self.errors
        return "hac" if self.maxlags is not None else "ar1"


@dataclass(frozen=True)
class Fitted:
    """A design's raw outcome, before the verdict."""

    design: str
    reason_nl: str
    reason_en: str
    kind: str
    effect: Estimate
    se_type: str
    baseline: float
    after_level: float
    n_before: int
    n_after: int
    estimate_is_relative: bool
    warnings: tuple[AnalysisWarning, ...]
    details: dict[str, Any]


@dataclass(frozen=True)
class NotFitted:
    """Why nothing could be estimated (an ``insufficient_data`` result)."""

    code: str
    message_nl: str
    message_en: str
    kind: str
    design: str | None
    n_before: int = 0
    n_after: int = 0


def fit(frame: pd.DataFrame, spec: AnalysisSpec) -> Fitted | NotFitted:
    """Run the registered (or the strongest supported) design on ``frame``."""
    design: str | None = None if spec.design == "auto" else spec.design
    try:
        prep = prepare(frame, kind=spec.kind, intervention=spec.intervention, columns=spec.columns)
        design, reason_nl, reason_en = choose_design(prep, spec.design)
        return _fit_design(prep, spec, design, reason_nl, reason_en)
    except InsufficientData as exc:
        return NotFitted(exc.code, exc.message_nl, exc.message_en, spec.kind, design)


def _pooled_level(values: dict[str, np.ndarray], rows: np.ndarray, kind: str) -> float:
    """The observed level of some rows: mean value, or pooled proportion or rate."""
    if kind == "continuous":
        return float(values["value"][rows].mean())
    num, den = ("numerator", "denominator") if kind == "proportion" else ("count", "exposure")
    return float(values[num][rows].sum() / values[den][rows].sum())


def _fit_design(
    prep: Prepared, spec: AnalysisSpec, design: str, reason_nl: str, reason_en: str
) -> Fitted:
    alpha = spec.alpha
    kind = prep.kind
    relative = False
    details: dict[str, Any] = {}
    warnings: list[AnalysisWarning] = []
    pilot = {name: array[prep.pilot] for name, array in prep.values.items()}
    pilot_period = prep.period[prep.pilot]
    after = pilot_period >= prep.intervention

    if design == "prepost":
        if kind == "continuous":
            res = prepost_method.prepost_continuous(
                pilot["value"][~after], pilot["value"][after], alpha=alpha
            )
        elif kind == "proportion":
            res = prepost_method.prepost_proportion_from_rows(
                pilot["numerator"][~after],
                pilot["denominator"][~after],
                pilot["numerator"][after],
                pilot["denominator"][after],
                alpha=alpha,
            )
        else:
            res = prepost_method.prepost_rate_from_rows(
                pilot["count"][~after],
                pilot["exposure"][~after],
                pilot["count"][after],
                pilot["exposure"][after],
                alpha=alpha,
            )
            relative = True
        effect, se_type, baseline = res.effect, res.se_type, res.baseline
        n_before, n_after = int((~after).sum()), int(after.sum())
        details = res.to_dict()
    elif design == "its":
        series = per_period(prep)
        if kind == "count":
            res = its_method.its_fit(
                series.period,
                intervention=spec.intervention,
                kind="count",
                counts=series.values["count"],
                exposures=series.values["exposure"],
                alpha=alpha,
                seasonality=spec.seasonality,
            )
            relative = True
        else:
            res = its_method.its_fit(
                series.period,
                intervention=spec.intervention,
                kind="continuous",
                values=series.value,
                alpha=alpha,
                maxlags=spec.maxlags,
                errors=spec.its_errors,
                seasonality=spec.seasonality,
            )
        effect, se_type, baseline = res.average_effect, res.se_type, res.baseline
        n_before, n_after = res.n_before, res.n_after
        details = res.to_dict()
        if res.autocorrelation_seen:
            warnings.append(AnalysisWarning.make("autocorrelation"))
        trend = res.baseline_trend
        if trend.p_value is not None and trend.p_value < 0.05:
            warnings.append(AnalysisWarning.make("baseline_trend"))
    elif design == "did":
        did_frame = prep.rows
        did_frame["period"] = did_frame["period"].dt.date
        res = did_method.did_fit(did_frame, intervention=spec.intervention, kind=kind, alpha=alpha)
        if kind == "count" and res.rate_ratio is not None:
            rr = res.rate_ratio
            effect = Estimate(rr.estimate - 1, rr.se, rr.ci_low - 1, rr.ci_high - 1, rr.p_value)
            relative = True
        else:
            effect = res.effect
        se_type, baseline = res.se_type, res.baseline
        n_before, n_after = res.n_before, res.n_after
        details = res.to_dict()
        if res.pretrend_violated:
            warnings.append(AnalysisWarning.make("pretrend"))
    elif design == "spc":
        series = per_period(prep)
        chart = {"continuous": "xmr", "proportion": "p", "count": "u"}[kind]
        better = spec.better or ("lower" if spec.expect == "decrease" else "higher")
        if kind == "continuous":
            res = spc_method.spc_chart(
                series.period,
                intervention=spec.intervention,
                chart=chart,
                values=series.value,
                better=better,
                alpha=alpha,
            )
        else:
            num, den = (
                ("numerator", "denominator") if kind == "proportion" else ("count", "exposure")
            )
            res = spc_method.spc_chart(
                series.period,
                intervention=spec.intervention,
                chart=chart,
                numerators=series.values[num],
                denominators=series.values[den],
                better=better,
                alpha=alpha,
            )
        effect, baseline = res.effect, res.baseline_mean
        se_type = (
            "normal(sigma from moving range)" if chart == "xmr" else "normal(binomial/poisson)"
        )
        n_before, n_after = res.n_before, res.n_after
        details = res.to_dict()
    else:  # pragma: no cover - choose_design only returns the four designs
        raise ValueError(design)

    if design != "did":
        warnings.append(AnalysisWarning.make("no_comparison"))
    gaps = missing_periods(pilot_period)
    if gaps:
        warnings.append(AnalysisWarning.make("missing_periods", n=gaps))
    if min(n_before, n_after) < FEW_POINTS:
        warnings.append(AnalysisWarning.make("few_points", n_before=n_before, n_after=n_after))
    if prep.dropped_missing:
        warnings.append(AnalysisWarning.make("dropped_rows", n=prep.dropped_missing))
    if spec.amended:
        warnings.append(AnalysisWarning.make("amended"))
    if spec.registered_late:
        warnings.append(AnalysisWarning.make("registered_late"))
    return Fitted(
        design=design,
        reason_nl=reason_nl,
        reason_en=reason_en,
        kind=kind,
        effect=effect,
        se_type=se_type,
        baseline=float(baseline),
        after_level=_pooled_level(pilot, after, kind),
        n_before=int(n_before),
        n_after=int(n_after),
        estimate_is_relative=relative,
        warnings=tuple(warnings),
        details=details,
    )


def _se_from_interval(effect: Estimate, alpha: float) -> float | None:
    """Score and exact intervals have no SE; half their width over z approximates one (used
    only for the probability of a meaningful effect, which is a normal approximation anyway)."""
    width = effect.ci_high - effect.ci_low
    if not np.isfinite(width) or width <= 0:
        return None
    return float(width / (2 * stats.norm.ppf(1 - alpha / 2)))


def judge(
    fitted: Fitted | NotFitted,
    spec: AnalysisSpec,
    *,
    p_adjusted: float | None = None,
    n_tests: int = 1,
) -> AnalysisResult:
    """The verdict for a fitted design (``p_adjusted``: Holm-adjusted p, when several)."""
    if isinstance(fitted, NotFitted):
        return AnalysisResult(
            design=fitted.design,
            design_reason_nl="",
            design_reason_en="",
            kind=fitted.kind,
            n_before=fitted.n_before,
            n_after=fitted.n_after,
            baseline=None,
            after_level=None,
            estimate=None,
            se=None,
            se_type=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            p_adjusted=None,
            relative_estimate=None,
            estimate_is_relative=False,
            delta=None,
            prob_meaningful=None,
            verdict="insufficient_data",
            verdict_reason_nl=fitted.message_nl,
            verdict_reason_en=fitted.message_en,
            expect=spec.expect,
            alpha=spec.alpha,
            warnings=(),
            details={"reason_code": fitted.code},
        )
    effect = fitted.effect
    delta = delta_on_estimate_scale(
        spec.min_effect,
        relative=spec.relative,
        baseline=fitted.baseline,
        estimate_is_relative=fitted.estimate_is_relative,
    )
    verdict = decide(
        estimate=effect.estimate,
        ci_low=effect.ci_low,
        ci_high=effect.ci_high,
        se=effect.se if effect.se is not None else _se_from_interval(effect, spec.alpha),
        expect=spec.expect,
        delta=delta,
        p_value=p_adjusted,
        alpha=spec.alpha,
        n_tests=n_tests,
    )
    if fitted.estimate_is_relative:
        relative_estimate = effect.estimate
    elif fitted.baseline:
        relative_estimate = effect.estimate / abs(fitted.baseline)
    else:
        relative_estimate = None
    return AnalysisResult(
        design=fitted.design,
        design_reason_nl=fitted.reason_nl,
        design_reason_en=fitted.reason_en,
        kind=fitted.kind,
        n_before=fitted.n_before,
        n_after=fitted.n_after,
        baseline=fitted.baseline,
        after_level=fitted.after_level,
        estimate=effect.estimate,
        se=effect.se,
        se_type=fitted.se_type,
        ci_low=effect.ci_low,
        ci_high=effect.ci_high,
        p_value=effect.p_value,
        p_adjusted=p_adjusted,
        relative_estimate=relative_estimate,
        estimate_is_relative=fitted.estimate_is_relative,
        delta=delta,
        prob_meaningful=verdict.prob_meaningful,
        verdict=verdict.verdict,
        verdict_reason_nl=verdict.reason_nl,
        verdict_reason_en=verdict.reason_en,
        expect=spec.expect,
        alpha=spec.alpha,
        warnings=fitted.warnings,
        details=fitted.details,
    )


def analyze(frame: pd.DataFrame, spec: AnalysisSpec) -> AnalysisResult:
    """Analyse one hypothesis on ``frame`` (tidy shape; see DESIGN.md)."""
    return judge(fit(frame, spec), spec)


def analyze_many(
    items: list[tuple[pd.DataFrame, AnalysisSpec, bool]],
) -> list[AnalysisResult]:
    """Analyse a pilot's hypotheses: (frame, spec, is_primary) each.

    With two or more primary hypotheses, their p-values are Holm-adjusted together and the
    adjusted p decides significance; raw and adjusted p are both reported.
    """
    fitted = [fit(frame, spec) for frame, spec, _ in items]
    primary = [
        i
        for i, (_, _, is_primary) in enumerate(items)
        if is_primary and isinstance(fitted[i], Fitted)
    ]
    adjusted: dict[int, float | None] = {}
    if len(primary) >= 2:
        raw = [fitted[i].effect.p_value for i in primary]  # type: ignore[union-attr]
        adjusted = dict(zip(primary, holm(raw), strict=True))
    return [
        judge(f, spec, p_adjusted=adjusted.get(i), n_tests=len(primary) if i in adjusted else 1)
        for i, (f, (_, spec, _)) in enumerate(zip(fitted, items, strict=True))
    ]


__all__ = ["AnalysisSpec", "Fitted", "NotFitted", "analyze", "analyze_many", "fit", "judge"]
