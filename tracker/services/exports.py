"""Exports for analysts: the tables of the pilots a person may see, ready for every format.

``build_export`` reads the tables (``tracker.io.export_tables`` says which columns each has) for
a scope (one pilot, a filter, or everything the actor may see), applies small-number protection
when asked (``tracker.io.suppression``) and returns ``ExportTable`` objects that
``tracker.io.export_files`` writes as CSV, Dutch Excel CSV, XLSX, Parquet or a data package.

Only analysts and admins export (``Action.export``), and only pilots of their own organisation.
Observations are free text about people's work: they are exported only when asked for by name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.config import load_settings
from tracker.errors import ValidationError, field_error
from tracker.io.export_files import ExportAbout, write_csv
from tracker.io.export_tables import (
    DEFAULT_TABLES,
    TABLES,
    ColumnSpec,
    ExportTable,
    columns_of,
    detail_column,
    with_suppressed,
)
from tracker.io.suppression import (
    Suppressed,
    lost_periods,
    mark_for,
    suppress_measurements,
    suppress_results,
)
from tracker.models import (
    Amendment,
    Hypothesis,
    Intervention,
    Measure,
    Measurement,
    Observation,
    Organisation,
    Pilot,
    User,
    utcnow,
)
from tracker.services.access import Action, Actor, only_visible, require
from tracker.services.pilots import checked_pilot, get_pilot, resolve_pilot

__all__ = [
    "TIDY_COLUMNS",
    "ExportRequest",
    "ExportScope",
    "build_export",
    "export_about",
    "tidy_measurements",
    "tidy_measurements_csv",
]

# The tidy shape of DESIGN.md with the pilot in front and each row's source behind; what
# ``tracker measurements import`` reads back (its ``pilot`` column is skipped with a warning).
TIDY_COLUMNS = tuple(c.name for c in columns_of("measurements"))
VALUE_COLUMNS = ("value", "numerator", "denominator", "count", "exposure")

Progress = Callable[[str, int, int], None]  # (table, done, total)

i18n.register(
    {
        key: text
        for key, text in {
            "error.export_unknown_table": {
                "nl": "onbekende tabel '{value}'; kies uit {expected}",
                "en": "unknown table '{value}'; choose from {expected}",
            },
            "error.export_no_table": {
                "nl": "kies minstens één tabel: {expected}",
                "en": "choose at least one table: {expected}",
            },
            "error.export_threshold": {
                "nl": (
                    "de drempel voor kleine aantallen is {value}; kies 1 of meer (gebruikelijk: 5)"
                ),
                "en": "the small-number threshold is {value}; choose 1 or more (usual: 5)",
            },
        }.items()
        if i18n.MESSAGES.get(key) != text
    }
)


@dataclass(frozen=True)
class ExportScope:
    """Which pilots: one (``pilot``, slug or id), or those matching every filter given (empty
    filters: everything the actor may see). ``period_from``/``period_to`` keep the pilots whose
    baseline-to-evaluation span overlaps the period, and only the measurements, interventions and
    journal entries dated within it."""

    pilot: str | int | None = None
    municipalities: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    period_from: dt.date | None = None
    period_to: dt.date | None = None

    def describe(self, lang: str = "nl") -> str:
        en = lang == "en"
        if self.pilot is not None:
            parts = [f"pilot {self.pilot}"]
        else:
            parts = []
            for label_nl, label_en, values in (
                ("gemeente", "municipality", self.municipalities),
                ("domein", "domain", self.domains),
                ("status", "status", self.statuses),
            ):
                if values:
                    parts.append(f"{label_en if en else label_nl}: {', '.join(values)}")
            if not parts:
                parts.append("all pilots you may see" if en else "alle pilots die u mag zien")
        if self.period_from or self.period_to:
            start = self.period_from.isoformat() if self.period_from else "…"
            end = self.period_to.isoformat() if self.period_to else "…"
            parts.append(f"{'period' if en else 'periode'} {start} – {end}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ExportRequest:
    """What to export. ``suppress_below`` None: no small-number protection (for use inside the
    organisation); a number: counts below it are left out and marked."""

    tables: tuple[str, ...] = DEFAULT_TABLES
    scope: ExportScope = field(default_factory=ExportScope)
    suppress_below: int | None = None
    lang: str = "nl"

    def checked(self) -> ExportRequest:
        unknown = [t for t in self.tables if t not in TABLES]
        errors = []
        if unknown:
            errors.append(
                field_error(
                    "tables", "export_unknown_table", ", ".join(unknown), expected=", ".join(TABLES)
                )
            )
        if not self.tables:
            errors.append(field_error("tables", "export_no_table", expected=", ".join(TABLES)))
        if self.suppress_below is not None and self.suppress_below < 1:
            errors.append(
                field_error("suppress_below", "export_threshold", str(self.suppress_below))
            )
        if errors:
            raise ValidationError(errors)
        # Tables in their fixed order, each once.
        return ExportRequest(
            tables=tuple(t for t in TABLES if t in self.tables),
            scope=self.scope,
            suppress_below=self.suppress_below,
            lang=self.lang,
        )


def export_about(request: ExportRequest, *, now: dt.datetime | None = None) -> ExportAbout:
    en = request.lang == "en"
    notes = ()
    if "results" in request.tables:
        notes = (
            (
                "Results: the analysis as the Analyse tab shows it, on the day of the export."
                if en
                else "Resultaten: de analyse zoals het tabblad Analyse die toont, op de dag "
                "van export."
            ),
        )
    return ExportAbout(
        title="Proeftuin export",
        scope=request.scope.describe(request.lang),
        created=now or utcnow(),
        lang=request.lang,
        suppress_below=request.suppress_below,
        notes=notes,
    )


# ------------------------------------------------------------------------------------ pilots
def _selected_pilots(session: Session, scope: ExportScope, actor: Actor) -> list[Pilot]:
    if scope.pilot is not None:
        pilot = resolve_pilot(session, scope.pilot)
        return [checked_pilot(session, pilot.id, actor, Action.export)]  # type: ignore[arg-type]
    require(session, actor, Action.export)
    query = only_visible(select(Pilot), actor, Pilot.organisation_id)
    if scope.municipalities:
        query = query.where(col(Pilot.municipality).in_(scope.municipalities))
    if scope.statuses:
        query = query.where(col(Pilot.status).in_(scope.statuses))
    if scope.period_to is not None:
        query = query.where(col(Pilot.baseline_start) <= scope.period_to)
    if scope.period_from is not None:
        query = query.where(col(Pilot.evaluation_end) >= scope.period_from)
    pilots = list(session.exec(query.order_by(col(Pilot.slug))).all())
    if scope.domains:
        wanted = set(scope.domains)
        pilots = [p for p in pilots if wanted & set(p.domains or [])]
    return pilots


def _in_period(column: Any, scope: ExportScope) -> list[Any]:
    conditions = []
    if scope.period_from is not None:
        conditions.append(column >= scope.period_from)
    if scope.period_to is not None:
        conditions.append(column <= scope.period_to)
    return conditions


def _frame(rows: Iterable[Sequence[Any]], columns: tuple[ColumnSpec, ...]) -> pd.DataFrame:
    """Small tables: plain rows to a frame with the spec's column names (the writer types it)."""
    data = [tuple(r) for r in rows]
    frame = pd.DataFrame(data, columns=[c.name for c in columns], dtype=object)
    for spec in columns:
        if spec.type == "number":
            frame[spec.name] = pd.to_numeric(frame[spec.name], errors="coerce").astype("float64")
        elif spec.type == "string":
            frame[spec.name] = frame[spec.name].map(lambda v: "" if v is None else str(v))
    return frame


def _pilots_table(session: Session, pilots: list[Pilot]) -> ExportTable:
    organisations = {
        o.id: o
        for o in session.exec(
            select(Organisation).where(
                col(Organisation.id).in_({p.organisation_id for p in pilots})
            )
        ).all()
    }
    owner_ids = {p.owner_id for p in pilots if p.owner_id is not None}
    owners = {
        u.id: u.email for u in session.exec(select(User).where(col(User.id).in_(owner_ids))).all()
    }
    spec = columns_of("pilots")
    rows = [
        (
            p.slug,
            p.title,
            p.aim,
            str(p.status),
            organisations[p.organisation_id].name,
            organisations[p.organisation_id].cbs_code,
            p.municipality,
            p.municipality_code,
            "; ".join(p.domains or []),
            "; ".join(p.partners or []),
            p.strategy,
            p.intervention_type,
            p.shared_at is not None,
            p.baseline_start,
            p.intervention_start,
            p.evaluation_end,
            owners.get(p.owner_id, "") if p.owner_id is not None else "",
            p.created_at,
        )
        for p in pilots
    ]
    return ExportTable("pilots", spec, _frame(rows, spec))


def _areas_table(pilots: list[Pilot]) -> ExportTable:
    spec = columns_of("areas")
    rows = [
        (p.slug, str(a.get("code", "")), str(a.get("name", "")), str(a.get("group", "pilot")))
        for p in pilots
        for a in (p.areas or [])
    ]
    return ExportTable("areas", spec, _frame(rows, spec))


def _hypotheses(session: Session, pilot_ids: list[int]) -> list[tuple[Hypothesis, str]]:
    return [
        (h, code)
        for h, code in session.exec(
            select(Hypothesis, Measure.code)
            .join(Measure, col(Measure.id) == col(Hypothesis.measure_id))
            .where(col(Hypothesis.pilot_id).in_(pilot_ids))
            .order_by(col(Hypothesis.pilot_id), col(Hypothesis.code))
        ).all()
    ]


def _hypotheses_table(
    session: Session, hypotheses: list[tuple[Hypothesis, str]], slugs: dict[int, str]
) -> ExportTable:
    ids = [h.id for h, _ in hypotheses]
    query = select(Amendment.hypothesis_id).where(col(Amendment.hypothesis_id).in_(ids))
    counts = Counter(session.exec(query).all() if ids else [])
    spec = columns_of("hypotheses")
    rows = [
        (
            slugs[h.pilot_id],
            h.code,
            measure,
            h.if_text,
            h.then_text,
            h.because_text,
            str(h.expected_direction),
            h.min_effect,
            str(h.min_effect_type),
            str(h.design),
            h.comparison_group,
            h.alpha,
            h.is_primary,
            h.registered_at is not None,
            h.registered_at,
            h.registered_late,
            h.content_hash or "",
            counts.get(h.id, 0),  # type: ignore[arg-type]
        )
        for h, measure in sorted(hypotheses, key=lambda x: (slugs[x[0].pilot_id], x[0].code))
    ]
    return ExportTable("hypotheses", spec, _frame(rows, spec))


def _amendments_table(
    session: Session, hypotheses: list[tuple[Hypothesis, str]], slugs: dict[int, str]
) -> ExportTable:
    by_id = {h.id: h for h, _ in hypotheses}
    items = (
        session.exec(
            select(Amendment)
            .where(col(Amendment.hypothesis_id).in_(list(by_id)))
            .order_by(col(Amendment.id))
        ).all()
        if by_id
        else []
    )
    spec = columns_of("amendments")
    rows = [
        (
            slugs[by_id[a.hypothesis_id].pilot_id],
            by_id[a.hypothesis_id].code,
            a.field,
            a.old_value,
            a.new_value,
            a.reason,
            a.author,
            a.created_at,
        )
        for a in items
    ]
    rows.sort(key=lambda r: (r[0], r[1]))  # stable: per hypothesis in the order they were made
    return ExportTable("amendments", spec, _frame(rows, spec))


def _measures_table(session: Session, codes: set[str] | None) -> ExportTable:
    query = select(Measure).order_by(col(Measure.code))
    if codes is not None:
        query = query.where(col(Measure.code).in_(codes))
    spec = columns_of("measures")
    rows = [
        (m.code, m.name, m.definition, m.unit, str(m.kind), str(m.better_direction), m.source)
        for m in session.exec(query).all()
    ]
    return ExportTable("measures", spec, _frame(rows, spec))


def _sorted_categorical(values: Any) -> pd.Categorical:
    """Text as a categorical with sorted categories (sorting by its codes sorts the text)."""
    categorical = pd.Categorical(values)
    return categorical.reorder_categories(sorted(categorical.categories))


def measurements_frame(
    session: Session, pilot_ids: list[int], scope: ExportScope | None = None
) -> pd.DataFrame:
    """The tidy measurements of the pilots, sorted by pilot, measure, period, group and area.

    Two million rows take seconds, not minutes: one plain SQL statement (no ORM objects, no
    type conversion per cell; the period as its ISO text, which both databases give alike),
    the rows transposed once, ids mapped to slugs and codes with numpy, text turned into
    categoricals, and one ``lexsort`` on their codes.
    """
    scope = scope or ExportScope()
    n_values = len(VALUE_COLUMNS)
    if not pilot_ids:
        rows: list[Any] = []
    else:
        conditions = ["pilot_id IN :pilots"]
        params: dict[str, Any] = {"pilots": list(pilot_ids)}
        if scope.period_from is not None:
            conditions.append("period >= :period_from")
            params["period_from"] = scope.period_from
        if scope.period_to is not None:
            conditions.append("period <= :period_to")
            params["period_to"] = scope.period_to
        statement = text(
            'SELECT pilot_id, measure_id, CAST(period AS TEXT), area, "group", '
            + ", ".join(VALUE_COLUMNS)
            + ", source FROM measurement WHERE "
            + " AND ".join(conditions)
        ).bindparams(bindparam("pilots", expanding=True))
        rows = session.connection().execute(statement, params).fetchall()
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if n else [()] * (6 + n_values)
    slugs = dict(
        session.exec(select(Pilot.id, Pilot.slug).where(col(Pilot.id).in_(pilot_ids))).all()  # type: ignore[call-overload]
    )
    codes = dict(session.exec(select(Measure.id, Measure.code)).all())  # type: ignore[call-overload]
    pilot = _from_ids(np.array(columns[0], dtype="int64"), slugs)
    measure = _from_ids(np.array(columns[1], dtype="int64"), codes)
    period_text = pd.Categorical(columns[2])
    period = pd.to_datetime(
        pd.Series(period_text.categories, dtype="str").str.slice(0, 10), format="%Y-%m-%d"
    ).to_numpy(dtype="datetime64[s]")
    periods = period[period_text.codes] if n else np.array([], dtype="datetime64[s]")
    area = _sorted_categorical(np.array(columns[3], dtype=object))
    group = _sorted_categorical(np.array(columns[4], dtype=object))
    values = {
        name: np.array(columns[5 + i], dtype="float64") for i, name in enumerate(VALUE_COLUMNS)
    }
    source = pd.Categorical(np.array(columns[-1], dtype=object))
    del rows, columns
    # A NULL area or source (allowed by the schema, never written by Proeftuin) is '' as well.
    area, source = _sorted_categorical(_no_nulls(area)), _no_nulls(source)
    order = np.lexsort((area.codes, group.codes, periods.view("int64"), measure.codes, pilot.codes))
    return pd.DataFrame(
        {
            "pilot": pilot[order],
            "measure": measure[order],
            "period": periods[order],
            "area": area[order],
            "group": group[order],
            **{name: v[order] for name, v in values.items()},
            "source": source[order],
        },
        copy=False,
    )


def _no_nulls(values: pd.Categorical) -> pd.Categorical:
    if not values.isna().any():
        return values
    if "" not in values.categories:
        values = values.add_categories([""])
    return values.fillna("")


def _from_ids(ids: np.ndarray, names: dict[int, str]) -> pd.Categorical:
    """Ids as a categorical of their names, categories sorted (so codes sort like the text)."""
    known = sorted(names.items(), key=lambda item: item[1])
    lookup = np.full(max([i for i, _ in known] or [0]) + 1, -1, dtype="int64")
    for code, (identifier, _) in enumerate(known):
        lookup[identifier] = code
    return pd.Categorical.from_codes(
        lookup[ids] if len(ids) else ids, categories=pd.Index([n for _, n in known], dtype="str")
    )


def _dated_table(
    session: Session,
    name: str,
    model: Any,
    pilot_ids: list[int],
    slugs: dict[int, str],
    scope: ExportScope,
    row: Callable[[Any], tuple[Any, ...]],
) -> ExportTable:
    items = (
        session.exec(
            select(model)
            .where(col(model.pilot_id).in_(pilot_ids), *_in_period(col(model.date), scope))
            .order_by(col(model.date), col(model.id))
        ).all()
        if pilot_ids
        else []
    )
    spec = columns_of(name)
    rows = sorted(((slugs[i.pilot_id], *row(i)) for i in items), key=lambda r: r[0])
    return ExportTable(name, spec, _frame(rows, spec))


# ------------------------------------------------------------------------------------ results
def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, out)
    elif isinstance(value, list | tuple):
        out[prefix] = json.dumps(value, ensure_ascii=False)
    else:
        out[prefix] = value


def _detail_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def _results_table(
    session: Session, pilots: list[Pilot], lang: str, progress: Progress | None
) -> ExportTable:
    from tracker.services.analysis import analyze_pilot  # statsmodels: only when asked for

    fixed = columns_of("results")
    records: list[dict[str, Any]] = []
    for done, pilot in enumerate(pilots, start=1):
        for item in analyze_pilot(session, pilot.id):  # type: ignore[arg-type]
            data = item.result.to_dict(lang)
            record: dict[str, Any] = {
                "pilot": pilot.slug,
                "hypothesis": item.code,
                "measure": item.measure,
                "is_primary": item.is_primary,
            }
            for spec in fixed[4:]:
                if spec.name == "warnings":
                    record["warnings"] = "; ".join(w["code"] for w in data["warnings"])
                elif spec.name == "warnings_text":
                    key = "message_en" if lang == "en" else "message_nl"
                    record["warnings_text"] = "; ".join(w[key] for w in data["warnings"])
                else:
                    record[spec.name] = data[spec.name]
            details: dict[str, Any] = {}
            _flatten("details", data["details"], details)
            record.update(details)
            records.append(record)
        if progress is not None:
            progress("results", done, len(pilots))
    detail_names = sorted({k for r in records for k in r if k.startswith("details.")})
    details = tuple(
        detail_column(k.removeprefix("details."), _detail_type([r.get(k) for r in records]))  # type: ignore[arg-type]
        for k in detail_names
    )
    spec = (*fixed, *details)
    rows = [tuple(r.get(c.name) for c in spec) for r in records]
    frame = _frame(rows, spec)
    return ExportTable("results", spec, frame)


# ------------------------------------------------------------------------------------ entry point
@dataclass
class _Export:
    """What the table builders share: the pilots, and what more than one table needs, read once."""

    session: Session
    request: ExportRequest
    pilots: list[Pilot]
    progress: Progress | None
    _hypotheses: list[tuple[Hypothesis, str]] | None = None
    _measurements: pd.DataFrame | None = None
    _kinds: dict[str, str] | None = None
    _suppressed: Suppressed | None = None

    @property
    def pilot_ids(self) -> list[int]:
        return [p.id for p in self.pilots if p.id is not None]

    @property
    def slugs(self) -> dict[int, str]:
        return {p.id: p.slug for p in self.pilots if p.id is not None}

    @property
    def threshold(self) -> int | None:
        return self.request.suppress_below

    def hypotheses(self) -> list[tuple[Hypothesis, str]]:
        if self._hypotheses is None:
            self._hypotheses = _hypotheses(self.session, self.pilot_ids) if self.pilots else []
        return self._hypotheses

    def measurements(self) -> pd.DataFrame:
        if self._measurements is None:
            self._measurements = measurements_frame(
                self.session, self.pilot_ids, self.request.scope
            )
        return self._measurements

    def suppressed(self) -> Suppressed:
        """The measurements after small-number protection, once for every table that needs it
        (the measurements table itself, and the results to see which measures lost a cell)."""
        assert self.threshold is not None
        if self._suppressed is None:
            self._suppressed = suppress_measurements(
                self.measurements(), self.kinds(), self.threshold
            )
        return self._suppressed

    def kinds(self) -> dict[str, str]:
        if self._kinds is None:
            self._kinds = measure_kinds(self.session)
        return self._kinds

    def names(self, model: Any) -> dict[int, str]:
        """Hypothesis codes or intervention titles of the pilots, by id (for the journal)."""
        label = model.code if model is Hypothesis else model.title
        if not self.pilots:
            return {}
        query = select(model.id, label).where(col(model.pilot_id).in_(self.pilot_ids))
        return dict(self.session.exec(query).all())  # type: ignore[call-overload]

    def protected(self, table: ExportTable, frame: pd.DataFrame, masks, labels) -> ExportTable:
        assert self.threshold is not None
        return ExportTable(
            table.name,
            with_suppressed(table.columns),
            frame.assign(suppressed=labels),
            suppressed=masks,
            mark=mark_for(self.threshold),
        )


def _measures(ex: _Export) -> ExportTable:
    if ex.request.scope == ExportScope():
        return _measures_table(ex.session, None)  # everything: the whole codebook
    codes = {m for _, m in ex.hypotheses()}
    if ex.pilots:
        # The measures with data in scope: one DISTINCT query, not the measurements themselves.
        measured = (
            select(Measure.code)
            .join(Measurement, col(Measurement.measure_id) == col(Measure.id))
            .where(
                col(Measurement.pilot_id).in_(ex.pilot_ids),
                *_in_period(col(Measurement.period), ex.request.scope),
            )
            .distinct()
        )
        codes |= set(ex.session.exec(measured).all())
    return _measures_table(ex.session, codes)


def _measurements(ex: _Export) -> ExportTable:
    table = ExportTable("measurements", columns_of("measurements"), ex.measurements())
    if ex.threshold is None:
        return table
    done = ex.suppressed()
    return ex.protected(table, done.frame, done.masks, done.labels)


def _interventions(ex: _Export) -> ExportTable:
    return _dated_table(
        ex.session,
        "interventions",
        Intervention,
        ex.pilot_ids,
        ex.slugs,
        ex.request.scope,
        lambda i: (
            i.date,
            i.kind,
            i.title,
            i.description,
            str(i.status),
            i.planned_date,
            i.created_by,
            i.created_at,
        ),
    )


def _observations(ex: _Export) -> ExportTable:
    codes = ex.names(Hypothesis)
    titles = ex.names(Intervention)
    return _dated_table(
        ex.session,
        "observations",
        Observation,
        ex.pilot_ids,
        ex.slugs,
        ex.request.scope,
        lambda o: (
            o.date,
            str(o.kind),
            o.text,
            codes.get(o.hypothesis_id, ""),
            titles.get(o.intervention_id, ""),
            o.author,
            o.created_at,
        ),
    )


def _results(ex: _Export) -> ExportTable:
    table = _results_table(ex.session, ex.pilots, ex.request.lang, ex.progress)
    if ex.threshold is None:
        return table
    # Which (pilot, measure) lost a cell: the measurements as this export protects them.
    measurements = ex.measurements()
    done = ex.suppressed()
    hit = np.zeros(len(measurements), dtype=bool)
    for mask in done.masks.values():
        hit |= mask
    pairs = measurements.loc[hit, ["pilot", "measure"]].astype(str).drop_duplicates()
    lost = {(p, m): True for p, m in pairs.itertuples(index=False)}
    details = [c.name for c in table.columns if c.name.startswith("details.")]
    protected = suppress_results(table.frame, lost, details)
    return ex.protected(table, protected.frame, protected.masks, protected.labels)


BUILDERS: dict[str, Callable[[_Export], ExportTable]] = {
    "pilots": lambda ex: _pilots_table(ex.session, ex.pilots),
    "areas": lambda ex: _areas_table(ex.pilots),
    "hypotheses": lambda ex: _hypotheses_table(ex.session, ex.hypotheses(), ex.slugs),
    "amendments": lambda ex: _amendments_table(ex.session, ex.hypotheses(), ex.slugs),
    "measures": _measures,
    "measurements": _measurements,
    "interventions": _interventions,
    "observations": _observations,
    "results": _results,
}


def build_export(
    session: Session,
    request: ExportRequest,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> list[ExportTable]:
    """The tables of ``request`` for the pilots the actor may export, in the fixed table order.

    ``progress(table, done, total)`` is called after each table (and per pilot while the
    results are analysed). Raises AccessDenied when the actor may not export (or not this
    pilot), NotFoundError for an unknown pilot and ValidationError for an unknown table or a
    threshold below 1.
    """
    request = request.checked()
    pilots = _selected_pilots(session, request.scope, actor)
    ex = _Export(session, request, pilots, progress)
    tables = []
    for done, name in enumerate(request.tables, start=1):
        tables.append(BUILDERS[name](ex))
        if progress is not None:
            progress(name, done, len(request.tables))
    return tables


def measure_kinds(session: Session) -> dict[str, str]:
    """Every codebook code with its kind (continuous, proportion, count): what the protection
    needs to know which columns are counts."""
    rows = session.exec(select(Measure.code, Measure.kind)).all()  # type: ignore[call-overload]
    return {code: str(kind) for code, kind in rows}


def small_number_periods(session: Session, pilots: list[Pilot]) -> dict[tuple[int, str], set[str]]:
    """Per (pilot id, measure code), the periods (ISO dates) in which the export's protection
    (``TRACKER_EXPORT_SUPPRESS_BELOW``) leaves a cell out: one read of the pilots'
    measurements and one pass of the protection, however many pilots."""
    ids = [p.id for p in pilots if p.id is not None]
    frame = measurements_frame(session, ids) if ids else None
    if frame is None or frame.empty:
        return {}
    slugs = {p.slug: p.id for p in pilots}
    lost = lost_periods(suppress_measurements(frame, measure_kinds(session), default_threshold()))
    return {(slugs[pilot], measure): periods for (pilot, measure), periods in lost.items()}


def default_threshold() -> int:
    """The small-number threshold the Export page and CLI offer (TRACKER_EXPORT_SUPPRESS_BELOW)."""
    return load_settings().suppress_below


# ------------------------------------------------------------------------------------ one pilot
def tidy_measurements(session: Session, pilot_id: int) -> pd.DataFrame:
    """All measurements of a pilot in the tidy shape (``TIDY_COLUMNS``), sorted by measure,
    period, group and area: text columns as str (``period`` as ISO text, '' for no area), the
    value columns float64 with NaN. NotFoundError for an unknown pilot."""
    get_pilot(session, pilot_id)
    frame = measurements_frame(session, [pilot_id])
    return frame.assign(
        period=[d.isoformat() for d in frame["period"].dt.date],
        **{
            name: frame[name].astype("str")
            for name in ("pilot", "measure", "area", "group", "source")
        },
    )[list(TIDY_COLUMNS)]


def tidy_measurements_csv(session: Session, pilot_id: int, *, actor: Actor) -> str:
    """A pilot's measurements as the ``csv`` export (RFC 4180; tracker.io.export_files)."""
    import io

    checked_pilot(session, pilot_id, actor, Action.export)
    table = ExportTable(
        "measurements", columns_of("measurements"), measurements_frame(session, [pilot_id])
    )
    buffer = io.BytesIO()
    write_csv(table, buffer)
    return buffer.getvalue().decode("utf-8")
