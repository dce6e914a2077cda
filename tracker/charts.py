"""Plotly figures: a measure over time with its analysis drawn in, the forest plot of
hypotheses, the verdicts per domain and the pilot timeline.

Pure: plotly, pandas and the number formatting of :mod:`tracker.analysis.numbers`; no Streamlit,
no database. The pages pass plain data (tidy frames, ``AnalysisResult.to_dict()``, small
dataclasses) and render the figure they get back.

Every figure is built to be read without colour (DESIGN.md, "Experience"; WCAG 2.1 AA): each
trace has its own legend name and differs from the others in line dash, marker symbol or bar
pattern, phases and verdicts carry text labels, and the colours are the Okabe–Ito palette,
which stays distinguishable with the common colour-vision deficiencies. All fixed text
(legend names, axis titles, hover text, labels) is in the figure's language; hover numbers are
formatted here rather than by Plotly, so Dutch gets a decimal comma there too, and
``layout.separators`` gives axis ticks the same separators. ``layout.meta["description"]``
holds a one-sentence description of the figure for screen readers and alt text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.analysis.numbers import format_number, format_percent, format_signed

__all__ = [
    "OKABE_ITO",
    "VERDICT_LABELS",
    "ForestRow",
    "InterventionMarker",
    "TimelineRow",
    "forest_plot",
    "format_date",
    "format_number",
    "period_series",
    "pilot_timeline",
    "pooled_forest_plot",
    "series_chart",
    "verdicts_by_domain",
]

# Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinct for
# deuteranopia, protanopia and tritanopia.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
_GREY = "#595959"  # 7:1 against white: text-grade contrast for helper lines

VERDICT_LABELS: dict[str, dict[str, str]] = {
    "supported": {"nl": "ondersteund", "en": "supported"},
    "partly_supported": {"nl": "deels ondersteund", "en": "partly supported"},
    "contrary": {"nl": "tegengesteld", "en": "contrary"},
    "no_meaningful_effect": {"nl": "geen betekenisvol effect", "en": "no meaningful effect"},
    "inconclusive": {"nl": "onbeslist", "en": "inconclusive"},
    "insufficient_data": {"nl": "onvoldoende gegevens", "en": "insufficient data"},
}

# Per verdict: colour, marker symbol (forest plot) and bar pattern (verdicts per domain), so
# that the verdict can be told apart by shape as well as by colour.
_VERDICT_STYLE: dict[str, tuple[str, str, str]] = {
    "supported": (OKABE_ITO["bluish_green"], "circle", ""),
    "partly_supported": (OKABE_ITO["sky_blue"], "circle-open", "/"),
    "contrary": (OKABE_ITO["vermillion"], "x", "x"),
    "no_meaningful_effect": (OKABE_ITO["blue"], "diamond", "-"),
    "inconclusive": (OKABE_ITO["orange"], "square-open", "."),
    "insufficient_data": (_GREY, "triangle-up-open", "+"),
}
_OTHER_VERDICT_STYLE = (OKABE_ITO["reddish_purple"], "star", "|")

# Fixed texts of the figures. Keys are internal; the tests check that no text of one language
# is left in a figure drawn in the other.
TEXT: dict[str, dict[str, str]] = {
    "pilot": {"nl": "Pilotgroep", "en": "Pilot group"},
    "comparison": {"nl": "Vergelijkingsgroep", "en": "Comparison group"},
    "baseline": {"nl": "Nulmeting", "en": "Baseline"},
    "intervention": {"nl": "Interventie", "en": "Intervention"},
    "period": {"nl": "Periode", "en": "Period"},
    "value": {"nl": "Waarde", "en": "Value"},
    "fitted": {"nl": "Modellijn (met interventie)", "en": "Model line (with intervention)"},
    "counterfactual": {
        "nl": "Verwacht zonder interventie",
        "en": "Expected without intervention",
    },
    "center": {"nl": "Middenlijn (gemiddelde nulmeting)", "en": "Centre line (baseline mean)"},
    "upper": {"nl": "Bovengrens", "en": "Upper limit"},
    "lower": {"nl": "Ondergrens", "en": "Lower limit"},
    "signal_improvement": {"nl": "Signaal: verbetering", "en": "Signal: improvement"},
    "signal_concern": {"nl": "Signaal: zorgelijk", "en": "Signal: concern"},
    "levels": {"nl": "Niveau vóór en na", "en": "Level before and after"},
    "logged": {"nl": "Gelogde interventie", "en": "Logged intervention"},
    "no_data": {"nl": "Nog geen metingen", "en": "No measurements yet"},
    "no_hypotheses": {"nl": "Geen hypothesen", "en": "No hypotheses"},
    "no_pilots": {"nl": "Geen pilots", "en": "No pilots"},
    "effect_axis": {
        "nl": "Geschat effect (0 = geen verandering)",
        "en": "Estimated effect (0 = no change)",
    },
    "relative_note": {"nl": "relatieve effecten in %", "en": "relative effects in %"},
    "interval": {"nl": "interval {low} tot {high}", "en": "interval {low} to {high}"},
    "delta": {"nl": "δ (minimaal betekenisvol effect)", "en": "δ (minimal meaningful effect)"},
    "pilot_estimates": {"nl": "Schatting per pilot", "en": "Estimate per pilot"},
    "pooled": {"nl": "Gepoold effect", "en": "Pooled effect"},
    "prediction": {
        "nl": "Voorspellingsinterval volgende pilot",
        "en": "Prediction interval for the next pilot",
    },
    "weight": {"nl": "gewicht {w}", "en": "weight {w}"},
    "too_few": {
        "nl": "Nog {needed} pilot(s) nodig voor een gepoold effect ({k} van de {min})",
        "en": "{needed} more pilot(s) needed for a pooled effect ({k} of {min})",
    },
    "describe_pooled": {
        "nl": "Gepoold effect van {k} pilots: {estimate} ({interval}); I² {i2}",
        "en": "Pooled effect of {k} pilots: {estimate} ({interval}); I² {i2}",
    },
    "count_axis": {"nl": "Aantal hypothesen", "en": "Number of hypotheses"},
    "domain_axis": {"nl": "Domein", "en": "Domain"},
    "today": {"nl": "Vandaag", "en": "Today"},
    "from_to": {"nl": "{start} tot {end}", "en": "{start} to {end}"},
    "describe_series": {"nl": "Tijdreeks van {groups}", "en": "Time series of {groups}"},
    "describe_phases": {
        "nl": "nulmeting tot {start}, interventie vanaf {start}",
        "en": "baseline until {start}, intervention from {start}",
    },
    "describe_points": {"nl": "{name} ({n} meetpunten)", "en": "{name} ({n} data points)"},
    "describe_its": {
        "nl": "met de modellijn en de verwachte lijn zonder interventie",
        "en": "with the model line and the line expected without intervention",
    },
    "describe_spc": {
        "nl": "met middenlijn en procesgrenzen, {n} signaalpunten",
        "en": "with centre line and process limits, {n} signal points",
    },
    "describe_levels": {
        "nl": "met het niveau vóór en na de start",
        "en": "with the level before and after the start",
    },
    "describe_markers": {"nl": "{n} gelogde interventies", "en": "{n} logged interventions"},
    "describe_forest": {
        "nl": "Geschatte effecten met interval van {n} hypothesen: {items}",
        "en": "Estimated effects with interval of {n} hypotheses: {items}",
    },
    "describe_domains": {
        "nl": "Uitslagen per domein: {items}",
        "en": "Verdicts per domain: {items}",
    },
    "describe_timeline": {
        "nl": "Tijdlijn van {n} pilots met nulmeting en interventieperiode",
        "en": "Timeline of {n} pilots with baseline and intervention period",
    },
    "and": {"nl": "en", "en": "and"},
}

RULE_LABELS: dict[str, dict[str, str]] = {
    "outside_limits": {"nl": "buiten de grenzen", "en": "outside the limits"},
    "trend": {"nl": "trend van 7 punten", "en": "7-point trend"},
    "two_of_three": {"nl": "2 van 3 dicht bij de grens", "en": "2 of 3 near a limit"},
    "shift": {"nl": "7 punten aan één kant", "en": "7 points on one side"},
}

INTERVENTION_STATUS_LABELS: dict[str, dict[str, str]] = {
    "planned": {"nl": "gepland", "en": "planned"},
    "delivered": {"nl": "uitgevoerd", "en": "delivered"},
    "cancelled": {"nl": "geannuleerd", "en": "cancelled"},
    "delayed": {"nl": "vertraagd", "en": "delayed"},
}
# Open circle = not yet done, filled diamond = done, x = not done at all: readable in black.
_INTERVENTION_SYMBOLS = {
    "planned": "circle-open",
    "delivered": "diamond",
    "cancelled": "x",
    "delayed": "hourglass",
}

PILOT_STATUS_LABELS: dict[str, dict[str, str]] = {
    "concept": {"nl": "concept", "en": "draft"},
    "baseline": {"nl": "nulmeting", "en": "baseline"},
    "running": {"nl": "loopt", "en": "running"},
    "evaluating": {"nl": "evaluatie", "en": "evaluating"},
    "closed": {"nl": "afgesloten", "en": "closed"},
}

_MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_MARKER_TITLE_MAX = 40
_MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class InterventionMarker:
    """A logged intervention drawn on a time series: when, what, and whether it happened."""

    date: dt.date
    title: str
    status: str  # "planned" | "delivered" | "cancelled" | "delayed" (other text allowed)


@dataclass(frozen=True)
class ForestRow:
    """One hypothesis in the forest plot; numbers on the estimate's own scale."""

    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    delta: float | None
    expect: str
    verdict: str
    relative: bool = False


@dataclass(frozen=True)
class TimelineRow:
    """One pilot in the timeline."""

    title: str
    baseline_start: dt.date
    intervention_start: dt.date
    evaluation_end: dt.date
    status: str


# --- small helpers -------------------------------------------------------------------------


def _lang(lang: str) -> str:
    # The rest of the app treats anything but "en" as Dutch (the default language).
    return "en" if lang == "en" else "nl"


def _t(key: str, lang: str, **params: Any) -> str:
    text = TEXT[key][lang]
    return text.format(**params) if params else text


def _label(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    # Unknown codes (a status typed by hand, a verdict added later) are shown as given.
    return table[key][lang] if key in table else key


def format_date(value: dt.date, lang: str = "nl") -> str:
    """A date for people: '3 mrt 2023' (nl) or '3 Mar 2023' (en).

    Written here because Plotly's own date text is English unless the page loads a locale.
    """
    return f"{value.day} {_MONTHS[_lang(lang)][value.month - 1]} {value.year}"


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _number(value: float | None, lang: str, unit: str = "") -> str:
    text = format_number(value, lang)
    return f"{text} {unit}" if unit and value is not None else text


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# plotly_white's 2-D layout only, built once: naming "plotly_white" makes Plotly validate and
# copy the whole template (every trace type's defaults, colour scales, polar, geo and 3-D
# scenes) for each figure, about 10-20 ms each; our traces set their own styles and we draw no
# maps, 3-D or colour scales, so those parts are left out.
_TEMPLATE_KEYS = (
    "autotypenumbers",
    "font",
    "hovermode",
    "hoverlabel",
    "paper_bgcolor",
    "plot_bgcolor",
    "xaxis",
    "yaxis",
    "shapedefaults",
    "annotationdefaults",
    "title",
)
_TEMPLATE = go.layout.Template(
    layout={
        key: value
        for key, value in pio.templates["plotly_white"].layout.to_plotly_json().items()
        if key in _TEMPLATE_KEYS
    }
    | {"colorway": list(OKABE_ITO.values())}
)


def _layout(lang: str, title: str, description: str, *, legend_on_top: bool = False) -> dict:
    """The layout every figure shares, as a plain dict."""
    # Short figures (a few rows) have no room for a legend under the axis title.
    legend = (
        {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"}
        if legend_on_top
        else {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0, "traceorder": "normal"}
    )
    return {
        "template": _TEMPLATE,
        # Decimal separator first, then thousands: "1.234,5" in Dutch.
        "separators": ",." if lang == "nl" else ".,",
        "title": {"text": title},
        "meta": {"lang": lang, "description": description},
        "hoverlabel": {"namelength": -1},
        "legend": legend,
        "margin": {"t": 80 if title or legend_on_top else 50, "b": 40, "l": 60, "r": 30},
    }


def _base_layout(
    fig: go.Figure, lang: str, title: str, description: str, *, legend_on_top: bool = False
) -> None:
    fig.update_layout(**_layout(lang, title, description, legend_on_top=legend_on_top))


def _empty_annotation(text: str) -> dict:
    return {
        "name": "empty",
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 16},
    }


def _empty_note(fig: go.Figure, text: str) -> None:
    fig.add_annotation(**_empty_annotation(text))


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """One construction from plain dicts, without Plotly's validation.

    Plotly validates every assignment: building a figure with ``add_trace``/``update_layout``
    validates (and deep-copies) it piece by piece, about five times the cost of handing it the
    finished dicts once (20 ms against 4 ms for the verdicts chart), and validating even the
    finished dicts is four times the cost of not validating (2.8 ms against 0.7 ms). The
    overview draws its charts on every rerun, so its figures are built here with
    ``_validate=False`` (what Plotly does for its own templates). ``test_charts.py`` builds
    every such figure again with validation and requires the same figure, so a key Plotly
    does not know fails there, not silently in a browser.
    """
    return go.Figure(data=data, layout=layout, _validate=False)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a '#rrggbb' colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_colour(background: str) -> str:
    """Black or white, whichever has the higher WCAG contrast on ``background``.

    Plotly's own choice for text inside bars is not contrast-based (white on the Okabe–Ito
    green is 3.4:1, below the 4.5:1 of WCAG AA).
    """
    light = _luminance(background)
    return OKABE_ITO["black"] if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#FFFFFF"


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {_t('and', lang)} {items[-1]}"


# --- the time series -----------------------------------------------------------------------


def _tidy_series(series: pd.DataFrame | None) -> pd.DataFrame:
    """One value per (group, period), sorted; no group column means all pilot.

    Several rows for one period and group (areas) are averaged so the line does not zigzag;
    for proportions and rates the caller should pass pooled ratios, as a mean of ratios is not
    the pooled ratio the analysis uses.
    """
    if series is None or len(series) == 0:
        return pd.DataFrame({"group": [], "period": [], "value": []})
    period = pd.to_datetime(pd.Series(list(series["period"]), dtype=object))
    if isinstance(period.dtype, pd.DatetimeTZDtype):
        period = period.dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "group": list(series["group"]) if "group" in series.columns else "pilot",
            "period": period.dt.normalize().to_numpy(),
            "value": pd.to_numeric(pd.Series(list(series["value"])), errors="coerce").to_numpy(),
        }
    )
    return frame.groupby(["group", "period"], as_index=False, sort=True)["value"].mean()


def _observed_trace(rows: pd.DataFrame, group: str, lang: str, unit: str) -> go.Scatter:
    name = _t(group, lang)
    x = [_iso(p) for p in rows["period"]]
    y = [_finite(v) for v in rows["value"]]
    pilot = group == "pilot"
    colour = OKABE_ITO["blue"] if pilot else OKABE_ITO["orange"]
    return go.Scatter(
        name=name,
        x=x,
        y=y,
        mode="lines+markers",
        # Solid with circles against dotted with squares: the groups differ in shape too.
        line={"color": colour, "dash": "solid" if pilot else "dot", "width": 2},
        marker={"symbol": "circle" if pilot else "square", "size": 7, "color": colour},
        hovertext=[
            f"{name} · {format_date(dt.date.fromisoformat(d), lang)}: {_number(v, lang, unit)}"
            for d, v in zip(x, y, strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
    )


def _line_trace(
    name: str,
    x: Sequence[str],
    y: Sequence[float | None],
    *,
    lang: str,
    unit: str,
    dash: str,
    colour: str,
    width: float = 2,
    shape: str = "linear",
    legendgroup: str | None = None,
) -> go.Scatter:
    return go.Scatter(
        name=name,
        x=list(x),
        y=list(y),
        mode="lines",
        line={"dash": dash, "color": colour, "width": width, "shape": shape},
        legendgroup=legendgroup,
        connectgaps=False,
        hovertext=[
            f"{name} · {format_date(dt.date.fromisoformat(d), lang)}: {_number(v, lang, unit)}"
            for d, v in zip(x, y, strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
    )


def _add_its(
    fig: go.Figure, pilot: pd.DataFrame, result: Mapping[str, Any], lang: str, unit: str
) -> bool:
    """Fitted line and counterfactual over the follow-up. Returns whether anything was drawn.

    No band: the result dictionary holds the interval of the average effect, not the
    covariance needed for an interval around each counterfactual point, and a band borrowed
    from the average effect would claim a precision per period that was never estimated.

    For counts the analysis returns expected *counts*, while the series shows the rate. Each
    period's count is put on the series' scale with that period's own factor, plotted rate /
    observed count (= 1 / that period's exposure, which the result does not hold). A period
    with an observed count of 0 or no plotted value has no factor and stays a gap rather than
    a guess.
    """
    points = (result.get("details") or {}).get("counterfactual") or []
    if not points:
        return False
    x = [str(p["period"])[:10] for p in points]
    fitted = [_finite(p.get("fitted")) for p in points]
    counterfactual = [_finite(p.get("counterfactual")) for p in points]
    if result.get("kind") == "count":
        plotted = {
            _iso(p): _finite(v) for p, v in zip(pilot["period"], pilot["value"], strict=True)
        }
        factors = []
        for period, point in zip(x, points, strict=True):
            observed, value = _finite(point.get("observed")), plotted.get(period)
            factors.append(value / observed if observed and value is not None else None)
        fitted = [_scaled(v, f) for v, f in zip(fitted, factors, strict=True)]
        counterfactual = [_scaled(v, f) for v, f in zip(counterfactual, factors, strict=True)]
    fig.add_trace(
        _line_trace(
            _t("fitted", lang),
            x,
            fitted,
            lang=lang,
            unit=unit,
            dash="longdash",
            colour=OKABE_ITO["bluish_green"],
            width=2.5,
        )
    )
    fig.add_trace(
        _line_trace(
            _t("counterfactual", lang),
            x,
            counterfactual,
            lang=lang,
            unit=unit,
            dash="dash",
            colour=OKABE_ITO["vermillion"],
            width=2.5,
        )
    )
    return True


def _scaled(value: float | None, factor: float | None) -> float | None:
    return None if value is None or factor is None else value * factor


def _spc_lines(
    details: Mapping[str, Any], pilot: pd.DataFrame
) -> tuple[list[str], dict[str, list[float | None]]]:
    """Periods and centre/lower/upper per period: from the points (p and u charts have limits
    per point), else the scalar limits stretched over the plotted pilot periods."""
    points = details.get("points") or []
    if points:
        x = [str(p["period"])[:10] for p in points]
        lines = {key: [_finite(p.get(key)) for p in points] for key in ("center", "lower", "upper")}
        return x, lines
    limits = details.get("limits") or {}
    if not limits or len(pilot) == 0:
        return [], {}
    x = [_iso(pilot["period"].iloc[0]), _iso(pilot["period"].iloc[-1])]
    lines: dict[str, list[float | None]] = {}
    for key in ("center", "lower", "upper"):
        value = limits.get(key)
        lines[key] = (
            [_finite(v) for v in value] if isinstance(value, list) else [_finite(value)] * 2
        )
        if len(lines[key]) != len(x):  # per-point limits without points: cannot place them
            return [], {}
    return x, lines


def _add_spc(
    fig: go.Figure, pilot: pd.DataFrame, details: Mapping[str, Any], lang: str, unit: str
) -> int | None:
    """Centre line, limits and the flagged points; returns the number of signals drawn."""
    x, lines = _spc_lines(details, pilot)
    if not x:
        return None
    # Stepped, because p and u limits belong to a period, not to the time between periods.
    fig.add_trace(
        _line_trace(
            _t("center", lang),
            x,
            lines["center"],
            lang=lang,
            unit=unit,
            dash="solid",
            colour=_GREY,
            shape="hvh",
        )
    )
    for key in ("upper", "lower"):
        fig.add_trace(
            _line_trace(
                _t(key, lang),
                x,
                lines[key],
                lang=lang,
                unit=unit,
                dash="dash",
                colour=_GREY,
                shape="hvh",
                legendgroup="limits",
            )
        )
    values = {str(p["period"])[:10]: _finite(p.get("value")) for p in details.get("points") or []}
    if not values:
        values = {_iso(p): _finite(v) for p, v in zip(pilot["period"], pilot["value"], strict=True)}
    signals = details.get("signals") or []
    styles = {
        "improvement": ("signal_improvement", "star", OKABE_ITO["sky_blue"]),
        "concern": ("signal_concern", "x", OKABE_ITO["vermillion"]),
    }
    for direction, (key, symbol, colour) in styles.items():
        chosen = [s for s in signals if s.get("direction") == direction]
        if not chosen:
            continue
        name = _t(key, lang)
        periods = [str(s["period"])[:10] for s in chosen]
        y = [values.get(p) for p in periods]
        fig.add_trace(
            go.Scatter(
                name=name,
                x=periods,
                y=y,
                mode="markers",
                marker={
                    "symbol": symbol,
                    "size": 14,
                    "color": colour,
                    "line": {"color": OKABE_ITO["black"], "width": 1},
                },
                customdata=[s.get("rule") for s in chosen],
                hovertext=[
                    f"{name} · {format_date(dt.date.fromisoformat(p), lang)}: "
                    f"{_number(v, lang, unit)} ({_label(RULE_LABELS, str(s.get('rule')), lang)})"
                    for p, v, s in zip(periods, y, chosen, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    return len(signals)


def _add_levels(
    fig: go.Figure,
    pilot: pd.DataFrame,
    result: Mapping[str, Any],
    start: dt.date,
    lang: str,
    unit: str,
) -> bool:
    """Pre/post: the level before and after as two flat segments over their own periods."""
    before = [p for p in pilot["period"] if p.date() < start]
    after = [p for p in pilot["period"] if p.date() >= start]
    baseline, after_level = _finite(result.get("baseline")), _finite(result.get("after_level"))
    x: list[str | None] = []
    y: list[float | None] = []
    for periods, level in ((before, baseline), (after, after_level)):
        if periods and level is not None:
            if x:
                x.append(None)  # a gap, so the two levels are not joined by a slope
                y.append(None)
            x += [_iso(periods[0]), _iso(periods[-1])]
            y += [level, level]
    if not x:
        return False
    name = _t("levels", lang)
    fig.add_trace(
        go.Scatter(
            name=name,
            x=x,
            y=y,
            mode="lines",
            line={"dash": "dashdot", "color": OKABE_ITO["reddish_purple"], "width": 2.5},
            connectgaps=False,
            hovertext=[
                "" if d is None else f"{name}: {_number(v, lang, unit)}"
                for d, v in zip(x, y, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    return True


def _add_phases(fig: go.Figure, first: dt.date, last: dt.date, start: dt.date, lang: str) -> None:
    """Shaded baseline and intervention periods with text labels, and the start line."""
    phases = (
        ("baseline", first, start, "#E6E6E6"),
        ("intervention", start, last, "#D6EAF8"),
    )
    for key, x0, x1, fill in phases:
        if x1 <= x0:
            continue
        fig.add_shape(
            name=key,
            type="rect",
            xref="x",
            yref="paper",
            x0=x0.isoformat(),
            x1=x1.isoformat(),
            y0=0,
            y1=1,
            fillcolor=fill,
            opacity=0.5,
            layer="below",
            line={"width": 0},
        )
        # The label says which phase, so the shading need not be told apart by colour.
        fig.add_annotation(
            name=key,
            text=_t(key, lang),
            xref="x",
            yref="paper",
            x=x0.isoformat(),
            y=1,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
        )
    fig.add_shape(
        name="intervention_start",
        type="line",
        xref="x",
        yref="paper",
        x0=start.isoformat(),
        x1=start.isoformat(),
        y0=0,
        y1=1,
        line={"color": OKABE_ITO["black"], "width": 2, "dash": "dash"},
    )


def _add_interventions(
    fig: go.Figure, interventions: Sequence[InterventionMarker], lang: str
) -> None:
    """One marker trace per status (the legend explains the symbols), on a hidden 0–1 axis
    so the markers sit in a band at the top whatever the scale of the measure."""
    ordered = sorted(interventions, key=lambda m: m.date)
    # Three heights in turn, so the titles of interventions close in time do not overlap.
    height = {id(m): (0.95, 0.87, 0.79)[i % 3] for i, m in enumerate(ordered)}
    statuses = list(dict.fromkeys(m.status for m in ordered))
    for status in statuses:
        chosen = [m for m in ordered if m.status == status]
        status_text = _label(INTERVENTION_STATUS_LABELS, status, lang)
        fig.add_trace(
            go.Scatter(
                name=f"{_t('logged', lang)} ({status_text})",
                x=[m.date.isoformat() for m in chosen],
                y=[height[id(m)] for m in chosen],
                yaxis="y2",
                mode="markers+text",
                marker={
                    "symbol": _INTERVENTION_SYMBOLS.get(status, "square"),
                    "size": 12,
                    "color": OKABE_ITO["black"],
                    "line": {"color": OKABE_ITO["black"], "width": 2},
                },
                text=[_short(m.title) for m in chosen],
                textposition="middle right",
                cliponaxis=False,
                hovertext=[
                    f"{m.title}<br>{format_date(m.date, lang)} · {status_text}" for m in chosen
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    if ordered:
        fig.update_layout(
            yaxis2={
                "overlaying": "y",
                "range": [0, 1],
                "visible": False,
                "fixedrange": True,
            }
        )


def _short(title: str) -> str:
    # The full title is in the hover text; long ones would cover the series.
    if len(title) <= _MARKER_TITLE_MAX:
        return title
    return title[: _MARKER_TITLE_MAX - 1].rstrip() + "…"


def series_chart(
    series: pd.DataFrame,
    result: dict | None,
    *,
    intervention_start: dt.date,
    interventions: Sequence[InterventionMarker] = (),
    lang: str = "nl",
    title: str = "",
    unit: str = "",
) -> go.Figure:
    """A measure over time with the baseline and intervention periods and the analysis.

    Parameters
    ----------
    series : pandas.DataFrame
        Tidy rows: ``period`` (date, Timestamp or ISO text), optional ``group`` ("pilot" or
        "comparison"; absent means pilot) and ``value``, on the scale the analysis uses (the
        ratio for proportions and rates). Other groups are not drawn.
    result : dict or None
        ``AnalysisResult.to_dict(lang)`` of the hypothesis, or None before any analysis (then
        only the data, the phases and the interventions are drawn).
    intervention_start : datetime.date
        The registered start; the vertical line and the boundary of the two shaded phases.
    interventions : sequence of InterventionMarker
        Logged interventions, drawn as labelled markers in a band at the top; one symbol per
        status.
    lang : {"nl", "en"}
        Language of every text in the figure.
    title, unit : str
        Figure title, and the unit shown after numbers and as the y-axis title.

    Returns
    -------
    plotly.graph_objects.Figure
        The pilot group (and the comparison group when the data have one, as for did), plus by
        design: its — the model line and the counterfactual (dashed) over the follow-up, with
        no uncertainty band (see ``_add_its``); spc — centre line, limits and the signals, with
        one symbol for improvement and one for concern; prepost — the level before and after.
        An insufficient-data result adds nothing.
    """
    lang = _lang(lang)
    data = _tidy_series(series)
    pilot = data[data["group"] == "pilot"]
    comparison = data[data["group"] == "comparison"]
    fig = go.Figure()
    described: list[str] = []
    for group, rows in (("pilot", pilot), ("comparison", comparison)):
        if len(rows):
            fig.add_trace(_observed_trace(rows, group, lang, unit))
            described.append(_t("describe_points", lang, name=_t(group, lang), n=len(rows)))
    if not described:
        _empty_note(fig, _t("no_data", lang))

    overlay = ""
    if result:
        design = result.get("design")
        details = result.get("details") or {}
        if design == "its" and _add_its(fig, pilot, result, lang, unit):
            overlay = _t("describe_its", lang)
        elif design == "spc":
            n_signals = _add_spc(fig, pilot, details, lang, unit)
            if n_signals is not None:
                overlay = _t("describe_spc", lang, n=n_signals)
        elif design == "prepost" and _add_levels(
            fig, pilot, result, intervention_start, lang, unit
        ):
            overlay = _t("describe_levels", lang)

    dates = [p.date() for p in data["period"]] + [m.date for m in interventions]
    first = min([*dates, intervention_start])
    last = max([*dates, intervention_start])
    _add_phases(fig, first, last, intervention_start, lang)
    _add_interventions(fig, interventions, lang)

    parts = [
        _t("describe_series", lang, groups=_join(described, lang))
        if described
        else _t("no_data", lang),
        _t("describe_phases", lang, start=format_date(intervention_start, lang)),
    ]
    if overlay:
        parts.append(overlay)
    if interventions:
        parts.append(_t("describe_markers", lang, n=len(interventions)))
    description = (f"{title}: " if title else "") + "; ".join(parts) + "."
    _base_layout(fig, lang, title, description)
    fig.update_layout(
        hovermode="closest",
        xaxis={
            "type": "date",
            "title": {"text": _t("period", lang)},
            # Numeric dates: Plotly's month names are English unless the page loads a locale.
            "tickformatstops": [
                {"dtickrange": [None, "M1"], "value": "%Y-%m-%d"},
                {"dtickrange": ["M1", None], "value": "%Y-%m"},
            ],
        },
        yaxis={"title": {"text": unit or _t("value", lang)}},
    )
    return fig


# --- forest plot ---------------------------------------------------------------------------


def _delta_lines(row: ForestRow) -> list[float]:
    """Where δ is drawn: on the expected side, both sides for no change; none for δ = 0."""
    if row.delta is None or not math.isfinite(row.delta) or row.delta == 0:
        return []
    delta = abs(row.delta)
    if row.expect == "increase":
        return [delta]
    if row.expect == "decrease":
        return [-delta]
    return [-delta, delta]


def _effect_text(value: float | None, relative: bool, lang: str) -> str:
    return format_percent(value, lang) if relative else format_signed(value, lang)


def forest_plot(rows: Sequence[ForestRow], *, lang: str = "nl", title: str = "") -> go.Figure:
    """Each hypothesis' estimate with its interval as a horizontal error bar.

    Rows run top to bottom in the given order. A solid line marks 0 (no change); dotted
    segments on each row mark δ on the side of the expected change (both sides for
    ``no_change``), and the verdict is written beside each row. One trace per verdict, so the
    legend explains the marker symbols. Relative rows (``relative=True``) are drawn and
    labelled in percent (estimate × 100), absolute rows in the measure's own units; the
    percentage rows say "(%)" in their label. A row without an estimate has no point, only
    its verdict.
    """
    lang = _lang(lang)
    fig = go.Figure()
    n = len(rows)
    if not n:
        _empty_note(fig, _t("no_hypotheses", lang))

    def scale(row: ForestRow, value: float | None) -> float | None:
        value = _finite(value)
        return None if value is None else (100 * value if row.relative else value)

    verdicts = list(dict.fromkeys(row.verdict for row in rows))
    for verdict in verdicts:
        colour, symbol, _ = _VERDICT_STYLE.get(verdict, _OTHER_VERDICT_STYLE)
        name = _label(VERDICT_LABELS, verdict, lang)
        index = [
            i
            for i, row in enumerate(rows)
            if row.verdict == verdict and _finite(row.estimate) is not None
        ]
        if not index:
            continue
        chosen = [rows[i] for i in index]
        x = [scale(r, r.estimate) for r in chosen]
        high = [scale(r, r.ci_high) for r in chosen]
        low = [scale(r, r.ci_low) for r in chosen]
        fig.add_trace(
            go.Scatter(
                name=name,
                x=x,
                y=index,
                mode="markers",
                marker={
                    "symbol": symbol,
                    "size": 12,
                    "color": colour,
                    "line": {"width": 2, "color": colour},
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [None if h is None else h - e for h, e in zip(high, x, strict=True)],
                    "arrayminus": [
                        None if lo is None else e - lo for lo, e in zip(low, x, strict=True)
                    ],
                    "color": colour,
                    "thickness": 2,
                    "width": 6,
                },
                hovertext=[_forest_hover(r, lang) for r in chosen],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )

    delta_x: list[float | None] = []
    delta_y: list[float | None] = []
    delta_text: list[str] = []
    for i, row in enumerate(rows):
        for position in _delta_lines(row):
            x = 100 * position if row.relative else position
            delta_x += [x, x, None]
            delta_y += [i - 0.4, i + 0.4, None]
            text = f"δ = {_effect_text(position, row.relative, lang)}"
            delta_text += [text, text, ""]
    if delta_x:
        fig.add_trace(
            go.Scatter(
                name=_t("delta", lang),
                x=delta_x,
                y=delta_y,
                mode="lines",
                line={"dash": "dot", "color": OKABE_ITO["black"], "width": 1.5},
                connectgaps=False,
                hovertext=delta_text,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    if n:
        fig.add_shape(
            name="zero",
            type="line",
            xref="x",
            yref="paper",
            x0=0,
            x1=0,
            y0=0,
            y1=1,
            line={"color": OKABE_ITO["black"], "width": 1.5},
        )
    for i, row in enumerate(rows):
        fig.add_annotation(
            name="verdict",
            text=_label(VERDICT_LABELS, row.verdict, lang),
            xref="paper",
            yref="y",
            x=1.01,
            y=i,
            xanchor="left",
            showarrow=False,
        )

    any_relative = any(row.relative for row in rows)
    all_relative = bool(rows) and all(row.relative for row in rows)
    axis_title = _t("effect_axis", lang)
    if any_relative and not all_relative:
        axis_title += f" · {_t('relative_note', lang)}"
    items = [
        f"{row.label} {_effect_text(row.estimate, row.relative, lang)} "
        f"({_label(VERDICT_LABELS, row.verdict, lang)})"
        for row in rows
    ]
    description = _t("describe_forest", lang, n=n, items="; ".join(items))
    _base_layout(
        fig, lang, title, (f"{title}: " if title else "") + description, legend_on_top=True
    )
    fig.update_layout(
        hovermode="closest",
        height=max(260, 110 + 48 * n),
        margin={"r": 190},
        xaxis={
            "title": {"text": axis_title},
            "ticksuffix": "%" if all_relative else "",
            "zeroline": False,
        },
        # Positions, not categories: two hypotheses with the same label stay two rows.
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(n)),
            "ticktext": [row.label + (" (%)" if row.relative else "") for row in rows],
            "autorange": "reversed",
            "zeroline": False,
            "showgrid": False,
        },
    )
    return fig


def _forest_hover(row: ForestRow, lang: str) -> str:
    interval = _t(
        "interval",
        lang,
        low=_effect_text(row.ci_low, row.relative, lang),
        high=_effect_text(row.ci_high, row.relative, lang),
    )
    parts = [f"{row.label}: {_effect_text(row.estimate, row.relative, lang)} ({interval})"]
    lines = _delta_lines(row)
    if lines:
        parts.append(f"δ = {_effect_text(abs(lines[0]), row.relative, lang)}")
    parts.append(_label(VERDICT_LABELS, row.verdict, lang))
    return "<br>".join(parts)


def period_series(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One value per period and group, as the chart shows it (mean, or pooled ratio)."""
    if frame.empty:
        return pd.DataFrame(columns=["period", "group", "value"])
    grouped = frame.groupby(["period", "group"], sort=True)
    if kind == "continuous":
        out = grouped["value"].mean()
    elif kind == "proportion":
        sums = grouped[["numerator", "denominator"]].sum()
        out = sums["numerator"] / sums["denominator"]
    else:
        sums = grouped[["count", "exposure"]].sum()
        out = sums["count"] / sums["exposure"]
    return out.rename("value").reset_index()


# --- verdicts per domain -------------------------------------------------------------------


def verdicts_by_domain(counts: Mapping[str, Mapping[str, int]], *, lang: str = "nl") -> go.Figure:
    """Stacked horizontal bars, one per domain, one segment per verdict.

    ``counts[domain][verdict]`` is the number of hypotheses. Verdicts appear in the fixed
    order of ``VERDICT_LABELS`` (unknown ones after, as given); a verdict no domain has gets
    no trace. Each segment carries its count as text and a pattern of its own.
    """
    lang = _lang(lang)
    domains = list(counts)
    present = {verdict for domain in domains for verdict, n in counts[domain].items() if n}
    verdicts = [v for v in VERDICT_LABELS if v in present] + sorted(present - set(VERDICT_LABELS))
    data: list[dict] = []
    for verdict in verdicts:
        colour, _, pattern = _VERDICT_STYLE.get(verdict, _OTHER_VERDICT_STYLE)
        name = _label(VERDICT_LABELS, verdict, lang)
        values = [int(counts[domain].get(verdict, 0)) for domain in domains]
        data.append(
            dict(
                type="bar",
                name=name,
                orientation="h",
                y=domains,
                x=values,
                marker={
                    "color": colour,
                    # A sparse, half-transparent pattern keeps the count readable on top of it.
                    "pattern": {
                        "shape": pattern,
                        "fgcolor": OKABE_ITO["black"],
                        "fgopacity": 0.4,
                        "size": 8,
                        "solidity": 0.15,
                    },
                    "line": {"color": OKABE_ITO["black"], "width": 1},
                },
                text=[str(v) if v else "" for v in values],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"color": _text_colour(colour), "size": 14},
                hovertext=[f"{d} · {name}: {v}" for d, v in zip(domains, values, strict=True)],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    items = [
        f"{domain} "
        + ", ".join(
            f"{int(counts[domain].get(v, 0))} {_label(VERDICT_LABELS, v, lang)}"
            for v in verdicts
            if counts[domain].get(v, 0)
        )
        for domain in domains
    ]
    layout = _layout(
        lang, "", _t("describe_domains", lang, items="; ".join(items)), legend_on_top=True
    ) | {
        "barmode": "stack",
        "height": max(240, 110 + 40 * len(domains)),
        "xaxis": {"title": {"text": _t("count_axis", lang)}, "dtick": 1, "rangemode": "tozero"},
        "yaxis": {
            "title": {"text": _t("domain_axis", lang)},
            "type": "category",  # a domain called "2024" is a name, not a number
            "autorange": "reversed",
        },
    }
    if not verdicts:
        layout["annotations"] = [_empty_annotation(_t("no_hypotheses", lang))]
    return _figure(data, layout)


# --- pilot timeline ------------------------------------------------------------------------


def pilot_timeline(
    rows: Sequence[TimelineRow], *, lang: str = "nl", today: dt.date | None = None
) -> go.Figure:
    """One row per pilot: the baseline and the intervention phase as two bar segments.

    The baseline runs from ``baseline_start`` to ``intervention_start``, the intervention phase
    from there to ``evaluation_end``; the segments differ in pattern as well as colour and the
    intervention segment carries the pilot's status as text. A dotted vertical line marks
    ``today`` (default: the current date). Bars are Plotly's timeline encoding: ``base`` is the
    start date and ``x`` the length in milliseconds.
    """
    lang = _lang(lang)
    today = today or dt.date.today()
    data: list[dict] = []
    y = list(range(len(rows)))
    segments = (
        ("baseline", "baseline_start", "intervention_start", "#BBBBBB", "/"),
        ("intervention", "intervention_start", "evaluation_end", OKABE_ITO["blue"], ""),
    )
    for key, start_field, end_field, colour, pattern in segments:
        if not rows:
            break
        starts = [getattr(r, start_field) for r in rows]
        ends = [getattr(r, end_field) for r in rows]
        name = _t(key, lang)
        statuses = [_label(PILOT_STATUS_LABELS, r.status, lang) for r in rows]
        data.append(
            dict(
                type="bar",
                name=name,
                orientation="h",
                y=y,
                base=[s.isoformat() for s in starts],
                x=[(e - s).days * _MS_PER_DAY for s, e in zip(starts, ends, strict=True)],
                marker={
                    "color": colour,
                    "pattern": {"shape": pattern, "fgcolor": OKABE_ITO["black"]},
                    "line": {"color": OKABE_ITO["black"], "width": 1},
                },
                insidetextanchor="start",
                textfont={"color": _text_colour(colour)},
                hovertext=[
                    f"{r.title} · {name}: "
                    + _t("from_to", lang, start=format_date(s, lang), end=format_date(e, lang))
                    + f" ({status})"
                    for r, s, e, status in zip(rows, starts, ends, statuses, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
        if key == "intervention":
            data[-1] |= {"text": statuses, "textposition": "inside"}
    today_line = dict(
        name="today",
        type="line",
        xref="x",
        yref="paper",
        x0=today.isoformat(),
        x1=today.isoformat(),
        y0=0,
        y1=1,
        line={"color": OKABE_ITO["vermillion"], "width": 2, "dash": "dot"},
    )
    today_label = dict(
        name="today",
        text=f"{_t('today', lang)} ({format_date(today, lang)})",
        xref="x",
        yref="paper",
        x=today.isoformat(),
        y=1,
        yanchor="bottom",
        showarrow=False,
    )
    layout = _layout(lang, "", _t("describe_timeline", lang, n=len(rows))) | dict(
        barmode="overlay",  # the two segments of a pilot share its row, one after the other
        height=max(240, 110 + 40 * len(rows)),
        shapes=[today_line],
        annotations=([] if rows else [_empty_annotation(_t("no_pilots", lang))]) + [today_label],
        xaxis={
            "type": "date",
            "tickformatstops": [
                {"dtickrange": [None, "M1"], "value": "%Y-%m-%d"},
                {"dtickrange": ["M1", None], "value": "%Y-%m"},
            ],
        },
        yaxis={
            "tickmode": "array",
            "tickvals": y,
            "ticktext": [r.title for r in rows],
            "autorange": "reversed",
        },
    )
    return _figure(data, layout)


# --- pooled evidence ------------------------------------------------------------------------


def pooled_forest_plot(
    result: Any, *, lang: str = "nl", title: str = "", axis_title: str = ""
) -> go.Figure:
    """The pilots behind a pooled effect (``tracker.analysis.pooling.PooledResult``) and the
    pooled effect itself.

    Each pilot is a square (its area grows with its weight) with its 95% interval; below them
    the pooled effect is a diamond spanning its interval, and a dashed bar shows the prediction
    interval for the next pilot. Too few pilots: the pilots that there are, and a note that says
    how many more the pooled view needs. ``axis_title`` names the scale (e.g. the measure's
    unit); without it the axis says "effect".
    """
    lang = _lang(lang)
    fig = go.Figure()
    studies = list(result.studies)
    z = 1.959963984540054
    weights = list(result.weights) or [None] * len(studies)
    if studies:
        sizes = [8 + 24 * math.sqrt(w) if w is not None else 10 for w in weights]
        fig.add_trace(
            go.Scatter(
                name=_t("pilot_estimates", lang),
                x=[st.estimate for st in studies],
                y=list(range(len(studies))),
                mode="markers",
                marker={"symbol": "square", "size": sizes, "color": OKABE_ITO["blue"]},
                error_x={
                    "type": "data",
                    "array": [z * st.se for st in studies],
                    "color": OKABE_ITO["blue"],
                    "thickness": 1.5,
                    "width": 4,
                },
                hovertext=[
                    f"{st.label}: {format_signed(st.estimate, lang)} "
                    + (f"({_t('weight', lang, w=format_percent(w, lang))})" if w else "")
                    for st, w in zip(studies, weights, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    n = len(studies)
    labels = [st.label for st in studies]
    if result.status == "pooled":
        y = n + 0.5
        fig.add_trace(
            go.Scatter(
                name=_t("pooled", lang),
                x=[result.ci_low, result.estimate, result.ci_high, result.estimate, result.ci_low],
                y=[y, y - 0.35, y, y + 0.35, y],
                mode="lines",
                fill="toself",
                fillpattern={"shape": "x"},
                line={"color": OKABE_ITO["black"], "width": 2},
                hovertext=[_t("pooled", lang)] * 5,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                name=_t("prediction", lang),
                x=[result.pi_low, result.pi_high],
                y=[y + 0.75, y + 0.75],
                mode="lines+markers",
                marker={"symbol": "line-ns-open", "size": 12, "color": OKABE_ITO["vermillion"]},
                line={"dash": "dash", "color": OKABE_ITO["vermillion"], "width": 2},
                hovertemplate="%{x}<extra></extra>",
            )
        )
        labels += [_t("pooled", lang), _t("prediction", lang)]
        interval = _t(
            "interval",
            lang,
            low=format_signed(result.ci_low, lang),
            high=format_signed(result.ci_high, lang),
        )
        description = _t(
            "describe_pooled",
            lang,
            k=result.k,
            estimate=format_signed(result.estimate, lang),
            interval=interval,
            i2=format_percent(result.i2, lang),
        )
        tickvals = [*range(n), y, y + 0.75]
    else:
        description = _t(
            "too_few", lang, needed=result.needed, k=result.k, min=result.k + result.needed
        )
        fig.add_annotation(_empty_annotation(description))
        tickvals = list(range(n))
    fig.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=0,
        x1=0,
        y0=0,
        y1=1,
        line={"color": OKABE_ITO["black"], "width": 1},
    )
    _base_layout(fig, lang, title, (f"{title}: " if title else "") + description)
    fig.update_layout(
        hovermode="closest",
        height=max(260, 140 + 40 * (n + 2)),
        xaxis={"title": {"text": axis_title or _t("effect_axis", lang)}, "zeroline": False},
        yaxis={
            "tickmode": "array",
            "tickvals": tickvals,
            "ticktext": labels,
            "autorange": "reversed",
            "zeroline": False,
            "showgrid": False,
        },
    )
    return fig
