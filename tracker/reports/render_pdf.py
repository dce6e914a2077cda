"""A :class:`Document` as an A4 PDF (fpdf2), the format that is archived and sent round.

The fonts are the DejaVu Sans files that ship with matplotlib: they cover the text the report
uses ("−", "≥", "€", "ë", "→"), are embedded as subsets with a ToUnicode map (so text can be
searched, copied and read aloud) and need no system fonts. The charts are the same PNGs as in
the Word file. Headings are also PDF bookmarks, so a reader can jump between sections. With
``metadata["date"]`` set the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace, ViewerPreferences
from fpdf.enums import XPos, YPos

from tracker.reports.document import (
    BulletList,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)
from tracker.reports.figures import chart_png

__all__ = ["render_pdf"]

_FONT = "DejaVu"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
}  # each font costs about 0.1 s to load, so bold italic, which no block uses, is left out
_PAGE = {"nl": "pagina", "en": "page"}
_BODY = 10.0  # points
_HEADING_SIZES = {1: 18.0, 2: 14.0, 3: 11.5}
_TITLE_SIZE = 20.0
_FIGURE_WIDTH = 160.0  # mm, the 16 cm the charts are drawn for
_MARGIN = 20.0  # mm; text width 170 mm on A4
_PT = 25.4 / 72  # mm per point
_GREY = (80, 80, 80)


class _ReportPDF(FPDF):
    """FPDF with the page number in the page footer, in the document's language."""

    def __init__(self, page_word: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.page_word = page_word

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"{self.page_word} {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)


def render_pdf(doc: Document) -> bytes:
    """The document as the bytes of a PDF file."""
    pdf = _ReportPDF(_PAGE.get(doc.lang, _PAGE["nl"]))
    _set_up(pdf, doc)
    pdf.add_page()
    pdf.start_section(doc.title, level=0)
    _text(pdf, doc.title, _TITLE_SIZE, "B")
    if doc.subtitle:
        pdf.set_text_color(*_GREY)
        _text(pdf, doc.subtitle, _BODY + 2, "")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    for block in doc.blocks:
        _add_block(pdf, block)
    if doc.footer:
        pdf.ln(6)
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        pdf.set_text_color(*_GREY)
        _text(pdf, doc.footer, 8, "")
        pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())


def _set_up(pdf: FPDF, doc: Document) -> None:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for style, name in _FONT_FILES.items():
        pdf.add_font(_FONT, style, str(fonts / name))
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=_MARGIN)
    pdf.set_lang(doc.lang)
    pdf.set_title(doc.title)
    pdf.set_author(doc.metadata.get("author", ""))
    pdf.set_subject(doc.metadata.get("subject", ""))
    if doc.metadata.get("keywords"):
        pdf.set_keywords(doc.metadata["keywords"])
    pdf.set_creator("Proeftuin")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    when = _datetime(doc.metadata.get("date", ""))
    if when is not None:
        pdf.set_creation_date(when)


def _add_block(pdf: FPDF, block: object) -> None:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 3)
        if pdf.will_page_break(30):  # no heading alone at the bottom of a page
            pdf.add_page()
        pdf.ln(4 if level < 3 else 2)
        pdf.start_section(block.text, level=level - 1, strict=False)
        _text(pdf, block.text, _HEADING_SIZES[level], "B")
        pdf.ln(1)
    elif isinstance(block, Paragraph):
        if block.style == "quote":
            _text(pdf, block.text, _BODY, "I", indent=8)
        else:
            _text(pdf, block.text, _BODY, "I" if block.style == "note" else "")
        pdf.ln(2)
    elif isinstance(block, BulletList):
        for item in block.items:
            _text(pdf, item, _BODY, "", indent=6, bullet="•")
        pdf.ln(2)
    elif isinstance(block, Table):
        _add_table(pdf, block)
    elif isinstance(block, Figure):
        _add_figure(pdf, block)
    else:
        raise TypeError(f"unknown block: {type(block).__name__}")


def _text(
    pdf: FPDF, text: str, size: float, style: str, *, indent: float = 0, bullet: str = ""
) -> None:
    """A wrapped paragraph from the left margin (plus ``indent``), with an optional bullet."""
    pdf.set_font(_FONT, style, size)
    height = size * _PT * 1.45
    if bullet:
        pdf.set_x(pdf.l_margin + indent - 4)
        pdf.cell(4, height, bullet)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _add_table(pdf: FPDF, table: Table) -> None:
    if table.caption:
        if pdf.will_page_break(25):
            pdf.add_page()
        _text(pdf, table.caption, _BODY - 0.5, "B")
        pdf.ln(1)
    columns = max([len(table.header), *(len(row) for row in table.rows)])
    header = _padded(table.header, columns)
    rows = [_padded(row, columns) for row in table.rows]
    pdf.set_font(_FONT, "", _BODY - 1)
    with pdf.table(
        col_widths=_column_weights([header, *rows]),
        width=pdf.epw,
        text_align="LEFT",
        v_align="TOP",
        line_height=(_BODY - 1) * _PT * 1.4,
        padding=1.2,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        repeat_headings=1,
    ) as grid:
        for cells in (header, *rows):
            row = grid.row()
            for text in cells:
                row.cell(text)
    pdf.ln(4)


def _add_figure(pdf: FPDF, figure: Figure) -> None:
    chart = figure.chart
    png = chart_png(chart)
    width_px, height_px = struct.unpack(">II", png[16:24])  # the PNG's IHDR chunk
    height = _FIGURE_WIDTH * height_px / width_px
    if pdf.will_page_break(height + 12):  # keep the caption with its chart
        pdf.add_page()
    x = pdf.l_margin + (pdf.epw - _FIGURE_WIDTH) / 2
    pdf.image(io.BytesIO(png), x=x, w=_FIGURE_WIDTH, h=height, alt_text=chart.alt or None)
    pdf.ln(1)  # image() has moved below the picture
    caption = figure.caption or chart.alt
    if caption:
        pdf.set_text_color(*_GREY)
        _text(pdf, caption, _BODY - 1, "I")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)


def _padded(cells: tuple[str, ...], columns: int) -> tuple[str, ...]:
    return cells + ("",) * (columns - len(cells))


def _column_weights(rows: list[tuple[str, ...]]) -> tuple[float, ...]:
    """Wider columns for longer text, within limits, so numbers stay narrow and words wrap."""
    return tuple(
        float(min(max(max(len(row[i]) for row in rows), 6), 45)) for i in range(len(rows[0]))
    )


def _datetime(value: str) -> dt.datetime | None:
    """An ISO date-time; without a time zone it is taken as UTC (not the machine's zone)."""
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
