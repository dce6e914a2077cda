"""Markdown for the lessons report: readable as plain text, tables in the GitHub/CommonMark-pipe
form, figures as images.

Figures are written one of three ways (``images``):

- ``"files"``: ``![alt](<folder>/<name>.png)``; :func:`figure_files` gives the PNGs to write
  beside the Markdown file (what ``tracker report --format md`` does);
- ``"embed"``: the PNG inline as a ``data:`` URI, one self-contained file (the app's download);
- ``"none"``: only the caption (fast; for tests and previews).
"""

from __future__ import annotations

import base64
from typing import Literal

from tracker.io.text import inert_markdown
from tracker.reports.document import (
    BulletList,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)

__all__ = ["figure_files", "render_markdown"]

Images = Literal["files", "embed", "none"]


def _one_line(text: str, *, block: bool = True) -> str:
    """One line of inert text: whatever an officer typed is shown, never interpreted."""
    return inert_markdown(" ".join(text.split()), block=block)


def _cell(text: str) -> str:
    return _one_line(text, block=False)


def _table(table: Table) -> str:
    lines = []
    if table.caption:
        lines += [f"*{_one_line(table.caption, block=False)}*", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---" for _ in table.header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _figure(figure: Figure, images: Images, folder: str) -> str:
    alt = _one_line(figure.chart.alt, block=False)
    caption = f"*{_one_line(figure.caption, block=False)}*" if figure.caption else ""
    if images == "none":
        return caption or f"*{alt}*"
    if images == "embed":
        from tracker.reports.figures import chart_png

        data = base64.b64encode(chart_png(figure.chart)).decode("ascii")
        image = f"![{alt}](data:image/png;base64,{data})"
    else:
        image = f"![{alt}]({folder}/{figure.name}.png)"
    return f"{image}\n\n{caption}" if caption else image


def render_markdown(doc: Document, *, images: Images = "none", folder: str = "figuren") -> str:
    """The document as Markdown text (UTF-8, ending in one newline)."""
    parts = [f"# {_one_line(doc.title, block=False)}"]
    if doc.subtitle:
        parts.append(f"*{_one_line(doc.subtitle, block=False)}*")
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = "#" * max(1, min(6, block.level))
            parts.append(f"{level} {_one_line(block.text, block=False)}")
        elif isinstance(block, Paragraph):
            text = block.text.strip()
            if block.style == "quote":
                parts.append("\n".join("> " + inert_markdown(line) for line in text.splitlines()))
            elif block.style == "note":
                parts.append(f"*{_one_line(text, block=False)}*")
            else:
                parts.append(inert_markdown(text))
        elif isinstance(block, BulletList):
            parts.append("\n".join(f"- {_one_line(item)}" for item in block.items))
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            parts.append(_figure(block, images, folder))
    if doc.footer:
        parts += ["---", _one_line(doc.footer)]
    return "\n\n".join(parts) + "\n"


def figure_files(doc: Document) -> dict[str, bytes]:
    """``{"H1.png": b"…"}``: the images that ``images="files"`` Markdown links to."""
    from tracker.reports.figures import chart_png

    return {f"{f.name}.png": chart_png(f.chart) for f in doc.figures()}
