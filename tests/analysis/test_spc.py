"""SPC charts: hand-computed limits, one hand-made series per rule and edge case, data checks.

Most rule tests share one XmR baseline: 16 months alternating 12, 10 (no trend, no shift),
so centre = 11, every moving range = 2, mean MR = 2, limits 11 ± 5.32 = [5.68, 16.32] and the
2/3 lines 11 ± 3.5467 = [7.4533, 14.5467]. The baseline ends on 10 (below the centre), so a run
of "after" points above the centre does not join a baseline point.
"""

from __future__ import annotations

import json
import math
from datetime import date

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from tracker.analysis.estimates import InsufficientData
from tracker.analysis.spc import spc_chart

BASELINE = [12.0, 10.0] * 8
INTERVENTION = date(2024, 1, 1)
CENTER = 11.0
UPPER, LOWER = 11 + 2.66 * 2, 11 - 2.66 * 2
INNER_UPPER, INNER_LOWER = 11 + (2 / 3) * 2.66 * 2, 11 - (2 / 3) * 2.66 * 2


def months(n: int, start: date = date(2022, 9, 1)) -> list[date]:
    """n consecutive month starts."""
    return [date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
            for i in range(n)]  # fmt: skip


def xmr(after: list[float], *, baseline: list[float] = BASELINE, better: str = "higher"):
    """An XmR chart of baseline + after, the baseline ending just before INTERVENTION."""
    periods = months(len(baseline) + len(after), start=_start(len(baseline)))
    return spc_chart(
        periods, intervention=INTERVENTION, chart="xmr", values=baseline + after, better=better
    )


def _start(n_before: int) -> date:
    index = INTERVENTION.year * 12 + INTERVENTION.month - 1 - n_before
    return date(index // 12, index % 12 + 1, 1)


def after_rules(result) -> list[str | None]:
    """The rule of each after point (None when unflagged)."""
    return [p.rule for p in result.points if p.phase == "after"]


# --- limits ---------------------------------------------------------------------------------


def test_shared_baseline_has_the_documented_limits_and_no_signals():
    result = xmr([11.0])
    assert result.limits.center == CENTER
    assert result.mean_moving_range == 2.0
    assert result.limits.upper == pytest.approx(UPPER)
    assert result.limits.lower == pytest.approx(LOWER)
    assert result.limits.inner_upper == pytest.approx(INNER_UPPER)
    assert result.limits.inner_lower == pytest.approx(INNER_LOWER)
    assert result.signals == ()


def test_xmr_limits_by_hand_with_a_screened_moving_range():
    # Moving ranges 2,1,2,1,18,18,1,1,1,2,1: mean 48/11 = 4.364, screen at 3.267 × 4.364 = 14.26
    # drops both 18s; the screened mean is 12/9 = 1.333. Centre = 159/12 = 13.25.
    baseline = [10.0, 12, 11, 13, 12, 30, 12, 11, 12, 13, 11, 12]
    result = xmr([13.0], baseline=baseline)
    assert result.limits.center == 13.25
    assert result.screened_moving_ranges == 2
    assert result.mean_moving_range == pytest.approx(12 / 9)
    assert result.limits.upper == pytest.approx(13.25 + 2.66 * 12 / 9)  # 16.797
    assert result.limits.lower == pytest.approx(13.25 - 2.66 * 12 / 9)  # 9.703
    # Unscreened the limits would be 13.25 ± 11.607: the screen narrows them.
    assert result.limits.upper < 13.25 + 2.66 * 48 / 11
    assert any(n.code == "moving_ranges_screened" for n in result.notes)


def test_xmr_without_outlying_moving_ranges_screens_nothing():
    assert xmr([11.0]).screened_moving_ranges == 0


def test_xmr_constant_baseline_has_limits_on_the_centre_and_screens_nothing():
    result = xmr([5.0, 5.0], baseline=[5.0] * 10)
    assert (result.limits.lower, result.limits.upper) == (5.0, 5.0)
    assert result.screened_moving_ranges == 0
    assert result.signals == ()
    assert result.effect.p_value is None
    assert any(n.code == "no_baseline_variation" for n in result.notes)


@pytest.mark.parametrize(
    ("denominator", "lower", "upper"),
    [
        (100, 0.01, 0.19),  # 0.1 ± 3·sqrt(0.09/100) = 0.1 ± 0.09
        (400, 0.055, 0.145),  # 0.1 ± 3·sqrt(0.09/400) = 0.1 ± 0.045
        (25, 0.0, 0.28),  # 0.1 ± 0.18: lower clipped at 0
    ],
)
def test_p_chart_per_point_limits_by_hand(denominator, lower, upper):
    result = spc_chart(
        months(9),
        intervention=months(9)[8],
        chart="p",
        numerators=[10] * 8 + [5],
        denominators=[100] * 8 + [denominator],
        better="higher",
    )
    point = result.points[-1]
    assert result.limits.center == pytest.approx(0.1)
    assert (point.lower, point.upper) == pytest.approx((lower, upper))
    assert result.limits.lower[-1] == point.lower
    assert result.limits.upper[-1] == point.upper


def test_p_chart_upper_limit_clipped_at_one():
    result = spc_chart(
        months(9),
        intervention=months(9)[8],
        chart="p",
        numerators=[90] * 8 + [20],
        denominators=[100] * 8 + [25],  # 0.9 ± 0.18
        better="higher",
    )
    assert (result.points[-1].lower, result.points[-1].upper) == pytest.approx((0.72, 1.0))


@pytest.mark.parametrize(
    ("exposure", "lower", "upper"),
    [
        (2.0, 0.0, 5.0),  # 2 ± 3·sqrt(2/2) = 2 ± 3: lower clipped at 0
        (8.0, 0.5, 3.5),  # 2 ± 3·sqrt(2/8) = 2 ± 1.5
        (50.0, 1.4, 2.6),  # 2 ± 3·sqrt(2/50) = 2 ± 0.6
    ],
)
def test_u_chart_per_point_limits_by_hand(exposure, lower, upper):
    result = spc_chart(
        months(9),
        intervention=months(9)[8],
        chart="u",
        numerators=[4] * 8 + [3],
        denominators=[2.0] * 8 + [exposure],
        better="lower",
    )
    assert result.limits.center == 2.0
    assert (result.points[-1].lower, result.points[-1].upper) == pytest.approx((lower, upper))


def test_p_chart_two_thirds_line_is_two_sigma_even_where_the_limit_is_clipped():
    result = spc_chart(
        months(9),
        intervention=months(9)[8],
        chart="p",
        numerators=[10] * 8 + [5],
        denominators=[100] * 8 + [25],
        better="higher",
    )
    assert result.points[-1].inner_lower == pytest.approx(0.1 - 2 * 0.06)


@pytest.mark.parametrize(
    "after",
    [[11.0, 11.0, 11.0], [30.0, -4.0, 100.0], [5.0, 6.0, 7.0]],
)
def test_limits_depend_only_on_the_baseline(after):
    reference = xmr([11.0, 11.0, 11.0]).limits
    assert xmr(after).limits == reference


def test_p_limits_depend_only_on_the_baseline():
    def chart(after_num: int):
        return spc_chart(
            months(10),
            intervention=months(10)[8],
            chart="p",
            numerators=[10, 12, 9, 11, 10, 8, 12, 10, after_num, after_num],
            denominators=[100] * 8 + [50, 80],
            better="higher",
        )

    assert chart(0).limits == chart(50).limits


# --- outside_limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "better", "direction"),
    [
        (17.0, "higher", "improvement"),
        (17.0, "lower", "concern"),
        (5.0, "higher", "concern"),
        (5.0, "lower", "improvement"),
    ],
)
def test_point_outside_limits_is_flagged_with_direction(value, better, direction):
    result = xmr([value], better=better)
    assert [(s.rule, s.direction) for s in result.signals] == [("outside_limits", direction)]
    assert result.signals[0].period == result.points[-1].period


def test_points_just_inside_the_limits_are_not_outside():
    assert after_rules(xmr([16.3, 11.0, 5.7])) == [None, None, None]


# --- trend ----------------------------------------------------------------------------------

UP7 = [8.0, 9, 10, 11, 12, 13, 14]


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("exactly 7 increasing", UP7, ["trend"] * 7),
        ("6 increasing", UP7[:6], [None] * 6),
        ("a tie inside", [8.0, 9, 10, 10, 11, 12, 13, 14], [None] * 8),
        ("8 increasing", [7.5, *UP7], ["trend"] * 8),
        ("7 decreasing", UP7[::-1], ["trend"] * 7),
        ("outside wins", [*UP7[:6], 17.0], ["trend"] * 6 + ["outside_limits"]),
    ],
)
def test_trend_rule(name, after, expected):
    assert after_rules(xmr(after)) == expected


@pytest.mark.parametrize(
    ("after", "better", "direction"),
    [
        (UP7, "higher", "improvement"),
        (UP7, "lower", "concern"),
        (UP7[::-1], "higher", "concern"),
        (UP7[::-1], "lower", "improvement"),
    ],
)
def test_trend_direction_follows_the_trend_not_the_side(after, better, direction):
    result = xmr(after, better=better)
    assert {s.direction for s in result.signals if s.rule == "trend"} == {direction}


# --- two_of_three ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("2 of 3 above", [15.0, 12.0, 15.0], ["two_of_three", None, "two_of_three"]),
        ("2 consecutive below", [10.0, 7.0, 7.0], [None, "two_of_three", "two_of_three"]),
        ("opposite sides", [15.0, 12.0, 7.0], [None, None, None]),
        ("too far apart", [15.0, 12.0, 12.0, 15.0], [None] * 4),
        ("on the 2/3 line", [INNER_UPPER, 12.0, INNER_UPPER], [None, None, None]),
        ("outside counts", [17.0, 12.0, 15.0], ["outside_limits", None, "two_of_three"]),
    ],
)
def test_two_of_three_rule(name, after, expected):
    assert after_rules(xmr(after)) == expected


def test_two_of_three_direction_by_side():
    result = xmr([7.0, 7.0], better="lower")
    assert [s.direction for s in result.signals] == ["improvement", "improvement"]


# --- shift ----------------------------------------------------------------------------------

ABOVE7 = [12.0, 11.5, 12.5, 12.0, 13.0, 11.5, 12.0]


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("7 above", ABOVE7, ["shift"] * 7),
        ("6 above", ABOVE7[:6], [None] * 6),
        ("centre breaks", [*ABOVE7[:3], 11.0, *ABOVE7[3:]], [None] * 8),
        ("8 above", [*ABOVE7, 12.5], ["shift"] * 8),
        (
            "7 below after a centre point",
            [11.0, 10, 10.5, 9.5, 10, 9, 10.5, 10],
            [None] + ["shift"] * 7,
        ),
    ],
)
def test_shift_rule(name, after, expected):
    assert after_rules(xmr(after)) == expected


def test_a_value_equal_to_the_centre_in_decimals_is_on_the_centre():
    # The baseline mean of 0.1, 0.1, 0.7, ... is 0.30000000000000004 in floating point; 0.3
    # still counts as on the centre line and breaks what would otherwise be 7 below.
    result = xmr([0.2, 0.25, 0.3, 0.2, 0.25, 0.2, 0.25], baseline=[0.1, 0.1, 0.7] * 5)
    assert result.limits.center != 0.3
    assert after_rules(result) == [None] * 7


def test_shift_direction_by_side():
    result = xmr(ABOVE7, better="lower")
    assert {s.direction for s in result.signals} == {"concern"}


def test_shift_found_in_the_baseline_too():
    baseline = [12.0, 13, 12, 13, 12, 13, 12, 10, 11.0, 10]
    result = xmr([11.3], baseline=baseline)
    assert [p.rule for p in result.points[:7]] == ["shift"] * 7


# --- effect and result ------------------------------------------------------------------------


def test_xmr_effect_uses_sigma_from_the_mean_moving_range():
    result = xmr([13.0, 15.0])
    sigma = 2 / 1.128
    se = sigma * math.sqrt(1 / 16 + 1 / 2)
    assert result.effect.estimate == 3.0
    assert result.effect.se == pytest.approx(se)
    assert result.effect.ci_low == pytest.approx(3 - 1.959964 * se)
    assert result.effect.p_value == pytest.approx(math.erfc(3 / se / math.sqrt(2)))


def test_points_are_sorted_and_result_is_json_ready():
    periods = months(17, start=_start(16))
    values = [*BASELINE, 20.0]
    order = list(range(17))[::-1]
    result = spc_chart(
        [periods[i] for i in order],
        intervention=INTERVENTION,
        chart="xmr",
        values=[values[i] for i in order],
        better="higher",
    )
    assert [p.period for p in result.points] == periods
    assert (result.n_before, result.n_after) == (16, 1)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["signals"] == [
        {"period": "2024-01-01", "rule": "outside_limits", "direction": "improvement"}
    ]
    assert "verschil 9,0" in result.summary()


@pytest.mark.parametrize(("n_before", "noted"), [(8, True), (14, True), (15, False)])
def test_short_baseline_note(n_before, noted):
    result = xmr([11.0], baseline=BASELINE[:n_before])
    assert any(n.code == "short_baseline" for n in result.notes) is noted


# --- insufficient data ------------------------------------------------------------------------


def _raises(code: str, **kwargs) -> None:
    with pytest.raises(InsufficientData) as info:
        spc_chart(**kwargs)
    assert info.value.code == code


TEN = months(10)


@pytest.mark.parametrize(
    ("code", "kwargs"),
    [
        ("too_few_baseline_points", {"chart": "xmr", "values": [1.0] * 10, "cut": 7}),
        ("too_few_baseline_points", {"chart": "xmr", "values": [1.0] * 10, "cut": 0}),
        ("no_post_periods", {"chart": "xmr", "values": [1.0] * 10, "cut": None}),
        ("invalid_values", {"chart": "xmr", "values": [1.0] * 9 + [math.nan]}),
        ("invalid_counts", {"chart": "p", "numerators": [1] * 10, "denominators": [0] * 10}),
        ("invalid_counts", {"chart": "p", "numerators": [5] * 9 + [11], "denominators": [10] * 10}),
        ("invalid_counts", {"chart": "p", "numerators": [-1] * 10, "denominators": [10] * 10}),
        ("invalid_counts", {"chart": "u", "numerators": [1] * 10, "denominators": [-2] * 10}),
        ("invalid_counts", {"chart": "u", "numerators": [-1] * 10, "denominators": [2] * 10}),
        ("invalid_counts", {"chart": "u", "numerators": [9] * 10, "denominators": [1e-320] * 10}),
        ("invalid_counts", {"chart": "u", "numerators": [1] * 10, "denominators": [math.nan] * 10}),
        (
            "duplicate_periods",
            {"chart": "xmr", "values": [1.0] * 10, "periods": [*TEN[:9], TEN[0]]},
        ),
    ],
)
def test_insufficient_data_codes(code, kwargs):
    kwargs = dict(kwargs)
    periods = kwargs.pop("periods", TEN)
    cut = kwargs.pop("cut", 8)
    intervention = date(2030, 1, 1) if cut is None else TEN[cut]
    _raises(code, periods=periods, intervention=intervention, better="higher", **kwargs)


def test_u_chart_allows_counts_above_exposure():
    result = spc_chart(
        TEN, intervention=TEN[8], chart="u", numerators=[30] * 10, denominators=[2] * 10,
        better="lower",
    )  # fmt: skip
    assert result.limits.center == 15.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chart": "xbar", "values": [1.0] * 10},
        {"chart": "xmr", "values": [1.0] * 10, "better": "up"},
        {"chart": "xmr", "values": [1.0] * 10, "alpha": 1.5},
        {"chart": "xmr", "values": [1.0] * 9},
        {"chart": "p", "values": [1.0] * 10},
        {"chart": "xmr", "values": [1.0] * 10, "numerators": [1] * 10},
    ],
)
def test_misuse_is_a_value_error(kwargs):
    kwargs = {"better": "higher", **kwargs}
    with pytest.raises(ValueError):
        spc_chart(TEN, intervention=TEN[8], **kwargs)


# --- property -------------------------------------------------------------------------------


@st.composite
def random_charts(draw):
    """Mostly valid series (so the rules run), sometimes with one duplicate or one bad number."""
    n = draw(st.integers(0, 40))
    days = st.dates(date(2020, 1, 1), date(2020, 3, 31))
    periods = draw(st.lists(days, min_size=n, max_size=n, unique=True))
    chart = draw(st.sampled_from(["xmr", "p", "u"]))
    kwargs = {"chart": chart, "better": draw(st.sampled_from(["higher", "lower"]))}
    if chart == "xmr":
        value = st.floats(-1e6, 1e6) | st.sampled_from([0.0, 1.0])
        kwargs["values"] = draw(st.lists(value, min_size=n, max_size=n))
    else:
        den = draw(st.lists(st.integers(1, 40) | st.floats(0.01, 40), min_size=n, max_size=n))
        kwargs["denominators"] = den
        kwargs["numerators"] = [draw(st.integers(0, math.floor(d))) for d in den]
    if n and draw(st.booleans()) and draw(st.booleans()):
        i = draw(st.integers(0, n - 1))
        if draw(st.booleans()):
            periods[i] = periods[0] if i else periods[-1]
        else:
            counts = st.sampled_from(["numerators", "denominators"])
            name = "values" if chart == "xmr" else draw(counts)
            kwargs[name][i] = draw(st.sampled_from([-1, 0, math.nan, math.inf, 1e9]))
    if periods and draw(st.booleans()):
        intervention = sorted(periods)[draw(st.integers(0, len(periods) - 1))]
    else:
        intervention = draw(st.dates(date(2019, 12, 1), date(2020, 4, 30)))
    return periods, intervention, kwargs


@settings(max_examples=300, deadline=None)
@given(random_charts())
def test_random_series_give_a_result_or_insufficient_data(case):
    periods, intervention, kwargs = case
    try:
        result = spc_chart(periods, intervention=intervention, **kwargs)
    except InsufficientData as error:
        assert error.code in {
            "too_few_baseline_points",
            "no_post_periods",
            "invalid_counts",
            "invalid_values",
            "duplicate_periods",
        }
        return
    assert {s.period for s in result.signals} <= set(periods)
    assert len(result.points) == len(periods) == result.n_before + result.n_after
    assert sum(p.rule is not None for p in result.points) == len(result.signals)
    assert all(p.lower <= p.center <= p.upper for p in result.points)
    json.dumps(result.to_dict())
