"""Statistical process control charts in the NHS "Making Data Count" style.

Three charts: XmR (individual values, continuous measures), p (proportions:
numerator/denominator) and u (rates: count/exposure). The limits are computed from the
baseline periods only (the periods before the intervention date), then frozen and applied to
every point, so a post-intervention change shows up as signals against the old process.

Rules, evaluated on all points and in this precedence (a point carries at most one rule, the
first that applies):

1. ``outside_limits`` -- a point above the upper or below the lower process limit;
2. ``trend`` -- 7 or more points in a row, each strictly higher (or each strictly lower) than
   the previous; all points of the run are flagged, a tie breaks the run;
3. ``two_of_three`` -- 2 of 3 consecutive points strictly beyond the "2/3 of the way to the
   limit" line on the same side; only the points beyond the line are flagged;
4. ``shift`` -- 7 or more consecutive points on the same side of the centre line; a point on
   the centre line breaks the run.

Comparisons with the centre line, the 2/3 lines and the limits treat values within a relative
``1e-12`` of the line as *on* it, so a value that equals the baseline mean in decimal terms is
not pushed to one side by floating-point rounding (``0.1 + 0.2 + 0.3`` is not ``0.6``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy import special

from tracker.analysis.estimates import Estimate, InsufficientData
from tracker.analysis.periods import as_days, day, first_duplicate, to_dates

ChartType = Literal["xmr", "p", "u"]
Better = Literal["higher", "lower"]
Rule = Literal["outside_limits", "trend", "two_of_three", "shift"]
Direction = Literal["improvement", "concern"]

RULES: tuple[Rule, ...] = ("outside_limits", "trend", "two_of_three", "shift")

MIN_BASELINE_POINTS = 8
"""Fewer baseline points than this is ``too_few_baseline_points``."""

RECOMMENDED_BASELINE_POINTS = 15
"""Fewer baseline points than this (but at least the minimum) adds a note."""

RUN_LENGTH = 7
"""Points in a run for the trend and shift rules."""

XMR_LIMIT_FACTOR = 2.66
"""3 / d2 with d2 = 1.128 for moving ranges of two points."""

MR_SCREEN_FACTOR = 3.267
"""D4 for ranges of two points: moving ranges at or above D4 × mean MR are screened out."""

D2 = 1.128
"""Bias-correction constant: sigma ≈ mean moving range / d2."""

_REL_TOL = 1e-12


@dataclass(frozen=True)
class Note:
    """A remark about the analysis, with a stable code and Dutch/English text."""

    code: str
    message_nl: str
    message_en: str

    def message(self, lang: str = "nl") -> str:
        """The note in ``lang`` ("nl" or "en")."""
        return self.message_en if lang == "en" else self.message_nl

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dictionary."""
        return {"code": self.code, "message_nl": self.message_nl, "message_en": self.message_en}


class SPCSignal(NamedTuple):
    """One flagged point: its period, the rule that flagged it and what it means."""

    period: date
    rule: Rule
    direction: Direction


@dataclass(frozen=True)
class SPCLimits:
    """The frozen process limits.

    Scalars for an XmR chart; per-point tuples (in period order) for p and u charts, whose
    limits depend on each point's denominator or exposure. ``inner_lower``/``inner_upper`` are
    the "2/3 of the way to the limit" lines used by the ``two_of_three`` rule.
    """

    center: float
    lower: float | tuple[float, ...]
    upper: float | tuple[float, ...]
    inner_lower: float | tuple[float, ...]
    inner_upper: float | tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dictionary."""
        return {
            "center": _json(self.center),
            "lower": _json(self.lower),
            "upper": _json(self.upper),
            "inner_lower": _json(self.inner_lower),
            "inner_upper": _json(self.inner_upper),
        }


@dataclass(frozen=True)
class SPCPoint:
    """One period on the chart with its limits and the signal (if any) it carries."""

    period: date
    phase: Literal["baseline", "after"]
    value: float
    center: float
    lower: float
    upper: float
    inner_lower: float
    inner_upper: float
    rule: Rule | None
    direction: Direction | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dictionary (the period as an ISO date)."""
        return {
            "period": self.period.isoformat(),
            "phase": self.phase,
            "value": _finite(self.value),
            "center": _finite(self.center),
            "lower": _finite(self.lower),
            "upper": _finite(self.upper),
            "inner_lower": _finite(self.inner_lower),
            "inner_upper": _finite(self.inner_upper),
            "rule": self.rule,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class SPCResult:
    """A statistical process control chart with frozen baseline limits and its signals.

    ``baseline_mean``/``after_mean`` are the plain means of the values for XmR and the pooled
    proportion or rate (sum of numerators / sum of denominators) for p and u charts.
    ``effect`` is ``after_mean - baseline_mean`` on the measure's own scale (not turned
    around for ``better``); see :func:`spc_chart` for its interval.
    """

    chart: ChartType
    better: Better
    intervention: date
    limits: SPCLimits
    points: tuple[SPCPoint, ...]
    signals: tuple[SPCSignal, ...]
    baseline_mean: float
    after_mean: float
    effect: Estimate
    n_before: int
    n_after: int
    mean_moving_range: float | None
    screened_moving_ranges: int
    alpha: float
    notes: tuple[Note, ...]

    @property
    def method(self) -> str:
        """Short name of the method, for reports."""
        return f"spc-{self.chart}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dictionary (dates as ISO strings, non-finite floats as None)."""
        return {
            "method": self.method,
            "chart": self.chart,
            "better": self.better,
            "intervention": self.intervention.isoformat(),
            "limits": self.limits.to_dict(),
            "points": [p.to_dict() for p in self.points],
            "signals": [
                {"period": s.period.isoformat(), "rule": s.rule, "direction": s.direction}
                for s in self.signals
            ],
            "baseline_mean": _json(self.baseline_mean),
            "after_mean": _json(self.after_mean),
            "effect": self.effect.to_dict(),
            "n_before": self.n_before,
            "n_after": self.n_after,
            "mean_moving_range": _json(self.mean_moving_range),
            "screened_moving_ranges": self.screened_moving_ranges,
            "alpha": self.alpha,
            "notes": [n.to_dict() for n in self.notes],
        }

    def summary(self, lang: str = "nl") -> str:
        """A plain-language summary in ``lang`` ("nl" or "en")."""
        level = round((1 - self.alpha) * 100)
        n_good = sum(s.direction == "improvement" for s in self.signals)
        n_bad = len(self.signals) - n_good
        e = self.effect
        if lang == "en":
            return (
                f"{self.chart} chart: mean before {_fmt(self.baseline_mean, lang)} "
                f"({self.n_before} periods), after {_fmt(self.after_mean, lang)} "
                f"({self.n_after} periods); difference {_fmt(e.estimate, lang)} "
                f"({level}% CI {_fmt(e.ci_low, lang)} to {_fmt(e.ci_high, lang)}). "
                f"{n_good} improvement and {n_bad} concern signal points."
            )
        return (
            f"{self.chart}-kaart: gemiddelde vóór {_fmt(self.baseline_mean, lang)} "
            f"({self.n_before} perioden), na {_fmt(self.after_mean, lang)} "
            f"({self.n_after} perioden); verschil {_fmt(e.estimate, lang)} "
            f"({level}%-BI {_fmt(e.ci_low, lang)} tot {_fmt(e.ci_high, lang)}). "
            f"{n_good} signaalpunten voor verbetering en {n_bad} voor zorg."
        )


def spc_chart(
    periods: Any,
    *,
    intervention: date,
    chart: ChartType,
    values: Any = None,
    numerators: Any = None,
    denominators: Any = None,
    better: Better,
    alpha: float = 0.05,
) -> SPCResult:
    """Build an SPC chart with limits frozen on the baseline and flag the NHS rules.

    Parameters
    ----------
    periods : sequence of date-like
        One period per observation (``datetime.date``, ``datetime``, ``pd.Timestamp`` or ISO
        string); normalised to calendar dates. Input order does not matter: points are sorted
        by period.
    intervention : date
        Periods strictly before this date form the baseline; periods on or after it are the
        "after" points.
    chart : {"xmr", "p", "u"}
        XmR for continuous values, p for proportions, u for rates (count per exposure).
    values : sequence of float, optional
        The measurements; required for (and only for) ``chart="xmr"``.
    numerators, denominators : sequence of float, optional
        Successes and trials (p) or counts and exposure (u); required for p and u.
    better : {"higher", "lower"}
        Which direction is an improvement; sets each signal's direction.
    alpha : float, default 0.05
        The effect interval is a ``1 - alpha`` interval.

    Returns
    -------
    SPCResult
        Limits, points, signals and the before/after effect.

    Raises
    ------
    InsufficientData
        ``duplicate_periods`` (two observations on the same date), ``invalid_counts`` (p/u:
        a denominator or exposure ≤ 0, a negative numerator, a numerator above its denominator
        on a p chart, or a missing number), ``invalid_values`` (XmR: a missing or infinite
        value), ``too_few_baseline_points`` (fewer than 8; fewer than 15 only adds a note,
        since NHS guidance asks for 12 to 20 for reliable limits) and ``no_post_periods``.
        Checked in that order.
    ValueError
        Misuse: an unknown chart or ``better``, ``alpha`` outside (0, 1), the wrong inputs for
        the chart, or inputs of different lengths.

    Notes
    -----
    XmR: centre = baseline mean; the moving ranges ``|x_i - x_{i-1}|`` of consecutive baseline
    points are screened once (ranges ≥ 3.267 × mean MR are dropped and the mean recomputed
    from the rest); limits = centre ± 2.66 × mean MR. p: centre p̄ = Σnum/Σden over the
    baseline, limits p̄ ± 3·sqrt(p̄(1 − p̄)/n_i) clipped to [0, 1]. u: ū = Σcount/Σexposure,
    limits ū ± 3·sqrt(ū/e_i), the lower clipped at 0. The 2/3 lines are centre ± 2/3 of the
    distance to the *unclipped* limit (two sigma), so clipping a limit at 0 or 1 does not pull
    the 2/3 line towards the centre.

    The effect interval is approximate. XmR: sigma = mean MR / 1.128 (the short-term,
    within-process variation, assumed the same after the intervention and ignoring
    autocorrelation), ``se = sigma·sqrt(1/n_before + 1/n_after)``, normal p-value and interval.
    p and u: Wald interval on the pooled proportions or rates (binomial or Poisson variation,
    no over-dispersion between periods). With no variation (se = 0) the interval collapses to
    the estimate and the p-value is None.
    """
    _check_arguments(chart, better, alpha)
    data = _tidy(periods, chart=chart, values=values, num=numerators, den=denominators)
    cut = day(intervention)
    is_before = data.period < cut
    n_before = int(is_before.sum())
    n_after = len(data.period) - n_before
    notes: list[Note] = []

    if n_before < MIN_BASELINE_POINTS:
        raise InsufficientData(
            "too_few_baseline_points",
            f"Er zijn {n_before} perioden vóór de interventie; een SPC-kaart heeft er minstens "
            f"{MIN_BASELINE_POINTS} nodig (liever 15 tot 20).",
            f"There are {n_before} periods before the intervention; an SPC chart needs at least "
            f"{MIN_BASELINE_POINTS} (preferably 15 to 20).",
        )
    if n_after == 0:
        raise InsufficientData(
            "no_post_periods",
            "Er zijn geen perioden op of na de interventiedatum.",
            "There are no periods on or after the intervention date.",
        )
    if n_before < RECOMMENDED_BASELINE_POINTS:
        notes.append(
            Note(
                "short_baseline",
                f"De grenzen rusten op maar {n_before} basisperioden (liever 15 tot 20); "
                "ze zijn nog onzeker.",
                f"The limits rest on only {n_before} baseline periods (preferably 15 to 20); "
                "they are still uncertain.",
            )
        )

    value = data.value
    z = float(special.ndtri(1 - alpha / 2))
    mean_mr: float | None = None
    screened = 0
    if chart == "xmr":
        base = value[is_before]
        center = float(base.mean())
        mean_mr, screened = _screened_mean_moving_range(base)
        half = XMR_LIMIT_FACTOR * mean_mr
        lower = np.full(len(value), center - half)
        upper = np.full(len(value), center + half)
        inner_lower = np.full(len(value), center - 2 / 3 * half)
        inner_upper = np.full(len(value), center + 2 / 3 * half)
        baseline_mean, after_mean = center, float(value[~is_before].mean())
        sigma = mean_mr / D2
        se = sigma * math.sqrt(1 / n_before + 1 / n_after)
        if screened:
            notes.append(
                Note(
                    "moving_ranges_screened",
                    f"{screened} uitschieter(s) in de bewegende variatie zijn buiten de "
                    "berekening van de grenzen gelaten.",
                    f"{screened} outlying moving range(s) were left out of the limits.",
                )
            )
    else:
        num, den = data.num, data.den
        assert num is not None and den is not None
        center = float(num[is_before].sum() / den[is_before].sum())
        after_mean = float(num[~is_before].sum() / den[~is_before].sum())
        baseline_mean = center
        if chart == "p":
            sd = np.sqrt(center * (1 - center) / den)
            se = math.sqrt(
                center * (1 - center) / den[is_before].sum()
                + after_mean * (1 - after_mean) / den[~is_before].sum()
            )
        else:
            sd = np.sqrt(center / den)
            se = math.sqrt(center / den[is_before].sum() + after_mean / den[~is_before].sum())
        ceiling = 1.0 if chart == "p" else math.inf
        lower = np.clip(center - 3 * sd, 0.0, ceiling)
        upper = np.clip(center + 3 * sd, 0.0, ceiling)
        inner_lower = center - 2 * sd
        inner_upper = center + 2 * sd
    if np.all(upper - lower == 0):
        notes.append(
            Note(
                "no_baseline_variation",
                "De basisperiode laat geen variatie zien; de grenzen vallen samen met de "
                "middenlijn.",
                "The baseline shows no variation; the limits coincide with the centre line.",
            )
        )

    rule_of, direction_of = _apply_rules(
        value,
        center=center,
        lower=lower,
        upper=upper,
        inner_lower=inner_lower,
        inner_upper=inner_upper,
    )
    dates = to_dates(data.period)
    points: list[SPCPoint] = []
    signals: list[SPCSignal] = []
    for i, period in enumerate(dates):
        rule = rule_of[i]
        direction = _direction(direction_of[i], better) if rule is not None else None
        points.append(
            SPCPoint(
                period=period,
                phase="baseline" if is_before[i] else "after",
                value=float(value[i]),
                center=center,
                lower=float(lower[i]),
                upper=float(upper[i]),
                inner_lower=float(inner_lower[i]),
                inner_upper=float(inner_upper[i]),
                rule=rule,
                direction=direction,
            )
        )
        if rule is not None and direction is not None:
            signals.append(SPCSignal(period, rule, direction))

    if chart == "xmr":
        limits = SPCLimits(
            center=center,
            lower=float(lower[0]),
            upper=float(upper[0]),
            inner_lower=float(inner_lower[0]),
            inner_upper=float(inner_upper[0]),
        )
    else:
        limits = SPCLimits(
            center=center,
            lower=tuple(float(x) for x in lower),
            upper=tuple(float(x) for x in upper),
            inner_lower=tuple(float(x) for x in inner_lower),
            inner_upper=tuple(float(x) for x in inner_upper),
        )

    return SPCResult(
        chart=chart,
        better=better,
        intervention=to_dates(np.array([cut]))[0],
        limits=limits,
        points=tuple(points),
        signals=tuple(signals),
        baseline_mean=baseline_mean,
        after_mean=after_mean,
        effect=_effect(after_mean - baseline_mean, se, z),
        n_before=n_before,
        n_after=n_after,
        mean_moving_range=mean_mr,
        screened_moving_ranges=screened,
        alpha=alpha,
        notes=tuple(notes),
    )


def _check_arguments(chart: str, better: str, alpha: float) -> None:
    if chart not in ("xmr", "p", "u"):
        raise ValueError(f"chart must be 'xmr', 'p' or 'u', not {chart!r}")
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', not {better!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")


class _Tidy(NamedTuple):
    """One point per period, sorted: days, values (the ratio for p/u), numerators, denominators."""

    period: np.ndarray
    value: np.ndarray
    num: np.ndarray | None
    den: np.ndarray | None


def _tidy(periods: Any, *, chart: str, values: Any, num: Any, den: Any) -> _Tidy:
    """One row per period, sorted, validated; raises InsufficientData for data problems."""
    if chart == "xmr":
        if values is None or num is not None or den is not None:
            raise ValueError("an XmR chart takes values (and no numerators/denominators)")
        columns = {"value": values}
    else:
        if num is None or den is None or values is not None:
            raise ValueError(f"a {chart} chart takes numerators and denominators (no values)")
        columns = {"num": num, "den": den}
    period = as_days(periods)
    if np.isnat(period).any():
        raise ValueError("every period must be a date")
    arrays: dict[str, np.ndarray] = {}
    for name, column in columns.items():
        array = np.asarray(column, dtype=float)
        if array.shape != (len(period),):
            raise ValueError(f"{name} must have one number per period ({len(period)})")
        arrays[name] = array

    duplicate = first_duplicate(period)
    if duplicate is not None:
        first = duplicate.isoformat()
        raise InsufficientData(
            "duplicate_periods",
            f"De periode {first} komt meer dan eens voor; een SPC-kaart heeft één waarde per "
            "periode nodig.",
            f"The period {first} occurs more than once; an SPC chart needs one value per period.",
        )
    order = np.argsort(period, kind="stable")
    period = period[order]
    arrays = {name: array[order] for name, array in arrays.items()}

    if chart == "xmr":
        bad = ~np.isfinite(arrays["value"])
        if bad.any():
            where = to_dates(period[bad][:1])[0].isoformat()
            raise InsufficientData(
                "invalid_values",
                f"De waarde voor {where} ontbreekt of is geen eindig getal.",
                f"The value for {where} is missing or not a finite number.",
            )
        return _Tidy(period, arrays["value"], None, None)
    n, d = arrays["num"], arrays["den"]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        bad = ~np.isfinite(n) | ~np.isfinite(d) | (d <= 0) | (n < 0)
        if chart == "p":
            bad |= n > d
        # A rate that overflows (a count over a vanishing exposure) is not usable either.
        bad |= ~np.isfinite(n / d)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = to_dates(period[i : i + 1])[0].isoformat()
        what = "teller/noemer" if chart == "p" else "aantal/blootstelling"
        what_en = "numerator/denominator" if chart == "p" else "count/exposure"
        raise InsufficientData(
            "invalid_counts",
            f"Ongeldige {what} voor {where}: {n[i]:g}/{d[i]:g}.",
            f"Invalid {what_en} for {where}: {n[i]:g}/{d[i]:g}.",
        )
    return _Tidy(period, n / d, n, d)


def _screened_mean_moving_range(baseline: np.ndarray) -> tuple[float, int]:
    """Mean moving range of the baseline after one screening pass, and how many were dropped."""
    ranges = np.abs(np.diff(baseline))
    mean_mr = float(ranges.mean())
    if mean_mr == 0:
        # Every range is 0; "≥ 3.267 × 0" would otherwise screen them all out.
        return 0.0, 0
    keep = ranges < MR_SCREEN_FACTOR * mean_mr
    return float(ranges[keep].mean()), int((~keep).sum())


def _close(x: np.ndarray, line: np.ndarray | float) -> np.ndarray:
    return np.abs(x - line) <= _REL_TOL * np.maximum(np.abs(x), np.abs(line))


def _above(x: np.ndarray, line: np.ndarray | float) -> np.ndarray:
    return (x > line) & ~_close(x, line)


def _below(x: np.ndarray, line: np.ndarray | float) -> np.ndarray:
    return (x < line) & ~_close(x, line)


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal runs of equal non-zero labels as (start, stop, label), stop exclusive."""
    runs = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            if labels[start] != 0:
                runs.append((start, i, int(labels[start])))
            start = i
    return runs


def _apply_rules(
    value: np.ndarray,
    *,
    center: float,
    lower: np.ndarray,
    upper: np.ndarray,
    inner_lower: np.ndarray,
    inner_upper: np.ndarray,
) -> tuple[list[Rule | None], list[int]]:
    """Each point's first applicable rule and its side or trend (+1 higher, -1 lower)."""
    n = len(value)
    found: dict[Rule, dict[int, int]] = {rule: {} for rule in RULES}

    side = np.where(_above(value, upper), 1, np.where(_below(value, lower), -1, 0))
    found["outside_limits"] = {i: int(side[i]) for i in np.flatnonzero(side)}

    # Steps compare raw values exactly: equal values are a tie and break the trend.
    step = np.sign(np.diff(value)).astype(int)
    for start, stop, sign in _runs(step):
        if stop - start >= RUN_LENGTH - 1:
            for i in range(start, stop + 1):
                # A peak shared by a rising and a falling run keeps the first run's direction.
                found["trend"].setdefault(i, sign)

    beyond = np.where(_above(value, inner_upper), 1, np.where(_below(value, inner_lower), -1, 0))
    for i in range(n):
        for j in range(i + 1, min(i + 3, n)):
            if beyond[i] != 0 and beyond[i] == beyond[j]:
                found["two_of_three"][i] = found["two_of_three"][j] = int(beyond[i])

    side = np.where(_above(value, center), 1, np.where(_below(value, center), -1, 0))
    for start, stop, sign in _runs(side):
        if stop - start >= RUN_LENGTH:
            for i in range(start, stop):
                found["shift"][i] = sign

    rule_of: list[Rule | None] = [None] * n
    direction_of = [0] * n
    for i in range(n):
        for rule in RULES:
            if i in found[rule]:
                rule_of[i], direction_of[i] = rule, found[rule][i]
                break
    return rule_of, direction_of


def _direction(sign: int, better: str) -> Direction:
    return "improvement" if (sign > 0) == (better == "higher") else "concern"


def _effect(estimate: float, se: float, z: float) -> Estimate:
    if se == 0 or not math.isfinite(se):
        return Estimate(estimate=estimate, se=se, ci_low=estimate, ci_high=estimate, p_value=None)
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        p_value=float(2 * special.ndtr(-abs(estimate) / se)),
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value: float, lang: str) -> str:
    if not math.isfinite(value):
        return "–"
    text = f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"
    if lang == "en":
        return text
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
