"""Pooled evidence (tracker.analysis.pooling) against a published worked example, against
statsmodels' combine_effects on the same inputs, and against the formulas written out here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from tracker.analysis.engine import AnalysisSpec, analyze
from tracker.analysis.lesson_status import lesson_status
from tracker.analysis.pooling import MIN_STUDIES, SCALES, Study, pool_effects, study_from_result

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


# ------------------------------------------------------------------- results as pooled studies
Z95 = stats.norm.ppf(0.975)


def test_a_difference_with_its_standard_error_is_taken_as_it_is():
    result = {"estimate": -5.0, "se": 1.2, "ci_low": -7.35, "ci_high": -2.65, "alpha": 0.05}
    assert study_from_result("Noord", result) == Study("Noord", -5.0, 1.2)


@pytest.mark.parametrize("alpha", [0.05, 0.10, 0.01])
def test_a_difference_without_a_standard_error_takes_it_from_the_interval(alpha):
    """Score intervals (proportions) give no SE: half the interval's width over z(1 − α/2)."""
    result = {"estimate": 0.1, "se": None, "ci_low": 0.02, "ci_high": 0.2, "alpha": alpha}
    study = study_from_result("Zuid", result)
    assert study.estimate == 0.1
    assert study.se == pytest.approx(0.18 / (2 * stats.norm.ppf(1 - alpha / 2)), rel=1e-12)


@pytest.mark.parametrize(("ratio", "se"), [(1.3, 0.2), (0.7, 0.05), (1.0, 1.5)])
def test_a_relative_effect_is_pooled_as_a_log_ratio_with_the_wald_se(ratio, se):
    """An interval built as exp(log RR ± z·se) − 1 gives back se on the log scale."""
    low, high = (math.exp(math.log(ratio) + sign * Z95 * se) - 1 for sign in (-1, 1))
    result = {"estimate": ratio - 1, "se": 99.0, "ci_low": low, "ci_high": high,
              "estimate_is_relative": True, "alpha": 0.05}  # fmt: skip
    study = study_from_result("West", result)
    assert study.estimate == pytest.approx(math.log(ratio), abs=1e-12)
    assert study.se == pytest.approx(se, rel=1e-9)  # not the 99 on the ratio scale
    assert SCALES == {"continuous": "difference", "proportion": "difference", "count": "log_ratio"}


def test_a_counts_time_series_gives_its_model_standard_error_on_the_log_scale():
    """The count ITS reports the average rate ratio − 1 with a delta-method SE on that scale
    (RR · se_log) and the exponentiated log-scale interval: the study is log RR ± se_log."""
    periods = pd.date_range("2020-01-01", periods=24, freq="MS")
    counts = [40, 44, 38, 42, 45, 41, 39, 43, 46, 40, 42, 44,
              33, 30, 35, 31, 29, 34, 32, 30, 28, 33, 31, 30]  # fmt: skip
    frame = pd.DataFrame(
        {"period": periods, "count": np.array(counts, float), "exposure": 1000.0, "group": "pilot"}
    )
    spec = AnalysisSpec(intervention=dt.date(2021, 1, 1), kind="count", expect="decrease")
    result = analyze(frame, spec).to_dict()
    assert (result["design"], result["estimate_is_relative"]) == ("its", True)
    study = study_from_result("Oost", result)
    ratio = 1 + result["estimate"]
    assert study.estimate == pytest.approx(math.log(ratio), rel=1e-12)
    assert study.se == pytest.approx(result["se"] / ratio, rel=1e-9)


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"estimate": None, "se": None, "ci_low": None, "ci_high": None}, id="none"),
        pytest.param({"estimate": 2.0, "se": None, "ci_low": None, "ci_high": None}, id="no-se"),
        pytest.param(
            {"estimate": 0.5, "ci_low": None, "ci_high": None, "estimate_is_relative": True},
            id="relative-no-interval",
        ),
        pytest.param(
            {"estimate": -1.0, "ci_low": -1.0, "ci_high": -0.2, "estimate_is_relative": True},
            id="relative-no-events-after",
        ),
    ],
)
def test_a_result_without_an_estimate_or_interval_is_dropped_and_named(result):
    study = study_from_result("Leeg", result)
    assert math.isnan(study.se)
    usable = [Study("a", 0.1, 0.2), Study("b", 0.3, 0.1), Study("c", 0.2, 0.15)]
    pooled = pool_effects([*usable[:2], study, usable[2]])
    assert pooled.dropped == ("Leeg",)
    assert pooled.status == "pooled" and pooled.k == 3
    # Left out entirely: the pooled numbers are those of the usable studies alone.
    assert dataclasses.replace(pooled, dropped=()) == pool_effects(usable)


@pytest.mark.parametrize(
    ("relative", "scale", "usable"),
    [
        (True, "log_ratio", True),
        (False, "difference", True),
        (False, "log_ratio", False),  # a count analysed as an SPC chart: a rate difference
        (True, "difference", False),
        (True, None, True),
        (False, None, True),
    ],
)
def test_a_result_on_another_scale_than_the_pooled_one_is_dropped(relative, scale, usable):
    result = {
        "estimate": -0.2,
        "se": 0.05,
        "ci_low": -0.3,
        "ci_high": -0.1,
        "alpha": 0.05,
        "estimate_is_relative": relative,
    }
    study = study_from_result("p", result, scale)
    assert math.isfinite(study.se) is usable
    pooled = pool_effects([study, Study("q", 0.1, 0.1), Study("r", 0.2, 0.1)])
    assert ("p" in pooled.dropped) is not usable
