"""Difference-in-differences: did the pilot change more than the comparison group?

The model is the classic two-group, two-period regression

    value ~ treated + post + treated:post

where ``treated`` marks the pilot group and ``post`` marks periods on or after the intervention
date. The interaction coefficient is the difference-in-differences estimate. Because the model
is saturated in the four cells (pilot/comparison × before/after), its fitted values are the cell
means, so the estimate equals ``(pilot after − pilot before) − (comparison after − comparison
before)``.

Three kinds of outcome:

- ``continuous``: ``value`` column; ordinary least squares (OLS).
- ``proportion``: ``numerator`` and ``denominator`` columns; the outcome is the proportion
  ``numerator / denominator`` fitted by weighted least squares with weights ``denominator``,
  so each row counts by the number of people (or cases) behind it and the cell means are pooled
  proportions ``sum(numerator) / sum(denominator)``. The effect is a difference in proportions.
- ``count``: ``count`` and ``exposure`` columns; Poisson GLM with log link and offset
  ``log(exposure)``. The effect is the log rate ratio and is also reported as a rate ratio
  ``exp(coef)``; cell "means" are pooled rates ``sum(count) / sum(exposure)``.

Standard errors (``cov_type="auto"``): clustered by ``area`` when the data have at least
``min_clusters`` distinct areas (and every row has one), otherwise HC1 (heteroskedasticity
robust) for continuous and proportion outcomes, and quasi-Poisson (Pearson χ² scale) for counts.
Inference uses the t distribution: residual degrees of freedom, or (number of clusters − 1)
when clustered (statsmodels' small-sample correction for clusters is kept).

Pure: depends only on numpy, pandas, scipy, statsmodels and :mod:`tracker.analysis.estimates`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from tracker.analysis.estimates import Estimate, InsufficientData

Kind = Literal["continuous", "proportion", "count"]
CovType = Literal["auto", "nonrobust", "HC1", "cluster"]

PILOT = "pilot"
COMPARISON = "comparison"
PRETREND_P = 0.05
MIN_ROWS_PER_CELL = 2
MIN_PRETREND_PERIODS = 3

_CELL_KEYS = {
    (True, False): "pilot_before",
    (True, True): "pilot_after",
    (False, False): "comparison_before",
    (False, True): "comparison_after",
}


@dataclass(frozen=True)
class DiDResult:
    """The outcome of a difference-in-differences fit.

    Attributes
    ----------
    effect : Estimate
        The interaction ``treated:post``: a difference in means (continuous), in proportions
        (proportion) or a log rate ratio (count).
    rate_ratio : Estimate or None
        For counts, ``exp(effect)`` with the exponentiated interval (``se`` is None because the
        interval is not symmetric); None for other kinds.
    se_type : str
        ``"cluster(area)"``, ``"HC1"``, ``"nonrobust"`` or ``"quasi-Poisson"``.
    cell_means : dict
        ``pilot_before``, ``pilot_after``, ``comparison_before``, ``comparison_after``: means,
        pooled proportions or pooled rates per unit of exposure.
    pretrend : Estimate or None
        Difference in pre-period slopes (pilot minus comparison, per period step) on the model's
        scale; None when there are too few baseline periods.
    pretrend_violated : bool or None
        True when the pre-trend difference has p < 0.05; None without a check or a p-value.
    n_before, n_after : int
        Rows used before and on/after the intervention.
    n_areas : int or None
        Distinct areas in the data; None without an ``area`` column.
    baseline : float
        The pilot group's mean (or pooled proportion/rate) before the intervention.
    notes : tuple of str
        Plain-language remarks (standard errors, dropped rows, pre-trend).
    kind : str
        ``continuous``, ``proportion`` or ``count``.
    method : str
        The model that was fitted.
    alpha : float
        1 − confidence level of the intervals.
    """

    effect: Estimate
    rate_ratio: Estimate | None
    se_type: str
    cell_means: dict[str, float]
    pretrend: Estimate | None
    pretrend_violated: bool | None
    n_before: int
    n_after: int
    n_areas: int | None
    baseline: float
    notes: tuple[str, ...] = field(default=())
    kind: str = "continuous"
    method: str = "OLS"
    alpha: float = 0.05

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dictionary (NaN and infinities become None)."""
        return {
            "design": "did",
            "kind": self.kind,
            "method": self.method,
            "alpha": self.alpha,
            "effect": self.effect.to_dict(),
            "rate_ratio": None if self.rate_ratio is None else self.rate_ratio.to_dict(),
            "se_type": self.se_type,
            "cell_means": {k: _finite_or_none(v) for k, v in self.cell_means.items()},
            "pretrend": None if self.pretrend is None else self.pretrend.to_dict(),
            "pretrend_violated": self.pretrend_violated,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "n_areas": self.n_areas,
            "baseline": _finite_or_none(self.baseline),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Return a short plain-language (English) summary of the result."""
        level = round(100 * (1 - self.alpha))
        cm = self.cell_means
        if self.kind == "count" and self.rate_ratio is not None:
            rr = self.rate_ratio
            head = (
                f"Relative to the comparison group the pilot's rate changed by a factor "
                f"{rr.estimate:.3g} ({level}% CI {rr.ci_low:.3g} to {rr.ci_high:.3g})."
            )
        else:
            e = self.effect
            head = (
                f"The pilot changed by {e.estimate:+.3g} more than the comparison group "
                f"({level}% CI {e.ci_low:.3g} to {e.ci_high:.3g})."
            )
        cells = (
            f"Pilot {cm['pilot_before']:.3g} → {cm['pilot_after']:.3g}; comparison "
            f"{cm['comparison_before']:.3g} → {cm['comparison_after']:.3g}."
        )
        return " ".join(
            [head, cells, f"{self.method}; standard errors: {self.se_type}.", *self.notes]
        )


def did_fit(
    frame: pd.DataFrame,
    *,
    intervention: date,
    kind: Kind = "continuous",
    alpha: float = 0.05,
    min_clusters: int = 20,
    cov_type: CovType = "auto",
) -> DiDResult:
    """Estimate a difference-in-differences effect of a pilot against a comparison group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy rows with ``period`` (datetime64 or date), ``group`` (``"pilot"`` = treated or
        ``"comparison"``), optional ``area``, and the outcome: ``value`` (continuous),
        ``numerator`` + ``denominator`` (proportion) or ``count`` + ``exposure`` (count).
        Unit-level rows (many per period, e.g. one per store per wave) and aggregated rows (one
        per period × group × area) are both fine. Rows with a missing period, group or outcome
        are dropped (a note says how many). Row order does not matter.
    intervention : datetime.date
        Periods on or after this date are "after".
    kind : {"continuous", "proportion", "count"}
        How to read and model the outcome (see the module docstring).
    alpha : float
        1 − confidence level for the intervals.
    min_clusters : int
        Least number of distinct areas for cluster-robust standard errors under ``"auto"``.
    cov_type : {"auto", "nonrobust", "HC1", "cluster"}
        ``"auto"`` clusters by area when possible, else HC1 (quasi-Poisson for counts);
        ``"nonrobust"`` gives conventional standard errors (quasi-Poisson for counts);
        ``"cluster"`` forces clustering by area (needs an area on every row, ≥ 2 areas).

    Returns
    -------
    DiDResult
        The interaction estimate, cell means, standard-error type and pre-trend check.

    Raises
    ------
    InsufficientData
        ``no_comparison_group``: no comparison rows. ``comparison_missing_period`` /
        ``pilot_missing_period``: a group has no rows before or no rows after the intervention.
        ``too_few_points``: a cell (group × before/after) has fewer than 2 rows — with a single
        row a cell has leverage 1, its residual is 0 and robust standard errors would ignore its
        variance; this also guarantees ≥ 4 residual degrees of freedom. ``invalid_counts``:
        negative or non-integer-like counts, numerators outside 0…denominator, or
        non-positive denominators/exposures. ``zero_count_cell``: counts are 0 throughout a
        cell, so the log rate ratio is infinite.
    ValueError
        Missing columns, unknown group labels or options, or ``cov_type="cluster"`` without
        usable areas.

    Notes
    -----
    The pre-trend check fits ``value ~ treated + t + treated:t`` on the before-rows only, with
    ``t`` the index of the distinct baseline periods (0, 1, 2, …), using the same model kind
    and standard-error type. It needs at least 3 distinct baseline periods in each group.
    """
    if kind not in ("continuous", "proportion", "count"):
        raise ValueError(f"kind must be 'continuous', 'proportion' or 'count', not {kind!r}")
    if cov_type not in ("auto", "nonrobust", "HC1", "cluster"):
        raise ValueError(f"cov_type must be auto, nonrobust, HC1 or cluster, not {cov_type!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")

    notes: list[str] = []
    data = _prepare(frame, kind=kind, intervention=intervention, notes=notes)
    _check_cells(data)
    if kind == "count":
        _check_nonzero_cells(data)

    has_area = "area" in data.columns
    n_areas = int(data["area"].nunique(dropna=True)) if has_area else None
    se_choice = _choose_se(
        data, kind=kind, cov_type=cov_type, min_clusters=min_clusters, notes=notes
    )

    x = _design(data["treated"].to_numpy(float), data["post"].to_numpy(float), "post")
    res = _fit(data, x, kind=kind, se_choice=se_choice)
    effect = _estimate(res, "treated_post", alpha)
    rate_ratio = _exp_estimate(effect) if kind == "count" else None

    cell_means = _cell_means(data, kind)
    pretrend, violated = _pretrend(data, kind=kind, se_choice=se_choice, alpha=alpha, notes=notes)

    return DiDResult(
        effect=effect,
        rate_ratio=rate_ratio,
        se_type=se_choice,
        cell_means=cell_means,
        pretrend=pretrend,
        pretrend_violated=violated,
        n_before=int((~data["post"]).sum()),
        n_after=int(data["post"].sum()),
        n_areas=n_areas,
        baseline=cell_means["pilot_before"],
        notes=tuple(notes),
        kind=kind,
        method=_METHODS[kind],
        alpha=alpha,
    )


_METHODS = {
    "continuous": "OLS value ~ treated + post + treated:post",
    "proportion": "WLS proportion ~ treated + post + treated:post, weights = denominator",
    "count": "Poisson GLM count ~ treated + post + treated:post, log link, offset log(exposure)",
}

_OUTCOME_COLUMNS = {
    "continuous": ("value",),
    "proportion": ("numerator", "denominator"),
    "count": ("count", "exposure"),
}


def _prepare(
    frame: pd.DataFrame, *, kind: Kind, intervention: date, notes: list[str]
) -> pd.DataFrame:
    """Select, clean, validate and sort the rows; add ``treated``, ``post`` and ``y``."""
    outcome = _OUTCOME_COLUMNS[kind]
    missing = [c for c in ("period", *outcome) if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) for a {kind} analysis: {', '.join(missing)}")
    if "group" not in frame.columns:
        raise InsufficientData(
            "no_comparison_group",
            "Er is geen vergelijkingsgroep: de gegevens hebben geen kolom 'group'.",
            "There is no comparison group: the data have no 'group' column.",
        )

    cols = ["period", "group", *outcome] + (["area"] if "area" in frame.columns else [])
    data = frame.loc[:, cols].copy()
    data["period"] = pd.to_datetime(data["period"], errors="coerce")
    if getattr(data["period"].dt, "tz", None) is not None:
        data["period"] = data["period"].dt.tz_localize(None)
    for c in outcome:
        data[c] = pd.to_numeric(data[c], errors="coerce").astype(float)
        data.loc[~np.isfinite(data[c]), c] = np.nan
    group = data["group"].astype("string").str.strip().str.lower()
    data["group"] = group

    keep = data[["period", "group", *outcome]].notna().all(axis=1)
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} row(s) with a missing period, group or outcome were left out.")
    data = data.loc[keep]

    unknown = sorted(set(data["group"]) - {PILOT, COMPARISON})
    if unknown:
        raise ValueError(f"group must be 'pilot' or 'comparison'; found {unknown}")

    _check_counts(data, kind)

    # A canonical order makes the result independent of the input's row order, to the last bit.
    sort_cols = ["period", "group", *(["area"] if "area" in data.columns else []), *outcome]
    if "area" in data.columns:
        data["area"] = data["area"].astype("string")
    data = data.sort_values(sort_cols, kind="mergesort", na_position="last").reset_index(drop=True)

    data["treated"] = data["group"].eq(PILOT).to_numpy(bool)
    data["post"] = (data["period"] >= pd.Timestamp(intervention)).to_numpy(bool)
    if kind == "continuous":
        data["y"] = data["value"]
    elif kind == "proportion":
        data["y"] = data["numerator"] / data["denominator"]
    else:
        data["y"] = data["count"]
    return data


def _check_counts(data: pd.DataFrame, kind: Kind) -> None:
    if kind == "proportion":
        num, den = data["numerator"], data["denominator"]
        bad = (den <= 0) | (num < 0) | (num > den)
        what = "numerators must lie between 0 and a positive denominator"
    elif kind == "count":
        cnt, exp_ = data["count"], data["exposure"]
        bad = (cnt < 0) | (exp_ <= 0) | ((cnt - cnt.round()).abs() > 1e-9)
        what = "counts must be whole numbers ≥ 0 and exposures positive"
    else:
        return
    if bool(bad.any()):
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InsufficientData(
            "invalid_counts",
            f"Ongeldige aantallen in {int(bad.sum())} rij(en), bv. periode "
            f"{data['period'].iloc[first].date()}: tellers tussen 0 en een positieve noemer, "
            "aantallen als gehele getallen ≥ 0, blootstelling positief.",
            f"Invalid counts in {int(bad.sum())} row(s), e.g. period "
            f"{data['period'].iloc[first].date()}: {what}.",
        )


def _check_cells(data: pd.DataFrame) -> None:
    treated, post = data["treated"], data["post"]
    if not bool((~treated).any()):
        raise InsufficientData(
            "no_comparison_group",
            "Er zijn geen gegevens van een vergelijkingsgroep.",
            "There are no rows for a comparison group.",
        )
    for is_treated, code, nl, en in (
        (False, "comparison_missing_period", "De vergelijkingsgroep", "The comparison group"),
        (True, "pilot_missing_period", "De pilotgroep", "The pilot group"),
    ):
        rows = treated == is_treated
        for is_post, nl_when, en_when in ((False, "vóór", "before"), (True, "na", "after")):
            if not bool((rows & (post == is_post)).any()):
                raise InsufficientData(
                    code,
                    f"{nl} heeft geen gegevens {nl_when} de interventie.",
                    f"{en} has no data {en_when} the intervention.",
                )
    counts = data.groupby(["treated", "post"]).size()
    short = {_CELL_KEYS[k]: int(v) for k, v in counts.items() if v < MIN_ROWS_PER_CELL}
    if short:
        listing = ", ".join(f"{k} ({v})" for k, v in short.items())
        raise InsufficientData(
            "too_few_points",
            f"Te weinig gegevens: elke cel (groep × voor/na) heeft minstens "
            f"{MIN_ROWS_PER_CELL} rijen nodig; te weinig in {listing}.",
            f"Too few data: every cell (group × before/after) needs at least "
            f"{MIN_ROWS_PER_CELL} rows; too few in {listing}.",
        )


def _check_nonzero_cells(data: pd.DataFrame) -> None:
    sums = data.groupby(["treated", "post"])["count"].sum()
    empty = [_CELL_KEYS[k] for k, v in sums.items() if v <= 0]
    if empty:
        raise InsufficientData(
            "zero_count_cell",
            f"Geen enkele gebeurtenis in {', '.join(empty)}: de verhouding is niet te schatten.",
            f"No events at all in {', '.join(empty)}: the rate ratio cannot be estimated.",
        )


def _choose_se(
    data: pd.DataFrame, *, kind: Kind, cov_type: CovType, min_clusters: int, notes: list[str]
) -> str:
    """Return the standard-error type: cluster(area), HC1, nonrobust or quasi-Poisson."""
    has_area = "area" in data.columns
    complete = has_area and not bool(data["area"].isna().any())
    n_areas = int(data["area"].nunique(dropna=True)) if has_area else 0
    fallback = "quasi-Poisson" if kind == "count" else "HC1"

    if cov_type == "cluster":
        if not complete or n_areas < 2:
            raise ValueError("cov_type='cluster' needs an area on every row and at least 2 areas")
        if n_areas < min_clusters:
            notes.append(
                f"Standard errors clustered by area with only {n_areas} areas (fewer than "
                f"{min_clusters}): they may be too small."
            )
        return "cluster(area)"
    if cov_type == "nonrobust":
        return "quasi-Poisson" if kind == "count" else "nonrobust"
    if cov_type == "HC1":
        return "HC1"
    if complete and n_areas >= min_clusters:
        return "cluster(area)"
    if not has_area:
        why = "the data have no area column"
    elif not complete:
        why = "some rows have no area"
    else:
        why = f"clustering needs at least {min_clusters} areas and the data have {n_areas}"
    notes.append(
        f"Clustering standard errors by area was not possible with {n_areas} areas ({why}); "
        f"{fallback} standard errors are used instead."
    )
    return fallback


def _design(treated: np.ndarray, second: np.ndarray, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "const": np.ones_like(treated),
            "treated": treated,
            name: second,
            f"treated_{name}": treated * second,
        }
    )


def _fit(data: pd.DataFrame, x: pd.DataFrame, *, kind: Kind, se_choice: str) -> Any:
    """Fit the model of ``kind`` on design ``x`` with the chosen standard errors."""
    y = data["y"].to_numpy(float)
    fit_kw: dict[str, Any] = {"use_t": True}
    if se_choice == "cluster(area)":
        codes = pd.factorize(data["area"])[0]
        fit_kw.update(cov_type="cluster", cov_kwds={"groups": codes})
    elif se_choice == "HC1":
        fit_kw.update(cov_type="HC1")
    # Degenerate data (e.g. all values equal) give zero or NaN standard errors; that is an
    # answer (reported as such), not an error, so the numeric warnings are silenced.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "continuous":
            return sm.OLS(y, x).fit(**fit_kw)
        if kind == "proportion":
            return sm.WLS(y, x, weights=data["denominator"].to_numpy(float)).fit(**fit_kw)
        model = sm.GLM(
            y,
            x,
            family=sm.families.Poisson(),
            offset=np.log(data["exposure"].to_numpy(float)),
        )
        try:
            return model.fit(scale="X2", **fit_kw)
        except (ValueError, np.linalg.LinAlgError) as exc:
            # statsmodels gives up on degenerate counts (NaN deviance at the first guess,
            # a singular matrix): an answer about the data, not a bug.
            raise InsufficientData(
                "model_failed",
                "het telmodel kon op deze aantallen niet geschat worden (te weinig of te "
                "extreme aantallen)",
                "the count model could not be fitted to these counts (too few or too extreme)",
            ) from exc


def _estimate(res: Any, name: str, alpha: float) -> Estimate:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ci = res.conf_int(alpha=alpha)
        return Estimate(
            estimate=float(res.params[name]),
            se=float(res.bse[name]),
            ci_low=float(ci.loc[name, 0]),
            ci_high=float(ci.loc[name, 1]),
            p_value=float(res.pvalues[name]),
        )


def _exp_estimate(e: Estimate) -> Estimate:
    return Estimate(
        estimate=_safe_exp(e.estimate),
        se=None,
        ci_low=_safe_exp(e.ci_low),
        ci_high=_safe_exp(e.ci_high),
        p_value=e.p_value,
    )


def _safe_exp(v: float) -> float:
    if not math.isfinite(v):
        return v if math.isnan(v) else (math.inf if v > 0 else 0.0)
    return math.exp(v) if v < 700 else math.inf


def _cell_means(data: pd.DataFrame, kind: Kind) -> dict[str, float]:
    """Cell means as the saturated model's fitted values: means, pooled proportions or rates."""
    out: dict[str, float] = {}
    for key, name in _CELL_KEYS.items():
        cell = data[(data["treated"] == key[0]) & (data["post"] == key[1])]
        if kind == "continuous":
            out[name] = float(cell["value"].mean())
        elif kind == "proportion":
            out[name] = float(cell["numerator"].sum() / cell["denominator"].sum())
        else:
            out[name] = float(cell["count"].sum() / cell["exposure"].sum())
    return {k: out[k] for k in _CELL_KEYS.values()}


def _pretrend(
    data: pd.DataFrame, *, kind: Kind, se_choice: str, alpha: float, notes: list[str]
) -> tuple[Estimate | None, bool | None]:
    """Compare pre-period slopes of pilot and comparison (treated:t on before-rows only)."""
    pre = data.loc[~data["post"]].reset_index(drop=True)
    n_pilot = int(pre.loc[pre["treated"], "period"].nunique())
    n_comp = int(pre.loc[~pre["treated"], "period"].nunique())
    if min(n_pilot, n_comp) < MIN_PRETREND_PERIODS:
        notes.append(
            "too few baseline periods for a pre-trend check "
            f"(pilot {n_pilot}, comparison {n_comp}; {MIN_PRETREND_PERIODS} needed in each)"
        )
        return None, None

    periods = np.sort(pre["period"].unique())
    t = np.searchsorted(periods, pre["period"].to_numpy()).astype(float)
    x = _design(pre["treated"].to_numpy(float), t, "t")
    if se_choice == "cluster(area)" and pre["area"].nunique() < 2:
        se_choice = "HC1"
    res = _fit(pre, x, kind=kind, se_choice=se_choice)
    est = _estimate(res, "treated_t", alpha)
    p = est.p_value
    if p is None or not math.isfinite(p):
        return est, None
    violated = p < PRETREND_P
    if violated:
        notes.append(
            f"Before the intervention the pilot and comparison groups already moved differently "
            f"(difference in slope {est.estimate:.3g} per period, p = {p:.3g}): the "
            "parallel-trends assumption is doubtful, so read the estimate with care."
        )
    return est, bool(violated)


def _finite_or_none(v: float) -> float | None:
    return v if isinstance(v, float) and math.isfinite(v) else None
