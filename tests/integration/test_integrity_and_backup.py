"""`tracker audit verify` finds a change made outside the app; `tracker db backup` and
`tracker db restore` round-trip a live SQLite database.

The database here is a real SQLite file with the demo pilots; the audit chain, hypothesis
fingerprints and published reports are edited with plain SQL, as someone with database access
but not the app would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from tests.db_helpers import migrated_sqlite_url
from tracker.cli import app
from tracker.db import make_engine, session_scope
from tracker.models import Pilot
from tracker.services.access import system
from tracker.services.demo import load_demo
from tracker.services.pilots import resolve_pilot
from tracker.services.reports import publish_report

PROJECT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def demo_file(tmp_path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "proeftuin.db"
    url = migrated_sqlite_url(path)
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_demo(session, actor=system("test"), root=PROJECT)
        publish_report(
            session, resolve_pilot(session, "informele-mentoren-rotterdam").id, actor=system("test")
        )
    engine.dispose()
    return path, {"TRACKER_DATABASE_URL": url, "TRACKER_LANGUAGE": "nl"}


def tracker(env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env)


def sql(path: Path, statement: str, *params) -> None:
    with sqlite3.connect(path) as con:
        con.execute(statement, params)


def test_an_untouched_database_verifies(demo_file):
    _, env = demo_file
    result = tracker(env, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "In orde:" in result.output
    assert "0 gepubliceerde" not in result.output and "1 gepubliceerde rapporten" in result.output


def test_an_edited_audit_event_is_named(demo_file):
    path, env = demo_file
    sql(path, "UPDATE audit_event SET actor = 'iemand anders' WHERE id = 7")
    result = tracker(env, "audit", "verify")
    assert result.exit_code == 1
    assert "gebroken bij gebeurtenis 7" in result.output


def test_a_deleted_audit_event_breaks_the_chain_at_the_next(demo_file):
    path, env = demo_file
    sql(path, "DELETE FROM audit_event WHERE id = 12")
    result = tracker(env, "audit", "verify")
    assert result.exit_code == 1 and "gebeurtenis 13" in result.output


def test_a_registered_hypothesis_changed_in_the_database_is_named(demo_file):
    path, env = demo_file
    sql(
        path,
        "UPDATE hypothesis SET min_effect = 1 WHERE code = 'H1' AND pilot_id = "
        "(SELECT id FROM pilot WHERE slug = 'netwerkbijeenkomsten-utrecht')",
    )
    result = tracker(env, "audit", "verify")
    assert result.exit_code == 1
    assert "netwerkbijeenkomsten-utrecht/H1" in result.output
    assert "gebroken" not in result.output  # the chain itself is intact


def test_a_published_report_changed_in_the_database_is_named(demo_file):
    path, env = demo_file
    sql(path, "UPDATE report SET content = replace(content, 'Rotterdam', 'Rotterdan')")
    result = tracker(env, "audit", "verify")
    assert result.exit_code == 1
    assert "informele-mentoren-rotterdam #1" in result.output


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_backup_then_restore_brings_back_exactly_what_was_saved(demo_file, tmp_path):
    path, env = demo_file
    before = counts(path)
    backup = tmp_path / "backups" / "proeftuin-2026-11-25.db"
    result = tracker(env, "db", "backup", "--out", str(backup))
    assert result.exit_code == 0, result.output
    assert backup.is_file() and not Path(f"{backup}-wal").exists()
    assert counts(backup) == before

    # Life goes on: a pilot is deleted by mistake (with everything below it).
    engine = make_engine(env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as session:
        assert session.exec(select(Pilot)).all()
    engine.dispose()
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("DELETE FROM measurement")
        con.execute("DELETE FROM report")
    assert counts(path) != before

    result = tracker(env, "db", "restore", "--from", str(backup))
    assert result.exit_code == 0, result.output
    assert counts(path) == before
    verify = tracker(env, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    # The restored database works as before: the app's own reads and writes.
    assert tracker(env, "pilots", "list").exit_code == 0


def test_a_backup_never_overwrites_and_a_bad_file_is_never_restored(demo_file, tmp_path):
    path, env = demo_file
    before = counts(path)
    taken = tmp_path / "bestaat.db"
    taken.write_bytes(b"iets")
    result = tracker(env, "db", "backup", "--out", str(taken))
    assert result.exit_code == 1 and "bestaat al" in result.output
    assert taken.read_bytes() == b"iets"

    garbage = tmp_path / "geen-backup.db"
    garbage.write_bytes(b"dit is geen database" * 100)
    result = tracker(env, "db", "restore", "--from", str(garbage))
    assert result.exit_code == 1 and "geen bruikbare Proeftuin-backup" in result.output
    foreign = tmp_path / "vreemd.db"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE x (y)")
    result = tracker(env, "db", "restore", "--from", str(foreign))
    assert result.exit_code == 1 and "er is niets overschreven" in result.output
    assert counts(path) == before


def test_postgresql_is_pointed_to_pg_dump(tmp_path):
    env = {"TRACKER_DATABASE_URL": "postgresql+psycopg://x:y@localhost:1/none"}
    result = tracker(env, "db", "backup", "--out", str(tmp_path / "b.db"))
    assert result.exit_code == 1 and "pg_dump" in result.output
