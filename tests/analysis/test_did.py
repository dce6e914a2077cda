"""Difference-in-differences: reference figures, agreement with statsmodels, edge cases."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.reference import CARD_KRUEGER
from tracker.analysis.did import DiDResult, did_fit
from tracker.analysis.estimates import InsufficientData

CK_INTERVENTION = date(1992, 4, 1)  # New Jersey's minimum wage rose on 1 April 1992
INTERVENTION = date(2024, 1, 1)


# --- fixtures and builders --------------------------------------------------------------------


@pytest.fixture(scope="module")
def card_krueger() -> pd.DataFrame:
    """The textbook njmin3 file as our tidy shape (one row per store per wave)."""
    raw = pd.read_csv(CARD_KRUEGER)
    return pd.DataFrame(
        {
            "period": raw["d"].map({0: date(1992, 2, 15), 1: date(1992, 11, 15)}),
            "group": raw["nj"].map({1: "pilot", 0: "comparison"}),
            "value": raw["fte"],
        }
    )


@pytest.fixture(scope="module")
def card_krueger_direct() -> sm.regression.linear_model.RegressionResultsWrapper:
    raw = pd.read_csv(CARD_KRUEGER).dropna(subset=["fte"])
    return smf.ols("fte ~ nj + d + d_nj", data=raw).fit(cov_type="HC1")


def _months(n_before: int, n_after: int) -> list[pd.Timestamp]:
    start = pd.Timestamp(INTERVENTION) - pd.DateOffset(months=n_before)
    return list(pd.date_range(start, periods=n_before + n_after, freq="MS"))


def _panel(
    *,
    n_areas: int = 30,
    units: int = 3,
    n_before: int = 3,
    n_after: int = 3,
    effect: float = 2.0,
    pilot_slope: float = 0.0,
    comparison_slope: float = 0.0,
    seed: int = 1,
) -> pd.DataFrame:
    """Unit-level rows: half the areas are pilot, each with an area-level random effect."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_areas):
        pilot = a % 2 == 0
        area_effect = rng.normal(0, 1.5)
        slope = pilot_slope if pilot else comparison_slope
        for i, period in enumerate(_months(n_before, n_after)):
            post = period >= pd.Timestamp(INTERVENTION)
            for _ in range(units):
                rows.append(
                    {
                        "period": period,
                        "group": "pilot" if pilot else "comparison",
                        "area": f"wijk-{a:02d}",
                        "value": 10
                        + area_effect
                        + slope * i
                        + (effect if pilot and post else 0.0)
                        + rng.normal(0, 1),
                    }
                )
    return pd.DataFrame(rows)


def _counts(*, n_areas: int = 8, seed: int = 2) -> pd.DataFrame:
    """Aggregated counts: one row per month × area, with overdispersion."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_areas):
        pilot = a % 2 == 0
        for period in _months(4, 4):
            post = period >= pd.Timestamp(INTERVENTION)
            exposure = float(rng.integers(2_000, 6_000))
            rate = 0.01 * (0.8 if pilot and post else 1.0) * rng.gamma(20, 1 / 20)
            rows.append(
                {
                    "period": period.date(),
                    "group": "pilot" if pilot else "comparison",
                    "area": f"a{a}",
                    "count": int(rng.poisson(rate * exposure)),
                    "exposure": exposure,
                }
            )
    return pd.DataFrame(rows)


def _direct_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["treated"] = (out["group"] == "pilot").astype(float)
    out["post"] = (pd.to_datetime(out["period"]) >= pd.Timestamp(INTERVENTION)).astype(float)
    return out


def _tiny(cells: dict[tuple[str, bool], int]) -> pd.DataFrame:
    """``n`` rows per (group, after?) cell, values varying so that the fit is not degenerate."""
    rows = []
    for (group, post), n in cells.items():
        period = date(2024, 3, 1) if post else date(2023, 9, 1)
        rows += [{"period": period, "group": group, "value": float(i % 3)} for i in range(n)]
    return pd.DataFrame(rows)


FULL = {("pilot", False): 3, ("pilot", True): 3, ("comparison", False): 3, ("comparison", True): 3}


# --- Card & Krueger (1994): the published figures -----------------------------------------


def test_card_krueger_estimate_matches_published(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    assert round(result.effect.estimate, 4) == 2.7536
    assert result.n_before + result.n_after == 794


def test_card_krueger_conventional_se_matches_published(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION, cov_type="nonrobust")
    assert result.se_type == "nonrobust"
    assert round(result.effect.se, 4) == 1.6884


def test_card_krueger_default_is_hc1_equal_to_statsmodels(card_krueger, card_krueger_direct):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    assert result.se_type == "HC1"
    assert result.effect.se == pytest.approx(card_krueger_direct.bse["d_nj"], abs=1e-6)
    assert result.effect.estimate == pytest.approx(card_krueger_direct.params["d_nj"], abs=1e-9)


def test_card_krueger_cell_means_match_published(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    rounded = {k: round(v, 2) for k, v in result.cell_means.items()}
    assert rounded == {
        "pilot_before": 20.44,
        "pilot_after": 21.03,
        "comparison_before": 23.33,
        "comparison_after": 21.17,
    }
    assert result.baseline == result.cell_means["pilot_before"]


def test_card_krueger_says_why_it_did_not_cluster(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    assert result.n_areas is None
    assert any("not possible with 0 areas" in n for n in result.notes)
    assert "too few baseline periods for a pre-trend check" in " ".join(result.notes)
    assert result.pretrend is None and result.pretrend_violated is None


# --- agreement with direct statsmodels fits --------------------------------------------------


def test_clustered_se_matches_statsmodels_with_20_or_more_areas():
    frame = _panel(n_areas=30)
    result = did_fit(frame, intervention=INTERVENTION)
    d = _direct_frame(frame)
    groups = pd.factorize(d["area"])[0]
    direct = smf.ols("value ~ treated + post + treated:post", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    name = "treated:post"
    ci = direct.conf_int(alpha=0.05).loc[name]
    assert result.se_type == "cluster(area)"
    assert result.n_areas == 30
    assert result.effect.estimate == pytest.approx(direct.params[name], abs=1e-9)
    assert result.effect.se == pytest.approx(direct.bse[name], abs=1e-6)
    assert result.effect.ci_low == pytest.approx(ci.iloc[0], abs=1e-4)
    assert result.effect.ci_high == pytest.approx(ci.iloc[1], abs=1e-4)
    assert result.effect.p_value == pytest.approx(direct.pvalues[name], abs=1e-6)


def test_fewer_areas_than_min_clusters_falls_back_to_hc1_and_says_n():
    frame = _panel(n_areas=12)
    result = did_fit(frame, intervention=INTERVENTION)
    direct = smf.ols("value ~ treated + post + treated:post", data=_direct_frame(frame)).fit(
        cov_type="HC1"
    )
    assert result.se_type == "HC1"
    assert result.effect.se == pytest.approx(direct.bse["treated:post"], abs=1e-6)
    assert any("not possible with 12 areas" in n for n in result.notes)


def test_min_clusters_is_configurable():
    result = did_fit(_panel(n_areas=12), intervention=INTERVENTION, min_clusters=10)
    assert result.se_type == "cluster(area)"


def test_count_model_matches_statsmodels_quasi_poisson_glm():
    frame = _counts()
    result = did_fit(frame, intervention=INTERVENTION, kind="count")
    d = _direct_frame(frame)
    direct = smf.glm(
        "count ~ treated + post + treated:post",
        data=d,
        family=sm.families.Poisson(),
        offset=np.log(d["exposure"]),
    ).fit(scale="X2", use_t=True)
    name = "treated:post"
    ci = direct.conf_int(alpha=0.05).loc[name]
    assert result.se_type == "quasi-Poisson"
    assert result.effect.estimate == pytest.approx(direct.params[name], abs=1e-8)
    assert result.effect.se == pytest.approx(direct.bse[name], abs=1e-6)
    assert result.effect.ci_low == pytest.approx(ci.iloc[0], abs=1e-4)
    assert result.rate_ratio is not None
    assert result.rate_ratio.estimate == pytest.approx(np.exp(direct.params[name]), rel=1e-8)
    assert result.rate_ratio.ci_high == pytest.approx(np.exp(ci.iloc[1]), rel=1e-4)
    assert result.rate_ratio.se is None


def test_count_model_clusters_by_area_like_statsmodels():
    frame = _counts(n_areas=24)
    result = did_fit(frame, intervention=INTERVENTION, kind="count")
    d = _direct_frame(frame)
    direct = smf.glm(
        "count ~ treated + post + treated:post",
        data=d,
        family=sm.families.Poisson(),
        offset=np.log(d["exposure"]),
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["area"])[0]}, use_t=True)
    assert result.se_type == "cluster(area)"
    assert result.effect.se == pytest.approx(direct.bse["treated:post"], abs=1e-6)
    assert result.effect.ci_low == pytest.approx(direct.conf_int().loc["treated:post", 0], abs=1e-4)


def test_count_cell_means_are_pooled_rates():
    frame = _counts()
    result = did_fit(frame, intervention=INTERVENTION, kind="count")
    before = frame[pd.to_datetime(frame["period"]) < pd.Timestamp(INTERVENTION)]
    pilot = before[before["group"] == "pilot"]
    assert result.baseline == pytest.approx(pilot["count"].sum() / pilot["exposure"].sum())
    ratio = (result.cell_means["pilot_after"] / result.cell_means["pilot_before"]) / (
        result.cell_means["comparison_after"] / result.cell_means["comparison_before"]
    )
    assert result.rate_ratio.estimate == pytest.approx(ratio, rel=1e-8)


def test_proportion_model_is_wls_weighted_by_denominator():
    frame = _counts().rename(columns={"count": "numerator", "exposure": "denominator"})
    result = did_fit(frame, intervention=INTERVENTION, kind="proportion")
    d = _direct_frame(frame)
    d["p"] = d["numerator"] / d["denominator"]
    direct = smf.wls("p ~ treated + post + treated:post", data=d, weights=d["denominator"]).fit(
        cov_type="HC1"
    )
    assert result.effect.estimate == pytest.approx(direct.params["treated:post"], abs=1e-12)
    assert result.effect.se == pytest.approx(direct.bse["treated:post"], abs=1e-9)
    cm = result.cell_means
    assert result.effect.estimate == pytest.approx(
        (cm["pilot_after"] - cm["pilot_before"])
        - (cm["comparison_after"] - cm["comparison_before"])
    )
    assert result.rate_ratio is None


# --- pre-trend check ------------------------------------------------------------------------


def test_diverging_pretrends_are_flagged():
    frame = _panel(n_areas=10, n_before=6, pilot_slope=1.0, comparison_slope=0.0)
    result = did_fit(frame, intervention=INTERVENTION)
    assert result.pretrend is not None
    assert result.pretrend.estimate == pytest.approx(1.0, abs=0.2)
    assert result.pretrend_violated is True
    assert any("parallel-trends assumption is doubtful" in n for n in result.notes)


def test_parallel_pretrends_are_not_flagged():
    frame = _panel(n_areas=10, n_before=6, pilot_slope=1.0, comparison_slope=1.0)
    result = did_fit(frame, intervention=INTERVENTION)
    assert result.pretrend is not None
    assert result.pretrend.p_value > 0.05
    assert result.pretrend_violated is False


def test_pretrend_matches_direct_regression_on_baseline_rows():
    frame = _panel(n_areas=10, n_before=4, pilot_slope=0.5)
    result = did_fit(frame, intervention=INTERVENTION)
    d = _direct_frame(frame)
    pre = d[d["post"] == 0].copy()
    pre["t"] = pre["period"].rank(method="dense") - 1
    direct = smf.ols("value ~ treated + t + treated:t", data=pre).fit(cov_type="HC1")
    assert result.pretrend.estimate == pytest.approx(direct.params["treated:t"], abs=1e-9)
    assert result.pretrend.se == pytest.approx(direct.bse["treated:t"], abs=1e-9)


def test_two_baseline_periods_give_no_pretrend_check():
    result = did_fit(_panel(n_before=2), intervention=INTERVENTION)
    assert result.pretrend is None and result.pretrend_violated is None
    assert any(n.startswith("too few baseline periods for a pre-trend check") for n in result.notes)


# --- insufficient data ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "kind", "code"),
    [
        (_tiny({("pilot", False): 3, ("pilot", True): 3}), "continuous", "no_comparison_group"),
        (_tiny(FULL).drop(columns="group"), "continuous", "no_comparison_group"),
        (
            _tiny({("pilot", False): 3, ("pilot", True): 3, ("comparison", False): 3}),
            "continuous",
            "comparison_missing_period",
        ),
        (
            _tiny({("pilot", True): 3, ("comparison", False): 3, ("comparison", True): 3}),
            "continuous",
            "pilot_missing_period",
        ),
        (_tiny({**FULL, ("pilot", True): 1}), "continuous", "too_few_points"),
        (
            _tiny(FULL).assign(numerator=5.0, denominator=4.0).drop(columns="value"),
            "proportion",
            "invalid_counts",
        ),
        (
            _tiny(FULL).assign(numerator=1.0, denominator=0.0).drop(columns="value"),
            "proportion",
            "invalid_counts",
        ),
        (
            _tiny(FULL).assign(count=-1.0, exposure=10.0).drop(columns="value"),
            "count",
            "invalid_counts",
        ),
        (
            _tiny(FULL).assign(count=2.5, exposure=10.0).drop(columns="value"),
            "count",
            "invalid_counts",
        ),
        (
            _tiny(FULL).assign(count=0.0, exposure=10.0).drop(columns="value"),
            "count",
            "zero_count_cell",
        ),
    ],
    ids=[
        "no-comparison-rows",
        "no-group-column",
        "comparison-only-before",
        "pilot-only-after",
        "single-row-cell",
        "numerator-above-denominator",
        "zero-denominator",
        "negative-count",
        "fractional-count",
        "no-events-in-a-cell",
    ],
)
def test_insufficient_data_codes(frame, kind, code):
    with pytest.raises(InsufficientData) as info:
        did_fit(frame, intervention=INTERVENTION, kind=kind)
    assert info.value.code == code
    assert info.value.message_nl and info.value.message_en


def test_minimal_frame_with_two_rows_per_cell_fits():
    result = did_fit(_tiny({k: 2 for k in FULL}), intervention=INTERVENTION)
    assert result.n_before == 4 and result.n_after == 4


def test_missing_outcomes_are_dropped_with_a_note():
    frame = _tiny(FULL)
    frame.loc[0, "value"] = np.nan
    result = did_fit(frame, intervention=INTERVENTION)
    assert result.n_before + result.n_after == 11
    assert "1 row(s) with a missing period, group or outcome were left out." in result.notes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "ratio"}, "kind"),
        ({"cov_type": "HC3"}, "cov_type"),
        ({"cov_type": "cluster"}, "area"),
    ],
)
def test_bad_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        did_fit(_tiny(FULL), intervention=INTERVENTION, **kwargs)


def test_unknown_group_label_is_a_value_error():
    frame = _tiny(FULL)
    frame.loc[0, "group"] = "control"
    with pytest.raises(ValueError, match="control"):
        did_fit(frame, intervention=INTERVENTION)


# --- shape of the result ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["continuous", "count"])
def test_unsorted_input_gives_the_same_result(kind):
    frame = _panel(n_areas=24) if kind == "continuous" else _counts()
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert did_fit(shuffled, intervention=INTERVENTION, kind=kind) == did_fit(
        frame, intervention=INTERVENTION, kind=kind
    )


def test_to_dict_is_json_ready_and_complete(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["effect"]["estimate"] == pytest.approx(2.7536, abs=5e-5)
    assert payload["se_type"] == "HC1"
    assert payload["n_before"] == 398 and payload["n_after"] == 396
    assert set(payload["cell_means"]) == {
        "pilot_before",
        "pilot_after",
        "comparison_before",
        "comparison_after",
    }


def test_summary_mentions_the_method_and_se_type(card_krueger):
    text = did_fit(card_krueger, intervention=CK_INTERVENTION).summary()
    assert "+2.75" in text and "HC1" in text


def test_result_is_frozen(card_krueger):
    result = did_fit(card_krueger, intervention=CK_INTERVENTION)
    with pytest.raises(AttributeError):
        result.baseline = 0.0  # type: ignore[misc]


# --- property: a result or InsufficientData, never another exception -----------------------

_PERIODS = [date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1)]
_OUTCOMES = {
    "continuous": ["value"],
    "proportion": ["numerator", "denominator"],
    "count": ["count", "exposure"],
}
# Mostly small whole numbers, so that many frames get as far as a fit; sometimes anything.
_values = st.one_of(
    st.integers(0, 6).map(float),
    st.integers(0, 6).map(float),
    st.integers(0, 6).map(float),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5).map(float),
)


@st.composite
def _random_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    kind = draw(st.sampled_from(["continuous", "proportion", "count"]))
    n = draw(st.integers(0, 24))
    rows = []
    for _ in range(n):
        row = {
            "period": draw(st.sampled_from(_PERIODS)),
            "group": draw(st.sampled_from(["pilot", "comparison", "pilot", "comparison", None])),
            "area": draw(st.sampled_from(["a", "b", "c", None])),
        }
        if kind == "continuous":
            row["value"] = draw(_values)
        elif kind == "proportion":
            row["numerator"] = draw(_values)
            row["denominator"] = draw(_values)
        else:
            row["count"] = draw(_values)
            row["exposure"] = draw(_values)
        rows.append(row)
    columns = ["period", "group", "area", *_OUTCOMES[kind]]
    return pd.DataFrame(rows, columns=columns), kind


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_random_frames(), min_clusters=st.integers(1, 4))
def test_random_frames_give_a_result_or_insufficient_data(case, min_clusters):
    frame, kind = case
    try:
        result = did_fit(
            frame, intervention=date(2023, 12, 1), kind=kind, min_clusters=min_clusters
        )
    except InsufficientData as exc:
        event(f"InsufficientData {exc.code}")
        assert exc.code
        return
    event("result")
    assert isinstance(result, DiDResult)
    json.dumps(result.to_dict(), allow_nan=False)
