"""The translation layer: every user-visible string has a key here, Dutch first, English complete.

Kept as plain dictionaries (no gettext toolchain) so that a test can check that both languages
have every key and the same placeholders.
"""

from __future__ import annotations

import string
from typing import Any

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

MESSAGES: dict[str, dict[str, str]] = {
    # --- entities
    "entity.pilot": {"nl": "pilot", "en": "pilot"},
    "entity.hypothesis": {"nl": "hypothese", "en": "hypothesis"},
    "entity.measure": {"nl": "indicator", "en": "measure"},
    "entity.organisation": {"nl": "organisatie", "en": "organisation"},
    "entity.user": {"nl": "gebruiker", "en": "user"},
    "entity.measurement": {"nl": "meting", "en": "measurement"},
    "entity.intervention": {"nl": "interventie", "en": "intervention"},
    "entity.observation": {"nl": "logboek-notitie", "en": "observation"},
    "entity.report": {"nl": "gepubliceerd lessenrapport", "en": "published lessons report"},
    "entity.report_draft": {"nl": "concept van het lessenrapport", "en": "lessons report draft"},
    # --- command line
    "cli.error": {"nl": "Fout", "en": "Error"},
    "cli.analyze.usage": {
        "nl": "geef een bestand met --intervention JJJJ-MM-DD, of --pilot ID",
        "en": "give a file with --intervention YYYY-MM-DD, or --pilot ID",
    },
    "cli.analyze.bad_date": {
        "nl": "'{value}' is geen datum; gebruik JJJJ-MM-DD",
        "en": "'{value}' is not a date; use YYYY-MM-DD",
    },
    # --- errors (field-level and general)
    "error.invalid": {
        "nl": "ongeldige waarde voor {field} ({detail})",
        "en": "invalid value for {field} ({detail})",
    },
    "error.missing": {"nl": "dit veld is verplicht", "en": "this field is required"},
    "error.string_too_short": {
        "nl": "te kort: minstens {min_length} tekens",
        "en": "too short: at least {min_length} characters",
    },
    "error.string_too_long": {
        "nl": "te lang: hoogstens {max_length} tekens",
        "en": "too long: at most {max_length} characters",
    },
    "error.greater_than": {
        "nl": "moet groter zijn dan {gt}",
        "en": "must be greater than {gt}",
    },
    "error.greater_than_equal": {
        "nl": "moet minstens {ge} zijn",
        "en": "must be at least {ge}",
    },
    "error.less_than": {"nl": "moet kleiner zijn dan {lt}", "en": "must be less than {lt}"},
    "error.enum": {
        "nl": "'{value}' is geen toegestane keuze; kies uit {expected}",
        "en": "'{value}' is not an allowed choice; choose from {expected}",
    },
    "error.date_from_datetime_parsing": {
        "nl": "'{value}' is geen datum; gebruik jjjj-mm-dd",
        "en": "'{value}' is not a date; use yyyy-mm-dd",
    },
    "error.date_parsing": {
        "nl": "'{value}' is geen datum; gebruik jjjj-mm-dd",
        "en": "'{value}' is not a date; use yyyy-mm-dd",
    },
    "error.float_parsing": {
        "nl": "'{value}' is geen getal",
        "en": "'{value}' is not a number",
    },
    "error.bool_parsing": {"nl": "'{value}' is geen ja/nee", "en": "'{value}' is not yes/no"},
    "error.slug": {
        "nl": "'{value}' is geen geldige korte naam: kleine letters, cijfers en streepjes",
        "en": "'{value}' is not a valid short name: lower-case letters, digits and hyphens",
    },
    "error.gm_code": {
        "nl": "'{value}' is geen CBS-gemeentecode; verwacht GM gevolgd door 4 cijfers",
        "en": "'{value}' is not a CBS municipality code; expected GM followed by 4 digits",
    },
    "error.area_code": {
        "nl": "'{value}' is geen CBS-gebiedscode (GM####, WK###### of BU########)",
        "en": "'{value}' is not a CBS area code (GM####, WK###### or BU########)",
    },
    "error.area_group": {
        "nl": "de groep van een gebied is 'pilot' of 'comparison'",
        "en": "an area's group is 'pilot' or 'comparison'",
    },
    "error.measure_code": {
        "nl": "'{value}' is geen geldige indicatorcode: kleine letters, cijfers en _",
        "en": "'{value}' is not a valid measure code: lower-case letters, digits and _",
    },
    "error.domains_empty": {
        "nl": "kies minstens één domein",
        "en": "choose at least one domain",
    },
    "error.phase_order": {
        "nl": "de data moeten oplopen: start nulmeting < start interventie ≤ einde evaluatie",
        "en": "dates must be in order: baseline start < intervention start ≤ evaluation end",
    },
    "error.not_amendable": {
        "nl": "'{value}' kan niet gewijzigd worden",
        "en": "'{value}' cannot be amended",
    },
    "error.duplicate": {
        "nl": "'{value}' bestaat al",
        "en": "'{value}' already exists",
    },
    "error.unknown_measure": {
        "nl": "indicator '{value}' staat niet in het codeboek; voeg hem eerst toe",
        "en": "measure '{value}' is not in the codebook; add it first",
    },
    "error.unknown_hypothesis": {
        "nl": "hypothese '{value}' bestaat niet in deze pilot",
        "en": "hypothesis '{value}' does not exist in this pilot",
    },
    "error.unknown_intervention": {
        "nl": "interventie '{value}' bestaat niet in deze pilot",
        "en": "intervention '{value}' does not exist in this pilot",
    },
    "error.late_registration": {
        "nl": (
            "de interventie is op {start} begonnen; vastleggen kan nu alleen met de "
            "markering 'te laat vastgelegd'"
        ),
        "en": (
            "the intervention started on {start}; registering now needs the 'registered late' flag"
        ),
    },
    "error.nothing_to_register": {
        "nl": "er zijn geen hypothesen die nog vastgelegd moeten worden",
        "en": "there are no hypotheses left to register",
    },
    "error.not_locked": {
        "nl": "hypothese {value} is nog niet vastgelegd; pas hem gewoon aan",
        "en": "hypothesis {value} is not registered yet; edit it directly",
    },
    "error.report_condition": {
        "nl": "onbekende voorwaarde '{value}'",
        "en": "unknown condition '{value}'",
    },
    "error.report_assessment": {
        "nl": "onbekend oordeel '{value}'; kies aanwezig, deels of afwezig",
        "en": "unknown assessment '{value}'; choose present, partly or absent",
    },
    "error.report_obstacle": {
        "nl": "onbekend obstakel '{value}'",
        "en": "unknown obstacle '{value}'",
    },
    "error.report_recommendation": {
        "nl": "onbekende aanbeveling '{value}'; kies opschalen, bijstellen, stoppen of "
        "doorgaan_met_meten",
        "en": "unknown recommendation '{value}'; choose opschalen, bijstellen, stoppen or "
        "doorgaan_met_meten",
    },
    "error.report_proposal_changed": {
        "nl": "het voorstel is veranderd sinds u het zag (was: {value}), omdat er nieuwe "
        "gegevens zijn; bekijk het rapport opnieuw en publiceer dan",
        "en": "the proposal changed since you saw it (was: {value}) because there are new "
        "data; look at the report again, then publish",
    },
    "error.report_integrity": {
        "nl": "versie {number} van het rapport van pilot {pilot} klopt niet meer met haar "
        "controlegetal (SHA-256): de inhoud is in de database veranderd. Meld dit aan de "
        "beheerder.",
        "en": "version {number} of the report of pilot {pilot} no longer matches its checksum "
        "(SHA-256): its content was changed in the database. Tell the administrator.",
    },
    "error.report_reason": {
        "nl": "wie afwijkt van de voorgestelde aanbeveling, geeft een reden (minstens 10 tekens)",
        "en": "departing from the proposed recommendation needs a reason (at least 10 characters)",
    },
    "error.same_value": {
        "nl": "de nieuwe waarde is gelijk aan de huidige",
        "en": "the new value equals the current one",
    },
    "error.not_found": {"nl": "{entity} '{key}' niet gevonden", "en": "{entity} '{key}' not found"},
    "error.conflict": {
        "nl": (
            "iemand anders heeft deze {entity} ({key}) intussen gewijzigd (u had versie "
            "{expected}, opgeslagen is versie {current}). Uw wijziging is niet opgeslagen; "
            "laad de nieuwste versie en probeer opnieuw."
        ),
        "en": (
            "someone else changed this {entity} ({key}) in the meantime (you had version "
            "{expected}, the saved one is version {current}). Your change was not saved; "
            "load the newest version and try again."
        ),
    },
    "error.locked": {
        "nl": (
            "hypothese {code} is op {registered_at} vooraf vastgelegd en kan niet meer "
            "bewerkt worden; leg een wijziging vast met een reden"
        ),
        "en": (
            "hypothesis {code} was pre-registered on {registered_at} and can no longer be "
            "edited; record an amendment with a reason"
        ),
    },
}


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """Translate ``key`` into ``lang``; an unknown key comes back as itself (so it shows)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return string.Formatter().vformat(text, (), _Lenient(params)) if params else text


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add a module's messages to the catalogue.

    Registering the same text again is allowed (Streamlit re-imports changed modules while the
    app runs); registering a different text under an existing key is a programming error.
    """
    clash = sorted(k for k in set(messages) & set(MESSAGES) if MESSAGES[k] != messages[k])
    if clash:
        raise ValueError(f"message keys registered twice with different text: {clash}")
    MESSAGES.update(messages)
