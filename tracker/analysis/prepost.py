"""Two-period (pre/post) comparison: means, proportions and rates.

The weakest design the tracker offers: one "before" period against one "after" period, no
comparison group, no trend. Three kinds of measure, each with the interval its literature
recommends:

- continuous values: difference in means with Welch's standard error and Welch–Satterthwaite
  degrees of freedom, plus Hedges' g;
- proportions (numerator/denominator): difference in proportions with Newcombe's hybrid score
  interval (his method 10, built from two Wilson intervals); the p-value from Fisher's exact
  test when an expected cell count is below 5, otherwise from the pooled two-proportion z test;
- counts with exposure: rate ratio with the exact conditional interval (Clopper–Pearson on the
  share of all events that fall in the after period) and the exact conditional binomial test.

Every function returns a :class:`PrePostResult` and raises
:class:`~tracker.analysis.estimates.InsufficientData` for expected data problems.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from tracker.analysis.estimates import Estimate, InsufficientData, _clean

__all__ = [
    "PrePostResult",
    "prepost_continuous",
    "prepost_proportion",
    "prepost_proportion_from_rows",
    "prepost_rate",
    "prepost_rate_from_rows",
]

Kind = Literal["continuous", "proportion", "count"]

# Cochran's rule for the chi-square/z approximation of a 2x2 table.
_MIN_EXPECTED_CELL = 5.0
# Beyond this the exposures are in different units, not different periods (and the exact
# binomial test would under/overflow).
_MAX_EXPOSURE_RATIO = 1e9
_MAX_COUNT = 2.0**53


@dataclass(frozen=True)
class PrePostResult:
    """The outcome of a two-period comparison.

    Attributes
    ----------
    kind : {"continuous", "proportion", "count"}
        Which kind of measure was compared.
    effect : Estimate
        The main effect on its natural scale: after − before for means and proportions,
        ``rate_ratio − 1`` (relative change) for counts.
    rate_ratio : Estimate or None
        The rate ratio after/before (counts only).
    baseline : float
        Mean, proportion or rate in the before period.
    after_level : float
        Mean, proportion or rate in the after period.
    n_before, n_after : int
        Observations used: values for means, rows (periods) for proportions and counts
        (1 when scalar totals were given).
    se_type : {"welch", "newcombe", "exact"}
        How the uncertainty was computed.
    test : str
        The test behind the p-value: "welch_t", "fisher_exact", "z_pooled" or
        "exact_conditional_binomial".
    hedges_g : float or None
        Bias-corrected standardized mean difference (continuous only).
    dropped_nan : int
        Missing values (or rows with a missing part) left out.
    notes : tuple of str
        Plain-language remarks (English) about choices made.
    """

    kind: Kind
    effect: Estimate
    rate_ratio: Estimate | None
    baseline: float
    after_level: float
    n_before: int
    n_after: int
    se_type: Literal["welch", "newcombe", "exact"]
    test: str
    hedges_g: float | None = None
    dropped_nan: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (non-finite floats become None)."""
        return {
            "kind": self.kind,
            "effect": self.effect.to_dict(),
            "rate_ratio": None if self.rate_ratio is None else self.rate_ratio.to_dict(),
            "baseline": _clean(self.baseline),
            "after_level": _clean(self.after_level),
            "n_before": self.n_before,
            "n_after": self.n_after,
            "se_type": self.se_type,
            "test": self.test,
            "hedges_g": _clean(self.hedges_g),
            "dropped_nan": self.dropped_nan,
            "notes": list(self.notes),
        }

    def summary(self, lang: Literal["nl", "en"] = "nl") -> str:
        """One plain-language sentence: levels before and after, effect, interval and p.

        Parameters
        ----------
        lang : {"nl", "en"}
            Language; Dutch uses a decimal comma.
        """
        e = self.effect

        def num(x: float | None) -> str:
            if x is None or not math.isfinite(x):
                return "∞" if x is not None and x > 0 else ("−∞" if x is not None else "–")
            text = f"{x:.3g}"
            return text.replace(".", ",") if lang == "nl" else text

        p = "–" if e.p_value is None else num(e.p_value)
        if self.kind == "count":
            what = "relatieve verandering" if lang == "nl" else "relative change"
        else:
            what = "verschil" if lang == "nl" else "difference"
        if lang == "nl":
            return (
                f"Voor {num(self.baseline)}, na {num(self.after_level)}; {what} "
                f"{num(e.estimate)} (interval {num(e.ci_low)} tot {num(e.ci_high)}; p = {p})."
            )
        return (
            f"Before {num(self.baseline)}, after {num(self.after_level)}; {what} "
            f"{num(e.estimate)} (interval {num(e.ci_low)} to {num(e.ci_high)}; p = {p})."
        )


# --------------------------------------------------------------------------- helpers


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")


def _as_float_array(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()


def _is_whole(x: float) -> bool:
    return math.isfinite(x) and float(x).is_integer()


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for one proportion, clipped to [0, 1]."""
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- continuous


def prepost_continuous(
    before: ArrayLike,
    after: ArrayLike,
    *,
    alpha: float = 0.05,
) -> PrePostResult:
    """Compare the mean of continuous values before and after (Welch).

    Parameters
    ----------
    before, after : array_like of float
        Observations in each period. NaNs are dropped and counted in ``dropped_nan``.
    alpha : float, default 0.05
        The interval has coverage ``1 − alpha``.

    Returns
    -------
    PrePostResult
        ``effect`` is mean(after) − mean(before) with Welch's standard error, a t interval
        on Welch–Satterthwaite degrees of freedom and the two-sided Welch t-test p-value;
        ``hedges_g`` is the difference divided by the pooled standard deviation, times
        ``J = 1 − 3 / (4 (n1 + n2) − 9)``.

    Raises
    ------
    InsufficientData
        ``too_few_points`` when a period has fewer than 2 observations,
        ``non_finite_values`` for infinite values (or values so large the variance
        overflows), ``zero_variance`` when neither period varies.
    """
    _check_alpha(alpha)
    raw_b, raw_a = _as_float_array(before), _as_float_array(after)
    b, a = raw_b[~np.isnan(raw_b)], raw_a[~np.isnan(raw_a)]
    dropped = int(raw_b.size - b.size + raw_a.size - a.size)
    n_b, n_a = int(b.size), int(a.size)

    if n_b < 2 or n_a < 2:
        raise InsufficientData(
            "too_few_points",
            f"Te weinig waarnemingen: {n_b} voor en {n_a} na; minstens 2 per periode nodig.",
            f"Too few observations: {n_b} before and {n_a} after; at least 2 per period needed.",
        )
    if not (np.isfinite(b).all() and np.isfinite(a).all()):
        raise _non_finite()

    # Shifting by the first value makes a constant period's variance exactly 0 (no rounding)
    # and keeps the sums of squares small.
    var_b = float(np.var(b - b[0], ddof=1))
    var_a = float(np.var(a - a[0], ddof=1))
    if var_b == 0.0 and var_a == 0.0:
        raise InsufficientData(
            "zero_variance",
            "Alle waarden zijn gelijk binnen beide perioden; er valt geen spreiding te schatten.",
            "All values are equal within both periods; there is no variation to estimate from.",
        )

    mean_b, mean_a = float(np.mean(b)), float(np.mean(a))
    diff = mean_a - mean_b
    q_b, q_a = var_b / n_b, var_a / n_a
    se = math.sqrt(q_b + q_a)
    if not (math.isfinite(se) and math.isfinite(diff)):
        raise _non_finite()
    if se == 0.0:  # variances so small they underflow
        raise InsufficientData(
            "zero_variance",
            "De spreiding is te klein om mee te rekenen.",
            "The variation is too small to compute with.",
        )
    # Welch–Satterthwaite, written with the shares of the variance so tiny variances cannot
    # underflow to 0/0; a zero-variance side simply drops out.
    w_b, w_a = q_b / (q_b + q_a), q_a / (q_b + q_a)
    df = 1.0 / (w_b**2 / (n_b - 1) + w_a**2 / (n_a - 1))
    t_crit = float(stats.t.ppf(1 - alpha / 2, df))
    p_value = float(2 * stats.t.sf(abs(diff / se), df))

    pooled_var = ((n_b - 1) * var_b + (n_a - 1) * var_a) / (n_b + n_a - 2)
    j = 1 - 3 / (4 * (n_b + n_a) - 9)
    hedges_g = j * diff / math.sqrt(pooled_var) if pooled_var > 0 else None

    notes: list[str] = []
    if dropped:
        notes.append(f"{dropped} missing value(s) left out.")
    if var_b == 0.0 or var_a == 0.0:
        notes.append("One period has no variation; the interval rests on the other alone.")

    return PrePostResult(
        kind="continuous",
        effect=Estimate(
            estimate=diff,
            se=se,
            ci_low=diff - t_crit * se,
            ci_high=diff + t_crit * se,
            p_value=p_value,
        ),
        rate_ratio=None,
        baseline=mean_b,
        after_level=mean_a,
        n_before=n_b,
        n_after=n_a,
        se_type="welch",
        test="welch_t",
        hedges_g=hedges_g,
        dropped_nan=dropped,
        notes=tuple(notes),
    )


def _non_finite() -> InsufficientData:
    return InsufficientData(
        "non_finite_values",
        "Er staan oneindige of te grote waarden in de gegevens.",
        "The data contain infinite or too large values.",
    )


# --------------------------------------------------------------------------- proportions


def _invalid_counts(detail_nl: str, detail_en: str) -> InsufficientData:
    return InsufficientData(
        "invalid_counts",
        f"Ongeldige aantallen: {detail_nl}",
        f"Invalid counts: {detail_en}",
    )


def _check_binomial(x: float, n: float, period_nl: str, period_en: str) -> None:
    if not (_is_whole(x) and _is_whole(n)):
        raise _invalid_counts(
            f"teller {x} en noemer {n} ({period_nl}) moeten hele getallen zijn.",
            f"numerator {x} and denominator {n} ({period_en}) must be whole numbers.",
        )
    if n <= 0:
        raise _invalid_counts(
            f"de noemer ({period_nl}) is {n:g}; die moet groter dan 0 zijn.",
            f"the denominator ({period_en}) is {n:g}; it must be greater than 0.",
        )
    if x < 0 or x > n:
        raise _invalid_counts(
            f"teller {x:g} ({period_nl}) ligt niet tussen 0 en de noemer {n:g}.",
            f"numerator {x:g} ({period_en}) is not between 0 and the denominator {n:g}.",
        )


def prepost_proportion(
    x_before: float,
    n_before: float,
    x_after: float,
    n_after: float,
    *,
    alpha: float = 0.05,
) -> PrePostResult:
    """Compare a proportion before and after (Newcombe hybrid score interval).

    Parameters
    ----------
    x_before, n_before : int
        Numerator (events) and denominator (trials) of the before period.
    x_after, n_after : int
        The same for the after period.
    alpha : float, default 0.05
        The interval has coverage ``1 − alpha``.

    Returns
    -------
    PrePostResult
        ``effect`` is p_after − p_before with Newcombe's hybrid score interval (method 10,
        from the two Wilson intervals; ``se`` is None because the method has none). The
        p-value is the two-sided Fisher exact test when any expected cell count of the 2x2
        table is below 5 (``test="fisher_exact"``), else the pooled two-proportion z test
        (``test="z_pooled"``). ``n_before``/``n_after`` are 1 (one total per period); use
        :func:`prepost_proportion_from_rows` for per-period rows.

    Raises
    ------
    InsufficientData
        ``invalid_counts`` for non-integer or negative counts, a denominator ≤ 0 or a
        numerator above its denominator.
    """
    return _proportion(x_before, n_before, x_after, n_after, alpha=alpha)


def prepost_proportion_from_rows(
    num_before: ArrayLike,
    den_before: ArrayLike,
    num_after: ArrayLike,
    den_after: ArrayLike,
    *,
    alpha: float = 0.05,
) -> PrePostResult:
    """Compare proportions given as rows (e.g. months) per period, pooled by summing.

    Parameters
    ----------
    num_before, den_before : array_like
        Numerators and denominators of the before rows (same length).
    num_after, den_after : array_like
        The same for the after rows.
    alpha : float, default 0.05
        The interval has coverage ``1 − alpha``.

    Returns
    -------
    PrePostResult
        As :func:`prepost_proportion` on the summed numerators and denominators, with
        ``n_before``/``n_after`` the number of rows used and ``dropped_nan`` the rows left
        out because a numerator or denominator was missing.

    Raises
    ------
    InsufficientData
        ``empty_group`` when a period has no complete rows, otherwise as
        :func:`prepost_proportion` (each row is also checked for valid counts).
    """
    xb, nb, db = _rows(num_before, den_before, "before")
    xa, na, da = _rows(num_after, den_after, "after")
    for x, n, nl, en in ((xb, nb, "voor", "before"), (xa, na, "na", "after")):
        for xi, ni in zip(x, n, strict=True):
            _check_binomial(float(xi), float(ni), nl, en)
    return _proportion(
        float(xb.sum()),
        float(nb.sum()),
        float(xa.sum()),
        float(na.sum()),
        alpha=alpha,
        rows=(int(xb.size), int(xa.size)),
        dropped=db + da,
    )


def _rows(num: ArrayLike, den: ArrayLike, period: str) -> tuple[np.ndarray, np.ndarray, int]:
    x, n = _as_float_array(num), _as_float_array(den)
    if x.shape != n.shape:
        raise ValueError(f"{period}: {x.size} numerators/counts but {n.size} denominators")
    keep = ~(np.isnan(x) | np.isnan(n))
    if not keep.any():
        raise InsufficientData(
            "empty_group",
            f"Geen volledige rijen in de periode {'voor' if period == 'before' else 'na'}.",
            f"No complete rows in the {period} period.",
        )
    return x[keep], n[keep], int((~keep).sum())


def _proportion(
    x_before: float,
    n_before: float,
    x_after: float,
    n_after: float,
    *,
    alpha: float,
    rows: tuple[int, int] = (1, 1),
    dropped: int = 0,
) -> PrePostResult:
    _check_alpha(alpha)
    xb, nb, xa, na = (float(v) for v in (x_before, n_before, x_after, n_after))
    _check_binomial(xb, nb, "voor", "before")
    _check_binomial(xa, na, "na", "after")

    pb, pa = xb / nb, xa / na
    diff = pa - pb
    z = float(stats.norm.isf(alpha / 2))
    low_a, upp_a = _wilson(xa, na, z)
    low_b, upp_b = _wilson(xb, nb, z)
    ci_low = diff - math.sqrt((pa - low_a) ** 2 + (upp_b - pb) ** 2)
    ci_high = diff + math.sqrt((upp_a - pa) ** 2 + (pb - low_b) ** 2)

    # Expected cells of the 2x2 table (rows: period, columns: event / no event).
    total = na + nb
    events = xa + xb
    expected = [r * c / total for r in (na, nb) for c in (events, total - events)]
    notes: list[str] = []
    if min(expected) < _MIN_EXPECTED_CELL:
        test = "fisher_exact"
        table = [[int(xa), int(na - xa)], [int(xb), int(nb - xb)]]
        p_value = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
        notes.append("An expected cell count is below 5, so the p-value is Fisher's exact test.")
    else:
        test = "z_pooled"
        pooled = events / total
        z_stat = diff / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        p_value = float(2 * stats.norm.sf(abs(z_stat)))
    if dropped:
        notes.append(f"{dropped} row(s) with a missing numerator or denominator left out.")

    return PrePostResult(
        kind="proportion",
        effect=Estimate(
            estimate=diff, se=None, ci_low=ci_low, ci_high=ci_high, p_value=min(1.0, p_value)
        ),
        rate_ratio=None,
        baseline=pb,
        after_level=pa,
        n_before=rows[0],
        n_after=rows[1],
        se_type="newcombe",
        test=test,
        hedges_g=None,
        dropped_nan=dropped,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- rates


def prepost_rate(
    count_before: float,
    exposure_before: float,
    count_after: float,
    exposure_after: float,
    *,
    alpha: float = 0.05,
) -> PrePostResult:
    """Compare an event rate before and after (exact conditional rate ratio).

    Given the total number of events, the after count is binomial with success probability
    ``π = E_a·RR / (E_a·RR + E_b)``. The Clopper–Pearson interval for π, transformed by
    ``RR = π / (1 − π) · E_b / E_a``, is the exact interval for the rate ratio; the p-value
    is the two-sided exact binomial test of ``π = E_a / (E_a + E_b)`` (the "minlike"
    two-sided p-value, as R's ``poisson.test`` and statsmodels' ``exact-cond``).

    Parameters
    ----------
    count_before, exposure_before : float
        Events (whole number ≥ 0) and exposure (> 0, e.g. person-months) before.
    count_after, exposure_after : float
        The same after.
    alpha : float, default 0.05
        The interval has coverage ``1 − alpha``.

    Returns
    -------
    PrePostResult
        ``rate_ratio`` is rate_after / rate_before with its exact interval and p-value;
        ``effect`` is the same shifted by −1 (relative change). ``se`` is None (an exact
        method). With no events before but some after, the ratio and its upper limit are
        infinite (None in ``to_dict``) and a note says so. ``n_before``/``n_after`` are 1;
        use :func:`prepost_rate_from_rows` for per-period rows.

    Raises
    ------
    InsufficientData
        ``invalid_counts`` for negative or non-integer counts, ``zero_exposure`` for an
        exposure ≤ 0 (or not finite), ``exposure_mismatch`` when the exposures differ by more
        than a factor 1e9 (different units), ``no_events`` when both counts are zero.
    """
    return _rate(count_before, exposure_before, count_after, exposure_after, alpha=alpha)


def prepost_rate_from_rows(
    count_before: ArrayLike,
    exposure_before: ArrayLike,
    count_after: ArrayLike,
    exposure_after: ArrayLike,
    *,
    alpha: float = 0.05,
) -> PrePostResult:
    """Compare rates given as rows (e.g. months) per period, pooled by summing.

    Parameters
    ----------
    count_before, exposure_before : array_like
        Counts and exposures of the before rows (same length).
    count_after, exposure_after : array_like
        The same for the after rows.
    alpha : float, default 0.05
        The interval has coverage ``1 − alpha``.

    Returns
    -------
    PrePostResult
        As :func:`prepost_rate` on the summed counts and exposures, with
        ``n_before``/``n_after`` the number of rows used and ``dropped_nan`` the rows left
        out because a count or exposure was missing. Rows are pooled, so extra-Poisson
        variation between rows is ignored.

    Raises
    ------
    InsufficientData
        ``empty_group`` when a period has no complete rows, ``invalid_counts`` for a
        negative or non-integer count or a negative exposure in any row, otherwise as
        :func:`prepost_rate`.
    """
    cb, eb, db = _rows(count_before, exposure_before, "before")
    ca, ea, da = _rows(count_after, exposure_after, "after")
    for c, e, nl, en in ((cb, eb, "voor", "before"), (ca, ea, "na", "after")):
        for ci, ei in zip(c, e, strict=True):
            _check_count(float(ci), nl, en)
            if ei < 0:
                raise _invalid_counts(
                    f"blootstelling {ei:g} ({nl}) is negatief.",
                    f"exposure {ei:g} ({en}) is negative.",
                )
    return _rate(
        float(cb.sum()),
        float(eb.sum()),
        float(ca.sum()),
        float(ea.sum()),
        alpha=alpha,
        rows=(int(cb.size), int(ca.size)),
        dropped=db + da,
    )


def _check_count(c: float, period_nl: str, period_en: str) -> None:
    if not _is_whole(c) or c < 0:
        raise _invalid_counts(
            f"aantal {c} ({period_nl}) moet een heel getal ≥ 0 zijn.",
            f"count {c} ({period_en}) must be a whole number ≥ 0.",
        )
    if c > _MAX_COUNT:
        # Beyond 2^53 a float no longer holds every whole number, and the exact tests need
        # machine integers: such a count is a data error, not a municipality's tally.
        raise _invalid_counts(
            f"aantal {c:g} ({period_nl}) is onwaarschijnlijk groot; controleer de gegevens.",
            f"count {c:g} ({period_en}) is implausibly large; check the data.",
        )


def _rate(
    count_before: float,
    exposure_before: float,
    count_after: float,
    exposure_after: float,
    *,
    alpha: float,
    rows: tuple[int, int] = (1, 1),
    dropped: int = 0,
) -> PrePostResult:
    _check_alpha(alpha)
    cb, eb, ca, ea = (
        float(v) for v in (count_before, exposure_before, count_after, exposure_after)
    )
    _check_count(cb, "voor", "before")
    _check_count(ca, "na", "after")
    for e, nl, en in ((eb, "voor", "before"), (ea, "na", "after")):
        if not (math.isfinite(e) and e > 0):
            raise InsufficientData(
                "zero_exposure",
                f"De blootstelling ({nl}) is {e:g}; die moet groter dan 0 zijn.",
                f"The exposure ({en}) is {e:g}; it must be greater than 0.",
            )
    if not _MAX_EXPOSURE_RATIO**-1 <= ea / eb <= _MAX_EXPOSURE_RATIO:
        raise InsufficientData(
            "exposure_mismatch",
            f"De blootstellingen voor ({eb:g}) en na ({ea:g}) verschillen meer dan een factor "
            f"{_MAX_EXPOSURE_RATIO:g}; controleer de eenheden.",
            f"The exposures before ({eb:g}) and after ({ea:g}) differ by more than a factor "
            f"{_MAX_EXPOSURE_RATIO:g}; check the units.",
        )
    if cb == 0 and ca == 0:
        raise InsufficientData(
            "no_events",
            "Geen gebeurtenissen voor en na; een verhouding valt niet te schatten.",
            "No events before or after; a ratio cannot be estimated.",
        )

    total = int(cb + ca)
    k = int(ca)
    # Clopper–Pearson limits for the share of events in the after period.
    pi_low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, total - k + 1))
    pi_high = 1.0 if k == total else float(stats.beta.ppf(1 - alpha / 2, k + 1, total - k))
    scale = eb / ea

    def to_ratio(pi: float) -> float:
        return math.inf if pi >= 1.0 else pi / (1 - pi) * scale

    rate_b, rate_a = cb / eb, ca / ea
    ratio = math.inf if cb == 0 else ca / cb * scale  # same arithmetic as the limits
    p_value = float(stats.binomtest(k, total, p=ea / (ea + eb)).pvalue)
    rr_low, rr_high = to_ratio(pi_low), to_ratio(pi_high)

    notes: list[str] = []
    if cb == 0:
        notes.append("No events before: the rate ratio and its upper limit are unbounded.")
    if dropped:
        notes.append(f"{dropped} row(s) with a missing count or exposure left out.")

    rate_ratio = Estimate(estimate=ratio, se=None, ci_low=rr_low, ci_high=rr_high, p_value=p_value)
    return PrePostResult(
        kind="count",
        effect=Estimate(
            estimate=ratio - 1, se=None, ci_low=rr_low - 1, ci_high=rr_high - 1, p_value=p_value
        ),
        rate_ratio=rate_ratio,
        baseline=rate_b,
        after_level=rate_a,
        n_before=rows[0],
        n_after=rows[1],
        se_type="exact",
        test="exact_conditional_binomial",
        hedges_g=None,
        dropped_nan=dropped,
        notes=tuple(notes),
    )
