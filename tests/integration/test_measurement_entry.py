"""Measurements entered by hand: one value from a form, and an edited grid saved all-or-nothing.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlmodel import col, select

from tests.concurrency import race
from tests.db_helpers import row_counts
from tests.import_helpers import CONTINUOUS, COUNT, PROPORTION, World, d, make_world, stored
from tracker.db import session_scope
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import Measurement
from tracker.services import audit
from tracker.services.access import system
from tracker.services.measurement_entry import (
    GridSaveReport,
    MeasurementConflictError,
    measurement_grid,
    save_measurement,
    save_measurement_grid,
)

ACTOR = system("beleid@gemeente.example")
OTHER = system("collega@gemeente.example")


@pytest.fixture
def world(engine) -> World:
    return make_world(engine)


def save(engine, world: World, measure: str = CONTINUOUS, **kwargs: Any) -> Measurement:
    kwargs.setdefault("period", d("2021-03-01"))
    kwargs.setdefault("actor", ACTOR)
    with session_scope(engine) as session:
        return save_measurement(session, world.pilot_id, measure, **kwargs)


def refused(engine, world: World, measure: str = CONTINUOUS, **kwargs: Any) -> ValidationError:
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        save(engine, world, measure, **kwargs)
    assert row_counts(engine) == before
    return caught.value


def last_event(engine):
    with session_scope(engine) as session:
        return audit.list_events(session)[-1]


# --------------------------------------------------------------------------- form: saving
def test_a_value_from_a_form_is_stored_with_a_create_event(engine, world):
    row = save(engine, world, value=12.5, source="eigen telling")
    assert stored(engine) == [
        (CONTINUOUS, d("2021-03-01"), "", "pilot", 12.5, None, None, None, None,
         "eigen telling", ACTOR.name),
    ]  # fmt: skip
    event = last_event(engine)
    assert (event.action, event.entity, event.entity_id, event.pilot_id, event.actor) == (
        "create",
        "measurement",
        row.id,
        world.pilot_id,
        ACTOR.name,
    )
    assert event.after["value"] == 12.5


@pytest.mark.parametrize(
    ("measure", "kwargs", "expected"),
    [
        (PROPORTION, {"numerator": 3, "denominator": 10}, (None, 3.0, 10.0, None, None)),
        (PROPORTION, {"numerator": 0, "denominator": 10}, (None, 0.0, 10.0, None, None)),
        (PROPORTION, {"numerator": 10, "denominator": 10}, (None, 10.0, 10.0, None, None)),
        (COUNT, {"count": 7, "exposure": 1500}, (None, None, None, 7.0, 1500.0)),
        (COUNT, {"count": 0.0, "exposure": 0.5}, (None, None, None, 0.0, 0.5)),
        (CONTINUOUS, {"value": -3.25}, (-3.25, None, None, None, None)),
    ],
)
def test_each_kind_stores_its_own_value_columns(engine, world, measure, kwargs, expected):
    save(engine, world, measure, **kwargs)
    assert stored(engine)[0][4:9] == expected


def test_area_and_group_are_stored_in_their_canonical_form(engine, world):
    save(engine, world, value=1, area=" wk036301 ", group="vergelijking")
    assert stored(engine)[0][2:4] == ("WK036301", "comparison")


def test_the_first_and_last_day_of_the_pilot_are_inside_its_period(engine, world):
    save(engine, world, value=1, period=d("2020-01-01"))
    save(engine, world, value=2, period=d("2022-12-31"))
    assert [r[1] for r in stored(engine)] == [d("2020-01-01"), d("2022-12-31")]


# --------------------------------------------------------------------------- form: refusals
FORM_ERRORS = [
    ("continuous without value", CONTINUOUS, {}, [("value", "missing_kind_value")]),
    ("continuous with a numerator", CONTINUOUS, {"value": 1, "numerator": 2},
     [("numerator", "not_for_kind")]),
    ("proportion without denominator", PROPORTION, {"numerator": 2},
     [("denominator", "missing_kind_value")]),
    ("numerator above denominator", PROPORTION, {"numerator": 11, "denominator": 10},
     [("numerator", "numerator_gt_denominator")]),
    ("negative numerator", PROPORTION, {"numerator": -1, "denominator": 10},
     [("numerator", "negative")]),
    ("zero denominator", PROPORTION, {"numerator": 0, "denominator": 0},
     [("denominator", "not_positive")]),
    ("count with a fraction", COUNT, {"count": 2.5, "exposure": 10}, [("count", "not_integer")]),
    ("negative count and zero exposure", COUNT, {"count": -1, "exposure": 0},
     [("count", "negative"), ("exposure", "not_positive")]),
    ("count with a value", COUNT, {"count": 1, "exposure": 10, "value": 3},
     [("value", "not_for_kind")]),
    ("infinite value", CONTINUOUS, {"value": float("inf")}, [("value", "not_finite")]),
    ("value over 10^12", CONTINUOUS, {"value": 2e12}, [("value", "too_large")]),
    ("period before the pilot", CONTINUOUS, {"value": 1, "period": d("2019-12-31")},
     [("period", "outside_pilot_period")]),
    ("period after the pilot", CONTINUOUS, {"value": 1, "period": d("2023-01-01")},
     [("period", "outside_pilot_period")]),
    ("period in the future", CONTINUOUS, {"value": 1, "period": d("2099-01-01")},
     [("period", "future_date")]),
    ("not a CBS area code", CONTINUOUS, {"value": 1, "area": "Noord"}, [("area", "bad_area")]),
    ("unknown group", CONTINUOUS, {"value": 1, "group": "controle"},
     [("group", "unknown_group")]),
    ("source too long", CONTINUOUS, {"value": 1, "source": "x" * 501},
     [("source", "text_too_long")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("measure", "kwargs", "expected"),
    [case[1:] for case in FORM_ERRORS],
    ids=[case[0] for case in FORM_ERRORS],
)
def test_a_form_value_is_refused_exactly_as_an_imported_row(
    engine, world, measure, kwargs, expected
):
    error = refused(engine, world, measure, **kwargs)
    assert [(e.field, e.code) for e in error.errors] == expected
    assert all(e.message_nl and e.message_en for e in error.errors)


def test_a_refusal_says_the_value_and_what_to_do_in_dutch_and_english(engine, world):
    error = refused(engine, world, PROPORTION, numerator=12, denominator=10)
    assert error.message("nl") == (
        "numerator: teller 12 is groter dan noemer 10; een aandeel is hoogstens 100%, "
        "controleer of teller en noemer verwisseld zijn"
    )
    assert error.message("en") == (
        "numerator: numerator 12 is larger than denominator 10; a proportion is at most 100%, "
        "check whether numerator and denominator are swapped"
    )
    assert error.errors[0].value == "12"


def test_an_unknown_measure_is_refused(engine, world):
    error = refused(engine, world, "onbekend", value=1)
    assert [(e.field, e.code, e.value) for e in error.errors] == [
        ("measure", "unknown_measure", "onbekend")
    ]


def test_an_unknown_pilot_is_not_found(engine, world):
    with session_scope(engine) as session, pytest.raises(NotFoundError):
        save_measurement(session, 9999, CONTINUOUS, period=d("2021-03-01"), value=1, actor=ACTOR)


# --------------------------------------------------------------------------- form: existing
def test_saving_an_existing_measurement_again_is_a_conflict_that_says_how_to_change_it(
    engine, world
):
    save(engine, world, PROPORTION, numerator=3, denominator=10, area="WK036301")
    before = row_counts(engine)
    with pytest.raises(ConflictError) as caught:
        save(engine, world, PROPORTION, numerator=4, denominator=10, area="wk036301")
    assert isinstance(caught.value, MeasurementConflictError)
    assert caught.value.message("nl") == (
        "er is al een meting van indicator verwijzingen voor periode 2021-03-01, gebied "
        "WK036301, groep pilot (opgeslagen: 3 / 10); er is niets opgeslagen. Kies 'vervangen' "
        "om die waarde te overschrijven, of wijzig haar in de tabel met metingen"
    )
    assert "Choose 'replace'" in caught.value.message("en")
    assert row_counts(engine) == before
    assert stored(engine)[0][5:7] == (3.0, 10.0)


def test_replace_updates_the_stored_measurement_with_an_update_event(engine, world):
    first = save(engine, world, value=12.5, group="comparison")
    second = save(
        engine, world, value=13.0, group="comparison", replace=True, actor=OTHER, source="CBS"
    )
    assert second.id == first.id
    assert stored(engine) == [
        (CONTINUOUS, d("2021-03-01"), "", "comparison", 13.0, None, None, None, None, "CBS",
         OTHER.name),
    ]  # fmt: skip
    event = last_event(engine)
    assert (event.action, event.entity, event.entity_id, event.actor) == (
        "update",
        "measurement",
        first.id,
        OTHER.name,
    )
    assert (event.before["value"], event.after["value"]) == (12.5, 13.0)


def test_replace_without_an_existing_measurement_creates_one(engine, world):
    save(engine, world, value=1, replace=True)
    assert last_event(engine).action == "create"


def test_the_same_period_in_another_area_or_group_is_another_measurement(engine, world):
    save(engine, world, value=1)
    save(engine, world, value=2, area="WK036301")
    save(engine, world, value=3, group="comparison")
    assert len(stored(engine)) == 3


def test_two_forms_saving_the_same_new_measurement_at_once_store_it_once(engine, world):
    def attempt(value: float):
        return lambda s: save_measurement(
            s, world.pilot_id, CONTINUOUS, period=d("2021-03-01"), value=value, actor=ACTOR
        )

    outcomes = race(
        engine,
        {"A": attempt(1.0), "B": attempt(2.0)},
        pause_on="INSERT INTO measurement",
        when="after",
    )
    assert sorted(map(str, outcomes.values())) == ["conflict", "saved"], outcomes
    winner = 1.0 if outcomes["A"] == "saved" else 2.0
    assert [r[4] for r in stored(engine)] == [winner]
    with session_scope(engine) as session:
        assert audit.verify_chain(session).ok


# --------------------------------------------------------------------------- the grid
def fill(engine, world: World) -> None:
    """Five proportion measurements and one of another measure, committed."""
    with session_scope(engine) as session:
        for period, area, group, num, den in [
            ("2021-02-01", "", "pilot", 4, 20),
            ("2021-01-01", "WK036302", "comparison", 1, 10),
            ("2021-01-01", "WK036301", "pilot", 2, 10),
            ("2021-01-01", "", "pilot", 3, 10),
            ("2021-01-01", "", "comparison", 5, 50),
        ]:
            save_measurement(
                session,
                world.pilot_id,
                PROPORTION,
                period=d(period),
                area=area,
                group=group,
                numerator=num,
                denominator=den,
                actor=ACTOR,
            )
        save_measurement(
            session, world.pilot_id, CONTINUOUS, period=d("2021-01-01"), value=9, actor=ACTOR
        )


def grid(engine, world: World, measure: str = PROPORTION) -> pd.DataFrame:
    with session_scope(engine) as session:
        return measurement_grid(session, world.pilot_id, measure)


def save_grid(engine, world: World, original, edited, measure: str = PROPORTION, actor=ACTOR):
    with session_scope(engine) as session:
        return save_measurement_grid(
            session, world.pilot_id, measure, original=original, edited=edited, actor=actor
        )


def proportions(engine) -> list[tuple[Any, ...]]:
    """(period, area, group, numerator, denominator) of the stored proportions."""
    return [(str(r[1]), r[2], r[3], r[5], r[6]) for r in stored(engine) if r[0] == PROPORTION]


def test_the_grid_holds_one_measure_sorted_by_period_group_and_area(engine, world):
    fill(engine, world)
    frame = grid(engine, world)
    expected = pd.DataFrame(
        {
            "id": np.array([5, 2, 4, 3, 1], dtype="int64"),  # the order fill() saved them
            "period": pd.Series([d("2021-01-01")] * 4 + [d("2021-02-01")], dtype=object),
            "area": pd.Series(["", "WK036302", "", "WK036301", ""], dtype="str"),
            "group": pd.Series(
                ["comparison", "comparison", "pilot", "pilot", "pilot"], dtype="str"
            ),
            "numerator": [5.0, 1.0, 3.0, 2.0, 4.0],
            "denominator": [50.0, 10.0, 10.0, 10.0, 20.0],
        }
    )
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize(
    ("measure", "columns"),
    [
        (CONTINUOUS, ["id", "period", "area", "group", "value"]),
        (PROPORTION, ["id", "period", "area", "group", "numerator", "denominator"]),
        (COUNT, ["id", "period", "area", "group", "count", "exposure"]),
    ],
)
def test_the_grid_has_the_value_columns_of_the_measures_kind(engine, world, measure, columns):
    frame = grid(engine, world, measure)
    assert list(frame.columns) == columns
    assert frame.empty and frame["id"].dtype == "int64"


def test_an_unchanged_grid_writes_nothing(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    before = row_counts(engine)
    report = save_grid(engine, world, original, original.copy())
    assert report == GridSaveReport(0, 0, 0)
    assert row_counts(engine) == before


def test_changed_added_and_removed_rows_are_saved_with_one_audit_event(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited.loc[2, "numerator"] = 6  # 2021-01-01 pilot, no area: 3/10 → 6/10
    edited = edited.drop(index=1)  # 2021-01-01 comparison WK036302
    added = pd.DataFrame(
        [
            {"id": np.nan, "period": d("2021-03-01"), "area": None, "group": None,
             "numerator": 7, "denominator": 20},
            {"id": np.nan, "period": d("2021-03-01"), "area": "wk036301", "group": "pilot",
             "numerator": 1.0, "denominator": 4.0},
        ]
    )  # fmt: skip
    edited = pd.concat([edited, added], ignore_index=True)
    before = row_counts(engine)
    report = save_grid(engine, world, original, edited, actor=OTHER)
    assert report == GridSaveReport(inserted=2, updated=1, deleted=1)
    assert proportions(engine) == [
        ("2021-01-01", "", "comparison", 5.0, 50.0),
        ("2021-01-01", "", "pilot", 6.0, 10.0),
        ("2021-01-01", "WK036301", "pilot", 2.0, 10.0),
        ("2021-02-01", "", "pilot", 4.0, 20.0),
        ("2021-03-01", "", "pilot", 7.0, 20.0),
        ("2021-03-01", "WK036301", "pilot", 1.0, 4.0),
    ]
    assert row_counts(engine)["audit_event"] == before["audit_event"] + 1
    event = last_event(engine)
    assert (event.action, event.entity, event.entity_id, event.pilot_id, event.actor) == (
        "grid_save",
        "measurement",
        None,
        world.pilot_id,
        OTHER.name,
    )
    assert {k: event.after[k] for k in ("measure", "inserted", "updated", "deleted")} == {
        "measure": PROPORTION,
        "inserted": 2,
        "updated": 1,
        "deleted": 1,
    }
    assert [r["numerator"] for r in event.before["updated"]] == [3.0]
    assert [r["area"] for r in event.before["deleted"]] == ["WK036302"]
    assert [r["numerator"] for r in event.after["updated_rows"]] == [6.0]
    with session_scope(engine) as session:
        assert audit.verify_chain(session).ok


def test_a_changed_row_is_stamped_with_who_changed_it(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited.loc[0, "denominator"] = 60
    save_grid(engine, world, original, edited, actor=OTHER)
    changed = [r for r in stored(engine) if r[0] == PROPORTION and r[6] == 60.0]
    assert [r[10] for r in changed] == [OTHER.name]


def test_a_cell_written_differently_but_meaning_the_same_is_not_a_change(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited["area"] = edited["area"].str.lower()
    edited["period"] = pd.to_datetime(edited["period"])  # the editor may hand back Timestamps
    assert save_grid(engine, world, original, edited) == GridSaveReport(0, 0, 0)


def test_an_empty_new_row_of_the_editor_is_ignored(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    blank = pd.DataFrame([{c: None for c in original.columns}])
    edited = pd.concat([original, blank], ignore_index=True)
    assert save_grid(engine, world, original, edited) == GridSaveReport(0, 0, 0)


def test_two_rows_may_swap_periods(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    # Row 2 (2021-01-01 pilot, no area) and row 4 (2021-02-01 pilot, no area) swap periods.
    edited.loc[2, "period"], edited.loc[4, "period"] = d("2021-02-01"), d("2021-01-01")
    assert save_grid(engine, world, original, edited) == GridSaveReport(0, 2, 0)
    rows = {(r[0], r[1], r[2]): r[3:] for r in proportions(engine)}
    assert rows[("2021-01-01", "", "pilot")] == (4.0, 20.0)
    assert rows[("2021-02-01", "", "pilot")] == (3.0, 10.0)


def test_every_wrong_cell_of_the_grid_is_reported_at_once_and_nothing_is_written(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited.loc[1, "numerator"] = 11  # row 2: 11 of 10
    edited.loc[3, "period"] = d("2019-06-01")  # row 4: before the pilot
    added = pd.DataFrame(
        [{"id": None, "period": d("2021-05-01"), "area": "Noord", "group": "pilot",
          "numerator": 2, "denominator": 5},
         {"id": None, "period": d("2021-06-01"), "area": "", "group": "pilot",
          "numerator": 2.5, "denominator": None}]
    )  # fmt: skip
    edited = pd.concat([edited, added], ignore_index=True)  # rows 6 and 7
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        save_grid(engine, world, original, edited)
    assert [(e.field, e.code, e.value) for e in caught.value.errors] == [
        ("rij 2, kolom numerator", "numerator_gt_denominator", "11"),
        ("rij 4, kolom period", "outside_pilot_period", "2019-06-01"),
        ("rij 6, kolom area", "bad_area", "Noord"),
        ("rij 7, kolom denominator", "missing_kind_value", ""),
    ]
    assert caught.value.errors[1].message_nl == (
        "2019-06-01 ligt buiten de looptijd van de pilot (2020-01-01 t/m 2022-12-31); "
        "controleer de datum, of pas eerst de looptijd van de pilot aan"
    )
    assert caught.value.errors[1].message_en.startswith("2019-06-01 lies outside the pilot's")
    assert row_counts(engine) == before


def test_a_row_that_repeats_another_rows_period_area_and_group_is_refused(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited.loc[4, "period"] = d("2021-01-01")  # row 5 now repeats row 3 (pilot, no area)
    added = pd.DataFrame(
        [{"id": None, "period": d("2021-01-01"), "area": "WK036302", "group": "vergelijking",
          "numerator": 1, "denominator": 2}]
    )  # fmt: skip
    edited = pd.concat([edited, added], ignore_index=True)  # row 6 repeats row 2
    with pytest.raises(ValidationError) as caught:
        save_grid(engine, world, original, edited)
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("rij 5", "duplicate_in_grid"),
        ("rij 6", "duplicate_in_grid"),
    ]
    assert caught.value.errors[1].message_nl == (
        "deze meting (periode 2021-01-01, gebied WK036302, groep vergelijking) staat ook op "
        "rij 2; houd één van beide rijen over, of wijzig de periode, het gebied of de groep"
    )


def test_an_added_row_that_someone_else_stored_meanwhile_is_refused(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    save(engine, world, PROPORTION, period=d("2021-04-01"), numerator=1, denominator=2)
    added = pd.DataFrame(
        [{"id": None, "period": d("2021-04-01"), "area": "", "group": "pilot",
          "numerator": 5, "denominator": 6}]
    )  # fmt: skip
    edited = pd.concat([original, added], ignore_index=True)
    with pytest.raises(ValidationError) as caught:
        save_grid(engine, world, original, edited)
    assert [(e.field, e.code) for e in caught.value.errors] == [("rij 6", "added_exists")]
    assert "periode 2021-04-01, gebied (geen), groep pilot" in caught.value.errors[0].message_nl


def someone_else(engine, world: World, **changes: Any) -> None:
    """Another person changes the 2021-01-01 pilot row without an area, or deletes it."""
    with session_scope(engine) as session:
        row = session.exec(
            select(Measurement).where(
                Measurement.period == d("2021-01-01"),
                Measurement.area == "",
                Measurement.group == "pilot",
                col(Measurement.numerator).is_not(None),
            )
        ).one()
        if changes.get("delete"):
            session.delete(row)
        else:
            for name, value in changes.items():
                setattr(row, name, value)
            session.add(row)


@pytest.mark.parametrize("theirs", [{"numerator": 4.0}, {"delete": True}])
@pytest.mark.parametrize("mine", ["change", "delete"])
def test_a_row_someone_else_changed_meanwhile_is_never_overwritten(engine, world, theirs, mine):
    fill(engine, world)
    original = grid(engine, world)
    someone_else(engine, world, **theirs)
    expected = proportions(engine)
    edited = original.copy()
    edited.loc[0, "numerator"] = 1  # an unrelated change in the same save
    if mine == "change":
        edited.loc[2, "numerator"] = 8
    else:
        edited = edited.drop(index=2)
    with pytest.raises(ConflictError) as caught:
        save_grid(engine, world, original, edited)
    assert caught.value.message("nl") == (
        "iemand anders heeft intussen metingen van indicator verwijzingen gewijzigd of "
        "verwijderd (periode 2021-01-01, gebied (geen), groep pilot); uw wijzigingen zijn "
        "niet opgeslagen. Laad de tabel opnieuw en breng uw wijzigingen opnieuw aan"
    )
    assert "period 2021-01-01, area (none), group pilot" in caught.value.message("en")
    assert proportions(engine) == expected


def test_a_row_someone_else_changed_is_kept_when_the_grid_leaves_it_alone(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    someone_else(engine, world, numerator=4.0)
    edited = original.copy()
    edited.loc[0, "numerator"] = 1
    assert save_grid(engine, world, original, edited) == GridSaveReport(0, 1, 0)
    rows = {(r[0], r[1], r[2]): r[3] for r in proportions(engine)}
    assert rows[("2021-01-01", "", "pilot")] == 4.0
    assert rows[("2021-01-01", "", "comparison")] == 1.0


def test_two_grid_saves_from_the_same_grid_let_exactly_one_win(engine, world):
    fill(engine, world)
    original = grid(engine, world)

    def edit(numerator: float):
        edited = original.copy()
        edited.loc[2, "numerator"] = numerator
        return lambda s: save_measurement_grid(
            s, world.pilot_id, PROPORTION, original=original, edited=edited, actor=ACTOR
        )

    outcomes = race(
        engine,
        {"A": edit(6.0), "B": edit(7.0)},
        pause_on="UPDATE measurement",
        when="after",
    )
    assert sorted(map(str, outcomes.values())) == ["conflict", "saved"], outcomes
    winner = 6.0 if outcomes["A"] == "saved" else 7.0
    rows = {(r[0], r[1], r[2]): r[3] for r in proportions(engine)}
    assert rows[("2021-01-01", "", "pilot")] == winner


def test_a_grid_of_an_unknown_measure_or_pilot_is_refused(engine, world):
    with session_scope(engine) as session:
        with pytest.raises(ValidationError):
            measurement_grid(session, world.pilot_id, "onbekend")
        with pytest.raises(NotFoundError):
            measurement_grid(session, 9999, PROPORTION)


def test_a_grid_row_with_an_id_the_original_lacks_is_a_programming_error(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited.loc[0, "id"] = 9999
    with pytest.raises(ValueError, match="9999"):
        save_grid(engine, world, original, edited)


def test_a_grid_date_may_come_back_as_text(engine, world):
    fill(engine, world)
    original = grid(engine, world)
    edited = original.copy()
    edited["period"] = edited["period"].astype(object)
    edited.loc[4, "period"] = "01-05-2021"
    assert save_grid(engine, world, original, edited) == GridSaveReport(0, 1, 0)
    assert ("2021-05-01", "", "pilot", 4.0, 20.0) in proportions(engine)


def test_a_today_within_the_pilot_is_not_in_the_future(engine, world):
    # A pilot that runs until next year: today's period is allowed, tomorrow's is not.
    today = dt.date.today()
    with session_scope(engine) as session:
        from tests import factories

        pilot = factories.pilot(
            session,
            slug="lopend",
            baseline_start=today.replace(year=today.year - 1),
            intervention_start=today,
            evaluation_end=today.replace(year=today.year + 1),
        )
        save_measurement(session, pilot.id, CONTINUOUS, period=today, value=1, actor=ACTOR)
        with pytest.raises(ValidationError) as caught:
            save_measurement(
                session,
                pilot.id,
                CONTINUOUS,
                period=today + dt.timedelta(days=1),
                value=1,
                actor=ACTOR,
            )
        assert caught.value.errors[0].code == "future_date"


def test_form_and_grid_saves_rewrite_the_stored_verdicts(engine, world):
    from tests import factories
    from tracker.services.verdicts import stored_verdicts

    with session_scope(engine) as session:
        factories.hypothesis(session, world.pilot_id)  # on CONTINUOUS

    def verdict_count() -> int:
        with session_scope(engine) as session:
            return len(stored_verdicts(session, world.pilot_id))

    save(engine, world, value=10)
    assert verdict_count() == 1
    with session_scope(engine) as session:
        for row in stored_verdicts(session, world.pilot_id).values():
            session.delete(row)
    original = grid(engine, world, CONTINUOUS)
    edited = original.copy()
    edited.loc[0, "value"] = 11
    save_grid(engine, world, original, edited, measure=CONTINUOUS)
    assert verdict_count() == 1
