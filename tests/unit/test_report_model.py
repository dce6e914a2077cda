"""The recommendation rule, branch by branch, and the report model's JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tracker.analysis.result import AnalysisResult, AnalysisWarning
from tracker.reports.model import (
    AmendmentFacts,
    ConditionEntry,
    HypothesisFacts,
    InterventionFacts,
    Line,
    Narrative,
    ObservationFacts,
    ObstacleEntry,
    Outcome,
    PilotFacts,
    Publication,
    Recommendation,
    ReportDraft,
    ReportModel,
    result_record,
)
from tracker.reports.recommendation import RULES, propose

P, S = True, False  # primary, secondary


@pytest.mark.parametrize(
    ("verdicts", "rule", "recommendation"),
    [
        ([], "no_hypotheses", "doorgaan_met_meten"),
        ([("contrary", P), ("inconclusive", P)], "contrary_only", "stoppen"),
        ([("contrary", P), ("supported", P)], "contrary_mixed", "bijstellen"),
        ([("contrary", P), ("partly_supported", P)], "contrary_mixed", "bijstellen"),
        ([("supported", P), ("supported", P), ("inconclusive", S)], "all_supported", "opschalen"),
        # A contrary secondary hypothesis blocks scaling up.
        ([("supported", P), ("contrary", S)], "mixed", "bijstellen"),
        (
            [("inconclusive", P), ("insufficient_data", P), ("supported", P)],
            "mostly_open",
            "doorgaan_met_meten",
        ),
        # Exactly half open is not "mostly".
        ([("inconclusive", P), ("supported", P)], "mixed", "bijstellen"),
        ([("no_meaningful_effect", P), ("no_meaningful_effect", P)], "no_effect", "stoppen"),
        ([("partly_supported", P), ("no_meaningful_effect", P)], "mixed", "bijstellen"),
        # Without primary hypotheses every hypothesis counts.
        ([("supported", S), ("supported", S)], "all_supported", "opschalen"),
        ([("contrary", S)], "contrary_only", "stoppen"),
        # Secondary verdicts do not count when there are primaries.
        (
            [("supported", P), ("inconclusive", S), ("insufficient_data", S)],
            "all_supported",
            "opschalen",
        ),
    ],
)
def test_the_rule(verdicts, rule, recommendation):
    proposal = propose(verdicts)
    assert (proposal.rule, proposal.recommendation) == (rule, recommendation)
    assert RULES[proposal.rule] == proposal.recommendation


def sample_result() -> AnalysisResult:
    return AnalysisResult(
        design="its",
        design_reason_nl="genoeg perioden",
        design_reason_en="enough periods",
        kind="continuous",
        n_before=18,
        n_after=18,
        baseline=42.0,
        after_level=35.0,
        estimate=-7.25,
        se=1.5,
        se_type="ar1",
        ci_low=-10.1,
        ci_high=-4.4,
        p_value=0.000123,
        p_adjusted=0.000246,
        relative_estimate=-0.17,
        estimate_is_relative=False,
        delta=4.2,
        prob_meaningful=0.93,
        verdict="supported",
        verdict_reason_nl="interval boven 0",
        verdict_reason_en="interval above 0",
        expect="decrease",
        alpha=0.05,
        warnings=(AnalysisWarning.make("few_points", n_before=18, n_after=18),),
        details={"fit": "dropped from the report"},
    )


def sample_model() -> ReportModel:
    result = sample_result()
    return ReportModel(
        pilot=PilotFacts(
            "p",
            "Pilot",
            "Doel",
            "Ergens",
            "GM0001",
            ("jeugd", "wmo"),
            ("Wijk (WK000101, pilot)",),
            ("GGD",),
            "mentoring",
            "running",
            "Eigenaar",
            "2020-01-01",
            "2021-01-01",
            "2022-01-01",
        ),
        as_of="2026-11-25",
        hypotheses=(
            HypothesisFacts(
                "H1",
                "m",
                "Maat",
                "dagen",
                "continuous",
                "Als we",
                "dan",
                "omdat",
                "decrease",
                5.0,
                "absolute",
                "auto",
                True,
                "2020-12-01T09:00:00+00:00",
                False,
                (
                    AmendmentFacts(
                        "min_effect",
                        "5.0",
                        "4.2",
                        "Betere schatting",
                        "a@b.c",
                        "2021-02-01T10:00:00+00:00",
                    ),
                ),
            ),
        ),
        interventions=(
            InterventionFacts("2021-01-04", "2021-01-01", "start", "Start", "", "delivered"),
        ),
        observations=(ObservationFacts("2021-03-01", "cause", "Zo kwam het", "H1", None),),
        outcomes=(
            Outcome(
                "H1",
                "m",
                "Maat",
                "dagen",
                "continuous",
                True,
                result_record(result),
                (Line("pilot", (("2020-01-01", 41.5), ("2020-02-01", 42.5))),),
            ),
        ),
        exploratory=(),
        draft=ReportDraft(
            narrative=Narrative(summary="Kort"),
            conditions=(ConditionEntry("vertrouwen", "partly", "Groeit"),),
            obstacles=(ObstacleEntry("other", "Regen"),),
            recommendation="stoppen",
            recommendation_reason="Omdat het moet",
        ),
        recommendation=Recommendation("opschalen", "all_supported", "stoppen", "Omdat het moet"),
    )


def test_the_model_survives_its_json_unchanged():
    model = sample_model()
    text = model.content_json()
    stamp = Publication(3, "a@b.c", "2026-11-25T10:00:00+00:00", "ab" * 32, "nl")
    back = ReportModel.from_content_json(text, stamp)
    assert back == model  # publication is not compared: it is not content
    assert back.publication == stamp
    assert back.content_json() == text
    assert isinstance(back.hypotheses[0].amendments[0], AmendmentFacts)
    assert back.outcomes[0].lines[0].points[0] == ("2020-01-01", 41.5)


def test_the_content_json_is_canonical_and_leaves_out_the_stamp():
    model = sample_model()
    stamped = dataclasses.replace(model, publication=Publication(1, "x", "t", "h", "nl"))
    assert stamped.content_json() == model.content_json()
    data = json.loads(model.content_json())
    assert "publication" not in data
    assert model.content_json() == json.dumps(data, sort_keys=True, separators=(",", ":"))


def test_an_outcome_gives_back_the_analysis_result_without_details():
    result = sample_result()
    outcome = sample_model().outcomes[0]
    back = outcome.result_object()
    assert back == dataclasses.replace(result, details={})
    assert back.summary("nl") == result.summary("nl")
    assert back.summary("en") == result.summary("en")
    assert outcome.verdict == "supported"
