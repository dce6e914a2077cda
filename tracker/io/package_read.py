"""A Proeftuin data package (``tracker export --format datapackage``) read back into pilots (pure).

The round trip: an export of a pilot, imported into an empty database, gives the same pilot,
hypotheses (with their registration and amendments), journal and measurements, and so the same
analysis results. :func:`read_package` reads every resource with the types its Table Schema
declares and undoes the export's formula escape (``tracker.io.text.restore_cell``);
:func:`pilot_files` turns the tables into ``PilotFile`` structures (the same ones the TOML pilot
files use, so the import goes through the same checks) plus each pilot's tidy measurements.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tracker.errors import ValidationError
from tracker.i18n import MESSAGES as i18n_messages
from tracker.i18n import register
from tracker.io import pilot_file as pf
from tracker.io.text import restore_cell

__all__ = ["PackagePilot", "pilot_files", "read_package"]

REQUIRED = ("pilots",)

_MESSAGES = {
    "error.package_unreadable": {
        "nl": "{value} is geen zip met een datapackage.json ({detail}); exporteer opnieuw met "
        "het formaat datapackage",
        "en": "{value} is not a zip with a datapackage.json ({detail}); export again with the "
        "datapackage format",
    },
    "error.package_resource_missing": {
        "nl": "het pakket mist de tabel '{value}'; exporteer opnieuw met die tabel erbij",
        "en": "the package lacks the table '{value}'; export again including that table",
    },
    "error.package_suppressed": {
        "nl": "in deze export zijn kleine aantallen weggelaten ({value} cellen); zo'n export is "
        "om te delen, niet om in te lezen. Exporteer opnieuw zonder bescherming van kleine "
        "aantallen",
        "en": "small numbers were left out of this export ({value} cells); such an export is "
        "for sharing, not for importing. Export again without small-number protection",
    },
    "error.package_value": {
        "nl": "bestand {file}, rij {row}, kolom '{column}': '{value}' is geen geldige waarde van "
        "het type {expected} (getallen met een decimale punt, datums als JJJJ-MM-DD); "
        "exporteer opnieuw, of verbeter de cel",
        "en": "file {file}, row {row}, column '{column}': '{value}' is not a valid value of the "
        "type {expected} (numbers with a decimal point, dates as YYYY-MM-DD); export again, or "
        "correct the cell",
    },
    "error.package_csv": {
        "nl": "bestand {file} in het pakket is geen leesbare CSV ({detail}); exporteer opnieuw "
        "met het formaat datapackage",
        "en": "file {file} in the package is not a readable CSV ({detail}); export again with "
        "the datapackage format",
    },
}
register({k: v for k, v in _MESSAGES.items() if i18n_messages.get(k) != v})


@dataclass(frozen=True)
class PackagePilot:
    """One pilot of a package: its definition and its measurements (tidy shape, no pilot)."""

    pilot: pf.PilotFile
    measurements: pd.DataFrame


def _parse(texts: pd.Series, kind: str) -> tuple[Any, pd.Series]:
    """The typed values of one column, and which non-empty cells did not parse."""
    empty = texts == ""
    blank = texts.where(~empty, None)
    if kind in ("number", "integer"):
        values: Any = pd.to_numeric(blank, errors="coerce")
        bad = values.isna() & ~empty
        if kind == "integer":
            bad |= ~empty & values.notna() & (values != values.round())
            if not bad.any():
                values = values.astype("Int64")
    elif kind == "boolean":
        bad = ~texts.isin(["true", "false", ""])
        values = texts.map({"true": True, "false": False, "": None})
    elif kind == "date":
        parsed = pd.to_datetime(blank, format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna() & ~empty
        values = parsed.dt.date.where(parsed.notna(), None)
    elif kind == "datetime":
        values = pd.to_datetime(blank, utc=True, format="ISO8601", errors="coerce")
        bad = values.isna() & ~empty
    else:
        return texts.map(restore_cell), pd.Series(False, index=texts.index)
    return values, bad


def _typed(frame: pd.DataFrame, fields: list[dict[str, Any]], resource: str) -> pd.DataFrame:
    out = {}
    for spec in fields:
        name, kind = spec["name"], spec.get("type", "string")
        if name not in frame:
            raise ValidationError.single(f"{resource}.{name}", "package_resource_missing", name)
        values, bad = _parse(frame[name], kind)
        if bad.any():
            first = int(bad.to_numpy().argmax())
            raise ValidationError.single(
                f"{resource}.{name}",
                "package_value",
                str(frame[name].iloc[first])[:80],
                file=f"{resource}.csv",
                row=first + 2,  # as a spreadsheet counts: the header is row 1
                column=name,
                expected=kind,
            )
        out[name] = values
    return pd.DataFrame(out)


def read_package(source: bytes | Path, *, name: str = "") -> dict[str, pd.DataFrame]:
    """Every resource of a Proeftuin data package as a typed frame, by resource name."""
    label = name or (source.name if isinstance(source, Path) else "package")
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        with archive:
            descriptor = json.loads(archive.read("datapackage.json"))
            tables = {}
            for resource in descriptor["resources"]:
                try:
                    raw = pd.read_csv(
                        io.BytesIO(archive.read(resource["path"])),
                        dtype=str,
                        keep_default_na=False,
                        encoding="utf-8",
                    )
                except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                    detail = str(exc).strip().splitlines()[-1][:120]
                    raise ValidationError.single(
                        "package",
                        "package_csv",
                        resource["path"],
                        file=resource["path"],
                        detail=detail,
                    ) from None
                fields = resource["schema"]["fields"]
                tables[resource["name"]] = _typed(raw, fields, resource["name"])
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as exc:
        raise ValidationError.single(
            "package", "package_unreadable", label, detail=type(exc).__name__
        ) from None
    for required in REQUIRED:
        if required not in tables:
            raise ValidationError.single("package", "package_resource_missing", required)
    measurements = tables.get("measurements")
    if measurements is not None and "suppressed" in measurements:
        # The column names the cells left out per row ("numerator, denominator"): count them.
        cells = sum(len(label.split(", ")) for label in measurements["suppressed"] if label)
        if cells:
            raise ValidationError.single("package", "package_suppressed", str(cells))
    return tables


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _optional(value: Any) -> Any:
    return None if value is None or value is pd.NaT or (value != value) else value


def _datetime(value: Any) -> dt.datetime | None:
    value = _optional(value)
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def _split(text: Any) -> tuple[str, ...]:
    return tuple(part.strip() for part in _text(text).split(";") if part.strip())


def _rows(tables: dict[str, pd.DataFrame], name: str, slug: str) -> list[dict[str, Any]]:
    frame = tables.get(name)
    if frame is None or frame.empty:
        return []
    return frame[frame["pilot"] == slug].to_dict("records")


def pilot_files(tables: dict[str, pd.DataFrame]) -> list[PackagePilot]:
    """The package's pilots as PilotFile structures with their measurements."""
    measures = {
        m["measure"]: pf.MeasureEntry(
            code=m["measure"],
            name=m["name"],
            kind=m["kind"],
            better_direction=m["better_direction"],
            definition=_text(m["definition"]),
            unit=_text(m["unit"]),
            source=_text(m["source"]),
        )
        for m in (tables["measures"].to_dict("records") if "measures" in tables else [])
    }
    out = []
    for p in tables["pilots"].to_dict("records"):
        slug = p["pilot"]
        amendments: dict[str, list[pf.AmendmentEntry]] = {}
        for a in _rows(tables, "amendments", slug):
            amendments.setdefault(a["hypothesis"], []).append(
                pf.AmendmentEntry(
                    field=a["field"],
                    old_value=_text(a["old_value"]),
                    new_value=_text(a["new_value"]),
                    reason=a["reason"],
                    author=_text(a["author"]),
                    created_at=_datetime(a["created_at"]),  # type: ignore[arg-type]
                )
            )
        hypotheses = tuple(
            pf.HypothesisEntry(
                code=h["hypothesis"],
                measure=h["measure"],
                if_text=h["if_text"],
                then_text=h["then_text"],
                because_text=h["because_text"],
                expected_direction=h["expected_direction"],
                min_effect=float(h["min_effect"]),
                min_effect_type=h["min_effect_type"],
                design=h["design"],
                comparison_group=_text(h["comparison_group"]),
                alpha=float(h["alpha"]),
                is_primary=bool(h["is_primary"]),
                registered_at=_datetime(h["registered_at"]),
                registered_late=bool(h["registered_late"]),
                content_hash=_text(h["content_hash"]) or None,
                amendments=tuple(amendments.get(h["hypothesis"], ())),
            )
            for h in _rows(tables, "hypotheses", slug)
        )
        data = tables.get("measurements")
        rows = (
            data[data["pilot"] == slug].drop(columns=["pilot", "suppressed"], errors="ignore")
            if data is not None
            else pd.DataFrame()
        )
        used = {h.measure for h in hypotheses} | set(rows.get("measure", pd.Series()).unique())
        pilot = pf.PilotFile(
            slug=slug,
            title=p["title"],
            municipality=p["municipality"],
            municipality_code=p["municipality_code"],
            baseline_start=p["baseline_start"],
            intervention_start=p["intervention_start"],
            evaluation_end=p["evaluation_end"],
            organisation=pf.OrganisationEntry(p["organisation"], p["organisation_code"]),
            aim=_text(p["aim"]),
            domains=_split(p["domains"]),
            partners=_split(p["partners"]),
            strategy=_text(p["strategy"]),
            # Packages from before the column: not stated. An unknown code is refused by the
            # same check a pilot file gets (the import's validation of the pilot).
            intervention_type=_text(p.get("intervention_type")),
            status=p["status"],
            owner_email=_text(p["owner"]) or None,
            areas=tuple(
                pf.AreaEntry(a["area"], _text(a["name"]), a["group"])
                for a in _rows(tables, "areas", slug)
            ),
            measures=tuple(measures[c] for c in sorted(used) if c in measures),
            hypotheses=hypotheses,
            interventions=tuple(
                pf.InterventionEntry(
                    date=i["date"],
                    kind=i["kind"],
                    title=i["title"],
                    description=_text(i["description"]),
                    status=i["status"],
                    planned_date=_optional(i["planned_date"]),
                )
                for i in _rows(tables, "interventions", slug)
            ),
            observations=tuple(
                pf.ObservationEntry(
                    date=o["date"],
                    kind=o["kind"],
                    text=o["text"],
                    hypothesis=_text(o["hypothesis"]) or None,
                    intervention=_text(o["intervention"]) or None,
                )
                for o in _rows(tables, "observations", slug)
            ),
        )
        out.append(PackagePilot(pilot, rows.reset_index(drop=True)))
    return out
