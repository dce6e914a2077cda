"""Builders for the measurement-import tests: a pilot with one measure of each kind, files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from tests import factories
from tracker.db import session_scope

# The pilot of factories.pilot runs from 2020-01-01 to 2022-12-31.
CONTINUOUS, PROPORTION, COUNT = "contacten", "verwijzingen", "meldingen"


@dataclass(frozen=True)
class World:
    pilot_id: int
    slug: str


def make_world(engine: Engine, slug: str = "netwerk-noord") -> World:
    """One pilot and three measures (continuous, proportion, count), committed."""
    with session_scope(engine) as session:
        factories.measure(session, CONTINUOUS)
        factories.measure(
            session, PROPORTION, name="Aandeel doorverwezen", kind="proportion", unit="%"
        )
        factories.measure(session, COUNT, name="Meldingen", kind="count", unit="meldingen")
        pilot = factories.pilot(session, slug=slug)
        assert pilot.id is not None
        return World(pilot.id, pilot.slug)


def write(directory: Path, text: str, name: str = "metingen.csv", encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(directory: Path, rows: list[list[Any]], name: str = "metingen.xlsx") -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = directory / name
    workbook.save(path)
    return path


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    """(measure code, period, area, group, value, numerator, denominator, count, exposure,
    source, entered_by) of every measurement, ordered."""
    from tracker.models import Measure, Measurement

    with session_scope(engine) as session:
        rows = session.exec(
            select(Measure.code, Measurement)
            .join(Measure, Measure.id == Measurement.measure_id)
            .order_by(Measure.code, Measurement.period, Measurement.area, Measurement.group)
        ).all()
        return [
            (
                code,
                m.period,
                m.area,
                str(m.group),
                m.value,
                m.numerator,
                m.denominator,
                m.count,
                m.exposure,
                m.source,
                m.entered_by,
            )
            for code, m in rows
        ]


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
