"""The tables an export holds: their columns, types, units and descriptions (pure).

One description serves every format: the CSV header, the XLSX "Toelichting" sheet, the Parquet
field metadata and the Table Schema of the Frictionless data package all come from the
:class:`ColumnSpec` lists below, so what the files say about themselves cannot drift apart.

Types are Table Schema types (https://specs.frictionlessdata.io/table-schema/): ``string``,
``number``, ``integer``, ``boolean``, ``date`` and ``datetime``. A table's frame holds them as
pandas/numpy values: ``string`` as text (categorical or object, '' for empty), ``number`` as
float64 (NaN for missing), ``integer`` as nullable Int64, ``boolean`` as nullable boolean,
``date`` as datetime64 (NaT for missing) and ``datetime`` as timezone-aware UTC datetime64.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from tracker.vocabulary import INTERVENTION_TYPES

__all__ = [
    "DEFAULT_TABLES",
    "SENSITIVE_TABLES",
    "TABLES",
    "ColumnSpec",
    "ExportTable",
    "columns_of",
    "table_title",
]

ColumnType = Literal["string", "number", "integer", "boolean", "date", "datetime"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name in every file, its type, unit and what it means (nl/en)."""

    name: str
    type: ColumnType
    nl: str
    en: str
    unit: str = ""

    def description(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl


@dataclass(frozen=True)
class ExportTable:
    """A table ready to be written: ``frame`` has exactly the ``columns``, in their order.

    ``suppressed`` maps a column to a boolean mask of the cells that small-number protection
    emptied (``tracker.io.suppression``); writers for people (csv-nl, xlsx) show ``mark`` there,
    writers for programs leave the cell empty. The table's ``suppressed`` column (present only
    when protection was asked for) names them per row as well.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    frame: pd.DataFrame
    suppressed: Mapping[str, np.ndarray] = field(default_factory=dict)
    mark: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if list(self.frame.columns) != names:
            raise ValueError(f"{self.name}: frame columns {list(self.frame.columns)} != {names}")

    @property
    def rows(self) -> int:
        return len(self.frame)

    def title(self, lang: str = "nl") -> str:
        return table_title(self.name, lang)


def _c(name: str, type_: ColumnType, nl: str, en: str, unit: str = "") -> ColumnSpec:
    return ColumnSpec(name, type_, nl, en, unit)


PILOT = _c("pilot", "string", "korte naam (slug) van de pilot", "the pilot's short name (slug)")
HYPOTHESIS = _c("hypothesis", "string", "code van de hypothese (H1, …)", "hypothesis code (H1, …)")
MEASURE = _c("measure", "string", "code van de indicator (codeboek)", "indicator code (codebook)")
CREATED_AT = _c("created_at", "datetime", "vastgelegd op (UTC)", "recorded at (UTC)")
SUPPRESSED = _c(
    "suppressed",
    "string",
    "kolommen van deze rij die zijn weggelaten omdat ze onder de drempel voor kleine aantallen "
    "vallen (leeg: niets weggelaten)",
    "columns of this row left out because they fall below the small-number threshold "
    "(empty: nothing left out)",
)

# The codes as written in the file (tracker.vocabulary), in the words of the status column.
_TYPES_NL = ", ".join(INTERVENTION_TYPES[:-1]) + " of " + INTERVENTION_TYPES[-1]
_TYPES_EN = ", ".join(INTERVENTION_TYPES[:-1]) + " or " + INTERVENTION_TYPES[-1]

TABLE_TITLES: dict[str, tuple[str, str]] = {
    "pilots": ("Pilots", "Pilots"),
    "areas": ("Gebieden", "Areas"),
    "hypotheses": ("Hypothesen", "Hypotheses"),
    "amendments": ("Wijzigingen van hypothesen", "Hypothesis amendments"),
    "measures": ("Indicatoren (codeboek)", "Indicators (codebook)"),
    "measurements": ("Metingen", "Measurements"),
    "interventions": ("Interventies", "Interventions"),
    "observations": ("Logboek", "Journal"),
    "results": ("Resultaten per hypothese", "Results per hypothesis"),
}
TABLES = tuple(TABLE_TITLES)
# Observations are free text about people's work; they leave only when asked for by name.
SENSITIVE_TABLES = ("observations",)
DEFAULT_TABLES = tuple(t for t in TABLES if t not in SENSITIVE_TABLES)


def table_title(name: str, lang: str = "nl") -> str:
    nl, en = TABLE_TITLES[name]
    return en if lang == "en" else nl


SCHEMAS: dict[str, tuple[ColumnSpec, ...]] = {
    "pilots": (
        PILOT,
        _c("title", "string", "titel", "title"),
        _c("aim", "string", "doel", "aim"),
        _c(
            "status",
            "string",
            "status: concept, baseline, running, evaluating of closed",
            "status: concept, baseline, running, evaluating or closed",
        ),
        _c("organisation", "string", "organisatie", "organisation"),
        _c("organisation_code", "string", "CBS-code van de organisatie", "organisation CBS code"),
        _c("municipality", "string", "gemeente", "municipality"),
        _c("municipality_code", "string", "CBS-gemeentecode (GM####)", "CBS municipality code"),
        _c("domains", "string", "domeinen, gescheiden door '; '", "domains, separated by '; '"),
        _c("partners", "string", "partners, gescheiden door '; '", "partners, separated by '; '"),
        _c("strategy", "string", "strategie", "strategy"),
        _c(
            "intervention_type",
            "string",
            f"soort interventie: {_TYPES_NL} (leeg: niet opgegeven); de bibliotheek legt "
            "pilots van dezelfde soort naast elkaar",
            f"intervention type: {_TYPES_EN} (empty: not stated); the library pools pilots of "
            "the same type",
        ),
        _c(
            "shared",
            "boolean",
            "gedeeld met andere organisaties (in hun bibliotheek, alleen lezen)",
            "shared with other organisations (in their library, read-only)",
        ),
        _c("baseline_start", "date", "start van de nulmeting", "start of the baseline"),
        _c("intervention_start", "date", "start van de interventie", "start of the intervention"),
        _c("evaluation_end", "date", "einde van de evaluatie", "end of the evaluation"),
        _c("owner", "string", "eigenaar (e-mailadres)", "owner (e-mail address)"),
        CREATED_AT,
    ),
    "areas": (
        PILOT,
        _c("area", "string", "CBS-code van wijk, buurt of gemeente", "CBS area code"),
        _c("name", "string", "naam van het gebied", "area name"),
        _c("group", "string", "pilot of comparison (vergelijking)", "pilot or comparison"),
    ),
    "hypotheses": (
        PILOT,
        HYPOTHESIS,
        MEASURE,
        _c("if_text", "string", "Als we …", "If we …"),
        _c("then_text", "string", "dan …", "then …"),
        _c("because_text", "string", "omdat …", "because …"),
        _c(
            "expected_direction",
            "string",
            "verwachte richting: increase, decrease of no_change",
            "expected direction: increase, decrease or no_change",
        ),
        _c(
            "min_effect",
            "number",
            "kleinste betekenisvolle effect δ zoals vastgelegd",
            "minimal meaningful effect δ as registered",
            "eenheid van de indicator, of fractie bij min_effect_type relative",
        ),
        _c("min_effect_type", "string", "absolute of relative", "absolute or relative"),
        _c("design", "string", "ontwerp: auto, prepost, its, did of spc", "design"),
        _c("comparison_group", "string", "vergelijkingsgebieden", "comparison areas"),
        _c("alpha", "number", "significantieniveau α", "significance level α"),
        _c("is_primary", "boolean", "primaire hypothese (Holm)", "primary hypothesis (Holm)"),
        _c("registered", "boolean", "vastgelegd (op slot)", "registered (locked)"),
        _c("registered_at", "datetime", "vastgelegd op (UTC)", "registered at (UTC)"),
        _c(
            "registered_late",
            "boolean",
            "pas na de start van de interventie vastgelegd",
            "registered only after the intervention started",
        ),
        _c(
            "content_hash",
            "string",
            "SHA-256 van de vastgelegde tekst",
            "SHA-256 of the registered text",
        ),
        _c(
            "amendments",
            "integer",
            "aantal wijzigingen na vastleggen (tabel amendments)",
            "number of amendments after registration (table amendments)",
        ),
    ),
    "amendments": (
        PILOT,
        HYPOTHESIS,
        _c("field", "string", "gewijzigd veld", "amended field"),
        _c("old_value", "string", "oude waarde", "old value"),
        _c("new_value", "string", "nieuwe waarde", "new value"),
        _c("reason", "string", "reden", "reason"),
        _c("author", "string", "door", "by"),
        CREATED_AT,
    ),
    "measures": (
        MEASURE,
        _c("name", "string", "naam", "name"),
        _c("definition", "string", "definitie", "definition"),
        _c("unit", "string", "eenheid", "unit"),
        _c(
            "kind",
            "string",
            "soort: continuous (value), proportion (numerator/denominator), count (count/exposure)",
            "kind: continuous (value), proportion (numerator/denominator), count (count/exposure)",
        ),
        _c("better_direction", "string", "beter is: higher of lower", "better is higher or lower"),
        _c("source", "string", "bron", "source"),
    ),
    "measurements": (
        PILOT,
        MEASURE,
        _c("period", "date", "eerste dag van de periode", "first day of the period"),
        _c("area", "string", "CBS-gebiedscode (leeg: geheel)", "CBS area code (empty: whole)"),
        _c("group", "string", "pilot of comparison", "pilot or comparison"),
        _c(
            "value",
            "number",
            "waarde (continuous)",
            "value (continuous)",
            "eenheid van de indicator",
        ),
        _c("numerator", "number", "teller (proportion)", "numerator (proportion)", "aantal"),
        _c("denominator", "number", "noemer (proportion)", "denominator (proportion)", "aantal"),
        _c("count", "number", "aantal (count)", "count (count)", "aantal"),
        _c(
            "exposure",
            "number",
            "blootstelling, bijv. inwoners (count)",
            "exposure, e.g. residents (count)",
            "aantal",
        ),
        _c("source", "string", "bron", "source"),
    ),
    "interventions": (
        PILOT,
        _c("date", "date", "datum", "date"),
        _c("kind", "string", "soort", "kind"),
        _c("title", "string", "titel", "title"),
        _c("description", "string", "beschrijving", "description"),
        _c(
            "status", "string", "planned, delivered of cancelled", "planned, delivered or cancelled"
        ),
        _c("planned_date", "date", "geplande datum", "planned date"),
        _c("created_by", "string", "vastgelegd door", "recorded by"),
        CREATED_AT,
    ),
    "observations": (
        PILOT,
        _c("date", "date", "datum", "date"),
        _c(
            "kind",
            "string",
            "cause, unforeseen_effect, obstacle, quote, decision of comment",
            "cause, unforeseen_effect, obstacle, quote, decision or comment",
        ),
        _c("text", "string", "tekst", "text"),
        _c("hypothesis", "string", "bij hypothese", "about hypothesis"),
        _c("intervention", "string", "bij interventie (titel)", "about intervention (title)"),
        _c("author", "string", "door", "by"),
        CREATED_AT,
    ),
}

# The results table: the pilot's keys, then every key of AnalysisResult.to_dict() (the analysis
# JSON schema of the README) in its order, flattened; ``details`` follows as details.<key> columns,
# which differ per design and are added where they occur (tracker.services.exports).
RESULT_KEYS: tuple[ColumnSpec, ...] = (
    PILOT,
    HYPOTHESIS,
    MEASURE,
    _c("is_primary", "boolean", "primaire hypothese", "primary hypothesis"),
    _c("schema_version", "integer", "versie van dit schema", "version of this schema"),
    _c("design", "string", "gebruikt ontwerp", "design used"),
    _c("design_reason", "string", "waarom dit ontwerp", "why this design"),
    _c("kind", "string", "soort indicator", "kind of indicator"),
    _c("expect", "string", "verwachte richting", "expected direction"),
    _c("alpha", "number", "significantieniveau α", "significance level α"),
    _c("n_before", "integer", "meetpunten vóór de start", "data points before the start"),
    _c("n_after", "integer", "meetpunten na de start", "data points after the start"),
    _c("baseline", "number", "niveau vóór", "level before", "eenheid van de indicator"),
    _c("after_level", "number", "niveau na", "level after", "eenheid van de indicator"),
    _c(
        "estimate",
        "number",
        "geschat effect (schaal: zie estimate_is_relative)",
        "estimated effect (scale: see estimate_is_relative)",
    ),
    _c(
        "estimate_is_relative",
        "boolean",
        "effect is een verhouding (log-schaal bij count)",
        "effect is a ratio (log scale for counts)",
    ),
    _c("se", "number", "standaardfout", "standard error"),
    _c("se_type", "string", "soort standaardfout", "kind of standard error"),
    _c("ci_low", "number", "ondergrens betrouwbaarheidsinterval", "confidence interval low"),
    _c("ci_high", "number", "bovengrens betrouwbaarheidsinterval", "confidence interval high"),
    _c("p_value", "number", "p-waarde", "p-value"),
    _c(
        "p_adjusted",
        "number",
        "p-waarde na Holm-correctie over de primaire hypothesen",
        "Holm-adjusted p-value across the primary hypotheses",
    ),
    _c("relative_estimate", "number", "effect als fractie van vóór", "effect relative to before"),
    _c("delta", "number", "δ zoals getoetst (na wijzigingen)", "δ as tested (after amendments)"),
    _c(
        "prob_meaningful",
        "number",
        "kans dat het effect minstens δ is",
        "probability that the effect is at least δ",
    ),
    _c(
        "verdict",
        "string",
        "oordeel: supported, partly_supported, contrary, no_meaningful_effect, inconclusive "
        "of insufficient_data",
        "verdict: supported, partly_supported, contrary, no_meaningful_effect, inconclusive or "
        "insufficient_data",
    ),
    _c("verdict_reason", "string", "uitleg van het oordeel", "why this verdict"),
    _c("warnings", "string", "codes van waarschuwingen, '; '", "warning codes, '; '"),
    _c("warnings_text", "string", "waarschuwingen in woorden, '; '", "warnings in words, '; '"),
)


def columns_of(name: str) -> tuple[ColumnSpec, ...]:
    """The fixed columns of a table (results: without its details.* columns)."""
    return RESULT_KEYS if name == "results" else SCHEMAS[name]


def with_suppressed(columns: tuple[ColumnSpec, ...]) -> tuple[ColumnSpec, ...]:
    """The columns plus the ``suppressed`` marker column (small-number protection on)."""
    return (*columns, SUPPRESSED)


def detail_column(key: str, type_: ColumnType) -> ColumnSpec:
    """A details.<key> column of the results table (what it holds depends on the design)."""
    return ColumnSpec(
        f"details.{key}",
        type_,
        f"detail van de analyse (README, 'Analyseresultaten'): {key}",
        f"detail of the analysis (README, 'Analysis results'): {key}",
    )
