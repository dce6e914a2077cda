"""tracker.charts: the figures show what the analysis found, in the reader's language, and can
be read without colour. Figures are built from real ``analyze()`` results on small synthetic
series, so a change in the result dictionaries breaks these tests rather than the pages."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from tracker.analysis.engine import AnalysisSpec, analyze
from tracker.analysis.numbers import format_number
from tracker.analysis.verdict import VERDICTS
from tracker.charts import (
    INTERVENTION_STATUS_LABELS,
    PILOT_STATUS_LABELS,
    RULE_LABELS,
    TEXT,
    VERDICT_LABELS,
    ForestRow,
    InterventionMarker,
    TimelineRow,
    forest_plot,
    format_date,
    pilot_timeline,
    series_chart,
    verdicts_by_domain,
)

START = dt.date(2021, 1, 1)
LANGS = ("nl", "en")


# --- data and results ----------------------------------------------------------------------


def _periods(n_before: int, n_after: int) -> pd.DatetimeIndex:
    before = pd.date_range(
        end=pd.Timestamp(START) - pd.offsets.MonthBegin(1), periods=n_before, freq="MS"
    )
    return before.append(pd.date_range(START, periods=n_after, freq="MS"))


def continuous(
    n_before: int = 12, n_after: int = 12, *, jump: float = 4.0, seed: int = 1
) -> pd.DataFrame:
    periods = _periods(n_before, n_after)
    rng = np.random.default_rng(seed)
    post = periods >= pd.Timestamp(START)
    value = 50 + 0.1 * np.arange(len(periods)) + jump * post + rng.normal(0, 1, len(periods))
    return pd.DataFrame({"period": periods, "value": value})


def counts(n_before: int = 12, n_after: int = 12, *, seed: int = 2) -> pd.DataFrame:
    periods = _periods(n_before, n_after)
    rng = np.random.default_rng(seed)
    post = periods >= pd.Timestamp(START)
    exposure = rng.integers(800, 1200, len(periods)).astype(float)
    count = rng.poisson(0.04 * exposure * np.where(post, 0.75, 1.0)).astype(float)
    return pd.DataFrame({"period": periods, "count": count, "exposure": exposure})


def rate_series(frame: pd.DataFrame) -> pd.DataFrame:
    """What a page plots for a count measure: the rate count / exposure."""
    return pd.DataFrame({"period": frame["period"], "value": frame["count"] / frame["exposure"]})


def with_comparison(seed: int = 3) -> pd.DataFrame:
    pilot = continuous(8, 8, jump=5.0, seed=seed).assign(group="pilot")
    other = continuous(8, 8, jump=0.0, seed=seed + 1).assign(group="comparison")
    other["value"] -= 6
    return pd.concat([pilot, other], ignore_index=True)


def proportions(seed: int = 4) -> pd.DataFrame:
    periods = _periods(16, 8)
    rng = np.random.default_rng(seed)
    post = periods >= pd.Timestamp(START)
    denominator = rng.integers(150, 250, len(periods)).astype(float)
    numerator = rng.binomial(denominator.astype(int), np.where(post, 0.45, 0.3)).astype(float)
    return pd.DataFrame({"period": periods, "numerator": numerator, "denominator": denominator})


def result_of(frame: pd.DataFrame, lang: str = "nl", **spec: Any) -> dict[str, Any]:
    return analyze(frame, AnalysisSpec(intervention=START, **spec)).to_dict(lang)


def its_result(lang: str = "nl") -> dict[str, Any]:
    return result_of(continuous(), lang, design="its", seasonality="none", min_effect=2.0)


def spc_result(frame: pd.DataFrame | None = None, lang: str = "nl", **spec: Any) -> dict[str, Any]:
    return result_of(continuous(16, 8) if frame is None else frame, lang, design="spc", **spec)


def trace(fig: go.Figure, name: str) -> Any:
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"{name!r} in {[t.name for t in fig.data]}"
    return found[0]


def shape(fig: go.Figure, name: str) -> Any:
    found = [s for s in fig.layout.shapes if s.name == name]
    assert len(found) == 1, f"{name!r} in {[s.name for s in fig.layout.shapes]}"
    return found[0]


def iso(periods: Any) -> list[str]:
    return [pd.Timestamp(p).date().isoformat() for p in periods]


MARKERS = (
    InterventionMarker(dt.date(2021, 1, 15), "Huisbezoeken", "delivered"),
    InterventionMarker(dt.date(2021, 3, 1), "Extra wijkteam", "planned"),
    InterventionMarker(dt.date(2021, 4, 1), "Folder", "cancelled"),
    InterventionMarker(dt.date(2021, 5, 1), "Spreekuur", "delayed"),
)


# --- series chart: data, phases, interventions ---------------------------------------------


def test_without_a_result_only_the_series_is_drawn():
    frame = continuous()
    fig = series_chart(frame, None, intervention_start=START)
    assert [t.name for t in fig.data] == ["Pilotgroep"]
    assert list(fig.data[0].x) == iso(frame["period"])
    assert list(fig.data[0].y) == pytest.approx(frame["value"].tolist())


def test_an_insufficient_data_result_adds_nothing_to_the_series():
    frame = continuous(2, 2)
    result = result_of(frame, design="its")
    assert result["verdict"] == "insufficient_data"
    fig = series_chart(frame, result, intervention_start=START)
    assert [t.name for t in fig.data] == ["Pilotgroep"]


def test_an_empty_series_says_there_are_no_measurements_yet():
    fig = series_chart(pd.DataFrame({"period": [], "value": []}), None, intervention_start=START)
    assert list(fig.data) == []
    assert [a.text for a in fig.layout.annotations if a.name == "empty"] == ["Nog geen metingen"]
    json.loads(fig.to_json())


def test_several_rows_per_period_are_averaged_into_one_point():
    frame = pd.DataFrame(
        {
            "period": [dt.date(2020, 12, 1)] * 2 + [dt.date(2021, 1, 1)],
            "value": [1.0, 3.0, 5.0],
        }
    )
    fig = series_chart(frame, None, intervention_start=START)
    assert list(fig.data[0].x) == ["2020-12-01", "2021-01-01"]
    assert list(fig.data[0].y) == [2.0, 5.0]


def test_baseline_and_intervention_periods_are_shaded_and_labelled():
    frame = continuous(6, 5)
    fig = series_chart(frame, None, intervention_start=START)
    baseline, intervention = shape(fig, "baseline"), shape(fig, "intervention")
    assert (baseline.type, baseline.x0, baseline.x1) == ("rect", "2020-07-01", "2021-01-01")
    assert (intervention.type, intervention.x0, intervention.x1) == (
        "rect",
        "2021-01-01",
        "2021-05-01",
    )
    assert baseline.fillcolor != intervention.fillcolor
    labels = {a.name: a.text for a in fig.layout.annotations}
    assert labels == {"baseline": "Nulmeting", "intervention": "Interventie"}
    line = shape(fig, "intervention_start")
    assert (line.type, line.x0, line.x1, line.yref) == ("line", "2021-01-01", "2021-01-01", "paper")


def test_the_intervention_period_stretches_to_the_last_logged_intervention():
    marker = InterventionMarker(dt.date(2021, 9, 1), "Evaluatie", "planned")
    fig = series_chart(continuous(6, 5), None, intervention_start=START, interventions=[marker])
    assert shape(fig, "intervention").x1 == "2021-09-01"


def test_logged_interventions_are_markers_with_their_titles():
    fig = series_chart(continuous(), None, intervention_start=START, interventions=MARKERS)
    logged = [t for t in fig.data if t.yaxis == "y2"]
    assert sorted(text for t in logged for text in t.text) == sorted(m.title for m in MARKERS)
    assert sorted(x for t in logged for x in t.x) == sorted(m.date.isoformat() for m in MARKERS)
    # One trace per status, each with its own symbol and a name that says the status.
    assert [t.name for t in logged] == [
        "Gelogde interventie (uitgevoerd)",
        "Gelogde interventie (gepland)",
        "Gelogde interventie (geannuleerd)",
        "Gelogde interventie (vertraagd)",
    ]
    assert len({t.marker.symbol for t in logged}) == len(logged)
    assert logged[0].hovertext == ("Huisbezoeken<br>15 jan 2021 · uitgevoerd",)


def test_a_long_intervention_title_is_shortened_on_the_chart_but_whole_in_the_hover():
    title = "Inzet van ervaringsdeskundigen bij de keukentafelgesprekken in drie wijken"
    marker = InterventionMarker(dt.date(2021, 2, 1), title, "other text")
    fig = series_chart(continuous(), None, intervention_start=START, interventions=[marker])
    logged = trace(fig, "Gelogde interventie (other text)")
    assert logged.text[0].endswith("…") and len(logged.text[0]) == 40
    assert title in logged.hovertext[0]


# --- series chart: per design --------------------------------------------------------------


def test_its_counterfactual_is_dashed_and_equals_the_result():
    result = its_result()
    assert result["design"] == "its" and result["kind"] == "continuous"
    fig = series_chart(continuous(), result, intervention_start=START)
    points = result["details"]["counterfactual"]
    counterfactual = trace(fig, "Verwacht zonder interventie")
    assert counterfactual.line.dash == "dash"
    assert list(counterfactual.x) == [p["period"] for p in points]
    assert list(counterfactual.y) == [p["counterfactual"] for p in points]
    fitted = trace(fig, "Modellijn (met interventie)")
    assert list(fitted.y) == [p["fitted"] for p in points]
    assert fitted.line.dash not in ("dash", trace(fig, "Pilotgroep").line.dash)


def test_its_draws_no_uncertainty_band():
    fig = series_chart(continuous(), its_result(), intervention_start=START)
    assert not [t for t in fig.data if t.fill not in (None, "none")]


def test_its_counts_are_drawn_on_the_rate_scale_of_the_series():
    frame = counts()
    result = result_of(frame, design="its", kind="count", expect="decrease", seasonality="none")
    assert result["kind"] == "count" and result["estimate_is_relative"]
    fig = series_chart(rate_series(frame), result, intervention_start=START)
    exposure = dict(zip(iso(frame["period"]), frame["exposure"], strict=True))
    points = result["details"]["counterfactual"]
    expected = [p["counterfactual"] / exposure[p["period"]] for p in points]
    assert list(trace(fig, "Verwacht zonder interventie").y) == pytest.approx(expected, rel=1e-12)
    fitted = [p["fitted"] / exposure[p["period"]] for p in points]
    assert list(trace(fig, "Modellijn (met interventie)").y) == pytest.approx(fitted, rel=1e-12)


def test_its_counts_leave_a_gap_where_no_count_was_observed():
    frame = counts()
    zero = frame.index[frame["period"] == pd.Timestamp(START)][0]
    frame.loc[zero, "count"] = 0.0
    result = result_of(frame, design="its", kind="count", seasonality="none")
    fig = series_chart(rate_series(frame), result, intervention_start=START)
    y = list(trace(fig, "Verwacht zonder interventie").y)
    assert y[0] is None
    assert all(v is not None for v in y[1:])


def test_did_draws_the_comparison_group_as_a_second_series():
    frame = with_comparison()
    result = result_of(frame)
    assert result["design"] == "did"
    fig = series_chart(frame, result, intervention_start=START)
    assert [t.name for t in fig.data] == ["Pilotgroep", "Vergelijkingsgroep"]
    comparison = frame[frame["group"] == "comparison"]
    assert list(trace(fig, "Vergelijkingsgroep").y) == pytest.approx(comparison["value"].tolist())
    pilot, other = fig.data
    assert (pilot.line.dash, pilot.marker.symbol) != (other.line.dash, other.marker.symbol)


def test_spc_limit_lines_equal_the_result_limits():
    result = spc_result()
    limits = result["details"]["limits"]
    fig = series_chart(continuous(16, 8), result, intervention_start=START)
    assert set(trace(fig, "Middenlijn (gemiddelde nulmeting)").y) == {limits["center"]}
    assert set(trace(fig, "Bovengrens").y) == {limits["upper"]}
    assert set(trace(fig, "Ondergrens").y) == {limits["lower"]}
    assert len(trace(fig, "Bovengrens").x) == 24


def test_spc_p_chart_limits_vary_per_point_as_in_the_result():
    frame = proportions()
    result = spc_result(frame, kind="proportion")
    assert result["details"]["chart"] == "p"
    series = pd.DataFrame(
        {"period": frame["period"], "value": frame["numerator"] / frame["denominator"]}
    )
    fig = series_chart(series, result, intervention_start=START)
    limits = result["details"]["limits"]
    assert list(trace(fig, "Bovengrens").y) == limits["upper"]
    assert list(trace(fig, "Ondergrens").y) == limits["lower"]
    assert len(set(limits["upper"])) > 1


def test_spc_flags_each_signal_once_with_a_symbol_per_direction():
    frame = continuous(16, 8)
    frame.loc[3, "value"] -= 10  # a low outlier in the baseline: a concern when higher is better
    result = spc_result(frame)
    signals = result["details"]["signals"]
    directions = {s["direction"] for s in signals}
    assert directions == {"improvement", "concern"}, "the data should give both kinds"
    fig = series_chart(frame, result, intervention_start=START)
    improvement, concern = trace(fig, "Signaal: verbetering"), trace(fig, "Signaal: zorgelijk")
    assert len(improvement.x) + len(concern.x) == len(signals)
    assert list(improvement.x) == [s["period"] for s in signals if s["direction"] == "improvement"]
    assert improvement.marker.symbol != concern.marker.symbol
    values = {p["period"]: p["value"] for p in result["details"]["points"]}
    assert list(concern.y) == [values[x] for x in concern.x]
    rules = {s["period"]: s["rule"] for s in signals}
    assert list(concern.customdata) == [rules[x] for x in concern.x]
    assert all(
        RULE_LABELS[rules[x]]["nl"] in h for x, h in zip(concern.x, concern.hovertext, strict=True)
    )


def test_prepost_draws_the_level_before_and_after():
    frame = continuous(6, 6)
    result = result_of(frame, design="prepost")
    fig = series_chart(frame, result, intervention_start=START)
    levels = trace(fig, "Niveau vóór en na")
    assert list(levels.x) == ["2020-07-01", "2020-12-01", None, "2021-01-01", "2021-06-01"]
    assert list(levels.y) == [
        result["baseline"],
        result["baseline"],
        None,
        result["after_level"],
        result["after_level"],
    ]


# --- readable without colour ---------------------------------------------------------------

SERIES_FIGURES: dict[str, Callable[[str], go.Figure]] = {
    "none": lambda lang: series_chart(
        continuous(), None, intervention_start=START, interventions=MARKERS, lang=lang
    ),
    "its": lambda lang: series_chart(
        continuous(), its_result(lang), intervention_start=START, interventions=MARKERS, lang=lang
    ),
    "did": lambda lang: series_chart(
        with_comparison(), result_of(with_comparison(), lang), intervention_start=START, lang=lang
    ),
    "spc": lambda lang: series_chart(
        continuous(16, 8), spc_result(lang=lang), intervention_start=START, lang=lang
    ),
    "prepost": lambda lang: series_chart(
        continuous(),
        result_of(continuous(), lang, design="prepost"),
        intervention_start=START,
        lang=lang,
    ),
}


def _style(t: Any) -> tuple[Any, ...]:
    marker = t.marker.symbol if t.mode and "markers" in t.mode else None
    dash = t.line.dash if t.mode and "lines" in t.mode else None
    return (t.mode, dash, marker)


@pytest.mark.parametrize("design", list(SERIES_FIGURES))
def test_series_traces_differ_in_name_and_in_line_or_symbol(design):
    fig = SERIES_FIGURES[design]("nl")
    names = [t.name for t in fig.data]
    assert len(set(names)) == len(names) and all(names)
    # Upper and lower limit share a style on purpose: they are one kind of line, told apart
    # by position and name; every other pair differs in dash, symbol or mode.
    styles = [(t.legendgroup or t.name, _style(t)) for t in fig.data]
    by_style: dict[tuple[Any, ...], set[str]] = {}
    for group, style in styles:
        by_style.setdefault(style, set()).add(group)
    assert all(len(groups) == 1 for groups in by_style.values()), by_style


def test_forest_verdicts_differ_in_symbol_and_domain_bars_in_pattern():
    rows = [
        ForestRow(v, 1.0, 0.5, 1.5, 0.2, "increase", v)
        for v in VERDICTS
        if v != "insufficient_data"
    ]
    symbols = [t.marker.symbol for t in forest_plot(rows).data if t.mode == "markers"]
    assert len(set(symbols)) == len(rows)
    bars = verdicts_by_domain({"Wmo": dict.fromkeys(VERDICTS, 1)}).data
    assert len({b.marker.pattern.shape for b in bars}) == len(VERDICTS)


# --- language ------------------------------------------------------------------------------


def _fixed_texts(lang: str) -> set[str]:
    """The placeholder-free pieces of every fixed text in ``lang`` that the other language
    does not share (so 'interval', the same word in both, is not a leak)."""
    tables = (TEXT, VERDICT_LABELS, RULE_LABELS, INTERVENTION_STATUS_LABELS, PILOT_STATUS_LABELS)

    def pieces(language: str) -> set[str]:
        found = set()
        for table in tables:
            for texts in table.values():
                for piece in re.split(r"\{[^}]*\}", texts[language]):
                    piece = piece.strip(" ;:,.()")
                    if len(piece) >= 4:
                        found.add(piece)
        return found

    other = "en" if lang == "nl" else "nl"
    return pieces(lang) - pieces(other)


def _visible_text(fig: go.Figure) -> str:
    """Every string of the figure a reader can see or hear, as one text (internal names of
    shapes, legend groups and custom data are not shown and not collected)."""
    data = json.loads(fig.to_json())
    layout = data["layout"]
    texts: list[Any] = []
    for t in data["data"]:
        texts += [t.get("name"), t.get("text"), t.get("hovertext")]
    texts += [a.get("text") for a in layout.get("annotations", [])]
    texts += [layout.get("title", {}).get("text"), layout["meta"]["description"]]
    for axis in ("xaxis", "yaxis"):
        texts += [layout.get(axis, {}).get("title", {}).get("text")]
        texts += [layout.get(axis, {}).get("ticktext")]
    flat: list[str] = []
    for item in texts:
        flat += item if isinstance(item, list) else [item]
    return "\n".join(str(item) for item in flat if item)


TIMELINE = [
    TimelineRow("Pilot A", dt.date(2022, 1, 1), dt.date(2023, 1, 1), dt.date(2024, 1, 1), s)
    for s in PILOT_STATUS_LABELS
]
FOREST = [
    ForestRow("H1", 4.7, 3.2, 6.1, 2.0, "increase", "supported"),
    ForestRow("H2", -0.1, -0.2, 0.05, 0.1, "decrease", "inconclusive", relative=True),
    ForestRow("H3", None, None, None, None, "increase", "insufficient_data"),
    ForestRow("H4", 0.1, -0.3, 0.4, 1.0, "no_change", "no_meaningful_effect"),
]
ALL_FIGURES: dict[str, Callable[[str], go.Figure]] = {
    **SERIES_FIGURES,
    "empty series": lambda lang: series_chart(
        pd.DataFrame({"period": [], "value": []}), None, intervention_start=START, lang=lang
    ),
    "forest": lambda lang: forest_plot(FOREST, lang=lang, title="H"),
    "empty forest": lambda lang: forest_plot([], lang=lang),
    "domains": lambda lang: verdicts_by_domain(
        {"Wmo": dict.fromkeys(VERDICTS, 1), "Jeugd": {"contrary": 2}}, lang=lang
    ),
    "empty domains": lambda lang: verdicts_by_domain({}, lang=lang),
    "timeline": lambda lang: pilot_timeline(TIMELINE, lang=lang, today=dt.date(2023, 6, 1)),
    "empty timeline": lambda lang: pilot_timeline([], lang=lang),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("figure", list(ALL_FIGURES))
def test_no_fixed_text_of_the_other_language_is_left_in_a_figure(figure, lang):
    text = _visible_text(ALL_FIGURES[figure](lang))
    other = "en" if lang == "nl" else "nl"
    leaks = [
        piece
        for piece in _fixed_texts(other)
        if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    ]
    assert leaks == []


@pytest.mark.parametrize(
    ("lang", "phase_labels", "separators"),
    [("nl", ["Nulmeting", "Interventie"], ",."), ("en", ["Baseline", "Intervention"], ".,")],
)
def test_labels_and_separators_follow_the_language(lang, phase_labels, separators):
    fig = series_chart(continuous(), None, intervention_start=START, lang=lang)
    assert [a.text for a in fig.layout.annotations] == phase_labels
    assert fig.layout.separators == separators
    assert fig.layout.meta["lang"] == lang
    assert fig.layout.xaxis.title.text == TEXT["period"][lang]


@pytest.mark.parametrize(
    ("lang", "hover"),
    [("nl", "Pilotgroep · 1 dec 2020: 12,5 score"), ("en", "Pilot group · 1 Dec 2020: 12.5 score")],
)
def test_hover_numbers_and_dates_are_in_the_reader_s_language(lang, hover):
    frame = pd.DataFrame({"period": [dt.date(2020, 12, 1), START], "value": [12.5, 1234.5]})
    fig = series_chart(frame, None, intervention_start=START, lang=lang, unit="score")
    assert fig.data[0].hovertext[0] == hover
    assert fig.data[0].hovertext[1].endswith(f"{format_number(1234.5, lang)} score")


@pytest.mark.parametrize(
    ("lang", "text"), [("nl", "3 mrt 2023"), ("en", "3 Mar 2023"), ("fr", "3 mrt 2023")]
)
def test_dates_are_written_for_people(lang, text):
    assert format_date(dt.date(2023, 3, 3), lang) == text


def test_every_figure_has_a_description_for_screen_readers():
    for name, build in ALL_FIGURES.items():
        description = build("nl").layout.meta["description"]
        assert len(description) > 20, name


def test_the_description_names_what_the_series_chart_shows():
    fig = SERIES_FIGURES["spc"]("en")
    n_signals = len(spc_result(lang="en")["details"]["signals"])
    assert fig.layout.meta["description"] == (
        "Time series of Pilot group (24 data points); baseline until 1 Jan 2021, intervention "
        f"from 1 Jan 2021; with centre line and process limits, {n_signals} signal points."
    )


def test_verdict_labels_cover_every_verdict_in_both_languages():
    assert set(VERDICT_LABELS) == set(VERDICTS)
    assert [VERDICT_LABELS[v]["nl"] for v in VERDICTS] == [
        "ondersteund",
        "deels ondersteund",
        "tegengesteld",
        "geen betekenisvol effect",
        "onbeslist",
        "onvoldoende gegevens",
    ]
    assert all(labels["en"] and labels["en"] != labels["nl"] for labels in VERDICT_LABELS.values())


# --- forest plot ---------------------------------------------------------------------------


def _forest_row(label: str, result: dict[str, Any]) -> ForestRow:
    return ForestRow(
        label=label,
        estimate=result["estimate"],
        ci_low=result["ci_low"],
        ci_high=result["ci_high"],
        delta=result["delta"],
        expect=result["expect"],
        verdict=result["verdict"],
        relative=result["estimate_is_relative"],
    )


def _error_bars(fig: go.Figure) -> dict[int, tuple[float, float, float]]:
    """Row position → (estimate, low, high) as drawn."""
    bars = {}
    for t in fig.data:
        if t.error_x and t.error_x.array is not None:
            for x, y, plus, minus in zip(
                t.x, t.y, t.error_x.array, t.error_x.arrayminus, strict=True
            ):
                assert y not in bars
                bars[y] = (x, x - minus, x + plus)
    return bars


def test_forest_plot_draws_one_error_bar_per_row_equal_to_the_interval():
    results = [
        its_result(),
        result_of(continuous(6, 6), design="prepost", min_effect=1.0),
        result_of(with_comparison(), expect="increase", min_effect=3.0),
    ]
    rows = [_forest_row(f"H{i + 1}", r) for i, r in enumerate(results)]
    fig = forest_plot(rows)
    bars = _error_bars(fig)
    assert sorted(bars) == [0, 1, 2]
    for i, row in enumerate(rows):
        assert bars[i] == pytest.approx((row.estimate, row.ci_low, row.ci_high), rel=1e-12)
    assert list(fig.layout.yaxis.ticktext) == ["H1", "H2", "H3"]
    assert fig.layout.yaxis.autorange == "reversed"


def test_forest_relative_estimates_are_drawn_in_percent():
    frame = counts()
    result = result_of(
        frame,
        design="its",
        kind="count",
        expect="decrease",
        min_effect=10,
        relative=True,
        seasonality="none",
    )
    row = _forest_row("Meldingen", result)
    assert row.relative
    fig = forest_plot([row])
    assert _error_bars(fig)[0] == pytest.approx(
        (100 * row.estimate, 100 * row.ci_low, 100 * row.ci_high), rel=1e-12
    )
    assert list(fig.layout.yaxis.ticktext) == ["Meldingen (%)"]
    assert fig.layout.xaxis.ticksuffix == "%"
    assert list(trace(fig, TEXT["delta"]["nl"]).x) == pytest.approx([-10.0, -10.0, None])


@pytest.mark.parametrize(
    ("expect", "lines"),
    [("increase", [2.0]), ("decrease", [-2.0]), ("no_change", [-2.0, 2.0])],
)
def test_forest_marks_delta_on_the_expected_side(expect, lines):
    fig = forest_plot([ForestRow("H", 1.0, 0.0, 2.0, 2.0, expect, "inconclusive")])
    delta = trace(fig, "δ (minimaal betekenisvol effect)")
    assert delta.line.dash == "dot"
    assert [x for x in delta.x if x is not None] == [x for x in lines for _ in range(2)]
    zero = shape(fig, "zero")
    assert (zero.x0, zero.x1) == (0, 0)


def test_forest_writes_the_verdict_beside_each_row_also_without_an_estimate():
    fig = forest_plot(FOREST, lang="en")
    verdicts = [(a.y, a.text) for a in fig.layout.annotations if a.name == "verdict"]
    assert verdicts == [
        (0, "supported"),
        (1, "inconclusive"),
        (2, "insufficient data"),
        (3, "no meaningful effect"),
    ]
    assert sorted(_error_bars(fig)) == [0, 1, 3]
    delta = trace(fig, TEXT["delta"]["en"])
    rows_with_delta = [round(y + 0.4) for y in delta.y[::3]]
    assert rows_with_delta == [0, 1, 3, 3]  # H3 has no δ; H4 expects no change: both sides


def test_forest_rows_with_the_same_label_stay_two_rows():
    rows = [ForestRow("H", 1.0, 0.0, 2.0, None, "increase", "inconclusive")] * 2
    assert sorted(_error_bars(forest_plot(rows))) == [0, 1]


# --- verdicts per domain -------------------------------------------------------------------


def test_verdicts_per_domain_are_stacked_bars_with_counts():
    counts_ = {"Wmo": {"supported": 2, "contrary": 1}, "Jeugd": {"inconclusive": 3}, "2024": {}}
    fig = verdicts_by_domain(counts_, lang="en")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["supported", "contrary", "inconclusive"]
    for t in fig.data:
        assert (t.type, t.orientation, list(t.y)) == ("bar", "h", ["Wmo", "Jeugd", "2024"])
    totals = np.sum([list(t.x) for t in fig.data], axis=0)
    assert totals.tolist() == [3, 3, 0]
    assert list(trace(fig, "supported").text) == ["2", "", ""]
    assert fig.layout.yaxis.type == "category"


def test_an_unknown_verdict_is_shown_as_given_after_the_known_ones():
    fig = verdicts_by_domain({"Wmo": {"later": 1, "supported": 1}})
    assert [t.name for t in fig.data] == ["ondersteund", "later"]


# --- pilot timeline ------------------------------------------------------------------------


def test_timeline_draws_baseline_and_intervention_as_two_segments_per_pilot():
    row = TimelineRow(
        "Pilot A", dt.date(2022, 1, 1), dt.date(2023, 1, 1), dt.date(2023, 7, 1), "running"
    )
    fig = pilot_timeline([row], today=dt.date(2023, 3, 1))
    baseline, intervention = trace(fig, "Nulmeting"), trace(fig, "Interventie")
    assert list(baseline.base) == ["2022-01-01"]
    assert list(intervention.base) == ["2023-01-01"]
    day_ms = 86_400_000
    assert list(baseline.x) == [365 * day_ms]
    assert list(intervention.x) == [181 * day_ms]
    assert list(intervention.text) == ["loopt"]
    assert baseline.marker.pattern.shape != intervention.marker.pattern.shape
    assert list(fig.layout.yaxis.ticktext) == ["Pilot A"]
    today = shape(fig, "today")
    assert (today.x0, today.x1) == ("2023-03-01", "2023-03-01")


def test_timeline_today_defaults_to_the_current_date():
    fig = pilot_timeline(TIMELINE[:1], lang="en")
    assert shape(fig, "today").x0 == dt.date.today().isoformat()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("figure", ["domains", "empty domains", "timeline", "empty timeline"])
def test_figures_built_without_validation_pass_plotly_s_validation(figure, lang):
    """The overview's charts skip Plotly's validation for speed (``charts._figure``): built
    again with validation they must come out the same, key for key and value for value."""
    unvalidated = ALL_FIGURES[figure](lang).to_dict()
    assert go.Figure(unvalidated).to_dict() == unvalidated


def test_figures_without_validation_would_be_caught():
    """The check above can fail: a misspelt key is refused when validated."""
    with pytest.raises(ValueError, match="colour"):
        go.Figure({"data": [{"type": "bar", "marker": {"colour": "red"}}]})


def test_every_figure_serialises_to_json():
    for name, build in ALL_FIGURES.items():
        for lang in LANGS:
            assert json.loads(build(lang).to_json())["data"] is not None, name
