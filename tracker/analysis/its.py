"""Interrupted time series: segmented regression with a level change and a slope change.

One aggregated observation per period goes in (the caller aggregates). The model is

    y ~ time + post + time_after (+ seasonal terms)

with ``time`` = 1…T in period order, ``post`` = 1 from the first period on or after the
intervention date and ``time_after`` = 1 at that first period, 2 at the next, … (0 before).
``time_after`` equals ``(time − T0)·post`` with T0 the last baseline period, the coding of
Bernal, Cummins & Gasparrini (2017), so the level change is the jump at the first post period.

- continuous values: OLS with Newey–West (HAC, Bartlett kernel) standard errors, Student-t
  reference distribution and the small-sample correction n/(n−k) (see ``its_fit``);
- counts with exposure: Poisson GLM, log link, offset log(exposure), quasi-Poisson dispersion
  (Pearson χ²/df); effects are also reported as rate ratios.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import linalg, optimize, stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from tracker.analysis.estimates import Estimate, InsufficientData

Kind = Literal["continuous", "count"]
Seasonality = Literal["auto", "none", "fourier", "months"]
Errors = Literal["hac", "ar1"]

SEGMENT_TERMS = ("time", "post", "time_after")
MIN_PER_SIDE = 3
MIN_TOTAL = 8
MIN_MONTHS_FOR_AUTO_FOURIER = 24
# A fit whose residual sum of squares is below this fraction of the total sum of squares is
# treated as exact: its standard errors are zero up to rounding noise, which must not be read
# as evidence.
EXACT_FIT_RSS_FRACTION = 1e-20


@dataclass(frozen=True)
class CounterfactualPoint:
    """One follow-up period: observed, fitted and counterfactual value.

    For counts all three are counts (expected counts for fitted and counterfactual), not rates.
    The counterfactual is the fitted value with ``post`` and ``time_after`` set to 0 and the
    same seasonal terms.
    """

    period: date
    observed: float
    fitted: float
    counterfactual: float


@dataclass(frozen=True)
class ITSResult:
    """The fitted segmented regression; numbers on the model scale unless said otherwise.

    ``level_change`` and ``slope_change`` are coefficients (log scale for counts);
    for counts ``rate_ratio_level`` / ``rate_ratio_slope`` are their exponentials (``se`` is None
    there: the interval is the exponentiated log-scale interval). ``average_effect`` is the mean
    of fitted − counterfactual over the follow-up periods (continuous), or
    Σfitted / Σcounterfactual − 1 (counts, relative).
    """

    kind: str
    method: str
    se_type: str
    alpha: float
    level_change: Estimate
    slope_change: Estimate
    average_effect: Estimate
    baseline_trend: Estimate
    baseline: float
    n_before: int
    n_after: int
    maxlags: int | None
    seasonality_used: str
    durbin_watson: float
    lag1_autocorrelation: float
    ljung_box_p: float | None
    autocorrelation_seen: bool
    counterfactual: tuple[CounterfactualPoint, ...]
    rate_ratio_level: Estimate | None = None
    rate_ratio_slope: Estimate | None = None
    dispersion: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (dates as ISO text, NaN and infinities as None)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, Estimate):
                out[name] = value.to_dict()
            elif name == "counterfactual":
                out[name] = [{k: _json(v) for k, v in asdict(point).items()} for point in value]
            elif name == "notes":
                out[name] = list(value)
            else:
                out[name] = _json(value)
        return out

    def summary(self) -> str:
        """Plain-language one-paragraph summary (English)."""
        pct = round(100 * (1 - self.alpha))
        if self.kind == "count":
            rr = self.rate_ratio_level
            assert rr is not None
            level = (
                f"the rate changed by a factor {rr.estimate:.3f} at the intervention "
                f"({pct}% CI {rr.ci_low:.3f} to {rr.ci_high:.3f})"
            )
            avg = (
                f"over the {self.n_after} follow-up periods the rate was "
                f"{100 * self.average_effect.estimate:+.1f}% against the counterfactual"
            )
        else:
            lc = self.level_change
            level = (
                f"the level changed by {lc.estimate:+.3g} at the intervention "
                f"({pct}% CI {lc.ci_low:.3g} to {lc.ci_high:.3g})"
            )
            avg = (
                f"over the {self.n_after} follow-up periods the average difference from the "
                f"counterfactual was {self.average_effect.estimate:+.3g}"
            )
        return (
            f"Interrupted time series ({self.method}, {self.se_type}; "
            f"{self.n_before} periods before, {self.n_after} after): {level}; {avg}."
        )


def default_maxlags(n: int) -> int:
    """Newey–West rule of thumb for the HAC lag length: floor(4·(T/100)^(2/9)).

    Parameters
    ----------
    n : int
        Number of periods T.

    Returns
    -------
    int
        The maximum lag L.
    """
    return math.floor(4 * (n / 100) ** (2 / 9))


def its_design(
    periods: Sequence[Any] | pd.Series,
    *,
    intervention: date,
    seasonality: Seasonality = "auto",
) -> tuple[pd.DataFrame, str]:
    """Design matrix of the segmented regression for periods in their given order.

    Parameters
    ----------
    periods : sequence of date-like
        One period per observation, already sorted and without duplicates.
    intervention : datetime.date
        The first period on or after this date is the first post period.
    seasonality : {"auto", "none", "fourier", "months"}
        Seasonal terms from the calendar month of each period: ``"fourier"`` adds sin/cos
        (2πk·month/12) for k = 1, 2; ``"months"`` adds dummies for the observed months (the first
        observed month is the reference); ``"auto"`` means fourier with at least 24 monthly
        periods, otherwise none.

    Returns
    -------
    design : pandas.DataFrame
        Columns ``const``, ``time``, ``post``, ``time_after`` and the seasonal terms.
    seasonality_used : str
        ``"none"``, ``"fourier"`` or ``"months"``.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(periods)).to_numpy())
    n = len(stamps)
    time = np.arange(1, n + 1, dtype=float)
    post = (stamps >= pd.Timestamp(intervention)).astype(float)
    time_after = np.cumsum(post) * post
    design = pd.DataFrame({"const": 1.0, "time": time, "post": post, "time_after": time_after})
    used = _seasonality_choice(stamps, seasonality)
    month = np.asarray(stamps.month, dtype=float)
    if used == "fourier":
        for k in (1, 2):
            design[f"sin{k}"] = np.sin(2 * np.pi * k * month / 12)
            design[f"cos{k}"] = np.cos(2 * np.pi * k * month / 12)
    elif used == "months":
        observed = sorted(set(stamps.month))
        for m in observed[1:]:
            design[f"month_{m:02d}"] = (stamps.month == m).astype(float)
    return design, used


def fit_segmented(
    design: pd.DataFrame,
    y: Sequence[float] | np.ndarray,
    *,
    kind: Kind,
    exposure: Sequence[float] | np.ndarray | None = None,
    maxlags: int | None = None,
    errors: Errors = "hac",
) -> Any:
    """Fit the segmented regression on explicit regressors (no sorting or checks).

    Parameters
    ----------
    design : pandas.DataFrame
        Regressors including the constant, e.g. from :func:`its_design` or any other coding.
    y : array_like
        Values (continuous) or counts.
    kind : {"continuous", "count"}
        OLS with HAC standard errors, or quasi-Poisson GLM with log link.
    exposure : array_like, optional
        Counts only: the offset is log(exposure).
    maxlags : int, optional
        Continuous only: HAC lag length; default :func:`default_maxlags`.
    errors : {"hac", "ar1"}
        Continuous only: OLS with Newey–West errors, or feasible GLS with AR(1) errors.

    Returns
    -------
    statsmodels results
        ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True},
        use_t=True)``, ``GLS(..., sigma=toeplitz(rho**|i-j|)).fit()`` with REML rho or
        ``GLM(..., Poisson(), offset=log(exposure)).fit(scale="X2")`` (plain Poisson,
        scale 1, when the Pearson dispersion is 0: an exact fit).
    """
    endog = np.asarray(y, dtype=float)
    if kind == "continuous" and errors == "ar1":
        rho = ar1_reml_rho(design.to_numpy(dtype=float), endog)
        sigma = linalg.toeplitz(rho ** np.arange(len(endog)))
        res = sm.GLS(endog, design, sigma=sigma).fit()
        res.ar1_rho = rho  # reported in se_type
        res.df_t = res.df_resid - 1  # one degree of freedom spent on rho
        return res
    if kind == "continuous":
        lags = default_maxlags(len(endog)) if maxlags is None else maxlags
        return sm.OLS(endog, design).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
        )
    if kind == "count":
        offset = None if exposure is None else np.log(np.asarray(exposure, dtype=float))
        model = sm.GLM(endog, design, family=sm.families.Poisson(), offset=offset)
        with warnings.catch_warnings():
            # Expected when the model fits the counts exactly; handled just below.
            warnings.simplefilter("ignore", PerfectSeparationWarning)
            poisson = model.fit()
        if _pearson_dispersion(poisson) <= EXACT_FIT_RSS_FRACTION:
            # A Pearson dispersion of 0 (exact fit) cannot scale anything; keep Poisson's 1.
            return poisson
        return model.fit(scale="X2")
    raise ValueError(f"kind must be 'continuous' or 'count', not {kind!r}")


def its_fit(
    periods: Sequence[Any] | pd.Series,
    *,
    intervention: date,
    kind: Kind,
    values: Sequence[float] | None = None,
    counts: Sequence[float] | None = None,
    exposures: Sequence[float] | None = None,
    alpha: float = 0.05,
    maxlags: int | None = None,
    seasonality: Seasonality = "auto",
    errors: Errors = "hac",
) -> ITSResult:
    """Interrupted time series analysis by segmented regression.

    Parameters
    ----------
    periods : sequence of date-like
        One period per observation (any order; sorted here). Duplicates are refused: the
        caller aggregates first.
    intervention : datetime.date
        Start of the intervention; the first period on or after it is the first post period.
    kind : {"continuous", "count"}
        ``"continuous"`` needs ``values``; ``"count"`` needs ``counts`` and, normally,
        ``exposures`` (without them the model is for counts per period).
    values, counts, exposures : sequence of float, optional
        Aligned with ``periods``.
    alpha : float
        1 − confidence level of the intervals.
    maxlags : int, optional
        HAC lag length for continuous data; default floor(4·(T/100)^(2/9)).
    seasonality : {"auto", "none", "fourier", "months"}
        See :func:`its_design`.
    errors : {"hac", "ar1"}
        Continuous data only. ``"hac"`` (default, as in the design): OLS with Newey–West
        standard errors. ``"ar1"``: GLS with AR(1) errors, rho estimated by restricted maximum
        likelihood (:func:`ar1_reml_rho`), t intervals with T − k − 1 degrees of freedom;
        well calibrated in short autocorrelated series (see Notes).

    Returns
    -------
    ITSResult

    Raises
    ------
    InsufficientData
        ``duplicate_periods``, ``negative_count``, ``non_positive_exposure``,
        ``no_pre_periods``, ``no_post_periods``, ``too_few_points`` (fewer than 3 periods on
        either side, fewer than 8 in all, or not more periods than model terms),
        ``constant_series`` (all values equal, or all counts zero: nothing to model).
    ValueError
        Programming errors: wrong ``kind``, missing or misaligned inputs, missing values.

    Notes
    -----
    Continuous data: OLS coefficients with Newey–West standard errors at lag L, with the
    small-sample factor n/(n−k) and t(n−k) intervals (``use_correction=True, use_t=True``).
    In our simulation (T = 24 + 24, AR(1) noise ρ = 0.5, no effect) HAC at the default L = 3
    is too liberal: the 95% interval of the level change excludes 0 in about 20% of series
    (22% with normal intervals and no correction, 19–20% with both small-sample fixes; a larger
    L is worse); at T = 60 + 60 about 12–17%. ``errors="ar1"`` (REML rho, GLS, t(T − k − 1))
    gives about 6% for both the level change and the average effect at T = 48 and T = 120,
    with power close to a test that knows the true rho. See tests/analysis/test_its.py.

    A non-constant series that the model fits exactly (zero residual variance) is still fitted:
    the estimates are exact, the standard errors are reported as 0, the intervals collapse to
    the estimate, p-values are None and a note says so.

    Counts: quasi-Poisson standard errors (Pearson χ²/df) do not correct for autocorrelation;
    ``autocorrelation_seen`` flags it. The average effect is
    R − 1 with R = Σ fitted / Σ counterfactual over the follow-up periods; its interval is
    exp(log R ± z·se) − 1 with se from the delta method on log R (gradient
    Σμᵢxᵢ/Σμᵢ − Σμ⁰ᵢx⁰ᵢ/Σμ⁰ᵢ), and ``se`` reported is R·se(log R).
    """
    if errors not in ("hac", "ar1"):
        raise ValueError(f"errors must be 'hac' or 'ar1', not {errors!r}")
    if kind not in ("continuous", "count"):
        raise ValueError(f"kind must be 'continuous' or 'count', not {kind!r}")
    if seasonality not in ("auto", "none", "fourier", "months"):
        raise ValueError(f"unknown seasonality {seasonality!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")

    frame = _input_frame(periods, kind=kind, values=values, counts=counts, exposures=exposures)
    _check(frame, intervention=intervention, kind=kind)

    frame = frame.sort_values("period", kind="stable").reset_index(drop=True)
    design, used = its_design(frame["period"], intervention=intervention, seasonality=seasonality)
    n = len(frame)
    if design.shape[1] >= n or np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise InsufficientData(
            "too_few_points",
            f"Te weinig perioden ({n}) voor het model met {design.shape[1]} termen"
            f" (seizoen: {used}).",
            f"Too few periods ({n}) for a model with {design.shape[1]} terms"
            f" (seasonality: {used}).",
        )

    notes: list[str] = []
    exposure = frame["exposure"].to_numpy() if "exposure" in frame else None
    y = frame["y"].to_numpy()
    if kind == "continuous" and errors == "ar1" and _ols_exact(design, y):
        # The AR(1) coefficient of all-zero residuals is 0/0; the estimates are exact anyway.
        errors = "hac"
        notes.append("Exact fit: AR(1) errors cannot be estimated; OLS estimates reported.")
    use_hac = kind == "continuous" and errors == "hac"
    lags = (default_maxlags(n) if maxlags is None else maxlags) if use_hac else None
    res = fit_segmented(design, y, kind=kind, exposure=exposure, maxlags=lags, errors=errors)

    post_rows = design["post"].to_numpy() == 1
    n_before, n_after = int((~post_rows).sum()), int(post_rows.sum())
    cf_design = design.copy()
    cf_design[["post", "time_after"]] = 0.0
    params = res.params.to_numpy()
    cov = np.asarray(res.cov_params())
    offset = np.log(exposure) if exposure is not None else np.zeros(n)

    exact = False
    if kind == "continuous":
        rss = float(np.sum(res.resid**2))
        tss = float(np.sum((y - y.mean()) ** 2))
        exact = rss <= EXACT_FIT_RSS_FRACTION * tss
        if exact:
            notes.append(
                "The model fits the series exactly (zero residual variance): estimates are "
                "exact, standard errors 0 and intervals collapse to the estimate."
            )
        fitted = design.to_numpy() @ params
        cf = cf_design.to_numpy() @ params
    else:
        fitted = np.exp(design.to_numpy() @ params + offset)
        cf = np.exp(cf_design.to_numpy() @ params + offset)
        notes.append(
            "Quasi-Poisson standard errors allow for overdispersion, not for autocorrelation."
        )
        if exposure is None:
            notes.append("No exposure given: the model is for counts per period.")

    crit = _critical(res, alpha)
    names = list(design.columns)

    def coef(name: str) -> Estimate:
        i = names.index(name)
        return _estimate(float(params[i]), math.sqrt(max(cov[i, i], 0.0)), res, crit, exact)

    level, slope, trend = coef("post"), coef("time_after"), coef("time")

    if kind == "continuous":
        a = (design.to_numpy() - cf_design.to_numpy())[post_rows].mean(axis=0)
        avg = _estimate(float(a @ params), math.sqrt(max(a @ cov @ a, 0.0)), res, crit, exact)
        baseline = float(y[~post_rows].mean())
        rr_level = rr_slope = None
        dispersion = None
        if use_hac:
            se_type = f"HAC(maxlags={lags})"
            method = "OLS segmented regression"
        else:
            se_type = f"AR(1) GLS (REML rho={res.ar1_rho:.3f})"
            method = "GLS segmented regression with AR(1) errors (rho by REML)"
        resid = np.asarray(res.resid)
    else:
        mu, mu0 = fitted[post_rows], cf[post_rows]
        x, x0 = design.to_numpy()[post_rows], cf_design.to_numpy()[post_rows]
        grad = (mu @ x) / mu.sum() - (mu0 @ x0) / mu0.sum()
        log_ratio = math.log(mu.sum() / mu0.sum())
        se_log = math.sqrt(max(grad @ cov @ grad, 0.0))
        log_est = _estimate(log_ratio, se_log, res, crit, exact=False)
        ratio = math.exp(log_ratio)
        avg = Estimate(
            estimate=ratio - 1,
            se=ratio * se_log,
            ci_low=math.exp(log_est.ci_low) - 1,
            ci_high=math.exp(log_est.ci_high) - 1,
            p_value=log_est.p_value,
        )
        rr_level, rr_slope = _exp(level), _exp(slope)
        rate = frame["y"] / frame.get("exposure", 1.0)
        baseline = float(rate[~post_rows].mean())
        dispersion = _pearson_dispersion(res)
        se_type = "quasi-poisson(pearson)"
        if dispersion <= EXACT_FIT_RSS_FRACTION:
            se_type = "poisson"
            notes.append(
                "The model fits the counts exactly (Pearson dispersion 0): Poisson standard "
                "errors (dispersion 1) reported."
            )
        method = "Poisson GLM (log link, offset log exposure), quasi-Poisson"
        resid = np.asarray(res.resid_pearson)

    dw, r1, lb_p = _autocorrelation(resid)
    seen = lb_p is not None and lb_p < 0.05
    if seen:
        notes.append(
            f"Residual autocorrelation seen (Ljung–Box p = {lb_p:.3g}, lag-1 r = {r1:.2f})."
        )
    if used != "none" and not _is_monthly(pd.DatetimeIndex(frame["period"])):
        notes.append("Seasonal terms use the calendar month, but the periods are not monthly.")

    points = tuple(
        CounterfactualPoint(
            period=frame["period"].iloc[i].date(),
            observed=float(y[i]),
            fitted=float(fitted[i]),
            counterfactual=float(cf[i]),
        )
        for i in np.flatnonzero(post_rows)
    )
    return ITSResult(
        kind=kind,
        method=method,
        se_type=se_type,
        alpha=alpha,
        level_change=level,
        slope_change=slope,
        average_effect=avg,
        baseline_trend=trend,
        baseline=baseline,
        n_before=n_before,
        n_after=n_after,
        maxlags=lags,
        seasonality_used=used,
        durbin_watson=dw,
        lag1_autocorrelation=r1,
        ljung_box_p=lb_p,
        autocorrelation_seen=seen,
        counterfactual=points,
        rate_ratio_level=rr_level,
        rate_ratio_slope=rr_slope,
        dispersion=dispersion,
        notes=tuple(notes),
    )


def _input_frame(
    periods: Sequence[Any] | pd.Series,
    *,
    kind: Kind,
    values: Sequence[float] | None,
    counts: Sequence[float] | None,
    exposures: Sequence[float] | None,
) -> pd.DataFrame:
    y = values if kind == "continuous" else counts
    if y is None:
        needed = "values" if kind == "continuous" else "counts"
        raise ValueError(f"kind={kind!r} needs {needed}")
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(pd.Series(list(periods))).dt.normalize(),
            "y": np.asarray(y, dtype=float),
        }
    )
    if kind == "count" and exposures is not None:
        frame["exposure"] = np.asarray(exposures, dtype=float)
    if frame.isna().any().any():
        raise ValueError("missing periods, values, counts or exposures: clean the data first")
    return frame


def _check(frame: pd.DataFrame, *, intervention: date, kind: Kind) -> None:
    dup = frame["period"][frame["period"].duplicated()]
    if len(dup):
        first = dup.iloc[0].date().isoformat()
        raise InsufficientData(
            "duplicate_periods",
            f"Periode {first} komt meer dan één keer voor; tel eerst op tot één waarde per "
            "periode.",
            f"Period {first} occurs more than once; aggregate to one value per period first.",
        )
    if kind == "count":
        if (frame["y"] < 0).any():
            raise InsufficientData(
                "negative_count",
                "Aantallen kunnen niet negatief zijn.",
                "Counts cannot be negative.",
            )
        if "exposure" in frame and (frame["exposure"] <= 0).any():
            raise InsufficientData(
                "non_positive_exposure",
                "De noemer (blootstelling) moet overal groter dan 0 zijn.",
                "Exposure must be greater than 0 in every period.",
            )
    post = frame["period"] >= pd.Timestamp(intervention)
    n_after = int(post.sum())
    n_before = len(frame) - n_after
    if n_before == 0:
        raise InsufficientData(
            "no_pre_periods",
            "Er zijn geen perioden vóór de interventie.",
            "There are no periods before the intervention.",
        )
    if n_after == 0:
        raise InsufficientData(
            "no_post_periods",
            "Er zijn geen perioden vanaf de interventie.",
            "There are no periods on or after the intervention.",
        )
    if n_before < MIN_PER_SIDE or n_after < MIN_PER_SIDE or len(frame) < MIN_TOTAL:
        raise InsufficientData(
            "too_few_points",
            f"Te weinig perioden: {n_before} vóór en {n_after} na de interventie; nodig zijn "
            f"er minstens {MIN_PER_SIDE} aan elke kant en {MIN_TOTAL} in totaal.",
            f"Too few periods: {n_before} before and {n_after} after the intervention; at "
            f"least {MIN_PER_SIDE} on each side and {MIN_TOTAL} in total are needed.",
        )
    constant = frame["y"].nunique() == 1 if kind == "continuous" else (frame["y"] == 0).all()
    if constant:
        raise InsufficientData(
            "constant_series",
            "De reeks is constant (of overal 0): er is geen verandering te schatten.",
            "The series is constant (or all zero): there is no change to estimate.",
        )


def _pearson_dispersion(res: Any) -> float:
    return float(res.pearson_chi2 / res.df_resid)


def _ols_exact(design: pd.DataFrame, y: np.ndarray) -> bool:
    beta = np.linalg.lstsq(design.to_numpy(), y, rcond=None)[0]
    rss = float(np.sum((y - design.to_numpy() @ beta) ** 2))
    return rss <= EXACT_FIT_RSS_FRACTION * float(np.sum((y - y.mean()) ** 2))


def _seasonality_choice(stamps: pd.DatetimeIndex, seasonality: Seasonality) -> str:
    if seasonality != "auto":
        return seasonality
    if len(stamps) >= MIN_MONTHS_FOR_AUTO_FOURIER and _is_monthly(stamps):
        return "fourier"
    return "none"


def _is_monthly(stamps: pd.DatetimeIndex) -> bool:
    """Consecutive periods one calendar month apart."""
    months = np.asarray(stamps.year * 12 + stamps.month)
    return len(months) > 1 and bool(np.all(np.diff(months) == 1))


def _df(res: Any) -> float:
    """Degrees of freedom of the t reference (AR(1) fits spend one on rho)."""
    return float(getattr(res, "df_t", res.df_resid))


def _prais_winsten(z: np.ndarray, rho: float) -> np.ndarray:
    """The AR(1) whitening transform (first row scaled by sqrt(1 − rho²))."""
    out = np.empty_like(z, dtype=float)
    out[0] = np.sqrt(1 - rho**2) * z[0]
    out[1:] = z[1:] - rho * z[:-1]
    return out


def ar1_reml_rho(x: np.ndarray, y: np.ndarray, bound: float = 0.99) -> float:
    """Restricted-ML estimate of the AR(1) coefficient of the regression errors.

    Profiles the restricted log-likelihood over rho. Unlike the residual-based estimates
    (GLSAR, Cochrane–Orcutt) and plain ML, REML is nearly unbiased in short series: at
    T = 48 and true rho = 0.5 those average about 0.33, REML about 0.47. That bias is what
    made their intervals too narrow.
    """
    n, k = x.shape

    def negative_restricted_loglik(rho: float) -> float:
        xs, ys = _prais_winsten(x, rho), _prais_winsten(y, rho)
        xtx = xs.T @ xs
        beta = np.linalg.solve(xtx, xs.T @ ys)
        rss = float(np.sum((ys - xs @ beta) ** 2))
        return (
            0.5 * (n - k) * math.log(rss)
            - 0.5 * math.log(1 - rho**2)
            + 0.5 * np.linalg.slogdet(xtx)[1]
        )

    found = optimize.minimize_scalar(
        negative_restricted_loglik,
        bounds=(-bound, bound),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(found.x)


def _critical(res: Any, alpha: float) -> float:
    if getattr(res, "use_t", False):
        return float(stats.t.ppf(1 - alpha / 2, _df(res)))
    return float(stats.norm.ppf(1 - alpha / 2))


def _estimate(est: float, se: float, res: Any, crit: float, exact: bool) -> Estimate:
    if exact:
        return Estimate(estimate=est, se=0.0, ci_low=est, ci_high=est, p_value=None)
    if se > 0:
        z = est / se
        if getattr(res, "use_t", False):
            p = float(2 * stats.t.sf(abs(z), _df(res)))
        else:
            p = float(2 * stats.norm.sf(abs(z)))
    else:
        p = None
    return Estimate(estimate=est, se=se, ci_low=est - crit * se, ci_high=est + crit * se, p_value=p)


def _exp(e: Estimate) -> Estimate:
    return Estimate(
        estimate=math.exp(e.estimate),
        se=None,
        ci_low=math.exp(e.ci_low),
        ci_high=math.exp(e.ci_high),
        p_value=e.p_value,
    )


def _autocorrelation(resid: np.ndarray) -> tuple[float, float, float | None]:
    """Durbin–Watson, lag-1 autocorrelation, smallest Ljung–Box p over lags 1…min(6, T/4)."""
    e = resid - resid.mean()
    ss = float(e @ e)
    if ss <= 0 or not np.isfinite(ss):
        return float("nan"), float("nan"), None
    dw = float(durbin_watson(resid))
    r1 = float(e[1:] @ e[:-1] / ss)
    max_lag = max(1, min(6, len(resid) // 4))
    lb = acorr_ljungbox(resid, lags=max_lag)
    p = float(lb["lb_pvalue"].min())
    return dw, r1, p if np.isfinite(p) else None


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.floating):
        return _json(float(value))
    return value
