"""Regenerate the seven demonstration pilots: ``experiments/*.toml`` and ``data/demo/*.csv``.

    .venv/bin/python scripts/generate_demo.py

Everything here is fictitious: the municipalities and their CBS codes are real, the pilots,
areas' figures, people and quotes are invented. The pilots are modelled on approaches Dutch
municipalities tried after the 2015 decentralisation of the social domain.

How it works: each pilot is built in a throw-away SQLite database through the ordinary
services (so the files are exactly what ``tracker pilots export`` writes), registered at a
fixed time, then exported with the "fictitious" label on top. The measurements are drawn with
``numpy.random.default_rng(2015)`` for the first five pilots and ``default_rng(2019)`` for the
two added for the learning library (so adding them left the first five's files unchanged): a
level per area, a common seasonal pattern and trend, noise, and in the pilot areas a change
after the intervention start that builds up over a few months. The changes are chosen so the
verdicts differ (see tests/integration/test_demo.py): some hypotheses clearly supported, one
clearly contrary, some without a real change. Three pilots share the intervention type
"netwerkbijeenkomst" and the measure "uren_ondersteuning_per_client", so the learning library
can pool them; the lessons drawn from the pilots are in ``data/demo/lessons.toml`` (written by
hand, not by this script).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from tracker import migrate  # noqa: E402
from tracker.db import make_engine, session_scope  # noqa: E402
from tracker.io import pilot_file  # noqa: E402
from tracker.services import (  # noqa: E402
    hypotheses,
    journal,
    measures,
    organisations,
    pilot_files,
    pilots,
)
from tracker.services.access import system  # noqa: E402
from tracker.services.demo import (  # noqa: E402
    DEMO_COMMENT,
    DEMO_DATA_DIR,
    DEMO_ORGANISATION,
    DEMO_USERS,
    EXPERIMENTS_DIR,
)
from tracker.services.measurements import store_measurement_frame  # noqa: E402

SEED = 2015
OWNER = DEMO_USERS[0][0]  # the demo policy officer
CSV_COLUMNS = (
    "measure",
    "period",
    "area",
    "group",
    "value",
    "numerator",
    "denominator",
    "count",
    "exposure",
    "source",
)
CSV_SOURCE = "fictief (demo)"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- the codebook
CODEBOOK: dict[str, dict[str, str]] = {
    "uren_ondersteuning_per_client": {
        "name": "Uren professionele ondersteuning per cliënt",
        "definition": (
            "Gemiddeld aantal uren professionele ondersteuning (Wmo-begeleiding, huishoudelijke "
            "hulp, wijkverpleging) per cliënt in de maand."
        ),
        "unit": "uur per cliënt per maand",
        "kind": "continuous",
        "better_direction": "lower",
        "source": "eigen registratie wijkteam en zorgaanbieders",
    },
    "aandeel_informele_steun": {
        "name": "Aandeel cliënten met informele steun in het plan",
        "definition": (
            "Teller: cliënten met een ondersteuningsplan waarin minstens één informele helper "
            "(familie, buren, vrijwilliger) een vaste taak heeft. Noemer: alle cliënten met een "
            "ondersteuningsplan in de maand."
        ),
        "unit": "aandeel cliënten",
        "kind": "proportion",
        "better_direction": "higher",
        "source": "eigen registratie wijkteam",
    },
    "nieuwe_maatwerkvoorzieningen_wmo": {
        "name": "Nieuwe maatwerkvoorzieningen Wmo",
        "definition": (
            "Aantal nieuw toegekende maatwerkvoorzieningen Wmo in de maand. Blootstelling: "
            "aantal inwoners van de doelgroep van de pilot in het gebied (zie de pilot)."
        ),
        "unit": "per 1.000 inwoners van de doelgroep",
        "kind": "count",
        "better_direction": "lower",
        "source": "Wmo-registratie gemeente; inwoners: CBS Kerncijfers wijken en buurten",
    },
    "verwijzingen_specialistische_jeugdhulp": {
        "name": "Verwijzingen naar specialistische jeugdhulp",
        "definition": (
            "Aantal nieuwe verwijzingen naar specialistische jeugdhulp in de maand. "
            "Blootstelling: aantal jeugdigen van de doelgroep van de pilot in het gebied."
        ),
        "unit": "per 1.000 jeugdigen",
        "kind": "count",
        "better_direction": "lower",
        "source": "registratie jeugdhulp gemeente; jeugdigen: CBS Kerncijfers wijken en buurten",
    },
    "aandeel_trajecten_volgens_plan": {
        "name": "Aandeel jeugdhulptrajecten afgesloten volgens plan",
        "definition": (
            "Teller: in de maand afgesloten jeugdhulptrajecten die volgens plan zijn beëindigd. "
            "Noemer: alle in de maand afgesloten jeugdhulptrajecten."
        ),
        "unit": "aandeel trajecten",
        "kind": "proportion",
        "better_direction": "higher",
        "source": "registratie jeugdhulpaanbieders (beleidsinformatie jeugd)",
    },
    "doorlooptijd_melding_start": {
        "name": "Doorlooptijd van melding tot start ondersteuning",
        "definition": (
            "Gemiddeld aantal kalenderdagen tussen de melding bij het wijkteam en de start van "
            "de ondersteuning, voor de in de maand gestarte trajecten."
        ),
        "unit": "dagen",
        "kind": "continuous",
        "better_direction": "lower",
        "source": "eigen registratie wijkteam",
    },
    "verwijzingen_specialistische_zorg": {
        "name": "Verwijzingen naar specialistische zorg",
        "definition": (
            "Aantal verwijzingen van het wijkteam naar specialistische (tweedelijns) zorg en "
            "ondersteuning in de maand. Blootstelling: aantal inwoners van het gebied."
        ),
        "unit": "per 1.000 inwoners",
        "kind": "count",
        "better_direction": "lower",
        "source": "eigen registratie wijkteam; inwoners: CBS Kerncijfers wijken en buurten",
    },
    "aandeel_huishoudens_een_plan": {
        "name": "Aandeel huishoudens met één plan",
        "definition": (
            "Teller: huishoudens met ondersteuning op meer dan één leefgebied die één "
            "gezamenlijk plan hebben. Noemer: alle huishoudens met ondersteuning op meer dan "
            "één leefgebied in de maand."
        ),
        "unit": "aandeel huishoudens",
        "kind": "proportion",
        "better_direction": "higher",
        "source": "eigen registratie wijkteam",
    },
    "ziekteverzuim_wijkteam": {
        "name": "Ziekteverzuim in het wijkteam",
        "definition": (
            "Teller: ziektedagen van de medewerkers van het wijkteam in de maand. Noemer: "
            "contractdagen van die medewerkers in de maand. Zonder hypothese bijgehouden om de "
            "werkdruk te volgen."
        ),
        "unit": "aandeel dagen",
        "kind": "proportion",
        "better_direction": "lower",
        "source": "eigen registratie wijkteam (personeelsadministratie)",
    },
    "ervaren_sociale_samenhang": {
        "name": "Ervaren sociale samenhang in de buurt",
        "definition": (
            "Gemiddelde score (0–10) op de schaal sociale samenhang in de maandelijkse "
            "buurtpeiling onder ouders met kinderen tot 18 jaar."
        ),
        "unit": "score 0–10",
        "kind": "continuous",
        "better_direction": "higher",
        "source": "buurtpeiling (panel) gemeente",
    },
}


# --------------------------------------------------------------------------- how data behave
@dataclass(frozen=True)
class Series:
    """How one measure behaves in one pilot, per area.

    ``base`` is the level before the intervention (mean, proportion, or rate per 1,000 for
    counts); ``size`` the denominator (proportion) or exposure (count). ``effect`` is the
    change in the pilot areas once fully built up: absolute for continuous and proportion
    measures, relative (×(1+effect)) for counts.
    """

    measure: str
    base: dict[str, float]
    size: dict[str, int] = field(default_factory=dict)
    effect: float = 0.0
    sd: float = 0.0
    trend: float = 0.0  # per month, for every area (absolute; relative for counts)
    season: float = 0.0  # amplitude of a yearly cycle, for every area
    ramp: int = 3  # months for the effect to build up


@dataclass
class DemoPilot:
    definition: dict[str, Any]
    hypotheses: list[dict[str, Any]]
    registered_at: dt.datetime
    series: list[Series]
    interventions: list[dict[str, Any]]
    observations: list[dict[str, Any]]
    late_hypotheses: list[dict[str, Any]] = field(default_factory=list)
    late_registered_at: dt.datetime | None = None
    amendment: dict[str, Any] | None = None


def hyp(code: str, measure: str, if_: str, then: str, because: str, **kw: Any) -> dict[str, Any]:
    return {
        "code": code,
        "measure_code": measure,
        "if_text": if_,
        "then_text": then,
        "because_text": because,
        "design": "auto",
        "alpha": 0.05,
        "is_primary": True,
    } | kw


def act(
    date: dt.date,
    kind: str,
    title: str,
    description: str,
    *,
    status: str = "delivered",
    planned: dt.date | None = None,
) -> dict[str, Any]:
    return {
        "date": date,
        "kind": kind,
        "title": title,
        "description": description,
        "status": status,
        "planned_date": planned if planned is not None else date,
    }


def note(
    date: dt.date, kind: str, text: str, *, h: str | None = None, i: str | None = None
) -> dict[str, Any]:
    return {"date": date, "kind": kind, "text": text, "hypothesis_code": h, "intervention_title": i}


D = dt.date

# --------------------------------------------------------------------------- 1. Utrecht
UTRECHT = DemoPilot(
    definition={
        "slug": "netwerkbijeenkomsten-utrecht",
        "title": "Sociale netwerkbijeenkomsten Overvecht",
        "aim": (
            "Familie, vrienden en buren vanaf het begin betrekken bij de ondersteuning van "
            "inwoners met een Wmo- of jeugdvraag, via een netwerkbijeenkomst onder leiding van "
            "een getrainde gespreksleider. Zo neemt het eigen netwerk een deel van de steun op "
            "zich en is professionele hulp korter of lichter nodig."
        ),
        "municipality": "Utrecht",
        "municipality_code": "GM0344",
        "domains": ["wmo", "jeugd"],
        "areas": [
            {"code": "WK034403", "name": "Overvecht", "group": "pilot"},
            {"code": "WK034407", "name": "Zuid", "group": "comparison"},
        ],
        "partners": ["wijkteam", "welzijnsorganisatie", "huisartsen in de wijk"],
        "strategy": "netwerkversterking",
        "intervention_type": "netwerkbijeenkomst",
        "baseline_start": D(2016, 1, 1),
        "intervention_start": D(2017, 7, 1),
        "evaluation_end": D(2018, 12, 31),
        "status": "closed",
    },
    hypotheses=[
        hyp(
            "H1",
            "uren_ondersteuning_per_client",
            "Als we bij elke nieuwe hulpvraag een sociale netwerkbijeenkomst organiseren onder "
            "leiding van een getrainde gespreksleider",
            "dan daalt het gemiddeld aantal uren professionele ondersteuning per cliënt per "
            "maand met minstens 10%",
            "omdat familie en buren na de bijeenkomst vaste taken overnemen (boodschappen, "
            "administratie, vervoer) die nu door professionals worden gedaan",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
        hyp(
            "H2",
            "aandeel_informele_steun",
            "Als we bij elke nieuwe hulpvraag een sociale netwerkbijeenkomst organiseren",
            "dan stijgt het aandeel cliënten met informele steun in hun plan met minstens 5 "
            "procentpunt",
            "omdat de bijeenkomst zichtbaar maakt wie wil en kan helpen, en afspraken daarover "
            "in het plan komen",
            expected_direction="increase",
            min_effect=0.05,
            min_effect_type="absolute",
        ),
        hyp(
            "H3",
            "nieuwe_maatwerkvoorzieningen_wmo",
            "Als het eigen netwerk eerder en vaker meedoet in de ondersteuning",
            "dan daalt het aantal nieuwe maatwerkvoorzieningen Wmo per 1.000 inwoners met "
            "minstens 10%",
            "omdat een deel van de vragen met hulp uit het netwerk wordt opgelost zonder "
            "maatwerkvoorziening",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
            is_primary=False,
        ),
    ],
    registered_at=utc(2017, 6, 12, 10, 0, 0),
    series=[
        Series(
            "uren_ondersteuning_per_client",
            base={"WK034403": 6.4, "WK034407": 6.1},
            effect=-1.25,
            sd=0.3,
            trend=0.005,
            season=0.15,
        ),
        Series(
            "aandeel_informele_steun",
            base={"WK034403": 0.28, "WK034407": 0.30},
            size={"WK034403": 110, "WK034407": 95},
            effect=0.10,
        ),
        Series(
            "nieuwe_maatwerkvoorzieningen_wmo",
            base={"WK034403": 1.1, "WK034407": 1.0},
            size={"WK034403": 33_000, "WK034407": 40_000},
            effect=-0.05,
            season=0.08,
        ),
    ],
    interventions=[
        act(
            D(2017, 5, 15),
            "training",
            "Training gespreksleiders (eerste groep)",
            "Twaalf medewerkers van wijkteam en welzijnsorganisatie getraind als gespreksleider "
            "van netwerkbijeenkomsten (drie dagdelen plus intervisie).",
        ),
        act(
            D(2017, 7, 3),
            "start",
            "Start netwerkbijeenkomsten Overvecht",
            "Elke nieuwe Wmo- of jeugdvraag in Overvecht krijgt een netwerkbijeenkomst "
            "aangeboden voordat een maatwerkvoorziening wordt overwogen.",
        ),
        act(
            D(2017, 11, 20),
            "training",
            "Training gespreksleiders (tweede groep)",
            "Acht extra gespreksleiders. Uitgesteld van oktober naar november door "
            "personeelsverloop in het wijkteam.",
            planned=D(2017, 10, 2),
        ),
        act(
            D(2018, 3, 1),
            "communicatie",
            "Buurtcampagne 'Wie staat er om je heen?'",
            "Posters en huis-aan-huisblad om bewoners uit te nodigen elkaar te helpen. "
            "Geannuleerd: budget verschoven naar extra gespreksleiders.",
            status="cancelled",
        ),
        act(
            D(2018, 6, 14),
            "evaluatie",
            "Tussentijdse evaluatie met gespreksleiders",
            "Bijeenkomst met gespreksleiders en wijkteam over wat werkt en wat niet.",
        ),
    ],
    observations=[
        note(
            D(2017, 9, 12),
            "cause",
            "Gespreksleiders zien dat familieleden na een bijeenkomst vaste taken op zich nemen "
            "(boodschappen, administratie, vervoer naar afspraken); daardoor is de inzet van "
            "professionals korter.",
            h="H1",
        ),
        note(
            D(2017, 10, 2),
            "obstacle",
            "Inwoners met een klein netwerk slaan een bijeenkomst vaak af: schaamte om hulp te "
            "vragen. Het tekort aan gespreksleiders vertraagt de tweede training.",
            i="Training gespreksleiders (tweede groep)",
        ),
        note(
            D(2017, 12, 5),
            "unforeseen_effect",
            "Buren die bij een bijeenkomst waren, melden zich vaker zelf bij het wijkteam met "
            "een zorg over een ander huishouden in de straat: meer vroege signalen, niet minder "
            "vragen.",
            h="H3",
        ),
        note(
            D(2018, 2, 14),
            "quote",
            "'Ik wist niet dat mijn zus wilde helpen; we hadden het er nooit over gehad.' — "
            "deelnemer aan een netwerkbijeenkomst (geanonimiseerd)",
        ),
        note(
            D(2018, 3, 1),
            "decision",
            "Stuurgroep besluit de buurtcampagne te schrappen en het geld te besteden aan twee "
            "extra gespreksleiders.",
            i="Buurtcampagne 'Wie staat er om je heen?'",
        ),
    ],
)

# --------------------------------------------------------------------------- 2. Rotterdam
ROTTERDAM = DemoPilot(
    definition={
        "slug": "informele-mentoren-rotterdam",
        "title": "Informele mentoren voor jongeren naast jeugdhulp",
        "aim": (
            "Jongeren van 13 tot 25 jaar in jeugdhulp een zelfgekozen informele mentor geven "
            "(een volwassene uit hun omgeving of een getrainde vrijwilliger), zodat zij minder "
            "afhankelijk worden van professionele hulp en hulptrajecten vaker volgens plan "
            "aflopen."
        ),
        "municipality": "Rotterdam",
        "municipality_code": "GM0599",
        "domains": ["jeugd", "onderwijs"],
        "areas": [
            {"code": "WK059912", "name": "Feijenoord", "group": "pilot"},
            {"code": "WK059913", "name": "IJsselmonde", "group": "pilot"},
            {"code": "WK059915", "name": "Charlois", "group": "comparison"},
        ],
        "partners": [
            "jeugdhulpaanbieders",
            "scholen voortgezet onderwijs",
            "vrijwilligersorganisatie mentoring",
        ],
        "strategy": "informele steun naast formele zorg",
        "intervention_type": "informele_mentor",
        "baseline_start": D(2016, 7, 1),
        "intervention_start": D(2018, 1, 1),
        "evaluation_end": D(2019, 6, 30),
        "status": "evaluating",
    },
    hypotheses=[
        hyp(
            "H1",
            "verwijzingen_specialistische_jeugdhulp",
            "Als we jongeren van 13 tot 25 jaar in jeugdhulp een informele mentor naast de "
            "hulpverlener geven",
            "dan daalt het aantal verwijzingen naar specialistische jeugdhulp per 1.000 "
            "jongeren met minstens 10%",
            "omdat de mentor problemen opvangt voordat ze escaleren en de jongere steun heeft "
            "buiten de hulpverlening",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
        hyp(
            "H2",
            "aandeel_trajecten_volgens_plan",
            "Als we jongeren in jeugdhulp een informele mentor geven",
            "dan stijgt het aandeel jeugdhulptrajecten dat volgens plan wordt afgesloten met "
            "minstens 5 procentpunt",
            "omdat de mentor de jongere helpt afspraken na te komen en minder jongeren "
            "voortijdig afhaken",
            expected_direction="increase",
            min_effect=0.05,
            min_effect_type="absolute",
        ),
    ],
    registered_at=utc(2017, 12, 11, 14, 30, 0),
    series=[
        Series(
            "verwijzingen_specialistische_jeugdhulp",
            base={"WK059912": 3.6, "WK059913": 3.4, "WK059915": 3.5},
            size={"WK059912": 12_400, "WK059913": 10_200, "WK059915": 11_300},
            effect=0.35,
            season=0.10,
            ramp=4,
        ),
        Series(
            "aandeel_trajecten_volgens_plan",
            base={"WK059912": 0.61, "WK059913": 0.63, "WK059915": 0.62},
            size={"WK059912": 140, "WK059913": 120, "WK059915": 130},
            effect=0.09,
            ramp=4,
        ),
    ],
    interventions=[
        act(
            D(2017, 11, 6),
            "training",
            "Werving en training eerste 40 mentoren",
            "Vrijwilligers en door jongeren voorgedragen volwassenen getraind (twee avonden).",
        ),
        act(
            D(2018, 1, 8),
            "start",
            "Start koppeling jongere–mentor via jeugdhulp",
            "Hulpverleners bieden elke jongere van 13–25 jaar bij de start van een traject een "
            "mentor aan; de jongere kiest zelf.",
        ),
        act(
            D(2018, 6, 4),
            "uitbreiding",
            "Koppeling via scholen voortgezet onderwijs",
            "Zorgcoördinatoren van scholen kunnen jongeren aanmelden. Twee maanden later dan "
            "gepland: eerst moesten privacyafspraken met de scholen rond zijn.",
            planned=D(2018, 4, 3),
        ),
        act(
            D(2018, 9, 15),
            "bijeenkomst",
            "Mentorenweekend",
            "Weekend voor mentoren en jongeren. Geannuleerd wegens te weinig aanmeldingen.",
            status="cancelled",
        ),
    ],
    observations=[
        note(
            D(2018, 3, 20),
            "obstacle",
            "Wachtlijst voor mentoren: er melden zich meer jongeren aan dan er vrijwilligers "
            "beschikbaar zijn.",
        ),
        note(
            D(2018, 5, 14),
            "unforeseen_effect",
            "Mentoren zien problemen (schulden, spanningen thuis) die eerder onder de radar "
            "bleven. Hulpverleners verwijzen daardoor juist vaker door naar specialistische "
            "jeugdhulp, en eerder.",
            h="H1",
        ),
        note(
            D(2018, 7, 11),
            "quote",
            "'Mijn mentor is er ook als het niet over hulp gaat; dat maakt het verschil.' — "
            "jongere, 17 jaar (geanonimiseerd)",
        ),
        note(
            D(2018, 10, 3),
            "cause",
            "Jongeren met een mentor komen vaker op hun afspraken; de mentor herinnert eraan en "
            "gaat soms mee.",
            h="H2",
        ),
        note(
            D(2018, 11, 15),
            "decision",
            "Projectgroep besluit de stijging van verwijzingen niet als mislukking te zien: H1 "
            "blijft staan; in de evaluatie wordt vroegsignalering apart bekeken.",
            h="H1",
        ),
    ],
)

# --------------------------------------------------------------------------- 3. Apeldoorn
APELDOORN = DemoPilot(
    definition={
        "slug": "generalist-wijkteam-apeldoorn",
        "title": "Generalist voor de burger, specialist in het team",
        "aim": (
            "Eén generalist per huishouden als vast aanspreekpunt, met specialisten (GGZ, "
            "jeugd, schulden, verslaving) in het wijkteam zelf in plaats van achter een "
            "verwijzing. Doel: sneller starten, minder doorverwijzen en één plan per huishouden."
        ),
        "municipality": "Apeldoorn",
        "municipality_code": "GM0200",
        "domains": ["wmo", "jeugd", "participatie"],
        "areas": [
            {"code": "WK020004", "name": "Zuidoost", "group": "pilot"},
            {"code": "WK020002", "name": "Noordoost", "group": "comparison"},
        ],
        "partners": ["wijkteam", "GGZ-instelling", "schuldhulpverlening", "jeugdhulpaanbieders"],
        "strategy": "integraal werken in het wijkteam",
        "intervention_type": "generalistisch_wijkteam",
        "baseline_start": D(2017, 1, 1),
        "intervention_start": D(2018, 7, 1),
        "evaluation_end": D(2019, 12, 31),
        "status": "evaluating",
    },
    hypotheses=[
        hyp(
            "H1",
            "doorlooptijd_melding_start",
            "Als één generalist het huishouden begeleidt en de specialist in het eigen team zit",
            "dan daalt de doorlooptijd van melding tot start van de ondersteuning met minstens "
            "5 dagen",
            "omdat er geen overdracht tussen loketten en geen wachttijd voor een externe "
            "verwijzing meer nodig is",
            expected_direction="decrease",
            min_effect=5.0,
            min_effect_type="absolute",
        ),
        hyp(
            "H2",
            "verwijzingen_specialistische_zorg",
            "Als specialisten deel uitmaken van het wijkteam",
            "dan daalt het aantal verwijzingen naar specialistische zorg per 1.000 inwoners "
            "met minstens 10%",
            "omdat de specialist in het team veel vragen zelf oppakt of de generalist adviseert",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
    ],
    registered_at=utc(2018, 6, 18, 9, 0, 0),
    late_hypotheses=[
        hyp(
            "H3",
            "aandeel_huishoudens_een_plan",
            "Als één generalist het huishouden begeleidt",
            "dan stijgt het aandeel huishoudens met ondersteuning op meerdere leefgebieden dat "
            "één plan heeft met minstens 10 procentpunt",
            "omdat de generalist alle hulp in één plan samenbrengt",
            expected_direction="increase",
            min_effect=0.10,
            min_effect_type="absolute",
            is_primary=False,
        )
    ],
    late_registered_at=utc(2018, 9, 3, 11, 0, 0),
    series=[
        Series(
            "doorlooptijd_melding_start",
            base={"WK020004": 38.0, "WK020002": 36.0},
            effect=-12.0,
            sd=2.5,
            season=1.5,
        ),
        Series(
            "verwijzingen_specialistische_zorg",
            base={"WK020004": 1.2, "WK020002": 1.25},
            size={"WK020004": 24_500, "WK020002": 21_800},
            effect=0.0,
            season=0.06,
        ),
        Series(
            "aandeel_huishoudens_een_plan",
            base={"WK020004": 0.44, "WK020002": 0.46},
            size={"WK020004": 90, "WK020002": 80},
            effect=0.15,
            ramp=5,
        ),
        # No hypothesis: followed for the workload. It rises in the pilot area (the journal's
        # unforeseen effect), so the lessons report lists it as an exploratory finding.
        Series(
            "ziekteverzuim_wijkteam",
            base={"WK020004": 0.04, "WK020002": 0.04},
            size={"WK020004": 420, "WK020002": 400},
            effect=0.035,
            ramp=4,
        ),
    ],
    interventions=[
        act(
            D(2018, 5, 1),
            "werkwijze",
            "Specialisten ingedeeld in het wijkteam",
            "Een GGZ-verpleegkundige, een jeugdspecialist en een schuldhulpverlener werken vier "
            "dagen per week vanuit het wijkteam Zuidoost.",
        ),
        act(
            D(2018, 7, 2),
            "start",
            "Start één generalist per huishouden",
            "Nieuwe meldingen krijgen één vaste generalist; lopende trajecten gaan over bij "
            "een natuurlijk moment.",
        ),
        act(
            D(2018, 10, 1),
            "werkwijze",
            "Wekelijks casusoverleg generalisten en specialisten",
            "Vaste tafel om vastgelopen situaties te bespreken. Een maand later dan gepland "
            "door de zomervakantie.",
            planned=D(2018, 9, 3),
        ),
        act(
            D(2019, 2, 1),
            "ict",
            "Eén digitaal dossier voor het hele team",
            "Geannuleerd: de aanbesteding leverde geen passend systeem op.",
            status="cancelled",
        ),
    ],
    observations=[
        note(
            D(2018, 8, 20),
            "cause",
            "Geen overdracht meer tussen loketten: de generalist start direct en haalt de "
            "specialist er zelf bij.",
            h="H1",
        ),
        note(
            D(2018, 9, 3),
            "decision",
            "H3 (één plan per huishouden) alsnog vastgelegd, na de start van de interventie; "
            "daarom gemarkeerd als te laat vastgelegd.",
            h="H3",
        ),
        note(
            D(2018, 12, 10),
            "unforeseen_effect",
            "Generalisten ervaren een hogere werkdruk; twee medewerkers zijn in het eerste "
            "halfjaar uitgevallen.",
        ),
        note(
            D(2019, 2, 5),
            "obstacle",
            "Specialisten houden een eigen registratie bij naast die van het wijkteam: dubbele "
            "administratie, nu het gezamenlijke dossier er niet komt.",
            i="Eén digitaal dossier voor het hele team",
        ),
        note(
            D(2019, 4, 16),
            "quote",
            "'Eén gezicht; dat scheelt me drie keer mijn verhaal vertellen.' — bewoner "
            "(geanonimiseerd)",
        ),
    ],
)

# --------------------------------------------------------------------------- 4. Amsterdam
AMSTERDAM = DemoPilot(
    definition={
        "slug": "pedagogisch-collectief-amsterdam",
        "title": "Pedagogisch collectief in de buurt",
        "aim": (
            "'Er is een dorp nodig om een kind op te voeden': ouders, school, sportvereniging, "
            "jongerenwerk en jeugdgezondheidszorg in twee buurten samen verantwoordelijk maken "
            "voor het opvoeden en opgroeien, met een opvoedcafé, ouder-kindactiviteiten en "
            "training in pedagogisch handelen voor wie met kinderen werkt."
        ),
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["jeugd", "onderwijs", "sport"],
        "areas": [
            {"code": "BU03634701", "name": "Kolenkitbuurt", "group": "pilot"},
            {"code": "BU03634702", "name": "Robert Scottbuurt", "group": "pilot"},
            {"code": "BU03635201", "name": "Overtoomse Veld-Noord", "group": "comparison"},
        ],
        "partners": [
            "basisscholen",
            "sportvereniging",
            "jongerenwerk",
            "jeugdgezondheidszorg",
            "bewonersorganisatie",
        ],
        "strategy": "pedagogische civil society",
        "intervention_type": "pedagogisch_collectief",
        "baseline_start": D(2017, 7, 1),
        "intervention_start": D(2019, 1, 1),
        "evaluation_end": D(2020, 6, 30),
        "status": "evaluating",
    },
    hypotheses=[
        hyp(
            "H1",
            "ervaren_sociale_samenhang",
            "Als ouders, school, sport en jongerenwerk in de buurt samen een pedagogisch "
            "collectief vormen",
            "dan stijgt de ervaren sociale samenhang onder ouders met minstens 0,3 punt",
            "omdat ouders elkaar leren kennen en weten bij wie ze terechtkunnen",
            expected_direction="increase",
            min_effect=0.3,
            min_effect_type="absolute",
            comparison_group="BU03634801",
        ),
        hyp(
            "H2",
            "verwijzingen_specialistische_jeugdhulp",
            "Als ouders in de buurt lichte opvoedvragen bij elkaar en bij het opvoedcafé "
            "kwijt kunnen",
            "dan daalt het aantal verwijzingen naar specialistische jeugdhulp per 1.000 "
            "kinderen met minstens 10%",
            "omdat problemen eerder en lichter worden opgepakt, voordat specialistische hulp "
            "nodig is",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
    ],
    registered_at=utc(2018, 12, 10, 13, 0, 0),
    amendment={
        "code": "H1",
        "field": "comparison_group",
        "new_value": "BU03635201",
        "reason": (
            "In de oorspronkelijke vergelijkingsbuurt Slotervaart-Noord is in 2019 een "
            "vergelijkbaar opvoedproject gestart; die buurt is daardoor geen zuivere "
            "vergelijking meer. Overtoomse Veld-Noord lijkt qua samenstelling het meest op de "
            "pilotbuurten."
        ),
        "created_at": utc(2019, 3, 12, 10, 15, 0),
        "author": "analyst@demo.proeftuin.example",
    },
    series=[
        Series(
            "ervaren_sociale_samenhang",
            base={"BU03634701": 6.1, "BU03634702": 6.0, "BU03635201": 6.3},
            effect=0.0,
            sd=0.25,
            season=0.1,
        ),
        Series(
            "verwijzingen_specialistische_jeugdhulp",
            base={"BU03634701": 2.4, "BU03634702": 2.6, "BU03635201": 2.5},
            size={"BU03634701": 2_600, "BU03634702": 2_200, "BU03635201": 2_900},
            effect=-0.18,
            ramp=6,
        ),
    ],
    interventions=[
        act(
            D(2018, 11, 1),
            "bijeenkomst",
            "Kick-off buurtnetwerk opvoeden",
            "Ouders, scholen, sportvereniging, jongerenwerk en JGZ maken afspraken over wie wat "
            "doet.",
        ),
        act(
            D(2019, 1, 14),
            "start",
            "Start opvoedcafé en ouder-kindactiviteiten",
            "Wekelijks opvoedcafé in het buurthuis, met een JGZ-verpleegkundige aanwezig; "
            "maandelijks een ouder-kindactiviteit.",
        ),
        act(
            D(2019, 4, 1),
            "training",
            "Training pedagogisch handelen voor sportcoaches en jongerenwerkers",
            "Vier bijeenkomsten over positief opvoeden en signaleren.",
        ),
        act(
            D(2020, 4, 18),
            "bijeenkomst",
            "Buurtfeest 'Opvoeden doe je samen'",
            "Geannuleerd vanwege de coronamaatregelen.",
            status="cancelled",
        ),
    ],
    observations=[
        note(
            D(2019, 5, 21),
            "cause",
            "Ouders vinden via het opvoedcafé sneller lichte hulp bij elkaar en bij de JGZ, "
            "voordat problemen groot worden.",
            h="H2",
        ),
        note(
            D(2019, 9, 10),
            "unforeseen_effect",
            "Grootouders uit de buurt bieden zich aan als voorleesvrijwilliger op school; niet "
            "gepland, en scholen merken het aan de sfeer in de klas.",
        ),
        note(
            D(2019, 11, 5),
            "quote",
            "'Je kent nu de ouders van de vriendjes van je kind.' — moeder, bezoeker van het "
            "opvoedcafé (geanonimiseerd)",
            h="H1",
        ),
        note(
            D(2020, 3, 16),
            "obstacle",
            "Buurthuis dicht door de coronamaatregelen; opvoedcafé en activiteiten stilgevallen "
            "of online.",
        ),
        note(
            D(2020, 4, 1),
            "decision",
            "Buurtfeest geschrapt. Het einde van de evaluatie blijft 30 juni 2020; de "
            "coronaperiode wordt in het rapport apart benoemd.",
            i="Buurtfeest 'Opvoeden doe je samen'",
        ),
    ],
)

# --------------------------------------------------------------------------- 5. Aa en Hunze
AA_EN_HUNZE = DemoPilot(
    definition={
        "slug": "dorpsondersteuning-aa-en-hunze",
        "title": "Informele hulp en thuiszorg verbonden in Gieten",
        "aim": (
            "In het dorp Gieten informele hulp (boodschappenhulp, vrijwillige chauffeurs, "
            "buren) en formele thuiszorg met elkaar verbinden via een dorpsondersteuner, zodat "
            "ouderen langer zelfstandig thuis wonen met minder professionele uren en minder "
            "nieuwe Wmo-voorzieningen."
        ),
        "municipality": "Aa en Hunze",
        "municipality_code": "GM1680",
        "domains": ["wmo", "zorg", "wonen"],
        "areas": [
            {"code": "WK168001", "name": "Gieten", "group": "pilot"},
            {"code": "WK168003", "name": "Annen", "group": "comparison"},
        ],
        "partners": ["thuiszorgorganisatie", "vrijwilligerscentrale", "dorpsbelangen"],
        "strategy": "informele en formele zorg verbinden",
        "intervention_type": "dorpsondersteuning",
        "baseline_start": D(2016, 4, 1),
        "intervention_start": D(2017, 10, 1),
        "evaluation_end": D(2019, 3, 31),
        "status": "closed",
    },
    hypotheses=[
        hyp(
            "H1",
            "uren_ondersteuning_per_client",
            "Als een dorpsondersteuner informele hulp (boodschappen, vervoer, gezelschap) "
            "koppelt aan de thuiszorg",
            "dan daalt het aantal uren professionele ondersteuning per cliënt met minstens 1 "
            "uur per maand",
            "omdat vrijwilligers taken overnemen die geen professionele zorg vragen",
            expected_direction="decrease",
            min_effect=1.0,
            min_effect_type="absolute",
        ),
        hyp(
            "H2",
            "nieuwe_maatwerkvoorzieningen_wmo",
            "Als er een vrijwillige chauffeursdienst en boodschappenhulp in het dorp is",
            "dan daalt het aantal nieuwe maatwerkvoorzieningen Wmo per 1.000 inwoners van 75 "
            "jaar en ouder met minstens 15%",
            "omdat vervoer en boodschappen dan zonder Wmo-voorziening geregeld kunnen worden",
            expected_direction="decrease",
            min_effect=15.0,
            min_effect_type="relative",
        ),
        hyp(
            "H3",
            "aandeel_informele_steun",
            "Als de dorpsondersteuner bij elke nieuwe thuiszorgcliënt kijkt wie in het dorp "
            "kan helpen",
            "dan stijgt het aandeel cliënten met informele steun in hun plan met minstens 10 "
            "procentpunt",
            "omdat de vraag naar hulp en het aanbod van vrijwilligers dan bij elkaar komen",
            expected_direction="increase",
            min_effect=0.10,
            min_effect_type="absolute",
            is_primary=False,
        ),
    ],
    registered_at=utc(2017, 9, 18, 19, 30, 0),
    series=[
        Series(
            "uren_ondersteuning_per_client",
            base={"WK168001": 9.4, "WK168003": 9.1},
            effect=-1.7,
            sd=0.6,
            trend=0.01,
            season=0.3,
        ),
        Series(
            "nieuwe_maatwerkvoorzieningen_wmo",
            base={"WK168001": 9.0, "WK168003": 8.6},
            size={"WK168001": 720, "WK168003": 660},
            effect=-0.35,
        ),
        Series(
            "aandeel_informele_steun",
            base={"WK168001": 0.33, "WK168003": 0.31},
            size={"WK168001": 55, "WK168003": 50},
            effect=0.13,
            ramp=4,
        ),
    ],
    interventions=[
        act(
            D(2017, 9, 18),
            "bijeenkomst",
            "Dorpsavond: wie helpt wie?",
            "Inventarisatie van vrijwillige hulp in het dorp met dorpsbelangen en "
            "thuiszorgorganisatie.",
        ),
        act(
            D(2017, 10, 2),
            "start",
            "Start dorpsondersteuner",
            "Dorpsondersteuner (16 uur per week) als schakel tussen thuiszorg, huisarts en "
            "vrijwilligers.",
        ),
        act(
            D(2017, 12, 4),
            "dienst",
            "Vrijwillige chauffeursdienst",
            "Ritten naar huisarts, ziekenhuis en familie. Een maand later dan gepland: de "
            "verzekering van de vrijwilligers moest eerst geregeld.",
            planned=D(2017, 11, 1),
        ),
        act(
            D(2018, 3, 1),
            "dienst",
            "Boodschappenhulp gekoppeld aan de wijkverpleging",
            "De wijkverpleging meldt cliënten aan bij de boodschappenhulp.",
        ),
        act(
            D(2018, 9, 1),
            "ict",
            "App voor hulpvragen",
            "Afgeblazen: ouderen in het dorp bellen liever; de dorpsondersteuner houdt een "
            "telefonisch spreekuur.",
            status="cancelled",
        ),
    ],
    observations=[
        note(
            D(2018, 2, 12),
            "cause",
            "Dankzij de chauffeursdienst vragen minder ouderen een Wmo-vervoersvoorziening aan.",
            h="H2",
        ),
        note(
            D(2018, 4, 9),
            "obstacle",
            "Thuiszorgmedewerkers hebben weinig tijd om vrijwilligers in te werken bij een cliënt.",
        ),
        note(
            D(2018, 6, 25),
            "unforeseen_effect",
            "De vrijwilligers zijn zelf vaak boven de 70; bij een kleine kern van vaste helpers "
            "ziet de dorpsondersteuner overbelasting.",
        ),
        note(
            D(2018, 8, 30),
            "decision",
            "Afspraak: hoogstens twee vaste hulpvragers per vrijwilliger, om overbelasting te "
            "voorkomen; de app voor hulpvragen wordt niet gebouwd.",
            i="App voor hulpvragen",
        ),
        note(
            D(2018, 11, 7),
            "quote",
            "'De chauffeur is ook iemand om mee te praten; dat is net zo belangrijk als de "
            "rit.' — inwoner, 84 jaar (geanonimiseerd)",
            h="H1",
        ),
    ],
)

# --------------------------------------------------------------------------- 6. Utrecht Zuidwest
# The learning library's pooled view needs three pilots of one intervention type on one measure.
# Utrecht took the network meetings from Overvecht to Zuidwest, now with one fixed conversation
# leader per household who also leads the follow-up meeting and checks the agreements.
UTRECHT_ZUIDWEST = DemoPilot(
    definition={
        "slug": "netwerkbijeenkomsten-utrecht-zuidwest",
        "title": "Netwerkbijeenkomsten met een vaste gespreksleider in Zuidwest",
        "aim": (
            "De netwerkbijeenkomsten uit Overvecht uitbreiden naar Zuidwest, met één vaste "
            "gespreksleider per huishouden: dezelfde persoon leidt de eerste bijeenkomst en de "
            "vervolgbijeenkomst en belt na of de afspraken met familie en buren lopen. Zo moet "
            "het netwerk taken echt overnemen en zijn minder uren professionele ondersteuning "
            "nodig."
        ),
        "municipality": "Utrecht",
        "municipality_code": "GM0344",
        "domains": ["wmo", "jeugd"],
        "areas": [
            {"code": "WK034408", "name": "Zuidwest", "group": "pilot"},
            {"code": "WK034402", "name": "Noordwest", "group": "comparison"},
        ],
        "partners": ["wijkteam", "welzijnsorganisatie", "woningcorporatie"],
        "strategy": "netwerkversterking",
        "intervention_type": "netwerkbijeenkomst",
        "baseline_start": D(2017, 9, 1),
        "intervention_start": D(2019, 3, 1),
        "evaluation_end": D(2020, 2, 29),
        "status": "closed",
    },
    hypotheses=[
        hyp(
            "H1",
            "uren_ondersteuning_per_client",
            "Als één vaste gespreksleider per huishouden de netwerkbijeenkomst en de "
            "vervolgbijeenkomst leidt en de afspraken nabelt",
            "dan daalt het gemiddeld aantal uren professionele ondersteuning per cliënt per "
            "maand met minstens 10%",
            "omdat afspraken met familie en buren dan ook echt worden nagekomen en cliënten "
            "minder vaak terugvallen op hun hulpverlener voor taken die het netwerk overnam",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
        hyp(
            "H2",
            "aandeel_informele_steun",
            "Als we bij elke nieuwe hulpvraag een netwerkbijeenkomst met een vaste "
            "gespreksleider organiseren",
            "dan stijgt het aandeel cliënten met informele steun in hun plan met minstens 5 "
            "procentpunt",
            "omdat de bijeenkomst zichtbaar maakt wie wil en kan helpen, en de gespreksleider "
            "die afspraken in het plan vastlegt",
            expected_direction="increase",
            min_effect=0.05,
            min_effect_type="absolute",
        ),
        hyp(
            "H3",
            "nieuwe_maatwerkvoorzieningen_wmo",
            "Als het eigen netwerk vaste taken overneemt",
            "dan daalt het aantal nieuwe maatwerkvoorzieningen Wmo per 1.000 inwoners met "
            "minstens 10%",
            "omdat een deel van de vragen met hulp uit het netwerk wordt opgelost zonder "
            "maatwerkvoorziening",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
            is_primary=False,
        ),
    ],
    registered_at=utc(2019, 2, 11, 10, 0, 0),
    series=[
        Series(
            "uren_ondersteuning_per_client",
            base={"WK034408": 6.8, "WK034402": 6.3},
            effect=-1.15,
            sd=0.3,
            trend=0.004,
            season=0.15,
        ),
        Series(
            "aandeel_informele_steun",
            base={"WK034408": 0.26, "WK034402": 0.29},
            size={"WK034408": 120, "WK034402": 100},
            effect=0.10,
        ),
        Series(
            "nieuwe_maatwerkvoorzieningen_wmo",
            base={"WK034408": 1.2, "WK034402": 1.0},
            size={"WK034408": 36_000, "WK034402": 42_000},
            effect=-0.04,
            season=0.08,
        ),
    ],
    interventions=[
        act(
            D(2019, 1, 21),
            "training",
            "Training vaste gespreksleiders Zuidwest",
            "Tien medewerkers van wijkteam en welzijnsorganisatie getraind; elk krijgt een vast "
            "aantal huishoudens en blijft hun gespreksleider tot het plan loopt.",
        ),
        act(
            D(2019, 3, 4),
            "start",
            "Start netwerkbijeenkomsten Zuidwest",
            "Elke nieuwe Wmo- of jeugdvraag in Zuidwest krijgt een netwerkbijeenkomst met een "
            "vaste gespreksleider aangeboden.",
        ),
        act(
            D(2019, 5, 6),
            "werkwijze",
            "Vaste vervolgbijeenkomst na zes weken",
            "Dezelfde gespreksleider bespreekt met het netwerk of de afspraken lopen. Een maand "
            "later ingevoerd dan gepland: eerst moest de agenda van de gespreksleiders ruimte "
            "krijgen.",
            planned=D(2019, 4, 1),
        ),
        act(
            D(2019, 9, 2),
            "ict",
            "Digitale netwerkkaart voor cliënten",
            "Geannuleerd: gespreksleiders en bewoners werken liever met de papieren "
            "netwerkkaart uit de bijeenkomst.",
            status="cancelled",
        ),
        act(
            D(2019, 12, 12),
            "evaluatie",
            "Evaluatie met gespreksleiders en bewoners",
            "Terugblik op het eerste jaar met gespreksleiders, wijkteam en vijf deelnemers.",
        ),
    ],
    observations=[
        note(
            D(2019, 5, 20),
            "cause",
            "De vaste gespreksleider belt na twee weken na of de afspraken lopen. Als de buurman "
            "de boodschappen echt doet, belt de cliënt de hulpverlener er niet meer over: minder "
            "herhaalde één-op-één-contacten.",
            h="H1",
        ),
        note(
            D(2019, 6, 17),
            "obstacle",
            "Veel bewoners van Zuidwest hebben familie in het buitenland en een klein netwerk "
            "in de stad; ze vinden het lastig om buren om hulp te vragen.",
        ),
        note(
            D(2019, 9, 9),
            "unforeseen_effect",
            "Buren kennen de vaste gespreksleider en spreken haar op straat aan over andere "
            "huishoudens: meer signalen, maar ook meer werk dan begroot.",
        ),
        note(
            D(2019, 10, 15),
            "quote",
            "'Zij kende ons al van de eerste keer; ik hoefde niet alles opnieuw uit te "
            "leggen.' — dochter van een deelnemer (geanonimiseerd)",
            h="H1",
        ),
        note(
            D(2019, 11, 4),
            "decision",
            "Projectgroep besluit de digitale netwerkkaart niet te bouwen en het geld te "
            "besteden aan uren voor de vervolgbijeenkomsten.",
            i="Digitale netwerkkaart voor cliënten",
        ),
    ],
)

# --------------------------------------------------------------------------- 7. Amsterdam-Noord
# The informative contrast: the same intervention type, but the meetings were led by whoever
# of a pool of conversation leaders was free. The network is named in the plan (H2), yet the
# hours of professional support hardly change (H1).
AMSTERDAM_NOORD = DemoPilot(
    definition={
        "slug": "netwerkbijeenkomsten-amsterdam-noord",
        "title": "Netwerkbijeenkomsten in Buikslotermeer",
        "aim": (
            "Bewoners van Buikslotermeer met een nieuwe Wmo-vraag een netwerkbijeenkomst "
            "aanbieden, zodat familie, buren en vrijwilligers een deel van de steun op zich "
            "nemen en minder professionele ondersteuning nodig is. De bijeenkomsten worden "
            "geleid door een pool van gespreksleiders uit het buurtteam."
        ),
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["wmo"],
        "areas": [
            {"code": "WK036369", "name": "Buikslotermeer", "group": "pilot"},
            {"code": "WK036361", "name": "IJplein/Vogelbuurt", "group": "comparison"},
        ],
        "partners": ["buurtteam", "welzijnsorganisatie", "vrijwilligerscentrale"],
        "strategy": "netwerkversterking",
        "intervention_type": "netwerkbijeenkomst",
        "baseline_start": D(2017, 10, 1),
        "intervention_start": D(2019, 1, 1),
        "evaluation_end": D(2020, 2, 29),
        "status": "evaluating",
    },
    hypotheses=[
        hyp(
            "H1",
            "uren_ondersteuning_per_client",
            "Als we bij elke nieuwe Wmo-vraag een netwerkbijeenkomst organiseren",
            "dan daalt het gemiddeld aantal uren professionele ondersteuning per cliënt per "
            "maand met minstens 10%",
            "omdat familie, buren en vrijwilligers na de bijeenkomst vaste taken overnemen die "
            "nu door professionals worden gedaan",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
        ),
        hyp(
            "H2",
            "aandeel_informele_steun",
            "Als we bij elke nieuwe Wmo-vraag een netwerkbijeenkomst organiseren",
            "dan stijgt het aandeel cliënten met informele steun in hun plan met minstens 5 "
            "procentpunt",
            "omdat de bijeenkomst zichtbaar maakt wie wil en kan helpen",
            expected_direction="increase",
            min_effect=0.05,
            min_effect_type="absolute",
        ),
        hyp(
            "H3",
            "nieuwe_maatwerkvoorzieningen_wmo",
            "Als het eigen netwerk eerder meedoet in de ondersteuning",
            "dan daalt het aantal nieuwe maatwerkvoorzieningen Wmo per 1.000 inwoners met "
            "minstens 10%",
            "omdat een deel van de vragen met hulp uit het netwerk wordt opgelost",
            expected_direction="decrease",
            min_effect=10.0,
            min_effect_type="relative",
            is_primary=False,
        ),
    ],
    registered_at=utc(2018, 12, 3, 15, 0, 0),
    series=[
        Series(
            "uren_ondersteuning_per_client",
            base={"WK036369": 7.1, "WK036361": 6.7},
            effect=-0.1,
            sd=0.3,
            trend=0.004,
            season=0.15,
        ),
        Series(
            "aandeel_informele_steun",
            base={"WK036369": 0.24, "WK036361": 0.27},
            size={"WK036369": 130, "WK036361": 115},
            effect=0.09,
        ),
        Series(
            "nieuwe_maatwerkvoorzieningen_wmo",
            base={"WK036369": 1.3, "WK036361": 1.1},
            size={"WK036369": 28_000, "WK036361": 25_000},
            effect=0.0,
            season=0.08,
        ),
    ],
    interventions=[
        act(
            D(2018, 11, 12),
            "training",
            "Training pool van gespreksleiders",
            "Vijftien medewerkers van buurtteam en welzijnsorganisatie getraind; wie vrij is, "
            "leidt de volgende bijeenkomst.",
        ),
        act(
            D(2019, 1, 7),
            "start",
            "Start netwerkbijeenkomsten Buikslotermeer",
            "Elke nieuwe Wmo-vraag in Buikslotermeer krijgt een netwerkbijeenkomst aangeboden.",
        ),
        act(
            D(2019, 6, 3),
            "werkwijze",
            "Vaste gespreksleider per huishouden",
            "Gepland om elk huishouden één vaste gespreksleider te geven. Geannuleerd: door "
            "personeelstekort in het buurtteam bleef het rooster uit de pool nodig.",
            status="cancelled",
        ),
        act(
            D(2019, 10, 14),
            "bijeenkomst",
            "Vervolgbijeenkomsten na drie maanden",
            "Vervolgbijeenkomst met het netwerk, meestal met een andere gespreksleider dan de "
            "eerste keer. Twee maanden later dan gepland.",
            planned=D(2019, 8, 12),
        ),
    ],
    observations=[
        note(
            D(2019, 6, 10),
            "obstacle",
            "De bijeenkomsten worden geleid door wisselende gespreksleiders uit de pool: bij de "
            "vervolgbijeenkomst zit meestal iemand anders dan bij de eerste. Niemand bewaakt de "
            "afspraken met het netwerk.",
            i="Vaste gespreksleider per huishouden",
        ),
        note(
            D(2019, 6, 24),
            "cause",
            "Familie en buren staan wel in het plan, maar als een afspraak niet loopt belt de "
            "cliënt toch weer de eigen hulpverlener: de herhaalde één-op-één-contacten blijven, "
            "en daarmee de uren.",
            h="H1",
        ),
        note(
            D(2019, 9, 2),
            "unforeseen_effect",
            "Vrijwilligers van de buurtkamer melden zich vaker als helper in een plan; de "
            "vrijwilligerscentrale krijgt meer aanmeldingen dan ze kan begeleiden.",
            h="H2",
        ),
        note(
            D(2019, 11, 11),
            "quote",
            "'Elke keer zat er iemand anders; dan vertel je je verhaal gewoon opnieuw.' — "
            "deelnemer aan een netwerkbijeenkomst (geanonimiseerd)",
            h="H1",
        ),
        note(
            D(2020, 1, 20),
            "decision",
            "Stuurgroep besluit na de evaluatie met vaste gespreksleiders per huishouden te "
            "werken, naar het voorbeeld van Utrecht; daarvoor komen twee extra formatieplaatsen.",
        ),
    ],
)

PILOTS = (UTRECHT, ROTTERDAM, APELDOORN, AMSTERDAM, AA_EN_HUNZE)
# Added for the learning library. Their data come from a seed of their own, so the five
# pilots above keep their files byte for byte.
LIBRARY_PILOTS = (UTRECHT_ZUIDWEST, AMSTERDAM_NOORD)
LIBRARY_SEED = 2019


# --------------------------------------------------------------------------- measurements
def months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, current = [], start.replace(day=1)
    while current <= end:
        out.append(current)
        current = D(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def measurement_rows(pilot: DemoPilot, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Tidy rows for every series × area × month, drawn in a fixed order from ``rng``."""
    definition = pilot.definition
    periods = months(definition["baseline_start"], definition["evaluation_end"])
    start = definition["intervention_start"]
    groups = {a["code"]: a["group"] for a in definition["areas"]}
    rows = []
    # One independent stream per series, so that tuning one series leaves the others as they are.
    for series, stream in zip(pilot.series, rng.spawn(len(pilot.series)), strict=True):
        kind = CODEBOOK[series.measure]["kind"]
        for area, base in series.base.items():
            in_pilot = groups[area] == "pilot"
            for t, period in enumerate(periods):
                after = sum(1 for p in periods[: t + 1] if p >= start)  # 1 at the first period
                build = min(1.0, after / series.ramp) if after else 0.0
                effect = series.effect * build if in_pilot else 0.0
                season = series.season * math.sin(2 * math.pi * (period.month - 1) / 12)
                row: dict[str, Any] = {
                    "measure": series.measure,
                    "period": period.isoformat(),
                    "area": area,
                    "group": groups[area],
                    "value": "",
                    "numerator": "",
                    "denominator": "",
                    "count": "",
                    "exposure": "",
                    "source": CSV_SOURCE,
                }
                if kind == "continuous":
                    level = base + series.trend * t + season + effect
                    row["value"] = f"{level + stream.normal(0.0, series.sd):.2f}"
                elif kind == "proportion":
                    p = min(0.98, max(0.02, base + series.trend * t + season / 10 + effect))
                    n = int(stream.integers(round(series.size[area] * 0.85), series.size[area] + 1))
                    row["numerator"] = str(int(stream.binomial(n, p)))
                    row["denominator"] = str(n)
                else:
                    exposure = round(series.size[area] * (1 + 0.004 * (t // 12)))
                    rate = base * (1 + series.trend * t) * (1 + season) * (1 + effect)
                    row["count"] = str(int(stream.poisson(rate * exposure / 1000)))
                    row["exposure"] = str(exposure)
                rows.append(row)
    return rows


def csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------- pilot files
def build_pilot(session: Any, pilot: DemoPilot) -> int:
    """Create the pilot through the services, as its officer would have, at fixed times."""
    actor = system(OWNER)
    # Every demo pilot belongs to the one demo organisation (and keeps its own municipality),
    # so that the demo accounts of every role see the whole demo portfolio.
    org = organisations.get_or_create_organisation(
        session,
        name=DEMO_ORGANISATION["name"],
        cbs_code=DEMO_ORGANISATION["cbs_code"],
        actor=actor,
    )
    organisations.get_or_create_user(
        session, organisation_id=org.id, email=OWNER, display_name="Demo", actor=actor
    )
    codes = [h["measure_code"] for h in pilot.hypotheses + pilot.late_hypotheses]
    for code in dict.fromkeys(codes + [series.measure for series in pilot.series]):
        measures.ensure_measure(session, {"code": code} | CODEBOOK[code], actor=actor)
    row = pilots.create_pilot(
        session, pilot.definition | {"owner_email": OWNER}, organisation_id=org.id, actor=actor
    )
    for h in pilot.hypotheses:
        hypotheses.add_hypothesis(session, row.id, h, actor=actor)
    hypotheses.register_hypotheses(session, row.id, actor=actor, now=pilot.registered_at)
    if pilot.late_hypotheses:
        for h in pilot.late_hypotheses:
            hypotheses.add_hypothesis(session, row.id, h, actor=actor)
        hypotheses.register_hypotheses(
            session, row.id, actor=actor, registered_late=True, now=pilot.late_registered_at
        )
    if pilot.amendment:
        a = pilot.amendment
        target = hypotheses.find_hypothesis(session, row.id, a["code"])
        amendment = hypotheses.amend_hypothesis(
            session,
            target.id,
            {"field": a["field"], "new_value": a["new_value"], "reason": a["reason"]},
            expected_version=target.version,
            actor=system(a["author"]),
        )
        # The service stamps "now"; the demo needs a fixed, plausible moment.
        amendment.created_at = a["created_at"]
        session.add(amendment)
        session.flush()
    for i in pilot.interventions:
        journal.add_intervention(session, row.id, i, actor=actor)
    for o in pilot.observations:
        journal.add_observation(session, row.id, o, actor=actor)
    return row.id


def generate(root: Path = ROOT) -> list[Path]:
    """Write the pilot files and CSVs under ``root``; returns the paths written."""
    # One child generator per pilot (spawned from the fixed seed): each pilot's data are
    # reproducible on their own.
    streams = np.random.default_rng(SEED).spawn(len(PILOTS))
    streams += np.random.default_rng(LIBRARY_SEED).spawn(len(LIBRARY_PILOTS))
    (root / EXPERIMENTS_DIR).mkdir(parents=True, exist_ok=True)
    (root / DEMO_DATA_DIR).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            for pilot, rng in zip(PILOTS + LIBRARY_PILOTS, streams, strict=True):
                slug = pilot.definition["slug"]
                data = f"{DEMO_DATA_DIR}/{slug}.csv"
                pilot_id = build_pilot(session, pilot)
                rows = measurement_rows(pilot, rng)
                # Stored before the export, so that the pilot file lists the codebook entry of
                # every measure with data (also those without a hypothesis).
                store_measurement_frame(
                    session,
                    pilot_id,
                    pd.read_csv(io.StringIO(csv_text(rows)), dtype={"area": str}),
                    source=CSV_SOURCE,
                    actor=system(OWNER),
                )
                text = pilot_files.export_toml(session, pilot_id, data=data, comment=DEMO_COMMENT)
                toml_path = root / EXPERIMENTS_DIR / f"{slug}.toml"
                toml_path.write_bytes(text.encode("utf-8"))
                pilot_file.read(toml_path)  # what we wrote must read back
                csv_path = root / data
                csv_path.write_bytes(csv_text(rows).encode("utf-8"))
                written += [toml_path, csv_path]
        engine.dispose()
    return written


def main() -> None:
    for path in generate(ROOT):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
