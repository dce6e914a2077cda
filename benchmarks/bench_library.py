"""Library benchmark: the learning library at national scale, on PostgreSQL.

    .venv/bin/python -m benchmarks.bench_library                           # 342 × 50 (≈ 2 min)
    .venv/bin/python -m benchmarks.bench_library --organisations 20 --pilots 10 --repeat 5
    BENCH_DATABASE_URL=postgresql+psycopg://… make bench BENCH=library

Needs PostgreSQL (full-text search with Dutch stemming and its GIN index are PostgreSQL's):
``--url``, else ``BENCH_DATABASE_URL``, else ``TEST_DATABASE_URL``. Without one it says so and
does nothing. Everything happens in its own schema (``--schema``, default ``bench_library``),
dropped and made afresh at the start and dropped at the end unless ``--keep``.

The data (generated, loaded with ``COPY``, then ``VACUUM (ANALYZE)``): ``--organisations``
gemeenten (GM codes) × ``--pilots`` pilots each, with a skewed spread of the eight intervention
types; 30 codebook measures; 3 hypotheses per pilot (measures drawn with a preference for the
ones typical of the pilot's type), each with a stored verdict whose ``result_json`` is a real
``AnalysisResult.to_dict`` varied per hypothesis; 20% of the pilots shared, each with one
published report (a real ``ReportModel`` JSON adapted per pilot, its SHA-256 recomputed) and
measurements (3 measures × 24 months × 2 groups; some counts small enough for the small-number
protection to act); 1–2 lessons per pilot with Dutch statements and explanations from word lists
(Zipf-distributed words, so that search has realistic selectivity), 3–6 tags and 1–4 evidence
rows each (mostly pilots of the same organisation, some shared pilots of others),
``search_text`` built by the service's own ``_search_text``. The report and verdict templates
come from one small pilot analysed and published through the services (in a temporary SQLite
file).

Measured, as a manager of one organisation: the first call (PostgreSQL plans it with its
parameters), then ``--repeat`` calls of ours and of the bare contender in turn (median and 95th
percentile; psycopg prepares a statement from its fifth execution and PostgreSQL may then switch
to a generic plan, so the first call and the median can differ a lot); Python peak memory of
one call by ``tracemalloc``. The actions:

- the library page's first page, its filter options, text search (a common word, a rare word,
  two words), a tag filter, tag + text, a status filter, one lesson's detail, the pool groups,
  and the pooled evidence of the largest measure × intervention type group;
- the bare contender: one hand-written SQL statement that makes the same selection (the page
  with its total, status counts and tags; the detail with evidence, results and pools; the
  groups), and for the pooled evidence the SQL fetch of the same inputs plus statsmodels'
  ``combine_effects``. Each bare result is checked against ours (same ids, totals, counts, k).

ratio = ours / bare (medians). The interactive aim: every page action ≤ 1 s at the 95th
percentile. Then ``EXPLAIN (ANALYZE, BUFFERS)`` of the statements the services actually sent
(captured with SQLAlchemy's ``before_cursor_execute`` during one call), with whether the
library's indexes appear in them. Figures go to benchmarks/results/library.json (``--output``),
the full plans beside it (library_explain.txt).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from tracker import migrate
from tracker.db import make_engine, session_scope
from tracker.models import Role
from tracker.reports.model import CONDITIONS, OBSTACLES, Narrative, ReportDraft, ReportModel
from tracker.services.access import Actor, system
from tracker.services.common import sha256_hex
from tracker.services.library import (
    LessonQuery,
    _search_text,
    lesson_detail,
    pool_groups,
    pooled_evidence,
    search_lessons,
    tag_options,
)
from tracker.vocabulary import INTERVENTION_TYPES, TARGET_GROUPS, intervention_type_label

RESULTS = Path(__file__).resolve().parent / "results" / "library.json"
TARGET_P95_SECONDS = 1.0
SHARED_FRACTION = 0.2
MONTHS = 24
START = dt.date(2022, 1, 1)
INTERVENTION_START = dt.date(2023, 1, 1)
END = dt.date(2023, 12, 31)
BENCH_ACTOR = system("bench@proeftuin.example")
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
LOADED_TABLES = (
    "organisation",
    "measure",
    "pilot",
    "hypothesis",
    "hypothesis_verdict",
    "report",
    "measurement",
    "lesson",
    "lesson_tag",
    "lesson_evidence",
)

# ------------------------------------------------------------------------------ word lists
# Skewed: a national deployment has many network-meeting and neighbourhood-team pilots and few
# of the rarer types; "" is a pilot that names no type (it is left out of pooling).
TYPE_WEIGHTS = {
    "netwerkbijeenkomst": 0.22,
    "generalistisch_wijkteam": 0.19,
    "informele_mentor": 0.12,
    "informele_zorg": 0.11,
    "pedagogisch_collectief": 0.10,
    "dorpsondersteuning": 0.09,
    "vroegsignalering_schulden": 0.08,
    "overig": 0.06,
    "": 0.03,
}
assert set(TYPE_WEIGHTS) - {""} == set(INTERVENTION_TYPES)

# code | name | unit | kind | better direction
MEASURES = [
    tuple(cell.strip() for cell in line.split("|"))
    for line in """
    wachttijd_dagen | Wachttijd tot eerste gesprek | dagen | continuous | lower
    contacten_per_client | Contacten per cliënt per maand | contacten | continuous | lower
    doorlooptijd_aanvraag | Doorlooptijd van een aanvraag | dagen | continuous | lower
    eenzaamheidsscore | Eenzaamheidsscore (De Jong Gierveld) | punten | continuous | lower
    ervaren_regie | Ervaren regie over het eigen leven | punten | continuous | higher
    tevredenheid | Tevredenheid over de ondersteuning | cijfer | continuous | higher
    zelfredzaamheid | Zelfredzaamheidsmatrix, gemiddeld | punten | continuous | higher
    mantelzorgbelasting | Ervaren belasting mantelzorgers | punten | continuous | lower
    schuldhoogte | Mediane schuldhoogte bij aanmelding | euro | continuous | lower
    uren_ondersteuning | Uren ondersteuning per cliënt | uren | continuous | lower
    zonder_herhaalvraag | Aandeel zonder herhaalvraag | aandeel | proportion | higher
    aandeel_eenzaam | Aandeel (zeer) eenzaam | aandeel | proportion | lower
    overbelaste_mantelzorg | Aandeel overbelaste mantelzorgers | aandeel | proportion | lower
    schuldhulp_4_weken | Aandeel schuldhulp binnen 4 weken | aandeel | proportion | higher
    jeugd_met_jeugdhulp | Aandeel jeugd met jeugdhulp | aandeel | proportion | lower
    voortijdig_schoolverlaten | Aandeel voortijdig schoolverlaters | aandeel | proportion | lower
    aandeel_vrijwilligers | Aandeel vrijwilligers | aandeel | proportion | higher
    bereik_doelgroep | Bereik van de doelgroep | aandeel | proportion | higher
    terugval | Aandeel terugval binnen een jaar | aandeel | proportion | lower
    zelfstandig_wonend | Aandeel 75-plussers zelfstandig wonend | aandeel | proportion | higher
    verwijzingen_jeugdzorg | Verwijzingen naar jeugdzorg | verwijzingen | count | lower
    meldingen_zorgmijders | Meldingen van zorgmijders | meldingen | count | lower
    huisuitzettingen | Huisuitzettingen | uitzettingen | count | lower
    wmo_aanvragen | Wmo-aanvragen | aanvragen | count | lower
    crisisinterventies | Crisisinterventies | interventies | count | lower
    seh_ouderen | SEH-bezoeken van 75-plussers | bezoeken | count | lower
    signalen_betalingsachterstand | Signalen van betalingsachterstanden | signalen | count | higher
    bijeenkomsten_gehouden | Netwerkbijeenkomsten gehouden | bijeenkomsten | count | higher
    huisbezoeken | Huisbezoeken | bezoeken | count | higher
    meldingen_veilig_thuis | Meldingen bij Veilig Thuis | meldingen | count | lower
""".strip().splitlines()
]

# The measures each type's pilots usually pick (indices into MEASURES).
CORE_MEASURES = {
    "netwerkbijeenkomst": [1, 3, 10, 21, 27],
    "generalistisch_wijkteam": [0, 2, 9, 10, 20, 23],
    "informele_mentor": [4, 14, 15, 18, 20],
    "informele_zorg": [7, 12, 19, 25, 11],
    "pedagogisch_collectief": [14, 15, 20, 29, 6],
    "dorpsondersteuning": [3, 11, 16, 19, 25],
    "vroegsignalering_schulden": [8, 13, 22, 26, 28],
    "overig": [5, 6, 17, 24],
    "": [5, 17],
}


def items(listing: str) -> list[str]:
    """Words and phrases written as ``a; b; c`` over several lines (an empty item is kept)."""
    return [item.strip() for item in " ".join(listing.split("\n")).split(";")]


DOMAINS = items(
    """
    wmo; jeugd; participatie; schuldhulp; wonen; zorg en welzijn; onderwijs
"""
)
AREA_NAMES = items(
    """
    Noord; Oost; Zuid; West; Centrum; Noord-Oost; Zuidwest; De Hoven; Het Dorp; Buitengebied;
    Oude Wijk; Nieuwland; Stationsbuurt; Haven
"""
)
PLACE_HEADS = items(
    """
    Aal; Ber; Cas; Dor; Eem; Fra; Gel; Haa; Ijs; Lan; Mid; Nij; Oos; Put; Ren; Sta; Ter; Uit; Vel;
    Wes; Zui; Bro; Hol; Kam
"""
)
PLACE_TAILS = items(
    """
    dam; veen; wijk; horst; hoven; lo; recht; zijl; broek; meer; sloot; burg; dijk; hem; ingen; um;
    oord; berg
"""
)
SUBJECTS = items(
    """
    Netwerkbijeenkomsten; Een vaste gespreksleider; Informele mentoren;
    Huisbezoeken door het wijkteam; Een buurtkamer; Vroegsignalering van achterstanden;
    Een pedagogisch collectief; Dorpsondersteuners; Mantelzorgcafés;
    Een wijkverpleegkundige in het team; Een keukentafelgesprek; Ervaringsdeskundigen;
    Een gezamenlijk budget; Een sociaal makelaar; Buurtsportcoaches; Het wijkteam op school;
    Maatjesprojecten; Een integrale intake; Schuldhulpmaatjes; Een laagdrempelig inloopspreekuur
"""
)
VERBS = items(
    """
    verminderen; verlagen; verkorten; versnellen; vergroten; versterken; voorkomen; verhogen
"""
)
OBJECTS = items(
    """
    herhaalde contacten met het wijkteam; het aantal verwijzingen naar jeugdzorg;
    de wachttijd voor een eerste gesprek; eenzaamheid onder ouderen;
    de belasting van mantelzorgers; schulden bij jonge huishoudens; de doorlooptijd van aanvragen;
    het bereik onder laaggeletterden; uitval van vrijwilligers; crisisinterventies in gezinnen;
    het aantal huisuitzettingen; zorgmijding in de wijk; het vertrouwen in de gemeente;
    de zelfredzaamheid van inwoners; het gebruik van de Wmo
"""
)
CLAUSES = items(
    """
    alleen met een vaste gespreksleider; als bewoners zelf de agenda bepalen;
    wanneer de huisarts meedoet; mits er een eigen budget voor de wijk is; vooral in kleine kernen;
    zolang vrijwilligers goed ondersteund worden; bij een warme overdracht;
    als de school een vaste contactpersoon heeft;
    wanneer signalen binnen een week worden opgevolgd
"""
)
CLAUSES += ["", "", ""]  # a quarter of the statements have no clause
SENTENCES = items(
    """
    In de wijk bleek {w} belangrijker dan verwacht.;
    De deelnemers noemden {w} als reden om terug te komen.;
    Zonder {w} liep de opkomst na drie maanden terug.;
    Het team werkte samen met {w} en de huisartsenpraktijk.;
    De gemeente zette {w} in om bewoners te bereiken.;
    Uit de interviews kwam naar voren dat {w} het verschil maakte.;
    Met {w} werd de drempel om hulp te vragen lager.;
    Bij de evaluatie viel op dat {w} vaak ontbrak.
"""
)
# Words for the explanations, most common first (drawn with Zipf weights): the last ones occur
# in a few dozen lessons nationally, the first in thousands.
# The search words measured: a common one, a rare one (the rarest word above), two words.
WORDS = items(
    """
    vertrouwen; de buurtkamer; koffie; een vaste dag; de wijkagent; de praktijkondersteuner;
    het jongerenwerk; de bibliotheek; de voedselbank; de woningcorporatie; de kerk; het buurthuis;
    de sportvereniging; een tolk; de kinderopvang; vervoer; de schuldhulpverlening;
    het consultatiebureau; de moskee; een vrijwilligerscoördinator; de thuiszorg; de apotheek;
    de huisarts; de leerplichtambtenaar; de jeugdarts; het sociaal wijkteam; de ouderenadviseur;
    een buurtapp; de nieuwsbrief; de wijkkrant; de supermarkt; de school; de peuterspeelzaal;
    het buurtcentrum; de dagbesteding; het inloophuis; de maatschappelijk werker;
    de wijkverpleging; de GGD; de mantelzorgconsulent; de ervaringsdeskundige; het taalhuis;
    de formulierenbrigade; de thuisadministratie; het energieloket; de klussendienst;
    de boodschappenbus; een repaircafé; de zorgboerderij; de dorpsradio; een taalmaatje;
    de speeltuinvereniging; de kringloopwinkel; de volkstuinvereniging; de carnavalsvereniging;
    de ijsvereniging; de muziekschool; de schaakclub; de biljartvereniging; de visvereniging;
    de toneelvereniging; de fanfare; de duivenvereniging
"""
)
COMMON_WORD = "wijkteam"
RARE_WORD = "duivenvereniging"
TWO_WORDS = "vrijwilligers ouderen"


# ------------------------------------------------------------------------------ the template
@dataclasses.dataclass(frozen=True)
class Template:
    """A real published report and real verdicts, from one small pilot analysed through the
    services: the shapes every generated row copies."""

    content: dict[str, Any]  # the report's content JSON, parsed
    verdicts: dict[str, dict[str, Any]]  # measure kind -> AnalysisResult.to_dict("nl")
    outcomes: dict[str, dict[str, Any]]  # measure kind -> the report's outcome (as JSON)
    hypotheses: dict[str, dict[str, Any]]  # measure kind -> the report's hypothesis facts


def make_template() -> Template:
    """One pilot (3 hypotheses: continuous, proportion, count; pilot and comparison group,
    24 months) created, measured, analysed and published through the services."""
    from tracker.services import hypotheses, journal, measures, organisations, pilots, reports
    from tracker.services.measurements import store_measurement_frame
    from tracker.services.verdicts import refresh_verdicts

    kinds = {"m_cont": "continuous", "m_prop": "proportion", "m_count": "count"}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/template.db")
        migrate.upgrade(engine)
        with session_scope(engine) as s:
            org = organisations.get_or_create_organisation(
                s, name="Voorbeeld", cbs_code="GM9999", actor=BENCH_ACTOR
            )
            for code, kind in kinds.items():
                better = "higher" if kind == "proportion" else "lower"
                data = {
                    "code": code,
                    "name": code,
                    "unit": "eenheid",
                    "kind": kind,
                    "better_direction": better,
                }
                measures.create_measure(s, data, actor=BENCH_ACTOR)
            pilot = pilots.create_pilot(
                s,
                {
                    "slug": "voorbeeld",
                    "title": "Netwerkbijeenkomsten Voorbeeld",
                    "aim": "Familie en buren betrekken bij de ondersteuning",
                    "municipality": "Voorbeeld",
                    "municipality_code": "GM9999",
                    "domains": ["wmo"],
                    "areas": [
                        {"code": "WK999901", "name": "Noord", "group": "pilot"},
                        {"code": "WK999902", "name": "Zuid", "group": "comparison"},
                    ],
                    "partners": ["welzijnsorganisatie"],
                    "strategy": "netwerkversterking",
                    "intervention_type": "netwerkbijeenkomst",
                    "baseline_start": START,
                    "intervention_start": INTERVENTION_START,
                    "evaluation_end": END,
                    "status": "evaluating",
                },
                organisation_id=org.id,
                actor=BENCH_ACTOR,
            )
            assert pilot.id is not None
            plan = [
                ("H1", "m_cont", "decrease", 5.0),
                ("H2", "m_prop", "increase", 0.03),
                ("H3", "m_count", "decrease", 10.0),
            ]
            for i, (code, measure, direction, delta) in enumerate(plan):
                hypotheses.add_hypothesis(
                    s,
                    pilot.id,
                    {
                        "code": code,
                        "if_text": "Als we netwerkbijeenkomsten organiseren",
                        "then_text": "dan verandert de indicator in de verwachte richting",
                        "because_text": "omdat familie en buren een deel van de steun dragen",
                        "measure_code": measure,
                        "expected_direction": direction,
                        "min_effect": delta,
                        "min_effect_type": "relative" if measure == "m_count" else "absolute",
                        "is_primary": i == 0,
                    },
                    actor=BENCH_ACTOR,
                )
            rng = np.random.default_rng(7)
            periods = pd.date_range(START, periods=MONTHS, freq="MS")
            after = np.asarray(periods >= pd.Timestamp(INTERVENTION_START))
            frames = []
            for group in ("pilot", "comparison"):
                on = after & (group == "pilot")
                den = np.full(MONTHS, 400.0)
                frames += [
                    pd.DataFrame(
                        {
                            "measure": "m_cont",
                            "period": periods,
                            "group": group,
                            "value": 50 - 5 * on + rng.normal(0, 2, MONTHS),
                        }
                    ),
                    pd.DataFrame(
                        {
                            "measure": "m_prop",
                            "period": periods,
                            "group": group,
                            "numerator": np.round(
                                den * (0.4 + 0.05 * on) + rng.normal(0, 5, MONTHS)
                            ),
                            "denominator": den,
                        }
                    ),
                    pd.DataFrame(
                        {
                            "measure": "m_count",
                            "period": periods,
                            "group": group,
                            "count": rng.poisson(60 * np.where(on, 0.8, 1.0)).astype(float),
                            "exposure": np.full(MONTHS, 10_000.0),
                        }
                    ),
                ]
            store_measurement_frame(
                s,
                pilot.id,
                pd.concat(frames, ignore_index=True),
                source="bench",
                actor=BENCH_ACTOR,
            )
            journal.add_intervention(
                s,
                pilot.id,
                {
                    "date": INTERVENTION_START,
                    "kind": "bijeenkomst",
                    "title": "Eerste netwerkbijeenkomst",
                    "description": "Met twaalf bewoners",
                },
                actor=BENCH_ACTOR,
            )
            for day, kind, words in [
                (dt.date(2023, 2, 1), "cause", "De gespreksleider kende de families al."),
                (dt.date(2023, 5, 1), "obstacle", "Het wijkteam had geen vaste avond vrij."),
                (dt.date(2023, 9, 1), "quote", "'Ik wist niet dat de buurman wilde helpen.'"),
            ]:
                journal.add_observation(
                    s, pilot.id, {"date": day, "kind": kind, "text": words}, actor=BENCH_ACTOR
                )
            reports.save_draft(
                s,
                pilot.id,
                ReportDraft(
                    narrative=Narrative(
                        summary="De bijeenkomsten werkten waar een vaste gespreksleider was.",
                        why="Families kregen een vast aanspreekpunt.",
                        next_steps="Opschalen naar twee wijken, met een gespreksleider per wijk.",
                    )
                ),
                expected_version=0,
                actor=BENCH_ACTOR,
            )
            stored = {row.hypothesis_id: row.result_json for row in refresh_verdicts(s, pilot.id)}
            codes = {h.id: h.code for h in hypotheses.list_hypotheses(s, pilot.id)}
            by_code = {codes[h]: result for h, result in stored.items()}
            row = reports.publish_report(s, pilot.id, actor=BENCH_ACTOR)
            content = json.loads(row.content)
        engine.dispose()
    measure_kind = {code: kinds[measure] for code, measure, _, _ in plan}
    outcomes = {measure_kind[o["code"]]: o for o in content["outcomes"]}
    facts = {measure_kind[h["code"]]: h for h in content["hypotheses"]}
    return Template(
        content=content,
        verdicts={measure_kind[code]: result for code, result in by_code.items()},
        outcomes=outcomes,
        hypotheses=facts,
    )


# ------------------------------------------------------------------------------ the schema
def database_url(explicit: str | None) -> str | None:
    return explicit or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


def in_schema(url: str, schema: str) -> str:
    """The URL with ``search_path`` set to ``schema`` (as the PostgreSQL test fixtures do)."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def reset_schema(url: str, schema: str, *, create: bool) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise SystemExit(f"not a plain schema name: {schema!r}")
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if create:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


# ------------------------------------------------------------------------------ generating
def zipf(n: int, s: float = 1.07) -> np.ndarray:
    weights = 1 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


def place_names(n: int, rng: np.random.Generator) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = str(rng.choice(PLACE_HEADS)) + str(rng.choice(PLACE_TAILS))
        if name in seen:
            name = f"{name}-{str(rng.choice(PLACE_HEADS)).lower()}{rng.choice(PLACE_TAILS)!s}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def canonical(data: Any) -> str:
    """As ``ReportModel.content_json`` writes it: sorted keys, no spaces, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def varied_result(
    template: dict[str, Any], kind: str, better: str, rng: np.random.Generator
) -> dict[str, Any]:
    """The template's result with its own estimate, interval and verdict: on the estimate's
    scale (a difference; for counts the rate ratio − 1), in the measure's better direction."""
    out = json.loads(json.dumps(template))
    alpha = float(out.get("alpha") or 0.05)
    z = 1.959963984540054
    if kind == "count":
        base_low, base_high = out["ci_low"], out["ci_high"]
        se_log = (math.log1p(base_high) - math.log1p(base_low)) / (2 * z) * rng.uniform(0.6, 2.5)
        sign = -1.0 if better == "lower" else 1.0
        log_rr = sign * rng.normal(0.12, 0.15)
        estimate, low, high = (math.expm1(log_rr + k * z * se_log) for k in (0, -1, 1))
        se = None
        improving = (estimate < 0) == (better == "lower")
        clear = (high < 0) or (low > 0)
        delta = out.get("delta") or 0.1
    else:
        scale = abs(out["estimate"])
        se = (out["se"] or scale / 4) * rng.uniform(0.6, 2.5)
        sign = -1.0 if better == "lower" else 1.0
        estimate = sign * abs(scale) * rng.normal(0.8, 0.8)
        low, high = estimate - z * se, estimate + z * se
        improving = (estimate < 0) == (better == "lower")
        clear = (high < 0) or (low > 0)
        delta = out.get("delta") or scale / 2
    if not clear:
        verdict = "no_meaningful_effect" if abs(estimate) < delta / 2 else "inconclusive"
    elif improving:
        verdict = "supported" if abs(estimate) >= delta else "partly_supported"
    else:
        verdict = "contrary"
    p_value = float(min(1.0, 2 * (1 - _norm_cdf(abs(estimate) / (se or (high - low) / (2 * z))))))
    out.update(
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        verdict=verdict,
        alpha=alpha,
        n_before=int(rng.integers(18, 25)),
        n_after=int(rng.integers(10, 25)),
    )
    details = out.get("details")
    if isinstance(details, dict) and isinstance(details.get("effect"), dict):
        details["effect"].update(
            estimate=estimate, se=se, ci_low=low, ci_high=high, p_value=p_value
        )
    return out


def _norm_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


class Loader:
    """Rows into tables with PostgreSQL's COPY, on one psycopg connection, in one transaction."""

    def __init__(self, engine: Engine):
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.seconds: dict[str, float] = {}

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        started = time.perf_counter()
        quoted = ", ".join(f'"{c}"' for c in columns)
        n = 0
        with (
            self.conn.cursor() as cursor,
            cursor.copy(  # type: ignore[union-attr]
                f"COPY {table} ({quoted}) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                n += 1
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started
        return n

    def finish(self) -> None:
        with self.conn.cursor() as cursor:  # type: ignore[union-attr]
            # Ids were given explicitly: the sequences must continue after them.
            for table in LOADED_TABLES:
                if table == "hypothesis_verdict":  # keyed by its hypothesis: no sequence
                    continue
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        self.raw.commit()
        self.raw.close()

    def abort(self) -> None:
        self.raw.rollback()
        self.raw.close()


@dataclasses.dataclass
class Generated:
    reader_organisation: int
    seconds: float
    copy_seconds: dict[str, float]
    counts: dict[str, int]


def generate(
    engine: Engine, template: Template, organisations: int, per_org: int, seed: int
) -> Generated:
    started = time.perf_counter()
    loader = Loader(engine)
    try:
        fill(loader, template, organisations, per_org, np.random.default_rng(seed))
        loader.finish()
    except BaseException:
        # Roll the half-loaded tables back first: the schema cannot be dropped while this
        # connection's transaction holds their locks.
        loader.abort()
        raise
    analyze_started = time.perf_counter()
    # VACUUM as well as ANALYZE: freshly copied rows have no visibility map and no hint bits,
    # and autovacuum would otherwise do this work in the middle of the measurements.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Only this schema's tables: a bare VACUUM would visit every schema in the database.
        conn.execute(text(f"VACUUM (ANALYZE) {', '.join(LOADED_TABLES)}"))
    loader.seconds["VACUUM ANALYZE"] = time.perf_counter() - analyze_started
    with engine.connect() as conn:
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in LOADED_TABLES
        }
    return Generated(
        reader_organisation=organisations // 2 + 1,
        seconds=time.perf_counter() - started,
        copy_seconds=loader.seconds,
        counts=counts,
    )


def fill(
    loader: Loader, template: Template, organisations: int, per_org: int, rng: np.random.Generator
) -> None:
    """Generate every table's rows and COPY them in (one transaction, not yet committed)."""
    now = NOW

    # organisations
    names = place_names(organisations, rng)
    codes = [
        f"GM{c:04d}" for c in sorted(rng.choice(np.arange(1, 2000), organisations, replace=False))
    ]
    loader.copy(
        "organisation",
        ["id", "name", "cbs_code", "created_at"],
        ((i + 1, names[i], codes[i], now) for i in range(organisations)),
    )

    # measures
    loader.copy(
        "measure",
        [
            "id",
            "code",
            "name",
            "definition",
            "unit",
            "kind",
            "better_direction",
            "source",
            "created_at",
        ],
        (
            (i + 1, c, n, f"{n} per maand", u, k, b, "eigen registratie", now)
            for i, (c, n, u, k, b) in enumerate(MEASURES)
        ),
    )

    # pilots, hypotheses, verdicts
    n_pilots = organisations * per_org
    types = list(TYPE_WEIGHTS)
    type_of = rng.choice(len(types), n_pilots, p=np.array(list(TYPE_WEIGHTS.values())))
    shared = rng.random(n_pilots) < SHARED_FRACTION
    pilot_rows, hypothesis_rows, verdict_rows = [], [], []
    pilot_org = np.repeat(np.arange(1, organisations + 1), per_org)
    pilot_info: list[dict[str, Any]] = []
    for index in range(n_pilots):
        pid = index + 1
        org = int(pilot_org[index])
        itype = types[type_of[index]]
        area = str(rng.choice(AREA_NAMES))
        label = intervention_type_label(itype) if itype else "Wijkaanpak"
        title = f"{label} {area}"
        domains = [str(d) for d in rng.choice(DOMAINS, int(rng.integers(1, 3)), replace=False)]
        slug = f"{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}-{pid}"
        shared_at = now - dt.timedelta(days=int(rng.integers(1, 400))) if shared[index] else None
        municipality = names[org - 1]
        pilot_rows.append(
            (
                pid,
                slug,
                title,
                f"Wat werkt in {area}?",
                municipality,
                codes[org - 1],
                json.dumps(domains),
                json.dumps(
                    [
                        {
                            "code": f"WK{int(codes[org - 1][2:]):04d}01",
                            "name": area,
                            "group": "pilot",
                        },
                        {
                            "code": f"WK{int(codes[org - 1][2:]):04d}02",
                            "name": "Rest",
                            "group": "comparison",
                        },
                    ]
                ),
                json.dumps(["welzijnsorganisatie"]),
                "",
                itype,
                START,
                INTERVENTION_START,
                END,
                "evaluating",
                org,
                None,
                1,
                shared_at,
                "beleid@proeftuin.example" if shared_at else "",
                now,
                now,
            )
        )
        weights = np.ones(len(MEASURES))
        weights[CORE_MEASURES[itype]] += 10.0
        chosen = rng.choice(len(MEASURES), 3, replace=False, p=weights / weights.sum())
        info = {
            "id": pid,
            "org": org,
            "type": itype,
            "title": title,
            "municipality": municipality,
            "slug": slug,
            "domains": domains,
            "shared": bool(shared[index]),
            "hypotheses": [],
        }
        for k, m in enumerate(chosen):
            hid = (pid - 1) * 3 + k + 1
            _, _, _, kind, better = MEASURES[m]
            direction = "decrease" if better == "lower" else "increase"
            hypothesis_rows.append(
                (
                    hid,
                    pid,
                    int(m) + 1,
                    f"H{k + 1}",
                    f"Als we {label.lower()} inzetten in {area}",
                    f"dan verbetert {MEASURES[m][1].lower()}",
                    "omdat inwoners elkaar eerder helpen",
                    direction,
                    0.1 if kind == "count" else 1.0,
                    "relative" if kind == "count" else "absolute",
                    "auto",
                    "",
                    0.05,
                    k == 0,
                    now - dt.timedelta(days=700),
                    None,
                    False,
                    1,
                    now,
                    now,
                )
            )
            result = varied_result(template.verdicts[kind], kind, better, rng)
            verdict_rows.append(
                (
                    hid,
                    pid,
                    result["verdict"],
                    result["design"],
                    result["estimate"],
                    result["ci_low"],
                    result["ci_high"],
                    result["p_value"],
                    None,
                    json.dumps(result),
                    now,
                )
            )
            info["hypotheses"].append(
                {"id": hid, "code": f"H{k + 1}", "measure": int(m), "result": result}
            )
        pilot_info.append(info)
    loader.copy(
        "pilot",
        [
            "id",
            "slug",
            "title",
            "aim",
            "municipality",
            "municipality_code",
            "domains",
            "areas",
            "partners",
            "strategy",
            "intervention_type",
            "baseline_start",
            "intervention_start",
            "evaluation_end",
            "status",
            "organisation_id",
            "owner_id",
            "version",
            "shared_at",
            "shared_by",
            "created_at",
            "updated_at",
        ],
        pilot_rows,
    )
    del pilot_rows
    loader.copy(
        "hypothesis",
        [
            "id",
            "pilot_id",
            "measure_id",
            "code",
            "if_text",
            "then_text",
            "because_text",
            "expected_direction",
            "min_effect",
            "min_effect_type",
            "design",
            "comparison_group",
            "alpha",
            "is_primary",
            "registered_at",
            "content_hash",
            "registered_late",
            "version",
            "created_at",
            "updated_at",
        ],
        hypothesis_rows,
    )
    del hypothesis_rows
    loader.copy(
        "hypothesis_verdict",
        [
            "hypothesis_id",
            "pilot_id",
            "verdict",
            "design",
            "estimate",
            "ci_low",
            "ci_high",
            "p_value",
            "p_adjusted",
            "result_json",
            "computed_at",
        ],
        verdict_rows,
    )
    del verdict_rows

    # published reports and measurements of the shared pilots
    shared_pilots = [p for p in pilot_info if p["shared"]]
    loader.copy(
        "report",
        [
            "id",
            "pilot_id",
            "number",
            "language",
            "content",
            "content_hash",
            "published_by",
            "published_at",
        ],
        report_rows(template, shared_pilots, codes, now),
    )
    loader.copy(
        "measurement",
        [
            "id",
            "pilot_id",
            "measure_id",
            "period",
            "area",
            "group",
            "value",
            "numerator",
            "denominator",
            "count",
            "exposure",
            "source",
            "entered_by",
            "entered_at",
        ],
        measurement_rows(shared_pilots, rng, now),
    )

    # lessons, tags, evidence
    lesson_rows, tag_rows, evidence_rows = lesson_tables(pilot_info, per_org, rng, now)
    loader.copy(
        "lesson",
        [
            "id",
            "statement",
            "explanation",
            "organisation_id",
            "pilot_id",
            "search_text",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
        lesson_rows,
    )
    loader.copy("lesson_tag", ["id", "lesson_id", "kind", "value"], tag_rows)
    loader.copy(
        "lesson_evidence",
        ["id", "lesson_id", "pilot_id", "hypothesis_id", "stance", "note", "added_by", "added_at"],
        evidence_rows,
    )


def report_rows(
    template: Template, pilots: list[dict[str, Any]], codes: list[str], now: dt.datetime
) -> Iterator[tuple[Any, ...]]:
    """One published report per shared pilot: the template's content with this pilot's facts,
    hypotheses and results (the outcome's result record, as ``result_record`` writes it)."""
    base = canonical(template.content)
    for number, pilot in enumerate(pilots, start=1):
        content = json.loads(base)
        facts = content["pilot"]
        facts.update(
            slug=pilot["slug"],
            title=pilot["title"],
            municipality=pilot["municipality"],
            municipality_code=codes[pilot["org"] - 1],
            domains=pilot["domains"],
        )
        hypotheses, outcomes = [], []
        for h in pilot["hypotheses"]:
            code, name, unit, kind, _ = MEASURES[h["measure"]]
            fact = json.loads(json.dumps(template.hypotheses[kind]))
            fact.update(
                code=h["code"],
                measure_code=code,
                measure_name=name,
                unit=unit,
                is_primary=h["code"] == "H1",
            )
            hypotheses.append(fact)
            outcome = json.loads(json.dumps(template.outcomes[kind]))
            record = {k: v for k, v in h["result"].items() if k in outcome["result"]}
            outcome.update(
                code=h["code"],
                measure_code=code,
                measure_name=name,
                unit=unit,
                is_primary=h["code"] == "H1",
            )
            outcome["result"].update(record)
            outcomes.append(outcome)
        content["hypotheses"], content["outcomes"] = hypotheses, outcomes
        text_ = canonical(content)
        if number == 1:
            # The adapted JSON must still be a ReportModel, exactly as content_json writes it.
            assert ReportModel.from_content_json(text_).content_json() == text_
        yield (
            number,
            pilot["id"],
            1,
            "nl",
            text_,
            sha256_hex(text_),
            "beleid@proeftuin.example",
            now - dt.timedelta(days=30),
        )


def measurement_rows(
    pilots: list[dict[str, Any]], rng: np.random.Generator, now: dt.datetime
) -> Iterator[tuple[Any, ...]]:
    """3 measures × 24 months × 2 groups per shared pilot; one pilot in ten has small counts
    (some below the protection's threshold of 5)."""
    periods = [dt.date(START.year + m // 12, m % 12 + 1, 1) for m in range(MONTHS)]
    next_id = 1
    for pilot in pilots:
        small = rng.random() < 0.1
        for h in pilot["hypotheses"]:
            _, _, _, kind, _ = MEASURES[h["measure"]]
            measure_id = h["measure"] + 1
            for group in ("pilot", "comparison"):
                if kind == "continuous":
                    values = rng.normal(50, 5, MONTHS)
                    cells = [(float(v), None, None, None, None) for v in values]
                elif kind == "proportion":
                    den = rng.integers(12 if small else 80, 40 if small else 800, MONTHS)
                    num = rng.binomial(den, 0.4)
                    cells = [
                        (None, float(a), float(b), None, None)
                        for a, b in zip(num, den, strict=True)
                    ]
                else:
                    exposure = float(rng.integers(2_000, 20_000))
                    counts = rng.poisson(3.0 if small else 60.0, MONTHS)
                    cells = [(None, None, None, float(c), exposure) for c in counts]
                for period, cell in zip(periods, cells, strict=True):
                    yield (
                        next_id,
                        pilot["id"],
                        measure_id,
                        period,
                        "",
                        group,
                        *cell,
                        "registratie",
                        "bench@proeftuin.example",
                        now,
                    )
                    next_id += 1


def lesson_tables(
    pilots: list[dict[str, Any]], per_org: int, rng: np.random.Generator, now: dt.datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    word_p = zipf(len(WORDS))
    by_org: dict[int, list[dict[str, Any]]] = {}
    for pilot in pilots:
        by_org.setdefault(pilot["org"], []).append(pilot)
    shared = [p for p in pilots if p["shared"]]
    lessons, tags, evidence = [], [], []
    tag_id = evidence_id = 0
    lesson_id = 0
    for pilot in pilots:
        for _ in range(int(rng.integers(1, 3))):
            lesson_id += 1
            clause = str(rng.choice(CLAUSES))
            statement = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}" + (
                f" {clause}" if clause else ""
            )
            explanation = " ".join(
                str(rng.choice(SENTENCES)).format(w=WORDS[int(rng.choice(len(WORDS), p=word_p))])
                for _ in range(int(rng.integers(2, 4)))
            )
            lesson_tags: dict[str, list[str]] = {}
            if pilot["type"]:
                lesson_tags["intervention_type"] = [pilot["type"]]
            lesson_tags["domain"] = [pilot["domains"][0]]
            measures = [MEASURES[h["measure"]][0] for h in pilot["hypotheses"]]
            lesson_tags["measure"] = [measures[0]]
            extras = [
                ("target_group", str(rng.choice(TARGET_GROUPS))),
                ("condition", str(rng.choice(CONDITIONS))),
                ("obstacle", str(rng.choice([o for o in OBSTACLES if o != "other"]))),
                ("measure", measures[1]),
                ("domain", pilot["domains"][-1]),
            ]
            want = int(rng.integers(3, 7))
            for index in rng.permutation(len(extras)):
                if sum(len(v) for v in lesson_tags.values()) >= want:
                    break
                kind, value = extras[index]
                if value not in lesson_tags.setdefault(kind, []):
                    lesson_tags[kind].append(value)
            lesson_tags = {k: v for k, v in lesson_tags.items() if v}
            search_text = _search_text(
                statement,
                explanation,
                lesson_tags,
                SimpleNamespace(title=pilot["title"], municipality=pilot["municipality"]),  # type: ignore[arg-type]
            )
            created = now - dt.timedelta(days=int(rng.integers(30, 1000)))
            updated = created + dt.timedelta(
                days=int(rng.integers(0, 30)), seconds=int(rng.integers(0, 86_400))
            )
            lessons.append(
                (
                    lesson_id,
                    statement,
                    explanation,
                    pilot["org"],
                    pilot["id"],
                    search_text,
                    "beleid@proeftuin.example",
                    created,
                    updated,
                    1,
                )
            )
            for kind, values in lesson_tags.items():
                for value in values:
                    tag_id += 1
                    tags.append((tag_id, lesson_id, kind, value))
            # Evidence: the source pilot first, then mostly colleagues' pilots, some shared
            # pilots of other gemeenten.
            sources = [pilot]
            for _ in range(int(rng.integers(0, 4))):
                if rng.random() < 0.7:
                    own = by_org[pilot["org"]]
                    sources.append(own[int(rng.integers(0, len(own)))])
                else:
                    sources.append(shared[int(rng.integers(0, len(shared)))])
            seen: set[int] = set()
            for source in sources:
                h = source["hypotheses"][int(rng.integers(0, 3))]
                if h["id"] in seen:
                    continue
                seen.add(h["id"])
                verdict = h["result"]["verdict"]
                if verdict in ("supported", "partly_supported"):
                    stance = "supports"
                elif verdict in ("contrary", "no_meaningful_effect"):
                    stance = "contradicts"
                else:
                    stance = "supports" if rng.random() < 0.75 else "contradicts"
                evidence_id += 1
                evidence.append(
                    (
                        evidence_id,
                        lesson_id,
                        source["id"],
                        h["id"],
                        stance,
                        "",
                        "beleid@proeftuin.example",
                        updated,
                    )
                )
    return lessons, tags, evidence


# ------------------------------------------------------------------------------ bare SQL
VISIBLE = "({p}.organisation_id = :org OR {p}.shared_at IS NOT NULL)"
STATUS_CASE = (
    "CASE WHEN pro > 0 AND contra > 0 THEN 'contested' WHEN contra > 0 THEN 'rejected' "
    "WHEN pro >= 2 THEN 'supported' ELSE 'emerging' END"
)


def bare_search(query: LessonQuery) -> tuple[str, dict[str, Any]]:
    """One statement: the page of lessons (with total, evidence counts, status and tags) that
    ``search_lessons`` returns for ``query``."""
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    conds = [VISIBLE.format(p="p")]
    if query.text.strip():
        conds.append("to_tsvector('dutch', l.search_text) @@ websearch_to_tsquery('dutch', :words)")
        params["words"] = query.text.strip()
    for i, (kind, values) in enumerate(query.tags.items()):
        conds.append(
            f"l.id IN (SELECT lesson_id FROM lesson_tag WHERE kind = :kind{i} "
            f"AND value = ANY(:values{i}))"
        )
        params[f"kind{i}"], params[f"values{i}"] = kind, list(values)
    matching = (
        "SELECT l.id, l.updated_at FROM lesson l JOIN pilot p ON p.id = l.pilot_id "
        f"WHERE {' AND '.join(conds)}"
    )

    def sides(source: str, carry: str = "") -> str:
        return (
            f"SELECT m.id, m.updated_at{carry}, "
            "count(DISTINCT e.pilot_id) FILTER (WHERE e.stance = 'supports') AS pro, "
            "count(DISTINCT e.pilot_id) FILTER (WHERE e.stance = 'contradicts') AS contra "
            f"FROM {source} m LEFT JOIN (lesson_evidence e JOIN pilot ep ON ep.id = e.pilot_id "
            f"AND {VISIBLE.format(p='ep')}) ON e.lesson_id = m.id "
            f"GROUP BY m.id, m.updated_at{carry}"
        )

    if query.status:
        params["status"] = query.status
        ctes = (
            f"matching AS ({matching}), all_sides AS ({sides('matching')}), "
            f"result AS (SELECT id, updated_at, pro, contra, count(*) OVER () AS total "
            f"FROM all_sides WHERE {STATUS_CASE} = :status "
            "ORDER BY updated_at DESC, id DESC LIMIT :limit OFFSET :offset)"
        )
    else:
        ctes = (
            f"matching AS ({matching}), page AS (SELECT id, updated_at, count(*) OVER () AS total "
            "FROM matching ORDER BY updated_at DESC, id DESC LIMIT :limit OFFSET :offset), "
            f"result AS ({sides('page', ', m.total')})"
        )
    sql = (
        f"WITH {ctes} SELECT r.id, l.statement, {STATUS_CASE} AS status, r.pro, r.contra, "
        "p.title, p.municipality, o.name, l.organisation_id = :org AS own, r.total, "
        "(SELECT json_agg(json_build_array(t.kind, t.value) ORDER BY t.id) FROM lesson_tag t "
        "WHERE t.lesson_id = r.id) AS tags "
        "FROM result r JOIN lesson l ON l.id = r.id JOIN pilot p ON p.id = l.pilot_id "
        "JOIN organisation o ON o.id = l.organisation_id ORDER BY r.updated_at DESC, r.id DESC"
    )
    return sql, params


BARE_TAG_OPTIONS = (
    "SELECT DISTINCT t.kind, t.value FROM lesson_tag t JOIN lesson l ON l.id = t.lesson_id "
    "JOIN pilot p ON p.id = l.pilot_id WHERE (l.organisation_id = :org OR p.shared_at IS NOT NULL)"
)

POOL_GROUPS_BODY = (
    "SELECT m.code, m.name, p.intervention_type, count(DISTINCT p.id) AS n FROM pilot p "
    "JOIN hypothesis h ON h.pilot_id = p.id JOIN measure m ON m.id = h.measure_id "
    f"WHERE p.intervention_type <> '' AND {VISIBLE.format(p='p')}"
)
BARE_POOL_GROUPS = (
    f"{POOL_GROUPS_BODY} GROUP BY m.code, m.name, p.intervention_type "
    "ORDER BY n DESC, m.code, p.intervention_type"
)

# The outcome of a hypothesis in a pilot's latest published report, extracted in SQL.
LATEST_OUTCOME = (
    "LEFT JOIN LATERAL (SELECT r.content FROM report r WHERE NOT {own} AND r.pilot_id = {pilot} "
    "ORDER BY r.number DESC LIMIT 1) lr ON true "
    "LEFT JOIN LATERAL (SELECT x -> 'result' AS result FROM json_array_elements("
    "lr.content::json -> 'outcomes') x WHERE x ->> 'code' = {code} LIMIT 1) o ON true"
)

BARE_DETAIL = f"""
WITH tags AS (SELECT id, kind, value FROM lesson_tag WHERE lesson_id = :lesson),
ev AS (
  SELECT e.id, e.pilot_id, e.stance, e.note, p.slug, p.title, p.municipality,
         og.name AS organisation, p.organisation_id = :org AS own, h.id AS hypothesis_id,
         h.code AS hypothesis_code, m.code AS measure_code
  FROM lesson_evidence e JOIN pilot p ON p.id = e.pilot_id
  JOIN organisation og ON og.id = p.organisation_id
  LEFT JOIN hypothesis h ON h.id = e.hypothesis_id LEFT JOIN measure m ON m.id = h.measure_id
  WHERE e.lesson_id = :lesson AND {VISIBLE.format(p="p")}),
res AS (
  SELECT ev.*, CASE WHEN ev.own THEN v.result_json ELSE o.result END AS result
  FROM ev LEFT JOIN hypothesis_verdict v ON ev.own AND v.hypothesis_id = ev.hypothesis_id
  {LATEST_OUTCOME.format(own="ev.own", pilot="ev.pilot_id", code="ev.hypothesis_code")}),
pools AS (
  {POOL_GROUPS_BODY}
  AND m.code IN (SELECT value FROM tags WHERE kind = 'measure')
  AND p.intervention_type IN (SELECT value FROM tags WHERE kind = 'intervention_type')
  GROUP BY m.code, m.name, p.intervention_type)
SELECT l.id, l.statement, l.explanation, l.version, lo.name, sp.title, l.created_by,
  (SELECT json_agg(json_build_array(kind, value) ORDER BY id) FROM tags) AS tags,
  (SELECT json_agg(json_build_object(
      'id', id, 'pilot_id', pilot_id, 'stance', stance, 'note', note, 'slug', slug,
      'title', title, 'municipality', municipality, 'organisation', organisation, 'own', own,
      'hypothesis_code', hypothesis_code, 'measure_code', measure_code,
      'verdict', result ->> 'verdict', 'estimate', result -> 'estimate',
      'ci_low', result -> 'ci_low', 'ci_high', result -> 'ci_high',
      'relative', result -> 'estimate_is_relative') ORDER BY id) FROM res) AS evidence,
  (SELECT json_agg(json_build_array(code, name, intervention_type, n)) FROM pools) AS pools
FROM lesson l JOIN organisation lo ON lo.id = l.organisation_id
JOIN pilot sp ON sp.id = l.pilot_id
WHERE l.id = :lesson AND (l.organisation_id = :org OR sp.shared_at IS NOT NULL)
"""

BARE_POOLED = f"""
WITH chosen AS (
  SELECT DISTINCT ON (p.id) p.id AS pilot_id, p.title, p.municipality,
         p.organisation_id = :org AS own, h.id AS hypothesis_id, h.code
  FROM pilot p JOIN hypothesis h ON h.pilot_id = p.id
  WHERE h.measure_id = :measure AND p.intervention_type = :type AND {VISIBLE.format(p="p")}
  ORDER BY p.id, h.is_primary DESC, h.code)
SELECT c.pilot_id, c.title, c.municipality, c.code, c.own,
       CASE WHEN c.own THEN v.result_json ELSE o.result END AS result
FROM chosen c LEFT JOIN hypothesis_verdict v ON c.own AND v.hypothesis_id = c.hypothesis_id
{LATEST_OUTCOME.format(own="c.own", pilot="c.pilot_id", code="c.code")}
ORDER BY c.pilot_id
"""


def bare_pooled(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    """The SQL fetch of the pooled view's inputs, then statsmodels' random-effects pooling
    (DerSimonian–Laird) on the same common scale as ``study_from_result``."""
    from statsmodels.stats.meta_analysis import combine_effects

    rows = session.connection().execute(text(BARE_POOLED), params).fetchall()
    z = 1.959963984540054
    effects, variances = [], []
    for row in rows:
        result = row.result
        if not result or result.get("estimate") is None:
            continue
        estimate, low, high = result["estimate"], result.get("ci_low"), result.get("ci_high")
        if result.get("estimate_is_relative"):
            if low is None or high is None or min(estimate, low, high) <= -1:
                continue
            effect, se = math.log1p(estimate), (math.log1p(high) - math.log1p(low)) / (2 * z)
        else:
            se = result.get("se")
            if se is None and low is not None and high is not None:
                se = (high - low) / (2 * z)
            effect = estimate
        if se is None or not se > 0:
            continue
        effects.append(effect)
        variances.append(se * se)
    pooled = combine_effects(np.array(effects), np.array(variances), method_re="dl")
    return {"rows": len(rows), "k": len(effects), "estimate": float(pooled.mean_effect_re)}


# ------------------------------------------------------------------------------ measuring
@dataclasses.dataclass
class Action:
    name: str
    ours: Callable[[Session], Any]
    bare: Callable[[Session], Any]
    check: Callable[[Any, Any], str]  # "" when ours and bare agree, else what differs
    explain: bool = True


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def peak_kib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def page_check(ours: Any, bare: list[Any]) -> str:
    ours_rows = [(r.id, r.status, r.supporting, r.contradicting) for r in ours.rows]
    bare_rows = [(r.id, r.status, r.pro, r.contra) for r in bare]
    total = bare[0].total if bare else 0
    if ours_rows != bare_rows or ours.total != total:
        return f"ours {ours.total} {ours_rows[:3]} vs bare {total} {bare_rows[:3]}"
    return ""


def actions(engine: Engine, actor: Actor) -> tuple[list[Action], dict[str, Any]]:
    org = actor.organisation_id
    facts: dict[str, Any] = {}
    with engine.connect() as conn:
        facts["visible_lessons"] = conn.execute(
            text(
                "SELECT count(*) FROM lesson l JOIN pilot p ON p.id = l.pilot_id "
                f"WHERE {VISIBLE.format(p='p')}"
            ),
            {"org": org},
        ).scalar_one()
        facts["all_lessons"] = conn.execute(text("SELECT count(*) FROM lesson")).scalar_one()
        for word in (COMMON_WORD, RARE_WORD, TWO_WORDS):
            facts[f"matches[{word}]"] = conn.execute(
                text(
                    "SELECT count(*) FROM lesson WHERE to_tsvector('dutch', search_text) "
                    "@@ websearch_to_tsquery('dutch', :w)"
                ),
                {"w": word},
            ).scalar_one()
        # The own lesson with the most evidence from other gemeenten' shared pilots.
        row = conn.execute(
            text(
                "SELECT e.lesson_id, count(*) FROM lesson_evidence e "
                "JOIN lesson l ON l.id = e.lesson_id JOIN pilot p ON p.id = e.pilot_id "
                "WHERE l.organisation_id = :org AND p.organisation_id <> :org "
                "AND p.shared_at IS NOT NULL GROUP BY e.lesson_id ORDER BY 2 DESC, 1 LIMIT 1"
            ),
            {"org": org},
        ).first()
        if row is None:
            row = conn.execute(
                text("SELECT id, 0 FROM lesson WHERE organisation_id = :org ORDER BY id LIMIT 1"),
                {"org": org},
            ).first()
        assert row is not None, "the reader's organisation has no lessons"
        facts["detail_lesson"], facts["detail_shared_evidence"] = int(row[0]), int(row[1])
    with session_scope(engine, read_only=True) as s:
        groups = pool_groups(s, actor=actor)
    largest = groups[0]
    facts["pool_groups"] = len(groups)
    facts["largest_group"] = dataclasses.asdict(largest)
    with engine.connect() as conn:
        measure_id = conn.execute(
            text("SELECT id FROM measure WHERE code = :c"), {"c": largest.measure_code}
        ).scalar_one()
    lesson = facts["detail_lesson"]

    def search(query: LessonQuery) -> Action:
        sql, params = bare_search(query)
        return Action(
            name="",
            ours=lambda s: search_lessons(s, query, actor=actor),
            bare=lambda s: s.connection().execute(text(sql), params | {"org": org}).fetchall(),
            check=page_check,
        )

    def named(name: str, action: Action) -> Action:
        return dataclasses.replace(action, name=name)

    def options_check(ours: dict[str, list[str]], bare: list[Any]) -> str:
        flat = sorted((k, v) for k, values in ours.items() for v in values)
        return "" if flat == sorted((r.kind, r.value) for r in bare) else "options differ"

    def groups_check(ours: list[Any], bare: list[Any]) -> str:
        a = [(g.measure_code, g.intervention_type, g.pilots) for g in ours]
        b = [(r.code, r.intervention_type, r.n) for r in bare]
        return "" if a == b else f"{a[:3]} vs {b[:3]}"

    def detail_check(ours: Any, bare: list[Any]) -> str:
        views = sorted(ours.supporting + ours.contradicting, key=lambda v: v.id)
        rows = bare[0].evidence or []
        a = [(v.id, v.verdict, v.estimate) for v in views]
        b = [(r["id"], r["verdict"], r["estimate"]) for r in rows]
        pools_a = sorted((g.measure_code, g.intervention_type, g.pilots) for g in ours.pools)
        pools_b = sorted((p[0], p[2], p[3]) for p in bare[0].pools or [])
        if a != b or pools_a != pools_b:
            return f"evidence {a[:2]} vs {b[:2]}; pools {pools_a} vs {pools_b}"
        return ""

    def pooled_check(ours: Any, bare: dict[str, Any]) -> str:
        if ours.result.k != bare["k"]:
            return f"k {ours.result.k} vs {bare['k']}"
        if ours.result.estimate is not None and not math.isclose(
            ours.result.estimate, bare["estimate"], rel_tol=1e-6, abs_tol=1e-9
        ):
            return f"estimate {ours.result.estimate} vs {bare['estimate']}"
        return ""

    pooled_params = {"org": org, "measure": measure_id, "type": largest.intervention_type}
    tag = {"intervention_type": ("netwerkbijeenkomst",)}
    out = [
        named("library page (first page)", search(LessonQuery())),
        Action(
            "filter options (tag_options)",
            lambda s: tag_options(s, actor=actor),
            lambda s: s.connection().execute(text(BARE_TAG_OPTIONS), {"org": org}).fetchall(),
            options_check,
        ),
        named(f"search: common word '{COMMON_WORD}'", search(LessonQuery(text=COMMON_WORD))),
        named(f"search: rare word '{RARE_WORD}'", search(LessonQuery(text=RARE_WORD))),
        named(f"search: two words '{TWO_WORDS}'", search(LessonQuery(text=TWO_WORDS))),
        named("tag: intervention_type=netwerkbijeenkomst", search(LessonQuery(tags=tag))),
        named(f"tag + text '{COMMON_WORD}'", search(LessonQuery(text=COMMON_WORD, tags=tag))),
        named("status filter: supported", search(LessonQuery(status="supported"))),
        Action(
            f"lesson_detail (lesson {lesson})",
            lambda s: lesson_detail(s, lesson, actor=actor),
            lambda s: (
                s.connection().execute(text(BARE_DETAIL), {"org": org, "lesson": lesson}).fetchall()
            ),
            detail_check,
        ),
        Action(
            "pool_groups",
            lambda s: pool_groups(s, actor=actor),
            lambda s: s.connection().execute(text(BARE_POOL_GROUPS), {"org": org}).fetchall(),
            groups_check,
        ),
        Action(
            f"pooled_evidence {largest.measure_code} × {largest.intervention_type}",
            lambda s: pooled_evidence(
                s, largest.measure_code, largest.intervention_type, actor=actor
            ),
            lambda s: bare_pooled(s, pooled_params),
            pooled_check,
        ),
    ]
    return out, facts


def run_in_session(engine: Engine, fn: Callable[[Session], Any]) -> Any:
    # A page action opens its own read-only session (tracker.ui does the same per rerun).
    with session_scope(engine, read_only=True) as session:
        return fn(session)


def measure(engine: Engine, action: Action, repeat: int) -> dict[str, Any]:
    # The first call of each (the warm-up, and the results to compare) is timed on its own:
    # PostgreSQL plans it afresh with its parameters (a "custom plan"); psycopg prepares a
    # statement from its fifth execution, and PostgreSQL may then keep a generic plan.
    started = time.perf_counter()
    ours_result = run_in_session(engine, action.ours)
    ours_first = time.perf_counter() - started
    started = time.perf_counter()
    bare_result = run_in_session(engine, action.bare)
    bare_first = time.perf_counter() - started
    mismatch = action.check(ours_result, bare_result)
    ours_t, bare_t = [], []
    for _ in range(repeat):  # in turn, so that a busy moment hits both alike
        started = time.perf_counter()
        run_in_session(engine, action.ours)
        ours_t.append(time.perf_counter() - started)
        started = time.perf_counter()
        run_in_session(engine, action.bare)
        bare_t.append(time.perf_counter() - started)
    return {
        "ours": {
            "first": ours_first,
            "median": statistics.median(ours_t),
            "p95": percentile(ours_t, 95),
            "peak_kib": peak_kib(lambda: run_in_session(engine, action.ours)),
        },
        "bare": {
            "first": bare_first,
            "median": statistics.median(bare_t),
            "p95": percentile(bare_t, 95),
            "peak_kib": peak_kib(lambda: run_in_session(engine, action.bare)),
        },
        "ratio": statistics.median(ours_t) / statistics.median(bare_t),
        "met": percentile(ours_t, 95) <= TARGET_P95_SECONDS,
        "agrees": not mismatch,
        "mismatch": mismatch,
        "result": describe(ours_result),
    }


def describe(result: Any) -> str:
    if hasattr(result, "rows") and hasattr(result, "total"):
        return f"{result.total} lessons, {len(result.rows)} shown"
    if hasattr(result, "supporting") and hasattr(result, "pools"):
        own = sum(v.own for v in result.supporting + result.contradicting)
        n = len(result.supporting) + len(result.contradicting)
        return f"{n} evidence ({n - own} of other gemeenten), {len(result.pools)} pools"
    if hasattr(result, "result") and hasattr(result, "pilots"):
        own = sum(p.own for p in result.pilots)
        return (
            f"{result.result.status}: k={result.result.k} pilots pooled "
            f"({own} own, {len(result.pilots) - own} shared by others)"
        )
    if isinstance(result, dict):
        return f"{sum(len(v) for v in result.values())} values in {len(result)} kinds"
    if isinstance(result, list):
        return f"{len(result)} groups"
    return type(result).__name__


# ------------------------------------------------------------------------------ EXPLAIN
# The library's indexes and the statements that should use them (a pattern of the SQL).
INDEX_CHECKS = [
    # (index, what, action name prefix, pattern of the statement, why it may rightly be absent)
    ("ix_lesson_search", "text search (rare word)", "search: rare", "websearch_to_tsquery", ""),
    (
        "ix_lesson_search",
        "text search (common word)",
        "search: common",
        "websearch_to_tsquery",
        "a word in a third of the lessons: a sequential scan can be cheaper",
    ),
    (
        "ix_lesson_search",
        "tag + text",
        "tag + text",
        "websearch_to_tsquery",
        "the planner starts from the tag index and rechecks the words per row",
    ),
    ("ix_lesson_tag_kind_value", "tag filter", "tag: ", "FROM lesson_tag WHERE", ""),
    (
        "ix_lesson_evidence_lesson_pilot",
        "evidence of one page (_stances)",
        "library page",
        "FROM lesson_evidence",
        "",
    ),
    (
        "ix_lesson_evidence_lesson_pilot",
        "evidence of every match (status filter)",
        "status",
        "FROM lesson_evidence",
        "reads the evidence of every visible lesson: a hash join over a sequential scan",
    ),
    (
        "ix_hypothesis_measure_id",
        "pooled_evidence pilot × hypothesis",
        "pooled_evidence",
        "hypothesis.measure_id =",
        "",
    ),
    (
        "ix_pilot_intervention_type",
        "pooled_evidence pilot × hypothesis",
        "pooled_evidence",
        "hypothesis.measure_id =",
        "own organisation OR shared (ix_pilot_organisation_id + ix_pilot_shared_at) is more "
        "selective; the type filters those rows",
    ),
    (
        "ix_hypothesis_measure_id",
        "pool_groups (all measures)",
        "pool_groups",
        "GROUP BY measure.code",
        "no measure condition: every visible pilot's hypotheses",
    ),
    (
        "ix_hypothesis_measure_id",
        "pool_groups of a lesson's measures",
        "lesson_detail",
        "GROUP BY measure.code",
        "the condition is on measure.code, across the join",
    ),
]


def capture(engine: Engine, fn: Callable[[Session], Any]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        run_in_session(engine, fn)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        plan = [row[0] for row in cursor.fetchall()]
        cursor.close()
        raw.rollback()
        return plan
    finally:
        raw.close()


def short(statement: str, width: int = 150) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def plans(engine: Engine, acts: list[Action]) -> dict[str, list[dict[str, Any]]]:
    """Per action, every distinct SELECT it sent, with its EXPLAIN ANALYZE plan."""
    out: dict[str, list[dict[str, Any]]] = {}
    for action in acts:
        done: set[str] = set()
        entries = []
        for statement, parameters in capture(engine, action.ours):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if statement in done:
                continue
            done.add(statement)
            plan = explain(engine, statement, parameters)
            timing = next((line for line in plan if line.startswith("Execution Time")), "")
            entries.append(
                {
                    "statement": statement,
                    "plan": plan,
                    "execution_ms": float(re.findall(r"[\d.]+", timing)[0]) if timing else None,
                    "indexes": sorted(set(re.findall(r"\b(?:ix|pk|uq)_[a-z_]+", "\n".join(plan)))),
                }
            )
        out[action.name] = entries
    return out


def index_report(explained: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per check, whether the index appears in the plan of the first statement of that action
    that matches the pattern (the one the check is about)."""
    rows = []
    for index, what, action_prefix, pattern, why_not in INDEX_CHECKS:
        entry = next(
            (
                e
                for name, es in explained.items()
                if name.startswith(action_prefix)
                for e in es
                if pattern in " ".join(e["statement"].split())
            ),
            None,
        )
        rows.append(
            {
                "index": index,
                "statement": what,
                "found": entry is not None,
                "used": entry is not None and index in entry["indexes"],
                "execution_ms": entry["execution_ms"] if entry else None,
                "indexes_in_plan": entry["indexes"] if entry else [],
                "why_not": why_not,
            }
        )
    return rows


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--organisations", type=int, default=342)
    parser.add_argument("--pilots", type=int, default=50, help="pilots per organisation")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per action (≥ 20)")
    parser.add_argument(
        "--url", help="PostgreSQL URL (default BENCH_DATABASE_URL, then TEST_DATABASE_URL)"
    )
    parser.add_argument("--schema", default="bench_library")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    url = database_url(args.url)
    if not url or make_url(url).get_backend_name() != "postgresql":
        print(
            "library benchmark: SKIPPED — it needs PostgreSQL (full-text search with Dutch "
            "stemming, GIN index). Set BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g. "
            "postgresql+psycopg://proeftuin:proeftuin@localhost:5432/proeftuin_test"
        )
        return 0

    started = time.perf_counter()
    template = make_template()
    template_seconds = time.perf_counter() - started
    reset_schema(url, args.schema, create=True)
    engine = make_engine(in_schema(url, args.schema))
    try:
        migrate.upgrade(engine)
        generated = generate(engine, template, args.organisations, args.pilots, args.seed)
        print(
            f"library benchmark: {args.organisations} organisations × {args.pilots} pilots on "
            f"PostgreSQL (schema {args.schema}); template {template_seconds:.1f} s, "
            f"generated and loaded in {generated.seconds:.1f} s"
        )
        print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in generated.counts.items()))
        print("  load: " + ", ".join(f"{t} {s:.1f} s" for t, s in generated.copy_seconds.items()))
        actor = Actor(
            name="manager@bench.example",
            role=Role.manager,
            organisation_id=generated.reader_organisation,
        )
        acts, facts = actions(engine, actor)
        print(
            f"  reader: manager of organisation {generated.reader_organisation}; visible "
            f"lessons {facts['visible_lessons']:,} of {facts['all_lessons']:,}; matches "
            "(all organisations) "
            + ", ".join(f"{k[8:-1]!r} {v:,}" for k, v in facts.items() if k.startswith("matches["))
        )
        results = {}
        for action in acts:
            results[action.name] = measure(engine, action, args.repeat)
            r = results[action.name]
            print(
                f"  {action.name}: ours {r['ours']['median'] * 1000:.1f} ms (p95 "
                f"{r['ours']['p95'] * 1000:.1f}), bare {r['bare']['median'] * 1000:.1f} ms, "
                f"ratio {r['ratio']:.1f}; {r['result']}"
                + ("" if r["agrees"] else f"  DIFFERS: {r['mismatch']}"),
                flush=True,
            )
        explained = plans(engine, acts)
        indexes = index_report(explained)
        write_explain(explained, explain_file(args.output))
        print_explain(explained, indexes)
        print_summary(results, args.repeat)
        met = all(r["met"] for r in results.values())
        agree = all(r["agrees"] for r in results.values())
        print(
            f"interactive aim: p95 ≤ {TARGET_P95_SECONDS:.0f} s per page action → "
            + (
                "met by every action"
                if met
                else "MISSED by " + ", ".join(name for name, r in results.items() if not r["met"])
            )
            + (
                ""
                if agree
                else "; ours and bare DISAGREE on: "
                + ", ".join(name for name, r in results.items() if not r["agrees"])
            )
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            json.dumps(
                {
                    "organisations": args.organisations,
                    "pilots_per_organisation": args.pilots,
                    "repeat": args.repeat,
                    "load_seconds": generated.seconds,
                    "copy_seconds": generated.copy_seconds,
                    "rows": generated.counts,
                    "facts": facts,
                    "actions": results,
                    "indexes": indexes,
                    "target_p95_seconds": TARGET_P95_SECONDS,
                    "met": met,
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "postgresql": server_version(engine),
                },
                indent=2,
                default=str,
            )
        )
        print(f"written to {args.output} and {explain_file(args.output)}")
        return 0
    finally:
        engine.dispose()
        if not args.keep:
            reset_schema(url, args.schema, create=False)


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar_one())


KEY_PATTERNS = {
    "text search": "websearch_to_tsquery",
    "tag filter": "FROM lesson_tag WHERE",
    "evidence": "FROM lesson_evidence JOIN pilot",
    "pool groups": "GROUP BY measure.code",
    "pooled pilot × hypothesis": "hypothesis.measure_id =",
    "latest reports": "max(report.number)",
    "measurements of shared pilots": "FROM measurement WHERE",
}


def print_explain(
    explained: dict[str, list[dict[str, Any]]], indexes: list[dict[str, Any]]
) -> None:
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the statements the services sent:")
    for name, entries in explained.items():
        print(
            f"  {name}: {len(entries)} statements, "
            f"{sum(e['execution_ms'] or 0 for e in entries):.1f} ms in the server"
        )
        for e in entries:
            flat = " ".join(e["statement"].split())
            key = next((k for k, p in KEY_PATTERNS.items() if p in flat), None)
            print(f"    [{e['execution_ms']:.2f} ms] {short(e['statement'], 110)}")
            if key:
                # The key statements' plans in full (nodes only), the rest in the file.
                for line in e["plan"]:
                    if not line.lstrip().startswith(("Buffers", "Planning:", "Planning Time")):
                        print(f"        {line}")
    print("\nindexes (in the plan of the statement named):")
    for row in indexes:
        used = "yes" if row["used"] else ("NO" if row["found"] else "n/a")
        why = f" — {row['why_not'] or 'expected: see the plan'}" if used == "NO" else ""
        print(
            f"  {row['index']:32} {row['statement']:42} {used:>3}  "
            f"[{', '.join(row['indexes_in_plan']) or 'sequential scans only'}]{why}"
        )


def explain_file(output: Path) -> Path:
    """The full plans, beside the figures: library.json -> library_explain.txt."""
    return output.with_name(f"{output.stem}_explain.txt")


def write_explain(explained: dict[str, list[dict[str, Any]]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for name, entries in explained.items():
            out.write(f"===== {name}\n")
            for e in entries:
                out.write(f"--- {' '.join(e['statement'].split())}\n")
                out.write("\n".join(e["plan"]) + "\n\n")


def print_summary(results: dict[str, dict[str, Any]], repeat: int) -> None:
    print(
        f"\nsummary in ms: first call, then median and p95 of {repeat} calls; ratio = ours / "
        "bare (medians); peak = Python allocations of one call of ours"
    )
    print(
        f"  {'action':46}{'first':>8}{'median':>8}{'p95':>8} |{'first':>7}{'median':>8}"
        f"{'p95':>8} |{'ratio':>6}{'peak KiB':>9}{'p95≤1s':>7}"
    )
    print(f"  {'':46}{'ours':>24} |{'bare':>23} |")
    for name, r in results.items():
        ours, bare = r["ours"], r["bare"]
        print(
            f"  {name[:45]:46}{ours['first'] * 1e3:8.1f}{ours['median'] * 1e3:8.1f}"
            f"{ours['p95'] * 1e3:8.1f} |{bare['first'] * 1e3:7.1f}{bare['median'] * 1e3:8.1f}"
            f"{bare['p95'] * 1e3:8.1f} |{r['ratio']:6.1f}{ours['peak_kib']:9.0f}"
            f"{'yes' if r['met'] else 'NO':>7}"
        )


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
