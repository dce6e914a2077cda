"""Pooled evidence (tracker.analysis.pooling) against a published worked example, against
statsmodels' combine_effects on the same inputs, and against the formulas written out here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from tracker.analysis.lesson_status import lesson_status
from tracker.analysis.pooling import MIN_STUDIES, Study, pool_effects

# BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): vaccinated TB cases and
# non-cases, then the control group's. The effect is the log risk ratio.
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def bcg_studies() -> list[Study]:
    studies = []
    for i, (tpos, tneg, cpos, cneg) in enumerate(BCG, start=1):
        log_rr = math.log((tpos / (tpos + tneg)) / (cpos / (cpos + cneg)))
        variance = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
        studies.append(Study(f"trial {i}", log_rr, math.sqrt(variance)))
    return studies


def test_the_bcg_example_gives_the_published_dersimonian_laird_figures():
    """metafor, rma(yi, vi, method = "DL") on dat.bcg (Viechtbauer 2010): estimate −0.7141,
    SE 0.1787, 95% CI −1.0644 … −0.3638, τ² 0.3088, I² 92.12%, Q(df = 12) = 152.2330."""
    result = pool_effects(bcg_studies())
    assert result.status == "pooled" and result.k == 13 and result.needed == 0
    assert round(result.estimate, 4) == -0.7141
    assert round(result.se, 4) == 0.1787
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (-1.0644, -0.3638)
    assert round(result.tau2, 4) == 0.3088
    assert round(100 * result.i2, 2) == 92.12
    assert round(result.q, 4) == 152.2330
    assert result.q_pvalue < 1e-25


def dersimonian_laird(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float, float]:
    """The estimator written out: Q from fixed-effect weights, τ² = max(0, (Q − df) / c)."""
    w = 1 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    w_re = 1 / (v + tau2)
    return float(np.sum(w_re * y) / np.sum(w_re)), float(np.sqrt(1 / np.sum(w_re))), tau2, q


effects = st.floats(min_value=-5, max_value=5, allow_nan=False)
ses = st.floats(min_value=0.01, max_value=3, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(effects, ses), min_size=3, max_size=12))
def test_equal_to_combine_effects_and_to_the_formula(pairs):
    studies = [Study(str(i), y, se) for i, (y, se) in enumerate(pairs)]
    result = pool_effects(studies)
    y = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs]) ** 2
    fit = combine_effects(y, v, method_re="dl")
    # statsmodels 0.15 does not truncate τ² at 0 (module docstring): where its τ² is negative,
    # DerSimonian–Laird's τ² is 0 and the random-effects summary is the fixed-effect one.
    row = "random effect" if fit.tau2 >= 0 else "fixed effect"
    reference = fit.summary_frame().loc[row]
    assert result.estimate == pytest.approx(reference["eff"], rel=1e-9, abs=1e-12)
    assert result.se == pytest.approx(reference["sd_eff"], rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (reference["ci_low"], reference["ci_upp"]), rel=1e-9, abs=1e-12
    )
    estimate, se, tau2, q = dersimonian_laird(y, v)
    assert result.estimate == pytest.approx(estimate, rel=1e-9, abs=1e-12)
    assert result.se == pytest.approx(se, rel=1e-9)
    assert result.tau2 == pytest.approx(tau2, rel=1e-9, abs=1e-15)
    assert result.q == pytest.approx(q, rel=1e-9, abs=1e-12)
    assert result.i2 == pytest.approx(max(0.0, (q - (len(y) - 1)) / q) if q > 0 else 0.0, abs=1e-9)
    assert sum(result.weights) == pytest.approx(1.0)
    # Prediction interval: estimate ± t(k − 2) · √(τ² + SE²), never narrower than the CI.
    half = stats.t.ppf(0.975, len(y) - 2) * math.sqrt(tau2 + se**2)
    assert (result.pi_low, result.pi_high) == pytest.approx(
        (estimate - half, estimate + half), rel=1e-9, abs=1e-12
    )
    assert result.pi_low <= result.ci_low and result.pi_high >= result.ci_high


def test_identical_pilots_have_no_heterogeneity():
    result = pool_effects([Study(str(i), 0.4, 0.1) for i in range(4)])
    assert result.tau2 == 0 and result.i2 == 0
    assert result.estimate == pytest.approx(0.4)
    assert result.se == pytest.approx(0.05)  # four equal studies: SE / √4


@pytest.mark.parametrize(("k", "needed"), [(0, 3), (1, 2), (2, 1)])
def test_fewer_than_three_pilots_say_how_many_more_are_needed(k, needed):
    result = pool_effects([Study(str(i), 0.1 * i, 0.2) for i in range(k)])
    assert (result.status, result.k, result.needed, result.estimate) == ("too_few", k, needed, None)
    assert MIN_STUDIES == 3


def test_an_estimate_without_a_usable_standard_error_is_left_out_and_named():
    studies = [
        Study("a", 0.1, 0.2),
        Study("b", 0.3, 0.0),
        Study("c", float("nan"), 0.2),
        Study("d", 0.2, float("inf")),
        Study("e", 0.2, 0.1),
        Study("f", 0.25, 0.3),
    ]
    result = pool_effects(studies)
    assert result.dropped == ("b", "c", "d")
    assert [s.label for s in result.studies] == ["a", "e", "f"] and result.status == "pooled"
    two_left = pool_effects(studies[:5])
    assert (two_left.status, two_left.needed, two_left.dropped) == ("too_few", 1, ("b", "c", "d"))


def test_a_wider_alpha_gives_narrower_intervals():
    wide, narrow = pool_effects(bcg_studies()), pool_effects(bcg_studies(), alpha=0.10)
    assert narrow.estimate == wide.estimate
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.pi_low < narrow.pi_low


def test_to_dict_lists_every_study_with_its_weight():
    data = pool_effects(bcg_studies()).to_dict()
    assert data["status"] == "pooled" and len(data["studies"]) == 13
    assert data["studies"][7]["label"] == "trial 8"
    assert sum(s["weight"] for s in data["studies"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("supporting", "contradicting", "status"),
    [
        ([], [], "emerging"),
        (["p1"], [], "emerging"),
        (["p1", "p1"], [], "emerging"),  # two hypotheses of one pilot are one pilot
        (["p1", "p2"], [], "supported"),
        (["p1", "p2", "p3"], ["p4"], "contested"),
        (["p1"], ["p1"], "contested"),
        ([], ["p1"], "rejected"),
        ([], ["p1", "p2"], "rejected"),
    ],
)
def test_lesson_status_follows_from_the_pilots(supporting, contradicting, status):
    assert lesson_status(supporting, contradicting) == status
