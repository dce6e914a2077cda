"""App benchmark: the overview and a pilot page on a large database, server side and in Chromium.

    .venv/bin/python -m benchmarks.bench_app                      # 1,000 pilots, 2,000,000 rows
    .venv/bin/python -m benchmarks.bench_app --quick              # 40 pilots: a smoke test
    .venv/bin/python -m benchmarks.bench_app --pilots 200 --measurements 400000

The database: a migrated SQLite file with ``--pilots`` pilots of one organisation (the pages show
a person their own organisation's pilots) in 40 (fictitious) municipalities,
five registered hypotheses each (one per measure of a shared five-measure codebook: difference-
in-differences, continuous and count interrupted time series, pre/post on a proportion, SPC),
``--measurements`` measurements spread evenly over the hypotheses (by default 400 each: 40 monthly
periods × 10 areas, half pilot and half comparison group), two interventions and a journal note
per pilot, and a stored verdict for every hypothesis (``refresh_verdicts``). Everything is
written through the services (audit trail included) except the measurements, which go in with
``store_measurement_frame``, the bulk insert under the import. The file is built once and kept
in ``--data-dir`` (default: the system temp directory), keyed by ``DATA_VERSION``, the schema
revision and the sizes; ``--rebuild`` builds it afresh.

Server side (in this process, ``streamlit.testing.v1.AppTest`` against that file):

- page time: ``AppTest.run()`` of the overview (``pages/home.py``) and of the pilot page
  (``pages/pilot.py?pilot=<slug>``, a pilot in the middle), best of ``--repeat`` reruns after a
  warm-up run (a rerun in the same session, as after a click; the engine is cached), with the
  scripts compiled once as a server does (``compiled_once``: AppTest alone recompiles them on
  every run);
- empty-page time: the same for a script that only does ``st.write("")``: what Streamlit and
  AppTest cost for any page;
- bare SQL: every statement the page sent to the database, captured with SQLAlchemy
  ``before_cursor_execute`` during one page run, then replayed with ``sqlite3`` on the same
  file, with the same parameters, in one read transaction, fetching every row (best of
  ``--repeat``). The baseline holds each *distinct* data statement once: no repeats of the same
  statement, no schema-version checks (``alembic_version``), no transaction control, and no
  analysis (fitting) and no building of rows, frames or charts. The replay of every data
  statement as issued is reported too.

ratio = (page time − empty-page time) / bare SQL time; target ≤ 2 for each page. Also reported,
to show where a page's time goes: timers around the data access, the services, the analysis
fits, the charts and Streamlit's table and chart elements (fastest of ``--repeat`` runs per
part), and the top functions of a cProfile of the script thread (per run, over up to 3 runs).
The pilot page fits the models of its analysis tab on every run; the bare SQL does not, so see
``ratio_without_fits`` and the breakdown before blaming the data access.

In Chromium (``streamlit run`` on 127.0.0.1 against the same file, Debian's /usr/bin/chromium
driven by Playwright, the flags of tests/e2e/browser.py): time from the click on "Inloggen" on
the sign-in form that the page's address shows (a new session always signs in) to a usable
page, i.e. Streamlit idle (``data-test-script-state="notRunning"``) with the pilots table
(overview) or the pilot's heading (pilot page) visible; a fresh browser context (new session)
per load, best of ``--browser-repeat`` after a warm-up load; and, for scale, the same for an
empty Streamlit page (one heading, no sign-in) from navigation start, on its own server. No
target; ``--no-browser`` skips it.

Writes benchmarks/results/app.json.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import logging
import os
import platform
import pstats
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"
RESULTS = Path(__file__).resolve().parent / "results" / "app.json"
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "proeftuin-bench-app"
# Bump when the generated data change (the schema revision is part of the key already).
DATA_VERSION = "2"  # 2: one organisation and a signed-in reader
TARGET_RATIO = 2.0

PILOTS = 1_000
MEASUREMENTS = 2_000_000
QUICK_PILOTS = 40
QUICK_MEASUREMENTS = 16_000  # 80 per hypothesis: 40 months × 2 areas
MUNICIPALITIES = 40
PERIODS = 40  # months per hypothesis (fewer areas rather than fewer months when scaled down)
ACTOR = "bench@proeftuin.example"  # who the audit trail names for the built data
# The organisation of every benchmark pilot, and the manager who reads them (signed in).
ORGANISATION = ("Benchmarkorganisatie", "GM0999")
READER = "manager@bench.proeftuin.example"
READER_PASSWORD = "bench-manager-wachtwoord"
PILOT_SLUG = "pilot-{:04d}"

# (code, name, kind, better, design of its hypothesis, expected direction, min effect %)
MEASURES: tuple[tuple[str, str, str, str, str, str, float], ...] = (
    (
        "wachttijd",
        "Wachttijd tot eerste gesprek (dagen)",
        "continuous",
        "lower",
        "auto",
        "decrease",
        5,
    ),
    ("contacten", "Eén-op-één-contacten per maand", "continuous", "lower", "its", "decrease", 5),
    ("meldingen", "Meldingen van overlast", "count", "lower", "its", "decrease", 10),
    ("deelname", "Aandeel deelnemers", "proportion", "higher", "prepost", "increase", 5),
    ("tevredenheid", "Tevredenheid (rapportcijfer)", "continuous", "higher", "spc", "increase", 2),
)
HYPOTHESES_PER_PILOT = len(MEASURES)
DOMAINS = ("wmo", "jeugd", "participatie", "schuldhulp", "veiligheid", "onderwijs")
STRATEGIES = (
    "netwerkversterking",
    "mentoring",
    "vroegsignalering",
    "outreachend werken",
    "buurtteams",
    "schuldpreventie",
    "taalcoaching",
    "sportstimulering",
)
STATUSES = ("running", "running", "evaluating", "closed", "baseline")

# The browser: the same Chromium, flags, window and idle marker as the end-to-end tests.
from tests.e2e.browser import (  # noqa: E402
    APP_IDLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    SIGN_IN_EMAIL,
    SIGN_IN_PASSWORD,
    VIEWPORT,
)

SERVER_START_TIMEOUT = 120  # seconds
PAGE_TIMEOUT = 600  # seconds, one page run (AppTest) or one page load (browser)
EMPTY_PAGE = 'import streamlit as st\n\nst.write("")\n'
# In the browser the empty page needs something to wait for: one heading.
EMPTY_BROWSER_PAGE = 'import streamlit as st\n\nst.title("Leeg")\n'


# ----------------------------------------------------------------------------------- database
def _month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _layout(pilots: int, measurements: int) -> tuple[int, int]:
    """(areas, periods) per hypothesis for ``measurements`` rows over ``pilots`` pilots."""
    per_hypothesis = measurements // (pilots * HYPOTHESES_PER_PILOT)
    areas = max(2, per_hypothesis // PERIODS)
    areas -= areas % 2  # as many comparison areas as pilot areas
    periods = per_hypothesis // areas
    if periods < 20:
        raise SystemExit(
            f"--measurements {measurements:,} gives {per_hypothesis} rows per hypothesis: "
            f"at least {20 * 2 * pilots * HYPOTHESES_PER_PILOT:,} are needed for {pilots} pilots"
        )
    return areas, periods


def database_path(data_dir: Path, pilots: int, measurements: int) -> Path:
    from tracker import migrate

    head = migrate.head_revision() or "none"
    name = f"app-v{DATA_VERSION}-{head}-{pilots}p-{measurements}m.db"
    return data_dir / name


def _pilot_data(i: int, areas: int, periods: int) -> dict[str, Any]:
    m = i % MUNICIPALITIES
    gm = 9001 + m
    first = _month(dt.date(2020, 1, 1), (i * 7) % 42)  # 40 months fit before autumn 2026
    last = _month(first, periods - 1)
    end = _month(last, 1 + 6 * (i % 3)) - dt.timedelta(days=1)  # some still run after the data
    strategy = STRATEGIES[i % len(STRATEGIES)]
    domains = [DOMAINS[i % len(DOMAINS)]]
    if i % 3 == 0:
        domains.append(DOMAINS[(i + 2) % len(DOMAINS)])
    return {
        "slug": PILOT_SLUG.format(i),
        "title": f"{strategy.capitalize()} {i:04d}",
        "aim": "Fictieve benchmarkpilot: " + strategy,
        "municipality": f"Benchmarkgemeente {m + 1:02d}",
        "municipality_code": f"GM{gm:04d}",
        "domains": domains,
        "areas": [
            {
                "code": f"WK{gm:04d}{k:02d}",
                "name": f"Wijk {k}",
                "group": "pilot" if k < areas // 2 else "comparison",
            }
            for k in range(areas)
        ],
        "partners": ["welzijnsorganisatie", "GGD"],
        "strategy": strategy,
        "baseline_start": first,
        "intervention_start": _month(first, periods // 2),
        "evaluation_end": end,
        "status": STATUSES[i % len(STATUSES)],
        "owner_email": f"eigenaar{m + 1:02d}@bench.proeftuin.example",
    }


def _measurement_frame(i: int, pilot: dict[str, Any], periods: int, measure_ids: list[int]):
    """The pilot's rows: every measure × period × area, with an effect that varies by pilot."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1000 + i)
    areas = [a["code"] for a in pilot["areas"]]
    in_pilot = np.array([a["group"] == "pilot" for a in pilot["areas"]])
    first = pilot["baseline_start"]
    months = [_month(first, p) for p in range(periods)]
    n_areas = len(areas)
    n = periods * n_areas
    period = np.repeat(np.array(months, dtype=object), n_areas)
    area = np.tile(np.array(areas, dtype=object), periods)
    treated = np.tile(in_pilot, periods)
    after = np.repeat(np.arange(periods) >= periods // 2, n_areas)
    trend = np.repeat(np.arange(periods) / periods, n_areas)
    shift = (treated & after).astype(float)
    effect = (-0.15, -0.08, 0.0, 0.04, -0.3)[i % 5]  # a verdict mix across the portfolio
    frames = []
    for (code, _name, kind, better, *_), measure_id in zip(MEASURES, measure_ids, strict=True):
        sign = 1.0 if better == "higher" else -1.0
        columns: dict[str, Any] = {}
        if kind == "continuous":
            level = {"wachttijd": 30.0, "contacten": 100.0, "tevredenheid": 7.0}[code]
            noise = rng.normal(0.0, level * 0.06, n)
            value = level * (1 + 0.02 * trend + sign * -effect * shift) + noise
            columns["value"] = np.round(value, 3)
        elif kind == "count":
            exposure = rng.integers(4_000, 6_000, n).astype(float)
            rate = 0.01 * (1 + effect * shift)
            columns["count"] = rng.poisson(exposure * rate).astype(float)
            columns["exposure"] = exposure
        else:
            denominator = rng.integers(150, 250, n).astype(float)
            p = np.clip(0.3 * (1 - effect * shift), 0.01, 0.99)
            columns["numerator"] = rng.binomial(denominator.astype(int), p).astype(float)
            columns["denominator"] = denominator
        frames.append(
            pd.DataFrame(
                {
                    "measure_id": measure_id,
                    "period": period,
                    # Categoricals, as the file reader gives them (an object column trips
                    # store_measurement_frame under pandas 3: its array is read-only).
                    "area": pd.Categorical(area),
                    "group": pd.Categorical(np.where(treated, "pilot", "comparison")),
                    **columns,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_database(path: Path, pilots: int, measurements: int) -> dict[str, float]:
    """Build the benchmark database at ``path`` (through a temporary name); seconds per stage."""
    from tracker import migrate
    from tracker.db import make_engine, session_scope
    from tracker.services import accounts, hypotheses, journal, measures, organisations
    from tracker.services import pilots as pilot_service
    from tracker.services.access import system
    from tracker.services.measurements import store_measurement_frame
    from tracker.services.verdicts import refresh_verdicts

    actor = system(ACTOR)  # the builder writes as a trusted script, like the demo loader

    areas, periods = _layout(pilots, measurements)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    stages: dict[str, float] = {}
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{partial}")

    def stage(name: str, t0: float) -> None:
        stages[name] = time.perf_counter() - t0
        print(f"  {name}: {stages[name]:.1f} s", flush=True)

    t0 = time.perf_counter()
    migrate.upgrade(engine)
    stage("schema", t0)

    t0 = time.perf_counter()
    data = [_pilot_data(i, areas, periods) for i in range(pilots)]
    with session_scope(engine) as session:
        measure_ids = [
            measures.create_measure(
                session,
                {
                    "code": code,
                    "name": name,
                    "unit": "",
                    "kind": kind,
                    "better_direction": better,
                    "source": "benchmark",
                },
                actor=actor,
            ).id
            for code, name, kind, better, *_ in MEASURES
        ]
        org = organisations.get_or_create_organisation(
            session, name=ORGANISATION[0], cbs_code=ORGANISATION[1], actor=actor
        )
        accounts.add_user(
            session,
            email=READER,
            display_name="Benchmarklezer",
            role="manager",
            organisation_id=org.id,
            password=READER_PASSWORD,
            actor=actor,
        )
        for m in range(min(MUNICIPALITIES, pilots)):
            organisations.get_or_create_user(
                session,
                organisation_id=org.id,
                email=data[m]["owner_email"],
                display_name=f"Eigenaar {m + 1:02d}",
                actor=actor,
            )
        pilot_ids = []
        for i, pilot in enumerate(data):
            pilot_id = pilot_service.create_pilot(
                session,
                pilot,
                organisation_id=org.id,
                actor=actor,
            ).id
            pilot_ids.append(pilot_id)
            for number, (code, _, _, _, design, expect, delta) in enumerate(MEASURES, start=1):
                hypotheses.add_hypothesis(
                    session,
                    pilot_id,
                    {
                        "code": f"H{number}",
                        "if_text": f"Als we {pilot['strategy']} inzetten in de pilotwijken",
                        "then_text": f"dan verandert {code} in de verwachte richting",
                        "because_text": "omdat de aanpak het probleem eerder en dichterbij vangt",
                        "measure_code": code,
                        "expected_direction": expect,
                        "min_effect": delta,
                        "min_effect_type": "relative",
                        "design": design,
                        "is_primary": number <= 3,
                    },
                    actor=actor,
                )
            registered = dt.datetime.combine(pilot["baseline_start"], dt.time(9), dt.UTC)
            hypotheses.register_hypotheses(session, pilot_id, actor=actor, now=registered)
            for k, (offset, status) in enumerate(((0, "delivered"), (6, "planned"))):
                journal.add_intervention(
                    session,
                    pilot_id,
                    {
                        "date": _month(pilot["intervention_start"], offset),
                        "kind": "bijeenkomst" if k == 0 else "training",
                        "title": f"Interventie {k + 1} van pilot {i:04d}",
                        "description": "Fictieve interventie voor de benchmark",
                        "status": status,
                    },
                    actor=actor,
                )
            journal.add_observation(
                session,
                pilot_id,
                {
                    "date": _month(pilot["intervention_start"], 2),
                    "kind": "obstacle",
                    "text": "De opkomst in de eerste maanden viel tegen.",
                    "hypothesis_code": "H1",
                },
                actor=actor,
            )
            if (i + 1) % 250 == 0 or i + 1 == pilots:
                print(f"  pilots and hypotheses: {i + 1:,}/{pilots:,}", flush=True)
    stage("pilots, hypotheses, interventions (services, audited)", t0)

    t0 = time.perf_counter()
    rows = 0
    with session_scope(engine) as session:
        for i, (pilot, pilot_id) in enumerate(zip(data, pilot_ids, strict=True)):
            frame = _measurement_frame(i, pilot, periods, measure_ids)
            rows += store_measurement_frame(
                session, pilot_id, frame, source="benchmark.csv", actor=actor
            )
            if (i + 1) % 250 == 0 or i + 1 == pilots:
                print(f"  measurements: {rows:,} rows, {i + 1:,}/{pilots:,} pilots", flush=True)
    stage("measurements (store_measurement_frame)", t0)

    t0 = time.perf_counter()
    chunk = 50
    for start in range(0, pilots, chunk):
        with session_scope(engine) as session:
            for pilot_id in pilot_ids[start : start + chunk]:
                refresh_verdicts(session, pilot_id)
        done = min(start + chunk, pilots)
        if done % 100 == 0 or done == pilots:
            elapsed = time.perf_counter() - t0
            print(f"  verdicts: {done:,}/{pilots:,} pilots ({elapsed:.0f} s)", flush=True)
    stage("verdicts (refresh_verdicts per pilot)", t0)

    engine.dispose()
    with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    stages["total"] = time.perf_counter() - started
    print(f"  built in {stages['total']:.0f} s: {path}", flush=True)
    return stages


def database_counts(path: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as con:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "pilot",
                "hypothesis",
                "measurement",
                "hypothesis_verdict",
                "intervention",
                "observation",
                "audit_event",
            )
        }


# ------------------------------------------------------------------------- server side: timing
@contextlib.contextmanager
def app_pointed_at(url: str) -> Iterator[None]:
    """TRACKER_DATABASE_URL set for the app, Streamlit's resource cache empty before and after."""
    import streamlit as st

    saved = {k: os.environ.get(k) for k in ("TRACKER_DATABASE_URL", "TRACKER_LANGUAGE")}
    os.environ["TRACKER_DATABASE_URL"] = url
    os.environ.pop("TRACKER_LANGUAGE", None)
    st.cache_resource.clear()
    try:
        yield
    finally:
        st.cache_resource.clear()  # disposes the app's engine
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def compiled_once() -> Iterator[None]:
    """Scripts compiled once, as a server does: ``streamlit run`` keeps every script's bytecode
    in one ``ScriptCache`` for its whole life, but AppTest makes a new cache on every run and so
    parses, rewrites (magic) and compiles the router and the page again each time, 2 to 6 ms
    that no reader ever waits for. Here every AppTest run shares one cache."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    saved = (app_test.ScriptCache, local_script_runner.ScriptCache)
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved  # type: ignore[misc]


def _checked(at: Any, what: str) -> Any:
    if at.exception:
        raise SystemExit(f"{what} raised: {[e.value for e in at.exception]}")
    return at


def _reader_id() -> int:
    """The benchmark reader's account id in the database the app points at."""
    from sqlmodel import select

    from tracker.db import make_engine, session_scope
    from tracker.models import User

    engine = make_engine(os.environ["TRACKER_DATABASE_URL"])
    try:
        with session_scope(engine, read_only=True) as session:
            return session.exec(select(User.id).where(User.email == READER)).one()
    finally:
        engine.dispose()


def open_overview() -> Any:
    """The overview, signed in as the reader (the session holds the account, as after the
    sign-in form; every run still reads the account and checks its role)."""
    from streamlit.testing.v1 import AppTest

    from tracker.models import utcnow
    from tracker.ui import auth

    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    at.session_state[auth.USER_KEY] = _reader_id()
    at.session_state[auth.ACTIVITY_KEY] = utcnow()
    return _checked(at.run(), "the overview")


def open_pilot(slug: str) -> Any:
    at = open_overview()  # a first run registers the pages (see AppTest.switch_page)
    at.switch_page("pages/pilot.py")
    at.query_params["pilot"] = slug
    return _checked(at.run(), "the pilot page")


def open_empty() -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(EMPTY_PAGE, default_timeout=PAGE_TIMEOUT)
    return _checked(at.run(), "the empty page")


def best_rerun(
    at: Any, repeat: int, what: str, *, before_each: Callable[[], None] = lambda: None
) -> tuple[float, list[float]]:
    """Best of ``repeat`` reruns of the page ``at`` is on (it has been run once already);
    ``before_each`` runs, untimed, before every rerun."""
    runs = []
    for _ in range(repeat):
        before_each()
        t0 = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - t0)
        _checked(at, what)
    return min(runs), runs


# ------------------------------------------------------------------ server side: what it costs
@contextlib.contextmanager
def captured_statements() -> Iterator[list[dict[str, Any]]]:
    """Every statement any engine sends (SQL text, parameters, seconds in cursor.execute)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[dict[str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        t0 = conn.info["bench_t0"].pop()
        seen.append(
            {
                "sql": statement,
                "params": parameters,
                "executemany": executemany,
                "execute_s": time.perf_counter() - t0,
            }
        )

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


def _is_bookkeeping(sql: str) -> bool:
    """Transaction control and the schema-version check: not data the page shows."""
    head = sql.lstrip().upper()
    return head.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")) or "ALEMBIC_VERSION" in head


def data_statements(seen: list[dict[str, Any]]) -> tuple[list[tuple[str, Any]], dict[str, int]]:
    """The page's data statements as issued, and counts of what was left out."""
    if any(s["executemany"] for s in seen):
        raise SystemExit("a page wrote to the database (executemany) while it was only read")
    issued = [(s["sql"], tuple(s["params"] or ())) for s in seen if not _is_bookkeeping(s["sql"])]
    counts = {
        "all": len(seen),
        "bookkeeping": len(seen) - len(issued),
        "data_issued": len(issued),
        "data_distinct": len(dict.fromkeys(issued)),
    }
    return issued, counts


def _sqlite_connection(path: Path) -> sqlite3.Connection:
    """The bare connection, with the app's settings (tracker.db)."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "foreign_keys=ON",
        "busy_timeout=30000",
        "journal_mode=WAL",
        "synchronous=NORMAL",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


def replay(path: Path, statements: list[tuple[str, Any]], repeat: int) -> dict[str, Any]:
    """Best of ``repeat``: the statements in one read transaction, every row fetched."""
    con = _sqlite_connection(path)
    totals = []
    best_each = [float("inf")] * len(statements)
    rows = 0
    try:
        for _ in range(repeat):
            rows = 0
            t_start = time.perf_counter()
            con.execute("BEGIN DEFERRED")
            for k, (sql, params) in enumerate(statements):
                t0 = time.perf_counter()
                rows += len(con.execute(sql, params).fetchall())
                best_each[k] = min(best_each[k], time.perf_counter() - t0)
            con.execute("COMMIT")
            totals.append(time.perf_counter() - t_start)
    finally:
        con.close()
    slowest = sorted(range(len(statements)), key=lambda k: -best_each[k])[:3]
    return {
        "seconds": min(totals),
        "runs": totals,
        "statements": len(statements),
        "rows": rows,
        "slowest": [
            {"seconds": best_each[k], "sql": " ".join(statements[k][0].split())[:300]}
            for k in slowest
        ],
    }


# Where a page's time goes: (module, function, label). Each is timed wherever the page reaches
# it (every module that imported the function by name gets the timed version during one run).
TIMED: tuple[tuple[str, str, str], ...] = (
    ("tracker.ui.data", "read", "read(): every data access, all below that it calls included"),
    ("tracker.ui.data", "_schema_check", "read(): schema-version check"),
    ("tracker.services.portfolio", "portfolio", "portfolio()"),
    ("tracker.services.portfolio", "filter_options", "filter_options()"),
    ("tracker.services.pilots", "pilot_titles", "pilot_titles()"),
    ("tracker.services.analysis", "analyze_pilot", "analyze_pilot()"),
    ("tracker.services.analysis", "analyze_many", "analysis fits: analyze_many()"),
    ("tracker.services.analysis", "measurement_frame", "measurement_frame(): rows → DataFrame"),
    ("tracker.services.measurement_entry", "measurement_grid", "measurement_grid()"),
    ("tracker.ui.portfolio_view", "portfolio_table", "portfolio_table(): rows → Arrow table"),
    ("tracker.charts", "verdicts_by_domain", "charts: Plotly figures"),
    ("tracker.charts", "pilot_timeline", "charts: Plotly figures"),
    ("tracker.charts", "forest_plot", "charts: Plotly figures"),
    ("tracker.charts", "series_chart", "charts: Plotly figures"),
    ("streamlit", "plotly_chart", "st.plotly_chart: figure → JSON"),
    ("streamlit", "dataframe", "st.dataframe / st.data_editor: frame → Arrow"),
    ("streamlit", "data_editor", "st.dataframe / st.data_editor: frame → Arrow"),
)


@contextlib.contextmanager
def timed_functions() -> Iterator[dict[str, float]]:
    """Seconds per label of TIMED (outermost call only, so recursion is not counted twice)."""
    totals: dict[str, float] = {}
    depth: dict[str, int] = {}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(func: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth[label] = depth.get(label, 0) + 1
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                depth[label] -= 1
                if depth[label] == 0:
                    totals[label] = totals.get(label, 0.0) + time.perf_counter() - t0

        return timed

    for module_name, name, label in TIMED:
        module = sys.modules.get(module_name)
        original = getattr(module, name, None) if module else None
        if original is None:
            continue
        wrapper = wrap(original, label)
        for other_name, other in list(sys.modules.items()):
            if not (other_name.startswith(("tracker", "pages")) or other is module):
                continue
            for attr, value in list(vars(other).items()):
                if value is original:
                    patched.append((other, attr, original))
                    setattr(other, attr, wrapper)
    try:
        yield totals
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def profile_runs(at: Any, runs: int, top: int = 12) -> dict[str, Any]:
    """cProfile of ``runs`` reruns, per run, in the thread that runs the script (AppTest starts
    one per run). Several runs, so that one garbage collection does not decide the order."""
    stats: pstats.Stats | None = None
    seconds = 0.0
    for _ in range(runs):
        profiler = cProfile.Profile()  # one per run: a profiler is tied to its thread's stack

        def start(*_: Any, profiler: cProfile.Profile = profiler) -> None:
            if threading.current_thread().name.startswith("ScriptRunner"):
                profiler.enable()  # replaces this hook for the script thread
            else:
                sys.setprofile(None)

        threading.setprofile(start)
        try:
            t0 = time.perf_counter()
            at.run()
            seconds += (time.perf_counter() - t0) / runs
        finally:
            threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(profiler) if stats is None else stats.add(profiler)
    assert stats is not None
    rows = []
    for (filename, line, func), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(filename)}:{line}({func})",
                "calls": calls // runs,
                "own_s": own / runs,
                "cumulative_s": cumulative / runs,
                "ours": filename.startswith(str(ROOT)) and "/.venv/" not in filename,
            }
        )
    by_own = sorted(rows, key=lambda r: -r["own_s"])[:top]
    ours = sorted((r for r in rows if r["ours"]), key=lambda r: -r["cumulative_s"])[:top]
    return {
        "runs": runs,
        "seconds_per_run_with_profiler": seconds,
        "top_own_time": by_own,
        "top_ours_cumulative": ours,
    }


@contextlib.contextmanager
def reads_from_memory() -> Iterator[Callable[[], None]]:
    """Every ``read()`` of the app answered from memory: the page as it would be if its data
    access cost nothing.

    The first run under it records what each ``read()`` returned, in order; every later run
    gets the same answers back in the same order without touching the database (the page is
    rerun unchanged, so it asks the same questions). Yields the function that starts a run.
    What remains is Streamlit and the page's own code: the floor under the page time that no
    change to queries, services or the ORM can go below.
    """
    import tracker.ui.data as data

    real = data.read
    answers: list[Any] = []
    position = 0
    recording = True

    def from_memory(query: Callable[[Any], Any]) -> Any:
        nonlocal position
        if recording:
            answers.append(real(query))
        elif position >= len(answers):
            raise SystemExit("a page asked more of the database than when it was recorded")
        position += 1
        return answers[position - 1]

    def next_run() -> None:
        nonlocal position, recording
        recording = recording and not answers
        position = 0

    # Views and pages import ``read`` by name: replace it wherever it was imported.
    holders = [m for m in list(sys.modules.values()) if getattr(m, "read", None) is real]
    for module in holders:
        module.read = from_memory  # type: ignore[attr-defined]
    try:
        yield next_run
    finally:
        for module in holders:
            module.read = real  # type: ignore[attr-defined]


def page_without_data_access(at: Any, repeat: int, name: str) -> tuple[float, list[float]]:
    """Best of ``repeat`` reruns with every read answered from memory (after one recording)."""
    with reads_from_memory() as next_run:
        next_run()
        _checked(at.run(), name)  # records
        return best_rerun(at, repeat, name, before_each=next_run)


def measure_page(
    name: str, at: Any, repeat: int, db: Path, empty_s: float, *, profile: bool
) -> dict[str, Any]:
    """Time the page ``at`` is on, capture its SQL, replay that bare, and break the time down."""
    best, runs = best_rerun(at, repeat, name)
    # The breakdown: TIMED around the page's calls, fastest of ``repeat`` runs per part; the
    # first of those runs also records the SQL.
    instrumented, parts_runs, seen = [], [], []
    for k in range(repeat):
        with (
            captured_statements() if k == 0 else contextlib.nullcontext([]) as statements,
            timed_functions() as parts,
        ):
            t0 = time.perf_counter()
            _checked(at.run(), name)
            instrumented.append(time.perf_counter() - t0)
        seen = seen or statements
        parts_runs.append(parts)
    labels = {label for parts in parts_runs for label in parts}
    parts = {label: min(p.get(label, 0.0) for p in parts_runs) for label in labels}
    issued, counts = data_statements(seen)
    distinct = list(dict.fromkeys(issued))
    bare = replay(db, distinct, repeat)
    bare_issued = replay(db, issued, repeat)
    net = best - empty_s
    result: dict[str, Any] = {
        "seconds": best,
        "runs": runs,
        "minus_empty_page_s": net,
        "bare_sql": bare,
        "bare_sql_as_issued": {k: bare_issued[k] for k in ("seconds", "statements", "rows")},
        "statement_counts": counts,
        "ratio": net / bare["seconds"],
        "ratio_as_issued": net / bare_issued["seconds"],
        "target_met": net / bare["seconds"] <= TARGET_RATIO,
        "breakdown": {
            "runs": repeat,
            "seconds": min(instrumented),
            "parts_are": "fastest of the runs, per part; parts nest (read() holds the services)",
            # Only cursor.execute: SQLite does most of a query's work while rows are fetched.
            "sql_cursor_execute_s": sum(s["execute_s"] for s in seen),
            "parts_s": dict(sorted(parts.items(), key=lambda kv: -kv[1])),
        },
    }
    floor, floor_runs = page_without_data_access(at, repeat, name)
    result["without_data_access"] = {
        "seconds": floor,
        "runs": floor_runs,
        "minus_empty_page_s": floor - empty_s,
        # Even with free data access the page needs this multiple of the bare SQL:
        "ratio_at_best": (floor - empty_s) / bare["seconds"],
        # What the data access itself costs (the page minus its floor) against the bare SQL.
        "data_access_s": best - floor,
        "data_access_ratio": (best - floor) / bare["seconds"],
    }
    fits = parts.get("analysis fits: analyze_many()")
    if fits:
        result["ratio_without_fits"] = (net - fits) / bare["seconds"]
    if profile:
        result["profile"] = profile_runs(at, min(3, repeat))
    return result


def server_side(db: Path, slug: str, pilots: int, repeat: int, profile: bool) -> dict[str, Any]:
    print(f"server side: AppTest, best of {repeat} reruns after a warm-up run", flush=True)
    with compiled_once():
        return _server_side(db, slug, pilots, repeat, profile)


def _server_side(db: Path, slug: str, pilots: int, repeat: int, profile: bool) -> dict[str, Any]:
    empty_at = open_empty()
    empty_s, empty_runs = best_rerun(empty_at, repeat, "the empty page")
    out: dict[str, Any] = {"empty_page": {"seconds": empty_s, "runs": empty_runs}}
    with app_pointed_at(f"sqlite:///{db}"):
        at = open_overview()
        shown = len(at.dataframe[0].value) if len(at.dataframe) else 0
        if shown != pilots:
            raise SystemExit(f"the overview shows {shown} pilots, not {pilots}")
        out["overview"] = measure_page("the overview", at, repeat, db, empty_s, profile=profile)
        at = open_pilot(slug)
        titles = [h.value for h in at.title]
        out["pilot"] = measure_page("the pilot page", at, repeat, db, empty_s, profile=profile)
        out["pilot"]["slug"] = slug
        out["pilot"]["title_shown"] = titles[0] if titles else None
    return out


# ---------------------------------------------------------------------------------- in Chromium
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db: Path, log: Path, script: Path = APP) -> Iterator[str]:
    """`streamlit run script` on a free localhost port (as tests/e2e/browser.py starts it)."""
    port = _free_port()
    env = os.environ | {"TRACKER_DATABASE_URL": f"sqlite:///{db}", "TRACKER_LANGUAGE": "nl"}
    command = [
        *(sys.executable, "-m", "streamlit", "run", str(script)),
        *("--server.headless", "true", "--server.address", "127.0.0.1"),
        *("--server.port", str(port), "--server.fileWatcherType", "none"),
        *("--browser.gatherUsageStats", "false"),
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise SystemExit(f"streamlit stopped ({server.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Resolves (with milliseconds since navigation start) once Streamlit is idle and ``check`` holds.
_USABLE_JS = """
([idle, check, arg]) => {
  if (!document.querySelector(idle)) return false;
  const shown = (el) => el && el.getBoundingClientRect().height > 0;
  if (check === 'table') {
    if (!shown(document.querySelector('[data-testid="stDataFrame"]'))) return false;
  } else {
    const found = [...document.querySelectorAll('h1')].some(
      (h) => shown(h) && h.textContent.includes(arg));
    if (!found) return false;
  }
  return performance.now();
}
"""


def load_once(browser: Any, url: str, check: str, arg: str, *, sign_in: bool = True) -> float:
    """Seconds to a usable page, in a new browser context (a new session): for the app's pages
    from the click on "Inloggen" on the sign-in form the address shows (what a person waits
    after opening a link and signing in: the password check and the page's run), for the
    empty page from navigation start."""
    context = browser.new_context(viewport=VIEWPORT, locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT * 1000)
        start = 0.0
        if sign_in:
            page.locator(SIGN_IN_EMAIL).wait_for(timeout=PAGE_TIMEOUT * 1000)
            page.locator(SIGN_IN_EMAIL).fill(READER)
            page.locator(SIGN_IN_PASSWORD).fill(READER_PASSWORD)
            start = float(page.evaluate("performance.now()"))
            page.locator('[data-testid="stFormSubmitButton"] button').click()
        handle = page.wait_for_function(
            _USABLE_JS, arg=[APP_IDLE, check, arg], timeout=PAGE_TIMEOUT * 1000, polling="raf"
        )
        return (float(handle.json_value()) - start) / 1000
    finally:
        context.close()


def in_browser(db: Path, slug: str, title: str, repeat: int, *, warm_each: bool) -> dict[str, Any]:
    """The overview and the pilot page, then an empty Streamlit page (its own server) for scale.

    A warm-up load first (the server's first run imports pandas, Plotly, statsmodels); --quick
    warms up on the overview only.
    """
    if not CHROMIUM.is_file():
        return {"skipped": f"{CHROMIUM} is missing (sudo apt-get install chromium)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed (make setup installs the dev tools)"}

    print(f"Chromium: sign-in → usable page, best of {repeat} after warm-up", flush=True)
    out: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-app-") as tmp,
        sync_playwright() as playwright,
    ):
        empty_script = Path(tmp) / "empty_page.py"
        empty_script.write_text(EMPTY_BROWSER_PAGE)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with streamlit_server(db, Path(tmp) / "app.log") as base:
                for name, path, check, arg in (
                    ("overview", "/", "table", ""),
                    ("pilot", f"/pilot?pilot={slug}", "heading", title),
                ):
                    warm = warm_each or name == "overview"
                    out[name] = _loads(browser, base + path, check, arg, repeat, warm=warm)
            with streamlit_server(db, Path(tmp) / "empty.log", empty_script) as base:
                out["empty_page"] = _loads(
                    browser, base + "/", "heading", "Leeg", repeat, warm=True, sign_in=False
                )
        finally:
            browser.close()
    return out


def _loads(
    browser: Any, url: str, check: str, arg: str, repeat: int, *, warm: bool, sign_in: bool = True
) -> dict[str, Any]:
    if warm:
        load_once(browser, url, check, arg, sign_in=sign_in)
    runs = [load_once(browser, url, check, arg, sign_in=sign_in) for _ in range(repeat)]
    path = "/" + url.split("/", 3)[-1]
    return {"seconds": min(runs), "runs": runs, "path": path, "warmed_up": warm}


# ---------------------------------------------------------------------------------------- main
def _versions() -> dict[str, str]:
    import sqlalchemy
    import streamlit

    return {
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.platform(),
        "cpus": str(os.cpu_count()),
    }


def _print_report(result: dict[str, Any], output: Path) -> None:
    server, browser = result["server_side"], result.get("browser", {})
    empty = server["empty_page"]["seconds"]
    print(
        f"{'':9} {'page s':>8} {'−empty s':>9} {'bare SQL s':>11} {'ratio':>7} "
        f"{'as issued':>10} {'statements':>11} {'browser s':>10}"
    )
    print(f"{'':9} {'':>8} {'':>9} {'(distinct)':>11} {'':>7} {'':>10} {'distinct/all':>12}")
    for name in ("overview", "pilot"):
        r = server[name]
        counts = r["statement_counts"]
        shown = browser.get(name, {}).get("seconds")
        line = (
            f"{name:9} {r['seconds']:8.3f} {r['minus_empty_page_s']:9.3f} "
            f"{r['bare_sql']['seconds']:11.4f} {r['ratio']:7.1f} {r['ratio_as_issued']:10.1f} "
            f"{counts['data_distinct']:>5}/{counts['data_issued']:<5} "
            f"{'' if shown is None else f'{shown:10.2f}'}"
        )
        print(line.rstrip())
    shown = browser.get("empty_page", {}).get("seconds")
    print(f"{'empty':9} {empty:8.3f} {'':>53}{'' if shown is None else f'{shown:10.2f}'}".rstrip())
    print(
        "baseline: each distinct data statement the page sent, replayed with sqlite3 (fetchall) "
        "in one read transaction; no schema checks, no repeats, no analysis fits, no frames or "
        "charts ('as issued': every data statement, repeats included)"
    )
    for name in ("overview", "pilot"):
        r = server[name]
        parts = r["breakdown"]
        listed = "; ".join(f"{label} {s:.3f}" for label, s in list(parts["parts_s"].items())[:8])
        print(
            f"{name}: where a run of {parts['seconds']:.3f} s goes "
            f"(fastest of {parts['runs']} per part): {listed}"
        )
        slow = r["bare_sql"]["slowest"][0]
        print(f"  slowest bare statement {slow['seconds']:.4f} s: {slow['sql'][:110]}")
        floor = r["without_data_access"]
        print(
            f"  with every read answered from memory: {floor['seconds']:.4f} s "
            f"(−empty {floor['minus_empty_page_s']:.4f} s = {floor['ratio_at_best']:.1f}× the "
            f"bare SQL before any data is read); the data access itself "
            f"{floor['data_access_s']:.4f} s = {floor['data_access_ratio']:.1f}× the bare SQL"
        )
        if "profile" in r:
            own = ", ".join(
                f"{p['function'].rsplit('/', 1)[-1]} {p['own_s']:.2f}"
                for p in r["profile"]["top_own_time"][:5]
            )
            print(f"  profile, most own time: {own}")
    if "ratio_without_fits" in server["pilot"]:
        print(
            f"pilot page without the analysis fits: ratio "
            f"{server['pilot']['ratio_without_fits']:.1f}"
        )
    verdicts = {
        name: "met" if server[name]["target_met"] else "MISSED" for name in ("overview", "pilot")
    }
    print(
        f"target: (page − empty page) / bare SQL ≤ {TARGET_RATIO:g} → overview "
        f"{verdicts['overview']} ({server['overview']['ratio']:.1f}), pilot {verdicts['pilot']} "
        f"({server['pilot']['ratio']:.1f}); written to {output}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_app", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--pilots", type=int, default=None, help=f"default {PILOTS:,}")
    parser.add_argument("--measurements", type=int, default=None, help=f"default {MEASUREMENTS:,}")
    parser.add_argument("--quick", action="store_true", help="40 pilots, fewer runs: smoke test")
    parser.add_argument("--repeat", type=int, default=None, help="page runs (best counts)")
    parser.add_argument("--browser-repeat", type=int, default=None, help="page loads in Chromium")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="database cache")
    parser.add_argument("--rebuild", action="store_true", help="build the database afresh")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    # Reading AppTest's elements outside a script run makes Streamlit warn about a missing
    # ScriptRunContext; harmless here. (A filter: Streamlit resets its loggers' levels.)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    pilots = args.pilots or (QUICK_PILOTS if args.quick else PILOTS)
    measurements = args.measurements or (
        QUICK_MEASUREMENTS * pilots // QUICK_PILOTS
        if args.quick
        else MEASUREMENTS * pilots // PILOTS
    )
    repeat = args.repeat or (3 if args.quick else 5)
    browser_repeat = args.browser_repeat or (1 if args.quick else 3)
    areas, periods = _layout(pilots, measurements)
    measurements = pilots * HYPOTHESES_PER_PILOT * areas * periods  # what is actually stored

    db = database_path(args.data_dir, pilots, measurements)
    print(
        f"app benchmark: {pilots:,} pilots, {pilots * HYPOTHESES_PER_PILOT:,} hypotheses, "
        f"{measurements:,} measurements ({periods} months × {areas} areas per hypothesis)",
        flush=True,
    )
    build: dict[str, Any]
    if db.exists() and not args.rebuild:
        print(f"database: cached {db}", flush=True)
        build = {"cached": True}
    else:
        if args.rebuild:
            db.unlink(missing_ok=True)
        print(f"database: building {db}", flush=True)
        build = {"cached": False, "seconds": build_database(db, pilots, measurements)}
    build["path"] = str(db)
    build["bytes"] = db.stat().st_size
    build["counts"] = database_counts(db)

    load_before = os.getloadavg()
    middle = pilots // 2
    slug = PILOT_SLUG.format(middle)
    server = server_side(db, slug, pilots, repeat, profile=not args.no_profile)
    title = server["pilot"]["title_shown"] or ""
    browser = (
        {}
        if args.no_browser
        else in_browser(db, slug, title, browser_repeat, warm_each=not args.quick)
    )

    met = server["overview"]["target_met"] and server["pilot"]["target_met"]
    result = {
        "benchmark": "app",
        "quick": args.quick,
        "sizes": {
            "pilots": pilots,
            "municipalities": min(MUNICIPALITIES, pilots),
            "hypotheses": pilots * HYPOTHESES_PER_PILOT,
            "measurements": measurements,
            "periods_per_hypothesis": periods,
            "areas_per_hypothesis": areas,
        },
        "database": build,
        "repeat": repeat,
        "browser_repeat": browser_repeat,
        "server_side": server,
        "browser": browser,
        "baseline": (
            "bare SQL: each distinct data statement the page sent to the database (captured "
            "during one run), replayed with sqlite3 on the same file with the same parameters in "
            "one read transaction, every row fetched; no schema-version checks, no repeated "
            "statements, no analysis fits, no DataFrames, tables or charts"
        ),
        "ratio": {"overview": server["overview"]["ratio"], "pilot": server["pilot"]["ratio"]},
        "target": {"ratio_max": TARGET_RATIO},
        "target_met": met,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        **_versions(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    _print_report(result, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
