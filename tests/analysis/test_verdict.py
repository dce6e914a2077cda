"""Verdict rules (DESIGN.md order), δ scales, Holm and P(improvement ≥ δ)."""

import math

import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from tracker.analysis.verdict import decide, delta_on_estimate_scale, holm, probability_at_least


@pytest.mark.parametrize(
    ("estimate", "ci", "expect", "delta", "verdict"),
    [
        # expected increase
        (5.0, (2.0, 8.0), "increase", 3.0, "supported"),
        (2.0, (0.5, 3.5), "increase", 3.0, "partly_supported"),
        (-4.0, (-6.0, -2.0), "increase", 3.0, "contrary"),
        (0.2, (-1.0, 1.4), "increase", 3.0, "no_meaningful_effect"),
        (1.0, (-2.0, 4.0), "increase", 3.0, "inconclusive"),
        # expected decrease: the sign flips
        (-5.0, (-8.0, -2.0), "decrease", 3.0, "supported"),
        (4.0, (2.0, 6.0), "decrease", 3.0, "contrary"),
        (-1.0, (-4.0, 2.0), "decrease", 3.0, "inconclusive"),
        # edge: estimate exactly δ counts as supported
        (3.0, (1.0, 5.0), "increase", 3.0, "supported"),
        # no_change hypotheses
        (0.1, (-0.5, 0.7), "no_change", 1.0, "supported"),
        (3.0, (2.0, 4.0), "no_change", 1.0, "contrary"),
        (-3.0, (-4.0, -2.0), "no_change", 1.0, "contrary"),
        (0.5, (-0.5, 1.5), "no_change", 1.0, "inconclusive"),
    ],
)
def test_verdict_follows_the_design_rules(estimate, ci, expect, delta, verdict):
    result = decide(
        estimate=estimate, ci_low=ci[0], ci_high=ci[1], se=1.0, expect=expect, delta=delta
    )
    assert result.verdict == verdict
    assert (
        result.reason("nl") and result.reason("en") and result.reason("nl") != result.reason("en")
    )


def test_an_adjusted_p_value_above_alpha_withholds_support():
    result = decide(
        estimate=5.0,
        ci_low=0.5,
        ci_high=9.5,
        se=2.3,
        expect="increase",
        delta=3.0,
        p_value=0.08,
        alpha=0.05,
        n_tests=3,
    )
    assert result.verdict == "inconclusive"
    assert "Holm" in result.reason("nl") and "3" in result.reason("en")


@pytest.mark.parametrize(
    ("min_effect", "relative", "baseline", "estimate_is_relative", "expected"),
    [
        (2.0, False, 40.0, False, 2.0),  # absolute δ on an absolute scale
        (10.0, True, 40.0, False, 4.0),  # 10% of a baseline of 40
        (10.0, True, -40.0, False, 4.0),  # magnitude of the baseline
        (10.0, True, 2.5, True, 0.10),  # relative δ on a rate-ratio − 1 scale
        (0.5, False, 2.5, True, 0.20),  # absolute δ turned relative to the baseline rate
    ],
)
def test_delta_is_expressed_in_the_units_of_the_estimate(
    min_effect, relative, baseline, estimate_is_relative, expected
):
    got = delta_on_estimate_scale(
        min_effect, relative=relative, baseline=baseline, estimate_is_relative=estimate_is_relative
    )
    assert got == pytest.approx(expected)


def test_holm_matches_statsmodels_and_keeps_order_and_gaps():
    ps = [0.01, 0.04, None, 0.03, 0.20]
    expected = multipletests([0.01, 0.04, 0.03, 0.20], method="holm")[1]
    got = holm(ps)
    assert got[2] is None
    assert [got[0], got[1], got[3], got[4]] == pytest.approx(list(expected), abs=1e-12)


def test_probability_of_a_meaningful_improvement_is_a_normal_tail():
    assert probability_at_least(5.0, 2.0, 3.0) == pytest.approx(stats.norm.sf((3 - 5) / 2))
    assert probability_at_least(5.0, None, 3.0) is None
    assert probability_at_least(5.0, 2.0, math.inf) is None
