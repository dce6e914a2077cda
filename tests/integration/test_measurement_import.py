"""The all-or-nothing measurement import and the bulk store under it.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlmodel import select

from tests.db_helpers import row_counts
from tests.import_helpers import (
    CONTINUOUS,
    COUNT,
    PROPORTION,
    d,
    make_world,
    stored,
    write,
    write_xlsx,
)
from tracker.db import session_scope
from tracker.errors import ValidationError
from tracker.models import AuditEvent, Measurement
from tracker.services import audit
from tracker.services.access import system
from tracker.services.measurements import (
    ImportReport,
    count_measurements,
    import_measurements,
    store_measurement_frame,
)
from tracker.services.measures import find_measure

ACTOR = system("analist@gemeente.example")


def run_import(engine, pilot_id: int, path: Path, **kwargs: Any) -> ImportReport:
    with session_scope(engine) as session:
        return import_measurements(session, pilot_id, path, actor=ACTOR, **kwargs)


# --------------------------------------------------------------------------- good files
MIXED_DUTCH = (
    "Periode;Indicator;Waarde;Numerator;Denominator;Count;Exposure;Groep;Gebied\n"
    f"01-03-2021;{CONTINUOUS};12,5;;;;;pilot;WK036301\n"
    f"01-03-2021;{CONTINUOUS};1.234,5;;;;;vergelijking;WK036302\n"
    f"1-4-2021;{PROPORTION};;3;10;;;;\n"
    f"01-04-2021;{COUNT};;;;7;1500;Pilot;gm0363\n"
)


def test_a_mixed_dutch_file_is_stored_with_every_value_in_its_column(engine, tmp_path):
    world = make_world(engine)
    report = run_import(engine, world.pilot_id, write(tmp_path, MIXED_DUTCH))
    assert (report.errors, report.rows_read, report.rows_written) == ([], 4, 4)
    assert stored(engine) == [
        (CONTINUOUS, d("2021-03-01"), "WK036301", "pilot", 12.5, None, None, None, None,
         "metingen.csv", ACTOR.name),
        (CONTINUOUS, d("2021-03-01"), "WK036302", "comparison", 1234.5, None, None, None, None,
         "metingen.csv", ACTOR.name),
        (COUNT, d("2021-04-01"), "GM0363", "pilot", None, None, None, 7.0, 1500.0,
         "metingen.csv", ACTOR.name),
        (PROPORTION, d("2021-04-01"), "", "pilot", None, 3.0, 10.0, None, None,
         "metingen.csv", ACTOR.name),
    ]  # fmt: skip


def test_an_iso_comma_separated_file_with_measure_option_and_source_column(engine, tmp_path):
    world = make_world(engine)
    text = "period,value,source\n2021-03-01,12.5,CBS StatLine\n2021-04-01,-3,\n"
    report = run_import(engine, world.pilot_id, write(tmp_path, text), measure_code="Contacten")
    assert (report.errors, report.rows_written, report.measure_codes) == ([], 2, (CONTINUOUS,))
    assert [(r[1], r[4], r[9]) for r in stored(engine)] == [
        (d("2021-03-01"), 12.5, "CBS StatLine"),
        (d("2021-04-01"), -3.0, "metingen.csv"),
    ]


def test_an_xlsx_file_is_imported(engine, tmp_path):
    world = make_world(engine)
    path = write_xlsx(
        tmp_path,
        [
            ["period", "measure", "numerator", "denominator", "group"],
            [dt.datetime(2021, 3, 1), PROPORTION, 4, 20, "comparison"],
            [],
            ["01-04-2021", PROPORTION, "5", "20,5", None],
        ],
    )
    report = run_import(engine, world.pilot_id, path)
    assert (report.errors, report.rows_written) == ([], 2)
    assert [(r[1], r[3], r[5], r[6]) for r in stored(engine)] == [
        (d("2021-03-01"), "comparison", 4.0, 20.0),
        (d("2021-04-01"), "pilot", 5.0, 20.5),
    ]


def test_a_successful_import_appends_one_audit_event(engine, tmp_path):
    world = make_world(engine)
    path = write(tmp_path, MIXED_DUTCH)
    before = row_counts(engine)["audit_event"]
    run_import(engine, world.pilot_id, path)
    with session_scope(engine) as session:
        events = audit.list_events(session)
        assert len(events) == before + 1
        event = events[-1]
        assert (event.entity, event.action, event.pilot_id, event.actor) == (
            "measurement",
            "import",
            world.pilot_id,
            ACTOR.name,
        )
        assert event.after == {
            "file": "metingen.csv",
            "rows": 4,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "measures": [CONTINUOUS, COUNT, PROPORTION],
            "dry_run": False,
        }
        assert audit.verify_chain(session).ok


def test_a_dry_run_checks_everything_and_writes_nothing(engine, tmp_path):
    world = make_world(engine)
    before = row_counts(engine)
    report = run_import(engine, world.pilot_id, write(tmp_path, MIXED_DUTCH), dry_run=True)
    assert (report.ok, report.dry_run, report.rows_read, report.rows_written) == (
        True,
        True,
        4,
        0,
    )
    assert row_counts(engine) == before


def test_a_dry_run_reports_the_same_errors_as_a_real_import(engine, tmp_path):
    world = make_world(engine)
    path = write(tmp_path, f"period;measure;value\n2021-03-01;{CONTINUOUS};twaalf\n")
    dry = run_import(engine, world.pilot_id, path, dry_run=True)
    real = run_import(engine, world.pilot_id, path)
    assert [e.to_dict() for e in dry.errors] == [e.to_dict() for e in real.errors]
    assert [(e.row, e.column, e.code) for e in real.errors] == [(2, "value", "not_a_number")]


def test_the_same_key_in_another_group_area_or_pilot_is_not_a_duplicate(engine, tmp_path):
    world = make_world(engine)
    text = (
        "period;measure;value;group;area\n"
        f"2021-03-01;{CONTINUOUS};1;pilot;\n"
        f"2021-03-01;{CONTINUOUS};2;comparison;\n"
        f"2021-03-01;{CONTINUOUS};3;pilot;WK036301\n"
    )
    assert run_import(engine, world.pilot_id, write(tmp_path, text)).rows_written == 3


def test_rows_of_another_pilot_do_not_count_as_already_stored(engine, tmp_path):
    from tests import factories

    world = make_world(engine)
    with session_scope(engine) as session:
        second = factories.pilot(session, slug="netwerk-zuid").id
    path = write(tmp_path, f"period;measure;value\n2021-03-01;{CONTINUOUS};1\n")
    assert run_import(engine, world.pilot_id, path).rows_written == 1
    assert run_import(engine, second, path).rows_written == 1


# --------------------------------------------------------------------------- bad files
HEADER = "period;measure;value;numerator;denominator;count;exposure;group;area;source\n"


def row(
    period: str = "2021-03-01",
    measure: str = CONTINUOUS,
    value: str = "1",
    numerator: str = "",
    denominator: str = "",
    count: str = "",
    exposure: str = "",
    group: str = "",
    area: str = "",
    source: str = "",
) -> str:
    cells = (period, measure, value, numerator, denominator, count, exposure, group, area, source)
    return ";".join(cells) + "\n"


GOOD = row()


@dataclass(frozen=True)
class Bad:
    """A file with one kind of mistake and the errors it must give: (row, column, code)."""

    kind: str
    content: str | bytes
    expected: list[tuple[int, str, str]]
    name: str = "metingen.csv"
    measure_code: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    first_import: str | None = None  # stored before the bad file is tried


BAD_FILES = [
    Bad("missing period column", "measure;value\ncontacten;1\n", [(1, "period", "missing_column")]),
    Bad(
        "missing measure column",
        "period;value\n2021-03-01;1\n",
        [(1, "measure", "missing_measure_column")],
    ),
    Bad(
        "no value column at all",
        "period;measure\n2021-03-01;contacten\n",
        [(1, "value", "missing_value_columns")],
    ),
    Bad(
        "the measure's kind needs columns the file lacks",
        f"period;measure;value\n2021-03-01;{PROPORTION};1\n",
        [(1, "numerator", "missing_kind_column"), (1, "denominator", "missing_kind_column")],
    ),
    Bad("duplicate column", "period;value;Value\n", [(1, "value", "duplicate_column")]),
    Bad("unknown measure code", HEADER + GOOD + row(measure="onbekend"),
        [(3, "measure", "unknown_measure")]),
    Bad("unknown --measure", "period;value\n2021-03-01;1\n", [(0, "measure", "unknown_measure")],
        measure_code="onbekend"),
    Bad("malformed measure code", HEADER + row(measure="contacten!"),
        [(2, "measure", "bad_measure_code")]),
    Bad("measure differs from --measure", HEADER + row(measure=PROPORTION),
        [(2, "measure", "measure_mismatch")], measure_code=CONTINUOUS),
    Bad("empty period", HEADER + GOOD + row(period=""), [(3, "period", "missing_value")]),
    Bad("unparseable date", HEADER + row(period="maart 2021"), [(2, "period", "bad_date")]),
    Bad("impossible date", HEADER + row(period="31-02-2021"), [(2, "period", "impossible_date")]),
    Bad("future date", HEADER + row(period="01-01-2099"), [(2, "period", "future_date")]),
    Bad("period before the pilot", HEADER + row(period="2019-12-01"),
        [(2, "period", "outside_pilot_period")]),
    Bad("text in a number", HEADER + row(value="twaalf"), [(2, "value", "not_a_number")]),
    Bad("a decimal point in a decimal-comma file", HEADER + row(value="1,5") +
        row(period="2021-04-01", value="2.5"), [(3, "value", "wrong_decimal")]),
    Bad("NaN", HEADER + row(value="NaN"), [(2, "value", "not_finite")]),
    Bad("infinity", HEADER + row(value="inf"), [(2, "value", "not_finite")]),
    Bad("a number over 10^12", HEADER + row(value="2e12"), [(2, "value", "too_large")]),
    Bad("continuous measure with a numerator", HEADER + row(numerator="3"),
        [(2, "numerator", "not_for_kind")]),
    Bad("proportion without its denominator", HEADER + row(measure=PROPORTION, value="",
        numerator="3"), [(2, "denominator", "missing_kind_value")]),
    Bad("count without its count", HEADER + row(measure=COUNT, value="", exposure="10"),
        [(2, "count", "missing_kind_value")]),
    Bad("negative count", HEADER + row(measure=COUNT, value="", count="-1", exposure="10"),
        [(2, "count", "negative")]),
    Bad("non-integer count", HEADER + row(measure=COUNT, value="", count="2,5", exposure="10"),
        [(2, "count", "not_integer")]),
    Bad("numerator above denominator", HEADER + row(measure=PROPORTION, value="",
        numerator="11", denominator="10"), [(2, "numerator", "numerator_gt_denominator")]),
    Bad("negative numerator", HEADER + row(measure=PROPORTION, value="", numerator="-1",
        denominator="10"), [(2, "numerator", "negative")]),
    Bad("zero denominator", HEADER + row(measure=PROPORTION, value="", numerator="0",
        denominator="0"), [(2, "denominator", "not_positive")]),
    Bad("negative exposure", HEADER + row(measure=COUNT, value="", count="1", exposure="-5"),
        [(2, "exposure", "not_positive")]),
    Bad("unknown group", HEADER + row(group="interventie"), [(2, "group", "unknown_group")]),
    Bad("malformed area code", HEADER + row(area="WK0363"), [(2, "area", "bad_area")]),
    Bad("source text too long", HEADER + row(source="x" * 501), [(2, "source", "text_too_long")]),
    Bad("duplicate row within the file", HEADER + GOOD + row(group="comparison") + GOOD,
        [(4, "", "duplicate_row")]),
    Bad("row already in the database", HEADER + row(period="2021-05-01") + GOOD,
        [(3, "", "already_stored")], first_import=HEADER + GOOD),
    Bad("too many fields: decimal comma with comma separator",
        "period,measure,value\n2021-03-01,contacten,12,5\n", [(2, "", "too_many_fields")]),
    Bad("too many fields further down", "period,measure,value\n2021-03-01,contacten,1\n"
        "2021-04-01,contacten,12,5\n", [(3, "", "too_many_fields")]),
    Bad("empty file", "", [(0, "", "empty_file")]),
    Bad("header only", HEADER, [(2, "", "no_rows")]),
    Bad("header and blank lines only", HEADER + "\n;;;;;;;;;\n\n", [(2, "", "no_rows")]),
    Bad("unsupported extension", HEADER + GOOD, [(0, "", "unsupported_extension")],
        name="metingen.pdf"),
    Bad("old Excel format", HEADER + GOOD, [(0, "", "unsupported_extension")],
        name="metingen.xls"),
    Bad("file larger than the limit", HEADER + GOOD, [(0, "", "file_too_large")],
        env={"TRACKER_IMPORT_MAX_BYTES": "50"}),
    Bad("UTF-16 (Excel 'Unicode text')", (HEADER + GOOD).encode("utf-16"),
        [(0, "", "encoding")]),
    Bad("damaged UTF-8 behind a BOM", b"\xef\xbb\xbf" + HEADER.encode() + b"2021-03-01;"
        + CONTINUOUS.encode() + b";1;;;;;;;;bron \xe9\xff\n", [(2, "", "encoding")]),
    Bad("an Excel workbook named .csv", b"PK\x03\x04rest-of-a-zip", [(0, "", "not_csv")]),
    Bad("text named .xlsx", HEADER + GOOD, [(0, "", "unreadable_xlsx")], name="metingen.xlsx"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES, ids=[c.kind for c in BAD_FILES])
def test_a_bad_file_is_refused_with_located_errors_and_changes_nothing(
    engine, tmp_path, monkeypatch, case: Bad
):
    world = make_world(engine)
    if case.first_import:
        first = write(tmp_path, case.first_import, name="eerder.csv")
        assert run_import(engine, world.pilot_id, first).rows_written == 1
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / case.name
    content = case.content if isinstance(case.content, bytes) else case.content.encode()
    path.write_bytes(content)
    before = row_counts(engine)

    report = run_import(engine, world.pilot_id, path, measure_code=case.measure_code)

    assert [(e.row, e.column, e.code) for e in report.errors] == case.expected
    assert report.rows_written == 0
    assert row_counts(engine) == before
    for error in report.errors:
        assert error.file == case.name
        for lang in ("nl", "en"):
            text = error.describe(lang)
            assert case.name in text
            assert "import." not in text and "{" not in text, text
            if error.value:
                assert error.value[:20] in text


def test_every_bad_row_is_reported_with_its_spreadsheet_row_number(engine, tmp_path):
    world = make_world(engine)
    text = (
        HEADER
        + GOOD  # row 2
        + "\n"  # row 3: blank lines are skipped but keep their number
        + row(period="2021-04-01", value="twaalf")  # row 4
        + row(period="31-02-2021")  # row 5
        + row(period="2021-05-01", area="X", group="?")  # row 6
    )
    report = run_import(engine, world.pilot_id, write(tmp_path, text))
    assert [(e.row, e.column, e.code, e.value) for e in report.errors] == [
        (4, "value", "not_a_number", "twaalf"),
        (5, "period", "impossible_date", "31-02-2021"),
        (6, "area", "bad_area", "X"),
        (6, "group", "unknown_group", "?"),
    ]
    assert report.errors[0].describe("nl") == (
        "bestand metingen.csv, rij 4, kolom 'value', waarde 'twaalf': 'twaalf' is geen getal; "
        "schrijf alleen cijfers, zonder eenheid of tekst (12,5)"
    )
    assert report.errors[0].describe("en") == (
        "file metingen.csv, row 4, column 'value', value 'twaalf': 'twaalf' is not a number; "
        "write digits only, without a unit or text (12.5)"
    )
    assert count_measurements_in(engine) == 0


def count_measurements_in(engine) -> int:
    with session_scope(engine) as session:
        return count_measurements(session)


def test_the_report_keeps_every_error_however_many(engine, tmp_path):
    world = make_world(engine)
    text = HEADER + "".join(row(period=f"2021-{m:02d}-01", value="x") for m in range(1, 13))
    text += "".join(row(period=f"2022-{m:02d}-01", area=f"WK{m}") for m in range(1, 13))
    report = run_import(engine, world.pilot_id, write(tmp_path, text))
    assert len(report.errors) == 24
    assert report.rows_read == 24


def test_a_file_over_the_limit_is_refused_before_it_is_read(engine, tmp_path, monkeypatch):
    world = make_world(engine)
    path = write(tmp_path, HEADER + GOOD)
    monkeypatch.setenv("TRACKER_IMPORT_MAX_BYTES", str(path.stat().st_size - 1))
    report = run_import(engine, world.pilot_id, path)
    assert [e.code for e in report.errors] == ["file_too_large"]
    assert report.file_sha256 == ""  # never opened, so never hashed
    monkeypatch.setenv("TRACKER_IMPORT_MAX_BYTES", str(path.stat().st_size))
    assert run_import(engine, world.pilot_id, path).rows_written == 1


# --------------------------------------------------------------------------- the store
def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_store_writes_what_the_orm_would_write(engine):
    world = make_world(engine)
    frame = frame_of(
        [
            {"measure": CONTINUOUS, "period": dt.date(2021, 3, 1), "value": 2.5},
            {"measure": PROPORTION, "period": "2021-04-01", "numerator": 1, "denominator": 4},
        ]
    )
    with session_scope(engine) as session:
        n = store_measurement_frame(session, world.pilot_id, frame, source="api", actor=ACTOR)
        orm = Measurement(
            pilot_id=world.pilot_id,
            measure_id=find_measure(session, CONTINUOUS).id,
            period=dt.date(2021, 5, 1),
            value=1.0,
            entered_by=ACTOR.name,
        )
        session.add(orm)
    assert n == 2
    with session_scope(engine) as session:
        rows = session.exec(select(Measurement).order_by(Measurement.id)).all()
        assert [(r.period, r.area, str(r.group), r.value, r.numerator, r.denominator,
                 r.source) for r in rows] == [
            (d("2021-03-01"), "", "pilot", 2.5, None, None, "api"),
            (d("2021-04-01"), "", "pilot", None, 1.0, 4.0, "api"),
            (d("2021-05-01"), "", "pilot", 1.0, None, None, ""),
        ]  # fmt: skip
        for r in rows:
            assert r.entered_at.tzinfo is not None
            assert r.entered_at.utcoffset() == dt.timedelta(0)
            assert abs(r.entered_at - rows[-1].entered_at) < dt.timedelta(minutes=5)
        # The raw text on SQLite has the ORM's own layout, so both sort and compare alike.
        if engine.dialect.name == "sqlite":
            raw = session.connection().exec_driver_sql(
                "SELECT entered_at FROM measurement ORDER BY id"
            )
            texts = [t for (t,) in raw]
            assert [len(t) for t in texts] == [26, 26, 26]
            assert all(t[10] == " " and t[19] == "." for t in texts)


def test_stored_rows_vanish_with_the_callers_rollback(engine):
    world = make_world(engine)
    frame = frame_of([{"measure": CONTINUOUS, "period": "2021-03-01", "value": 1.0}])
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        store_measurement_frame(session, world.pilot_id, frame, source="x", actor=ACTOR)
        assert count_measurements(session, world.pilot_id) == 1
        raise RuntimeError("something later in the same transaction fails")
    assert count_measurements_in(engine) == 0


def test_storing_a_row_twice_is_refused_and_rolls_back(engine):
    world = make_world(engine)
    frame = frame_of([{"measure": CONTINUOUS, "period": "2021-03-01", "value": 1.0}])
    with session_scope(engine) as session:
        store_measurement_frame(session, world.pilot_id, frame, source="x", actor=ACTOR)
    twice = pd.concat([frame.assign(period="2021-04-01"), frame])
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        store_measurement_frame(session, world.pilot_id, twice, source="x", actor=ACTOR)
    assert caught.value.errors[0].code == "measurement_exists"
    assert count_measurements_in(engine) == 1


def test_a_failure_after_the_store_leaves_no_rows_and_no_audit_event(engine, tmp_path):
    world = make_world(engine)
    before = row_counts(engine)
    path = write(tmp_path, MIXED_DUTCH)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        report = import_measurements(session, world.pilot_id, path, actor=ACTOR)
        assert report.rows_written == 4
        raise RuntimeError("the caller fails afterwards")
    assert row_counts(engine) == before
    with session_scope(engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "import")).all() == []
