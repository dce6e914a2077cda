"""Periods as numpy calendar days: the one conversion every method shares.

The methods work on ``datetime64[D]`` arrays rather than pandas timestamps: a pilot's analysis
is dozens of small series, and per-call pandas overhead would cost more than the fits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd


def as_days(periods: Any) -> np.ndarray:
    """Calendar days (``datetime64[D]``) of any date-like sequence; NaT where not a date.

    Already-``datetime64`` arrays and sequences of ``datetime.date`` take the fast path;
    anything else (ISO text, timestamps with a time zone, mixed input) goes through
    ``pandas.to_datetime``. Times of day are dropped.
    """
    if isinstance(periods, np.ndarray) and periods.dtype.kind == "M":
        return periods.astype("datetime64[D]")
    if isinstance(periods, pd.Series | pd.Index) and periods.dtype.kind == "M":
        return periods.to_numpy().astype("datetime64[D]")
    items = periods if isinstance(periods, list | tuple) else list(periods)
    if items and all(type(p) is date for p in items):
        return np.array(items, dtype="datetime64[D]")
    stamps = pd.to_datetime(pd.Series(items, dtype=object), errors="coerce")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy().astype("datetime64[D]")


def day(value: date | np.datetime64 | str) -> np.datetime64:
    """One calendar day as ``datetime64[D]``."""
    if type(value) is date:
        return np.datetime64(value, "D")
    return np.datetime64(pd.Timestamp(value).date(), "D")


def month_number(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (consecutive months differ by exactly 1)."""
    return days.astype("datetime64[M]").astype(np.int64)


def calendar_month(days: np.ndarray) -> np.ndarray:
    """Calendar month 1…12 of each day."""
    return month_number(days) % 12 + 1


def to_dates(days: np.ndarray) -> list[date]:
    """``datetime.date`` objects, for results and JSON."""
    return days.astype("datetime64[D]").tolist()


def is_monthly(days: np.ndarray) -> bool:
    """Consecutive periods exactly one calendar month apart."""
    return len(days) > 1 and bool(np.all(np.diff(month_number(days)) == 1))


def first_duplicate(days: np.ndarray) -> date | None:
    """The earliest period that occurs more than once, if any."""
    ordered = np.sort(days)
    same = ordered[1:] == ordered[:-1]
    return to_dates(ordered[1:][same][:1])[0] if same.any() else None
