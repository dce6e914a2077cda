"""Pre/post comparison: each method against an independent scipy/statsmodels computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import rates as sm_rates
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from tracker.analysis.estimates import InsufficientData
from tracker.analysis.prepost import (
    PrePostResult,
    prepost_continuous,
    prepost_proportion,
    prepost_proportion_from_rows,
    prepost_rate,
    prepost_rate_from_rows,
)

# --------------------------------------------------------------------------- continuous

_RNG = np.random.default_rng(20261124)

CONTINUOUS_CASES = {
    "small_integers": ([1, 2, 3, 4, 5.5], [2, 4, 5, 7, 8]),
    "unequal_sizes_and_spread": (
        list(_RNG.normal(10, 1, 8)),
        list(_RNG.normal(12, 4, 23)),
    ),
    "decrease": (list(_RNG.normal(42, 5, 12)), list(_RNG.normal(35, 6, 12))),
    "two_points_each": ([3.0, 4.0], [10.0, 15.0]),
    "one_side_constant": ([5.0, 5.0, 5.0], [4.0, 6.0, 9.0, 1.0]),
}


# scipy warns about the constant side of "one_side_constant"; the reference is still right.
@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
@pytest.mark.parametrize(("before", "after"), CONTINUOUS_CASES.values(), ids=CONTINUOUS_CASES)
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_continuous_matches_scipy_welch_and_statsmodels_interval(before, after, alpha):
    result = prepost_continuous(before, after, alpha=alpha)
    scipy_res = stats.ttest_ind(after, before, equal_var=False)
    cm = CompareMeans(DescrStatsW(np.asarray(after)), DescrStatsW(np.asarray(before)))
    low, high = cm.tconfint_diff(alpha=alpha, usevar="unequal")

    e = result.effect
    assert e.estimate == pytest.approx(np.mean(after) - np.mean(before), abs=1e-6)
    assert e.estimate / e.se == pytest.approx(scipy_res.statistic, abs=1e-6)
    assert e.p_value == pytest.approx(scipy_res.pvalue, abs=1e-6)
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), abs=1e-4)
    assert (result.kind, result.se_type, result.test) == ("continuous", "welch", "welch_t")


def test_continuous_hedges_g_matches_hand_computation():
    before, after = [1.0, 2.0, 3.0, 4.0], [3.0, 5.0, 7.0]
    # means 2.5 and 5; variances 5/3 and 4; pooled (3*5/3 + 2*4)/5 = 13/5.
    j = 1 - 3 / (4 * 7 - 9)
    expected = j * 2.5 / math.sqrt(13 / 5)
    assert prepost_continuous(before, after).hedges_g == pytest.approx(expected, abs=1e-12)


def test_continuous_drops_nans_and_counts_them():
    result = prepost_continuous([1.0, np.nan, 2.0, 3.0], [np.nan, 4.0, 6.0, np.nan])
    assert (result.dropped_nan, result.n_before, result.n_after) == (3, 3, 2)
    assert result.baseline == pytest.approx(2.0)
    assert result.after_level == pytest.approx(5.0)


def test_continuous_accepts_pandas_series():
    pd = pytest.importorskip("pandas")
    result = prepost_continuous(pd.Series([1.0, 2.0, 3.0]), pd.Series([2.0, 3.0, 4.0]))
    assert result.effect.estimate == pytest.approx(1.0)


CONTINUOUS_INSUFFICIENT = {
    "one_before": ([1.0], [1.0, 2.0], "too_few_points"),
    "empty_after": ([1.0, 2.0], [], "too_few_points"),
    "only_nans_after": ([1.0, 2.0], [np.nan, np.nan, 3.0], "too_few_points"),
    "both_constant": ([2.0, 2.0, 2.0], [0.1, 0.1, 0.1], "zero_variance"),
    "infinite_value": ([1.0, np.inf], [1.0, 2.0], "non_finite_values"),
}


@pytest.mark.parametrize(
    ("before", "after", "code"), CONTINUOUS_INSUFFICIENT.values(), ids=CONTINUOUS_INSUFFICIENT
)
def test_continuous_insufficient_data_has_its_code(before, after, code):
    with pytest.raises(InsufficientData) as info:
        prepost_continuous(before, after)
    assert info.value.code == code
    assert info.value.message_nl and info.value.message_en


# --------------------------------------------------------------------------- proportions

# (x_before, n_before, x_after, n_after, expected test)
PROPORTION_CASES = {
    "tiny_counts": (1, 10, 4, 9, "fisher_exact"),
    "zero_events_before": (0, 20, 3, 25, "fisher_exact"),
    "all_events_after": (8, 12, 12, 12, "fisher_exact"),
    "small_expected_cell": (1, 40, 6, 45, "fisher_exact"),
    "expected_cells_just_above_5": (2, 40, 9, 45, "z_pooled"),
    "moderate": (10, 50, 20, 60, "z_pooled"),
    "large": (420, 1000, 380, 1000, "z_pooled"),
    "very_large_unequal": (1234, 5000, 2890, 10000, "z_pooled"),
}


@pytest.mark.parametrize(
    ("xb", "nb", "xa", "na", "test"), PROPORTION_CASES.values(), ids=PROPORTION_CASES
)
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_proportion_interval_matches_statsmodels_newcomb(xb, nb, xa, na, test, alpha):
    result = prepost_proportion(xb, nb, xa, na, alpha=alpha)
    low, high = confint_proportions_2indep(
        xa, na, xb, nb, method="newcomb", compare="diff", alpha=alpha
    )
    assert result.effect.estimate == pytest.approx(xa / na - xb / nb, abs=1e-12)
    assert (result.effect.ci_low, result.effect.ci_high) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(
    ("xb", "nb", "xa", "na", "test"), PROPORTION_CASES.values(), ids=PROPORTION_CASES
)
def test_proportion_p_value_matches_the_test_it_names(xb, nb, xa, na, test):
    result = prepost_proportion(xb, nb, xa, na)
    if test == "fisher_exact":
        expected = stats.fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue
    else:
        expected = proportions_ztest([xa, xb], [na, nb])[1]
    assert result.test == test
    assert result.effect.p_value == pytest.approx(expected, abs=1e-8)


def test_proportion_reports_levels_and_method():
    result = prepost_proportion(10, 50, 20, 60)
    assert (result.baseline, result.after_level) == pytest.approx((0.2, 1 / 3))
    assert (result.kind, result.se_type, result.effect.se) == ("proportion", "newcombe", None)
    assert (result.n_before, result.n_after, result.rate_ratio) == (1, 1, None)


def test_proportion_from_rows_pools_rows():
    pooled = prepost_proportion(3 + 5 + 2, 20 + 25 + 15, 7 + 9, 22 + 30)
    rows = prepost_proportion_from_rows([3, 5, 2, np.nan], [20, 25, 15, 10], [7, 9], [22, 30])
    assert rows.effect == pooled.effect
    assert (rows.n_before, rows.n_after, rows.dropped_nan) == (3, 2, 1)


PROPORTION_INVALID = {
    "x_above_n": ((11, 10, 1, 10), "invalid_counts"),
    "negative_x": ((-1, 10, 1, 10), "invalid_counts"),
    "zero_n": ((0, 0, 1, 10), "invalid_counts"),
    "negative_n": ((1, 10, 1, -5), "invalid_counts"),
    "fractional_x": ((1.5, 10, 1, 10), "invalid_counts"),
    "nan_x": ((np.nan, 10, 1, 10), "invalid_counts"),
}


@pytest.mark.parametrize(("args", "code"), PROPORTION_INVALID.values(), ids=PROPORTION_INVALID)
def test_proportion_invalid_counts_raise_insufficient_data(args, code):
    with pytest.raises(InsufficientData) as info:
        prepost_proportion(*args)
    assert info.value.code == code
    assert info.value.message_en.startswith("Invalid counts: ")
    assert info.value.message_nl.startswith("Ongeldige aantallen: ")


def test_proportion_rows_with_a_period_all_missing_is_empty_group():
    with pytest.raises(InsufficientData) as info:
        prepost_proportion_from_rows([np.nan], [10], [1], [10])
    assert info.value.code == "empty_group"


def test_proportion_rows_check_each_row():
    with pytest.raises(InsufficientData) as info:
        prepost_proportion_from_rows([5, 0], [3, 10], [1], [10])
    assert info.value.code == "invalid_counts"


# --------------------------------------------------------------------------- rates

# (count_before, exposure_before, count_after, exposure_after)
RATE_CASES = {
    "r_poisson_test_example": (21, 1083 + 1050 + 878, 11, 800),
    "small_counts": (3, 12.0, 1, 12.0),
    "decline": (42, 12.0, 35, 12.0),
    "zero_after": (7, 100.0, 0, 80.0),
    "large": (1500, 3.2e5, 1320, 3.1e5),
    "unequal_exposure": (12, 5.5, 30, 9.25),
}


def _rr_exact_via_scipy_beta(cb, eb, ca, ea, alpha):
    """Independent: scipy's Clopper–Pearson for the after share, mapped to the ratio."""
    ci = stats.binomtest(int(ca), int(ca + cb)).proportion_ci(1 - alpha, method="exact")
    to_rr = lambda p: math.inf if p >= 1 else p / (1 - p) * eb / ea  # noqa: E731
    return to_rr(ci.low), to_rr(ci.high)


@pytest.mark.parametrize(("cb", "eb", "ca", "ea"), RATE_CASES.values(), ids=RATE_CASES)
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_rate_interval_is_transformed_clopper_pearson(cb, eb, ca, ea, alpha):
    result = prepost_rate(cb, eb, ca, ea, alpha=alpha)
    low, high = _rr_exact_via_scipy_beta(cb, eb, ca, ea, alpha)
    rr = result.rate_ratio
    assert (rr.ci_low, rr.ci_high) == pytest.approx((low, high), rel=1e-6, abs=1e-10)
    assert (result.effect.ci_low, result.effect.ci_high) == pytest.approx(
        (low - 1, high - 1), rel=1e-6, abs=1e-10
    )


@pytest.mark.parametrize(("cb", "eb", "ca", "ea"), RATE_CASES.values(), ids=RATE_CASES)
def test_rate_p_value_and_ratio_match_statsmodels_exact_cond(cb, eb, ca, ea):
    result = prepost_rate(cb, eb, ca, ea)
    sm = sm_rates.test_poisson_2indep(ca, ea, cb, eb, method="exact-cond")
    assert result.rate_ratio.estimate == pytest.approx(sm.ratio, rel=1e-9)
    assert result.effect.estimate == pytest.approx(sm.ratio - 1, rel=1e-9, abs=1e-12)
    assert result.effect.p_value == pytest.approx(sm.pvalue, abs=1e-8)
    assert result.rate_ratio.p_value == result.effect.p_value


def test_rate_interval_agrees_with_statsmodels_beta_binomial_interval():
    # A second reference for the Clopper–Pearson step: statsmodels' method="beta".
    cb, eb, ca, ea = 21, 3011.0, 11, 800.0
    p_low, p_high = proportion_confint(ca, ca + cb, alpha=0.05, method="beta")
    result = prepost_rate(cb, eb, ca, ea)
    expected = (p_low / (1 - p_low) * eb / ea, p_high / (1 - p_high) * eb / ea)
    assert (result.rate_ratio.ci_low, result.rate_ratio.ci_high) == pytest.approx(expected)


def test_rate_matches_r_poisson_test_worked_example():
    # R: poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878)) (R's own documentation).
    result = prepost_rate(21, 1083 + 1050 + 878, 11, 800)
    rr = result.rate_ratio
    assert round(rr.estimate, 6) == 1.971488
    assert (round(rr.ci_low, 7), round(rr.ci_high, 7)) == (0.8584264, 4.2772659)
    assert round(rr.p_value, 5) == 0.07967


def test_rate_reports_rates_and_method():
    result = prepost_rate(42, 12.0, 35, 12.0)
    assert (result.baseline, result.after_level) == pytest.approx((3.5, 35 / 12))
    assert (result.kind, result.se_type, result.test) == (
        "count",
        "exact",
        "exact_conditional_binomial",
    )
    assert result.effect.se is None


def test_rate_with_no_events_before_has_unbounded_ratio():
    result = prepost_rate(0, 10.0, 5, 10.0)
    assert math.isinf(result.rate_ratio.estimate) and math.isinf(result.rate_ratio.ci_high)
    assert result.rate_ratio.ci_low > 0
    assert result.to_dict()["rate_ratio"]["estimate"] is None
    assert any("unbounded" in note for note in result.notes)


def test_rate_from_rows_pools_rows():
    pooled = prepost_rate(4 + 6 + 5, 3.0, 2 + 3, 2.0)
    rows = prepost_rate_from_rows([4, 6, 5], [1.0, 1.0, 1.0], [2, 3, np.nan], [1.0, 1.0, 1.0])
    assert rows.rate_ratio == pooled.rate_ratio
    assert (rows.n_before, rows.n_after, rows.dropped_nan) == (3, 2, 1)


RATE_INSUFFICIENT = {
    "no_events": ((0, 10.0, 0, 12.0), "no_events"),
    "zero_exposure_before": ((3, 0.0, 4, 12.0), "zero_exposure"),
    "negative_exposure_after": ((3, 10.0, 4, -1.0), "zero_exposure"),
    "nan_exposure": ((3, np.nan, 4, 1.0), "zero_exposure"),
    "negative_count": ((-3, 10.0, 4, 12.0), "invalid_counts"),
    "fractional_count": ((3, 10.0, 4.5, 12.0), "invalid_counts"),
    "exposures_in_different_units": ((3, 1e-6, 4, 1e6), "exposure_mismatch"),
}


@pytest.mark.parametrize(("args", "code"), RATE_INSUFFICIENT.values(), ids=RATE_INSUFFICIENT)
def test_rate_insufficient_data_has_its_code(args, code):
    with pytest.raises(InsufficientData) as info:
        prepost_rate(*args)
    assert info.value.code == code


def test_rate_rows_with_a_period_all_missing_is_empty_group():
    with pytest.raises(InsufficientData) as info:
        prepost_rate_from_rows([3], [1.0], [np.nan, 2], [1.0, np.nan])
    assert info.value.code == "empty_group"


def test_rate_rows_reject_negative_row_exposure():
    with pytest.raises(InsufficientData) as info:
        prepost_rate_from_rows([3, 1], [2.0, -1.0], [2], [1.0])
    assert info.value.code == "invalid_counts"


# --------------------------------------------------------------------------- shared


def test_invalid_alpha_is_a_programming_error():
    with pytest.raises(ValueError, match="alpha"):
        prepost_proportion(1, 10, 2, 10, alpha=1.5)


def test_to_dict_and_summary_are_plain():
    result = prepost_rate(42, 12.0, 35, 12.0)
    d = result.to_dict()
    assert d["kind"] == "count" and d["rate_ratio"]["estimate"] == pytest.approx(35 / 42)
    assert isinstance(d["notes"], list)
    assert "3,5" in result.summary("nl") and "3.5" in result.summary("en")


def test_result_is_frozen():
    result = prepost_proportion(1, 10, 2, 10)
    assert isinstance(result, PrePostResult)
    with pytest.raises(AttributeError):
        result.kind = "count"  # type: ignore[misc]


# --------------------------------------------------------------------------- properties


def _assert_contains(result: PrePostResult) -> None:
    e = result.effect
    assert e.ci_low <= e.estimate <= e.ci_high
    assert e.p_value is not None and 0.0 <= e.p_value <= 1.0
    if result.rate_ratio is not None:
        rr = result.rate_ratio
        assert 0.0 <= rr.ci_low <= rr.estimate <= rr.ci_high


_values = st.lists(
    st.one_of(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        st.just(float("nan")),
        st.sampled_from([0.0, 1.0, 2.5]),
    ),
    max_size=15,
)
_alpha = st.sampled_from([0.01, 0.05, 0.2])


@settings(max_examples=150, deadline=None)
@given(before=_values, after=_values, alpha=_alpha)
def test_property_continuous_interval_contains_estimate_or_insufficient(before, after, alpha):
    try:
        result = prepost_continuous(before, after, alpha=alpha)
    except InsufficientData:
        return
    _assert_contains(result)


@settings(max_examples=150, deadline=None)
@given(
    xb=st.integers(-2, 300),
    nb=st.integers(-2, 300),
    xa=st.integers(-2, 300),
    na=st.integers(-2, 300),
    alpha=_alpha,
)
def test_property_proportion_interval_contains_estimate_or_insufficient(xb, nb, xa, na, alpha):
    try:
        result = prepost_proportion(xb, nb, xa, na, alpha=alpha)
    except InsufficientData:
        return
    _assert_contains(result)


_exposure = st.one_of(st.floats(min_value=-1.0, max_value=1e5), st.just(0.0))


@settings(max_examples=150, deadline=None)
@given(
    cb=st.integers(-2, 500),
    eb=_exposure,
    ca=st.integers(-2, 500),
    ea=_exposure,
    alpha=_alpha,
)
def test_property_rate_interval_contains_estimate_or_insufficient(cb, eb, ca, ea, alpha):
    try:
        result = prepost_rate(cb, eb, ca, ea, alpha=alpha)
    except InsufficientData:
        return
    _assert_contains(result)


def test_an_implausibly_large_count_is_refused_with_a_reason():
    # Found by the engine's property test: 2^64 passed every check and then broke scipy's
    # exact interval, which needs machine integers.
    with pytest.raises(InsufficientData) as info:
        prepost_rate(1.0, 1000.0, 2.0**64, 1000.0)
    assert info.value.code == "invalid_counts"
    assert "onwaarschijnlijk groot" in info.value.message_nl
