"""Measurement imports in real, separate OS processes: running at once, and killed midway.

Issue 7: parallel imports into SQLite and PostgreSQL lose no rows and show the user no
"database is locked"; a process killed in the middle of an import leaves the database as it
was. Threads in one process would not show either: SQLite's locks, PostgreSQL's connections
and a SIGKILL all act per process. So every import here runs in its own process.

Each child runs the real command line (``tracker measurements import FILE --pilot SLUG
--measure CODE``: the CLI's own transaction, error reporting and output) in-process. The
children come from a ``forkserver`` that has imported the tracker once: a fresh interpreter
per child (``tracker`` on the command line, or ``spawn``) spends about 8 s of CPU importing
pandas, scipy and statsmodels, i.e. half a minute before 8 imports even begin on 2 CPUs.
Forked from the server, a child starts in milliseconds, owns no inherited connection (the
server never opened one) and is an ordinary process with its own pid, sockets and locks.

Both tests run on SQLite and, when ``TEST_DATABASE_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests import factories
from tests.import_helpers import CONTINUOUS, World, make_world
from tracker.config import Settings
from tracker.db import make_engine, session_scope
from tracker.models import AuditEvent, Measurement
from tracker.services import audit
from tracker.services.access import system
from tracker.services.measurements import count_measurements, import_measurements

WORKERS = 8
ROWS_PER_WORKER = 5_000
KILLED_ROWS = 240_000
# Months 2020-01 .. 2022-01: inside the pilot's period (factories.pilot) and in the past.
MONTHS = [dt.date(2020 + m // 12, m % 12 + 1, 1) for m in range(25)]
GROUPS = ("pilot", "comparison")
ACTOR = "importer@gemeente.example"  # TRACKER_ACTOR of the CLI children
LOCKED_WORDS = ("database is locked", "locked", "Traceback")
# How long a child may take before the test gives up on it (a hang is a failure, not a wait).
CHILD_TIMEOUT_S = 180


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class ImportFile:
    """A CSV of continuous measurements and the (period, area, group) keys it holds."""

    path: Path
    keys: frozenset[tuple[dt.date, str, str]]


def write_file(path: Path, rows: int, *, area_prefix: str) -> ImportFile:
    """``rows`` measurements whose keys no other file shares: the areas (CBS neighbourhood
    codes, "BU" + 8 digits) all start with ``area_prefix``, 25 months × 2 groups per area."""
    per_area = len(MONTHS) * len(GROUPS)
    assert rows % per_area == 0, f"rows must be a multiple of {per_area}"
    digits = 8 - (len(area_prefix) - 2)
    lines = ["period,area,group,value"]
    keys = set()
    for a in range(rows // per_area):
        area = f"{area_prefix}{a:0{digits}d}"
        assert len(area) == 10, area
        for month in MONTHS:
            for group in GROUPS:
                lines.append(f"{month.isoformat()},{area},{group},{(a % 97) + month.month}.5")
                keys.add((month, area, group))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ImportFile(path, frozenset(keys))


# ----------------------------------------------------------------------------- children
def _forkserver() -> ForkServerContext:
    """The process context: forked from a server that imported the tracker (and this module,
    whose functions the children run) once, before any database was opened."""
    context = multiprocessing.get_context("forkserver")
    # Only takes effect when the server starts; later calls (a second test) change nothing.
    context.set_forkserver_preload(["tracker.cli", __name__])
    return context


@contextmanager
def _bare_main() -> Iterator[None]:
    """Start children with a bare ``__main__``. AppTest (the app tests, when they ran earlier in
    this worker) leaves ``sys.modules["__main__"]`` set to the last app script it ran, and
    multiprocessing would run that script again in every child, as ``__mp_main__``."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


def cli_import_child(
    database_url: str, file: str, slug: str, log: str, barrier: Any | None = None
) -> None:
    """Child process: ``tracker measurements import FILE --pilot SLUG --measure contacten``.

    stdout and stderr (file descriptors 1 and 2, so whatever writes them) go to ``log``;
    ``log`` + ".json" gets the exit code and when the command started and ended
    (``time.monotonic``: one clock for every process on the machine). With ``barrier``, the
    child waits there until every child is ready, so that the imports really start together.
    """
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.environ.update(TRACKER_DATABASE_URL=database_url, TRACKER_ACTOR=ACTOR, TRACKER_LANGUAGE="en")
    from tracker.cli import app  # preloaded by the fork server: no import time here

    args = ["measurements", "import", file, "--pilot", slug, "--measure", CONTINUOUS]
    if barrier is not None:
        barrier.wait(CHILD_TIMEOUT_S)
    started = time.monotonic()
    code: Any = 0
    try:
        app(args=args, prog_name="tracker")
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        traceback.print_exc()
        code = 99
    ended = time.monotonic()
    Path(log + ".json").write_text(json.dumps({"code": code, "start": started, "end": ended}))
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _wait_all(processes: list[BaseProcess]) -> None:
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    hung = [p.pid for p in processes if p.is_alive()]
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(5)
    assert not hung, f"import processes {hung} did not finish within {CHILD_TIMEOUT_S} s"


# ----------------------------------------------------------------------------- reading back
def stored_keys(engine: Engine, pilot_id: int) -> set[tuple[dt.date, str, str]]:
    """(period, area, group) of every stored measurement of the pilot."""
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(
            select(Measurement.period, Measurement.area, Measurement.group).where(
                Measurement.pilot_id == pilot_id
            )
        ).all()
    return {(period, area, str(group)) for period, area, group in rows}


def import_events(engine: Engine, pilot_id: int) -> list[AuditEvent]:
    with session_scope(engine, read_only=True) as session:
        return list(
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.pilot_id == pilot_id,
                    AuditEvent.entity == "measurement",
                    AuditEvent.action == "import",
                )
            ).all()
        )


# ----------------------------------------------------------------------------- parallel
def test_eight_processes_importing_at_once_lose_no_rows(engine, tmp_path):
    """8 processes × 5,000 rows with disjoint keys, all released at once: every process exits
    0 and says nothing about a lock, and exactly the 40,000 rows (each file's own) are there.

    The pilot has a hypothesis on the measure, so each import also refreshes the pilot's
    verdicts in its transaction: the part where the imports of one pilot meet.
    """
    world = make_world(engine)
    with session_scope(engine) as session:
        factories.hypothesis(session, world.pilot_id)
    files = [
        write_file(tmp_path / f"wijk-{w}.csv", ROWS_PER_WORKER, area_prefix=f"BU036{w}")
        for w in range(WORKERS)
    ]
    context = _forkserver()
    barrier = context.Barrier(WORKERS)
    logs = [str(tmp_path / f"worker-{w}.log") for w in range(WORKERS)]
    processes = [
        context.Process(
            target=cli_import_child,
            args=(_url(engine), str(f.path), world.slug, log, barrier),
            name=f"import-{w}",
        )
        for w, (f, log) in enumerate(zip(files, logs, strict=True))
    ]
    began = time.monotonic()
    with _bare_main():
        for process in processes:
            process.start()
    _wait_all(processes)
    elapsed = time.monotonic() - began

    outputs = [Path(log).read_text(encoding="utf-8", errors="replace") for log in logs]
    for process, output in zip(processes, outputs, strict=True):
        assert process.exitcode == 0, f"{process.name} exited {process.exitcode}:\n{output}"
        for word in LOCKED_WORDS:
            assert word.lower() not in output.lower(), f"{process.name} said {word!r}:\n{output}"
        assert f"{ROWS_PER_WORKER} measurements added" in output, output

    stamps = [json.loads(Path(log + ".json").read_text()) for log in logs]
    # Every import had begun before the first one ended: they really ran at the same time.
    last_start = max(s["start"] for s in stamps)
    first_end = min(s["end"] for s in stamps)
    assert last_start < first_end, f"the imports did not overlap: {stamps}"

    with session_scope(engine, read_only=True) as session:
        assert count_measurements(session, world.pilot_id) == WORKERS * ROWS_PER_WORKER
        assert audit.verify_chain(session).ok
    stored = stored_keys(engine, world.pilot_id)
    for w, f in enumerate(files):
        assert f.keys <= stored, f"worker {w}: {len(f.keys - stored)} of its rows are missing"
    assert len(stored) == WORKERS * ROWS_PER_WORKER
    events = import_events(engine, world.pilot_id)
    assert sorted(e.after["file"] for e in events) == sorted(f.path.name for f in files)
    print(f"\n{engine.dialect.name}: {WORKERS} imports in {elapsed:.1f} s")


# ----------------------------------------------------------------------------- killed
def _sqlite_writing(engine: Engine) -> Callable[[], bool]:
    """True once the write-ahead log has grown by 2 MB: measurement pages no longer fit the
    page cache and are being written out, i.e. the insert is well under way (and, being
    uncommitted, must vanish)."""
    database = engine.url.database
    assert database
    wal = Path(database + "-wal")
    baseline = wal.stat().st_size if wal.exists() else 0
    return lambda: wal.exists() and wal.stat().st_size > baseline + 2 * 1024 * 1024


def _postgresql_writing(engine: Engine) -> Callable[[], bool]:
    """True once a COPY into this schema's measurement table has taken 20,000 rows
    (``pg_stat_progress_copy``, PostgreSQL 14+)."""

    def writing() -> bool:
        with engine.connect() as conn:
            done = conn.execute(
                text(
                    "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy "
                    "WHERE relid = to_regclass('measurement')"
                )
            ).scalar_one()
        return int(done) >= 20_000

    return writing


def kill_while_writing(engine: Engine, world: World, file: ImportFile, log: str) -> int:
    """Start the import of ``file`` in a child, SIGKILL it while its rows are being written;
    return the child's exit code (-9 when it was alive to be killed)."""
    writing = (
        _sqlite_writing(engine) if engine.dialect.name == "sqlite" else _postgresql_writing(engine)
    )
    context = _forkserver()
    child = context.Process(
        target=cli_import_child, args=(_url(engine), str(file.path), world.slug, log)
    )
    with _bare_main():
        child.start()
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    try:
        while not writing():
            if not child.is_alive():
                output = Path(log).read_text(encoding="utf-8", errors="replace")
                pytest.fail(
                    f"the import ended (exit {child.exitcode}) before it was seen writing; "
                    f"make the file larger than {len(file.keys)} rows:\n{output}"
                )
            assert time.monotonic() < deadline, "the import was never seen writing"
            time.sleep(0.005)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(CHILD_TIMEOUT_S)
    finally:
        if child.is_alive():
            child.kill()
            child.join(5)
    assert child.exitcode is not None
    return child.exitcode


def test_a_killed_import_leaves_nothing(engine, tmp_path):
    """A 240,000-row import killed (SIGKILL, no cleanup of any kind) while its rows are being
    written: no measurement and no audit event remain, the database is intact and not locked,
    and importing the same keys afterwards succeeds."""
    world = make_world(engine)
    big = write_file(tmp_path / "groot.csv", KILLED_ROWS, area_prefix="BU03")
    log = str(tmp_path / "killed.log")
    before_events = len(import_events(engine, world.pilot_id))

    exitcode = kill_while_writing(engine, world, big, log)
    output = Path(log).read_text(encoding="utf-8", errors="replace")
    assert exitcode == -signal.SIGKILL, (
        f"the import was not killed but exited {exitcode}:\n{output}"
    )

    # A fresh engine, as the next user would open; on SQLite its first read recovers the WAL
    # (the killed transaction's frames have no commit and are ignored). A short busy timeout:
    # a lock left behind must fail this test quickly, not after the default 30 s.
    after = make_engine(_url(engine), settings=Settings(sqlite_busy_timeout_ms="5000"))
    try:
        with session_scope(after, read_only=True) as session:
            assert count_measurements(session, world.pilot_id) == 0
            if after.dialect.name == "sqlite":
                assert session.exec(text("PRAGMA integrity_check")).one()[0] == "ok"
            assert audit.verify_chain(session).ok
        assert len(import_events(after, world.pilot_id)) == before_events == 0

        # The same keys again (the first 5,000, written before the kill): no leftover row or
        # index entry makes them duplicates, and no lock blocks the write.
        again = write_file(tmp_path / "opnieuw.csv", ROWS_PER_WORKER, area_prefix="BU03")
        assert again.keys <= big.keys
        with session_scope(after) as session:
            report = import_measurements(
                session, world.pilot_id, again.path, measure_code=CONTINUOUS, actor=system(ACTOR)
            )
        assert (report.errors, report.rows_written) == ([], ROWS_PER_WORKER)
        assert stored_keys(after, world.pilot_id) == set(again.keys)
        assert len(import_events(after, world.pilot_id)) == 1
    finally:
        after.dispose()
