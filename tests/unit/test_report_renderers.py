"""The static report formats (PNG/SVG charts, HTML, DOCX, PDF) from one hand-built Document.

Each format is opened again with an independent reader (python-docx, pypdf, plain text for
HTML/SVG) and checked for the words, the structure and the accessibility features that the
readers of a lessons report rely on; and each output must be reproducible.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import docx
import pypdf
import pytest

from tracker.reports.document import (
    BulletList,
    ChartSeries,
    Document,
    Figure,
    Heading,
    Paragraph,
    ReportChart,
    Table,
)
from tracker.reports.figures import chart_png, chart_svg
from tracker.reports.render_docx import render_docx
from tracker.reports.render_html import render_html
from tracker.reports.render_pdf import render_pdf

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLE = "Lessen uit de proeftuin Wijkteam Noord"
HEADINGS = {"Samenvatting": 2, "Wat we verwachtten": 2, "H1 · Wachttijd bij het loket": 3}
QUOTE = "„Het ging sneller dan we dachten.” — een bewoner uit Oost"
NOTE = "Let op: de cijfers over 2024 zijn voorlopig."
ESCAPED = "Deze alinea bevat <b>geen</b> opmaak."
UNICODE_TEXT = "De wachttijd daalde met −12% (≥ 10% verwacht); één wijk deed niet mee."
TABLE_HEADER = ("Hypothese", "Schatting", "Oordeel")
TABLE_CELL = "Wachttijd in dagen bij het loket"
ALT = "Lijngrafiek van de wachttijd per maand, van januari tot december 2024."
EMPTY_ALT = "Er zijn nog geen metingen voor de tevredenheid."


def _chart(lang: str = "nl", *, empty: bool = False) -> ReportChart:
    observed = tuple((f"2024-{month:02d}-01", 0.1 + 0.05 * (month % 4)) for month in range(1, 13))
    fitted = tuple((day, value - 0.02) for day, value in observed)
    series = (
        ()
        if empty
        else (
            ChartSeries("Gemeten", observed, "solid", True),
            ChartSeries("Trend", fitted, "dashed", False),
            ChartSeries("Vergelijking", fitted[::2], "dotted", True),
        )
    )
    return ReportChart(
        title="H1 · Wachttijd" if not empty else "H2 · Tevredenheid",
        y_label="Aandeel",
        intervention_start="2024-06-15",
        series=series,
        interventions=(("2024-06-15", "Start wijkteam"), ("2024-09-01", "Extra spreekuur")),
        alt=EMPTY_ALT if empty else ALT,
        lang=lang,
        before_label="voor" if lang == "nl" else "before",
        after_label="na" if lang == "nl" else "after",
    )


def _document(lang: str = "nl") -> Document:
    blocks = (
        Heading("Samenvatting", 2),
        Paragraph(UNICODE_TEXT),
        Paragraph(ESCAPED),
        Paragraph(QUOTE, "quote"),
        Paragraph(NOTE, "note"),
        BulletList(("Eerste les → meer capaciteit", "Tweede les: € 1.000 per wijk")),
        Heading("Wat we verwachtten", 2),
        Table(
            TABLE_HEADER,
            (("H1 · " + TABLE_CELL, "−12%", "bevestigd"), ("H2 · Tevredenheid", "–", "open")),
            caption="Tabel 1. De hypothesen",
        ),
        Heading("H1 · Wachttijd bij het loket", 3),
        Figure(_chart(lang), name="H1", caption="Figuur 1. Wachttijd per maand"),
        Figure(_chart(lang, empty=True), name="H2"),
    )
    return Document(
        title=TITLE,
        lang=lang,
        blocks=blocks,
        subtitle="Gemeente Apeldoorn · zorg en welzijn",
        footer="Gepubliceerd door A. de Vries · SHA-256 " + "0a" * 32,
        metadata={
            "author": "A. de Vries",
            "subject": "Wijkteam Noord",
            "date": "2025-05-01T10:30:00+00:00",
        },
    )


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pdf_text() -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(_document())))
    return _words(" ".join(page.extract_text() for page in reader.pages))


# --- charts --------------------------------------------------------------------------------


def test_png_is_a_16_cm_png_and_reproducible() -> None:
    first = chart_png(_chart())
    chart_png.cache_clear()  # draw again rather than return the cached bytes
    second = chart_png(_chart())
    assert first.startswith(PNG_SIGNATURE)
    assert first == second
    width, _height = struct.unpack(">II", first[16:24])
    assert abs(width - round(16 / 2.54 * 150)) <= 2
    assert chart_png(_chart(empty=True)).startswith(PNG_SIGNATURE)
    assert chart_png(_chart(empty=True)) != first


def test_svg_is_reproducible_and_labelled() -> None:
    first = chart_svg(_chart())
    chart_svg.cache_clear()
    second = chart_svg(_chart())
    assert first == second
    assert f"<title>{ALT}</title>" in first
    assert "<script" not in first


def _svg_texts(svg: str) -> list[str]:
    # matplotlib draws text as paths and keeps each string in a comment before it.
    return [text.strip() for text in re.findall(r"<!-- (.*?) -->", svg)]


def test_svg_axis_text_follows_the_language() -> None:
    dutch = _svg_texts(chart_svg(_chart("nl")))
    english = _svg_texts(chart_svg(_chart("en")))
    assert "0,20" in dutch and "0.20" not in dutch
    assert "0.20" in english
    assert any("mrt" in text for text in dutch)
    assert any("Mar" in text for text in english)


def test_svg_shows_phases_legend_and_numbered_interventions() -> None:
    texts = _svg_texts(chart_svg(_chart()))
    for expected in ("voor", "na", "Gemeten", "Trend", "Vergelijking", "1", "2", "Aandeel"):
        assert expected in texts
    assert any(text.endswith("1 = Start wijkteam") for text in texts)
    assert any(text.endswith("2 = Extra spreekuur") for text in texts)


def test_empty_chart_shows_its_alt_text() -> None:
    texts = " ".join(_svg_texts(chart_svg(_chart(empty=True))))
    assert _words(EMPTY_ALT) in _words(texts)
    no_alt = ReportChart("Leeg", "y", "2024-01-01", series=(), lang="en")
    assert "No data" in _svg_texts(chart_svg(no_alt))


# --- HTML ----------------------------------------------------------------------------------


def test_html_structure_and_accessibility() -> None:
    html = render_html(_document())
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in html
    assert f"<title>{TITLE}</title>" in html
    assert f"<h1>{TITLE}</h1>" in html
    for text, level in HEADINGS.items():
        assert f"<h{level}>{text}</h{level}>" in html
    for cell in TABLE_HEADER:
        assert f'<th scope="col">{cell}</th>' in html
    assert "<caption>Tabel 1. De hypothesen</caption>" in html
    assert f"<blockquote><p>{QUOTE}</p></blockquote>" in html
    assert f'<p class="note">{NOTE}</p>' in html
    assert html.count("<figure>") == 2
    assert f'role="img" aria-label="{ALT}"' in html
    assert "<figcaption>Figuur 1. Wachttijd per maand</figcaption>" in html
    assert f"<figcaption>{EMPTY_ALT}</figcaption>" in html  # no caption: the alt text
    assert "<footer>" in html


def test_html_is_escaped_and_self_contained() -> None:
    html = render_html(_document())
    assert "Deze alinea bevat &lt;b&gt;geen&lt;/b&gt; opmaak." in html
    assert "<b>geen</b>" not in html
    assert "<script" not in html
    assert 'src="http' not in html
    assert "<link" not in html
    outside_svg = re.sub(r"<svg.*?</svg>", "", html, flags=re.DOTALL)
    assert "http" not in outside_svg
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "two inline charts share an id"


# --- DOCX ----------------------------------------------------------------------------------


def test_docx_headings_table_pictures_and_properties() -> None:
    data = render_docx(_document())
    word = docx.Document(io.BytesIO(data))
    styles = {p.text: p.style.name for p in word.paragraphs}
    assert styles[TITLE] == "Title"
    for text, level in HEADINGS.items():
        assert styles[text] == f"Heading {level}"
    assert styles[QUOTE] == "Quote"
    assert styles["Eerste les → meer capaciteit"] == "List Bullet"
    note = next(p for p in word.paragraphs if p.text == NOTE)
    assert note.runs[0].italic
    assert UNICODE_TEXT in styles

    (table,) = word.tables
    assert tuple(cell.text for cell in table.rows[0].cells) == TABLE_HEADER
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert table.cell(1, 0).text == "H1 · " + TABLE_CELL
    assert table.cell(1, 1).text == "−12%"

    assert len(word.inline_shapes) == 2
    assert word.inline_shapes[0]._inline.docPr.get("descr") == ALT
    properties = word.core_properties
    assert (properties.title, properties.author, properties.language) == (
        TITLE,
        "A. de Vries",
        "nl-NL",
    )
    assert properties.created.isoformat().startswith("2025-05-01T10:30")


def test_docx_zip_entries_have_a_fixed_date() -> None:
    archive = zipfile.ZipFile(io.BytesIO(render_docx(_document())))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# --- PDF -----------------------------------------------------------------------------------


def test_pdf_text_can_be_extracted(pdf_text: str) -> None:
    for expected in (TITLE, *HEADINGS, QUOTE, NOTE, TABLE_CELL, UNICODE_TEXT, "€ 1.000"):
        assert _words(expected) in pdf_text
    assert "−12%" in pdf_text
    assert "Figuur 1. Wachttijd per maand" in pdf_text
    assert "pagina 1" in pdf_text


def test_pdf_pages_images_and_metadata() -> None:
    data = render_pdf(_document())
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    assert sum(len(page.images) for page in reader.pages) == 2
    meta = reader.metadata
    assert meta is not None
    assert (meta.title, meta.author, meta.subject) == (TITLE, "A. de Vries", "Wijkteam Noord")
    assert meta["/CreationDate"].startswith("D:20250501103000")
    assert reader.trailer["/Root"]["/Lang"] == "nl"
    assert [item.title for item in reader.outline[:1]] == [TITLE]


def test_pdf_is_reproducible_with_a_date() -> None:
    assert render_pdf(_document()) == render_pdf(_document())


def test_english_pdf_numbers_pages_in_english() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(_document("en"))))
    text = _words(reader.pages[0].extract_text())
    assert "page 1" in text
    assert "pagina" not in text
