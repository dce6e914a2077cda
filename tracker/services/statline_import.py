"""Measurements from a CBS StatLine download, into a pilot: previewed, mapped, all or nothing.

``tracker.io.statline`` reads the file and maps a topic column onto a measure and the regions
onto the pilot's areas; this module proposes that mapping from the pilot (``suggest_mapping``)
and imports through the same checks and bulk store as a tidy file
(``tracker.services.measurements.import_parsed``): codebook, the pilot's period, rows already
stored, one audit event, the verdicts refreshed. Suppressed cells ('.') become missing
measurements, never zeros; the report's warnings name each one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sqlmodel import Session

from tracker.io.measurements import RowError, make_error
from tracker.io.statline import StatlineFile, StatlineMapping, read_statline, statline_measurements
from tracker.models import Measure, Pilot
from tracker.services.access import Actor
from tracker.services.measurements import KIND_COLUMNS, ImportReport, import_parsed

__all__ = ["import_statline", "read_statline", "suggest_mapping"]


def suggest_mapping(file: StatlineFile, pilot: Pilot, measure: Measure) -> StatlineMapping:
    """A first mapping for the preview, which the person then checks and changes.

    - Figures: the measure's value columns (value; numerator + denominator; count + exposure)
      take the file's topic columns in order.
    - Regions: the pilot's own areas found in the file keep their code and group; when none is
      in the file, the pilot's municipality (GM code) is the pilot group. Other regions are left
      out until the person maps them.
    - Dimensions: the first value of each (CBS puts the total, e.g. T001038, first).
    - Periods: the shortest period length in the file (months before quarters before years):
      StatLine tables often add year totals to the months.
    """
    wanted = KIND_COLUMNS[str(measure.kind)]
    topics = list(file.topic_columns)
    columns = {name: topics[i] for i, name in enumerate(wanted) if i < len(topics)}
    regions: dict[str, tuple[str, str]] = {}
    in_file = set(file.regions)
    for area in pilot.areas or []:
        code = str(area.get("code", ""))
        if code in in_file:
            regions[code] = (code, str(area.get("group", "pilot")))
    if not regions and pilot.municipality_code in in_file:
        regions[pilot.municipality_code] = (pilot.municipality_code, "pilot")
    dimensions = {name: values[0] for name, values in file.dimension_values.items() if values}
    frequencies = file.frequencies
    return StatlineMapping(
        measure_code=measure.code,
        columns=columns,
        regions=regions if file.region_column else None,
        dimensions=dimensions,
        source=f"CBS StatLine {file.file_name}",
        frequency=frequencies[0] if len(frequencies) > 1 else None,
    )


def import_statline(
    session: Session,
    pilot_id: int,
    data: bytes,
    *,
    file_name: str,
    mapping: StatlineMapping,
    dry_run: bool = False,
    actor: Actor,
) -> ImportReport:
    """Import the mapped StatLine figures into the pilot: every row or none (see module doc).

    Problems with the file or the mapping come back as the report's errors, located in the
    StatLine file (row, column, value); nothing is written then. ``dry_run`` checks only.
    """
    file = read_statline(data, file_name=file_name)
    if not file.ok:
        return ImportReport(
            rows_read=0,
            rows_written=0,
            errors=list(file.errors),
            dry_run=dry_run,
            file_sha256=file.file_sha256,
            file_name=file_name,
            warnings=list(file.warnings),
        )
    if not mapping.columns:
        error = make_error("missing_value_columns", row=1, column="value", file=file_name)
        return ImportReport(0, 0, [error], dry_run, file.file_sha256, file_name)
    parsed = statline_measurements(file, mapping)
    report = import_parsed(
        session,
        pilot_id,
        parsed,
        measure_code=mapping.measure_code,
        dry_run=dry_run,
        actor=actor,
        audit_extra={
            "statline": {
                "columns": dict(mapping.columns),
                "regions": {k: list(v) for k, v in (mapping.regions or {}).items()},
                "dimensions": dict(mapping.dimensions),
                "frequency": mapping.frequency,
                "left_out": sum(w.code in LEFT_OUT for w in parsed.warnings),
            }
        },
    )
    return replace(report, errors=[_in_file(e, file, mapping) for e in report.errors])


# Warnings for a cell without a figure: the measurement is missing, not zero.
LEFT_OUT = ("statline_suppressed", "statline_empty")


def _in_file(error: RowError, file: StatlineFile, mapping: StatlineMapping) -> RowError:
    """An error the pilot checks found in the tidy frame (column "period", value
    "2019-12-01"), located where the person finds it: the StatLine column and cell as written
    ("Perioden", "2019MM12"). Errors the reader made are in the file's terms already."""
    columns = {"period": file.period_column, "area": file.region_column, "group": None}
    columns.update(mapping.columns)
    source = columns.get(error.column)
    if error.row < 2 or not source or source not in file.frame:
        return error
    positions = np.flatnonzero(file.rows == error.row)
    if not len(positions):
        return error
    return replace(error, column=source, value=str(file.frame[source].iloc[int(positions[0])]))
