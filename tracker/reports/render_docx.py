"""A :class:`Document` as a Word file (python-docx), for officers who edit the report further.

Built with Word's own styles (Title, Heading 1–3, List Bullet, Quote, Caption, Table Grid), so
the navigation pane, a table of contents and screen readers understand the structure; charts
are PNG pictures with their alt text. The page is A4 with 2.5 cm margins: exactly the 16 cm
the charts are drawn for. The same document gives the same bytes (fixed dates in the core
properties and in the ZIP entries), so a published report can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from tracker.reports.document import (
    BulletList,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)
from tracker.reports.figures import chart_png

__all__ = ["render_docx"]

_LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}
_PAGE = {"nl": "pagina ", "en": "page "}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry


def render_docx(doc: Document) -> bytes:
    """The document as the bytes of a .docx file."""
    word = docx.Document()
    _set_up(word, doc)
    word.add_heading(doc.title, level=0)
    if doc.subtitle:
        word.add_paragraph(doc.subtitle, style="Subtitle")
    for block in doc.blocks:
        _add_block(word, block)
    if doc.footer:
        word.add_paragraph()
        footer = word.add_paragraph()
        run = footer.add_run(doc.footer)
        run.font.size = Pt(8)
    buffer = io.BytesIO()
    word.save(buffer)
    return _normalised_zip(buffer.getvalue())


def _set_up(word: WordDocument, doc: Document) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    _page_number(section.footer.paragraphs[0], _PAGE.get(doc.lang, _PAGE["nl"]))

    language = _LANGUAGES.get(doc.lang, doc.lang)
    normal = word.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)  # Word's spelling check in the document's language
    normal.append(lang)

    properties = word.core_properties
    properties.title = doc.title
    properties.author = doc.metadata.get("author", "")
    properties.last_modified_by = doc.metadata.get("author", "")
    properties.subject = doc.metadata.get("subject", "")
    properties.keywords = doc.metadata.get("keywords", "")
    properties.comments = ""
    properties.language = language
    when = _datetime(doc.metadata.get("date", ""))
    if when is not None:
        properties.created = properties.modified = when


def _add_block(word: WordDocument, block: object) -> None:
    if isinstance(block, Heading):
        word.add_heading(block.text, level=min(max(block.level, 1), 3))
    elif isinstance(block, Paragraph):
        if block.style == "quote":
            word.add_paragraph(block.text, style="Quote")
        else:
            run = word.add_paragraph().add_run(block.text)
            run.italic = block.style == "note"
    elif isinstance(block, BulletList):
        for item in block.items:
            word.add_paragraph(item, style="List Bullet")
    elif isinstance(block, Table):
        _add_table(word, block)
    elif isinstance(block, Figure):
        _add_figure(word, block)
    else:
        raise TypeError(f"unknown block: {type(block).__name__}")


def _add_table(word: WordDocument, table: Table) -> None:
    if table.caption:
        caption = word.add_paragraph(table.caption, style="Caption")
        caption.paragraph_format.keep_with_next = True
    columns = max([len(table.header), *(len(row) for row in table.rows)])
    grid: DocxTable = word.add_table(rows=1 + len(table.rows), cols=columns)
    grid.style = word.styles["Table Grid"]
    for row_cells, texts in zip(grid.rows, (table.header, *table.rows), strict=True):
        for cell, text in zip(row_cells.cells, texts, strict=False):
            cell.text = text
    for cell in grid.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    # The header row repeats on every page and tells screen readers it is a header.
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(header)
    word.add_paragraph()


def _add_figure(word: WordDocument, figure: Figure) -> None:
    chart = figure.chart
    picture = word.add_paragraph()
    picture.paragraph_format.keep_with_next = True
    run = picture.add_run()
    shape = run.add_picture(io.BytesIO(chart_png(chart)), width=Cm(16))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", chart.alt or chart.title)  # the alt text Word and readers show
    doc_pr.set("title", chart.title)
    caption = figure.caption or chart.alt
    if caption:
        word.add_paragraph(caption, style="Caption")


def _page_number(paragraph: DocxParagraph, prefix: str) -> None:
    """'pagina 3' in the page footer: a PAGE field, so Word fills in the number."""
    paragraph.add_run(prefix)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _datetime(value: str) -> dt.datetime | None:
    """An ISO date or date-time in UTC, as python-docx writes core dates; None if not ISO."""
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def _normalised_zip(data: bytes) -> bytes:
    """The same ZIP with every entry dated 1980-01-01, so equal documents give equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return buffer.getvalue()
