"""Small-number protection for exports shared outside the organisation (pure).

Published statistics do not show a count of fewer than a handful of people: with a count of 2
in a buurt, the two can be found. With ``suppress_below = N`` (default 5, the setting
``TRACKER_EXPORT_SUPPRESS_BELOW``) an export leaves such cells empty and marks them:

1. **Counts.** For a measure of kind *count*, a ``count`` below N is left out, and so is an
   ``exposure`` below N (a population of three is itself a small number).
2. **Numerators and denominators.** For kind *proportion*, a ``numerator`` below N is left out,
   and so is a numerator whose complement (``denominator − numerator``) is below N: "18 of 20"
   tells that 2 did not. A ``denominator`` below N is left out too.
3. **Totals of one row.** A total must not give back what was left out. Within one measure,
   period and group of a pilot, when an area row (a wijk or buurt) lost a cell, the same cell
   of the row without an area (the whole) is left out as well: otherwise whole minus the other
   areas gives it. In the results table, a level or effect that rests on one data point of a
   measure with a left-out cell is left out (``suppress_results``).
4. Continuous measures (averages, scores, waiting times) are not counts and stay as they are.

"Below" is strict: with N = 5, 0–4 are left out and 5 is shown. Zero is left out too: "nobody
in this buurt" can be as telling as "one".

A left-out cell is missing (empty) in CSV, Parquet and the data package, and shows the mark
(``<N``) in the Dutch Excel CSV and the XLSX workbook; the row's ``suppressed`` column names the
columns left out, in every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_SUPPRESS_BELOW",
    "RESULT_LEVEL_FIELDS",
    "Suppressed",
    "lost_periods",
    "mark_for",
    "protect_result",
    "suppress_measurements",
    "suppress_results",
]

DEFAULT_SUPPRESS_BELOW = 5
COUNT_COLUMNS = ("numerator", "denominator", "count", "exposure")
# Results fields that are levels or effects computed from the data (not test statistics).
RESULT_LEVEL_FIELDS = (
    "baseline",
    "after_level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "relative_estimate",
    "prob_meaningful",
)


def mark_for(threshold: int) -> str:
    """The text a left-out cell shows where people read it: ``<5``."""
    return f"<{threshold}"


@dataclass(frozen=True)
class Suppressed:
    """A frame after protection: the emptied cells per column, and the per-row names."""

    frame: pd.DataFrame
    masks: dict[str, np.ndarray]
    labels: np.ndarray  # per row: "count", "numerator, denominator" or ""

    @property
    def cells(self) -> int:
        return int(sum(int(m.sum()) for m in self.masks.values()))


def _labels(masks: Mapping[str, np.ndarray], n: int, order: tuple[str, ...]) -> np.ndarray:
    """Per row the names of the columns left out, in ``order``, joined by ', '."""
    labels = np.full(n, "", dtype=object)
    for name in order:
        mask = masks.get(name)
        if mask is None or not mask.any():
            continue
        current = labels[mask]
        labels[mask] = np.where(current == "", name, current + ", " + name)
    return labels


def suppress_measurements(
    frame: pd.DataFrame, kinds: Mapping[str, str], threshold: int
) -> Suppressed:
    """Rules 1–3 on a tidy measurements frame (columns measure, period, area, group and the
    value columns); ``kinds`` maps each measure code to continuous/proportion/count."""
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    n = len(frame)
    kind = frame["measure"].astype(str).map(dict(kinds)).fillna("continuous").to_numpy()
    is_count = kind == "count"
    is_proportion = kind == "proportion"

    def below(values: np.ndarray) -> np.ndarray:
        return ~np.isnan(values) & (values < threshold)

    number = {c: frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in COUNT_COLUMNS}
    complement = number["denominator"] - number["numerator"]
    masks = {
        "count": is_count & below(number["count"]),
        "exposure": is_count & below(number["exposure"]),
        "numerator": is_proportion & (below(number["numerator"]) | below(complement)),
        "denominator": is_proportion & below(number["denominator"]),
    }
    # Rule 3: the whole of a measure × period × group goes when any of its areas lost that cell.
    area = frame["area"].astype(str).to_numpy()
    whole = area == ""
    if whole.any() and (~whole).any():
        # Within one pilot: another pilot's areas are not parts of this pilot's whole.
        parts = [frame["measure"].astype(str), frame["period"], frame["group"].astype(str)]
        if "pilot" in frame:
            parts.insert(0, frame["pilot"].astype(str))
        keys = pd.MultiIndex.from_arrays(parts)
        key_codes = pd.factorize(keys)[0]
        for name, mask in masks.items():
            parts_lost = mask & ~whole
            if not parts_lost.any():
                continue
            lost_keys = np.unique(key_codes[parts_lost])
            also = whole & np.isin(key_codes, lost_keys) & ~np.isnan(number[name])
            masks[name] = mask | also
    out = frame.copy()
    for name, mask in masks.items():
        if mask.any():
            values = number[name].copy()
            values[mask] = np.nan
            out[name] = values
    masks = {name: mask for name, mask in masks.items() if mask.any()}
    return Suppressed(out, masks, _labels(masks, n, COUNT_COLUMNS))


def _kept(detail: str) -> bool:
    """Details that reveal no count: p-values, α, and counts of data points (``n_before``)."""
    last = detail.rsplit(".", 1)[-1]
    return last in ("p_value", "alpha") or last.startswith("n_")


def suppress_results(
    frame: pd.DataFrame, lost: Mapping[tuple[str, str], bool], detail_columns: list[str]
) -> Suppressed:
    """Rule 3 for the results table: for a hypothesis whose measure lost a cell in its pilot
    (``lost[(pilot, measure)]``) and whose level before or after rests on one data point
    (``n_before`` or ``n_after`` is 1), the levels and effects are left out, with the numeric
    ``details.*`` columns (cell means, coefficients) that could give them back. The verdict, the
    p-values and the counts of data points stay: they do not reveal a count."""
    n = len(frame)
    pilots = frame["pilot"].astype(str).tolist()
    measures = frame["measure"].astype(str).tolist()
    has_lost = np.array([bool(lost.get((p, m))) for p, m in zip(pilots, measures, strict=True)])
    one_point = (frame["n_before"].astype("Int64").fillna(0).to_numpy() <= 1) | (
        frame["n_after"].astype("Int64").fillna(0).to_numpy() <= 1
    )
    hit = has_lost & one_point if n else np.zeros(0, dtype=bool)
    out = frame.copy()
    masks: dict[str, np.ndarray] = {}
    candidates = list(RESULT_LEVEL_FIELDS) + [c for c in detail_columns if not _kept(c)]
    for name in candidates:
        if name not in out or not pd.api.types.is_float_dtype(out[name]):
            continue
        values = out[name].to_numpy(dtype="float64", na_value=np.nan)
        mask = hit & ~np.isnan(values)
        if mask.any():
            values = values.copy()
            values[mask] = np.nan
            out[name] = values
            masks[name] = mask
    order = tuple(c for c in candidates if c in masks)
    return Suppressed(out, masks, _labels(masks, n, order))


def lost_periods(suppressed: Suppressed) -> dict[tuple[str, str], set[str]]:
    """Per (pilot, measure code), the periods (ISO dates) in which the protection left a cell
    out: the points a chart of another organisation's shared pilot must not show. The pilot is
    '' when the frame has no ``pilot`` column."""
    frame = suppressed.frame
    hit = np.zeros(len(frame), dtype=bool)
    for mask in suppressed.masks.values():
        hit |= mask
    out: dict[tuple[str, str], set[str]] = {}
    if not hit.any():
        return out
    pilots = frame["pilot"].astype(str) if "pilot" in frame else pd.Series("", index=frame.index)
    periods = pd.to_datetime(frame.loc[hit, "period"]).dt.strftime("%Y-%m-%d")
    rows = zip(pilots[hit], frame.loc[hit, "measure"].astype(str), periods, strict=True)
    for pilot, measure, period in rows:
        out.setdefault((pilot, measure), set()).add(period)
    return out


def protect_result(result: Mapping[str, Any], measure_lost: bool) -> dict[str, Any]:
    """Rule 3 for one result (``AnalysisResult.to_dict`` or a report's result record), as
    ``suppress_results`` does for a row of the results table: when its measure lost a cell and
    a level rests on one data point, the levels and effects and the numeric details go, and so
    do the verdict's reason (it quotes the interval) and δ (a relative δ is a share of the
    baseline); ``suppressed`` names them. Anything else comes back unchanged (as a copy)."""
    out = dict(result)
    one_point = (out.get("n_before") or 0) <= 1 or (out.get("n_after") or 0) <= 1
    if not (measure_lost and one_point):
        return out
    removed = [name for name in RESULT_LEVEL_FIELDS if out.get(name) is not None]
    for name in removed:
        out[name] = None
    # The verdict's reason quotes the interval, and a relative δ is a share of the baseline.
    for name in ("delta", "verdict_reason_nl", "verdict_reason_en"):
        if out.get(name) not in (None, ""):
            out[name] = None if name == "delta" else ""
            removed.append(name)
    details = out.get("details")
    if isinstance(details, Mapping):
        out["details"] = _strip_numbers(details, "details", removed)
    out["suppressed"] = removed
    return out


def _strip_numbers(value: Mapping[str, Any], prefix: str, removed: list[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}"
        if isinstance(item, Mapping):
            kept[key] = _strip_numbers(item, name, removed)
        elif isinstance(item, float) and not _kept(name):
            kept[key] = None
            removed.append(name)
        else:
            kept[key] = item
    return kept
