"""Builders for test data, written through the services (never around them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from tracker.models import Hypothesis, Measure, Pilot
from tracker.services import hypotheses, measures, organisations, pilots
from tracker.services.access import system

ACTOR = system("test@proeftuin.example")


def organisation(session: Session, code: str = "GM0363", name: str = "Amsterdam"):
    return organisations.get_or_create_organisation(session, name=name, cbs_code=code, actor=ACTOR)


def measure(session: Session, code: str = "contacten", **overrides: Any) -> Measure:
    data = {
        "code": code,
        "name": "Eén-op-één-contacten per maand",
        "definition": "Aantal individuele contacten van het wijkteam per maand",
        "unit": "contacten",
        "kind": "continuous",
        "better_direction": "lower",
        "source": "eigen registratie",
    } | overrides
    return measures.create_measure(session, data, actor=ACTOR)


def pilot(session: Session, slug: str = "netwerk-noord", **overrides: Any) -> Pilot:
    org = organisation(session)
    data = {
        "slug": slug,
        "title": "Netwerkbijeenkomsten Noord",
        "aim": "Familie en buren betrekken bij ondersteuning",
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["wmo", "jeugd"],
        "areas": [{"code": "WK036301", "name": "Noord-Oost", "group": "pilot"}],
        "partners": ["welzijnsorganisatie"],
        "strategy": "netwerkversterking",
        "baseline_start": dt.date(2020, 1, 1),
        "intervention_start": dt.date(2021, 1, 1),
        "evaluation_end": dt.date(2022, 12, 31),
        "status": "running",
    } | overrides
    return pilots.create_pilot(session, data, organisation_id=org.id, actor=ACTOR)


def hypothesis(session: Session, pilot_id: int, code: str = "H1", **overrides: Any) -> Hypothesis:
    data = {
        "code": code,
        "if_text": "Als we netwerkbijeenkomsten organiseren met getrainde gespreksleiders",
        "then_text": "dan daalt het aantal één-op-één-contacten van het wijkteam",
        "because_text": "omdat familie en buren een deel van de steun overnemen",
        "measure_code": "contacten",
        "expected_direction": "decrease",
        "min_effect": 10.0,
        "min_effect_type": "relative",
        "design": "auto",
        "is_primary": True,
    } | overrides
    return hypotheses.add_hypothesis(session, pilot_id, data, actor=ACTOR)
