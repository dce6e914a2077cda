"""What a design needs, and its minimal detectable effect: checked against statsmodels' power
calculations, the textbook formula, and (for the interrupted time series) a simulation of the
analysis the app really runs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import linalg, stats
from statsmodels.stats.power import TTestIndPower, TTestPower

from tracker.analysis.engine import AnalysisSpec, analyze
from tracker.analysis.power import (
    DesignNeeds,
    design_needs,
    minimum_detectable_effect,
)
from tracker.analysis.prepare import MIN_ITS_PERIODS_EACH_SIDE
from tracker.analysis.spc import MIN_BASELINE_POINTS

START = dt.date(2021, 1, 1)


def ar1_noise(rng: np.random.Generator, n: int, sd: float, rho: float) -> np.ndarray:
    """Stationary AR(1) noise with marginal standard deviation ``sd``."""
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    innovations = rng.normal(0, sd * math.sqrt(1 - rho**2), n)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + innovations[i]
    return out


BASELINE = 40 + ar1_noise(np.random.default_rng(20240501), 18, 3.0, 0.4)


# --------------------------------------------------------------------------- design needs
@pytest.mark.parametrize(
    ("design", "before", "after", "comparison"),
    [
        ("prepost", 1, 1, False),
        ("its", MIN_ITS_PERIODS_EACH_SIDE, MIN_ITS_PERIODS_EACH_SIDE, False),
        ("did", 1, 1, True),
        ("spc", MIN_BASELINE_POINTS, 1, False),
        ("auto", 1, 1, False),
    ],
)
def test_design_needs_states_the_periods_and_the_comparison_group(
    design, before, after, comparison
):
    needs = design_needs(design)
    assert isinstance(needs, DesignNeeds)
    assert (needs.design, needs.min_periods_before, needs.min_periods_after) == (
        design,
        before,
        after,
    )
    assert needs.needs_comparison is comparison
    assert needs.text_nl and needs.text_en and needs.text_nl != needs.text_en


def test_design_needs_texts_name_the_numbers():
    assert "8 perioden vóór en 8 na" in design_needs("its").text_nl
    assert "at least 8 periods before the start (preferably 15)" in design_needs("spc").text_en
    assert "minstens 2 metingen aan elke kant" in design_needs("prepost").text_nl
    assert "comparison group" in design_needs("did").text_en
    auto = design_needs("auto").text_nl
    assert "verschil-in-verschillen" in auto and "onderbroken tijdreeks" in auto


def test_an_unknown_design_is_a_programming_error():
    with pytest.raises(ValueError, match="design"):
        design_needs("rct")


# --------------------------------------------------------------------------- prepost, did, spc
@pytest.mark.parametrize(
    ("n_after", "alpha", "power"),
    [(18, 0.05, 0.8), (6, 0.05, 0.9), (30, 0.01, 0.8), (3, 0.10, 0.5)],
)
def test_prepost_mde_equals_the_two_sample_t_test_power_of_statsmodels(n_after, alpha, power):
    result = minimum_detectable_effect(
        BASELINE, design="prepost", n_after=n_after, alpha=alpha, power=power
    )
    sd = float(np.std(BASELINE, ddof=1))
    ratio = n_after / len(BASELINE)
    # Exact: statsmodels' power at our MDE is the power asked for. (Its own solver stops
    # about 1e-6 short, hence the looser second check.)
    achieved = TTestIndPower().power(
        effect_size=result.mde / sd, nobs1=len(BASELINE), ratio=ratio, alpha=alpha
    )
    assert achieved == pytest.approx(power, abs=1e-9)
    d = TTestIndPower().solve_power(nobs1=len(BASELINE), ratio=ratio, alpha=alpha, power=power)
    assert result.mde == pytest.approx(d * sd, rel=1e-5)
    assert result.baseline_sd == pytest.approx(sd)
    assert result.relative_mde == pytest.approx(result.mde / abs(BASELINE.mean()))
    assert (result.design, result.rho, result.n_before, result.n_after) == (
        "prepost",
        None,
        18,
        n_after,
    )


def test_prepost_mde_approaches_the_normal_formula_with_many_periods():
    baseline = np.random.default_rng(3).normal(100, 10, 400)
    result = minimum_detectable_effect(baseline, design="prepost", n_after=400)
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    expected = z * np.std(baseline, ddof=1) * math.sqrt(2 / 400)
    assert result.mde == pytest.approx(expected, rel=0.003)


def test_did_mde_is_the_prepost_mde_times_root_two():
    prepost = minimum_detectable_effect(BASELINE, design="prepost", n_after=12)
    did = minimum_detectable_effect(BASELINE, design="did", n_after=12)
    assert did.mde == pytest.approx(prepost.mde * math.sqrt(2), rel=1e-12)
    assert did.design == "did"


def test_spc_mde_is_the_normal_formula_with_sigma_from_the_mean_moving_range():
    result = minimum_detectable_effect(BASELINE, design="spc", n_after=10, power=0.9)
    sigma = np.abs(np.diff(BASELINE)).mean() / 1.128  # no moving range is screened out here
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.9)) * sigma * math.sqrt(1 / 18 + 1 / 10)
    assert result.mde == pytest.approx(expected, rel=1e-12)
    assert result.baseline_sd == pytest.approx(sigma, rel=1e-12)


# --------------------------------------------------------------------------- its
def test_its_mde_uses_the_gls_variance_of_the_average_effect_and_a_t_reference():
    result = minimum_detectable_effect(BASELINE, design="its", n_after=12)
    # Independent pieces: sd and rho of the deviations from the baseline trend, the GLS
    # covariance from statsmodels, the noncentral-t solution from TTestPower.
    trend = sm.OLS(BASELINE, sm.add_constant(np.arange(18.0))).fit()
    resid = trend.resid
    sd = math.sqrt(trend.ssr / 16)
    rho = min(max(float(resid[1:] @ resid[:-1] / (resid @ resid)), 0.0), 0.9)
    n = 30
    t = np.arange(1, n + 1, dtype=float)
    post = (t > 18).astype(float)
    x = np.column_stack([np.ones(n), t, post, np.cumsum(post) * post])
    gls = sm.GLS(np.zeros(n), x, sigma=linalg.toeplitz(rho ** np.arange(n))).fit()
    c = np.array([0, 0, 1, (12 + 1) / 2])
    se = sd * math.sqrt(c @ gls.normalized_cov_params @ c)
    df = n - 5
    # A one-sample t test on df + 1 observations has the same reference distribution and
    # noncentrality (effect size)·sqrt(df + 1) = mde / se.
    assert (result.baseline_sd, result.rho) == (pytest.approx(sd), pytest.approx(rho))
    achieved = TTestPower().power(
        effect_size=result.mde / se / math.sqrt(df + 1), nobs=df + 1, alpha=0.05
    )
    assert achieved == pytest.approx(0.8, abs=1e-9)


def test_its_mde_grows_with_autocorrelation():
    rng = np.random.default_rng(11)
    white = 40 + rng.normal(0, 3, 24)
    sticky = 40 + ar1_noise(rng, 24, 3.0, 0.8)
    calm = minimum_detectable_effect(white, design="its", n_after=24)
    correlated = minimum_detectable_effect(sticky, design="its", n_after=24)
    assert calm.rho < correlated.rho
    assert calm.mde / calm.baseline_sd < correlated.mde / correlated.baseline_sd


def test_an_its_level_jump_of_the_mde_is_found_in_about_power_of_simulated_series():
    """300 AR(1) series with the estimated sd and rho and a level jump equal to the MDE.

    The default ITS analysis (GLS with REML rho, t reference) should find the increase
    (interval above 0) in about 80% of them. The band 0.65–0.92 allows for the binomial
    error of 300 series (about ±0.07 at three standard errors) and for what the formula does
    not know: the analysis estimates rho from each series instead of knowing it, which costs
    a few points of power.
    """
    n_before, n_after = len(BASELINE), 18
    result = minimum_detectable_effect(BASELINE, design="its", n_after=n_after)
    assert result.mde is not None and result.baseline_sd is not None and result.rho is not None
    periods = pd.date_range(
        end=pd.Timestamp(START) - pd.offsets.MonthBegin(1), periods=n_before, freq="MS"
    ).append(pd.date_range(START, periods=n_after, freq="MS"))
    post = np.asarray(periods >= pd.Timestamp(START), dtype=float)
    spec = AnalysisSpec(intervention=START, design="its", seasonality="none", expect="increase")
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(300):
        noise = ar1_noise(rng, n_before + n_after, result.baseline_sd, result.rho)
        frame = pd.DataFrame({"period": periods, "value": 40 + result.mde * post + noise})
        analysis = analyze(frame, spec)
        assert analysis.design == "its"
        found += analysis.ci_low > 0
    assert 0.65 <= found / 300 <= 0.92


# --------------------------------------------------------------------------- no mde, and why
@pytest.mark.parametrize("baseline", [[], [12.0], [12.0, 14.0], [12.0, float("nan"), 14.0]])
def test_fewer_than_three_baseline_values_give_no_mde_but_a_reason(baseline):
    result = minimum_detectable_effect(baseline, design="prepost", n_after=12)
    assert (result.mde, result.relative_mde, result.baseline_sd) == (None, None, None)
    assert result.n_before == len([v for v in baseline if v == v])
    assert "vanaf 3" in result.text_nl and "from 3 on" in result.text_en


@pytest.mark.parametrize(
    ("design", "n_before", "n_after", "fragment"),
    [
        ("its", 7, 12, "minstens 8 perioden aan elke kant; er zijn er 7 vóór en 12 na"),
        ("its", 12, 5, "er zijn er 12 vóór en 5 na"),
        ("spc", 6, 12, "Een SPC-kaart vraagt minstens 8 perioden vóór de start"),
        ("prepost", 6, 1, "minstens 2 perioden na de start nodig; gepland zijn er 1"),
        ("did", 6, 0, "minstens 1 perioden na de start nodig; gepland zijn er 0"),
    ],
)
def test_too_few_periods_for_the_design_give_no_mde_but_a_reason(
    design, n_before, n_after, fragment
):
    result = minimum_detectable_effect(BASELINE[:n_before], design=design, n_after=n_after)
    assert result.mde is None
    assert fragment in result.text_nl


def test_one_period_after_is_enough_for_rates():
    result = minimum_detectable_effect(
        [0.2, 0.25, 0.22, 0.3], design="prepost", n_after=1, kind="proportion"
    )
    assert result.mde is not None


def test_a_baseline_without_spread_gives_no_mde():
    result = minimum_detectable_effect([5, 5, 5, 5], design="prepost", n_after=4)
    assert (result.mde, result.baseline_sd) == (None, 0.0)
    assert "variëren niet" in result.text_nl and "do not vary" in result.text_en


@pytest.mark.parametrize(
    ("n_after", "design"), [(MIN_ITS_PERIODS_EACH_SIDE, "its"), (7, "prepost")]
)
def test_auto_is_taken_as_the_design_the_periods_allow(n_after, design):
    assert minimum_detectable_effect(BASELINE, design="auto", n_after=n_after).design == design


def test_a_baseline_mean_of_zero_gives_no_relative_mde():
    result = minimum_detectable_effect([-1.0, 1.0, -2.0, 2.0], design="prepost", n_after=4)
    assert result.mde is not None and result.relative_mde is None
    assert "%" not in result.text_nl.split("(")[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"design": "rct", "n_after": 3},
        {"design": "prepost", "n_after": 3, "kind": "ratio"},
        {"design": "prepost", "n_after": 3, "alpha": 0},
        {"design": "prepost", "n_after": 3, "power": 1},
        {"design": "prepost", "n_after": 3, "power": 0.01, "alpha": 0.05},
        {"design": "prepost", "n_after": -1},
    ],
)
def test_impossible_arguments_are_programming_errors(kwargs):
    with pytest.raises(ValueError):
        minimum_detectable_effect([1.0, 2.0, 4.0], **kwargs)


# --------------------------------------------------------------------------- texts
def test_the_sentence_gives_the_mde_its_share_of_the_baseline_and_the_chances():
    baseline = [38.0, 42.0, 40.0, 36.0, 44.0, 40.0]  # mean 40, sd sqrt(8)
    result = minimum_detectable_effect(baseline, design="prepost", n_after=6)
    assert result.mde == pytest.approx(
        TTestIndPower().solve_power(nobs1=6, ratio=1, alpha=0.05, power=0.8) * math.sqrt(8)
    )
    assert round(result.mde, 3) == 5.079
    assert result.text_nl == (
        "Met 6 perioden voor en 6 na kan deze opzet een verandering van ongeveer 5,08 (13%) "
        "aantonen (80% kans, α = 5%)."
    )
    assert result.text_en == (
        "With 6 periods before and 6 after, this design can detect a change of about 5.08 "
        "(13%) (80% chance, α = 5%)."
    )
    assert result.summary("en") == result.text_en


def test_the_sentence_says_rates_were_used_for_proportions():
    result = minimum_detectable_effect(
        [0.2, 0.25, 0.22, 0.3], design="prepost", n_after=4, kind="proportion"
    )
    assert result.text_nl.endswith(", gerekend met de aandelen per periode.")
    assert result.text_en.endswith(", computed on per-period shares.")
