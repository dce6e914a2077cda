"""From any tidy frame to the standard shape the methods read, and the choice of design."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracker.analysis.estimates import InsufficientData

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
    """Rows in the standard shape: period (Timestamp), group pilot|comparison, area, values."""

    rows: pd.DataFrame
    kind: str
    intervention: pd.Timestamp
    dropped_missing: int

    @property
    def pilot(self) -> pd.DataFrame:
        return self.rows[self.rows["group"] == "pilot"]

    def has_comparison_both_sides(self) -> bool:
        comp = self.rows[self.rows["group"] == "comparison"]
        if comp.empty:
            return False
        post = comp["period"] >= self.intervention
        return bool(post.any() and (~post).any())

    def pilot_periods(self) -> tuple[int, int]:
        periods = self.pilot["period"].drop_duplicates()
        after = int((periods >= self.intervention).sum())
        return len(periods) - after, after


def _fail(code: str, nl: str, en: str) -> InsufficientData:
    return InsufficientData(code, nl, en)


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
    rows = pd.DataFrame({name: frame[src] for name, src in wanted.items()})
    rows["period"] = pd.to_datetime(rows["period"], errors="coerce")
    if columns.group in frame.columns:
        group = frame[columns.group].astype("string").str.strip()
        rows["group"] = np.where(group == columns.treated_value, "pilot", "comparison")
    else:
        rows["group"] = "pilot"
    if columns.area in frame.columns:
        rows["area"] = frame[columns.area].astype("string").fillna("").astype(str)
    else:
        rows["area"] = ""
    for name in VALUE_COLUMNS[kind]:
        rows[name] = pd.to_numeric(rows[name], errors="coerce").astype(float)
        rows.loc[~np.isfinite(rows[name]), name] = np.nan
    needed = ["period", *VALUE_COLUMNS[kind]]
    complete = rows[needed].notna().all(axis=1)
    dropped = int((~complete).sum())
    rows = rows[complete].sort_values(["period", "group", "area"]).reset_index(drop=True)
    if kind == "count" and ((rows["count"] < 0).any() or (rows["exposure"] <= 0).any()):
        raise _fail(
            "invalid_counts",
            "aantallen moeten ≥ 0 zijn en de blootstelling > 0",
            "counts must be ≥ 0 and the exposure > 0",
        )
    if kind == "proportion" and (
        (rows["numerator"] < 0).any()
        or (rows["denominator"] <= 0).any()
        or (rows["numerator"] > rows["denominator"]).any()
    ):
        raise _fail(
            "invalid_counts",
            "tellers moeten tussen 0 en de noemer liggen, en noemers > 0 zijn",
            "numerators must lie between 0 and the denominator, and denominators be > 0",
        )
    if rows.empty or rows[rows["group"] == "pilot"].empty:
        raise _fail(
            "no_data",
            "er zijn geen bruikbare metingen van de pilotgroep",
            "there are no usable measurements of the pilot group",
        )
    return Prepared(rows, kind, pd.Timestamp(intervention), dropped)


def per_period(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One row per period: the mean value, or summed numerators/denominators or counts."""
    grouped = rows.groupby("period", sort=True)
    if kind == "continuous":
        out = grouped["value"].mean().to_frame()
    elif kind == "proportion":
        out = grouped[["numerator", "denominator"]].sum()
        out["value"] = out["numerator"] / out["denominator"]
    else:
        out = grouped[["count", "exposure"]].sum()
        out["value"] = out["count"] / out["exposure"]
    return out.reset_index()


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


def missing_periods(periods: pd.Series) -> int:
    """Months missing between the first and the last period (monthly data only)."""
    p = pd.DatetimeIndex(periods.drop_duplicates().sort_values())
    if len(p) < 3:
        return 0
    months = p.year * 12 + p.month
    steps = np.diff(months)
    if (steps == 0).any() or np.median(steps) != 1:
        return 0  # not a monthly series; nothing to say
    return int((steps - 1).sum())
