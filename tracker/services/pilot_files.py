"""Pilots as files: export a pilot from the database to a ``PilotFile`` and import one back.

The import goes through the ordinary services (codebook, organisation, pilot, hypotheses,
journal) in the caller's transaction, so a refused file writes nothing. What those services
cannot do — put back the registration time, the content hash and amendments with their
original author and time — is written here directly, after checking that the hash in the file
matches the recomputed hash of the hypothesis' content: a file whose registered hypotheses were
edited afterwards is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tracker.errors import FieldError, ValidationError, field_error
from tracker.i18n import MESSAGES as i18n_messages
from tracker.i18n import register
from tracker.io import pilot_file as pf
from tracker.models import (
    Amendment,
    AmendmentCreate,
    Hypothesis,
    HypothesisUpdate,
    Measure,
    Measurement,
    Organisation,
    Role,
    User,
    utcnow,
)
from tracker.services import access, audit, hypotheses, journal, measures, organisations, pilots
from tracker.services.access import Action, Actor
from tracker.services.common import validate

MESSAGES: dict[str, dict[str, str]] = {
    "error.pilot_exists": {
        "nl": "pilot '{value}' staat al in de database; er is niets geïmporteerd",
        "en": "pilot '{value}' is already in the database; nothing was imported",
    },
    "error.measure_conflict": {
        "nl": (
            "indicator '{measure}' staat al in het codeboek met een andere waarde: database "
            "'{existing}', bestand '{value}'; pas het bestand aan of kies een andere code"
        ),
        "en": (
            "measure '{measure}' is already in the codebook with a different value: database "
            "'{existing}', file '{value}'; correct the file or choose another code"
        ),
    },
    "error.hash_mismatch": {
        "nl": (
            "hypothese {hypothesis} is vooraf vastgelegd, maar de inhoud in het bestand past niet "
            "bij de vastgelegde hash (bestand {value}, berekend {computed}); het bestand is "
            "na het vastleggen gewijzigd en wordt geweigerd"
        ),
        "en": (
            "hypothesis {hypothesis} was pre-registered, but its content in the file does not "
            "match the registered hash (file {value}, computed {computed}); the file was "
            "changed after registration and is refused"
        ),
    },
    "error.amendment_unregistered": {
        "nl": "hypothese {value} heeft wijzigingen maar is niet vastgelegd",
        "en": "hypothesis {value} has amendments but is not registered",
    },
    "error.amendment_mismatch": {
        "nl": (
            "de oude waarde '{value}' past niet bij de geldende waarde '{expected}' op dat "
            "moment; de wijzigingen in het bestand kloppen niet"
        ),
        "en": (
            "the old value '{value}' does not match the value in force at that time, "
            "'{expected}'; the amendments in the file are inconsistent"
        ),
    },
    "error.data_file_missing": {
        "nl": "het databestand '{value}' is niet gevonden (gezocht in: {expected})",
        "en": "the data file '{value}' was not found (looked in: {expected})",
    },
}
# Streamlit re-imports a changed module while the app runs; registering the same texts
# again is harmless, a clash with another module's texts is not.
register({k: v for k, v in MESSAGES.items() if i18n_messages.get(k) != v})

MEASURE_FIELDS = ("name", "definition", "unit", "kind", "better_direction", "source")


# --------------------------------------------------------------------------- export
def _text(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _utc(value: dt.datetime) -> dt.datetime:
    # Both databases return aware UTC; a naive value can only be UTC written by hand.
    return value.replace(tzinfo=dt.UTC) if value.utcoffset() is None else value.astimezone(dt.UTC)


def _measure_entry(measure: Measure) -> pf.MeasureEntry:
    return pf.MeasureEntry(
        code=measure.code,
        name=measure.name,
        definition=measure.definition,
        unit=measure.unit,
        kind=_text(measure.kind),
        better_direction=_text(measure.better_direction),
        source=measure.source,
    )


def export_pilot(session: Session, pilot_id: int, *, data: str | None = None) -> pf.PilotFile:
    """The pilot, its codebook entries, hypotheses, interventions and journal as a PilotFile.

    ``data`` is the path written as ``data = …`` (where the measurements live); the database
    does not store it, so the caller names it.
    """
    pilot = pilots.get_pilot(session, pilot_id)
    org = session.get(Organisation, pilot.organisation_id)
    assert org is not None  # foreign key
    owner = session.get(User, pilot.owner_id) if pilot.owner_id is not None else None

    hyps = hypotheses.list_hypotheses(session, pilot_id)
    # The codebook entries of the hypotheses and of every measure the pilot has data on (a
    # measure followed without a hypothesis must come along, or its data cannot be loaded).
    measured = session.exec(
        select(Measurement.measure_id).where(Measurement.pilot_id == pilot_id).distinct()
    ).all()
    used: dict[int, Measure] = {}
    for measure_id in [h.measure_id for h in hyps] + sorted(measured):
        if measure_id not in used:
            measure = session.get(Measure, measure_id)
            assert measure is not None
            used[measure_id] = measure
    hyp_entries = []
    for h in hyps:
        amendments = tuple(
            pf.AmendmentEntry(
                field=a.field,
                old_value=a.old_value,
                new_value=a.new_value,
                reason=a.reason,
                author=a.author,
                created_at=_utc(a.created_at),
            )
            for a in hypotheses.list_amendments(session, h.id)  # type: ignore[arg-type]
        )
        hyp_entries.append(
            pf.HypothesisEntry(
                code=h.code,
                measure=used[h.measure_id].code,
                if_text=h.if_text,
                then_text=h.then_text,
                because_text=h.because_text,
                expected_direction=_text(h.expected_direction),
                min_effect=float(h.min_effect),
                min_effect_type=_text(h.min_effect_type),
                design=_text(h.design),
                comparison_group=h.comparison_group,
                alpha=float(h.alpha),
                is_primary=bool(h.is_primary),
                registered_at=_utc(h.registered_at) if h.registered_at else None,
                registered_late=bool(h.registered_late),
                content_hash=h.content_hash if h.registered_at else None,
                amendments=amendments,
            )
        )
    hyp_codes = {h.id: h.code for h in hyps}
    interventions = journal.list_interventions(session, pilot_id)
    titles = {i.id: i.title for i in interventions}
    return pf.PilotFile(
        slug=pilot.slug,
        title=pilot.title,
        aim=pilot.aim,
        municipality=pilot.municipality,
        municipality_code=pilot.municipality_code,
        domains=tuple(pilot.domains),
        partners=tuple(pilot.partners),
        strategy=pilot.strategy,
        intervention_type=pilot.intervention_type,
        status=_text(pilot.status),
        baseline_start=pilot.baseline_start,
        intervention_start=pilot.intervention_start,
        evaluation_end=pilot.evaluation_end,
        owner_email=owner.email if owner else None,
        data=data,
        organisation=pf.OrganisationEntry(name=org.name, code=org.cbs_code),
        areas=tuple(
            pf.AreaEntry(
                code=str(a["code"]),
                name=str(a.get("name", "")),
                group=str(a.get("group", "pilot")),
            )
            for a in pilot.areas
        ),
        measures=tuple(_measure_entry(m) for m in sorted(used.values(), key=lambda m: m.code)),
        hypotheses=tuple(hyp_entries),
        interventions=tuple(
            pf.InterventionEntry(
                date=i.date,
                planned_date=i.planned_date,
                status=_text(i.status),
                kind=i.kind,
                title=i.title,
                description=i.description,
            )
            for i in interventions
        ),
        observations=tuple(
            pf.ObservationEntry(
                date=o.date,
                kind=_text(o.kind),
                hypothesis=hyp_codes.get(o.hypothesis_id) if o.hypothesis_id else None,
                intervention=titles.get(o.intervention_id) if o.intervention_id else None,
                text=o.text,
            )
            for o in journal.list_observations(session, pilot_id)
        ),
    )


def export_toml(
    session: Session, pilot_id: int, *, data: str | None = None, comment: str | None = None
) -> str:
    """:func:`export_pilot` written as TOML text (see ``tracker.io.pilot_file.dumps``)."""
    return pf.dumps(export_pilot(session, pilot_id, data=data), comment=comment)


# --------------------------------------------------------------------------- import
def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    """The same errors, their field names placed under ``prefix`` (where they are in the file)."""
    return ValidationError(
        [
            FieldError(f"{prefix}.{e.field}", e.code, e.message_nl, e.message_en, e.value)
            for e in exc.errors
        ]
    )


def _ensure_measures(session: Session, pilot: pf.PilotFile, *, actor: Actor) -> int:
    """Create the codebook entries the file brings; refuse ones that clash. Returns # created."""
    errors: list[FieldError] = []
    missing: list[tuple[int, pf.MeasureEntry]] = []
    for n, entry in enumerate(pilot.measures, 1):
        existing = measures.find_measure(session, entry.code)
        if existing is None:
            missing.append((n, entry))
            continue
        for name in MEASURE_FIELDS:
            have, want = _text(getattr(existing, name)), getattr(entry, name)
            if have != want:
                errors.append(
                    field_error(
                        f"measures[{n}].{name}",
                        "measure_conflict",
                        want,
                        measure=entry.code,
                        existing=have,
                    )
                )
    if errors:
        raise ValidationError(errors)
    for n, entry in missing:
        try:
            measures.ensure_measure(session, asdict(entry), actor=actor)
        except ValidationError as exc:
            raise _prefixed(exc, f"measures[{n}]") from None
    return len(missing)


def _owner(session: Session, pilot: pf.PilotFile, org: Organisation, *, actor: Actor) -> None:
    """The owner must exist for the pilot to keep its owner; create a login-less account."""
    if pilot.owner_email and organisations.get_user_by_email(session, pilot.owner_email) is None:
        assert org.id is not None
        organisations.get_or_create_user(
            session,
            organisation_id=org.id,
            email=pilot.owner_email,
            display_name=pilot.owner_email.split("@")[0],
            role=Role.officer,
            actor=actor,
        )


def _hash_errors(pilot: pf.PilotFile) -> list[FieldError]:
    """Every registered hypothesis whose content no longer matches its hash, before any write."""
    errors = []
    for n, entry in enumerate(pilot.hypotheses, 1):
        if entry.content_hash is None:
            continue
        content = {name: getattr(entry, name) for name in hypotheses.HASHED_FIELDS}
        computed = hypotheses.content_hash(Hypothesis(**content), entry.measure)
        if computed != entry.content_hash:
            errors.append(
                field_error(
                    f"hypotheses[{n}].content_hash",
                    "hash_mismatch",
                    entry.content_hash,
                    hypothesis=entry.code,
                    computed=computed,
                )
            )
    return errors


def _restore_registration(
    session: Session, hypothesis: Hypothesis, entry: pf.HypothesisEntry, where: str, *, actor: Actor
) -> None:
    """Put back registered_at/late and the hash, after checking the hash against the content
    as stored (what the services made of the file's values)."""
    assert entry.registered_at is not None and entry.content_hash is not None
    computed = hypotheses.content_hash(hypothesis, entry.measure)
    if computed != entry.content_hash:
        raise ValidationError.single(
            f"{where}.content_hash",
            "hash_mismatch",
            entry.content_hash,
            hypothesis=entry.code,
            computed=computed,
        )
    hypotheses.lock_hypothesis(
        session,
        hypothesis,
        registered_at=entry.registered_at,
        registered_late=entry.registered_late,
        content_hash=entry.content_hash,
        actor=actor,
    )


def _restore_amendments(
    session: Session, hypothesis: Hypothesis, entry: pf.HypothesisEntry, where: str, *, actor: Actor
) -> None:
    """Write the amendments with their own author and time, checking that they chain up."""
    ordered = sorted(enumerate(entry.amendments, 1), key=lambda pair: pair[1].created_at)
    for n, a in ordered:
        at = f"{where}.amendments[{n}]"
        try:
            valid = validate(
                AmendmentCreate, {"field": a.field, "new_value": a.new_value, "reason": a.reason}
            )
            new_value = getattr(validate(HypothesisUpdate, {a.field: a.new_value}), a.field)
        except ValidationError as exc:
            raise _prefixed(exc, at) from None
        in_force = hypotheses.as_text(hypotheses.effective_values(session, hypothesis)[valid.field])
        if a.old_value != in_force:
            raise ValidationError.single(
                f"{at}.old_value", "amendment_mismatch", a.old_value, expected=in_force
            )
        if a.new_value != hypotheses.as_text(new_value):
            raise ValidationError.single(
                f"{at}.new_value",
                "amendment_mismatch",
                a.new_value,
                expected=hypotheses.as_text(new_value),
            )
        hypotheses.store_amendment(
            session,
            hypothesis,
            Amendment(
                hypothesis_id=hypothesis.id,  # type: ignore[arg-type]
                field=a.field,
                old_value=a.old_value,
                new_value=a.new_value,
                reason=a.reason,
                author=a.author,
                created_at=a.created_at,
            ),
            expected_version=hypothesis.version,
            actor=actor,
        )


@dataclass(frozen=True)
class PilotImport:
    """What one imported pilot file wrote."""

    pilot_id: int
    slug: str
    measures_created: int
    hypotheses: int
    interventions: int
    observations: int
    measurements: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            return (
                f"{self.slug}: {self.hypotheses} hypotheses, {self.interventions} "
                f"interventions, {self.observations} observations, {self.measurements} "
                f"measurements, {self.measures_created} new measures"
            )
        return (
            f"{self.slug}: {self.hypotheses} hypothesen, {self.interventions} interventies, "
            f"{self.observations} logboek-notities, {self.measurements} metingen, "
            f"{self.measures_created} nieuwe indicatoren"
        )


def import_pilot(
    session: Session, pilot: pf.PilotFile, *, actor: Actor, source: str = ""
) -> PilotImport:
    """Create the pilot of a PilotFile with everything it holds, in the caller's transaction.

    Raises ``ValidationError`` (naming the key in the file) when the slug already exists, a
    codebook entry clashes with the one in the database, a registered hypothesis does not match
    its hash, or any service refuses a value. Nothing is kept then: the caller's transaction
    rolls back.
    """
    access.require(session, actor, Action.create_pilot)
    if pilots.find_pilot_by_slug(session, pilot.slug) is not None:
        raise ValidationError.single("slug", "pilot_exists", pilot.slug)
    tampered = _hash_errors(pilot)
    if tampered:
        raise ValidationError(tampered)
    created = _ensure_measures(session, pilot, actor=actor)
    try:
        org = organisations.get_or_create_organisation(
            session, name=pilot.organisation.name, cbs_code=pilot.organisation.code, actor=actor
        )
    except ValidationError:
        # The only thing the organisation service checks is the form of the CBS code.
        raise ValidationError.single(
            "organisation.code", "gm_code", pilot.organisation.code
        ) from None
    _owner(session, pilot, org, actor=actor)
    assert org.id is not None
    row = pilots.create_pilot(
        session,
        {
            "slug": pilot.slug,
            "title": pilot.title,
            "aim": pilot.aim,
            "municipality": pilot.municipality,
            "municipality_code": pilot.municipality_code,
            "domains": list(pilot.domains),
            "areas": [asdict(a) for a in pilot.areas],
            "partners": list(pilot.partners),
            "strategy": pilot.strategy,
            "intervention_type": pilot.intervention_type,
            "baseline_start": pilot.baseline_start,
            "intervention_start": pilot.intervention_start,
            "evaluation_end": pilot.evaluation_end,
            "status": pilot.status,
            "owner_email": pilot.owner_email,
        },
        organisation_id=org.id,
        actor=actor,
    )
    assert row.id is not None
    for n, entry in enumerate(pilot.hypotheses, 1):
        where = f"hypotheses[{n}]"
        data = asdict(entry)
        for key in ("measure", "registered_at", "registered_late", "content_hash"):
            data.pop(key)
        data.pop("amendments")
        try:
            hypothesis = hypotheses.add_hypothesis(
                session, row.id, data | {"measure_code": entry.measure}, actor=actor
            )
        except ValidationError as exc:
            raise _prefixed(exc, where) from None
        if entry.registered_at is not None:
            _restore_registration(session, hypothesis, entry, where, actor=actor)
        if entry.amendments:
            if entry.registered_at is None:
                raise ValidationError.single(
                    f"{where}.amendments", "amendment_unregistered", entry.code
                )
            _restore_amendments(session, hypothesis, entry, where, actor=actor)
    for n, i in enumerate(pilot.interventions, 1):
        try:
            journal.add_intervention(session, row.id, asdict(i), actor=actor)
        except ValidationError as exc:
            raise _prefixed(exc, f"interventions[{n}]") from None
    for n, o in enumerate(pilot.observations, 1):
        try:
            journal.add_observation(
                session,
                row.id,
                {
                    "date": o.date,
                    "kind": o.kind,
                    "text": o.text,
                    "hypothesis_code": o.hypothesis,
                    "intervention_title": o.intervention,
                },
                actor=actor,
            )
        except ValidationError as exc:
            raise _prefixed(exc, f"observations[{n}]") from None
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="pilot",
        entity_id=row.id,
        pilot_id=row.id,
        after={
            "source": source,
            "format_version": pilot.format_version,
            "at": utcnow().replace(microsecond=0).isoformat(),
        },
    )
    return PilotImport(
        pilot_id=row.id,
        slug=row.slug,
        measures_created=created,
        hypotheses=len(pilot.hypotheses),
        interventions=len(pilot.interventions),
        observations=len(pilot.observations),
    )


def data_path(pilot: pf.PilotFile, toml_path: Path, *, root: Path | None = None) -> Path | None:
    """Where the pilot's measurements are: ``data`` relative to ``root`` or to the TOML file.

    Without ``root`` the folder above the TOML file's folder is tried too, so that
    ``experiments/x.toml`` with ``data = "data/demo/x.csv"`` works from the repository.
    Returns None when the file names no data; raises ValidationError when it cannot be found.
    """
    if pilot.data is None:
        return None
    relative = Path(pilot.data)
    here = toml_path.resolve().parent
    bases = [root] if root is not None else []
    bases += [here, here.parent]
    candidates = [relative] if relative.is_absolute() else [b / relative for b in bases]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ValidationError.single(
        "data",
        "data_file_missing",
        pilot.data,
        expected=", ".join(str(c.parent) for c in candidates),
    )


def import_measurement_file(session: Session, pilot_id: int, path: Path, *, actor: Actor) -> int:
    """Load a tidy measurement CSV through the measurement import; refuse on any row error."""
    # Imported here: the measurement import is a separate service with heavier dependencies.
    from tracker.services.measurements import import_measurements

    report = import_measurements(session, pilot_id, path, actor=actor)
    if report.errors:
        # The first twenty say enough; the measurement import itself lists all of them.
        raise ValidationError([_measurement_error(path, e) for e in list(report.errors)[:20]])
    return int(report.rows_written)


def _measurement_error(path: Path, error: Any) -> FieldError:
    """A measurement-import RowError as a FieldError under ``data`` (file, row, column, text)."""
    if hasattr(error, "describe"):
        return FieldError(
            "data",
            str(error.code),
            error.describe("nl"),
            error.describe("en"),
            getattr(error, "value", None),
        )
    return FieldError(
        "data", "measurement_import", f"{path.name}: {error}", f"{path.name}: {error}"
    )


def import_file(
    session: Session,
    path: Path,
    *,
    actor: Actor,
    with_data: bool = False,
    root: Path | None = None,
) -> PilotImport:
    """Read a pilot file and import it; with ``with_data`` also its measurement CSV."""
    pilot = pf.read(path)
    csv = data_path(pilot, path, root=root) if with_data else None
    result = import_pilot(session, pilot, actor=actor, source=path.name)
    if csv is None:
        return result
    rows = import_measurement_file(session, result.pilot_id, csv, actor=actor)
    return PilotImport(**(asdict(result) | {"measurements": rows}))


def import_package(
    session: Session, source: bytes | Path, *, actor: Actor, name: str = ""
) -> list[PilotImport]:
    """Create every pilot of a Proeftuin data package (``tracker export --format datapackage``)
    with its hypotheses, journal and measurements, in the caller's transaction: all or nothing.

    The round trip of the exports issue: a pilot exported this way and imported into an empty
    database analyses to the same results. Raises ValidationError (naming the pilot and the key)
    on anything the pilot-file import or the measurement import refuses, and for a package whose
    small numbers were left out (it is for sharing, not for importing).
    """
    import tempfile

    from tracker.io.export_files import write_csv
    from tracker.io.export_tables import ExportTable, columns_of
    from tracker.io.package_read import pilot_files, read_package

    label = name or (source.name if isinstance(source, Path) else "datapackage.zip")
    results = []
    for item in pilot_files(read_package(source, name=label)):
        try:
            result = import_pilot(session, item.pilot, actor=actor, source=label)
        except ValidationError as exc:
            raise _prefixed(exc, item.pilot.slug) from None
        rows = 0
        if len(item.measurements):
            spec = columns_of("measurements")[1:]  # the tidy shape without the pilot
            table = ExportTable("measurements", spec, item.measurements[[c.name for c in spec]])
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{item.pilot.slug}-measurements.csv"
                write_csv(table, path, escape_formulas=False)  # texts exactly as they were
                try:
                    rows = import_measurement_file(session, result.pilot_id, path, actor=actor)
                except ValidationError as exc:
                    raise _prefixed(exc, item.pilot.slug) from None
        results.append(PilotImport(**(asdict(result) | {"measurements": rows})))
    return results
