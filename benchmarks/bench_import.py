"""Import benchmark: `tracker measurements import` against the bare library calls.

    .venv/bin/python -m benchmarks.bench_import [--rows N] [--repeat R] [--dialect iso|nl]

Generates one tidy CSV (one continuous measure, BU areas × months, every key unique, every
period inside the pilot), then times, each in its own fresh subprocess and fresh migrated
SQLite database:

- ours: ``import_measurements`` in a ``session_scope`` (exactly what the CLI runs: read, check
  everything, store, audit), and
- baseline: ``pandas.read_csv`` plus one ``sqlite3`` ``executemany`` of the same rows into the
  same ``measurement`` table, in one transaction, with the same connection settings as
  ``tracker.db`` (WAL, synchronous=NORMAL, foreign keys on). No checks at all.

Reports wall time (best of R) and peak resident memory (the subprocess's own high-water mark,
VmHWM, so interpreter and imports included), the ratios ours/baseline, prints a table and
writes JSON to benchmarks/results/import.json. Target: time ratio ≤ 2 and peak RSS < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
MEASURE = "contacten"
FIRST_MONTH, MONTHS = "2015-01-01", 120  # the pilot below runs 2015-01-01 … 2024-12-31
TARGET_TIME_RATIO = 2.0
TARGET_PEAK_MB = 1024.0


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started, in MB.

    Linux's VmHWM (/proc/self/status) starts afresh at exec; ``ru_maxrss`` does not (it keeps
    the parent's peak across fork + exec), so it is only the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS: bytes, Linux: kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mb


# --------------------------------------------------------------------------- setup
def generate_csv(path: Path, rows: int, dialect: str) -> None:
    """A tidy file: period, area, measure, value; BU codes × months, keys unique."""
    import numpy as np
    import pandas as pd

    months = pd.date_range(FIRST_MONTH, periods=MONTHS, freq="MS")
    areas = -(-rows // MONTHS)
    period = np.tile(months.to_numpy(), areas)[:rows]
    area = np.repeat(np.array([f"BU{3630000 + i:08d}" for i in range(areas)]), MONTHS)[:rows]
    value = np.round(np.random.default_rng(2024).normal(100, 15, rows), 2)
    frame = pd.DataFrame({"period": period, "area": area, "measure": MEASURE, "value": value})
    if dialect == "nl":
        frame["period"] = frame["period"].dt.strftime("%d-%m-%Y")
        frame.to_csv(path, index=False, sep=";", decimal=",")
    else:
        frame["period"] = frame["period"].dt.strftime("%Y-%m-%d")
        frame.to_csv(path, index=False)


def fresh_database(path: Path) -> int:
    """A migrated SQLite file with one organisation, the measure and a pilot; its pilot id."""
    import datetime as dt

    from tracker import migrate
    from tracker.db import make_engine, session_scope
    from tracker.services import measures, organisations, pilots
    from tracker.services.access import system

    actor = system("bench")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        org = organisations.get_or_create_organisation(
            session, name="Benchmarkstad", cbs_code="GM0363", actor=actor
        )
        measures.create_measure(
            session,
            {
                "code": MEASURE,
                "name": "Contacten",
                "kind": "continuous",
                "better_direction": "lower",
            },
            actor=actor,
        )
        pilot = pilots.create_pilot(
            session,
            {
                "slug": "benchmark",
                "title": "Benchmarkpilot",
                "municipality": "Benchmarkstad",
                "municipality_code": "GM0363",
                "domains": ["wmo"],
                "baseline_start": dt.date(2015, 1, 1),
                "intervention_start": dt.date(2020, 1, 1),
                "evaluation_end": dt.date(2024, 12, 31),
            },
            organisation_id=org.id,
            actor=actor,
        )
        pilot_id = pilot.id
    engine.dispose()
    assert pilot_id is not None
    return pilot_id


def fingerprint(path: Path) -> tuple[Any, ...]:
    """What both contenders must have stored: rows, sum of values, distinct areas."""
    with sqlite3.connect(path) as con:
        return con.execute(
            "SELECT count(*), round(sum(value), 2), count(DISTINCT area) FROM measurement"
        ).fetchone()


# --------------------------------------------------------------------------- contenders
def run_ours(csv_path: Path, db: Path, pilot_id: int) -> dict[str, Any]:
    from tracker.db import make_engine, session_scope
    from tracker.services.access import system
    from tracker.services.measurements import import_measurements

    start_rss = _peak_rss_mb()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        report = import_measurements(session, pilot_id, csv_path, actor=system("bench"))
    engine.dispose()
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit("\n".join(e.describe("en") for e in report.errors[:10]))
    return {"seconds": seconds, "rows": report.rows_written, "start_rss_mb": start_rss}


def run_baseline(csv_path: Path, db: Path, pilot_id: int, dialect: str) -> dict[str, Any]:
    import datetime as dt

    import pandas as pd

    start_rss = _peak_rss_mb()
    started = time.perf_counter()
    if dialect == "nl":
        frame = pd.read_csv(csv_path, sep=";", decimal=",")
    else:
        frame = pd.read_csv(csv_path)
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        con.execute(f"PRAGMA {pragma}")
    (measure_id,) = con.execute("SELECT id FROM measure WHERE code = ?", (MEASURE,)).fetchone()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    n = len(frame)
    con.execute("BEGIN")
    # The fastest bare form: whole columns as lists, zipped into tuples in C (itertuples with a
    # generator is about a third slower), so the ratio is the price of our checks.
    con.executemany(
        'INSERT INTO measurement (pilot_id, measure_id, period, area, "group", value, source, '
        "entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        zip(
            repeat(pilot_id, n),
            repeat(measure_id, n),
            frame["period"].tolist(),
            frame["area"].tolist(),
            repeat("pilot", n),
            frame["value"].tolist(),
            repeat(csv_path.name, n),
            repeat("bench", n),
            repeat(now, n),
            strict=True,
        ),
    )
    con.execute("COMMIT")
    con.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(frame), "start_rss_mb": start_rss}


def worker(args: argparse.Namespace) -> int:
    csv_path, db = Path(args.csv), Path(args.db)
    if args.worker == "ours":
        result = run_ours(csv_path, db, args.pilot)
    else:
        result = run_baseline(csv_path, db, args.pilot, args.dialect)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------- driver
def measure(
    contender: str, csv_path: Path, workdir: Path, dialect: str, repeat: int
) -> dict[str, Any]:
    runs = []
    for attempt in range(repeat):
        db = workdir / f"{contender}-{attempt}.db"
        pilot_id = fresh_database(db)
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_import",
            "--worker",
            contender,
            "--csv",
            str(csv_path),
            "--db",
            str(db),
            "--pilot",
            str(pilot_id),
            "--dialect",
            dialect,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
        )
        if done.returncode != 0:
            raise SystemExit(f"{contender} failed:\n{done.stdout}\n{done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["fingerprint"] = list(fingerprint(db))
        runs.append(result)
        db.unlink()
    best = min(runs, key=lambda r: r["seconds"])
    return {
        "seconds": best["seconds"],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "start_rss_mb": best["start_rss_mb"],
        "fingerprint": best["fingerprint"],
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (best counts)")
    parser.add_argument(
        "--dialect",
        choices=["iso", "nl"],
        default="iso",
        help="iso: ',' + 2021-03-01; nl: ';' + decimal comma + 01-03-2021",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--worker", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--pilot", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / f"metingen-{args.rows}.csv"
        generate_csv(csv_path, args.rows, args.dialect)
        file_bytes = csv_path.stat().st_size
        print(
            f"import benchmark: {args.rows:,} rows ({file_bytes / 1e6:.1f} MB, {args.dialect}), "
            f"best of {args.repeat}",
            flush=True,
        )
        ours = measure("ours", csv_path, workdir, args.dialect, args.repeat)
        baseline = measure("baseline", csv_path, workdir, args.dialect, args.repeat)

    if ours["fingerprint"] != baseline["fingerprint"]:
        raise SystemExit(f"stored data differ: {ours['fingerprint']} != {baseline['fingerprint']}")
    time_ratio = ours["seconds"] / baseline["seconds"]
    rss_ratio = ours["peak_rss_mb"] / baseline["peak_rss_mb"]
    met = time_ratio <= TARGET_TIME_RATIO and ours["peak_rss_mb"] < TARGET_PEAK_MB
    result = {
        "benchmark": "import",
        "rows": args.rows,
        "dialect": args.dialect,
        "file_bytes": file_bytes,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "pandas": __import__("pandas").__version__,
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.platform(),
        "ours": ours,
        "baseline": baseline,
        "ratio": {"time": time_ratio, "peak_rss": rss_ratio},
        "target": {"time_ratio_max": TARGET_TIME_RATIO, "peak_rss_mb_max": TARGET_PEAK_MB},
        "target_met": met,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")

    rate = args.rows / ours["seconds"]
    print(f"{'':10} {'seconds':>9} {'peak RSS MB':>12} {'rows/s':>11}")
    for name, r in (("ours", ours), ("baseline", baseline)):
        print(
            f"{name:10} {r['seconds']:9.2f} {r['peak_rss_mb']:12.0f} "
            f"{args.rows / r['seconds']:11,.0f}"
        )
    print(f"{'ratio':10} {time_ratio:9.2f} {rss_ratio:12.2f}")
    print(
        f"target: time ratio ≤ {TARGET_TIME_RATIO:g}, peak < {TARGET_PEAK_MB:.0f} MB → "
        f"{'met' if met else 'MISSED'} ({rate:,.0f} rows/s); written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
