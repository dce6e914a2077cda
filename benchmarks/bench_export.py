"""Export benchmark: every export format against the bare pandas call on the same frame.

    .venv/bin/python -m benchmarks.bench_export                       # 2,000,000 rows
    .venv/bin/python -m benchmarks.bench_export --rows 200000         # quicker
    .venv/bin/python -m benchmarks.bench_export --formats csv,parquet --no-db

The frame is the measurements table exactly as ``tracker.services.exports`` builds it: tidy
columns, text as categoricals, the period as datetime64, five float64 value columns (one
continuous measure per row filled, the others missing), ``--rows`` rows over 1,000 pilots, two
measures, CBS buurt codes and 120 months. Each contender runs in its own fresh Python process
(the frame is made there first, deterministically, and is not timed):

======== ======================================= ===========================================
format   ours (tracker.io.export_files)          baseline (the bare library call)
======== ======================================= ===========================================
csv      ``write_csv(table, path)``              ``frame.to_csv(path, index=False)``
csv-nl   ``write_csv(table, path, "csv-nl")``    ``frame.to_csv(sep=";", decimal=",",
                                                  encoding="utf-8-sig")``
parquet  ``write_parquet(table, path)``          ``frame.to_parquet(path, index=False)``
xlsx     ``write_xlsx([table], path)``           ``frame.to_excel(engine="xlsxwriter")`` in
                                                 chunks of 1,048,575 rows (Excel's limit)
datapkg  ``write_datapackage([table], path)``    ``frame.to_csv`` into a zip entry (deflate,
                                                 level 1, as ours) plus the same JSON
======== ======================================= ===========================================

Ours does more than the baseline: formula neutralisation of every text cell, exact shortest
numbers, CRLF, ISO dates, typed XLSX cells with a "Toelichting" sheet, Table Schema metadata.

``--db`` (default on): the same rows stored in a migrated SQLite database, and the whole path
timed: ``build_export`` (read the measurements table through the service) plus ``write_csv``,
against ``pandas.read_sql_query`` of the same join plus ``to_csv``.

Reported per format: wall time of the write (best of ``--repeat``), the process's peak resident
memory (Linux VmHWM) and the memory the write added on top of the frame (peak minus the
resident size just before it), and the ratios ours/baseline. Target: time ratio ≤ 1.5.
Writes benchmarks/results/export.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "export.json"
FORMATS = ("csv", "csv-nl", "parquet", "datapackage", "xlsx")
TARGET_TIME_RATIO = 1.5
PILOTS, MONTHS = 1000, 120


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


# --------------------------------------------------------------------------- the frame
def make_frame(rows: int):
    """The measurements table of ``rows`` rows (deterministic)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2024)
    months = pd.date_range("2015-01-01", periods=MONTHS, freq="MS").to_numpy()
    per_pilot = -(-rows // PILOTS)
    areas = -(-per_pilot // (2 * MONTHS))
    pilot = np.repeat(np.arange(PILOTS), per_pilot)[:rows]
    within = np.tile(np.arange(per_pilot), PILOTS)[:rows]
    measure = within // (areas * MONTHS) % 2
    area = within // MONTHS % areas
    period = months[within % MONTHS].astype("datetime64[s]")
    nan = np.full(rows, np.nan)

    def categorical(codes, names):
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype="str"))

    return pd.DataFrame(
        {
            "pilot": categorical(pilot, [f"pilot-{i:04d}" for i in range(PILOTS)]),
            "measure": categorical(measure, ["contacten", "wachttijd"]),
            "period": period,
            "area": categorical(area, [f"BU{3630000 + i:08d}" for i in range(areas)]),
            "group": categorical(pilot % 2, ["comparison", "pilot"]),
            "value": np.round(rng.normal(100, 15, rows), 2),
            "numerator": nan,
            "denominator": nan.copy(),
            "count": nan.copy(),
            "exposure": nan.copy(),
            "source": categorical(np.zeros(rows, dtype="int8"), ["CBS StatLine"]),
        }
    )


def _about():
    import datetime as dt

    from tracker.io.export_files import ExportAbout

    return ExportAbout("Proeftuin export", "benchmark", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


# --------------------------------------------------------------------------- contenders
def ours(fmt: str, frame, path: Path) -> None:
    from tracker.io import export_files as ef
    from tracker.io.export_tables import ExportTable, columns_of

    table = ExportTable("measurements", columns_of("measurements"), frame)
    if fmt in ("csv", "csv-nl"):
        ef.write_csv(table, path, dialect=fmt)
    elif fmt == "parquet":
        ef.write_parquet(table, path, about=_about())
    elif fmt == "xlsx":
        ef.write_xlsx([table], path, about=_about())
    else:
        ef.write_datapackage([table], path, about=_about())


def baseline(fmt: str, frame, path: Path) -> None:
    import zipfile

    import pandas as pd

    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "csv-nl":
        frame.to_csv(path, index=False, sep=";", decimal=",", encoding="utf-8-sig")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xlsx":
        chunk = 1_048_575
        with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
            for part, start in enumerate(range(0, len(frame), chunk), start=1):
                name = "measurements" if part == 1 else f"measurements ({part})"
                frame.iloc[start : start + chunk].to_excel(writer, sheet_name=name, index=False)
    else:
        from tracker.io.export_files import datapackage_descriptor
        from tracker.io.export_tables import ExportTable, columns_of

        table = ExportTable("measurements", columns_of("measurements"), frame.head(0))
        descriptor = json.dumps(datapackage_descriptor([table], _about()))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("datapackage.json", descriptor)
            with zf.open("measurements.csv", "w", force_zip64=True) as handle:
                frame.to_csv(handle, index=False)


def worker(args: argparse.Namespace) -> int:
    path = Path(args.out)
    if args.format == "db":
        result = db_worker(args.worker, Path(args.db), path)
    else:
        frame = make_frame(args.rows)
        before = _status_mb("VmRSS:")
        started = time.perf_counter()
        (ours if args.worker == "ours" else baseline)(args.format, frame, path)
        seconds = time.perf_counter() - started
        result = {"seconds": seconds, "rss_before_mb": before}
    result["peak_rss_mb"] = _status_mb("VmHWM:")
    result["extra_mb"] = result["peak_rss_mb"] - result["rss_before_mb"]
    result["bytes"] = path.stat().st_size
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------- database path
SQL = (
    'SELECT p.slug AS pilot, m.code AS measure, x.period, x.area, x."group", x.value, '
    "x.numerator, x.denominator, x.count, x.exposure, x.source FROM measurement x "
    "JOIN pilot p ON p.id = x.pilot_id JOIN measure m ON m.id = x.measure_id"
)


def build_database(path: Path, rows: int) -> None:
    """A migrated SQLite file with the benchmark's pilots, measures and measurements."""
    import datetime as dt

    import numpy as np

    from tracker import migrate
    from tracker.db import make_engine, session_scope
    from tracker.services import measures, organisations, pilots
    from tracker.services.access import system

    actor = system("bench")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        org = organisations.get_or_create_organisation(
            session, name="Benchmarkstad", cbs_code="GM0999", actor=actor
        )
        for code in ("contacten", "wachttijd"):
            measures.create_measure(
                session,
                {"code": code, "name": code, "kind": "continuous", "better_direction": "lower"},
                actor=actor,
            )
        for i in range(PILOTS):
            pilots.create_pilot(
                session,
                {
                    "slug": f"pilot-{i:04d}",
                    "title": f"Benchmarkpilot {i}",
                    "municipality": "Benchmarkstad",
                    "municipality_code": "GM0999",
                    "domains": ["wmo"],
                    "baseline_start": dt.date(2015, 1, 1),
                    "intervention_start": dt.date(2020, 1, 1),
                    "evaluation_end": dt.date(2024, 12, 31),
                },
                organisation_id=org.id,
                actor=actor,
            )
    engine.dispose()
    frame = make_frame(rows)
    con = sqlite3.connect(path)
    pilot_ids = dict(con.execute("SELECT slug, id FROM pilot"))
    measure_ids = dict(con.execute("SELECT code, id FROM measure"))
    columns = (
        np.array([pilot_ids[s] for s in frame["pilot"].cat.categories])[frame["pilot"].cat.codes],
        np.array([measure_ids[s] for s in frame["measure"].cat.categories])[
            frame["measure"].cat.codes
        ],
        frame["period"].dt.strftime("%Y-%m-%d"),
        frame["area"].astype(str),
        frame["group"].astype(str),
        frame["value"],
    )
    with con:
        con.executemany(
            'INSERT INTO measurement (pilot_id, measure_id, period, area, "group", value, '
            "source, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, 'CBS StatLine', 'bench', "
            "'2026-01-01 00:00:00.000000')",
            zip(*(c.tolist() for c in columns), strict=True),
        )
    con.close()


def db_worker(contender: str, db: Path, out: Path) -> dict[str, Any]:
    """The whole path from the database to the file; imports are done before the clock starts
    (the app and the CLI have them loaded already)."""
    import pandas as pd

    from tracker.db import make_engine, session_scope
    from tracker.io.export_files import write_csv
    from tracker.services.access import system
    from tracker.services.exports import ExportRequest, build_export

    before = _status_mb("VmRSS:")
    started = time.perf_counter()
    if contender == "ours":
        engine = make_engine(f"sqlite:///{db}")
        with session_scope(engine, read_only=True) as session:
            [table] = build_export(
                session, ExportRequest(tables=("measurements",)), actor=system("bench")
            )
        write_csv(table, out)
        rows = table.rows
    else:
        with sqlite3.connect(db) as con:
            frame = pd.read_sql_query(SQL, con)
        frame.to_csv(out, index=False)
        rows = len(frame)
    return {"seconds": time.perf_counter() - started, "rss_before_mb": before, "rows": rows}


# --------------------------------------------------------------------------- driver
def run(contender: str, fmt: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    runs = []
    repeat = 1 if fmt == "xlsx" else args.repeat  # minutes per run at two million rows
    for attempt in range(repeat):
        suffix = {"csv-nl": ".csv", "datapackage": ".zip", "db": ".csv"}.get(fmt, f".{fmt}")
        out = workdir / f"{contender}-{attempt}{suffix}"
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_export",
            "--worker",
            contender,
            "--format",
            fmt,
            "--rows",
            str(args.rows),
            "--out",
            str(out),
            "--db-path",
            str(workdir / "export.db"),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
        )
        if done.returncode != 0:
            raise SystemExit(f"{contender} {fmt} failed:\n{done.stdout}\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        out.unlink()
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_export")
    parser.add_argument("--rows", type=int, default=2_000_000, help="measurements to export")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (best counts)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    parser.add_argument("--no-db", action="store_true", help="skip the database path")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--worker", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--db-path", dest="db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise SystemExit(f"unknown format(s) {sorted(unknown)}; choose from {FORMATS}")
    print(f"export benchmark: {args.rows:,} measurements, best of {args.repeat}", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        if not args.no_db:
            started = time.perf_counter()
            build_database(workdir / "export.db", args.rows)
            print(f"database built in {time.perf_counter() - started:.0f} s", flush=True)
            formats = [*formats, "db"]
        for fmt in formats:
            mine = run("ours", fmt, args, workdir)
            bare = run("baseline", fmt, args, workdir)
            results[fmt] = {
                "ours": mine,
                "baseline": bare,
                "ratio": {
                    "time": mine["seconds"] / bare["seconds"],
                    "peak_rss": mine["peak_rss_mb"] / bare["peak_rss_mb"],
                    "extra_memory": mine["extra_mb"] / max(bare["extra_mb"], 1.0),
                },
            }
            r = results[fmt]
            print(
                f"{fmt:12} ours {mine['seconds']:7.2f} s {mine['peak_rss_mb']:6.0f} MB "
                f"(+{mine['extra_mb']:4.0f}) | baseline {bare['seconds']:7.2f} s "
                f"{bare['peak_rss_mb']:6.0f} MB (+{bare['extra_mb']:4.0f}) | ratio time "
                f"{r['ratio']['time']:.2f}, peak memory {r['ratio']['peak_rss']:.2f}",
                flush=True,
            )
    met = all(r["ratio"]["time"] <= TARGET_TIME_RATIO for r in results.values())
    summary = {
        "benchmark": "export",
        "rows": args.rows,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "pandas": __import__("pandas").__version__,
        "pyarrow": __import__("pyarrow").__version__,
        "machine": platform.platform(),
        "formats": results,
        "target": {"time_ratio_max": TARGET_TIME_RATIO},
        "target_met": met,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"target: time ratio ≤ {TARGET_TIME_RATIO:g} for every format → "
        f"{'met' if met else 'MISSED'}; written to {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
