"""`tracker report`: every format from a demo pilot, opened back with its own reader."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.db_helpers import migrated_sqlite_url
from tracker.charts import VERDICT_LABELS
from tracker.cli import app
from tracker.db import make_engine, session_scope
from tracker.services.access import system
from tracker.services.analysis import analyze_pilot
from tracker.services.demo import load_demo
from tracker.services.pilots import resolve_pilot
from tracker.services.reports import publish_report

PROJECT = Path(__file__).resolve().parents[2]
SLUG = "informele-mentoren-rotterdam"
HEADINGS_NL = (
    "1. Wat we verwachtten",
    "2. Wat we deden",
    "3. Wat er gebeurde",
    "4. Waarom",
    "5. Wat we niet voorzagen",
    "6. Voorwaarden en obstakels",
    "7. Beperkingen",
    "8. Aanbeveling",
)
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> dict:
    url = migrated_sqlite_url(tmp_path_factory.mktemp("report") / "demo.db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_demo(session, actor=system("test"), root=PROJECT)
        pilot_id = resolve_pilot(session, SLUG).id
        verdicts = {a.code: a.result.verdict for a in analyze_pilot(session, pilot_id)}
    engine.dispose()
    return {"env": {"TRACKER_DATABASE_URL": url}, "verdicts": verdicts, "url": url}


def report(demo_db, tmp_path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"lessen.{fmt}"
    result = runner.invoke(
        app,
        [
            "report",
            "--pilot",
            SLUG,
            "--format",
            fmt,
            "--out",
            str(out),
            "--today",
            "2026-11-25",
            *extra,
        ],
        env=demo_db["env"],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


def expected_lines(demo_db, lang="nl") -> list[str]:
    return [f"{code} · " for code in demo_db["verdicts"]] + [
        VERDICT_LABELS[v][lang] for v in demo_db["verdicts"].values()
    ]


def test_docx_opens_with_python_docx_and_holds_the_headings_and_verdicts(demo_db, tmp_path):
    document = docx.Document(io.BytesIO(report(demo_db, tmp_path, "docx").read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in HEADINGS_NL:
        assert heading in headings
    for code, verdict in demo_db["verdicts"].items():
        label = VERDICT_LABELS[verdict]["nl"]
        assert any(h.startswith(f"{code} · ") and h.endswith(f": {label}") for h in headings)
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert {VERDICT_LABELS[v]["nl"] for v in demo_db["verdicts"].values()} <= cells
    assert len(document.inline_shapes) == len(demo_db["verdicts"])  # one chart per hypothesis


def test_pdf_opens_with_pypdf_and_holds_the_headings_and_verdicts(demo_db, tmp_path):
    reader = PdfReader(report(demo_db, tmp_path, "pdf"))
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    for heading in HEADINGS_NL:
        assert heading in text
    for code, verdict in demo_db["verdicts"].items():
        assert f"{code} · " in text
        assert VERDICT_LABELS[verdict]["nl"] in text


def test_markdown_links_its_charts_in_a_folder_beside_it(demo_db, tmp_path):
    out = report(demo_db, tmp_path, "md")
    md = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links == [f"lessen-figuren/{code}.png" for code in demo_db["verdicts"]]
    for link in links:
        assert (out.parent / link).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_html_is_one_page_in_the_chosen_language(demo_db, tmp_path):
    html = report(demo_db, tmp_path, "html", "--lang", "en").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "3. What happened" in html and "Wat er gebeurde" not in html
    assert html.count("<svg") == len(demo_db["verdicts"])


def test_a_published_version_is_written_as_it_was_frozen(demo_db, tmp_path):
    result = runner.invoke(
        app,
        ["report", "--pilot", SLUG, "--out", str(tmp_path / "x.md"), "--published", "latest"],
        env=demo_db["env"],
    )
    assert result.exit_code == 1 and "latest" in result.output  # nothing published yet
    engine = make_engine(demo_db["url"])
    with session_scope(engine) as session:
        publish_report(session, resolve_pilot(session, SLUG).id, actor=system("beleid@example.org"))
    engine.dispose()
    md = report(demo_db, tmp_path, "md", "--published", "1").read_text(encoding="utf-8")
    assert "Gepubliceerde versie 1, door beleid@example.org" in md
    bad = runner.invoke(
        app,
        ["report", "--pilot", SLUG, "--out", str(tmp_path / "y.md"), "--published", "eerste"],
        env=demo_db["env"],
    )
    assert bad.exit_code == 1 and "'eerste'" in bad.output
