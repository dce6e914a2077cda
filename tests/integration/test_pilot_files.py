"""A pilot as a TOML file: export, import into an empty database, export again — byte for byte.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from tests import factories
from tests.db_helpers import empty_database, migrated_sqlite_url, row_counts
from tests.factories import ACTOR
from tracker import migrate
from tracker.cli import app
from tracker.db import session_scope
from tracker.errors import ValidationError
from tracker.io import pilot_file as pf
from tracker.models import Hypothesis, Measure, Organisation, Pilot, User
from tracker.services import audit, hypotheses, journal, organisations, pilot_files
from tracker.services.access import system
from tracker.services.demo import DEMO_COMMENT, demo_files
from tracker.vocabulary import INTERVENTION_TYPES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REGISTERED_AT = dt.datetime(2020, 12, 1, 9, 30, 1, 123456, tzinfo=dt.UTC)
AMENDED_AT = dt.datetime(2021, 3, 2, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def other_engine(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second empty, migrated database on the same backend as ``engine``."""
    with empty_database(engine.dialect.name, tmp_path / "other.db") as other:
        migrate.upgrade(other)
        yield other


def build_rich_pilot(engine: Engine) -> int:
    """A pilot with everything a file holds: owner, areas, two measures, registered and draft
    hypotheses, two amendments, interventions and linked observations."""
    with session_scope(engine) as session:
        org = factories.organisation(session)
        organisations.get_or_create_user(
            session,
            organisation_id=org.id,
            email="eigenaar@gemeente.example",
            display_name="Eigenaar",
            actor=ACTOR,
        )
        factories.measure(session)
        factories.measure(
            session,
            "aandeel_netwerk",
            name="Aandeel met netwerk",
            kind="proportion",
            better_direction="higher",
        )
        pilot = factories.pilot(
            session,
            owner_email="eigenaar@gemeente.example",
            areas=[
                {"code": "WK036301", "name": "Noord-Oost", "group": "pilot"},
                {"code": "BU03630201", "name": "Buurt 'De Hoek'", "group": "comparison"},
            ],
            aim='Familie en buren betrekken;\n"tweede regel" met \\ en tab\t.',
        )
        factories.hypothesis(session, pilot.id)
        factories.hypothesis(
            session,
            pilot.id,
            "H2",
            measure_code="aandeel_netwerk",
            expected_direction="increase",
            min_effect=0.05,
            min_effect_type="absolute",
            is_primary=False,
            comparison_group="BU03630201",
        )
        hypotheses.register_hypotheses(session, pilot.id, actor=ACTOR, now=REGISTERED_AT)
        h2 = hypotheses.find_hypothesis(session, pilot.id, "H2")
        for field, value in (("min_effect", "0.08"), ("alpha", "0.1")):
            amendment = hypotheses.amend_hypothesis(
                session,
                h2.id,
                {"field": field, "new_value": value, "reason": "de meetfout bleek groter"},
                expected_version=h2.version,
                actor=system("analist@gemeente.example"),
            )
            amendment.created_at = AMENDED_AT + dt.timedelta(days=len(value))
            session.add(amendment)
            session.refresh(h2)
        factories.hypothesis(session, pilot.id, "H3", then_text="dan nog een concept")
        journal.add_intervention(
            session,
            pilot.id,
            {
                "date": dt.date(2021, 2, 1),
                "planned_date": dt.date(2021, 1, 4),
                "kind": "training",
                "title": "Training gespreksleiders",
                "description": "Uitgesteld",
            },
            actor=ACTOR,
        )
        journal.add_intervention(
            session,
            pilot.id,
            {
                "date": dt.date(2021, 5, 1),
                "kind": "campagne",
                "title": "Campagne",
                "status": "cancelled",
            },
            actor=ACTOR,
        )
        journal.add_observation(
            session,
            pilot.id,
            {
                "date": dt.date(2021, 2, 3),
                "kind": "unforeseen_effect",
                "text": "Buren melden zich zelf",
                "hypothesis_code": "H1",
                "intervention_title": "Training gespreksleiders",
            },
            actor=ACTOR,
        )
        journal.add_observation(
            session,
            pilot.id,
            {"date": dt.date(2021, 6, 1), "kind": "decision", "text": "Doorgaan"},
            actor=ACTOR,
        )
        return pilot.id


def export(engine: Engine, pilot_id: int, **kw) -> str:
    with session_scope(engine) as session:
        return pilot_files.export_toml(session, pilot_id, **kw)


def import_text(engine: Engine, toml: str) -> pilot_files.PilotImport:
    with session_scope(engine) as session:
        return pilot_files.import_pilot(
            session, pf.loads(toml), actor=system("import@test.example")
        )


def test_export_import_export_gives_the_same_bytes(engine, other_engine):
    first = export(engine, build_rich_pilot(engine), data="data/demo/netwerk-noord.csv")
    result = import_text(other_engine, first)
    assert export(other_engine, result.pilot_id, data="data/demo/netwerk-noord.csv") == first


def test_the_export_holds_registrations_amendments_and_the_journal(engine):
    document = pf.loads(export(engine, build_rich_pilot(engine)))
    h1, h2, h3 = document.hypotheses
    assert (h1.registered_at, h1.registered_late, len(h1.content_hash or "")) == (
        REGISTERED_AT,
        False,
        64,
    )
    assert [(a.field, a.old_value, a.new_value, a.author) for a in h2.amendments] == [
        ("alpha", "0.05", "0.1", "analist@gemeente.example"),
        ("min_effect", "0.05", "0.08", "analist@gemeente.example"),
    ]
    assert (h3.registered_at, h3.content_hash) == (None, None)
    assert [m.code for m in document.measures] == ["aandeel_netwerk", "contacten"]
    assert document.owner_email == "eigenaar@gemeente.example"
    assert [(o.hypothesis, o.intervention) for o in document.observations] == [
        ("H1", "Training gespreksleiders"),
        (None, None),
    ]
    assert document.data is None


def test_imported_registrations_keep_their_time_and_hash_and_still_verify(engine, other_engine):
    result = import_text(other_engine, export(engine, build_rich_pilot(engine)))
    with session_scope(other_engine) as session:
        rows = {h.code: h for h in hypotheses.list_hypotheses(session, result.pilot_id)}
        assert rows["H1"].registered_at == REGISTERED_AT
        assert rows["H1"].content_hash == hypotheses.content_hash(rows["H1"], "contacten")
        assert hypotheses.verify_registration(session, rows["H1"])
        assert hypotheses.verify_registration(session, rows["H2"])
        assert not rows["H3"].is_locked
        assert hypotheses.effective_values(session, rows["H2"])["min_effect"] == 0.08
        assert audit.verify_chain(session).ok


def test_import_into_an_empty_database_creates_codebook_organisation_and_owner(
    engine, other_engine
):
    result = import_text(other_engine, export(engine, build_rich_pilot(engine)))
    assert result.measures_created == 2
    with session_scope(other_engine) as session:
        assert session.exec(select(Organisation.cbs_code)).all() == ["GM0363"]
        assert session.exec(select(User.email)).all() == ["eigenaar@gemeente.example"]
        assert sorted(session.exec(select(Measure.code)).all()) == [
            "aandeel_netwerk",
            "contacten",
        ]
        actions = [(e.action, e.entity) for e in audit.list_events(session)]
    assert actions[-1] == ("import", "pilot")
    assert actions.count(("register", "hypothesis")) == 2
    assert actions.count(("amend", "hypothesis")) == 2


def test_an_existing_measure_with_the_same_definition_is_reused(engine, other_engine):
    toml = export(engine, build_rich_pilot(engine))
    with session_scope(other_engine) as session:
        factories.measure(session)
    assert import_text(other_engine, toml).measures_created == 1


def test_an_existing_measure_with_another_definition_is_refused_naming_the_field(
    engine, other_engine
):
    toml = export(engine, build_rich_pilot(engine))
    with session_scope(other_engine) as session:
        factories.measure(session, definition="Iets anders")
    before = row_counts(other_engine)
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, toml)
    [error] = caught.value.errors
    assert (error.field, error.code) == ("measures[2].definition", "measure_conflict")
    assert "Iets anders" in error.message("en")
    assert row_counts(other_engine) == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            'then_text = "dan daalt het aantal één-op-één-contacten van het wijkteam"',
            'then_text = "dan daalt het aantal contacten sterk"',
        ),
        (
            'min_effect = 10.0\nmin_effect_type = "relative"',
            'min_effect = 5.0\nmin_effect_type = "relative"',
        ),
        ('measure = "contacten"', 'measure = "aandeel_netwerk"'),
    ],
)
def test_a_registered_hypothesis_changed_in_the_file_is_refused(engine, other_engine, old, new):
    toml = export(engine, build_rich_pilot(engine))
    assert old in toml
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, toml.replace(old, new, 1))
    [error] = caught.value.errors
    assert (error.field, error.code) == ("hypotheses[1].content_hash", "hash_mismatch")
    assert "H1" in error.message("en") and "refused" in error.message("en")
    assert set(row_counts(other_engine).values()) == {0}


def test_a_forged_hash_is_refused(engine, other_engine):
    toml = export(engine, build_rich_pilot(engine))
    real = pf.loads(toml).hypotheses[0].content_hash
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, toml.replace(real, "0" * 64))
    assert caught.value.errors[0].code == "hash_mismatch"


def test_amendments_that_do_not_chain_up_are_refused(engine, other_engine):
    toml = export(engine, build_rich_pilot(engine))
    forged = toml.replace(
        'old_value = "0.05"\nnew_value = "0.08"', 'old_value = "0.02"\nnew_value = "0.08"'
    )
    assert forged != toml
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, forged)
    [error] = caught.value.errors
    assert (error.field, error.code) == (
        "hypotheses[2].amendments[2].old_value",
        "amendment_mismatch",
    )


def test_an_existing_slug_is_refused_and_nothing_is_written(engine):
    toml = export(engine, build_rich_pilot(engine))
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        import_text(engine, toml)
    [error] = caught.value.errors
    assert (error.field, error.code) == ("slug", "pilot_exists")
    assert "already in the database" in error.message("en")
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        (
            'name = "Eén-op-één-contacten per maand"',
            'name = ""',
            "measures[2].name",
            "string_too_short",
        ),
        ('slug = "netwerk-noord"', 'slug = "Netwerk Noord"', "slug", "slug"),
        (
            'name = "Amsterdam"\ncode = "GM0363"',
            'name = "Amsterdam"\ncode = "0363"',
            "organisation.code",
            "gm_code",
        ),
        ('kind = "training"', 'kind = ""', "interventions[1].kind", "string_too_short"),
    ],
)
def test_values_the_services_refuse_are_named_with_their_place_in_the_file(
    engine, other_engine, old, new, field, code
):
    toml = export(engine, build_rich_pilot(engine))
    assert old in toml
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, toml.replace(old, new, 1))
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert set(row_counts(other_engine).values()) == {0}


def test_a_failure_late_in_the_file_leaves_nothing_behind(engine, other_engine):
    toml = export(engine, build_rich_pilot(engine))
    # The last observation is refused by the journal service, after everything else was added.
    broken = toml.replace('text = "Doorgaan"', 'text = "x"')
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, broken)
    assert caught.value.errors[0].field == "observations[2].text"
    assert set(row_counts(other_engine).values()) == {0}


STRATEGY_LINE = 'strategy = "netwerkversterking"\n'


def with_intervention_type(toml: str, value: str) -> str:
    """The file with ``intervention_type`` where the export writes it (after the strategy)."""
    assert STRATEGY_LINE in toml and "intervention_type" not in toml
    return toml.replace(STRATEGY_LINE, f'{STRATEGY_LINE}intervention_type = "{value}"\n', 1)


def test_an_intervention_type_in_the_file_is_imported_and_exported_back(engine, other_engine):
    typed = with_intervention_type(export(engine, build_rich_pilot(engine)), "informele_mentor")
    result = import_text(other_engine, typed)
    with session_scope(other_engine) as session:
        pilot = session.get(Pilot, result.pilot_id)
        assert pilot is not None and pilot.intervention_type == "informele_mentor"
    assert export(other_engine, result.pilot_id) == typed


def test_without_an_intervention_type_the_key_is_left_out_and_none_is_stored(engine, other_engine):
    toml = export(engine, build_rich_pilot(engine))
    assert "intervention_type" not in toml  # not stated: not written
    result = import_text(other_engine, toml)
    with session_scope(other_engine) as session:
        pilot = session.get(Pilot, result.pilot_id)
        assert pilot is not None and pilot.intervention_type == ""


def test_an_unknown_intervention_type_is_refused_naming_the_key_and_the_choices(
    engine, other_engine
):
    typed = with_intervention_type(export(engine, build_rich_pilot(engine)), "buurtbarbecue")
    with pytest.raises(ValidationError) as caught:
        import_text(other_engine, typed)
    [error] = caught.value.errors
    assert (error.field, error.code, error.value) == ("intervention_type", "enum", "buurtbarbecue")
    allowed = ", ".join(INTERVENTION_TYPES)
    assert error.message("nl") == f"'buurtbarbecue' is geen toegestane keuze; kies uit {allowed}"
    assert error.message("en") == f"'buurtbarbecue' is not an allowed choice; choose from {allowed}"
    assert set(row_counts(other_engine).values()) == {0}


def test_every_demo_file_is_the_export_of_what_it_imports(engine):
    for path in demo_files(PROJECT_ROOT):
        with session_scope(engine) as session:
            # With the data: a measure followed without a hypothesis (Apeldoorn's sick leave)
            # is exported because the pilot has data on it.
            result = pilot_files.import_file(
                session, path, actor=ACTOR, with_data=True, root=PROJECT_ROOT
            )
        document = pf.read(path)
        again = export(engine, result.pilot_id, data=document.data, comment=DEMO_COMMENT)
        assert again.encode("utf-8") == path.read_bytes(), path.name
    with session_scope(engine) as session:
        locked = session.exec(select(Hypothesis)).all()
        assert locked and all(hypotheses.verify_registration(session, h) for h in locked)


# --------------------------------------------------------------------------- where the data are
def test_data_is_found_relative_to_the_root_or_the_file(tmp_path):
    (tmp_path / "experiments").mkdir()
    (tmp_path / "data" / "demo").mkdir(parents=True)
    csv = tmp_path / "data" / "demo" / "p.csv"
    csv.write_text("measure\n", encoding="utf-8")
    toml = tmp_path / "experiments" / "p.toml"
    document = pf.PilotFile(
        slug="p1",
        title="Pilot",
        municipality="Utrecht",
        municipality_code="GM0344",
        baseline_start=dt.date(2020, 1, 1),
        intervention_start=dt.date(2020, 6, 1),
        evaluation_end=dt.date(2020, 12, 31),
        organisation=pf.OrganisationEntry("Utrecht", "GM0344"),
        data="data/demo/p.csv",
    )
    assert pilot_files.data_path(document, toml) == csv
    assert pilot_files.data_path(document, toml, root=tmp_path) == csv
    beside = pf.PilotFile(**(document.__dict__ | {"data": "../data/demo/p.csv"}))
    assert pilot_files.data_path(beside, toml).resolve() == csv
    assert pilot_files.data_path(pf.PilotFile(**(document.__dict__ | {"data": None})), toml) is None
    with pytest.raises(ValidationError) as caught:
        pilot_files.data_path(pf.PilotFile(**(document.__dict__ | {"data": "nergens.csv"})), toml)
    assert caught.value.errors[0].code == "data_file_missing"


# --------------------------------------------------------------------------- the CLI
@pytest.fixture
def cli_db(tmp_path: Path) -> dict[str, str]:
    url = migrated_sqlite_url(tmp_path / "cli.db")
    return {"TRACKER_DATABASE_URL": url, "TRACKER_ACTOR": "cli@test.example"}


def test_the_cli_exports_and_imports_a_pilot_file(cli_db, tmp_path):
    runner = CliRunner()
    source = demo_files(PROJECT_ROOT)[0]
    imported = runner.invoke(app, ["pilots", "import", str(source)], env=cli_db)
    assert imported.exit_code == 0, imported.output
    slug = pf.read(source).slug
    assert slug in imported.output
    out = tmp_path / "out.toml"
    data = pf.read(source).data
    exported = runner.invoke(
        app, ["pilots", "export", slug, "--out", str(out), "--data", data], env=cli_db
    )
    assert exported.exit_code == 0, exported.output
    assert f"# {DEMO_COMMENT}\n".encode() + out.read_bytes() == source.read_bytes()
    to_stdout = runner.invoke(app, ["pilots", "export", "1"], env=cli_db)
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith(f'format_version = 1\nslug = "{slug}"\n')
    listed = runner.invoke(app, ["pilots", "list", "--format", "json"], env=cli_db)
    assert [p["slug"] for p in json.loads(listed.stdout)] == [slug]


def test_the_cli_refuses_an_unknown_intervention_type_naming_the_key(cli_db, tmp_path):
    document = pf.PilotFile(
        slug="buurtcirkels",
        title="Buurtcirkels",
        municipality="Utrecht",
        municipality_code="GM0344",
        baseline_start=dt.date(2020, 1, 1),
        intervention_start=dt.date(2020, 6, 1),
        evaluation_end=dt.date(2020, 12, 31),
        organisation=pf.OrganisationEntry("Utrecht", "GM0344"),
        domains=("wmo",),
        strategy="netwerkversterking",
    )
    broken = tmp_path / "buurtcirkels.toml"
    broken.write_text(with_intervention_type(pf.dumps(document), "buurtbarbecue"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app, ["pilots", "import", str(broken)], env=cli_db | {"TRACKER_LANGUAGE": "en"}
    )
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())  # as read, whatever the console's wrapping
    assert message == (
        f"Error: {broken.name}: intervention_type: 'buurtbarbecue' is not an allowed choice; "
        f"choose from {', '.join(INTERVENTION_TYPES)}"
    )
    listed = runner.invoke(app, ["pilots", "list", "--format", "json"], env=cli_db)
    assert json.loads(listed.stdout) == []


def test_the_cli_refuses_an_existing_slug_with_a_message_and_exit_code_1(cli_db):
    runner = CliRunner()
    source = str(demo_files(PROJECT_ROOT)[0])
    assert runner.invoke(app, ["pilots", "import", source], env=cli_db).exit_code == 0
    again = runner.invoke(
        app, ["pilots", "import", source], env=cli_db | {"TRACKER_LANGUAGE": "en"}
    )
    assert again.exit_code == 1
    assert "already in the database" in again.stderr
