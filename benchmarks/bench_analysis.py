"""Analysis benchmark: a pilot of 10 hypotheses × 120 monthly points against the bare fits.

    .venv/bin/python -m benchmarks.bench_analysis [--repeat R] [--points N]

The pilot: 4 continuous series analysed as interrupted time series (the default: GLS with AR(1)
errors, rho by REML), 2 count series as interrupted time series (quasi-Poisson GLM with offset),
2 continuous series as SPC (XmR), 2 continuous series as pre/post (Welch). Contenders, in one
process, best of R:

- ours: ``analyze_many`` — preparing the tidy frames, choosing nothing (designs are given),
  fitting, diagnostics, verdicts, Holm across the primary hypotheses, result objects;
- baseline: the bare library calls that make the same fits on ready-made design matrices —
  ``scipy.optimize.minimize_scalar`` over the restricted AR(1) log-likelihood (written in numpy,
  as a user of scipy would) then ``statsmodels`` GLS with that AR(1) covariance; ``statsmodels``
  GLM Poisson with ``scale="X2"``; ``scipy.stats.ttest_ind``; numpy for the XmR centre line,
  moving ranges and limits.

Writes benchmarks/results/analysis.json. Target: time ratio ≤ 1.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import linalg, optimize, stats

from tracker.analysis.engine import AnalysisSpec, analyze_many

RESULTS = Path(__file__).resolve().parent / "results" / "analysis.json"
TARGET_TIME_RATIO = 1.5
PLAN = ["its"] * 4 + ["its_count"] * 2 + ["spc"] * 2 + ["prepost"] * 2


def make_pilot(points: int, seed: int = 2015) -> tuple[list[Any], dt.date]:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2015-01-01", periods=points, freq="MS")
    start = periods[points // 2].date()
    post = periods >= pd.Timestamp(start)
    frames = []
    for design in PLAN:
        if design == "its_count":
            exposure = np.full(points, 50_000.0)
            counts = rng.poisson(120 * 0.9**post)
            frames.append(pd.DataFrame({"period": periods, "count": counts, "exposure": exposure}))
        else:
            values = 40 + 0.05 * np.arange(points) - 3 * post + rng.normal(0, 2, points)
            frames.append(pd.DataFrame({"period": periods, "value": values}))
    return frames, start


def ours(frames: list[pd.DataFrame], start: dt.date) -> None:
    items = []
    for design, frame in zip(PLAN, frames, strict=True):
        kind = "count" if design == "its_count" else "continuous"
        spec = AnalysisSpec(
            intervention=start,
            kind=kind,
            design="its" if design == "its_count" else design,
            expect="decrease",
            min_effect=5,
            relative=True,
            seasonality="none",
        )
        items.append((frame, spec, True))
    analyze_many(items)


def baseline(frames: list[pd.DataFrame], start: dt.date) -> None:
    for design, frame in zip(PLAN, frames, strict=True):
        post = (frame["period"] >= pd.Timestamp(start)).to_numpy(float)
        n = len(frame)
        time_ = np.arange(1, n + 1, dtype=float)
        time_after = np.cumsum(post) * post
        x = sm.add_constant(np.column_stack([time_, post, time_after]))
        if design == "its":
            y = frame["value"].to_numpy()
            rho = optimize.minimize_scalar(
                _negative_restricted_loglik,
                args=(x, y),
                bounds=(-0.99, 0.99),
                method="bounded",
                options={"xatol": 1e-5},
            ).x
            sm.GLS(y, x, sigma=linalg.toeplitz(rho ** np.arange(n))).fit()
        elif design == "its_count":
            sm.GLM(
                frame["count"].to_numpy(float),
                x,
                family=sm.families.Poisson(),
                offset=np.log(frame["exposure"].to_numpy()),
            ).fit(scale="X2")
        elif design == "spc":
            values = frame["value"].to_numpy()
            base = values[post == 0]
            mr = np.abs(np.diff(base))
            mr = mr[mr < 3.267 * mr.mean()]
            centre, width = base.mean(), 2.66 * mr.mean()
            _ = (values > centre + width) | (values < centre - width)
        else:
            values = frame["value"].to_numpy()
            stats.ttest_ind(values[post == 1], values[post == 0], equal_var=False)


def _negative_restricted_loglik(rho: float, x: np.ndarray, y: np.ndarray) -> float:
    """−REML log-likelihood of AR(1) errors, via the Prais–Winsten transform."""

    def whiten(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        out[0] = np.sqrt(1 - rho**2) * z[0]
        out[1:] = z[1:] - rho * z[:-1]
        return out

    xs, ys = whiten(x), whiten(y)
    xtx = xs.T @ xs
    rss = np.sum((ys - xs @ np.linalg.solve(xtx, xs.T @ ys)) ** 2)
    n, k = x.shape
    return 0.5 * (n - k) * np.log(rss) - 0.5 * np.log(1 - rho**2) + 0.5 * np.linalg.slogdet(xtx)[1]


def best_of(func, repeat: int, *args: Any) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--points", type=int, default=120)
    args = parser.parse_args(argv)
    frames, start = make_pilot(args.points)
    ours(frames, start)  # warm up imports and caches for both
    baseline(frames, start)
    t_ours = best_of(ours, args.repeat, frames, start)
    t_base = best_of(baseline, args.repeat, frames, start)
    ratio = t_ours / t_base
    met = ratio <= TARGET_TIME_RATIO
    print(
        f"analysis benchmark: {len(PLAN)} hypotheses × {args.points} monthly points, "
        f"best of {args.repeat}"
    )
    print(f"{'':10}{'seconds':>10}")
    print(f"{'ours':10}{t_ours:10.4f}")
    print(f"{'baseline':10}{t_base:10.4f}")
    print(f"{'ratio':10}{ratio:10.2f}")
    print(f"target: time ratio ≤ {TARGET_TIME_RATIO} → {'met' if met else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "hypotheses": len(PLAN),
                "points": args.points,
                "repeat": args.repeat,
                "seconds": {"ours": t_ours, "baseline": t_base},
                "ratio": ratio,
                "target": TARGET_TIME_RATIO,
                "met": met,
                "python": platform.python_version(),
                "machine": platform.machine(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
