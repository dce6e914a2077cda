"""Pilot files (experiments/*.toml): the exact layout, reading back, and errors that say where."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker import models
from tracker.errors import ValidationError
from tracker.io import pilot_file as pf

UTC = dt.UTC

PILOT = pf.PilotFile(
    slug="netwerk-noord",
    title="Netwerkbijeenkomsten Noord",
    aim='Familie en buren "eerst"',
    municipality="Amsterdam",
    municipality_code="GM0363",
    domains=("wmo", "jeugd"),
    partners=("welzijnsorganisatie",),
    strategy="netwerkversterking",
    status="running",
    baseline_start=dt.date(2020, 1, 1),
    intervention_start=dt.date(2021, 1, 1),
    evaluation_end=dt.date(2022, 12, 31),
    owner_email="officer@demo.proeftuin.example",
    data="data/demo/netwerk-noord.csv",
    organisation=pf.OrganisationEntry(name="Amsterdam", code="GM0363"),
    areas=(
        pf.AreaEntry(code="WK036301", name="Noord-Oost", group="pilot"),
        pf.AreaEntry(code="WK036302", name="Noord-West", group="comparison"),
    ),
    measures=(
        pf.MeasureEntry(
            code="contacten",
            name="Contacten",
            definition="Per maand",
            unit="contacten",
            kind="continuous",
            better_direction="lower",
            source="eigen registratie",
        ),
    ),
    hypotheses=(
        pf.HypothesisEntry(
            code="H1",
            measure="contacten",
            if_text="Als we bijeenkomsten houden",
            then_text="dan dalen de contacten\nmet 10%",
            because_text="omdat buren helpen",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
            registered_at=dt.datetime(2020, 12, 1, 9, 30, 0, 250000, tzinfo=UTC),
            content_hash="ab" * 32,
            amendments=(
                pf.AmendmentEntry(
                    field="min_effect",
                    old_value="10.0",
                    new_value="12.0",
                    reason="de meetfout bleek groter",
                    author="analyst@demo.proeftuin.example",
                    created_at=dt.datetime(2021, 3, 1, 8, 0, tzinfo=UTC),
                ),
            ),
        ),
        pf.HypothesisEntry(
            code="H2",
            measure="contacten",
            if_text="Als we niets doen",
            then_text="dan iets",
            because_text="omdat iets",
            expected_direction="no_change",
            min_effect=0.5,
            is_primary=False,
        ),
    ),
    interventions=(
        pf.InterventionEntry(
            date=dt.date(2021, 2, 1),
            planned_date=dt.date(2021, 1, 4),
            status="delivered",
            kind="training",
            title="Training",
        ),
    ),
    observations=(
        pf.ObservationEntry(
            date=dt.date(2021, 3, 1),
            kind="quote",
            text="'Mooi' — deelnemer",
            hypothesis="H1",
            intervention="Training",
        ),
        pf.ObservationEntry(date=dt.date(2021, 4, 1), kind="decision", text="Doorgaan"),
    ),
)

EXPECTED = '''\
# Fictief
format_version = 1
slug = "netwerk-noord"
title = "Netwerkbijeenkomsten Noord"
aim = "Familie en buren \\"eerst\\""
municipality = "Amsterdam"
municipality_code = "GM0363"
domains = ["wmo", "jeugd"]
partners = ["welzijnsorganisatie"]
strategy = "netwerkversterking"
status = "running"
baseline_start = 2020-01-01
intervention_start = 2021-01-01
evaluation_end = 2022-12-31
owner_email = "officer@demo.proeftuin.example"
data = "data/demo/netwerk-noord.csv"

[organisation]
name = "Amsterdam"
code = "GM0363"

[[areas]]
code = "WK036301"
name = "Noord-Oost"
group = "pilot"

[[areas]]
code = "WK036302"
name = "Noord-West"
group = "comparison"

[[measures]]
code = "contacten"
name = "Contacten"
definition = "Per maand"
unit = "contacten"
kind = "continuous"
better_direction = "lower"
source = "eigen registratie"

[[hypotheses]]
code = "H1"
measure = "contacten"
if_text = "Als we bijeenkomsten houden"
then_text = """
dan dalen de contacten
met 10%"""
because_text = "omdat buren helpen"
expected_direction = "decrease"
min_effect = 10.0
min_effect_type = "relative"
design = "auto"
comparison_group = ""
alpha = 0.05
is_primary = true
registered_at = 2020-12-01T09:30:00.250000+00:00
registered_late = false
content_hash = "abababababababababababababababababababababababababababababababab"

[[hypotheses.amendments]]
field = "min_effect"
old_value = "10.0"
new_value = "12.0"
reason = "de meetfout bleek groter"
author = "analyst@demo.proeftuin.example"
created_at = 2021-03-01T08:00:00+00:00

[[hypotheses]]
code = "H2"
measure = "contacten"
if_text = "Als we niets doen"
then_text = "dan iets"
because_text = "omdat iets"
expected_direction = "no_change"
min_effect = 0.5
min_effect_type = "absolute"
design = "auto"
comparison_group = ""
alpha = 0.05
is_primary = false
registered_late = false

[[interventions]]
date = 2021-02-01
planned_date = 2021-01-04
status = "delivered"
kind = "training"
title = "Training"
description = ""

[[observations]]
date = 2021-03-01
kind = "quote"
hypothesis = "H1"
intervention = "Training"
text = "'Mooi' — deelnemer"

[[observations]]
date = 2021-04-01
kind = "decision"
text = "Doorgaan"
'''


def test_a_pilot_is_written_in_the_fixed_layout():
    assert pf.dumps(PILOT, comment="Fictief") == EXPECTED


def test_what_is_written_reads_back_as_the_same_pilot():
    assert pf.loads(pf.dumps(PILOT)) == PILOT


def test_the_comment_is_not_part_of_the_pilot():
    assert pf.loads(pf.dumps(PILOT, comment="Fictief\ntweede regel")) == PILOT


def test_datetimes_in_another_offset_are_read_as_utc():
    text = EXPECTED.replace("2021-03-01T08:00:00+00:00", "2021-03-01T10:00:00+02:00")
    [amendment] = pf.loads(text).hypotheses[0].amendments
    assert amendment.created_at == dt.datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
    assert amendment.created_at.utcoffset() == dt.timedelta(0)


def test_whole_numbers_are_accepted_where_a_number_is_expected():
    text = EXPECTED.replace("min_effect = 10.0", "min_effect = 10")
    assert pf.loads(text).hypotheses[0].min_effect == 10.0


def test_optional_keys_take_their_defaults():
    minimal = """
format_version = 1
slug = "klein"
title = "Klein"
municipality = "Utrecht"
municipality_code = "GM0344"
baseline_start = 2020-01-01
intervention_start = 2020-06-01
evaluation_end = 2020-12-31
[organisation]
name = "Utrecht"
code = "GM0344"
"""
    pilot = pf.loads(minimal)
    assert (pilot.status, pilot.domains, pilot.data, pilot.owner_email, pilot.hypotheses) == (
        "concept",
        (),
        None,
        None,
        (),
    )


# Text that survives the trip: anything printable or not, except lone surrogates (not UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(title=TEXT, aim=TEXT, quote=TEXT)
def test_any_text_survives_writing_and_reading(title, aim, quote):
    pilot = dataclasses.replace(
        PILOT,
        title=title,
        aim=aim,
        observations=(pf.ObservationEntry(date=dt.date(2021, 1, 1), kind="quote", text=quote),),
    )
    assert pf.loads(pf.dumps(pilot)) == pilot


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_subnormal=False))
def test_any_effect_size_survives_writing_and_reading(value):
    first, second = PILOT.hypotheses
    pilot = dataclasses.replace(
        PILOT, hypotheses=(first, dataclasses.replace(second, min_effect=value))
    )
    assert pf.loads(pf.dumps(pilot)).hypotheses[1].min_effect == value


def test_the_written_file_is_plain_toml():
    assert tomllib.loads(pf.dumps(PILOT))["hypotheses"][0]["amendments"][0]["field"] == (
        "min_effect"
    )


def _errors(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        pf.loads(text)
    return [(e.field, e.code) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        ('title = "Netwerkbijeenkomsten Noord"\n', "", "title", "file_key_missing"),
        ('slug = "netwerk-noord"', "slug = 12", "slug", "file_type"),
        ('status = "running"', 'status = "bezig"', "status", "enum"),
        ('status = "running"', 'statsu = "running"', "statsu", "file_key_unknown"),
        ("min_effect = 10.0", 'min_effect = "tien"', "hypotheses[1].min_effect", "file_type"),
        ("is_primary = true", 'is_primary = "ja"', "hypotheses[1].is_primary", "file_type"),
        ("baseline_start = 2020-01-01", 'baseline_start = "2020"', "baseline_start", "file_type"),
        (
            "registered_at = 2020-12-01T09:30:00.250000+00:00",
            "registered_at = 2020-12-01T09:30:00",
            "hypotheses[1].registered_at",
            "file_timezone",
        ),
        (
            "created_at = 2021-03-01T08:00:00+00:00",
            "created_at = 2021-03-01",
            "hypotheses[1].amendments[1].created_at",
            "file_type",
        ),
        (
            'content_hash = "abababababababababababababababababababababababababababababababab"\n',
            "",
            "hypotheses[1].registered_at",
            "file_registration",
        ),
        ('group = "comparison"', 'group = "controle"', "areas[2].group", "enum"),
        ('kind = "quote"', 'kind = "citaat"', "observations[1].kind", "enum"),
        ('code = "H2"', 'code = "H1"', "hypotheses[2]", "file_duplicate"),
        (
            'measure = "contacten"\nif_text = "Als we niets doen"',
            'measure = "onbekend"\nif_text = "Als we niets doen"',
            "hypotheses[2].measure",
            "file_unknown_reference",
        ),
        (
            'intervention = "Training"',
            'intervention = "Cursus"',
            "observations[1].intervention",
            "file_unknown_reference",
        ),
        (
            '[organisation]\nname = "Amsterdam"\n',
            "[organisation]\n",
            "organisation.name",
            "file_key_missing",
        ),
    ],
)
def test_a_wrong_key_is_named_with_its_path(old, new, field, code):
    assert old in EXPECTED
    assert (field, code) in _errors(EXPECTED.replace(old, new, 1))


def test_every_problem_is_reported_at_once():
    text = EXPECTED.replace('status = "running"', 'status = "x"').replace(
        "alpha = 0.05", 'alpha = "laag"', 1
    )
    assert _errors(text) == [("status", "enum"), ("hypotheses[1].alpha", "file_type")]


def test_another_format_version_is_refused_before_reading_further():
    assert _errors(EXPECTED.replace("format_version = 1", "format_version = 2")) == [
        ("format_version", "file_format_version")
    ]


def test_text_that_is_not_toml_is_refused_with_the_parser_message():
    with pytest.raises(ValidationError) as caught:
        pf.loads('slug = "open', source="x.toml")
    [error] = caught.value.errors
    assert (error.field, error.code) == ("x.toml", "file_syntax")
    assert "TOML" in error.message("en")


def test_errors_name_the_file_when_it_is_known(tmp_path):
    path = tmp_path / "pilot.toml"
    path.write_text(EXPECTED.replace('status = "running"', 'status = "x"'), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        pf.read(path)
    assert caught.value.errors[0].field == "pilot.toml: status"
    assert "pilot.toml: status: 'x' is not an allowed choice" in caught.value.message("en")


@pytest.mark.parametrize(
    ("choices", "enum"),
    [
        (pf.PILOT_STATUSES, models.PilotStatus),
        (pf.AREA_GROUPS, models.Group),
        (pf.MEASURE_KINDS, models.MeasureKind),
        (pf.BETTER_DIRECTIONS, models.BetterDirection),
        (pf.EXPECTED_DIRECTIONS, models.ExpectedDirection),
        (pf.EFFECT_TYPES, models.EffectType),
        (pf.DESIGNS, models.Design),
        (pf.INTERVENTION_STATUSES, models.InterventionStatus),
        (pf.OBSERVATION_KINDS, models.ObservationKind),
    ],
)
def test_the_allowed_values_match_the_models(choices, enum):
    assert choices == tuple(e.value for e in enum)


def test_the_slug_can_be_read_without_reading_the_whole_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXPECTED, encoding="utf-8")
    assert pf.slug_of(path) == "netwerk-noord"
    path.write_text("niet = [", encoding="utf-8")
    assert pf.slug_of(path) is None


def test_the_module_does_not_use_the_database():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(pf))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in ("sqlmodel", "sqlalchemy")}
    assert "tracker.models" not in imported and "tracker.db" not in imported
