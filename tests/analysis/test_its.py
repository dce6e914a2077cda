"""Interrupted time series: checked against statsmodels, the Sicily smoking-ban example and a
small simulation."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import linalg, stats

from tests.reference import SICILY
from tracker.analysis.estimates import InsufficientData
from tracker.analysis.its import (
    ar1_reml_rho,
    default_maxlags,
    fit_segmented,
    its_design,
    its_fit,
)

BAN = date(2005, 1, 1)


def monthly(n: int, start: str = "2020-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def noisy_series(n_before: int = 24, n_after: int = 24, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_before + n_after
    t = np.arange(1, n + 1)
    post = (t > n_before).astype(float)
    ta = np.where(post == 1, t - n_before, 0)
    season = 2 * np.sin(2 * np.pi * monthly(n).month / 12)
    y = 50 + 0.3 * t + 4 * post + 0.2 * ta + season + rng.normal(0, 1.5, n)
    return pd.DataFrame({"period": monthly(n), "value": y})


def intervention_of(n_before: int) -> date:
    return monthly(n_before + 1)[-1].date()


# --- Sicily (Bernal, Cummins & Gasparrini 2017) ------------------------------------------------


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    d = pd.read_csv(SICILY)
    d["period"] = pd.to_datetime({"year": d["year"], "month": d["month"], "day": 1})
    return d


def test_sicily_time_after_equals_published_slope_coding(sicily):
    # Published slope term (time − 36)·smokban is 1 at the first ban month, exactly our
    # time_after: the two parametrisations are identical, not merely shifted.
    design, _ = its_design(sicily["period"], intervention=BAN, seasonality="none")
    published = (sicily["time"] - 36) * sicily["smokban"]
    assert design["time_after"].tolist() == published.astype(float).tolist()
    assert design["post"].tolist() == sicily["smokban"].astype(float).tolist()
    assert design["time"].tolist() == sicily["time"].astype(float).tolist()


def test_sicily_published_level_only_model_via_fit_segmented(sicily):
    # Published parametrisation `smokban + time`, fitted through the explicit-regressor function.
    design = pd.DataFrame(
        {"const": 1.0, "smokban": sicily["smokban"], "time": sicily["time"]}, dtype=float
    )
    res = fit_segmented(design, sicily["aces"], kind="count", exposure=sicily["stdpop"])
    rr = np.exp(res.params["smokban"])
    low, high = np.exp(res.conf_int().loc["smokban"])
    assert (round(rr, 4), round(low, 4), round(high, 4)) == (0.8944, 0.8392, 0.9532)
    assert round(res.scale, 3) == 3.559


def test_sicily_published_harmonics_and_slope_via_its_fit(sicily):
    # Our own parametrisation (auto seasonality → 2 harmonics on 59 monthly periods)
    # reproduces the published full model.
    r = its_fit(
        sicily["period"],
        intervention=BAN,
        kind="count",
        counts=sicily["aces"],
        exposures=sicily["stdpop"],
    )
    assert r.seasonality_used == "fourier"
    assert (r.n_before, r.n_after) == (36, 23)
    lvl, slp = r.rate_ratio_level, r.rate_ratio_slope
    assert (round(lvl.estimate, 4), round(lvl.ci_low, 4), round(lvl.ci_high, 4)) == (
        0.8765,
        0.8268,
        0.9292,
    )
    assert round(slp.estimate, 4) == 1.0015
    assert round(slp.ci_high, 4) == 1.0051
    # Published 0.9979; statsmodels gives 0.997850 (R's printout rounded the 5 up): within 1e-4.
    assert slp.ci_low == pytest.approx(0.9979, abs=1e-4)
    # The dispersion 3.559 in the README belongs to the `smokban + time` model (tested above);
    # with harmonics and slope change it is 2.2746.
    assert round(r.dispersion, 4) == 2.2746
    assert r.se_type == "quasi-poisson(pearson)"


def test_count_fit_matches_direct_statsmodels_glm(sicily):
    # Our parametrisation against a hand-written formula GLM on the same data (no seasonality).
    d = sicily.assign(ta=(sicily["time"] - 36) * sicily["smokban"])
    direct = smf.glm(
        "aces ~ time + smokban + ta",
        d,
        family=sm.families.Poisson(),
        offset=np.log(d["stdpop"]),
    ).fit(scale="X2")
    r = its_fit(
        d["period"],
        intervention=BAN,
        kind="count",
        counts=d["aces"],
        exposures=d["stdpop"],
        seasonality="none",
    )
    ci = direct.conf_int()
    assert r.level_change.estimate == pytest.approx(direct.params["smokban"], abs=1e-8)
    assert r.slope_change.estimate == pytest.approx(direct.params["ta"], abs=1e-8)
    assert r.baseline_trend.estimate == pytest.approx(direct.params["time"], abs=1e-8)
    assert r.level_change.se == pytest.approx(direct.bse["smokban"], rel=1e-6)
    assert r.rate_ratio_level.ci_low == pytest.approx(np.exp(ci.loc["smokban", 0]), rel=1e-6)
    assert r.rate_ratio_slope.ci_high == pytest.approx(np.exp(ci.loc["ta", 1]), rel=1e-6)
    assert r.dispersion == pytest.approx(direct.scale, rel=1e-9)


def test_count_average_effect_is_ratio_of_sums_minus_one(sicily):
    r = its_fit(
        sicily["period"],
        intervention=BAN,
        kind="count",
        counts=sicily["aces"],
        exposures=sicily["stdpop"],
    )
    fitted = sum(p.fitted for p in r.counterfactual)
    cf = sum(p.counterfactual for p in r.counterfactual)
    assert r.average_effect.estimate == pytest.approx(fitted / cf - 1, rel=1e-12)
    assert r.average_effect.ci_low < r.average_effect.estimate < r.average_effect.ci_high
    assert len(r.counterfactual) == 23
    assert r.counterfactual[0].period == date(2005, 1, 1)
    assert r.counterfactual[0].observed == 831
    assert r.baseline == pytest.approx((sicily["aces"] / sicily["stdpop"])[:36].mean())


# --- continuous: against statsmodels OLS + HAC ------------------------------------------------


@pytest.mark.parametrize(
    ("seasonality", "extra"),
    [
        ("none", ""),
        ("fourier", " + sin1 + cos1 + sin2 + cos2"),
        ("months", " + C(month)"),
    ],
)
@pytest.mark.parametrize("maxlags", [None, 1, 5])
def test_continuous_matches_statsmodels_ols_hac(seasonality, extra, maxlags):
    d = noisy_series()
    n = len(d)
    d["time"] = np.arange(1, n + 1)
    d["post"] = (d["time"] > 24).astype(int)
    d["time_after"] = np.where(d["post"] == 1, d["time"] - 24, 0)
    d["month"] = d["period"].dt.month
    for k in (1, 2):
        d[f"sin{k}"] = np.sin(2 * np.pi * k * d["month"] / 12)
        d[f"cos{k}"] = np.cos(2 * np.pi * k * d["month"] / 12)
    lags = default_maxlags(n) if maxlags is None else maxlags
    direct = smf.ols("value ~ time + post + time_after" + extra, d).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True
    )
    r = its_fit(
        d["period"],
        intervention=intervention_of(24),
        kind="continuous",
        values=d["value"],
        maxlags=maxlags,
        seasonality=seasonality,
        errors="hac",
    )
    ci = direct.conf_int()
    assert r.seasonality_used == seasonality
    assert r.maxlags == lags
    assert r.se_type == f"HAC(maxlags={lags})"
    for name, est in [
        ("post", r.level_change),
        ("time_after", r.slope_change),
        ("time", r.baseline_trend),
    ]:
        assert est.estimate == pytest.approx(direct.params[name], abs=1e-6)
        assert est.ci_low == pytest.approx(ci.loc[name, 0], abs=1e-4)
        assert est.ci_high == pytest.approx(ci.loc[name, 1], abs=1e-4)
        assert est.p_value == pytest.approx(direct.pvalues[name], abs=1e-6)


@pytest.mark.parametrize(("n", "expected"), [(8, 2), (48, 3), (100, 4), (59, 3), (400, 5)])
def test_default_maxlags_is_newey_west_rule(n, expected):
    assert default_maxlags(n) == expected == math.floor(4 * (n / 100) ** (2 / 9))


def test_continuous_average_effect_is_linear_combination_with_delta_se():
    d = noisy_series()
    r = its_fit(
        d["period"],
        intervention=intervention_of(24),
        kind="continuous",
        values=d["value"],
        seasonality="none",
    )
    # a = mean over follow-up rows of (x − x_counterfactual) = [0, 0, 1, mean(1..24)]
    design, _ = its_design(d["period"], intervention=intervention_of(24), seasonality="none")
    res = fit_segmented(design, d["value"], kind="continuous")
    a = np.array([0.0, 0.0, 1.0, 12.5])
    assert r.average_effect.estimate == pytest.approx(a @ res.params.to_numpy(), abs=1e-9)
    assert r.average_effect.se == pytest.approx(
        math.sqrt(a @ res.cov_params().to_numpy() @ a), rel=1e-9
    )


@pytest.mark.parametrize("seasonality", ["none", "fourier", "months"])
def test_noise_free_series_gives_exact_estimates_and_counterfactual(seasonality):
    n_before, n_after = 24, 12
    t = np.arange(1, n_before + n_after + 1)
    post = t > n_before
    ta = np.where(post, t - n_before, 0)
    y = 10 + 0.25 * t + 5 * post + 0.5 * ta
    r = its_fit(
        monthly(len(t)),
        intervention=intervention_of(n_before),
        kind="continuous",
        values=y,
        seasonality=seasonality,
    )
    assert r.level_change.estimate == pytest.approx(5, abs=1e-9)
    assert r.slope_change.estimate == pytest.approx(0.5, abs=1e-9)
    assert r.baseline_trend.estimate == pytest.approx(0.25, abs=1e-9)
    assert r.level_change.se == 0 and r.level_change.p_value is None
    assert r.level_change.ci_low == r.level_change.ci_high == r.level_change.estimate
    # Follow-up period k (time 24 + k): counterfactual 10 + 0.25·(24 + k), fitted adds 5 + 0.5·k.
    for k, point in enumerate(r.counterfactual, start=1):
        assert point.counterfactual == pytest.approx(10 + 0.25 * (24 + k), abs=1e-9)
        assert point.fitted == pytest.approx(point.counterfactual + 5 + 0.5 * k, abs=1e-9)
        assert point.observed == pytest.approx(point.fitted, abs=1e-9)
    # mean of 5 + 0.5·k over k = 1..12 = 5 + 0.5·6.5
    assert r.average_effect.estimate == pytest.approx(8.25, abs=1e-9)
    assert r.baseline == pytest.approx(np.mean(y[:n_before]))
    assert any("exactly" in note for note in r.notes)


def test_noise_free_series_with_ar1_errors_falls_back_to_exact_ols():
    t = np.arange(1, 21)
    y = 3 + t + 5 * (t > 10)
    r = its_fit(
        monthly(20),
        intervention=intervention_of(10),
        kind="continuous",
        values=y,
        errors="ar1",
    )
    assert r.level_change.estimate == pytest.approx(5, abs=1e-9)
    assert r.se_type.startswith("HAC")


@pytest.mark.parametrize(
    ("n", "seasonality", "expected"),
    [(24, "auto", "fourier"), (23, "auto", "none"), (30, "none", "none"), (30, "months", "months")],
)
def test_seasonality_choice_is_reported(n, seasonality, expected):
    d = noisy_series(n_before=n // 2, n_after=n - n // 2)
    r = its_fit(
        d["period"],
        intervention=intervention_of(n // 2),
        kind="continuous",
        values=d["value"],
        seasonality=seasonality,
    )
    assert r.seasonality_used == expected


def test_auto_seasonality_is_none_for_non_monthly_periods():
    periods = pd.date_range("2020-01-06", periods=30, freq="W-MON")
    y = np.random.default_rng(1).normal(size=30)
    r = its_fit(periods, intervention=periods[15].date(), kind="continuous", values=y)
    assert r.seasonality_used == "none"


def test_unsorted_input_gives_the_same_result_as_sorted():
    d = noisy_series()
    shuffled = d.sample(frac=1, random_state=3)
    kwargs = {"intervention": intervention_of(24), "kind": "continuous"}
    a = its_fit(d["period"], values=d["value"], **kwargs)
    b = its_fit(shuffled["period"], values=shuffled["value"], **kwargs)
    assert a.to_dict() == b.to_dict()


def test_first_period_on_the_intervention_date_is_post_and_time_after_counts_from_one():
    periods = monthly(10)
    design, _ = its_design(periods, intervention=date(2020, 5, 15), seasonality="none")
    # 2020-05-01 is before 15 May; the first period on or after it is 2020-06-01.
    assert design["post"].tolist() == [0] * 5 + [1] * 5
    assert design["time_after"].tolist() == [0] * 5 + [1, 2, 3, 4, 5]
    design, _ = its_design(periods, intervention=date(2020, 5, 1), seasonality="none")
    assert design["time_after"].tolist() == [0] * 4 + [1, 2, 3, 4, 5, 6]


def test_diagnostics_flag_autocorrelated_residuals():
    rng = np.random.default_rng(11)
    e = np.zeros(60)
    for i in range(1, 60):
        e[i] = 0.9 * e[i - 1] + rng.normal()
    r = its_fit(
        monthly(60),
        intervention=intervention_of(30),
        kind="continuous",
        values=e,
        seasonality="none",
    )
    assert r.autocorrelation_seen
    assert r.lag1_autocorrelation > 0.5
    assert r.durbin_watson < 1


def test_to_dict_is_json_safe_and_summary_mentions_the_method():
    import json

    d = noisy_series()
    r = its_fit(d["period"], intervention=intervention_of(24), kind="continuous", values=d["value"])
    out = json.loads(json.dumps(r.to_dict()))
    assert out["counterfactual"][0]["period"] == "2022-01-01"
    assert out["level_change"]["estimate"] == r.level_change.estimate
    assert out["maxlags"] is None
    assert "AR(1) GLS (REML rho=" in r.summary()
    hac = its_fit(
        d["period"],
        intervention=intervention_of(24),
        kind="continuous",
        values=d["value"],
        errors="hac",
    )
    assert "HAC(maxlags=3)" in hac.summary()


# --- insufficient data -----------------------------------------------------------------------


def _raises(code: str, **kwargs) -> None:
    with pytest.raises(InsufficientData) as info:
        its_fit(**kwargs)
    assert info.value.code == code
    assert info.value.message_nl and info.value.message_en


@pytest.mark.parametrize(
    ("code", "periods", "values", "intervention"),
    [
        ("no_pre_periods", monthly(10), list(range(10)), date(2019, 1, 1)),
        ("no_post_periods", monthly(10), list(range(10)), date(2021, 1, 1)),
        ("too_few_points", monthly(10), list(range(10)), intervention_of(2)),
        ("too_few_points", monthly(10), list(range(10)), intervention_of(8)),
        ("too_few_points", monthly(7), list(range(7)), intervention_of(4)),
        ("too_few_points", monthly(12), [1, 2] * 6, intervention_of(6)),  # months: 15 terms
        ("duplicate_periods", [*monthly(10), monthly(10)[3]], list(range(11)), intervention_of(5)),
        ("constant_series", monthly(10), [4.0] * 10, intervention_of(5)),
    ],
)
def test_continuous_insufficient_data_codes(code, periods, values, intervention):
    seasonality = "months" if len(values) == 12 else "auto"
    _raises(
        code,
        periods=periods,
        values=values,
        intervention=intervention,
        kind="continuous",
        seasonality=seasonality,
    )


@pytest.mark.parametrize(
    ("code", "counts", "exposures"),
    [
        ("negative_count", [5, 6, -1, 7, 5, 6, 8, 9, 7, 8], [100] * 10),
        ("non_positive_exposure", [5, 6, 1, 7, 5, 6, 8, 9, 7, 8], [100] * 9 + [0]),
        ("constant_series", [0] * 10, [100] * 10),
    ],
)
def test_count_insufficient_data_codes(code, counts, exposures):
    _raises(
        code,
        periods=monthly(10),
        counts=counts,
        exposures=exposures,
        intervention=intervention_of(5),
        kind="count",
    )


def test_constant_but_nonzero_counts_are_fitted():
    r = its_fit(
        monthly(10),
        intervention=intervention_of(5),
        kind="count",
        counts=[7] * 10,
        exposures=[100] * 10,
    )
    assert r.rate_ratio_level.estimate == pytest.approx(1, abs=1e-6)
    assert r.dispersion == pytest.approx(0, abs=1e-12)
    assert r.se_type == "poisson"


# --- simulation: the verdict under AR(1) noise ------------------------------------------------

N_SERIES, RHO, DELTA = 400, 0.5, 1.0
CLAIMS = ("supported", "partly_supported", "contrary")


def _ar1_noise(rng: np.random.Generator, n: int = 48) -> np.ndarray:
    shocks = rng.normal(0, math.sqrt(1 - RHO**2), n)  # unit marginal SD: δ = 1 noise SD
    e = np.empty(n)
    e[0] = rng.normal()
    for i in range(1, n):
        e[i] = RHO * e[i - 1] + shocks[i]
    return e


def _simulate_verdicts(
    n_periods: int, effect: float, n_series: int = N_SERIES
) -> tuple[dict[str, int], float]:
    """Verdicts of the engine's default its analysis (expect an increase of at least δ) on
    ``n_series`` series with a trend, AR(1) noise and a level jump of ``effect`` at the midpoint;
    also the share whose level-change interval lies above 0."""
    from tracker.analysis.engine import AnalysisSpec, analyze

    rng = np.random.default_rng(20240601 + n_periods)
    periods = monthly(n_periods)
    half = n_periods // 2
    spec = AnalysisSpec(
        intervention=periods[half].date(),
        design="its",
        expect="increase",
        min_effect=DELTA,
        seasonality="none",
    )
    step = (np.arange(n_periods) >= half).astype(float)
    verdicts: dict[str, int] = {}
    level_found = 0
    for _ in range(n_series):
        y = 10 + 0.1 * np.arange(1, n_periods + 1) + effect * step + _ar1_noise(rng, n_periods)
        result = analyze(pd.DataFrame({"period": periods, "value": y}), spec)
        assert result.se_type.startswith("AR(1) GLS")
        verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1
        level_found += result.details["level_change"]["ci_low"] > 0
    return verdicts, level_found / n_series


# (series, bound) per length. T = 120: the 400 series must stay within 8%. T = 48: the
# long-run rate is about 8.1% (0.081 in 4,000 series), at the edge of "about 8%", and 400
# series read anywhere from about 5% to 11% by chance, so this length runs 2,000 series
# (standard error about 0.6 points) against 9%.
NULL_RUNS = {120: (400, 0.08), 48: (2000, 0.09)}


@pytest.mark.parametrize("n_periods", sorted(NULL_RUNS))
def test_simulation_verdict_rarely_claims_an_effect_that_is_not_there(n_periods):
    n_series, bound = NULL_RUNS[n_periods]
    verdicts, _ = _simulate_verdicts(n_periods, effect=0.0, n_series=n_series)
    claims = sum(verdicts.get(v, 0) for v in CLAIMS) / n_series
    print(
        f"\nno effect, T={n_periods}, rho={RHO}, {n_series} series: {verdicts}; "
        f"claims an effect: {claims:.3f}"
    )
    assert claims <= bound


def test_simulation_verdict_finds_an_effect_of_twice_delta():
    verdicts, _ = _simulate_verdicts(120, effect=2 * DELTA)
    found = (verdicts.get("supported", 0) + verdicts.get("partly_supported", 0)) / N_SERIES
    print(f"\neffect 2δ, T=120, rho={RHO}: {verdicts}; found: {found:.3f}")
    assert found > 0.5
    assert verdicts.get("contrary", 0) == 0


def test_simulation_short_series_finds_the_level_jump_but_the_average_effect_less_often():
    # At T = 48 the verdict (on the average effect over the follow-up, which carries the
    # uncertainty of the slope change) finds 2δ in about 4 of 10 series; the level change
    # itself is found in most. The closing note and README report both.
    verdicts, level_found = _simulate_verdicts(48, effect=2 * DELTA)
    found = (verdicts.get("supported", 0) + verdicts.get("partly_supported", 0)) / N_SERIES
    print(f"\neffect 2δ, T=48: {verdicts}; verdict found {found:.3f}, level {level_found:.3f}")
    assert level_found > 0.5
    assert 0.25 < found < level_found


def test_reml_rho_maximises_the_restricted_likelihood_and_gls_matches_statsmodels():
    rng = np.random.default_rng(5)
    design, _ = its_design(monthly(48), intervention=intervention_of(24), seasonality="none")
    y = 10 + 0.1 * design["time"] + _ar1_noise(rng)
    x = design.to_numpy(dtype=float)
    rho = ar1_reml_rho(x, y.to_numpy())

    def restricted_loglik(r: float) -> float:
        w = np.sqrt(1 - r**2)
        xs = np.vstack([w * x[:1], x[1:] - r * x[:-1]])
        ys = np.concatenate([[w * y.iloc[0]], y.to_numpy()[1:] - r * y.to_numpy()[:-1]])
        beta = np.linalg.lstsq(xs, ys, rcond=None)[0]
        rss = np.sum((ys - xs @ beta) ** 2)
        n, k = x.shape
        return (
            -0.5 * (n - k) * np.log(rss)
            + 0.5 * np.log(1 - r**2)
            - 0.5 * np.linalg.slogdet(xs.T @ xs)[1]
        )

    grid = np.linspace(-0.98, 0.98, 1961)
    assert rho == pytest.approx(grid[np.argmax([restricted_loglik(r) for r in grid])], abs=2e-3)
    res = fit_segmented(design, y, kind="continuous", errors="ar1")
    direct = sm.GLS(y, design, sigma=linalg.toeplitz(rho ** np.arange(len(y)))).fit()
    assert np.allclose(res.params, direct.params, atol=1e-6)
    assert np.allclose(res.bse, direct.bse, atol=1e-6)
    assert res.df_t == direct.df_resid - 1


# --- the numpy paths against their statsmodels reference -------------------------------------


@pytest.mark.parametrize("seasonality", ["none", "fourier", "months"])
def test_ar1_default_matches_statsmodels_gls_at_the_reml_rho(seasonality):
    d = noisy_series(n_before=30, n_after=30, seed=3)
    r = its_fit(
        d["period"],
        intervention=intervention_of(30),
        kind="continuous",
        values=d["value"],
        seasonality=seasonality,
    )
    design, _ = its_design(d["period"], intervention=intervention_of(30), seasonality=seasonality)
    rho = ar1_reml_rho(design.to_numpy(), d["value"].to_numpy())
    direct = sm.GLS(
        d["value"].to_numpy(), design, sigma=linalg.toeplitz(rho ** np.arange(60))
    ).fit()
    crit = stats.t.ppf(0.975, direct.df_resid - 1)
    assert r.se_type == f"AR(1) GLS (REML rho={rho:.3f})"
    for name, est in [
        ("post", r.level_change),
        ("time_after", r.slope_change),
        ("time", r.baseline_trend),
    ]:
        assert est.estimate == pytest.approx(direct.params[name], abs=1e-6)
        assert est.se == pytest.approx(direct.bse[name], rel=1e-6)
        assert est.ci_low == pytest.approx(direct.params[name] - crit * direct.bse[name], abs=1e-4)
        assert est.ci_high == pytest.approx(direct.params[name] + crit * direct.bse[name], abs=1e-4)
        t = direct.params[name] / direct.bse[name]
        assert est.p_value == pytest.approx(2 * stats.t.sf(abs(t), direct.df_resid - 1), abs=1e-6)
    for point, fitted in zip(r.counterfactual, direct.fittedvalues[30:], strict=True):
        assert point.fitted == pytest.approx(fitted, abs=1e-6)


def test_residual_diagnostics_match_statsmodels():
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    from tracker.analysis.its import _autocorrelation

    rng = np.random.default_rng(8)
    for n in (8, 13, 48, 120):
        resid = np.cumsum(rng.normal(size=n)) * 0.3 + rng.normal(size=n)
        dw, r1, p = _autocorrelation(resid)
        e = resid - resid.mean()
        assert dw == pytest.approx(durbin_watson(resid), rel=1e-12)
        assert r1 == pytest.approx(e[1:] @ e[:-1] / (e @ e), rel=1e-12)
        lb = acorr_ljungbox(resid, lags=max(1, min(6, n // 4)))
        assert p == pytest.approx(lb["lb_pvalue"].min(), rel=1e-9)


def test_count_fit_is_one_poisson_fit_with_pearson_scaled_covariance(sicily):
    r = its_fit(
        sicily["period"],
        intervention=BAN,
        kind="count",
        counts=sicily["aces"],
        exposures=sicily["stdpop"],
        seasonality="fourier",
    )
    design, _ = its_design(sicily["period"], intervention=BAN, seasonality="fourier")
    direct = fit_segmented(design, sicily["aces"], kind="count", exposure=sicily["stdpop"])
    assert r.level_change.se == pytest.approx(direct.bse["post"], rel=1e-9)
    assert r.slope_change.p_value == pytest.approx(direct.pvalues["time_after"], rel=1e-9)
