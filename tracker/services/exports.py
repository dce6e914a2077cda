"""Exports for analysts: a pilot's measurements in the tidy shape, as a frame or as CSV text.

The CSV is the tidy shape of DESIGN.md that ``tracker measurements import`` reads back (its
``pilot`` column is skipped with a warning), so an export can be imported into another pilot
as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session, col, select

from tracker.io.measurements import VALUE_COLUMNS
from tracker.io.text import inert_cell
from tracker.models import Measure, Measurement
from tracker.services.access import Action, Actor
from tracker.services.analysis import TIDY_COLUMNS as ANALYSIS_COLUMNS
from tracker.services.pilots import checked_pilot, get_pilot

__all__ = ["TIDY_COLUMNS", "tidy_measurements", "tidy_measurements_csv"]

# The analysis' tidy shape, with the pilot in front and each row's source behind.
TIDY_COLUMNS = ("pilot", *ANALYSIS_COLUMNS, "source")
_SORT = ["measure", "period", "group", "area"]
TEXT_COLUMNS = [c for c in TIDY_COLUMNS if c not in VALUE_COLUMNS]


def tidy_measurements(session: Session, pilot_id: int) -> pd.DataFrame:
    """All measurements of a pilot, every measure, one row each.

    Columns ``TIDY_COLUMNS``: ``pilot`` (the slug), ``measure`` (the codebook code),
    ``period`` (ISO date text), ``area`` ('' when none), ``group`` (pilot/comparison), the five
    value columns (float64, NaN where the measure's kind has none) and ``source``; sorted by
    measure, period, group and area. Raises NotFoundError for an unknown pilot.
    """
    pilot = get_pilot(session, pilot_id)
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Measure.code,
            Measurement.period,
            Measurement.area,
            Measurement.group,
            *(getattr(Measurement, c) for c in VALUE_COLUMNS),
            Measurement.source,
        )
        .join(Measure, col(Measure.id) == col(Measurement.measure_id))
        .where(Measurement.pilot_id == pilot_id)
    ).all()
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if n else [()] * (5 + len(VALUE_COLUMNS))
    frame = pd.DataFrame(
        {
            "pilot": pd.Series([pilot.slug] * n, dtype="str"),
            "measure": pd.Series(columns[0], dtype="str"),
            "period": pd.Series([p.isoformat() for p in columns[1]], dtype="str"),
            "area": pd.Series([a or "" for a in columns[2]], dtype="str"),
            "group": pd.Series([str(g) for g in columns[3]], dtype="str"),
            **{
                name: np.array(
                    [np.nan if v is None else v for v in columns[4 + i]], dtype="float64"
                )
                for i, name in enumerate(VALUE_COLUMNS)
            },
            "source": pd.Series([s or "" for s in columns[-1]], dtype="str"),
        },
        columns=list(TIDY_COLUMNS),
    )
    # Sorted here, not in SQL: PostgreSQL's collation may order text differently from SQLite.
    return frame.sort_values(_SORT, kind="stable", ignore_index=True)


def _number_texts(values: np.ndarray) -> list[str]:
    """Numbers as short exact texts: 15 significant digits (no float noise such as
    0.30000000000000004), whole numbers without '.0', '' for a missing value."""
    out = []
    for value in values.tolist():
        if value != value:  # NaN
            out.append("")
        else:
            out.append(f"{value + 0.0:.15g}")  # + 0.0 turns -0.0 into 0.0
    return out


def tidy_measurements_csv(session: Session, pilot_id: int, *, actor: Actor) -> str:
    """:func:`tidy_measurements` as CSV text: UTF-8, comma separator, decimal point, '\\n'
    line ends, a header row, no index, an empty cell for a missing value, quotes only where a
    cell needs them (RFC 4180). A text cell starting with =, +, -, @, tab or CR gets a
    leading ' so that a spreadsheet shows it instead of running it."""
    checked_pilot(session, pilot_id, actor, Action.export)
    frame = tidy_measurements(session, pilot_id)
    texts = frame.assign(
        # Text cells a spreadsheet would run as a formula get a leading "'" (tracker.io.text);
        # the value columns are numbers and stay exactly as they are.
        **{name: [inert_cell(v) for v in frame[name]] for name in TEXT_COLUMNS},
        **{name: _number_texts(frame[name].to_numpy()) for name in VALUE_COLUMNS},
    )
    return texts.to_csv(index=False, lineterminator="\n")
