"""From any tidy frame to the standard shape the methods read, and the choice of design."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracker.analysis.estimates import InsufficientData
from tracker.analysis.periods import as_days, day, month_number

KINDS = ("continuous", "proportion", "count")
DESIGNS = ("auto", "prepost", "its", "did", "spc")
MIN_ITS_PERIODS_EACH_SIDE = 8

VALUE_COLUMNS = {
    "continuous": ("value",),
    "proportion": ("numerator", "denominator"),
    "count": ("count", "exposure"),
}


@dataclass(frozen=True)
class Columns:
    """Which input column holds what (the CLI's ``--*-col`` options)."""

    period: str = "period"
    value: str = "value"
    group: str = "group"
    treated_value: str = "pilot"
    area: str = "area"
    numerator: str = "numerator"
    denominator: str = "denominator"
    count: str = "count"
    exposure: str = "exposure"


@dataclass(frozen=True)
class Prepared:
    """Rows in the standard shape, sorted by period, group and area, as numpy arrays.

    ``period`` holds calendar days (``datetime64[D]``), ``pilot`` marks the rows of the pilot
    group, ``area`` the area text ("" when none), ``values`` the numeric columns of the kind
    (``value``; ``numerator``/``denominator``; ``count``/``exposure``).
    """

    period: np.ndarray
    pilot: np.ndarray
    area: np.ndarray
    values: dict[str, np.ndarray]
    kind: str
    intervention: np.datetime64
    dropped_missing: int

    @property
    def rows(self) -> pd.DataFrame:
        """All rows as a frame (period as Timestamp, group "pilot"/"comparison", area)."""
        return pd.DataFrame(
            {
                "period": self.period.astype("datetime64[ns]"),
                "group": np.where(self.pilot, "pilot", "comparison"),
                "area": self.area,
                **self.values,
            }
        )

    def has_comparison_both_sides(self) -> bool:
        comp = self.period[~self.pilot]
        post = comp >= self.intervention
        return bool(post.any() and (~post).any())

    def pilot_periods(self) -> tuple[int, int]:
        periods = np.unique(self.period[self.pilot])
        after = int((periods >= self.intervention).sum())
        return len(periods) - after, after


@dataclass(frozen=True)
class Series:
    """The pilot group with one row per period: the mean value, or the summed numerators and
    denominators (counts and exposures), with ``value`` their ratio."""

    period: np.ndarray
    values: dict[str, np.ndarray]

    @property
    def value(self) -> np.ndarray:
        return self.values["value"]


def _fail(code: str, nl: str, en: str) -> InsufficientData:
    return InsufficientData(code, nl, en)


def _numeric(column: pd.Series) -> np.ndarray:
    """Floats with NaN for anything missing, non-numeric or infinite."""
    if column.dtype.kind in "fiub":
        out = column.to_numpy(dtype=float, na_value=np.nan)
    else:
        out = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = out.copy()
    out[~np.isfinite(out)] = np.nan
    return out


def _text(column: pd.Series) -> np.ndarray:
    return column.astype("string").str.strip().fillna("").to_numpy(dtype=object)


def prepare(
    frame: pd.DataFrame, *, kind: str, intervention: dt.date, columns: Columns = Columns()
) -> Prepared:
    """Check and standardise the input; expected problems raise InsufficientData."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    wanted = {"period": columns.period}
    for name in VALUE_COLUMNS[kind]:
        wanted[name] = getattr(columns, name)
    missing = [src for src in wanted.values() if src not in frame.columns]
    if missing:
        raise _fail(
            "missing_column",
            f"kolom(men) ontbreken: {', '.join(missing)}",
            f"missing column(s): {', '.join(missing)}",
        )
    period = as_days(frame[columns.period])
    n = len(period)
    if columns.group in frame.columns:
        pilot = (_text(frame[columns.group]) == columns.treated_value).astype(bool)
    else:
        pilot = np.ones(n, dtype=bool)
    if columns.area in frame.columns:
        area = frame[columns.area].astype("string").fillna("").to_numpy(dtype=object)
    else:
        area = np.full(n, "", dtype=object)
    values = {name: _numeric(frame[wanted[name]]) for name in VALUE_COLUMNS[kind]}

    complete = ~np.isnat(period)
    for array in values.values():
        complete &= ~np.isnan(array)
    dropped = int(n - complete.sum())
    if dropped:
        period, pilot, area = period[complete], pilot[complete], area[complete]
        values = {name: array[complete] for name, array in values.items()}
    if len(period) > 1 and not (bool(pilot.all()) and bool(np.all(area == area[0]))):
        # By period, then group (comparison before pilot, as text sorts), then area.
        order = np.lexsort((area.astype(str), pilot, period.astype(np.int64)))
    elif len(period) > 1 and not bool(np.all(period[1:] >= period[:-1])):
        order = np.argsort(period, kind="stable")
    else:
        order = None
    if order is not None:
        period, pilot, area = period[order], pilot[order], area[order]
        values = {name: array[order] for name, array in values.items()}

    if kind == "count" and ((values["count"] < 0).any() or (values["exposure"] <= 0).any()):
        raise _fail(
            "invalid_counts",
            "aantallen moeten ≥ 0 zijn en de blootstelling > 0",
            "counts must be ≥ 0 and the exposure > 0",
        )
    if kind == "proportion" and (
        (values["numerator"] < 0).any()
        or (values["denominator"] <= 0).any()
        or (values["numerator"] > values["denominator"]).any()
    ):
        raise _fail(
            "invalid_counts",
            "tellers moeten tussen 0 en de noemer liggen, en noemers > 0 zijn",
            "numerators must lie between 0 and the denominator, and denominators be > 0",
        )
    if not pilot.any():
        raise _fail(
            "no_data",
            "er zijn geen bruikbare metingen van de pilotgroep",
            "there are no usable measurements of the pilot group",
        )
    return Prepared(period, pilot, area, values, kind, day(intervention), dropped)


def per_period(prepared: Prepared) -> Series:
    """The pilot group with one row per period (see :class:`Series`)."""
    period = prepared.period[prepared.pilot]
    values = {name: array[prepared.pilot] for name, array in prepared.values.items()}
    if len(period) > 1 and not bool(np.all(period[1:] > period[:-1])):
        period, index = np.unique(period, return_inverse=True)
        counts = np.bincount(index)
        values = {
            name: np.bincount(index, weights=array, minlength=len(period))
            for name, array in values.items()
        }
        if prepared.kind == "continuous":
            values["value"] = values["value"] / counts
    if prepared.kind == "proportion":
        values["value"] = values["numerator"] / values["denominator"]
    elif prepared.kind == "count":
        values["value"] = values["count"] / values["exposure"]
    return Series(period, values)


def choose_design(prepared: Prepared, requested: str) -> tuple[str, str, str]:
    """(design, reason in Dutch, reason in English); an unsupported request raises."""
    before, after = prepared.pilot_periods()
    comparison = prepared.has_comparison_both_sides()
    if requested == "auto":
        if comparison:
            return (
                "did",
                "er zijn metingen van een vergelijkingsgroep voor en na de start",
                "comparison-group data exist before and after the start",
            )
        if before >= MIN_ITS_PERIODS_EACH_SIDE and after >= MIN_ITS_PERIODS_EACH_SIDE:
            return (
                "its",
                f"{before} perioden voor en {after} na de start (minstens "
                f"{MIN_ITS_PERIODS_EACH_SIDE} aan elke kant), geen vergelijkingsgroep",
                f"{before} periods before and {after} after the start (at least "
                f"{MIN_ITS_PERIODS_EACH_SIDE} on each side), no comparison group",
            )
        return (
            "prepost",
            f"te weinig perioden voor een tijdreeks ({before} voor, {after} na) en geen "
            "vergelijkingsgroep: voor-en-navergelijking",
            f"too few periods for a time series ({before} before, {after} after) and no "
            "comparison group: before/after comparison",
        )
    if requested == "did" and not comparison:
        raise _fail(
            "no_comparison_group",
            "verschil-in-verschillen vraagt metingen van een vergelijkingsgroep vóór én na de "
            "start; die ontbreken",
            "difference-in-differences needs comparison-group data both before and after the "
            "start; they are missing",
        )
    if requested == "its" and (
        before < MIN_ITS_PERIODS_EACH_SIDE or after < MIN_ITS_PERIODS_EACH_SIDE
    ):
        raise _fail(
            "too_few_periods",
            f"een onderbroken tijdreeks vraagt minstens {MIN_ITS_PERIODS_EACH_SIDE} perioden "
            f"aan elke kant; er zijn er {before} voor en {after} na de start",
            f"an interrupted time series needs at least {MIN_ITS_PERIODS_EACH_SIDE} periods on "
            f"each side; there are {before} before and {after} after the start",
        )
    if before == 0 or after == 0:
        raise _fail(
            "no_pre_periods" if before == 0 else "no_post_periods",
            "er zijn geen metingen " + ("vóór" if before == 0 else "na") + " de start",
            "there are no measurements " + ("before" if before == 0 else "after") + " the start",
        )
    reason = {
        "prepost": (
            "voor-en-navergelijking, zo vastgelegd",
            "before/after comparison, as registered",
        ),
        "its": ("onderbroken tijdreeks, zo vastgelegd", "interrupted time series, as registered"),
        "did": (
            "verschil-in-verschillen, zo vastgelegd",
            "difference-in-differences, as registered",
        ),
        "spc": ("procesbeheersing (SPC), zo vastgelegd", "process control (SPC), as registered"),
    }[requested]
    return requested, reason[0], reason[1]


def missing_periods(periods: np.ndarray) -> int:
    """Months missing between the first and the last period (monthly data only)."""
    p = np.unique(periods)
    if len(p) < 3:
        return 0
    steps = np.diff(month_number(p))
    if (steps == 0).any() or np.median(steps) != 1:
        return 0  # not a monthly series; nothing to say
    return int((steps - 1).sum())
