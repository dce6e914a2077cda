"""The shared words that let pilots and lessons be compared: intervention types, target groups.

Pure (no database, no streamlit). A pilot names its intervention type, so that hypotheses of
different pilots with the same codebook measure and the same type can be pooled
(``tracker.services.library``); a lesson is tagged with the same words, with the five
conditions and the obstacles of the lessons report (``tracker.reports.model``). The lists are
short on purpose: a tag is only useful when two gemeenten pick the same one. "overig" takes
what does not fit; ask for a new word rather than misfiling.
"""

from __future__ import annotations

from enum import StrEnum

from tracker import i18n
from tracker.reports.model import CONDITIONS, OBSTACLES

__all__ = [
    "INTERVENTION_TYPES",
    "TAG_KINDS",
    "TARGET_GROUPS",
    "TagKind",
    "intervention_type_label",
    "tag_label",
    "tag_values",
]

INTERVENTION_TYPES = (
    "netwerkbijeenkomst",
    "generalistisch_wijkteam",
    "informele_mentor",
    "informele_zorg",
    "pedagogisch_collectief",
    "dorpsondersteuning",
    "vroegsignalering_schulden",
    "overig",
)

TARGET_GROUPS = (
    "jeugd",
    "ouders",
    "ouderen",
    "mantelzorgers",
    "huishoudens_met_schulden",
    "mensen_met_een_beperking",
    "werkzoekenden",
    "alle_inwoners",
)


class TagKind(StrEnum):
    domain = "domain"
    intervention_type = "intervention_type"
    measure = "measure"
    target_group = "target_group"
    condition = "condition"
    obstacle = "obstacle"


TAG_KINDS = tuple(TagKind)

i18n.register(
    {
        "vocab.intervention_type.netwerkbijeenkomst": {
            "nl": "Netwerkbijeenkomsten",
            "en": "Network meetings",
        },
        "vocab.intervention_type.generalistisch_wijkteam": {
            "nl": "Generalistisch wijkteam",
            "en": "Generalist neighbourhood team",
        },
        "vocab.intervention_type.informele_mentor": {
            "nl": "Informele mentoren",
            "en": "Informal mentors",
        },
        "vocab.intervention_type.informele_zorg": {
            "nl": "Informele zorgnetwerken",
            "en": "Informal-care networks",
        },
        "vocab.intervention_type.pedagogisch_collectief": {
            "nl": "Pedagogisch collectief",
            "en": "Pedagogical community",
        },
        "vocab.intervention_type.dorpsondersteuning": {
            "nl": "Dorps- en buurtondersteuning",
            "en": "Village and neighbourhood support",
        },
        "vocab.intervention_type.vroegsignalering_schulden": {
            "nl": "Vroegsignalering van schulden",
            "en": "Early detection of debts",
        },
        "vocab.intervention_type.overig": {"nl": "Overig", "en": "Other"},
        "vocab.target_group.jeugd": {"nl": "Kinderen en jongeren", "en": "Children and youth"},
        "vocab.target_group.ouders": {"nl": "Ouders", "en": "Parents"},
        "vocab.target_group.ouderen": {"nl": "Ouderen", "en": "Older people"},
        "vocab.target_group.mantelzorgers": {"nl": "Mantelzorgers", "en": "Informal carers"},
        "vocab.target_group.huishoudens_met_schulden": {
            "nl": "Huishoudens met schulden",
            "en": "Households in debt",
        },
        "vocab.target_group.mensen_met_een_beperking": {
            "nl": "Mensen met een beperking",
            "en": "People with a disability",
        },
        "vocab.target_group.werkzoekenden": {"nl": "Werkzoekenden", "en": "Jobseekers"},
        "vocab.target_group.alle_inwoners": {"nl": "Alle inwoners", "en": "All residents"},
        "error.intervention_type": {
            "nl": "'{value}' is geen bekende soort interventie; kies uit {known}",
            "en": "'{value}' is not a known intervention type; choose from {known}",
        },
        "vocab.kind.domain": {"nl": "Domein", "en": "Domain"},
        "vocab.kind.intervention_type": {"nl": "Soort interventie", "en": "Intervention type"},
        "vocab.kind.measure": {"nl": "Indicator", "en": "Measure"},
        "vocab.kind.target_group": {"nl": "Doelgroep", "en": "Target group"},
        "vocab.kind.condition": {"nl": "Voorwaarde", "en": "Condition"},
        "vocab.kind.obstacle": {"nl": "Obstakel", "en": "Obstacle"},
    }
)


def tag_values(kind: TagKind | str) -> tuple[str, ...] | None:
    """The allowed values of a tag kind, or None when any value goes (domains, measures)."""
    kind = TagKind(kind)
    return {
        TagKind.intervention_type: INTERVENTION_TYPES,
        TagKind.target_group: TARGET_GROUPS,
        TagKind.condition: CONDITIONS,
        TagKind.obstacle: OBSTACLES,
    }.get(kind)


def intervention_type_label(code: str, lang: str = "nl") -> str:
    """The words for an intervention type; an empty code is "not stated"."""
    if not code:
        return "—"
    return tag_label(TagKind.intervention_type, code, lang)


def tag_label(kind: TagKind | str, value: str, lang: str = "nl") -> str:
    """What a reader sees for a tag: the vocabulary's words, the report's words for conditions
    and obstacles, or the value itself (domains, measure codes)."""
    kind = TagKind(kind)
    if kind in (TagKind.intervention_type, TagKind.target_group):
        key = f"vocab.{kind.value}.{value}"
    elif kind in (TagKind.condition, TagKind.obstacle):
        import tracker.reports.writer  # noqa: F401  (registers the report's words for these)

        key = f"report.{kind.value}.{value}"
    else:
        return value
    return i18n.t(key, lang) if key in i18n.MESSAGES else value
