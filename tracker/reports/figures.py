"""Static images of a :class:`ReportChart` for the documents (PNG for DOCX/PDF, SVG for HTML).

The interactive charts are Plotly; a report needs a picture that stays the same on paper, in
Word and offline, so it is drawn again here with matplotlib. Only the object-oriented API
(``Figure`` + ``FigureCanvasAgg``) is used: pyplot keeps global figures, which is unsafe in
Streamlit's script threads and leaks memory.

Readable without colour: every series has its own line style and marker shape, phases carry
text labels and interventions are numbered, with the numbers explained under the chart. The
colours are Okabe–Ito. Output is byte-for-byte reproducible (no dates or version strings in the
file, fixed SVG ids), so publishing the same report twice gives the same files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import itertools
import math
import textwrap
import threading
from collections.abc import Sequence

import matplotlib
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from tracker.reports.document import ReportChart

__all__ = ["OKABE_ITO", "chart_png", "chart_svg"]

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#000000")
# No "^": the triangle marks the interventions.
_MARKERS = ("o", "s", "D", "P", "X", "v", "*")
_MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_NO_DATA = {"nl": "Geen gegevens", "en": "No data"}

_CM = 1 / 2.54
_WIDTH_CM = 16.0
_HEIGHT_CM = 8.0
_LINE_CM = 0.42  # extra height per line of the intervention list under the chart
_FONT = 7.5  # points; the figure is printed at its real size (16 cm wide)
_SHADE = "#E8E8E8"
_SVG_SALT = "proeftuin"
_WRAP = 90  # characters per line in the intervention list

# matplotlib's rcParams are process-global and rc_context is not thread-safe; drawing is
# serialised so one thread's SVG salt cannot leak into another thread's drawing.
_DRAW_LOCK = threading.Lock()


@functools.lru_cache(maxsize=32)
def chart_png(chart: ReportChart, *, dpi: int = 150) -> bytes:
    """The chart as a PNG, about 16 × 8 cm; the same bytes for the same chart and dpi.

    Cached (a chart takes about 0.2 s): the same report is often rendered in several formats
    in a row, and the charts are frozen dataclasses, so equal charts give equal images.
    """
    figure = _build(chart)
    buffer = io.BytesIO()
    with _DRAW_LOCK:
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


@functools.lru_cache(maxsize=32)
def chart_svg(chart: ReportChart) -> str:
    """The chart as a standalone SVG document with a ``<title>`` (the alt text); reproducible.

    Text is drawn as paths (matplotlib's default), so the picture does not depend on the fonts
    of the reader's machine; the words are kept in the SVG as comments and in the title.
    Cached like :func:`chart_png`.
    """
    figure = _build(chart)
    buffer = io.StringIO()
    with _DRAW_LOCK, matplotlib.rc_context({"svg.hashsalt": _SVG_SALT}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    label = chart.alt or chart.title
    if label:
        start = svg.find("<svg")
        end = svg.find(">", start) + 1
        svg = f"{svg[:end]}\n <title>{_xml_escape(label)}</title>{svg[end:]}"
    return svg


# --- drawing -------------------------------------------------------------------------------


def _build(chart: ReportChart) -> Figure:
    lang = "en" if chart.lang == "en" else "nl"
    has_data = any(series.points for series in chart.series)
    legend_lines = _intervention_lines(chart.interventions) if has_data else []
    height = _HEIGHT_CM + _LINE_CM * len(legend_lines)
    figure = Figure(figsize=(_WIDTH_CM * _CM, height * _CM), layout="constrained")
    figure.set_facecolor("white")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    if chart.title:
        figure.suptitle(
            _plain(chart.title), x=0.01, ha="left", fontsize=_FONT + 2, fontweight="bold"
        )

    if not has_data:
        ax.set_axis_off()
        note = chart.alt or _NO_DATA[lang]
        text = "\n".join(textwrap.wrap(_plain(note), 70))
        ax.text(
            0.5,
            0.5,
            text,
            ha="center",
            va="center",
            fontsize=_FONT + 1,
            transform=ax.transAxes,
            color="#333333",
        )
        return figure

    for index, series in enumerate(chart.series):
        dates = [_date(day) for day, _ in series.points]
        values = [_value(value) for _, value in series.points]
        markers = series.markers or len(series.points) == 1  # a lone point needs a marker
        ax.plot(
            dates,
            values,
            label=_label(series.name),
            color=OKABE_ITO[index % len(OKABE_ITO)],
            linestyle=series.style,
            linewidth=1.4,
            marker=_MARKERS[index % len(_MARKERS)] if markers else "none",
            markersize=3.5,
        )
    # The x range also covers every intervention and the start of the intervention period.
    days = [_date(day) for day, _title in chart.interventions]
    with contextlib.suppress(ValueError):
        days.append(_date(chart.intervention_start))
    if days:
        ax.update_datalim([(mdates.date2num(day), 0.0) for day in days], updatey=False)
        ax.autoscale_view()

    _style_axes(ax, chart, lang)
    low, high = ax.get_xlim()
    _draw_phases(ax, chart, low, high)
    _draw_interventions(ax, chart.interventions)
    ax.set_xlim(low, high)

    handles, labels = ax.get_legend_handles_labels()
    if handles:
        # Above the plot, under the title: part of the axes, so the layout makes room for it.
        ax.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0, 1.01),
            ncols=_legend_columns(labels),
            fontsize=_FONT,
            frameon=False,
            borderaxespad=0,
        )
    if legend_lines:
        blank = [Line2D([], [], linestyle="none")] * len(legend_lines)
        figure.legend(
            blank,
            legend_lines,
            loc="outside lower left",
            fontsize=_FONT,
            frameon=False,
            handlelength=0,
            handletextpad=0,
            borderaxespad=0.2,
            labelspacing=0.25,
        )
    return figure


def _style_axes(ax: Axes, chart: ReportChart, lang: str) -> None:
    ax.set_ylabel(_plain(chart.y_label), fontsize=_FONT)
    ax.tick_params(labelsize=_FONT)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_DateFormatter(lang))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(_number_formatter(ax, lang))
    # Headroom for the phase labels at the top and the intervention triangles at the bottom.
    bottom, top = ax.get_ylim()
    span = (top - bottom) or 1.0
    ax.set_ylim(bottom - 0.14 * span, top + 0.14 * span)


def _draw_phases(ax: Axes, chart: ReportChart, low: float, high: float) -> None:
    try:
        start = mdates.date2num(_date(chart.intervention_start))
    except ValueError:
        return  # no valid start: no phases to show
    if start < high:
        ax.axvspan(max(start, low), high, color=_SHADE, zorder=0, linewidth=0)
    if low < start < high:
        ax.axvline(start, color="#555555", linestyle="--", linewidth=0.9, zorder=1)
    labels = (
        (chart.before_label, "right", -4, low < start),
        (chart.after_label, "left", 4, start < high),
    )
    transform = ax.get_xaxis_transform()
    for text, align, shift, visible in labels:
        if text and visible:
            x = min(max(start, low), high)
            ax.annotate(
                _plain(text),
                (x, 0.98),
                xycoords=transform,
                xytext=(shift, 0),
                textcoords="offset points",
                ha=align,
                va="top",
                fontsize=_FONT,
                color="#333333",
                fontstyle="italic",
            )


def _draw_interventions(ax: Axes, interventions: Sequence[tuple[str, str]]) -> None:
    transform = ax.get_xaxis_transform()
    numbers_by_day: dict[dt.date, list[str]] = {}
    for number, (day, _title) in enumerate(interventions, start=1):
        numbers_by_day.setdefault(_date(day), []).append(str(number))
    for day, numbers in numbers_by_day.items():
        x = mdates.date2num(day)
        ax.plot(
            [x],
            [0.02],
            marker="^",
            markersize=6,
            color="black",
            linestyle="none",
            transform=transform,
            clip_on=False,
            zorder=3,
        )
        ax.annotate(
            ",".join(numbers),
            (x, 0.02),
            xycoords=transform,
            xytext=(0, 5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=_FONT - 0.5,
            fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85},
        )


def _legend_columns(labels: Sequence[str]) -> int:
    """As many columns as fit across the 16 cm (about 95 characters at this font size)."""
    widest = max(len(label) for label in labels) + 6  # a handle is about six characters
    return max(1, min(len(labels), _WRAP // widest))


def _intervention_lines(interventions: Sequence[tuple[str, str]]) -> list[str]:
    lines: list[str] = []
    for number, (_day, title) in enumerate(interventions, start=1):
        wrapped = textwrap.wrap(_plain(title), _WRAP) or [""]
        lines.append(f"▲{number} = {wrapped[0]}")
        lines.extend("      " + rest for rest in wrapped[1:])
    return lines


# --- axis text -----------------------------------------------------------------------------


class _DateFormatter(Formatter):
    """Dates as people write them, in the chart's language and independent of the locale:
    '2024', 'mrt 2024' or '5 mrt' (the year appears under the first tick of each year)."""

    def __init__(self, lang: str) -> None:
        self.months = _MONTHS[lang]

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        days = [mdates.num2date(value).date() for value in values]
        if all(day.month == 1 and day.day == 1 for day in days):
            return [str(day.year) for day in days]
        if all(day.day == 1 for day in days):
            return [f"{self.months[day.month - 1]} {day.year}" for day in days]
        labels = []
        previous_year = None
        for day in days:
            text = f"{day.day} {self.months[day.month - 1]}"
            if day.year != previous_year:
                text += f"\n{day.year}"
                previous_year = day.year
            labels.append(text)
        return labels


def _number_formatter(ax: Axes, lang: str) -> FuncFormatter:
    """Tick values with as many decimals as the tick step needs; '1.234,5' in Dutch."""

    def format_tick(value: float, _pos: int | None) -> str:
        locations = ax.yaxis.get_majorticklocs()
        step = min((abs(b - a) for a, b in itertools.pairwise(locations)), default=0)
        decimals = _decimals(step)
        if step and abs(value) < step * 1e-6:
            value = 0.0  # no "−0"
        text = f"{value:,.{decimals}f}"
        if lang == "nl":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return text.replace("-", "−")

    return FuncFormatter(format_tick)


def _decimals(step: float) -> int:
    if not step or not math.isfinite(step):
        return 0
    for decimals in range(7):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 6


# --- small helpers -------------------------------------------------------------------------


def _date(value: str) -> dt.date:
    # ISO dates; a datetime ("2024-03-01T00:00") is cut to its date.
    return dt.date.fromisoformat(value[:10])


def _value(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _plain(text: str) -> str:
    """Text as written: a '$' would otherwise start matplotlib's mathtext."""
    return text.replace("$", r"\$")


def _label(name: str) -> str:
    # matplotlib leaves labels that start with "_" out of the legend.
    return _plain(" " + name if name.startswith("_") else name)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
