"""Measurements entered by hand: one value from a form, or an edited table (grid) of values.

Both paths check a value exactly as an imported row is checked: the rows are written as a small
tidy CSV and read by the import's own parser (``tracker.io.measurements``: dates, numbers,
ranges, area codes, groups) and then ``check_against_pilot`` (the measure's kind, the pilot's
period). So a rule changes in one place and a form can never accept what a file would refuse.

Concurrency. A form save of a measurement that exists is refused unless the caller asks to
replace it. A grid save compares every row it changes or deletes with the database: when that
row no longer equals the row the editor started from, someone else changed it and the whole
save is refused (``MeasurementConflictError``), so a concurrent edit is never overwritten.
The rows are read ``FOR UPDATE`` (PostgreSQL; a SQLite transaction holds the write lock from
its start), so nobody can change them between that check and the write.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.errors import ConflictError, FieldError, ValidationError
from tracker.io.measurements import VALUE_COLUMNS, RowError, parse_measurement_bytes, sort_errors
from tracker.models import Measure, Measurement, Pilot, utcnow
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.common import snapshot
from tracker.services.measurements import KIND_COLUMNS, check_against_pilot
from tracker.services.pilots import checked_pilot, get_pilot

__all__ = [
    "GRID_COLUMNS",
    "GridSaveReport",
    "MeasurementConflictError",
    "grid_columns",
    "measurement_grid",
    "save_measurement",
    "save_measurement_grid",
]

# The columns of every grid, before the value columns of the measure's kind.
GRID_COLUMNS = ("id", "period", "area", "group")
_KEY = ("period", "area", "group")
# The tidy file the checks read: every value column, so that a value in a column the kind does
# not use is reported ("not_for_kind") instead of silently dropped.
_CHECK_COLUMNS = ("measure", "period", "area", "group", *VALUE_COLUMNS, "source")
_CHECK_FILE = "invoer.csv"
# The first data row of a file is row 2 (row 1 holds the column names).
_FIRST_DATA_ROW = 2

i18n.register(
    {
        key: text
        for key, text in {
            "entry.key": {
                "nl": "periode {period}, gebied {area}, groep {group}",
                "en": "period {period}, area {area}, group {group}",
            },
            "entry.no_area": {"nl": "(geen)", "en": "(none)"},
            "entry.group.pilot": {"nl": "pilot", "en": "pilot"},
            "entry.group.comparison": {"nl": "vergelijking", "en": "comparison"},
            "entry.exists": {
                "nl": (
                    "er is al een meting van indicator {measure} voor {key} (opgeslagen: "
                    "{current}); er is niets opgeslagen. Kies 'vervangen' om die waarde te "
                    "overschrijven, of wijzig haar in de tabel met metingen"
                ),
                "en": (
                    "there already is a measurement of measure {measure} for {key} (stored: "
                    "{current}); nothing was saved. Choose 'replace' to overwrite that value, "
                    "or change it in the table of measurements"
                ),
            },
            "entry.changed": {
                "nl": (
                    "iemand anders heeft intussen metingen van indicator {measure} gewijzigd of "
                    "verwijderd ({key}); uw wijzigingen zijn niet opgeslagen. Laad de tabel "
                    "opnieuw en breng uw wijzigingen opnieuw aan"
                ),
                "en": (
                    "someone else changed or deleted measurements of measure {measure} in the "
                    "meantime ({key}); your changes were not saved. Reload the table and make "
                    "your changes again"
                ),
            },
            "entry.race": {
                "nl": (
                    "iemand anders heeft tegelijk metingen van indicator {measure} opgeslagen; "
                    "uw wijzigingen zijn niet opgeslagen. Laad de tabel opnieuw en breng uw "
                    "wijzigingen opnieuw aan"
                ),
                "en": (
                    "someone else saved measurements of measure {measure} at the same time; "
                    "your changes were not saved. Reload the table and make your changes again"
                ),
            },
            "entry.duplicate_in_grid": {
                "nl": (
                    "deze meting ({key}) staat ook op rij {first}; houd één van beide rijen "
                    "over, of wijzig de periode, het gebied of de groep"
                ),
                "en": (
                    "this measurement ({key}) is also in row {first}; keep one of the two rows, "
                    "or change the period, the area or the group"
                ),
            },
            "entry.added_exists": {
                "nl": (
                    "iemand anders heeft intussen een meting voor {key} opgeslagen; laad de "
                    "tabel opnieuw en wijzig die meting in plaats van een nieuwe rij toe te "
                    "voegen"
                ),
                "en": (
                    "someone else saved a measurement for {key} in the meantime; reload the "
                    "table and change that measurement instead of adding a new row"
                ),
            },
        }.items()
        if i18n.MESSAGES.get(key) != text
    }
)

_Key = tuple[dt.date, str, str]


def _key_text(key: _Key, lang: str) -> str:
    period, area, group = key
    return i18n.t(
        "entry.key",
        lang,
        period=period.isoformat(),
        area=area or i18n.t("entry.no_area", lang),
        group=i18n.t(f"entry.group.{group}", lang),
    )


class MeasurementConflictError(ConflictError):
    """A measurement save refused because of what is stored (measurements carry no version).

    ``code``: ``exists`` (the form's measurement is already stored and ``replace`` was not
    asked), ``changed`` (rows of a grid were changed or deleted by someone else since the grid
    was loaded; ``keys`` names them) or ``race`` (someone saved at the very same moment).
    Nothing was written. ``expected_version``/``current_version`` are 0: there are no versions.
    """

    def __init__(
        self, code: str, *, measure: str, keys: Sequence[_Key] = (), current: str = ""
    ) -> None:
        super().__init__("measurement", list(keys), 0, 0)
        self.code, self.measure, self.keys, self.current = code, measure, tuple(keys), current
        self.args = (self.message("en"),)

    def message(self, lang: str = "nl") -> str:
        return i18n.t(
            f"entry.{self.code}",
            lang,
            measure=self.measure,
            key="; ".join(_key_text(k, lang) for k in self.keys),
            current=self.current,
        )


# --------------------------------------------------------------------------- cells as text
def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _period_text(value: Any) -> str:
    """A period cell as a file would hold it (the parser judges the text)."""
    if _missing(value):
        return ""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _number_text(value: Any) -> str:
    """A number cell as a file would hold it: the shortest text that reads back exactly."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return str(value)  # not a number; the parser says so
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value).strip()
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value).strip()


def _cells(row: dict[str, Any], columns: Iterable[str]) -> tuple[str, ...]:
    """A row's cells (period, area, group, value columns) as the texts a file would hold."""
    out = []
    for name in columns:
        value = row.get(name)
        if name == "period":
            out.append(_period_text(value))
        elif name in VALUE_COLUMNS:
            out.append(_number_text(value))
        else:
            out.append(_text(value))
    return tuple(out)


# --------------------------------------------------------------------------- the shared check
@dataclass(frozen=True)
class _Checked:
    """Canonical values of each checked row (None for a row with errors), and the errors."""

    rows: list[dict[str, Any] | None]
    errors: list[RowError]

    def position(self, error: RowError) -> int | None:
        """Index into the checked rows of an error (None for an error about the whole file)."""
        index = error.row - _FIRST_DATA_ROW
        return index if 0 <= index < len(self.rows) else None


def _check_rows(rows: Sequence[dict[str, Any]], *, measure: Measure, pilot: Pilot) -> _Checked:
    """Check ``rows`` exactly as rows of an imported file (without the duplicate checks)."""
    if not rows:
        return _Checked([], [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CHECK_COLUMNS)
    for row in rows:
        writer.writerow([measure.code, *_cells(row, _CHECK_COLUMNS[1:])])
    parsed = parse_measurement_bytes(
        buffer.getvalue().encode("utf-8"), file_name=_CHECK_FILE, measure_code=measure.code
    )
    # Keys that repeat are judged by the callers, who also know the stored and unchanged rows.
    errors = [e for e in parsed.errors if e.code != "duplicate_row"]
    frame = parsed.frame
    if not frame.empty:
        errors += check_against_pilot(
            frame,
            codebook={measure.code: str(measure.kind)},
            value_columns=parsed.value_columns,
            period_start=pilot.baseline_start,
            period_end=pilot.evaluation_end,
            measure_code=measure.code,
            skip_rows=frame["row"].isin([e.row for e in errors]).to_numpy(),
        )
    bad = {e.row for e in errors}
    canonical: list[dict[str, Any] | None] = [None] * len(rows)
    for record in frame.to_dict("records"):
        if record["row"] in bad:
            continue
        canonical[int(record["row"]) - _FIRST_DATA_ROW] = {
            "period": pd.Timestamp(record["period"]).date(),
            "area": str(record["area"]),
            "group": str(record["group"]),
            "source": str(record["source"]),
            **{c: None if math.isnan(record[c]) else float(record[c]) for c in VALUE_COLUMNS},
        }
    return _Checked(canonical, sort_errors(errors))


def _form_error(error: RowError) -> FieldError:
    return FieldError(
        field=error.column or "measurement",
        code=error.code,
        message_nl=error.message("nl"),
        message_en=error.message("en"),
        value=error.value,
    )


def _grid_field(row_number: int, column: str = "") -> str:
    return f"rij {row_number}, kolom {column}" if column else f"rij {row_number}"


def _find_measure(session: Session, measure_code: str) -> Measure:
    code = measure_code.strip().lower()
    measure = session.exec(select(Measure).where(Measure.code == code)).first()
    if measure is None:
        raise ValidationError.single("measure", "unknown_measure", measure_code)
    return measure


def _stored_text(row: Measurement, columns: Iterable[str], lang: str = "nl") -> str:
    """The stored numbers of a measurement, for a message: '12,5' or '3 / 10'."""
    texts = [_number_text(getattr(row, c)) for c in columns]
    text = " / ".join(t or "–" for t in texts)
    return text.replace(".", ",") if lang == "nl" else text


def _row_json(row: Measurement, columns: Iterable[str]) -> dict[str, Any]:
    """A measurement for an audit event: its id, key and the grid's value columns."""
    return {
        "id": row.id,
        "period": row.period.isoformat(),
        "area": row.area,
        "group": str(row.group),
        **{c: getattr(row, c) for c in columns},
    }


def _key_of(row: Measurement | dict[str, Any]) -> _Key:
    if isinstance(row, Measurement):
        return (row.period, row.area, str(row.group))
    return (row["period"], row["area"], row["group"])


def _refresh_verdicts(session: Session, pilot_id: int) -> None:
    """Rewrite the pilot's stored verdicts, as every write of its data does (see
    ``tracker.services.verdicts``), in the caller's transaction."""
    # Imported here, as in import_measurements: the analysis engine is slow to import and a
    # refused save does not need it.
    from tracker.services.verdicts import refresh_verdicts

    refresh_verdicts(session, pilot_id)


# --------------------------------------------------------------------------- one value (form)
def save_measurement(
    session: Session,
    pilot_id: int,
    measure_code: str,
    *,
    period: dt.date,
    value: float | None = None,
    numerator: float | None = None,
    denominator: float | None = None,
    count: float | None = None,
    exposure: float | None = None,
    area: str = "",
    group: str = "pilot",
    source: str = "",
    actor: Actor,
    replace: bool = False,
) -> Measurement:
    """Save one measurement entered in a form, checked exactly as an imported row.

    The measure's kind decides the values: continuous → ``value``; proportion → ``numerator``
    and ``denominator`` (0 ≤ numerator ≤ denominator, denominator > 0); count → ``count`` (a
    whole number ≥ 0) and ``exposure`` (> 0); the other value arguments must be empty.
    ``period`` lies within the pilot's baseline start … evaluation end and not in the future;
    ``area`` is empty or a CBS code (lower case is accepted and stored upper case); ``group`` is
    ``pilot`` or ``comparison`` (``vergelijking``).

    A measurement for (pilot, measure, period, area, group) that is already stored is replaced
    when ``replace`` is true (audit action "update", before and after); otherwise the save is
    refused. A new one is added (audit action "create"). Either way the pilot's stored
    verdicts are rewritten (``tracker.services.verdicts.refresh_verdicts``).

    Raises
    ------
    NotFoundError
        Unknown pilot.
    ValidationError
        Unknown measure (field ``measure``), or one FieldError per wrong field (``field`` is the
        argument's name, the texts say the value and what to do). Nothing is written.
    MeasurementConflictError
        (a ConflictError, code ``exists``) the measurement exists and ``replace`` is false, or
        someone saved it at the same moment. Nothing is written.
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.enter_data)
    measure = _find_measure(session, measure_code)
    entered = {
        "period": period,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "count": count,
        "exposure": exposure,
        "area": area,
        "group": group,
        "source": source,
    }
    checked = _check_rows([entered], measure=measure, pilot=pilot)
    if checked.errors:
        raise ValidationError([_form_error(e) for e in checked.errors])
    new = checked.rows[0]
    assert new is not None
    key = _key_of(new)
    columns = KIND_COLUMNS[str(measure.kind)]

    def existing() -> Measurement | None:
        return session.exec(
            select(Measurement)
            .where(
                Measurement.pilot_id == pilot_id,
                Measurement.measure_id == measure.id,
                Measurement.period == key[0],
                Measurement.area == key[1],
                Measurement.group == key[2],
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def refuse(row: Measurement | None) -> MeasurementConflictError:
        current = "" if row is None else _stored_text(row, columns)
        return MeasurementConflictError("exists", measure=measure.code, keys=[key], current=current)

    row = existing()
    if row is not None and not replace:
        raise refuse(row)
    values = {c: new[c] for c in VALUE_COLUMNS}
    if row is not None:
        before = snapshot(row)
        for name, number in values.items():
            setattr(row, name, number)
        row.source = new["source"]
        row.entered_by, row.entered_at = actor.name, utcnow()
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="update",
            entity="measurement",
            entity_id=row.id,
            pilot_id=pilot_id,
            before=before,
            after=snapshot(row),
        )
        _refresh_verdicts(session, pilot_id)
        return row
    row = Measurement(
        pilot_id=pilot_id,
        measure_id=measure.id,  # type: ignore[arg-type]
        period=key[0],
        area=key[1],
        group=key[2],  # type: ignore[arg-type]
        source=new["source"],
        entered_by=actor.name,
        **values,
    )
    try:
        # A savepoint: on PostgreSQL a failed INSERT would otherwise spoil the transaction.
        with session.begin_nested():
            audit.insert(session, row, entity="measurement", actor=actor, pilot_id=pilot_id)
    except IntegrityError:
        # Someone stored the same key between our look and our insert (PostgreSQL only: a
        # SQLite transaction holds the write lock from its start).
        raise refuse(existing()) from None
    _refresh_verdicts(session, pilot_id)
    return row


# --------------------------------------------------------------------------- the grid
def grid_columns(kind: str) -> tuple[str, ...]:
    """The columns of a grid of measurements of ``kind``: id, period, area, group, values."""
    return (*GRID_COLUMNS, *KIND_COLUMNS[kind])


def measurement_grid(session: Session, pilot_id: int, measure_code: str) -> pd.DataFrame:
    """The pilot's measurements of one measure as an editable table.

    Columns: ``id`` (int64, the hidden key), ``period`` (``datetime.date``), ``area``,
    ``group`` and the value columns of the measure's kind (``value`` | ``numerator``,
    ``denominator`` | ``count``, ``exposure``; float64, NaN when empty), sorted by period,
    group and area. Pass it as ``original`` to :func:`save_measurement_grid`.

    Raises NotFoundError for an unknown pilot, ValidationError for an unknown measure.
    """
    get_pilot(session, pilot_id)
    measure = _find_measure(session, measure_code)
    columns = grid_columns(str(measure.kind))
    table = Measurement.__table__  # type: ignore[attr-defined]
    rows = session.exec(
        select(*(table.c[c] for c in columns)).where(  # type: ignore[call-overload]
            table.c.pilot_id == pilot_id, table.c.measure_id == measure.id
        )
    ).all()
    records = [tuple(r) for r in rows]
    frame = pd.DataFrame(
        {
            "id": np.array([r[0] for r in records], dtype="int64"),
            "period": pd.Series([r[1] for r in records], dtype=object),
            "area": pd.Series([r[2] or "" for r in records], dtype="str"),
            "group": pd.Series([str(r[3]) for r in records], dtype="str"),
            **{
                name: np.array([np.nan if r[i] is None else r[i] for r in records], dtype="float64")
                for i, name in enumerate(columns[4:], start=4)
            },
        }
    )
    # Sorted here, not in SQL: PostgreSQL's collation may order text differently from SQLite.
    return frame.sort_values(["period", "group", "area"], kind="stable", ignore_index=True)


@dataclass(frozen=True)
class GridSaveReport:
    """What a grid save wrote."""

    inserted: int
    updated: int
    deleted: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def to_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "deleted": self.deleted}

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            return f"{self.inserted} added, {self.updated} changed, {self.deleted} deleted"
        return f"{self.inserted} toegevoegd, {self.updated} gewijzigd, {self.deleted} verwijderd"


def _row_id(value: Any) -> int | None:
    if _missing(value):
        return None
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"grid id {value!r} is not an integer")
    return int(number)


def _records(frame: pd.DataFrame, columns: Sequence[str], name: str) -> list[dict[str, Any]]:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the grid column(s) {missing}")
    return [dict(zip(columns, values, strict=True)) for values in frame[list(columns)].to_numpy()]


def save_measurement_grid(
    session: Session,
    pilot_id: int,
    measure_code: str,
    *,
    original: pd.DataFrame,
    edited: pd.DataFrame,
    actor: Actor,
) -> GridSaveReport:
    """Save an edited grid (``st.data_editor`` output): all rows or none.

    ``original`` is the frame :func:`measurement_grid` returned when the editor opened;
    ``edited`` the editor's result. A row of ``edited`` whose ``id`` is empty (NaN/None) is
    added (a row with every cell empty is ignored: an editor's unused new row); a row whose
    cells differ from its ``original`` row is changed; an ``original`` row missing from
    ``edited`` is deleted.

    Every changed and added row is checked exactly as an imported row. All problems come back
    together in one ValidationError, one FieldError per wrong cell with ``field`` "rij N, kolom
    C" (N counts the rows of ``edited`` from 1), plus rows whose period/area/group another row
    of the grid already has, and added rows whose key someone else stored meanwhile.

    Every changed or deleted row must still be stored exactly as in ``original``; otherwise
    someone else changed it since the grid was loaded, and a MeasurementConflictError (a
    ConflictError, code ``changed``) names its period, area and group. Nothing is written in
    any of these cases. A save that writes appends one audit event (entity "measurement",
    action "grid_save") with the counts and the rows before and after, and rewrites the pilot's
    stored verdicts.

    Raises NotFoundError for an unknown pilot, ValidationError for an unknown measure and
    ValueError for frames that are not a grid of this measure (programming errors).
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.enter_data)
    measure = _find_measure(session, measure_code)
    kind_columns = KIND_COLUMNS[str(measure.kind)]
    cells = (*_KEY, *kind_columns)  # what a person edits

    originals: dict[int, tuple[str, ...]] = {}
    original_keys: dict[int, _Key] = {}
    for record in _records(original, ("id", *cells), "original"):
        row_id = _row_id(record["id"])
        if row_id is None or row_id in originals:
            raise ValueError("original needs a unique id in every row")
        originals[row_id] = _cells(record, cells)
        period = pd.Timestamp(record["period"]).date()
        original_keys[row_id] = (period, _text(record["area"]), _text(record["group"]))

    # Sort the edited rows into unchanged, changed and added; row numbers count from 1.
    unchanged: list[tuple[int, int]] = []  # (row number, id)
    to_check: list[tuple[int, int | None, dict[str, Any]]] = []  # (row number, id or None, row)
    seen: set[int] = set()
    for number, record in enumerate(_records(edited, ("id", *cells), "edited"), start=1):
        row_id = _row_id(record["id"])
        if row_id is None:
            if any(_cells(record, cells)):
                to_check.append((number, None, record))
            continue
        if row_id not in originals or row_id in seen:
            raise ValueError(f"edited row {number} has an id ({row_id}) not in original")
        seen.add(row_id)
        if _cells(record, cells) == originals[row_id]:
            unchanged.append((number, row_id))
        else:
            to_check.append((number, row_id, record))
    deleted_ids = [i for i in originals if i not in seen]

    # Concurrency first: a changed or deleted row must be stored as the editor saw it.
    touched = [i for _, i, _ in to_check if i is not None] + deleted_ids
    stored = _lock_rows(session, touched)
    stale = [
        original_keys[i]
        for i in touched
        if i not in stored or _cells(_row_json(stored[i], kind_columns), cells) != originals[i]
    ]
    if stale:
        raise MeasurementConflictError("changed", measure=measure.code, keys=sorted(stale))

    # Every changed and added row, checked as an imported row; all problems, in grid order.
    checked = _check_rows([r for _, _, r in to_check], measure=measure, pilot=pilot)
    column_order = {name: i for i, name in enumerate(_CHECK_COLUMNS)}
    errors: list[tuple[int, int, FieldError]] = []  # (row number, column order, error)
    for error in checked.errors:
        index = checked.position(error)
        number = to_check[index][0] if index is not None else 0
        field = FieldError(
            field=_grid_field(number, error.column),
            code=error.code,
            message_nl=error.message("nl"),
            message_en=error.message("en"),
            value=error.value,
        )
        errors.append((number, column_order.get(error.column, -1), field))

    # Each period/area/group once in the grid, and not stored meanwhile by someone else.
    others = _keys_stored_by_others(session, pilot_id, measure, set(originals))
    first_row: dict[_Key, int] = {}
    keyed = [(n, original_keys[i]) for n, i in unchanged]
    keyed += [
        (n, _key_of(new)) for (n, _, _), new in zip(to_check, checked.rows, strict=True) if new
    ]
    for number, key in sorted(keyed):
        if key in first_row:
            error = _grid_key_error(number, "duplicate_in_grid", key, first=first_row[key])
            errors.append((number, -1, error))
        else:
            first_row[key] = number
    for (number, _, _), new in zip(to_check, checked.rows, strict=True):
        if new is not None and _key_of(new) in others:
            errors.append((number, -1, _grid_key_error(number, "added_exists", _key_of(new))))
    if errors:
        errors.sort(key=lambda item: item[:2])
        raise ValidationError([error for _, _, error in errors])

    # What really changes: a cell written differently ('wk036301') may store the same value.
    updates = [
        (stored[i], new)
        for (_, i, _), new in zip(to_check, checked.rows, strict=True)
        if i is not None
        and new is not None
        and (_key_of(new), *(new[c] for c in kind_columns))
        != (_key_of(stored[i]), *(getattr(stored[i], c) for c in kind_columns))
    ]
    inserts = [
        new for (_, i, _), new in zip(to_check, checked.rows, strict=True) if i is None and new
    ]
    deletes = [stored[i] for i in deleted_ids]
    if not (updates or inserts or deletes):
        return GridSaveReport(0, 0, 0)
    try:
        with session.begin_nested():
            report = _write_grid(
                session,
                pilot_id=pilot_id,
                measure=measure,
                updates=updates,
                inserts=inserts,
                deletes=deletes,
                actor=actor,
            )
    except IntegrityError:
        # Only when someone saved between our checks and our writes (PostgreSQL).
        raise MeasurementConflictError("race", measure=measure.code) from None
    _refresh_verdicts(session, pilot_id)
    return report


def _lock_rows(session: Session, ids: Sequence[int]) -> dict[int, Measurement]:
    """The stored rows with these ids, locked until the transaction ends, as stored now."""
    if not ids:
        return {}
    rows = session.exec(
        select(Measurement)
        .where(col(Measurement.id).in_(list(ids)))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.id: row for row in rows if row.id is not None}


def _keys_stored_by_others(
    session: Session, pilot_id: int, measure: Measure, known_ids: set[int]
) -> set[_Key]:
    """Keys of this pilot's measurements of ``measure`` that the grid did not show."""
    rows = session.exec(
        select(Measurement.id, Measurement.period, Measurement.area, Measurement.group).where(
            Measurement.pilot_id == pilot_id, Measurement.measure_id == measure.id
        )
    ).all()
    return {(p, a, str(g)) for i, p, a, g in rows if i not in known_ids}


def _grid_key_error(number: int, code: str, key: _Key, **params: Any) -> FieldError:
    return FieldError(
        field=_grid_field(number),
        code=code,
        message_nl=i18n.t(f"entry.{code}", "nl", key=_key_text(key, "nl"), **params),
        message_en=i18n.t(f"entry.{code}", "en", key=_key_text(key, "en"), **params),
        value=key[0].isoformat(),
    )


def _write_grid(
    session: Session,
    *,
    pilot_id: int,
    measure: Measure,
    updates: list[tuple[Measurement, dict[str, Any]]],
    inserts: list[dict[str, Any]],
    deletes: list[Measurement],
    actor: Actor,
) -> GridSaveReport:
    kind_columns = KIND_COLUMNS[str(measure.kind)]
    before = {
        "updated": [_row_json(row, kind_columns) for row, _ in updates],
        "deleted": [_row_json(row, kind_columns) for row in deletes],
    }
    for row in deletes:
        session.delete(row)
    session.flush()
    # Rows that move to another period/area/group first step aside to a key nobody can have
    # (the area holds no CBS code then): two rows that swap periods would otherwise collide
    # with each other in the unique index halfway.
    moving = [row for row, new in updates if _key_of(row) != _key_of(new)]
    for row in moving:
        row.area = f"~{row.id}"
        session.add(row)
    session.flush()
    now = utcnow()
    for row, new in updates:
        row.period, row.area, row.group = new["period"], new["area"], new["group"]
        for name in VALUE_COLUMNS:
            setattr(row, name, new[name])
        row.entered_by, row.entered_at = actor.name, now
        session.add(row)
    session.flush()
    added = [
        Measurement(
            pilot_id=pilot_id,
            measure_id=measure.id,  # type: ignore[arg-type]
            period=new["period"],
            area=new["area"],
            group=new["group"],
            source=new["source"],
            entered_by=actor.name,
            entered_at=now,
            **{c: new[c] for c in VALUE_COLUMNS},
        )
        for new in inserts
    ]
    session.add_all(added)
    session.flush()
    report = GridSaveReport(len(added), len(updates), len(deletes))
    audit.record(
        session,
        actor=actor,
        action="grid_save",
        entity="measurement",
        entity_id=None,
        pilot_id=pilot_id,
        before=before,
        after={
            "measure": measure.code,
            **report.to_dict(),
            "inserted_rows": [_row_json(row, kind_columns) for row in added],
            "updated_rows": [_row_json(row, kind_columns) for row, _ in updates],
        },
    )
    return report
