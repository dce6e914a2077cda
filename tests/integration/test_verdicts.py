"""Stored verdicts: ``refresh_verdicts`` writes what ``analyze_pilot`` says, one row per hypothesis.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlmodel import col, select

from tests import factories
from tests.concurrency import race
from tests.db_helpers import row_counts
from tests.import_helpers import write
from tracker.db import session_scope
from tracker.errors import NotFoundError
from tracker.models import HypothesisVerdict
from tracker.services import verdicts
from tracker.services.analysis import analyze_pilot
from tracker.services.measurements import import_measurements, store_measurement_frame
from tracker.services.verdicts import refresh_verdicts, stored_verdicts

ACTOR = factories.ACTOR
# Deterministic noise around the level, so the fits have something to estimate.
WIGGLE = (0.0, 2.0, -1.0, 3.0, -2.0, 1.0)


def contacts(before: float, after: float, *, months: int = 12) -> pd.DataFrame:
    """Monthly pilot-group values of "contacten": ``months`` before 2021-01-01, ``months`` after.

    The pilot of ``factories.pilot`` starts its intervention on 2021-01-01.
    """
    start = pd.Timestamp(2021, 1, 1) - pd.DateOffset(months=months)
    periods = pd.date_range(start, periods=2 * months, freq="MS")
    values = [
        (before if i < months else after) + WIGGLE[i % len(WIGGLE)] for i in range(2 * months)
    ]
    return pd.DataFrame({"measure": "contacten", "period": periods, "value": values})


@pytest.fixture
def world(engine) -> dict[str, int]:
    """A pilot with three hypotheses: H1 and H2 on "contacten" (which gets data), H3 on a measure
    without data. Nothing analysed yet."""
    with session_scope(engine) as session:
        factories.measure(session, "contacten")
        factories.measure(session, "wachttijd", name="Wachttijd in dagen", unit="dagen")
        pilot = factories.pilot(session)
        assert pilot.id is not None
        ids = {"pilot": pilot.id}
        for code, overrides in {
            "H1": {},
            "H2": {"expected_direction": "increase", "is_primary": False},
            "H3": {"measure_code": "wachttijd"},
        }.items():
            hypothesis = factories.hypothesis(session, pilot.id, code, **overrides)
            assert hypothesis.id is not None
            ids[code] = hypothesis.id
        return ids


def store(engine, pilot_id: int, frame: pd.DataFrame) -> None:
    """Measurements through the bulk store (no import, so no refresh of its own)."""
    with session_scope(engine) as session:
        store_measurement_frame(session, pilot_id, frame, source="test", actor=ACTOR)


def verdict_rows(engine, pilot_id: int) -> list[HypothesisVerdict]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(HypothesisVerdict)
                .where(HypothesisVerdict.pilot_id == pilot_id)
                .order_by(col(HypothesisVerdict.hypothesis_id))
            )
        )


# --------------------------------------------------------------------------- what is written
def test_refresh_stores_exactly_what_analyze_pilot_says(engine, world):
    store(engine, world["pilot"], contacts(before=100, after=80))
    with session_scope(engine) as session:
        analyses = {a.code: a.result for a in analyze_pilot(session, world["pilot"])}
        refresh_verdicts(session, world["pilot"])
    rows = {row.hypothesis_id: row for row in verdict_rows(engine, world["pilot"])}
    assert set(rows) == {world["H1"], world["H2"], world["H3"]}
    # The data decide H1 and H2 (so this is more than a table of insufficient_data rows).
    assert analyses["H1"].verdict != "insufficient_data"
    assert analyses["H2"].verdict != "insufficient_data"
    for code, result in analyses.items():
        row = rows[world[code]]
        expected = result.to_dict("nl")
        assert row.pilot_id == world["pilot"]
        assert (row.verdict, row.design) == (result.verdict, result.design)
        assert (row.estimate, row.ci_low, row.ci_high, row.p_value, row.p_adjusted) == (
            expected["estimate"],
            expected["ci_low"],
            expected["ci_high"],
            expected["p_value"],
            expected["p_adjusted"],
        )
        assert row.result_json == expected


def test_a_hypothesis_without_data_gets_an_insufficient_data_row(engine, world):
    store(engine, world["pilot"], contacts(before=100, after=80))
    with session_scope(engine) as session:
        refresh_verdicts(session, world["pilot"])
    row = next(r for r in verdict_rows(engine, world["pilot"]) if r.hypothesis_id == world["H3"])
    assert (row.verdict, row.design, row.estimate, row.p_value) == (
        "insufficient_data",
        None,
        None,
        None,
    )
    assert row.result_json["verdict"] == "insufficient_data"
    assert row.result_json["verdict_reason"]  # says what is missing


def test_refresh_returns_the_rows_in_hypothesis_code_order(engine, world):
    with session_scope(engine) as session:
        rows = refresh_verdicts(session, world["pilot"])
        assert [r.hypothesis_id for r in rows] == [world["H1"], world["H2"], world["H3"]]


def test_the_json_result_keeps_the_holm_adjustment_of_the_primary_hypotheses(engine, world):
    store(engine, world["pilot"], contacts(before=100, after=80))
    with session_scope(engine) as session:
        # A second primary hypothesis with data: now Holm has two p-values to adjust.
        h4 = factories.hypothesis(session, world["pilot"], "H4", min_effect=50.0)
        refresh_verdicts(session, world["pilot"])
    rows = {r.hypothesis_id: r for r in verdict_rows(engine, world["pilot"])}
    for primary in (rows[world["H1"]], rows[h4.id]):
        assert primary.p_adjusted is not None and primary.p_value is not None
        assert primary.p_adjusted >= primary.p_value
        assert primary.result_json["p_adjusted"] == primary.p_adjusted
    assert rows[world["H2"]].p_adjusted is None  # secondary: not adjusted


# --------------------------------------------------------------------------- replacing
def test_a_second_refresh_replaces_the_rows_instead_of_adding_to_them(engine, world):
    with session_scope(engine) as session:
        refresh_verdicts(session, world["pilot"])
    first = {
        r.hypothesis_id: (r.verdict, r.computed_at) for r in verdict_rows(engine, world["pilot"])
    }
    assert {v for v, _ in first.values()} == {"insufficient_data"}
    store(engine, world["pilot"], contacts(before=100, after=80))
    with session_scope(engine) as session:
        refresh_verdicts(session, world["pilot"])
    second = {
        r.hypothesis_id: (r.verdict, r.computed_at) for r in verdict_rows(engine, world["pilot"])
    }
    assert set(second) == set(first)
    assert second[world["H1"]][0] != "insufficient_data"
    assert all(second[h][1] >= first[h][1] for h in first)
    assert row_counts(engine)["hypothesis_verdict"] == 3


def test_two_refreshes_in_one_transaction_leave_one_row_per_hypothesis(engine, world):
    store(engine, world["pilot"], contacts(before=100, after=80))
    with session_scope(engine) as session:
        refresh_verdicts(session, world["pilot"])
        again = refresh_verdicts(session, world["pilot"])
        assert len(again) == 3
    assert row_counts(engine)["hypothesis_verdict"] == 3


def test_refreshing_one_pilot_leaves_the_other_pilots_rows_alone(engine, world):
    with session_scope(engine) as session:
        other = factories.pilot(session, slug="ander-project")
        assert other.id is not None
        factories.hypothesis(session, other.id, "H1")
        refresh_verdicts(session, other.id)
        refresh_verdicts(session, world["pilot"])
        refresh_verdicts(session, world["pilot"])
    assert len(verdict_rows(engine, other.id)) == 1
    assert len(verdict_rows(engine, world["pilot"])) == 3


def test_stored_verdicts_are_keyed_by_hypothesis_id(engine, world):
    with session_scope(engine) as session:
        assert stored_verdicts(session, world["pilot"]) == {}
        refresh_verdicts(session, world["pilot"])
    with session_scope(engine) as session:
        stored = stored_verdicts(session, world["pilot"])
        assert set(stored) == {world["H1"], world["H2"], world["H3"]}
        assert all(stored[h].hypothesis_id == h for h in stored)


def test_refreshing_an_unknown_pilot_raises_not_found(engine):
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        refresh_verdicts(session, 999)


def test_refresh_records_no_audit_event(engine, world):
    before = row_counts(engine)["audit_event"]
    with session_scope(engine) as session:
        refresh_verdicts(session, world["pilot"])
    assert row_counts(engine)["audit_event"] == before


def test_two_refreshes_of_one_pilot_at_the_same_time_both_succeed(engine, world):
    """A stops just before it inserts its rows while B refreshes the same pilot: B waits for A
    instead of inserting the same keys, then replaces A's rows."""
    store(engine, world["pilot"], contacts(before=100, after=80))
    outcomes = race(
        engine,
        {
            "A": lambda s: refresh_verdicts(s, world["pilot"]),
            "B": lambda s: refresh_verdicts(s, world["pilot"]),
        },
        pause_on="INSERT INTO hypothesis_verdict",
        when="before",
    )
    assert outcomes == {"A": "saved", "B": "saved"}
    assert len(verdict_rows(engine, world["pilot"])) == 3


# --------------------------------------------------------------------------- the import hook
CSV = "period,measure,value\n" + "".join(
    f"{p:%Y-%m-%d},contacten,{v}\n"
    for p, v in contacts(before=100, after=80)[["period", "value"]].itertuples(index=False)
)


def test_a_successful_import_refreshes_the_pilots_verdicts(engine, world, tmp_path):
    with session_scope(engine) as session:
        report = import_measurements(session, world["pilot"], write(tmp_path, CSV), actor=ACTOR)
        assert report.ok and report.rows_written == 24
    with session_scope(engine) as session:
        expected = {world[a.code]: a.result.verdict for a in analyze_pilot(session, world["pilot"])}
        stored = {h: row.verdict for h, row in stored_verdicts(session, world["pilot"]).items()}
    assert stored == expected
    assert stored[world["H1"]] != "insufficient_data"


def test_a_dry_run_import_stores_no_verdicts(engine, world, tmp_path):
    with session_scope(engine) as session:
        report = import_measurements(
            session, world["pilot"], write(tmp_path, CSV), actor=ACTOR, dry_run=True
        )
        assert report.ok
    assert row_counts(engine)["hypothesis_verdict"] == 0


def test_a_refused_import_stores_no_verdicts(engine, world, tmp_path):
    bad = CSV + "2021-06-01,onbekend,3\n"
    with session_scope(engine) as session:
        report = import_measurements(session, world["pilot"], write(tmp_path, bad), actor=ACTOR)
        assert not report.ok
    assert row_counts(engine)["hypothesis_verdict"] == 0


def test_a_refresh_that_fails_rolls_the_import_back(engine, world, tmp_path, monkeypatch):
    def broken(session, pilot_id):
        raise RuntimeError("analysis broke")

    monkeypatch.setattr(verdicts, "refresh_verdicts", broken)
    before = row_counts(engine)
    with pytest.raises(RuntimeError, match="analysis broke"), session_scope(engine) as session:
        import_measurements(session, world["pilot"], write(tmp_path, CSV), actor=ACTOR)
    assert row_counts(engine) == before
