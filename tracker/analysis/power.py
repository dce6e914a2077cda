"""Before the data are in: what a design needs, and the smallest effect it could detect.

Two questions an officer asks while planning a pilot:

- :func:`design_needs` — how many periods before and after the start, and is a comparison group
  needed, for each design (the same rules the analysis applies later);
- :func:`minimum_detectable_effect` — given the baseline values measured so far, how large must
  a change be for the chosen design to find it with the given power (the *minimal detectable
  effect*, MDE)?

The MDE is the shift ``δ`` of the effect estimate at which a two-sided test at level ``alpha``
rejects with probability ``power``. With ``se`` the standard error of the design's effect
estimate for a unit shift and ``df`` the degrees of freedom of its reference distribution:

- normal reference (``df`` infinite): ``δ = (z_{1−α/2} + z_{power})·se``, the textbook formula
  (the chance of a significant result in the wrong direction is ignored: it is negligible);
- Student-t reference: ``δ`` solves ``P(|T| > t_{1−α/2, df}) = power`` with ``T`` noncentral t
  (``df``, noncentrality ``δ/se``): the exact power of a two-sided t test, as
  ``statsmodels.stats.power.TTestIndPower`` computes it.

Per design (``sd`` estimated from the baseline values):

- **prepost** — two-sample t test, ``se = sd·sqrt(1/n_before + 1/n_after)``, ``df = n_before +
  n_after − 2``. The analysis uses Welch's test, which has the same power when both periods vary
  alike;
- **its** — segmented regression ``y ~ time + post + time_after`` over the planned
  ``n_before + n_after`` periods with AR(1) errors, ``rho`` = lag-1 autocorrelation of the
  baseline (clipped to [0, 0.9]); the variance of the *average effect* (the estimate the verdict
  judges; under a pure level change it equals the level change) is ``sd²·c'(X'R⁻¹X)⁻¹c`` with
  ``R_ij = rho^|i−j|`` (the GLS covariance), t reference with ``n − 5`` degrees of freedom as
  in :func:`tracker.analysis.its.its_fit`. ``sd`` and ``rho`` come from the baseline's
  deviations from its own straight-line trend: the model estimates the trend, only the
  variation around it is noise. No seasonal terms (there is no calendar here);
- **spc** — the XmR chart's effect interval: ``sigma = mean moving range / 1.128`` (after the
  chart's screening of outlying moving ranges), ``se = sigma·sqrt(1/n_before + 1/n_after)``,
  normal reference;
- **did** — the prepost MDE times ``sqrt(2)``: assumes a comparison group with as many periods,
  the same spread and independent noise, so that the difference of the two before/after
  differences has twice the variance of one.

For proportions and counts pass the per-period rates (numerator/denominator, count/exposure):
the MDE is then on the scale of those rates, from their period-to-period variation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, stats

from tracker.analysis.did import MIN_ROWS_PER_CELL
from tracker.analysis.numbers import format_number, format_percent
from tracker.analysis.prepare import DESIGNS, KINDS, MIN_ITS_PERIODS_EACH_SIDE
from tracker.analysis.spc import D2, MIN_BASELINE_POINTS, RECOMMENDED_BASELINE_POINTS
from tracker.analysis.spc import _screened_mean_moving_range as screened_mean_moving_range

__all__ = [
    "MIN_BASELINE_VALUES",
    "DesignNeeds",
    "DetectableEffect",
    "design_needs",
    "minimum_detectable_effect",
]

MIN_BASELINE_VALUES = 3
"""Fewer baseline values than this give no MDE: a spread from two values is too unreliable."""

MAX_RHO = 0.9
"""Upper clip of the baseline's lag-1 autocorrelation (a short series overstates it easily)."""

# Coefficients of the segmented regression: const, time, post, time_after.
_ITS_TERMS = 4
# Prepost for continuous values estimates a spread in each period (Welch): 2 values per side.
_MIN_CONTINUOUS_PER_SIDE = 2


# --------------------------------------------------------------------------- design needs
@dataclass(frozen=True)
class DesignNeeds:
    """The data a design needs before it can be analysed.

    Attributes
    ----------
    design : str
        ``auto``, ``prepost``, ``its``, ``did`` or ``spc``.
    min_periods_before, min_periods_after : int
        Fewest periods (of the pilot group) before and on/after the intervention start.
    needs_comparison : bool
        Whether comparison-group measurements (before and after) are required.
    text_nl, text_en : str
        The rule in plain language.
    """

    design: str
    min_periods_before: int
    min_periods_after: int
    needs_comparison: bool
    text_nl: str
    text_en: str

    def summary(self, lang: str = "nl") -> str:
        """The rule in ``lang`` ("nl" or "en")."""
        return self.text_en if lang == "en" else self.text_nl


def design_needs(design: str) -> DesignNeeds:
    """What ``design`` needs: periods on each side and whether a comparison group is required.

    Parameters
    ----------
    design : {"auto", "prepost", "its", "did", "spc"}
        The registered design.

    Returns
    -------
    DesignNeeds

    Raises
    ------
    ValueError
        For an unknown design (a programming error).
    """
    its = MIN_ITS_PERIODS_EACH_SIDE
    if design == "prepost":
        return DesignNeeds(
            design,
            1,
            1,
            False,
            "Een voor-en-navergelijking heeft minstens één periode vóór en één na de start "
            f"nodig; voor een doorlopende waarde minstens {_MIN_CONTINUOUS_PER_SIDE} metingen "
            "aan elke kant (bijvoorbeeld twee perioden), omdat de spreiding geschat wordt.",
            "A before/after comparison needs at least one period before and one after the "
            f"start; for a continuous value at least {_MIN_CONTINUOUS_PER_SIDE} measurements "
            "on each side (two periods, say), because the spread is estimated.",
        )
    if design == "its":
        return DesignNeeds(
            design,
            its,
            its,
            False,
            f"Een onderbroken tijdreeks heeft minstens {its} perioden vóór en {its} na de "
            "start nodig: het model schat de trend vooraf, de sprong bij de start en de "
            "verandering van de trend.",
            f"An interrupted time series needs at least {its} periods before and {its} after "
            "the start: the model estimates the trend before, the jump at the start and the "
            "change of the trend.",
        )
    if design == "did":
        return DesignNeeds(
            design,
            1,
            1,
            True,
            "Verschil-in-verschillen heeft metingen van de pilotgroep én van een "
            "vergelijkingsgroep nodig, vóór én na de start; elke combinatie van groep en "
            f"voor/na minstens {MIN_ROWS_PER_CELL} metingen (perioden of gebieden).",
            "Difference-in-differences needs measurements of the pilot group and of a "
            "comparison group, before and after the start; each combination of group and "
            f"before/after at least {MIN_ROWS_PER_CELL} measurements (periods or areas).",
        )
    if design == "spc":
        return DesignNeeds(
            design,
            MIN_BASELINE_POINTS,
            1,
            False,
            f"Een SPC-kaart heeft minstens {MIN_BASELINE_POINTS} perioden vóór de start nodig "
            f"(liever {RECOMMENDED_BASELINE_POINTS}) om de grenzen op te baseren, en daarna "
            "minstens één periode.",
            f"An SPC chart needs at least {MIN_BASELINE_POINTS} periods before the start "
            f"(preferably {RECOMMENDED_BASELINE_POINTS}) to base its limits on, and at least "
            "one period after.",
        )
    if design == "auto":
        return DesignNeeds(
            design,
            1,
            1,
            False,
            "Bij 'automatisch' kiest de app de sterkste opzet die de gegevens toelaten: "
            "verschil-in-verschillen als er vóór én na de start metingen van een "
            f"vergelijkingsgroep zijn; anders een onderbroken tijdreeks bij minstens {its} "
            "perioden aan elke kant; anders een voor-en-navergelijking (minstens één periode "
            "aan elke kant).",
            "With 'automatic' the app chooses the strongest design the data allow: "
            "difference-in-differences when comparison-group measurements exist before and "
            f"after the start; otherwise an interrupted time series with at least {its} "
            "periods on each side; otherwise a before/after comparison (at least one period "
            "on each side).",
        )
    raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")


# --------------------------------------------------------------------------- detectable effect
@dataclass(frozen=True)
class DetectableEffect:
    """The smallest effect a design could detect, from the baseline measured so far.

    Attributes
    ----------
    design : str
        The design the numbers are for (``auto`` resolved to ``its`` or ``prepost``).
    mde : float or None
        Minimal detectable effect, in the measure's units (rates for proportions and counts);
        None when it cannot be computed (``text_nl``/``text_en`` say why).
    relative_mde : float or None
        ``mde / |baseline mean|`` (None when the mean is 0 or there is no mde).
    alpha, power : float
        Two-sided significance level and the wanted chance of detecting the effect.
    n_before, n_after : int
        Baseline values given (periods) and planned periods after the start.
    baseline_sd : float or None
        The noise level used: standard deviation (prepost, did), sd around the baseline's
        trend (its), or mean moving range / 1.128 (spc).
    rho : float or None
        Lag-1 autocorrelation used (its only), clipped to [0, 0.9].
    text_nl, text_en : str
        One plain sentence: the result, or why there is none.
    """

    design: str
    mde: float | None
    relative_mde: float | None
    alpha: float
    power: float
    n_before: int
    n_after: int
    baseline_sd: float | None
    rho: float | None
    text_nl: str
    text_en: str

    def summary(self, lang: str = "nl") -> str:
        """The plain sentence in ``lang`` ("nl" or "en")."""
        return self.text_en if lang == "en" else self.text_nl

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dictionary."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def minimum_detectable_effect(
    baseline: Sequence[float],
    *,
    design: str,
    n_after: int,
    alpha: float = 0.05,
    power: float = 0.8,
    kind: str = "continuous",
) -> DetectableEffect:
    """The minimal detectable effect of ``design`` given the baseline values known so far.

    Parameters
    ----------
    baseline : sequence of float
        One value per baseline period, in period order (for proportions and counts: the
        per-period rate, numerator/denominator or count/exposure). Missing values (NaN) are
        left out.
    design : {"auto", "prepost", "its", "did", "spc"}
        ``auto`` is taken as ``its`` when there are at least ``MIN_ITS_PERIODS_EACH_SIDE``
        periods on each side, else ``prepost`` (a comparison group cannot be seen here; ask for
        ``did`` explicitly).
    n_after : int
        Periods planned on or after the start.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Wanted probability of detecting an effect of the returned size.
    kind : {"continuous", "proportion", "count"}
        Only changes the wording: proportions and counts are computed on per-period rates.

    Returns
    -------
    DetectableEffect
        ``mde`` None with the reason in the texts when there are fewer than 3 baseline values,
        too few periods for the design, or no variation in the baseline.

    Raises
    ------
    ValueError
        Programming errors: unknown design or kind, alpha or power outside (0, 1), power not
        above alpha/2, a negative ``n_after``, infinite baseline values.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    if power <= alpha / 2:
        raise ValueError("power must exceed alpha/2: any test reaches that without an effect")
    if n_after < 0:
        raise ValueError("n_after must be 0 or more")
    raw = np.asarray(baseline, dtype=float).ravel()
    if np.isinf(raw).any():
        raise ValueError("baseline values must be finite")
    values = raw[~np.isnan(raw)]
    n_before, n_after = int(values.size), int(n_after)
    if design == "auto":
        its_possible = min(n_before, n_after) >= MIN_ITS_PERIODS_EACH_SIDE
        design = "its" if its_possible else "prepost"

    def none(nl: str, en: str, sd: float | None = None, rho: float | None = None):
        return DetectableEffect(
            design, None, None, alpha, power, n_before, n_after, sd, rho, nl, en
        )

    if n_before < MIN_BASELINE_VALUES:
        return none(
            f"Er zijn pas {n_before} metingen van de nulmeting; vanaf {MIN_BASELINE_VALUES} is "
            "te schatten hoe groot een verandering moet zijn om haar te kunnen aantonen.",
            f"There are only {n_before} baseline measurements; from {MIN_BASELINE_VALUES} on it "
            "can be estimated how large a change must be to be detectable.",
        )
    problem = _too_few_periods(design, kind, n_before, n_after)
    if problem:
        return none(*problem)

    rho: float | None = None
    if design == "its":
        sd, rho = _trend_noise(values)
    elif design == "spc":
        sd = screened_mean_moving_range(values)[0] / D2
    else:
        sd = float(values.std(ddof=1))
    if not (sd > 0 and math.isfinite(sd)):
        return none(
            "De waarden van de nulmeting variëren niet; zonder spreiding is niet te schatten "
            "welke verandering aan te tonen is.",
            "The baseline values do not vary; without any spread it cannot be estimated which "
            "change would be detectable.",
            sd,
            rho,
        )

    if design == "its":
        assert rho is not None
        se = sd * math.sqrt(_its_average_effect_variance(n_before, n_after, rho))
        mde = _detectable_shift(se, n_before + n_after - _ITS_TERMS - 1, alpha, power)
    elif design == "spc":
        se = sd * math.sqrt(1 / n_before + 1 / n_after)
        mde = _detectable_shift(se, math.inf, alpha, power)
    else:
        se = sd * math.sqrt(1 / n_before + 1 / n_after)
        mde = _detectable_shift(se, n_before + n_after - 2, alpha, power)
        if design == "did":
            mde *= math.sqrt(2)
    mean = float(values.mean())
    relative = mde / abs(mean) if mean != 0 else None
    text_nl, text_en = _sentences(mde, relative, n_before, n_after, alpha, power, kind)
    return DetectableEffect(
        design, mde, relative, alpha, power, n_before, n_after, sd, rho, text_nl, text_en
    )


def _too_few_periods(design: str, kind: str, n_before: int, n_after: int) -> tuple[str, str] | None:
    """(nl, en) why the design cannot be analysed with these periods, or None."""
    its = MIN_ITS_PERIODS_EACH_SIDE
    if design == "its" and min(n_before, n_after) < its:
        return (
            f"Een onderbroken tijdreeks vraagt minstens {its} perioden aan elke kant; er zijn "
            f"er {n_before} vóór en {n_after} na de start.",
            f"An interrupted time series needs at least {its} periods on each side; there are "
            f"{n_before} before and {n_after} after the start.",
        )
    if design == "spc" and n_before < MIN_BASELINE_POINTS:
        return (
            f"Een SPC-kaart vraagt minstens {MIN_BASELINE_POINTS} perioden vóór de start "
            f"(liever {RECOMMENDED_BASELINE_POINTS}); er zijn er {n_before}.",
            f"An SPC chart needs at least {MIN_BASELINE_POINTS} periods before the start "
            f"(preferably {RECOMMENDED_BASELINE_POINTS}); there are {n_before}.",
        )
    # Per-period rates of proportions and counts are compared as pooled totals: one period
    # after the start suffices; a continuous value needs a spread on each side.
    needed = _MIN_CONTINUOUS_PER_SIDE if design == "prepost" and kind == "continuous" else 1
    if n_after < needed:
        return (
            f"Er zijn minstens {needed} perioden na de start nodig; gepland zijn er {n_after}.",
            f"At least {needed} periods after the start are needed; {n_after} are planned.",
        )
    return None


def _trend_noise(values: np.ndarray) -> tuple[float, float]:
    """(sd, rho) of the deviations from the baseline's straight-line trend.

    ``sd`` divides by n − 2 (two trend coefficients); ``rho`` is the lag-1 autocorrelation of
    the deviations, clipped to [0, MAX_RHO]: a negative estimate from a short series is
    noise, and a value near 1 would make the MDE explode on little evidence.
    """
    t = np.arange(values.size, dtype=float)
    slope, intercept = np.polyfit(t, values, 1)
    resid = values - (intercept + slope * t)
    ss = float(resid @ resid)
    sd = math.sqrt(ss / (values.size - 2)) if values.size > 2 else 0.0
    r1 = float(resid[1:] @ resid[:-1]) / ss if ss > 0 else 0.0
    return sd, min(max(r1, 0.0), MAX_RHO)


def _its_average_effect_variance(n_before: int, n_after: int, rho: float) -> float:
    """c'(X'R⁻¹X)⁻¹c for the average effect, per unit of error variance (GLS, AR(1))."""
    n = n_before + n_after
    time = np.arange(1, n + 1, dtype=float)
    post = (time > n_before).astype(float)
    x = np.column_stack([np.ones(n), time, post, np.cumsum(post) * post])
    corr = linalg.toeplitz(rho ** np.arange(n))
    information = x.T @ linalg.solve(corr, x, assume_a="pos")
    # The average over the follow-up of fitted − counterfactual: post + mean(time_after).
    c = np.array([0.0, 0.0, 1.0, (n_after + 1) / 2])
    return float(c @ linalg.solve(information, c, assume_a="pos"))


def _detectable_shift(se: float, df: float, alpha: float, power: float) -> float:
    """The shift δ that a two-sided level-alpha test detects with probability ``power``."""
    if math.isinf(df):
        return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se)
    crit = float(stats.t.ppf(1 - alpha / 2, df))

    def shortfall(nc: float) -> float:
        reject = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
        return float(reject) - power

    # The normal-theory shift is a lower bound for the t test; widen until power is reached.
    low = 0.0
    high = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) + 1.0
    while shortfall(high) < 0:
        low, high = high, 2 * high
    nc = optimize.brentq(shortfall, low, high, xtol=1e-12, rtol=1e-12)
    return float(nc * se)


_RATES = {
    "proportion": (", gerekend met de aandelen per periode", ", computed on per-period shares"),
    "count": (", gerekend met de rates per periode", ", computed on per-period rates"),
    "continuous": ("", ""),
}


def _sentences(
    mde: float,
    relative: float | None,
    n_before: int,
    n_after: int,
    alpha: float,
    power: float,
    kind: str,
) -> tuple[str, str]:
    out = []
    for lang, rates in zip(("nl", "en"), _RATES[kind], strict=True):
        size = format_number(mde, lang)
        if relative is not None:
            size += f" ({format_percent(relative, lang, signed=False)})"
        chance = format_percent(power, lang, signed=False)
        level = format_percent(alpha, lang, signed=False)
        if lang == "nl":
            out.append(
                f"Met {n_before} perioden voor en {n_after} na kan deze opzet een verandering "
                f"van ongeveer {size} aantonen ({chance} kans, α = {level}){rates}."
            )
        else:
            out.append(
                f"With {n_before} periods before and {n_after} after, this design can detect "
                f"a change of about {size} ({chance} chance, α = {level}){rates}."
            )
    return out[0], out[1]
