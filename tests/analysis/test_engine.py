"""analyze(): design choice, verdicts end to end, Holm across primaries, the JSON schema."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from tracker.analysis.engine import AnalysisSpec, analyze, analyze_many
from tracker.analysis.verdict import VERDICTS

START = dt.date(2021, 1, 1)
REQUIRED_KEYS = {
    "design",
    "design_reason",
    "kind",
    "n_before",
    "n_after",
    "baseline",
    "estimate",
    "se",
    "se_type",
    "ci_low",
    "ci_high",
    "p_value",
    "relative_estimate",
    "prob_meaningful",
    "verdict",
    "verdict_reason",
    "warnings",
    "details",
}


def monthly(n_before: int, n_after: int, *, jump: float = 0.0, seed: int = 1, sd: float = 1.0):
    rng = np.random.default_rng(seed)
    periods = pd.date_range(
        end=pd.Timestamp(START) - pd.offsets.MonthBegin(1), periods=n_before, freq="MS"
    ).append(pd.date_range(START, periods=n_after, freq="MS"))
    post = periods >= pd.Timestamp(START)
    return pd.DataFrame(
        {"period": periods, "value": 50 + jump * post + rng.normal(0, sd, len(periods))}
    )


def with_comparison(frame: pd.DataFrame, *, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    comp = frame.assign(value=48 + rng.normal(0, 1, len(frame)), group="comparison")
    return pd.concat([frame.assign(group="pilot"), comp], ignore_index=True)


@pytest.mark.parametrize(
    ("frame", "design"),
    [
        (with_comparison(monthly(12, 12, jump=-5)), "did"),
        (monthly(12, 12, jump=-5), "its"),
        (monthly(4, 4, jump=-5), "prepost"),
        (monthly(7, 20, jump=-5), "prepost"),  # fewer than 8 before: no time series
    ],
)
def test_auto_takes_the_strongest_design_the_data_support(frame, design):
    result = analyze(frame, AnalysisSpec(intervention=START, expect="decrease", min_effect=2))
    assert result.design == design
    assert result.design_reason_nl and result.design_reason_en


@pytest.mark.parametrize(
    ("frame", "design", "code"),
    [
        (monthly(12, 12), "did", "no_comparison_group"),
        (monthly(5, 12), "its", "too_few_periods"),
    ],
)
def test_a_requested_design_the_data_cannot_support_is_insufficient_data(frame, design, code):
    result = analyze(frame, AnalysisSpec(intervention=START, design=design, min_effect=1))
    assert result.verdict == "insufficient_data"
    assert result.details["reason_code"] == code
    assert result.verdict_reason_nl and result.verdict_reason_en


def test_a_clear_drop_beyond_delta_is_supported_and_a_rise_is_contrary():
    drop = analyze(
        monthly(12, 12, jump=-6),
        AnalysisSpec(intervention=START, design="prepost", expect="decrease", min_effect=2),
    )
    rise = analyze(
        monthly(12, 12, jump=+6),
        AnalysisSpec(intervention=START, design="prepost", expect="decrease", min_effect=2),
    )
    assert (drop.verdict, rise.verdict) == ("supported", "contrary")


def test_relative_delta_is_a_percentage_of_the_baseline():
    result = analyze(
        monthly(12, 12, jump=-6),
        AnalysisSpec(
            intervention=START, design="prepost", expect="decrease", min_effect=10, relative=True
        ),
    )
    assert result.delta == pytest.approx(0.10 * abs(result.baseline))


def test_the_json_has_every_documented_key_and_is_plain_data():
    result = analyze(monthly(12, 12, jump=-6), AnalysisSpec(intervention=START, min_effect=1))
    data = result.to_dict()
    assert set(data) >= REQUIRED_KEYS
    import json

    assert json.loads(json.dumps(data)) == data


def test_holm_adjusts_primary_hypotheses_together_and_leaves_secondary_alone():
    items = [
        (
            monthly(12, 12, jump=-1.0, seed=s),
            AnalysisSpec(intervention=START, design="prepost", expect="decrease", min_effect=0.5),
            primary,
        )
        for s, primary in [(1, True), (2, True), (3, True), (4, False)]
    ]
    results = analyze_many(items)
    raw = [r.p_value for r in results[:3]]
    assert [r.p_adjusted for r in results[:3]] == pytest.approx(
        list(multipletests(raw, method="holm")[1])
    )
    assert results[3].p_adjusted is None


def test_warnings_name_late_registration_amendment_and_few_points():
    result = analyze(
        monthly(3, 3, jump=-6),
        AnalysisSpec(intervention=START, min_effect=1, amended=True, registered_late=True),
    )
    codes = {w.code for w in result.warnings}
    assert {"amended", "registered_late", "few_points", "no_comparison"} <= codes


def test_missing_months_are_reported():
    frame = monthly(12, 12, jump=-6).drop(index=[3, 4, 15])
    result = analyze(frame, AnalysisSpec(intervention=START, min_effect=1))
    [gap] = [w for w in result.warnings if w.code == "missing_periods"]
    assert "3" in gap.message_nl


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_summary_states_levels_effect_expectation_and_verdict(lang):
    result = analyze(
        monthly(12, 12, jump=-6),
        AnalysisSpec(intervention=START, design="prepost", expect="decrease", min_effect=2),
    )
    text = result.summary(lang)
    expected = {
        "nl": ("Vooraf verwachtten we", "ondersteund", ","),
        "en": ("Beforehand we expected", "supported", "."),
    }[lang]
    assert all(part in text for part in expected)


def test_unsorted_input_gives_the_same_result():
    frame = monthly(12, 12, jump=-3)
    spec = AnalysisSpec(intervention=START, design="its", expect="decrease", min_effect=1)
    a = analyze(frame, spec).to_dict()
    b = analyze(frame.sample(frac=1, random_state=3), spec).to_dict()
    assert a == b


def test_negative_counts_are_refused_with_a_message():
    frame = monthly(12, 12).assign(count=5, exposure=100.0)
    frame.loc[2, "count"] = -1
    result = analyze(frame, AnalysisSpec(intervention=START, kind="count", min_effect=1))
    assert result.verdict == "insufficient_data"
    assert result.details["reason_code"] == "invalid_counts"


values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.just(1.0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 30),
    kind=st.sampled_from(["continuous", "proportion", "count"]),
    design=st.sampled_from(["auto", "prepost", "its", "did", "spc"]),
    constant=st.booleans(),
    duplicate=st.booleans(),
    data=st.data(),
)
def test_any_input_gives_a_result_or_a_reasoned_insufficient_data(
    n, kind, design, constant, duplicate, data
):
    months = data.draw(st.lists(st.integers(-18, 18), min_size=n, max_size=n))
    periods = [pd.Timestamp(START) + pd.DateOffset(months=m) for m in months]
    if duplicate and periods:
        periods.append(periods[0])
    size = len(periods)
    draw = [data.draw(values) for _ in range(size)]
    frame = pd.DataFrame({"period": periods, "value": [1.0] * size if constant else draw})
    frame["numerator"] = [abs(v) if v == v else v for v in frame["value"]]
    frame["denominator"] = 100.0
    frame["count"] = frame["numerator"]
    frame["exposure"] = 1000.0
    frame["group"] = data.draw(
        st.lists(st.sampled_from(["pilot", "comparison"]), min_size=size, max_size=size)
    )
    result = analyze(
        frame, AnalysisSpec(intervention=START, kind=kind, design=design, min_effect=1)
    )
    assert result.verdict in VERDICTS
    if result.verdict == "insufficient_data":
        assert result.verdict_reason_nl and result.verdict_reason_en


def test_the_property_tests_falsifying_example_gives_insufficient_data():
    # n=3, kind=count, design=auto, months [0, 0, -1], a count of 2^64 in the second row.
    periods = [pd.Timestamp(START) + pd.DateOffset(months=m) for m in (0, 0, -1)]
    frame = pd.DataFrame(
        {"period": periods, "count": [1.0, 2.0**64, 1.0], "exposure": 1000.0, "group": "pilot"}
    )
    result = analyze(frame, AnalysisSpec(intervention=START, kind="count", min_effect=1))
    assert result.verdict == "insufficient_data"
    assert result.details["reason_code"] == "invalid_counts"
