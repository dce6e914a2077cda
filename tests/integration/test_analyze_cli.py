"""`tracker analyze`: a file with options, the published examples end to end, a stored pilot."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.db_helpers import migrated_sqlite_url
from tests.reference import CARD_KRUEGER, SICILY
from tracker.analysis.verdict import VERDICTS
from tracker.cli import app
from tracker.db import make_engine, session_scope
from tracker.services.access import system
from tracker.services.demo import load_demo

PROJECT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def analyze(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["analyze", *args], env=env or {})


@pytest.fixture
def sicily_csv(tmp_path) -> Path:
    data = pd.read_csv(SICILY)
    data["period"] = pd.to_datetime({"year": data.year, "month": data.month, "day": 1})
    path = tmp_path / "sicily.csv"
    data.to_csv(path, index=False)
    return path


@pytest.fixture
def card_krueger_csv(tmp_path) -> Path:
    data = pd.read_csv(CARD_KRUEGER)
    # Waves: February–March 1992 before, November–December 1992 after the April increase.
    data["period"] = data["d"].map({0: "1992-02-15", 1: "1992-11-15"})
    path = tmp_path / "njmin3.csv"
    data.to_csv(path, index=False, sep=";")
    return path


def test_sicily_smoking_ban_is_reproduced_through_the_command(sicily_csv):
    result = analyze(
        str(sicily_csv),
        "--intervention",
        "2005-01-01",
        "--kind",
        "count",
        "--count-col",
        "aces",
        "--exposure-col",
        "stdpop",
        "--design",
        "its",
        "--expect",
        "decrease",
        "--min-effect",
        "5",
        "--relative",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    level = data["details"]["rate_ratio_level"]
    slope = data["details"]["rate_ratio_slope"]
    # Bernal, Cummins & Gasparrini (2017): quasi-Poisson + 2 harmonics + slope change.
    assert (round(level["estimate"], 4), round(level["ci_low"], 4), round(level["ci_high"], 4)) == (
        0.8765,
        0.8268,
        0.9292,
    )
    assert round(slope["estimate"], 4) == 1.0015
    assert data["details"]["seasonality_used"] == "fourier"
    assert data["se_type"] == "quasi-poisson(pearson)"
    assert data["verdict"] == "supported"


def test_card_krueger_did_is_reproduced_through_the_command(card_krueger_csv):
    result = analyze(
        str(card_krueger_csv),
        "--intervention",
        "1992-04-01",
        "--value-col",
        "fte",
        "--group-col",
        "nj",
        "--treated-value",
        "1",
        "--design",
        "did",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert round(data["estimate"], 4) == 2.7536  # Card & Krueger (1994), Table 3: 2.76
    assert data["se_type"] == "HC1"
    means = data["details"]["cell_means"]
    assert round(means["pilot_before"], 2) == 20.44
    assert round(means["comparison_before"], 2) == 23.33


def test_text_output_is_dutch_by_default_and_english_on_request(sicily_csv):
    args = [
        str(sicily_csv),
        "--intervention",
        "2005-01-01",
        "--kind",
        "count",
        "--count-col",
        "aces",
        "--exposure-col",
        "stdpop",
        "--expect",
        "decrease",
        "--min-effect",
        "5",
        "--relative",
    ]
    nl, en = analyze(*args), analyze(*args, "--lang", "en")
    assert "Vooraf verwachtten we minstens 5% daling" in nl.stdout
    assert "Beforehand we expected a decrease of at least 5%" in en.stdout


def test_a_missing_intervention_date_is_an_error_that_says_what_to_give(sicily_csv):
    result = analyze(str(sicily_csv))
    assert result.exit_code == 1
    assert "--intervention" in result.output


def test_an_unsupported_design_gives_insufficient_data_with_the_reason(sicily_csv):
    result = analyze(
        str(sicily_csv),
        "--intervention",
        "2005-01-01",
        "--kind",
        "count",
        "--count-col",
        "aces",
        "--exposure-col",
        "stdpop",
        "--design",
        "did",
        "--format",
        "json",
    )
    data = json.loads(result.stdout)
    assert data["verdict"] == "insufficient_data"
    assert data["details"]["reason_code"] == "no_comparison_group"


def test_every_hypothesis_of_a_stored_pilot_is_analysed(tmp_path):
    url = migrated_sqlite_url(tmp_path / "demo.db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_demo(session, actor=system("test"), root=PROJECT)
    engine.dispose()
    env = {"TRACKER_DATABASE_URL": url}
    verdicts = []
    for slug in ("informele-mentoren-rotterdam", "netwerkbijeenkomsten-utrecht"):
        result = analyze("--pilot", slug, "--format", "json", env=env)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert all(r["verdict"] in VERDICTS for r in rows)
        primaries = [r for r in rows if r["primary"]]
        if len(primaries) >= 2:
            assert all(r["p_adjusted"] is not None for r in primaries)
        verdicts += [r["verdict"] for r in rows]
    assert {"supported", "contrary"} <= set(verdicts)


@pytest.fixture
def series_csv(tmp_path) -> Path:
    import numpy as np

    rng = np.random.default_rng(4)
    periods = pd.date_range("2020-01-01", periods=48, freq="MS")
    values = 20 + 0.1 * np.arange(48) + 2 * (np.arange(48) >= 24) + rng.normal(0, 1, 48)
    path = tmp_path / "series.csv"
    pd.DataFrame({"period": periods.date, "value": values}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("options", "se_type"),
    [
        ([], "AR(1) GLS (REML rho="),
        (["--errors", "ar1"], "AR(1) GLS (REML rho="),
        (["--errors", "hac"], "HAC(maxlags=3)"),
        (["--maxlags", "2"], "HAC(maxlags=2)"),
        (["--errors", "hac", "--maxlags", "5"], "HAC(maxlags=5)"),
    ],
)
def test_its_error_model_defaults_to_ar1_and_hac_on_request(series_csv, options, se_type):
    result = analyze(
        str(series_csv),
        "--intervention",
        "2022-01-01",
        "--design",
        "its",
        "--seasonality",
        "none",
        "--format",
        "json",
        *options,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["se_type"].startswith(se_type)
    assert data["details"]["maxlags"] == (None if "AR(1)" in se_type else int(se_type[-2]))


def test_an_unknown_error_model_is_refused(series_csv):
    result = analyze(str(series_csv), "--intervention", "2022-01-01", "--errors", "ols")
    assert result.exit_code == 2
    assert "ols" in result.output
