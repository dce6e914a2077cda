"""Small-number protection (``tracker.io.suppression``): the rules of its module docstring.

Pure: hand-built tidy frames, no database. With N the threshold, for a measure of kind *count*
no ``count`` or ``exposure`` below N is shown; for kind *proportion* no ``numerator`` or
``denominator`` below N and no numerator whose complement (denominator − numerator) is below N;
the whole row (area '') of a measure × period × group loses the cell an area row lost; a result
that rests on one data point of a measure with a left-out cell loses its levels and effects.
Continuous measures are never touched. "Below" is strict and zero is left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.io.suppression import (
    RESULT_LEVEL_FIELDS,
    lost_periods,
    mark_for,
    protect_result,
    suppress_measurements,
    suppress_results,
)

NAN = float("nan")
COUNT, PROPORTION, CONTINUOUS = "meldingen", "aandeel_doorverwezen", "wachttijd"
KINDS = {COUNT: "count", PROPORTION: "proportion", CONTINUOUS: "continuous", "incidenten": "count"}
VALUE_COLUMNS = ("value", "numerator", "denominator", "count", "exposure")
PROTECTED = {"count": ("count", "exposure"), "proportion": ("numerator", "denominator")}
COLUMNS = ("pilot", "measure", "period", "area", "group", *VALUE_COLUMNS, "source")


def row(
    measure: str,
    *,
    period: str = "2021-01-01",
    area: str = "",
    group: str = "pilot",
    value: float = NAN,
    numerator: float = NAN,
    denominator: float = NAN,
    count: float = NAN,
    exposure: float = NAN,
    source: str = "CBS",
    pilot: str = "netwerk-noord",
) -> dict:
    return {
        "pilot": pilot,
        "measure": measure,
        "period": pd.Timestamp(period),
        "area": area,
        "group": group,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "count": count,
        "exposure": exposure,
        "source": source,
    }


def tidy(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    for name in VALUE_COLUMNS:
        frame[name] = frame[name].astype("float64")
    return frame


def emptied(before: pd.DataFrame, after: pd.DataFrame, name: str) -> np.ndarray:
    """Cells that held a number and are missing now."""
    return (before[name].notna() & after[name].isna()).to_numpy()


def names(label: str) -> set[str]:
    return {part for part in label.split(", ") if part}


# --------------------------------------------------------------------------- rules 1 and 2
@pytest.mark.parametrize(
    ("threshold", "count", "exposure", "label"),
    [
        (5, 4, 1000, "count"),
        (5, 5, 1000, ""),
        (5, 4.999, 1000, "count"),
        (5, 0, 1000, "count"),
        (5, 10, 4, "exposure"),
        (5, 10, 5, ""),
        (5, 3, 3, "count, exposure"),
        (1, 0, 1000, "count"),
        (1, 1, 1000, ""),
        (1, 5, 0.5, "exposure"),
        (10, 9, 1000, "count"),
        (10, 10, 1000, ""),
        (10, 20, 9.99, "exposure"),
        (10, 0, 0, "count, exposure"),
    ],
)
def test_counts_and_exposures_below_the_threshold_are_left_out(threshold, count, exposure, label):
    frame = tidy(row(COUNT, count=count, exposure=exposure))
    done = suppress_measurements(frame, KINDS, threshold)
    assert list(done.labels) == [label]
    assert set(done.masks) == names(label)
    assert all(done.masks[name].tolist() == [True] for name in names(label))
    for name, original in (("count", count), ("exposure", exposure)):
        shown = done.frame.loc[0, name]
        if name in names(label):
            assert np.isnan(shown)
        else:
            assert shown == original
    assert done.cells == len(names(label))


@pytest.mark.parametrize(
    ("threshold", "numerator", "denominator", "label"),
    [
        (5, 4, 100, "numerator"),
        (5, 5, 100, ""),
        (5, 0, 100, "numerator"),
        (5, 95, 100, ""),  # complement 5
        (5, 96, 100, "numerator"),  # complement 4: "96 of 100" tells that 4 did not
        (5, 100, 100, "numerator"),  # complement 0
        (5, 5, 9, "numerator"),  # complement 4, denominator 9 shown
        (5, 5, 10, ""),
        (5, 0, 5, "numerator"),  # a denominator of 5 is shown
        (5, 2, 4, "numerator, denominator"),
        (5, 0, 0, "numerator, denominator"),
        (1, 0, 10, "numerator"),
        (1, 1, 10, ""),
        (1, 9, 10, ""),
        (1, 10, 10, "numerator"),  # complement 0: "everybody" is as telling as "nobody"
        (10, 9, 100, "numerator"),
        (10, 10, 100, ""),
        (10, 90, 100, ""),
        (10, 91, 100, "numerator"),
        (10, 5, 9, "numerator, denominator"),
    ],
)
def test_numerators_complements_and_denominators_below_the_threshold_are_left_out(
    threshold, numerator, denominator, label
):
    frame = tidy(row(PROPORTION, numerator=numerator, denominator=denominator))
    done = suppress_measurements(frame, KINDS, threshold)
    assert list(done.labels) == [label]
    assert set(done.masks) == names(label)
    for name, original in (("numerator", numerator), ("denominator", denominator)):
        shown = done.frame.loc[0, name]
        if name in names(label):
            assert np.isnan(shown)
        else:
            assert shown == original


def test_missing_values_stay_missing_and_are_not_counted_as_left_out():
    frame = tidy(
        row(COUNT, count=NAN, exposure=1000),
        row(COUNT, period="2021-02-01", count=2, exposure=NAN),
        row(PROPORTION, numerator=NAN, denominator=3),
        row(PROPORTION, period="2021-02-01", numerator=NAN, denominator=NAN),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == ["", "count", "denominator", ""]
    assert {name: mask.tolist() for name, mask in done.masks.items()} == {
        "count": [False, True, False, False],
        "denominator": [False, False, True, False],
    }
    assert done.cells == 2
    assert done.frame["count"].isna().tolist() == [True, True, True, True]
    assert done.frame["exposure"].tolist()[0] == 1000
    assert done.frame["exposure"].isna().tolist() == [False, True, True, True]
    assert done.frame["numerator"].isna().all()


def test_continuous_measures_are_never_touched_whatever_their_columns_hold():
    frame = tidy(
        row(CONTINUOUS, value=0.0),
        row(CONTINUOUS, period="2021-02-01", value=1.0, count=1, numerator=0, denominator=2),
        row(CONTINUOUS, area="WK036301", value=2.5, count=0, exposure=1),
        row(CONTINUOUS, period="2021-02-01", area="WK036301", value=3.0, count=0, exposure=1),
    )
    before = frame.copy(deep=True)
    done = suppress_measurements(frame, KINDS, 5)
    assert done.masks == {}
    assert list(done.labels) == ["", "", "", ""]
    assert done.cells == 0
    pd.testing.assert_frame_equal(done.frame, before)


def test_labels_and_masks_are_exact_per_row_and_the_other_columns_are_unchanged():
    frame = tidy(
        row(COUNT, count=3, exposure=2, source="politie"),
        row(COUNT, period="2021-02-01", count=12, exposure=1500, source="=1+1"),
        row(PROPORTION, numerator=2, denominator=3),
        row(PROPORTION, period="2021-02-01", numerator=18, denominator=20),
        row(PROPORTION, period="2021-03-01", numerator=6, denominator=20),
        row(CONTINUOUS, value=-3.5, source="eigen telling"),
        row(COUNT, period="2021-03-01", count=0, exposure=900),
    )
    before = frame.copy(deep=True)
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == [
        "count, exposure",
        "",
        "numerator, denominator",
        "numerator",
        "",
        "",
        "count",
    ]
    assert {name: mask.tolist() for name, mask in done.masks.items()} == {
        "numerator": [False, False, True, True, False, False, False],
        "denominator": [False, False, True, False, False, False, False],
        "count": [True, False, False, False, False, False, True],
        "exposure": [True, False, False, False, False, False, False],
    }
    assert done.cells == 6
    # The input frame is not changed; the output keeps every other column and cell.
    pd.testing.assert_frame_equal(frame, before)
    assert list(done.frame.columns) == list(COLUMNS)
    untouched = [c for c in COLUMNS if c not in VALUE_COLUMNS]
    pd.testing.assert_frame_equal(done.frame[untouched], before[untouched])
    pd.testing.assert_series_equal(done.frame["value"], before["value"])
    for name, mask in done.masks.items():
        assert done.frame.loc[mask, name].isna().all()
        pd.testing.assert_series_equal(done.frame.loc[~mask, name], before.loc[~mask, name])


@pytest.mark.parametrize("threshold", [0, -1, -5])
def test_a_threshold_below_one_is_refused(threshold):
    with pytest.raises(ValueError, match="at least 1"):
        suppress_measurements(tidy(row(COUNT, count=3, exposure=100)), KINDS, threshold)


def test_the_mark_names_the_threshold():
    assert (mark_for(5), mark_for(1), mark_for(10)) == ("<5", "<1", "<10")


# --------------------------------------------------------------------------- rule 3: totals
def test_the_whole_loses_the_cell_an_area_lost_within_its_measure_period_and_group():
    frame = tidy(
        # 0-2: January, pilot group: WK01 has 3 → the whole (43) would give it back.
        row(COUNT, area="WK036301", count=3, exposure=500),
        row(COUNT, area="WK036302", count=40, exposure=700),
        row(COUNT, count=43, exposure=1200),
        # 3-4: February, pilot group: no area lost anything → the whole stays.
        row(COUNT, period="2021-02-01", area="WK036301", count=30, exposure=500),
        row(COUNT, period="2021-02-01", count=70, exposure=1200),
        # 5-6: January, comparison group: its own key → the whole stays.
        row(COUNT, group="comparison", area="WK036303", count=20, exposure=400),
        row(COUNT, group="comparison", count=50, exposure=900),
        # 7-8: another count measure in January, pilot group → stays.
        row("incidenten", area="WK036301", count=60, exposure=500),
        row("incidenten", count=60, exposure=500),
        # 9-11: a proportion: the area's numerator goes (2 of 30), so does the whole's; the
        # whole's denominator is not small and was not left out in any area: it stays.
        row(PROPORTION, area="WK036301", numerator=2, denominator=30),
        row(PROPORTION, area="WK036302", numerator=25, denominator=40),
        row(PROPORTION, numerator=27, denominator=70),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == [
        "count",
        "",
        "count",
        "",
        "",
        "",
        "",
        "",
        "",
        "numerator",
        "",
        "numerator",
    ]
    assert done.frame["count"].isna().tolist() == [True, False, True] + [False] * 6 + [True] * 3
    assert done.frame.loc[2, "exposure"] == 1200  # only the cell the area lost
    assert done.frame.loc[11, "denominator"] == 70
    assert done.frame.loc[4, "count"] == 70 and done.frame.loc[6, "count"] == 50
    assert done.frame.loc[8, "count"] == 60


def test_the_whole_loses_an_exposure_and_a_denominator_an_area_lost():
    frame = tidy(
        row(COUNT, area="WK036301", count=12, exposure=4),
        row(COUNT, count=50, exposure=900),
        row(PROPORTION, area="WK036301", numerator=1, denominator=3),
        row(PROPORTION, area="WK036302", numerator=10, denominator=40),
        row(PROPORTION, numerator=11, denominator=43),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == [
        "exposure",
        "exposure",
        "numerator, denominator",
        "",
        "numerator, denominator",
    ]
    assert done.frame.loc[1, "count"] == 50


def test_a_whole_without_the_cell_is_not_named_as_left_out():
    frame = tidy(
        row(COUNT, area="WK036301", count=2, exposure=500),
        row(COUNT, count=NAN, exposure=1200),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == ["count", ""]
    assert done.masks["count"].tolist() == [True, False]


def test_without_areas_nothing_else_is_left_out():
    frame = tidy(
        row(COUNT, count=3, exposure=100),
        row(COUNT, group="comparison", count=30, exposure=100),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == ["count", ""]


def test_rule_3_stays_within_one_pilot():
    """The whole of one pilot is not the total of another pilot's areas: an export of several
    pilots that share a measure (the demo pilots do) must not empty pilot A's whole because a
    buurt of pilot B has a small count in the same month."""
    frame = tidy(
        row(COUNT, pilot="pilot-a", count=50, exposure=1000),
        row(COUNT, pilot="pilot-b", area="BU03630101", count=2, exposure=100),
        row(COUNT, pilot="pilot-b", area="BU03630102", count=38, exposure=900),
        row(COUNT, pilot="pilot-b", count=40, exposure=1000),
    )
    done = suppress_measurements(frame, KINDS, 5)
    assert list(done.labels) == ["", "count", "", "count"]
    assert done.frame.loc[0, "count"] == 50


def shown_small(done, threshold: int) -> list[tuple[int, str, float]]:
    """Every shown cell of a protected column below the threshold (must be none)."""
    out = []
    frame = done.frame
    for i, measure in enumerate(frame["measure"]):
        for name in PROTECTED.get(KINDS.get(measure, "continuous"), ()):
            value = frame[name].iloc[i]
            if not np.isnan(value) and value < threshold:
                out.append((i, name, float(value)))
    return out


def revealing_totals(frame: pd.DataFrame, done) -> list[tuple[int, str]]:
    """Whole rows still shown in a column that an area row of the same key lost."""
    out = []
    keys = frame[["pilot", "measure", "period", "group"]].astype(str).agg("|".join, axis=1)
    for name, mask in done.masks.items():
        lost = set(keys[mask & (frame["area"] != "").to_numpy()])
        for i in np.flatnonzero((frame["area"] == "").to_numpy()):
            if keys.iloc[i] in lost and not np.isnan(done.frame[name].iloc[i]):
                out.append((int(i), name))
    return out


@pytest.mark.parametrize(
    "rows",
    [
        # The total is one area: the same small count twice.
        [
            row(COUNT, area="BU03630101", count=3, exposure=300),
            row(COUNT, count=3, exposure=300),
        ],
        # The total is one area plus a zero.
        [
            row(COUNT, area="BU03630101", count=7, exposure=300),
            row(COUNT, area="BU03630102", count=0, exposure=200),
            row(COUNT, count=7, exposure=500),
        ],
        # Whole minus the shown area gives the small one.
        [
            row(COUNT, area="BU03630101", count=4, exposure=300),
            row(COUNT, area="BU03630102", count=9, exposure=200),
            row(COUNT, count=13, exposure=500),
        ],
        # The same for a proportion, on the numerator and on the complement.
        [
            row(PROPORTION, area="BU03630101", numerator=3, denominator=3),
            row(PROPORTION, numerator=3, denominator=3),
        ],
        [
            row(PROPORTION, area="BU03630101", numerator=18, denominator=20),
            row(PROPORTION, area="BU03630102", numerator=10, denominator=30),
            row(PROPORTION, numerator=28, denominator=50),
        ],
    ],
    ids=["one-area", "area-plus-zero", "whole-minus-area", "proportion-one-area", "complement"],
)
def test_nothing_below_the_threshold_leaks_through_a_total_of_one_row(rows):
    frame = tidy(*rows)
    done = suppress_measurements(frame, KINDS, 5)
    assert shown_small(done, 5) == []
    assert revealing_totals(frame, done) == []
    whole = (frame["area"] == "").to_numpy()
    lost_columns = {name for name, mask in done.masks.items() if mask[~whole].any()}
    assert lost_columns, "a case where an area loses a cell"
    for name in lost_columns:
        assert done.frame.loc[whole, name].isna().all(), name


# --------------------------------------------------------------------------- property
AREAS = ("", "WK036301", "WK036302", "BU03630101")
MEASURES = (COUNT, PROPORTION, CONTINUOUS)
small = st.one_of(st.just(NAN), st.integers(0, 15).map(float))


@st.composite
def tidy_frames(draw):
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(("pilot-a", "pilot-b")),
                st.sampled_from(MEASURES),
                st.sampled_from(("2021-01-01", "2021-02-01")),
                st.sampled_from(AREAS),
                st.sampled_from(("pilot", "comparison")),
            ),
            min_size=1,
            max_size=24,
            unique=True,
        )
    )
    rows = []
    for pilot, measure, period, area, group in keys:
        values: dict = {}
        if measure == COUNT:
            values = {"count": draw(small), "exposure": draw(small)}
        elif measure == PROPORTION:
            denominator = draw(small)
            top = 15 if np.isnan(denominator) else int(denominator)
            values = {
                "numerator": draw(st.one_of(st.just(NAN), st.integers(0, top).map(float))),
                "denominator": denominator,
            }
        else:
            values = {"value": draw(st.one_of(small, st.floats(-1e6, 1e6)))}
        rows.append(row(measure, pilot=pilot, period=period, area=area, group=group, **values))
    return tidy(*rows)


@settings(max_examples=150, deadline=None)
@given(frame=tidy_frames(), threshold=st.integers(1, 10))
def test_after_protection_no_small_number_is_shown_and_every_empty_cell_is_named(frame, threshold):
    before = frame.copy(deep=True)
    done = suppress_measurements(frame, KINDS, threshold)
    out = done.frame
    pd.testing.assert_frame_equal(frame, before)  # not mutated
    kind = frame["measure"].map(KINDS).to_numpy()
    # Rules 1 and 2: nothing shown below the threshold, no complement below it.
    assert shown_small(done, threshold) == []
    proportion = kind == "proportion"
    both = proportion & out["numerator"].notna().to_numpy() & out["denominator"].notna().to_numpy()
    complement = (out["denominator"] - out["numerator"]).to_numpy()
    assert not (complement[both] < threshold).any()
    # Rule 3: no whole row still shows a cell an area row of its key lost. The key is taken
    # per pilot here; see test_rule_3_stays_within_one_pilot for the other direction.
    assert revealing_totals(frame, done) == []
    # Rule 4: continuous rows are exactly as they came.
    continuous = kind == "continuous"
    pd.testing.assert_frame_equal(out[continuous], before[continuous])
    # Every emptied cell is in its mask and named in the row's label, and nothing else is.
    for name in VALUE_COLUMNS:
        gone = emptied(before, out, name)
        mask = done.masks.get(name, np.zeros(len(frame), dtype=bool))
        assert gone.tolist() == mask.tolist(), name
        kept = ~gone
        np.testing.assert_array_equal(out[name].to_numpy()[kept], before[name].to_numpy()[kept])
    for i, label in enumerate(done.labels):
        assert names(label) == {n for n in VALUE_COLUMNS if emptied(before, out, n)[i]}
    assert done.cells == sum(int(emptied(before, out, n).sum()) for n in VALUE_COLUMNS)


# --------------------------------------------------------------------------- results
DETAILS = [
    "details.alpha",
    "details.cell_means.pilot_before",
    "details.effect.estimate",
    "details.effect.p_value",
    "details.method",
    "details.pretrend.p_value",
    "details.pretrend_violated",
]


def result(hypothesis: str, measure: str, n_before: int | None, n_after: int, **over) -> dict:
    data = {
        "pilot": "netwerk-noord",
        "hypothesis": hypothesis,
        "measure": measure,
        "is_primary": True,
        "alpha": 0.05,
        "n_before": n_before,
        "n_after": n_after,
        "baseline": 3.0,
        "after_level": 4.5,
        "estimate": 1.5,
        "se": 0.5,
        "ci_low": 0.5,
        "ci_high": 2.5,
        "p_value": 0.004,
        "p_adjusted": 0.008,
        "relative_estimate": 0.5,
        "delta": 0.1,
        "prob_meaningful": 0.9,
        "verdict": "supported",
        "details.alpha": 0.05,
        "details.cell_means.pilot_before": 3.0,
        "details.effect.estimate": 1.5,
        "details.effect.p_value": 0.004,
        "details.method": "ols",
        "details.pretrend.p_value": 0.4,
        "details.pretrend_violated": False,
    }
    return data | over


def results(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    frame["n_before"] = frame["n_before"].astype("Int64")
    frame["n_after"] = frame["n_after"].astype("Int64")
    return frame


LEVELS = (*RESULT_LEVEL_FIELDS, "details.cell_means.pilot_before", "details.effect.estimate")
KEPT = (
    "pilot",
    "hypothesis",
    "measure",
    "is_primary",
    "alpha",
    "n_before",
    "n_after",
    "p_value",
    "p_adjusted",
    "delta",
    "verdict",
    "details.alpha",
    "details.effect.p_value",
    "details.method",
    "details.pretrend.p_value",
    "details.pretrend_violated",
)


def test_a_result_on_one_data_point_of_a_measure_with_a_left_out_cell_loses_its_levels():
    frame = results(
        result("H1", COUNT, 1, 12),
        result("H2", COUNT, 10, 10),
        result("H3", PROPORTION, 1, 12),
        result("H4", COUNT, 12, 1, prob_meaningful=NAN),
        result("H5", COUNT, 0, 12),
    )
    before = frame.copy(deep=True)
    done = suppress_results(frame, {("netwerk-noord", COUNT): True}, DETAILS)
    pd.testing.assert_frame_equal(frame, before)
    hit = [True, False, False, True, True]
    every = ", ".join(LEVELS)
    assert list(done.labels) == [
        every,
        "",
        "",
        every.replace("prob_meaningful, ", ""),
        every,
    ]
    assert set(done.masks) == set(LEVELS)
    for name in LEVELS:
        expected = [h and not (name == "prob_meaningful" and i == 3) for i, h in enumerate(hit)]
        assert done.masks[name].tolist() == expected, name
        assert done.frame[name].isna().tolist() == [
            h or (name == "prob_meaningful" and i == 3) for i, h in enumerate(hit)
        ], name
    # p-values, the verdict, the counts of data points and the settings stay.
    pd.testing.assert_frame_equal(done.frame[list(KEPT)], before[list(KEPT)])
    # Rows that were not hit are entirely as they came.
    pd.testing.assert_frame_equal(done.frame.iloc[[1, 2]], before.iloc[[1, 2]])


def test_results_of_a_measure_without_left_out_cells_are_untouched():
    frame = results(result("H1", COUNT, 1, 1), result("H2", PROPORTION, 1, 12))
    for lost in (
        {},
        {("netwerk-noord", COUNT): False},
        {("ander-pilot", COUNT): True, ("ander-pilot", PROPORTION): True},
        {("netwerk-noord", CONTINUOUS): True},
    ):
        done = suppress_results(frame, lost, DETAILS)
        assert done.masks == {}, lost
        assert list(done.labels) == ["", ""], lost
        pd.testing.assert_frame_equal(done.frame, frame)


def test_results_resting_on_more_than_one_point_are_untouched_even_when_a_cell_was_lost():
    frame = results(result("H1", COUNT, 2, 2), result("H2", COUNT, 10, 12))
    done = suppress_results(frame, {("netwerk-noord", COUNT): True}, DETAILS)
    assert done.masks == {}
    pd.testing.assert_frame_equal(done.frame, frame)


def test_the_counts_of_data_points_in_the_details_stay():
    """The module docstring: "The verdict, the p-values and the counts of data points stay: they
    do not reveal a count." The details repeat them (details.n_before, details.n_after,
    details.n_areas, as the analysis writes them)."""
    counts = {"details.n_before": 1.0, "details.n_after": 12.0, "details.n_areas": 2.0}
    frame = results(result("H1", COUNT, 1, 12, **counts))
    done = suppress_results(frame, {("netwerk-noord", COUNT): True}, [*DETAILS, *counts])
    assert "details.cell_means.pilot_before" in done.masks  # the levels do go
    for name, value in counts.items():
        assert name not in done.masks, name
        assert done.frame.loc[0, name] == value, name


# ------------------------------------------------- shared pilots read by other organisations
def test_lost_periods_name_each_pilot_measure_and_period_that_lost_a_cell():
    frame = tidy(
        row(COUNT, period="2021-01-01", count=3, exposure=900),
        row(COUNT, period="2021-02-01", count=30, exposure=900),
        row(COUNT, period="2021-03-01", area="WK036301", count=2, exposure=400),
        row(COUNT, period="2021-03-01", count=40, exposure=900),
        row(PROPORTION, period="2021-01-01", numerator=18, denominator=20),
        row(CONTINUOUS, period="2021-01-01", value=1.0),
        row(COUNT, period="2021-02-01", count=1, exposure=900, pilot="ander"),
    )
    lost = lost_periods(suppress_measurements(frame, KINDS, 5))
    assert lost == {
        ("netwerk-noord", COUNT): {"2021-01-01", "2021-03-01"},
        ("netwerk-noord", PROPORTION): {"2021-01-01"},
        ("ander", COUNT): {"2021-02-01"},
    }


def test_lost_periods_of_a_frame_without_small_numbers_is_empty():
    frame = tidy(row(COUNT, count=30, exposure=900), row(CONTINUOUS, value=1.0))
    assert lost_periods(suppress_measurements(frame, KINDS, 5)) == {}


def _record(n_before: int, n_after: int) -> dict:
    return {
        "verdict": "supported",
        "n_before": n_before,
        "n_after": n_after,
        "p_value": 0.01,
        "alpha": 0.05,
        "baseline": 12.0,
        "after_level": 8.0,
        "estimate": -4.0,
        "se": 1.0,
        "ci_low": -6.0,
        "ci_high": -2.0,
        "relative_estimate": -0.33,
        "prob_meaningful": 0.9,
        "details": {"cell_means": {"pilot_before": 12.0}, "n_areas": 2.0, "p_value": 0.01},
    }


def test_a_shared_result_on_one_data_point_of_a_measure_that_lost_a_cell_loses_its_levels():
    done = protect_result(_record(1, 12), measure_lost=True)
    for name in RESULT_LEVEL_FIELDS:
        assert done[name] is None, name
    assert done["details"]["cell_means"]["pilot_before"] is None
    # Counts of data points, p-values and the verdict stay, as in the results export.
    assert done["details"]["n_areas"] == 2.0
    assert done["details"]["p_value"] == 0.01
    assert (done["verdict"], done["p_value"], done["n_before"]) == ("supported", 0.01, 1)
    assert set(done["suppressed"]) == {*RESULT_LEVEL_FIELDS, "details.cell_means.pilot_before"}


@pytest.mark.parametrize(("n_before", "n_after", "lost"), [(1, 12, False), (2, 12, True)])
def test_other_shared_results_come_back_unchanged(n_before, n_after, lost):
    record = _record(n_before, n_after)
    done = protect_result(record, measure_lost=lost)
    assert done == record
    assert done is not record
