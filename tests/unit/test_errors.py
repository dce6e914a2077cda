"""Typed errors: what they carry, and that every one speaks Dutch and English."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from tracker import i18n
from tracker.errors import (
    ConflictError,
    FieldError,
    LockedError,
    NotFoundError,
    TrackerError,
    ValidationError,
    field_error,
)
from tracker.models import AmendmentCreate, HypothesisCreate, PilotCreate

TRACKER = Path(__file__).resolve().parents[2] / "tracker"


# --------------------------------------------------------------------------- FieldError
def test_a_field_error_comes_from_the_catalogue_in_both_languages():
    error = field_error("slug", "slug", "Foute Naam")
    assert error == FieldError(
        field="slug",
        code="slug",
        message_nl="'Foute Naam' is geen geldige korte naam: kleine letters, cijfers en streepjes",
        message_en="'Foute Naam' is not a valid short name: lower-case letters, digits and hyphens",
        value="Foute Naam",
    )


@pytest.mark.parametrize(
    ("lang", "expected"), [("nl", "kies minstens één domein"), ("en", "choose at least one domain")]
)
def test_a_field_error_speaks_the_asked_language(lang, expected):
    assert field_error("domains", "domains_empty").message(lang) == expected


def test_a_field_error_defaults_to_dutch():
    assert field_error("domains", "domains_empty").message() == "kies minstens één domein"


def test_a_field_error_serializes_its_value_as_text():
    assert field_error("alpha", "less_than", 0.7, lt=0.5).to_dict() == {
        "field": "alpha",
        "code": "less_than",
        "message_nl": "moet kleiner zijn dan 0.5",
        "message_en": "must be less than 0.5",
        "value": "0.7",
    }


# --------------------------------------------------------------------------- ValidationError
def test_a_validation_error_is_a_tracker_error():
    assert issubclass(ValidationError, TrackerError)


def test_a_validation_error_lists_every_field_in_the_asked_language():
    error = ValidationError(
        [field_error("domains", "domains_empty"), field_error("slug", "duplicate", "noord")]
    )
    assert error.message("nl") == "domains: kies minstens één domein\nslug: 'noord' bestaat al"
    assert (
        error.message("en") == "domains: choose at least one domain\nslug: 'noord' already exists"
    )
    assert str(error) == error.message("en")


def test_a_single_field_validation_error():
    error = ValidationError.single("code", "duplicate", "H1")
    assert [(e.field, e.code, e.value) for e in error.errors] == [("code", "duplicate", "H1")]


def pydantic_errors(model, data) -> list[FieldError]:
    with pytest.raises(Exception) as caught:
        model.model_validate(data)
    return ValidationError.from_pydantic(caught.value).errors


PILOT = {
    "slug": "netwerk-noord",
    "title": "Netwerk Noord",
    "municipality": "Amsterdam",
    "municipality_code": "GM0363",
    "domains": ["wmo"],
    "baseline_start": "2020-01-01",
    "intervention_start": "2021-01-01",
    "evaluation_end": "2022-01-01",
}
HYPOTHESIS = {
    "code": "H1",
    "if_text": "Als we",
    "then_text": "dan daalt",
    "because_text": "omdat",
    "measure_code": "contacten",
    "expected_direction": "decrease",
    "min_effect": 1,
}

# (case, model, bad input, field, code, Dutch text)
PYDANTIC_CASES = [
    (
        "slug",
        PilotCreate,
        PILOT | {"slug": "A B"},
        "slug",
        "slug",
        "'A B' is geen geldige korte naam",
    ),
    (
        "gm code",
        PilotCreate,
        PILOT | {"municipality_code": "GM12"},
        "municipality_code",
        "gm_code",
        "'GM12' is geen CBS-gemeentecode",
    ),
    (
        "area code names the bad code",
        PilotCreate,
        PILOT | {"areas": [{"code": "WK036301"}, {"code": "WK1"}]},
        "areas",
        "area_code",
        "'WK1' is geen CBS-gebiedscode",
    ),
    (
        "empty domains",
        PilotCreate,
        PILOT | {"domains": []},
        "domains",
        "domains_empty",
        "kies minstens één domein",
    ),
    (
        "phase order",
        PilotCreate,
        PILOT | {"evaluation_end": "2020-06-01"},
        "__root__",
        "phase_order",
        "de data moeten oplopen",
    ),
    (
        "missing field",
        PilotCreate,
        {k: v for k, v in PILOT.items() if k != "title"},
        "title",
        "missing",
        "dit veld is verplicht",
    ),
    (
        "too short",
        PilotCreate,
        PILOT | {"title": "ab"},
        "title",
        "string_too_short",
        "te kort: minstens 3 tekens",
    ),
    (
        "not a date",
        PilotCreate,
        PILOT | {"baseline_start": "1-1-2020"},
        "baseline_start",
        "date_from_datetime_parsing",
        "'1-1-2020' is geen datum",
    ),
    (
        "alpha too big",
        HypothesisCreate,
        HYPOTHESIS | {"alpha": 0.5},
        "alpha",
        "less_than",
        "moet kleiner zijn dan 0.5",
    ),
    (
        "alpha zero",
        HypothesisCreate,
        HYPOTHESIS | {"alpha": 0},
        "alpha",
        "greater_than",
        "moet groter zijn dan 0",
    ),
    (
        "negative effect",
        HypothesisCreate,
        HYPOTHESIS | {"min_effect": -2},
        "min_effect",
        "greater_than_equal",
        "moet minstens 0",
    ),
    (
        "not a number",
        HypothesisCreate,
        HYPOTHESIS | {"min_effect": "veel"},
        "min_effect",
        "float_parsing",
        "'veel' is geen getal",
    ),
    (
        "unknown choice",
        HypothesisCreate,
        HYPOTHESIS | {"design": "rct"},
        "design",
        "enum",
        "'rct' is geen toegestane keuze",
    ),
    (
        "not amendable",
        AmendmentCreate,
        {"field": "code", "new_value": "H2", "reason": "x" * 10},
        "field",
        "not_amendable",
        "'code' kan niet gewijzigd worden",
    ),
]


@pytest.mark.parametrize(
    ("model", "data", "field", "code", "dutch"),
    [case[1:] for case in PYDANTIC_CASES],
    ids=[case[0] for case in PYDANTIC_CASES],
)
def test_pydantic_errors_become_field_errors_from_the_catalogue(model, data, field, code, dutch):
    [error] = pydantic_errors(model, data)
    assert (error.field, error.code) == (field, code)
    assert error.message_nl.startswith(dutch)
    assert error.message_en and error.message_en != error.message_nl


class _Odd(BaseModel):
    flag: bool
    tags: list[str] = Field(max_length=1)


def test_an_error_outside_the_catalogue_keeps_pydantics_text_in_both_languages():
    [error] = pydantic_errors(_Odd, {"flag": True, "tags": ["a", "b"]})
    assert error.code == "too_long"
    assert error.message_nl.startswith("ongeldige waarde voor tags (")
    assert error.message_en.startswith("invalid value for tags (")


def test_nested_fields_are_named_by_their_path():
    class Inner(BaseModel):
        n: int

    class Outer(BaseModel):
        items: list[Inner]

    [error] = pydantic_errors(Outer, {"items": [{"n": 1}, {"n": "x"}]})
    assert error.field == "items.1.n"


def test_a_validator_that_names_the_bad_value_wins_over_the_whole_input():
    class Codes(BaseModel):
        codes: list[str]

        @field_validator("codes")
        @classmethod
        def _check(cls, v):
            raise PydanticCustomError("area_code", "bad", {"value": v[1]})

    [error] = pydantic_errors(Codes, {"codes": ["GM0363", "XX"]})
    assert (error.value, error.message_en.split(" ")[0]) == ("XX", "'XX'")


# --------------------------------------------------------------------------- other errors
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            "iemand anders heeft deze hypothese (7) intussen gewijzigd "
            "(u had versie 3, opgeslagen is versie 4)",
        ),
        (
            "en",
            "someone else changed this hypothesis (7) in the meantime "
            "(you had version 3, the saved one is version 4)",
        ),
    ],
)
def test_the_conflict_message_names_both_versions(lang, expected):
    error = ConflictError("hypothesis", 7, expected_version=3, current_version=4)
    assert error.message(lang).startswith(expected)


def test_a_conflict_keeps_both_versions():
    error = ConflictError("pilot", 1, 3, 4)
    assert (error.entity, error.key, error.expected_version, error.current_version) == (
        "pilot",
        1,
        3,
        4,
    )
    assert "version 3" in str(error) and "has 4" in str(error)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "indicator 'wachttijd' niet gevonden"), ("en", "measure 'wachttijd' not found")],
)
def test_the_not_found_message_names_the_entity_and_key(lang, expected):
    assert NotFoundError("measure", "wachttijd").message(lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "hypothese H1 is op 2020-06-01 vooraf vastgelegd"),
        ("en", "hypothesis H1 was pre-registered on 2020-06-01"),
    ],
)
def test_the_locked_message_names_the_hypothesis_and_date(lang, expected):
    assert LockedError("H1", dt.date(2020, 6, 1)).message(lang).startswith(expected)


@pytest.mark.parametrize("error_type", [ConflictError, NotFoundError, LockedError, ValidationError])
def test_every_expected_problem_is_a_tracker_error(error_type):
    assert issubclass(error_type, TrackerError)


# --------------------------------------------------------------------------- catalogue coverage
def _constant(node: ast.Call, index: int) -> str | None:
    if len(node.args) > index and isinstance(node.args[index], ast.Constant):
        value = node.args[index].value
        return value if isinstance(value, str) else None
    return None


def _codes_raised_in_tracker() -> tuple[set[str], set[str]]:
    """Error codes and entity names that tracker code passes to the error types."""
    codes: set[str | None] = set()
    entities: set[str | None] = set()
    for path in TRACKER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name in ("ValidationError.single", "field_error"):
                codes.add(_constant(node, 1))
            elif name == "PydanticCustomError":
                codes.add(_constant(node, 0))
            elif name == "_check":  # models: _check(pattern, value, code)
                codes.add(_constant(node, 2))
            elif name in ("NotFoundError", "ConflictError", "check_version"):
                entities.add(_constant(node, 0))
            if name in ("guarded_update", "check_version"):
                entities |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "entity" and isinstance(k.value, ast.Constant)
                }
    return codes - {None}, entities - {None}  # type: ignore[return-value]


def _import_tracker() -> None:
    """Modules add their own texts to the catalogue when imported: import them all."""
    for module in pkgutil.walk_packages([str(TRACKER)], prefix="tracker."):
        if not module.name.startswith("tracker.migrations"):  # env.py would run migrations
            importlib.import_module(module.name)


_import_tracker()
CODES, ENTITIES = _codes_raised_in_tracker()


def test_the_scan_finds_the_known_codes():
    assert {"slug", "duplicate", "unknown_measure", "late_registration"} <= CODES
    assert {"pilot", "hypothesis", "measure"} <= ENTITIES


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_error_code_raised_has_a_message(code):
    entry = i18n.MESSAGES.get(f"error.{code}")
    assert entry is not None, f"error.{code} is missing from the catalogue"
    assert entry["nl"] and entry["en"]


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_every_entity_named_in_an_error_has_a_name(entity):
    assert f"entity.{entity}" in i18n.MESSAGES
