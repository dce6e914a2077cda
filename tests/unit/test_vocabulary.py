"""The shared vocabulary (tracker.vocabulary): words in both languages for every intervention
type and target group, the allowed values per tag kind, the report's own words for conditions
and obstacles, and pilots that refuse an intervention type outside the list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tracker import i18n
from tracker.errors import ValidationError
from tracker.models import PilotCreate, PilotUpdate
from tracker.reports.model import CONDITIONS, OBSTACLES
from tracker.services.common import validate
from tracker.vocabulary import (
    INTERVENTION_TYPES,
    TAG_KINDS,
    TARGET_GROUPS,
    TagKind,
    intervention_type_label,
    tag_label,
    tag_values,
)

LANGUAGES = ("nl", "en")
LISTED = [(TagKind.intervention_type, code) for code in INTERVENTION_TYPES] + [
    (TagKind.target_group, code) for code in TARGET_GROUPS
]


@pytest.mark.parametrize(("kind", "code"), LISTED)
def test_every_intervention_type_and_target_group_has_words_in_both_languages(kind, code):
    entry = i18n.MESSAGES[f"vocab.{kind.value}.{code}"]
    assert set(entry) >= set(LANGUAGES)
    labels = {lang: tag_label(kind, code, lang) for lang in LANGUAGES}
    for lang, label in labels.items():
        assert label == entry[lang] and label.strip() == label and label
        assert label != code  # words, not the stored code
    assert labels["nl"] != labels["en"]


def test_the_lists_are_distinct_codes_in_lower_case():
    for codes in (INTERVENTION_TYPES, TARGET_GROUPS):
        assert len(set(codes)) == len(codes)
        assert all(code == code.lower() and " " not in code for code in codes)
    assert "overig" in INTERVENTION_TYPES  # what does not fit has a place


def test_a_few_words_as_a_reader_sees_them():
    assert tag_label("intervention_type", "netwerkbijeenkomst", "en") == "Network meetings"
    assert tag_label("intervention_type", "netwerkbijeenkomst") == "Netwerkbijeenkomsten"
    assert tag_label("target_group", "mantelzorgers", "en") == "Informal carers"
    assert intervention_type_label("informele_mentor", "en") == "Informal mentors"
    assert intervention_type_label("") == intervention_type_label("", "en") == "—"


def test_tag_values_per_kind():
    assert tag_values(TagKind.intervention_type) == INTERVENTION_TYPES
    assert tag_values("target_group") == TARGET_GROUPS
    assert tag_values("condition") == CONDITIONS
    assert tag_values("obstacle") == OBSTACLES
    # Domains are the pilot's own words and measures the codebook's codes: any value goes here.
    assert tag_values("domain") is None and tag_values("measure") is None
    assert set(TAG_KINDS) == set(TagKind) and len(TAG_KINDS) == 6
    with pytest.raises(ValueError):
        tag_values("kleur")


@pytest.mark.parametrize("kind", ["condition", "obstacle"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_conditions_and_obstacles_carry_the_reports_words(kind, lang):
    codes = CONDITIONS if kind == "condition" else OBSTACLES
    for code in codes:
        label = tag_label(kind, code, lang)
        assert label == i18n.t(f"report.{kind}.{code}", lang)
        assert label != code and label != f"report.{kind}.{code}"


def test_the_reports_words_for_conditions_and_obstacles():
    assert tag_label("condition", "vertrouwen", "en") == "Trust"
    assert tag_label("condition", "handelingsruimte") == "Handelingsruimte"
    assert tag_label("obstacle", "risicomijding", "nl") == "Angst voor risico"
    assert tag_label("obstacle", "risicomijding", "en") == "Fear of risk"


def test_free_values_and_unknown_codes_show_as_they_are():
    assert tag_label("domain", "wmo", "en") == "wmo"
    assert tag_label("measure", "contacten") == "contacten"
    assert tag_label("intervention_type", "yoga") == "yoga"  # never a raw message key
    with pytest.raises(ValueError):
        tag_label("kleur", "blauw")


@pytest.mark.parametrize("kind", list(TagKind))
def test_every_tag_kind_has_a_name_in_both_languages(kind):
    entry = i18n.MESSAGES[f"vocab.kind.{kind.value}"]
    assert entry["nl"] and entry["en"]


# ------------------------------------------------------------------------------------ pilots
def pilot(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "netwerk-noord",
        "title": "Netwerkbijeenkomsten Noord",
        "aim": "Familie en buren betrekken bij ondersteuning",
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["wmo"],
        "baseline_start": dt.date(2020, 1, 1),
        "intervention_start": dt.date(2021, 1, 1),
        "evaluation_end": dt.date(2022, 12, 31),
    } | overrides


@pytest.mark.parametrize("code", ["", *INTERVENTION_TYPES])
def test_a_pilot_takes_a_listed_intervention_type_or_none(code):
    assert validate(PilotCreate, pilot(intervention_type=code)).intervention_type == code
    assert validate(PilotUpdate, {"intervention_type": code}).intervention_type == code


@pytest.mark.parametrize("model", [PilotCreate, PilotUpdate])
@pytest.mark.parametrize("code", ["yoga", "Netwerkbijeenkomst", "netwerkbijeenkomsten"])
def test_a_pilot_refuses_an_intervention_type_outside_the_list(model, code):
    data = pilot(intervention_type=code) if model is PilotCreate else {"intervention_type": code}
    with pytest.raises(ValidationError) as refused:
        validate(model, data)
    (problem,) = refused.value.errors
    assert (problem.field, problem.code, problem.value) == (
        "intervention_type",
        "intervention_type",
        code,
    )
    for lang in LANGUAGES:
        message = problem.message(lang)
        assert code in message and "netwerkbijeenkomst" in message  # names what to choose
    assert problem.message("nl") != problem.message("en")
