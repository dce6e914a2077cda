"""Pooled evidence across pilots: a random-effects meta-analysis of their estimates (pure).

Hypotheses that share a codebook measure and an intervention type, in several pilots, each give
an estimate and its standard error on a common scale (the analysis' own: a difference for
continuous measures and proportions, a log rate ratio for counts). ``pool_effects`` combines
them with the DerSimonian–Laird random-effects model:

- the pooled effect, its standard error and interval;
- the heterogeneity: Cochran's Q with its p-value, τ² (the between-pilot variance) and I² (the
  share of the variation that is between pilots rather than chance);
- the prediction interval for the next pilot (Higgins, Thompson & Spiegelhalter 2009):
  pooled ± t(k−2) · √(τ² + SE²), which statsmodels does not give. It is wider than the interval
  of the pooled effect whenever pilots differ, and it is what a gemeente planning the next pilot
  should read.

The estimator is written out here (a dozen lines of numpy) rather than taken from
statsmodels' ``combine_effects(method_re="dl")``: in statsmodels 0.15 that returns a *negative*
τ² when the pilots agree more than chance predicts (Q < k − 1), and a NaN standard error with
it. DerSimonian and Laird truncate τ² at 0, as metafor and every textbook do. The tests check
that both agree whenever statsmodels' τ² is not negative, and reproduce metafor's published
figures for the BCG trials.

Expected problems are returned as a status code, not raised (as in GrowthBook's gbstats): fewer
than ``min_studies`` usable estimates gives ``too_few`` with how many more are needed; an
estimate without a positive, finite standard error is left out and named in ``dropped``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["MIN_STUDIES", "SCALES", "PooledResult", "Study", "pool_effects", "study_from_result"]

MIN_STUDIES = 3  # fewer pilots say too little about the spread between pilots


@dataclass(frozen=True)
class Study:
    """One pilot's estimate of the shared effect, with its standard error."""

    label: str
    estimate: float
    se: float


@dataclass(frozen=True)
class PooledResult:
    """The random-effects summary; numbers are None unless ``status`` is "pooled"."""

    status: str  # "pooled" | "too_few"
    k: int
    needed: int  # how many more usable pilots the pooled view needs (0 when pooled)
    method: str = "DerSimonian-Laird"
    alpha: float = 0.05
    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    tau2: float | None = None
    i2: float | None = None
    q: float | None = None
    q_pvalue: float | None = None
    studies: tuple[Study, ...] = ()
    weights: tuple[float, ...] = ()  # relative random-effects weights, summing to 1
    dropped: tuple[str, ...] = field(default=())  # labels left out: no usable standard error

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "k": self.k,
            "needed": self.needed,
            "method": self.method,
            "alpha": self.alpha,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "pi_low": self.pi_low,
            "pi_high": self.pi_high,
            "tau2": self.tau2,
            "i2": self.i2,
            "q": self.q,
            "q_pvalue": self.q_pvalue,
            "studies": [
                {"label": s.label, "estimate": s.estimate, "se": s.se, "weight": w}
                for s, w in zip(
                    self.studies, self.weights or [None] * len(self.studies), strict=True
                )
            ],
            "dropped": list(self.dropped),
        }


def _usable(study: Study) -> bool:
    return math.isfinite(study.estimate) and math.isfinite(study.se) and study.se > 0


def pool_effects(
    studies: Sequence[Study], *, alpha: float = 0.05, min_studies: int = MIN_STUDIES
) -> PooledResult:
    """Pool the studies' estimates (see the module docstring); never raises for data."""
    usable = tuple(s for s in studies if _usable(s))
    dropped = tuple(s.label for s in studies if not _usable(s))
    k = len(usable)
    if k < min_studies:
        return PooledResult(
            status="too_few",
            k=k,
            needed=min_studies - k,
            alpha=alpha,
            studies=usable,
            dropped=dropped,
        )
    y = np.array([s.estimate for s in usable], dtype="float64")
    v = np.array([s.se for s in usable], dtype="float64") ** 2
    w = 1 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    df = k - 1
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - df) / c)  # DerSimonian–Laird, truncated at 0
    w_re = 1 / (v + tau2)
    estimate = float(np.sum(w_re * y) / np.sum(w_re))
    se = float(math.sqrt(1 / np.sum(w_re)))
    z = stats.norm.ppf(1 - alpha / 2)
    low, high = estimate - z * se, estimate + z * se
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    # Prediction interval for a new pilot: t with k − 2 degrees of freedom (Higgins et al. 2009).
    spread = stats.t.ppf(1 - alpha / 2, k - 2) * math.sqrt(tau2 + se**2)
    return PooledResult(
        status="pooled",
        k=k,
        needed=0,
        alpha=alpha,
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        pi_low=estimate - spread,
        pi_high=estimate + spread,
        tau2=tau2,
        i2=i2,
        q=q,
        q_pvalue=float(stats.chi2.sf(q, df)),
        studies=usable,
        weights=tuple(float(x) for x in w_re / np.sum(w_re)),
        dropped=dropped,
    )


# The scale a measure's effects are pooled on, by measure kind (see ``study_from_result``).
SCALES = {"continuous": "difference", "proportion": "difference", "count": "log_ratio"}


def study_from_result(label: str, result: Mapping[str, Any], scale: str | None = None) -> Study:
    """One pilot's result (``AnalysisResult.to_dict`` or a report's result record) as a study
    on the common scale of its measure kind.

    - Differences (continuous measures and proportions; the same codebook measure, so the same
      unit): the estimate and its standard error, or half the interval's width over z when the
      method gives no standard error (score intervals).
    - Relative effects (counts: the rate ratio minus 1): the log rate ratio, with the standard
      error from the interval on the log scale, (log(1 + high) − log(1 + low)) / 2z. For Wald
      intervals this is the model's own standard error; for exact intervals an approximation.

    A result without an estimate or interval gives a study with a NaN standard error, which
    ``pool_effects`` leaves out and names in ``dropped``; so does a result on another scale than
    ``scale`` (when given): a count analysed as an SPC chart gives a rate difference, which must
    not be pooled with log rate ratios.
    """
    nan = float("nan")
    estimate, low, high = (result.get(k) for k in ("estimate", "ci_low", "ci_high"))
    alpha = float(result.get("alpha") or 0.05)
    z = float(stats.norm.ppf(1 - alpha / 2))
    relative = bool(result.get("estimate_is_relative"))
    if estimate is None or (scale is not None and relative != (scale == "log_ratio")):
        return Study(label, nan, nan)
    if relative:
        if low is None or high is None or min(estimate, low, high) <= -1:
            return Study(label, nan, nan)
        return Study(label, math.log1p(estimate), (math.log1p(high) - math.log1p(low)) / (2 * z))
    se = result.get("se")
    if se is None:
        if low is None or high is None:
            return Study(label, float(estimate), nan)
        se = (high - low) / (2 * z)
    return Study(label, float(estimate), float(se))
