"""Analysing a stored pilot: its measurements and registered hypotheses, through the pure engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session, col, select

from tracker.analysis.engine import AnalysisSpec, analyze_many
from tracker.analysis.result import AnalysisResult
from tracker.models import Measure, Measurement
from tracker.services.hypotheses import hypotheses_with_details
from tracker.services.pilots import get_pilot

TIDY_COLUMNS = [
    "measure",
    "period",
    "area",
    "group",
    "value",
    "numerator",
    "denominator",
    "count",
    "exposure",
]


@dataclass(frozen=True)
class HypothesisAnalysis:
    code: str
    measure: str
    is_primary: bool
    result: AnalysisResult
    # All of the pilot's measurements of the measure (tidy shape, before any comparison-area
    # selection), so that a caller that also charts them need not read them again.
    data: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    measure_id: int | None = None
    # The δ that was tested: the registration with its amendments applied.
    min_effect: float | None = None
    min_effect_type: str = ""


def measurement_frame(session: Session, pilot_id: int, measure_id: int) -> pd.DataFrame:
    """The pilot's measurements of one measure in the tidy shape (DESIGN.md)."""
    # Plain columns, not Measurement objects: a pilot page reads thousands of rows.
    rows = session.exec(
        select(
            Measure.code,
            Measurement.period,
            Measurement.area,
            Measurement.group,
            Measurement.value,
            Measurement.numerator,
            Measurement.denominator,
            Measurement.count,
            Measurement.exposure,
        )
        .join(Measure, col(Measure.id) == col(Measurement.measure_id))
        .where(Measurement.pilot_id == pilot_id, Measurement.measure_id == measure_id)
        .order_by(col(Measurement.period), col(Measurement.group), col(Measurement.area))
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=TIDY_COLUMNS)
    frame["group"] = frame["group"].astype(str)
    return frame


def _comparison_areas(frame: pd.DataFrame, comparison_group: str) -> pd.DataFrame:
    """Keep only the named comparison areas when the hypothesis names them (comma-separated)."""
    wanted = {a.strip() for a in comparison_group.split(",") if a.strip()}
    if not wanted:
        return frame
    keep = (frame["group"] != "comparison") | frame["area"].isin(wanted)
    return frame[keep]


def analyze_pilot(session: Session, pilot_id: int) -> list[HypothesisAnalysis]:
    """Every hypothesis of the pilot, as registered (amendments applied), Holm across primaries."""
    pilot = get_pilot(session, pilot_id)
    items = []
    meta = []
    for details in hypotheses_with_details(session, pilot_id):
        hypothesis, measure, values = details.hypothesis, details.measure, details.values
        data = measurement_frame(session, pilot_id, hypothesis.measure_id)
        frame = _comparison_areas(data, str(values["comparison_group"] or ""))
        spec = AnalysisSpec(
            intervention=pilot.intervention_start,
            kind=str(measure.kind),
            design=str(values["design"]),
            expect=str(values["expected_direction"]),
            min_effect=float(values["min_effect"]),
            relative=str(values["min_effect_type"]) == "relative",
            alpha=float(values["alpha"]),
            better=str(measure.better_direction),
            amended=bool(details.amendments),
            registered_late=bool(hypothesis.registered_late),
        )
        items.append((frame, spec, bool(values["is_primary"])))
        meta.append(
            {
                "code": hypothesis.code,
                "measure": measure.code,
                "is_primary": bool(values["is_primary"]),
                "data": data,
                "measure_id": measure.id,
                "min_effect": float(values["min_effect"]),
                "min_effect_type": str(values["min_effect_type"]),
            }
        )
    results = analyze_many(items)
    return [
        HypothesisAnalysis(result=result, **facts)
        for facts, result in zip(meta, results, strict=True)
    ]
