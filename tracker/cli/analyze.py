"""`tracker analyze`: test a hypothesis on a tidy CSV file, or every hypothesis of a pilot."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer

from tracker.analysis.engine import AnalysisSpec, analyze
from tracker.analysis.prepare import Columns
from tracker.cli.common import fail, language, report_errors, transaction
from tracker.i18n import t
from tracker.services.analysis import analyze_pilot
from tracker.services.pilots import resolve_pilot


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


class ITSErrors(StrEnum):
    ar1 = "ar1"
    hac = "hac"


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".xlsx":
        return pd.read_excel(path)
    # sep=None sniffs ',' or ';'
    return pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")


@report_errors
def analyze_command(
    file: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="Tidy CSV/XLSX (one row per observation)."
    ),
    pilot: str | None = typer.Option(None, help="Analyse every hypothesis of a stored pilot."),
    intervention: str | None = typer.Option(None, help="Intervention start, YYYY-MM-DD."),
    design: str = typer.Option("auto", help="auto|prepost|its|did|spc"),
    kind: str = typer.Option("continuous", help="continuous|proportion|count"),
    expect: str = typer.Option("increase", help="increase|decrease|no_change"),
    min_effect: float = typer.Option(0.0, help="Minimal meaningful effect δ."),
    relative: bool = typer.Option(False, "--relative", help="δ is a % of the baseline."),
    alpha: float = typer.Option(0.05),
    maxlags: int | None = typer.Option(
        None, help="Newey–West lags (its, --errors hac); default by rule; implies hac."
    ),
    errors: ITSErrors | None = typer.Option(
        None,
        help="its, continuous: ar1 = GLS with AR(1) errors, rho by REML (default); "
        "hac = OLS with Newey–West errors.",
    ),
    seasonality: str = typer.Option("auto", help="auto|none|fourier|months (its)"),
    period_col: str = typer.Option("period"),
    value_col: str = typer.Option("value"),
    group_col: str = typer.Option("group"),
    treated_value: str = typer.Option("pilot", help="Value of the group column for the pilot."),
    area_col: str = typer.Option("area"),
    numerator_col: str = typer.Option("numerator"),
    denominator_col: str = typer.Option("denominator"),
    count_col: str = typer.Option("count"),
    exposure_col: str = typer.Option("exposure"),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", help="text or json"),
    lang: str | None = typer.Option(
        None, "--lang", help="nl or en (text and reasons); default TRACKER_LANGUAGE"
    ),
) -> None:
    """Test expectations: a before/after comparison, time series, DiD or SPC, with a verdict."""
    lang = lang or language()
    if pilot is not None:
        with transaction() as session:
            analyses = analyze_pilot(session, resolve_pilot(session, pilot).id)  # type: ignore[arg-type]
        if fmt == TextOrJson.json:
            out = [
                {"hypothesis": a.code, "measure": a.measure, "primary": a.is_primary}
                | a.result.to_dict(lang)
                for a in analyses
            ]
            sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        else:
            for a in analyses:
                typer.echo(f"{a.code} ({a.measure}): {a.result.summary(lang)}")
        return
    if file is None or intervention is None:
        fail(t("cli.analyze.usage", lang))
    try:
        start = dt.date.fromisoformat(intervention)
    except ValueError:
        fail(t("cli.analyze.bad_date", lang, value=intervention))
    spec = AnalysisSpec(
        intervention=start,
        kind=kind,
        design=design,
        expect=expect,
        min_effect=min_effect,
        relative=relative,
        alpha=alpha,
        maxlags=maxlags,
        errors=errors.value if errors is not None else None,
        seasonality=seasonality,
        columns=Columns(
            period=period_col,
            value=value_col,
            group=group_col,
            treated_value=treated_value,
            area=area_col,
            numerator=numerator_col,
            denominator=denominator_col,
            count=count_col,
            exposure=exposure_col,
        ),
    )
    result = analyze(_read(file), spec)
    if fmt == TextOrJson.json:
        sys.stdout.write(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo(result.summary(lang))
