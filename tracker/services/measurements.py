"""Measurements: the all-or-nothing import of a tidy file, and the bulk store under it.

``import_measurements`` reads a file with ``tracker.io.measurements`` (shape-level checks), then
checks it against the codebook and the pilot (``check_against_pilot``: plain data in, so it
stays vectorised and testable without a database), and only when nothing is wrong writes every
row with ``store_measurement_frame`` plus one audit event, inside the caller's transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.config import load_settings
from tracker.errors import ValidationError
from tracker.io.measurements import (
    VALUE_COLUMNS,
    ParsedMeasurements,
    RowError,
    make_error,
    read_measurement_file,
    sort_errors,
)
from tracker.models import Group, Measure, MeasureKind, Measurement, utcnow
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.pilots import checked_pilot

# Which value columns each kind of measure fills; the others stay empty.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    MeasureKind.continuous.value: ("value",),
    MeasureKind.proportion.value: ("numerator", "denominator"),
    MeasureKind.count.value: ("count", "exposure"),
}

i18n.register(
    {
        key: text
        for key, text in {
            "error.measurement_exists": {
                "nl": (
                    "een meting in dit bestand is intussen door iemand anders opgeslagen; er is "
                    "niets ingelezen, probeer het opnieuw"
                ),
                "en": (
                    "a measurement in this file was saved by someone else in the meantime; "
                    "nothing was imported, try again"
                ),
            },
        }.items()
        if i18n.MESSAGES.get(key) != text
    }
)


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``errors`` empty and ``dry_run`` false: ``rows_written`` rows saved.

    With errors nothing was written (``rows_written`` is 0); ``errors`` holds every problem, in
    file order, however many there are.
    """

    rows_read: int
    rows_written: int
    errors: list[RowError]
    dry_run: bool
    file_sha256: str
    file_name: str = ""
    measure_codes: tuple[str, ...] = ()
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "sha256": self.file_sha256,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "dry_run": self.dry_run,
            "measures": list(self.measure_codes),
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            if self.errors:
                return f"{self.file_name}: {len(self.errors)} errors, nothing was saved"
            if self.dry_run:
                return f"{self.file_name}: {self.rows_read} rows are valid (dry run, not saved)"
            return f"{self.file_name}: {self.rows_written} measurements added"
        if self.errors:
            return f"{self.file_name}: {len(self.errors)} fouten, er is niets opgeslagen"
        if self.dry_run:
            return f"{self.file_name}: {self.rows_read} rijen zijn in orde (proef, niet opgeslagen)"
        return f"{self.file_name}: {self.rows_written} metingen toegevoegd"


def import_measurements(
    session: Session,
    pilot_id: int,
    path: Path,
    *,
    measure_code: str | None = None,
    dry_run: bool = False,
    actor: Actor,
    columns: Mapping[str, str] | None = None,
) -> ImportReport:
    """Import a tidy measurement file (CSV or XLSX) into a pilot: every row or none.

    Expected problems with the file do not raise: the report comes back with ``errors`` (one per
    bad cell or row, with row number, column, value and what to do) and nothing is written. A
    file over ``TRACKER_IMPORT_MAX_BYTES`` is refused before it is read. ``measure_code`` sets
    the measure for the whole file (a ``measure`` column that says otherwise is an error).
    ``columns`` maps the file's own headers onto the tidy columns (the app's mapping step;
    ``tracker.io.measurements.read_header`` suggests one). ``dry_run`` checks everything and
    writes nothing, not even an audit event. A successful import writes all rows and one audit
    event (entity "measurement", action "import"), and rewrites the pilot's stored verdicts
    (``tracker.services.verdicts.refresh_verdicts``).

    Raises NotFoundError for an unknown pilot, and ValidationError when another writer stored
    one of the rows between the check and the write (the caller's transaction rolls back).
    """
    # The file is read before the first query: on SQLite a transaction takes the write lock
    # when it begins, and reading a large file needs no lock.
    parsed = read_measurement_file(
        Path(path),
        measure_code=measure_code,
        max_bytes=load_settings().max_import_bytes,
        columns=columns,
    )
    return import_parsed(
        session, pilot_id, parsed, measure_code=measure_code, dry_run=dry_run, actor=actor
    )


def import_parsed(
    session: Session,
    pilot_id: int,
    parsed: ParsedMeasurements,
    *,
    measure_code: str | None = None,
    dry_run: bool = False,
    actor: Actor,
    audit_extra: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Check a parsed file against the codebook and the pilot, then store every row or none.

    The second half of :func:`import_measurements`, shared with imports that read other shapes
    into the tidy frame first (a CBS StatLine download: ``tracker.io.statline``). Its row
    numbers and file name are the ones the errors name. ``audit_extra`` adds what the audit
    event should say about the source (e.g. the StatLine topic column).
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.enter_data)
    frame = parsed.frame
    codes = parsed.measure_codes

    def report(errors: list[RowError], written: int = 0) -> ImportReport:
        return ImportReport(
            rows_read=parsed.rows_read,
            rows_written=written,
            errors=errors,
            dry_run=dry_run,
            file_sha256=parsed.file_sha256,
            file_name=parsed.file_name,
            measure_codes=tuple(codes),
            warnings=list(parsed.warnings),
        )

    if frame.empty:
        return report(parsed.errors)
    measures = session.exec(select(Measure).where(col(Measure.code).in_(codes))).all()
    ids = {m.code: m.id for m in measures}
    periods = frame["period"].dropna()
    existing = (
        existing_keys(
            session,
            pilot_id,
            measure_ids=[i for i in ids.values() if i is not None],
            first=periods.min().date(),
            last=periods.max().date(),
        )
        if len(periods) and ids
        else None
    )
    errors = parsed.errors + check_against_pilot(
        frame,
        codebook={m.code: str(m.kind) for m in measures},
        value_columns=parsed.value_columns,
        period_start=pilot.baseline_start,
        period_end=pilot.evaluation_end,
        existing=existing,
        file_name=parsed.file_name,
        measure_code=measure_code.strip().lower() if measure_code else None,
        skip_rows=frame["row"].isin([e.row for e in parsed.errors]).to_numpy(),
    )
    if errors:
        return report(sort_errors(errors))
    if dry_run:
        return report([])
    categories = frame["measure"].cat.categories
    measure_ids = np.array([ids.get(str(c), -1) for c in categories], dtype="int64")
    to_store = frame.assign(measure_id=measure_ids[frame["measure"].cat.codes.to_numpy()])
    written = store_measurement_frame(
        session, pilot_id, to_store, source=parsed.file_name, actor=actor
    )
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="measurement",
        entity_id=None,
        pilot_id=pilot_id,
        after={
            "file": parsed.file_name,
            "rows": written,
            "sha256": parsed.file_sha256,
            "measures": list(codes),
            "dry_run": False,
            **dict(audit_extra or {}),
        },
    )
    # Imported here: the analysis engine (scipy, statsmodels) takes seconds to import, and a
    # dry run or a refused file does not need it.
    from tracker.services.verdicts import refresh_verdicts

    # Same transaction: should the refresh raise, the import rolls back with it. Data problems
    # do not raise (they come back as insufficient_data verdicts); only real errors do.
    refresh_verdicts(session, pilot_id)
    return report([], written)


# ------------------------------------------------------------------------------------ checks
def existing_keys(
    session: Session,
    pilot_id: int,
    *,
    measure_ids: Sequence[int],
    first: Any = None,
    last: Any = None,
) -> pd.DataFrame:
    """(measure, period, area, group) of stored measurements: one query, for the duplicate check.

    ``first``/``last`` narrow it to the periods of the file being imported.
    """
    query = (
        select(Measure.code, Measurement.period, Measurement.area, Measurement.group)
        .join(Measure, col(Measure.id) == col(Measurement.measure_id))
        .where(Measurement.pilot_id == pilot_id, col(Measurement.measure_id).in_(measure_ids))
    )
    if first is not None:
        query = query.where(col(Measurement.period) >= first)
    if last is not None:
        query = query.where(col(Measurement.period) <= last)
    rows = session.exec(query).all()
    return pd.DataFrame(
        [(code, period, area, str(group)) for code, period, area, group in rows],
        columns=["measure", "period", "area", "group"],
    )


def _iso_dates(values: pd.Series | np.ndarray) -> np.ndarray:
    """ISO date texts (object array); each distinct value is formatted once."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    texts = np.array([pd.Timestamp(u).date().isoformat() for u in uniques] + [None], dtype=object)
    return texts[codes]


def _number_text(value: float) -> str:
    return f"{value:.15g}"


def check_against_pilot(
    frame: pd.DataFrame,
    *,
    codebook: Mapping[str, str],
    value_columns: Iterable[str],
    period_start: Any,
    period_end: Any,
    existing: pd.DataFrame | None = None,
    file_name: str = "",
    measure_code: str | None = None,
    skip_rows: np.ndarray | None = None,
) -> list[RowError]:
    """The checks that need the codebook and the pilot, on a parsed tidy frame.

    ``codebook`` maps measure code → kind (continuous/proportion/count). ``existing`` holds the
    (measure, period, area, group) keys already stored for this pilot. Rows in ``skip_rows``
    (a boolean mask; rows that already have a shape error) are not checked again. Each stage
    leaves out the rows an earlier stage found wrong, so a row gets its most basic error.
    """
    n = len(frame)
    rows = frame["row"].to_numpy()
    skip = np.zeros(n, dtype=bool) if skip_rows is None else skip_rows.copy()
    present = set(value_columns)
    errors: list[RowError] = []

    # 1. The measure is in the codebook.
    measure = frame["measure"]
    categories = [str(c) for c in measure.cat.categories]
    codes = measure.cat.codes.to_numpy()
    unknown_category = np.array([c not in codebook for c in categories] + [False], dtype=bool)
    unknown = unknown_category[codes] & ~skip
    if unknown.any():
        if measure_code and measure_code not in codebook:
            errors.append(
                make_error(
                    "unknown_measure", row=0, column="measure", value=measure_code, file=file_name
                )
            )
        else:
            errors += [
                make_error(
                    "unknown_measure",
                    row=rows[i],
                    column="measure",
                    value=categories[codes[i]],
                    file=file_name,
                )
                for i in np.flatnonzero(unknown)
            ]
        skip |= unknown

    # 2. The value columns match the measure's kind.
    kinds = np.array([codebook.get(c, "") for c in categories] + [""], dtype=object)[codes]
    kind_bad = np.zeros(n, dtype=bool)
    for kind, needed in KIND_COLUMNS.items():
        of_kind = (kinds == kind) & ~skip
        if not of_kind.any():
            continue
        example = categories[codes[np.flatnonzero(of_kind)[0]]]
        absent = [c for c in needed if c not in present]
        for column in absent:
            errors.append(
                make_error(
                    "missing_kind_column",
                    row=1,
                    column=column,
                    file=file_name,
                    measure=example,
                    kind=kind,
                )
            )
        if absent:
            kind_bad |= of_kind
            continue
        for column in VALUE_COLUMNS:
            if column not in present:
                continue
            values = frame[column].to_numpy()
            empty = np.isnan(values)
            wrong = of_kind & (empty if column in needed else ~empty)
            code = "missing_kind_value" if column in needed else "not_for_kind"
            for i in np.flatnonzero(wrong):
                errors.append(
                    make_error(
                        code,
                        row=rows[i],
                        column=column,
                        value="" if empty[i] else _number_text(values[i]),
                        file=file_name,
                        measure=categories[codes[i]],
                        kind=kind,
                    )
                )
            kind_bad |= wrong
    skip |= kind_bad

    # 3. The period lies within the pilot's period.
    periods = frame["period"].to_numpy()
    start, end = np.datetime64(period_start, "s"), np.datetime64(period_end, "s")
    with np.errstate(invalid="ignore"):
        outside = ((periods < start) | (periods > end)) & ~np.isnat(periods) & ~skip
    if outside.any():
        texts = _iso_dates(periods[outside])
        errors += [
            make_error(
                "outside_pilot_period",
                row=rows[i],
                column="period",
                value=text,
                file=file_name,
                start=str(period_start),
                end=str(period_end),
            )
            for i, text in zip(np.flatnonzero(outside), texts, strict=True)
        ]
        skip |= outside

    # 4. The measurement is not stored yet.
    if existing is not None and not existing.empty and not skip.all():
        keep = ~skip
        keys = pd.DataFrame(
            {
                "row": rows[keep],
                "measure": np.asarray(measure, dtype=object)[keep],
                "period": _iso_dates(periods[keep]),
                "area": np.asarray(frame["area"], dtype=object)[keep],
                "group": np.asarray(frame["group"], dtype=object)[keep],
            }
        )
        stored = existing.assign(period=_iso_dates(existing["period"].to_numpy()))
        clash = keys.merge(stored, on=["measure", "period", "area", "group"], how="inner")
        errors += [
            make_error(
                "already_stored",
                row=int(r.row),
                file=file_name,
                measure=r.measure,
                period=r.period,
                area=r.area,
                group=r.group,
            )
            for r in clash.itertuples(index=False)
        ]
    return errors


# ------------------------------------------------------------------------------------ storing
_INSERT_COLUMNS = (
    "pilot_id",
    "measure_id",
    "period",
    "area",
    "group",
    *VALUE_COLUMNS,
    "source",
    "entered_by",
    "entered_at",
)
# What SQLAlchemy's UTCDateTime writes on SQLite (naive UTC text); PostgreSQL takes the datetime.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _text_column(frame: pd.DataFrame, name: str, default: str) -> np.ndarray:
    """A text column as an object array, empty or missing cells replaced by ``default``."""
    if name not in frame:
        return np.full(len(frame), default, dtype=object)
    column = frame[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        texts = [str(c) or default for c in column.cat.categories] + [default]
        return np.array(texts, dtype=object)[column.cat.codes.to_numpy()]
    values = column.astype(object).to_numpy(copy=True)  # pandas 3 may hand out a read-only view
    values[pd.isna(values)] = default  # first: pd.NA (dtype "string") cannot be compared
    values[values == ""] = default
    return values


def _nullable(values: np.ndarray) -> list[Any]:
    """Floats as a list with None for NaN (PostgreSQL would store NaN as a number)."""
    missing = np.isnan(values)
    if not missing.any():
        return values.tolist()
    objects = values.astype(object)
    objects[missing] = None
    return objects.tolist()


_CHUNK_ROWS = 50_000


def _row_tuples(columns: Mapping[str, Any], names: Sequence[str], n: int) -> Iterator[tuple]:
    """The rows as tuples of plain Python values, built one chunk of rows at a time.

    Whole columns become lists in C (``tolist``) and ``zip`` makes the tuples, so no Python
    code runs per row; chunking keeps only one chunk's worth of Python objects alive.
    """
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        parts: list[Iterable[Any]] = []
        for name in names:
            column = columns[name]
            if isinstance(column, np.ndarray):
                part = column[start:stop]
                parts.append(_nullable(part) if part.dtype.kind == "f" else part.tolist())
            else:
                parts.append(itertools.repeat(column, stop - start))
        yield from zip(*parts, strict=True)


def store_measurement_frame(
    session: Session, pilot_id: int, frame: pd.DataFrame, *, source: str, actor: Actor
) -> int:
    """Insert a checked tidy frame as measurements of ``pilot_id``; return the number of rows.

    ``frame`` has ``measure_id`` (or ``measure`` codes), ``period`` and any of ``area``
    (default ''), ``group`` (default pilot), the value columns, and ``source`` (default
    ``source``). Nothing is validated here beyond that shape: callers check first
    (``import_measurements`` does), and a row that is already stored violates the unique key,
    raising ValidationError. The rows go through the session's own connection (SQLite:
    ``executemany``; PostgreSQL: ``COPY``), so they are part of the caller's transaction and
    vanish with it on a rollback. No audit event: the caller records one for the whole batch.
    """
    n = len(frame)
    if n == 0:
        return 0
    if "measure_id" in frame:
        measure_ids = frame["measure_id"].to_numpy(dtype="int64")
    else:
        measure_ids = _measure_ids(session, frame["measure"])
    groups = _text_column(frame, "group", Group.pilot.value)
    unknown_groups = set(pd.unique(groups)) - {g.value for g in Group}
    if unknown_groups:
        raise ValueError(f"unknown group(s) {sorted(unknown_groups)}")
    periods = _iso_dates(frame["period"])
    if pd.isna(periods).any():
        raise ValueError("every row needs a period")
    # Whole columns as arrays (constants as plain values); rows are made a chunk at a time.
    columns: dict[str, Any] = {
        "pilot_id": int(pilot_id),
        "measure_id": measure_ids,
        "period": periods,
        "area": _text_column(frame, "area", ""),
        "group": groups,
    }
    for name in VALUE_COLUMNS:
        if name in frame:
            values = frame[name].to_numpy(dtype="float64")
            if not np.isnan(values).all():  # an all-empty column is left to its NULL default
                columns[name] = values
    columns["source"] = _text_column(frame, "source", source)
    columns["entered_by"] = actor.name
    connection = session.connection()
    dialect = connection.dialect.name
    now = utcnow()
    columns["entered_at"] = now.strftime(_SQLITE_DATETIME) if dialect == "sqlite" else now
    names = [c for c in _INSERT_COLUMNS if c in columns]
    rows = _row_tuples(columns, names, n)
    quoted = ", ".join(f'"{c}"' for c in names)
    driver = connection.connection.driver_connection
    integrity_error = connection.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
    try:
        if dialect == "postgresql":
            with (
                driver.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY measurement ({quoted}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        elif dialect == "sqlite":
            placeholders = ", ".join("?" for _ in names)
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                cursor.executemany(
                    f"INSERT INTO measurement ({quoted}) VALUES ({placeholders})", rows
                )
            finally:
                cursor.close()
        else:  # any other database: SQLAlchemy's executemany, slower but portable
            table = Measurement.__table__  # type: ignore[attr-defined]
            connection.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
    except integrity_error:
        raise ValidationError.single("measurement", "measurement_exists") from None
    return n


def _measure_ids(session: Session, measures: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(measures.astype(str))
    found = dict(
        session.exec(
            select(Measure.code, Measure.id).where(col(Measure.code).in_(list(uniques)))
        ).all()
    )
    missing = [u for u in uniques if u not in found]
    if missing:
        raise ValidationError.single("measure", "unknown_measure", missing[0])
    return np.array([found[u] for u in uniques], dtype="int64")[codes]


def count_measurements(session: Session, pilot_id: int | None = None) -> int:
    """How many measurements are stored (for one pilot, or all)."""
    query = select(func.count(col(Measurement.id)))
    if pilot_id is not None:
        query = query.where(Measurement.pilot_id == pilot_id)
    return int(session.exec(query).one())
