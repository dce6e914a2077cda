"""A :class:`Document` as one self-contained, accessible HTML5 page.

Self-contained so it can be mailed, archived or opened offline and still look the same: the CSS
is inline, the charts are inline SVG, and nothing is fetched (no fonts, scripts or CDN). It
follows the document's structure with real headings, lists, tables with column headers and
figures with captions, so screen readers can navigate it.
"""

from __future__ import annotations

import re
from html import escape

from tracker.reports.document import (
    BulletList,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)
from tracker.reports.figures import chart_svg

__all__ = ["render_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  line-height: 1.5; color: #1a1a1a; background: #fff; max-width: 50em; margin: 2em auto;
  padding: 0 1em; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1em; margin-top: 1.2em; }
.subtitle { font-size: 1.1em; color: #444; margin-top: 0; }
.note { font-style: italic; color: #444; }
blockquote { margin: 1em 0; padding: 0.2em 1em; border-left: 4px solid #0072B2;
  background: #f4f8fb; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: 0.95em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
figure { margin: 1.5em 0; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.95em; color: #333; margin-top: 0.3em; }
footer { margin-top: 3em; padding-top: 0.5em; border-top: 1px solid #ccc; font-size: 0.9em;
  color: #444; overflow-wrap: anywhere; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; }
  h2, h3 { break-after: avoid; }
  figure, table, blockquote { break-inside: avoid; }
}
""".strip()


def render_html(doc: Document) -> str:
    """The whole page as text; every piece of document text is escaped."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(doc.lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title>",
        *_meta_tags(doc.metadata),
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(doc.title)}</h1>",
    ]
    if doc.subtitle:
        parts.append(f'<p class="subtitle">{escape(doc.subtitle)}</p>')
    parts += ["</header>", "<main>"]
    parts += [_block(block, index) for index, block in enumerate(doc.blocks)]
    parts.append("</main>")
    if doc.footer:
        parts.append(f"<footer>\n<p>{escape(doc.footer)}</p>\n</footer>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _meta_tags(metadata: dict[str, str]) -> list[str]:
    names = {"author": "author", "subject": "description", "keywords": "keywords"}
    return [
        f'<meta name="{name}" content="{escape(metadata[key])}">'
        for key, name in names.items()
        if metadata.get(key)
    ]


def _block(block: object, index: int) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 3)
        return f"<h{level}>{escape(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        if block.style == "quote":
            return f"<blockquote><p>{escape(block.text)}</p></blockquote>"
        css = ' class="note"' if block.style == "note" else ""
        return f"<p{css}>{escape(block.text)}</p>"
    if isinstance(block, BulletList):
        items = "\n".join(f"<li>{escape(item)}</li>" for item in block.items)
        return f"<ul>\n{items}\n</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block, index)
    raise TypeError(f"unknown block: {type(block).__name__}")


def _table(table: Table) -> str:
    lines = ["<table>"]
    if table.caption:
        lines.append(f"<caption>{escape(table.caption)}</caption>")
    header = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in table.header)
    lines.append(f"<thead><tr>{header}</tr></thead>")
    lines.append("<tbody>")
    for row in table.rows:
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        lines.append(f"<tr>{cells}</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _figure(figure: Figure, index: int) -> str:
    chart = figure.chart
    label = chart.alt or chart.title or figure.caption
    svg = _inline_svg(chart_svg(chart), label, f"f{index}-{figure.name}")
    caption = figure.caption or chart.alt
    figcaption = f"\n<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>\n{svg}{figcaption}\n</figure>"


def _inline_svg(svg: str, label: str, prefix: str) -> str:
    """The SVG element alone, labelled as one image, with ids unique in the page.

    matplotlib gives every chart the same glyph and clip-path ids; two charts in one page would
    then share ids, which is invalid HTML, so each chart's ids get the figure's own prefix. The
    RDF metadata (a "made with matplotlib" note) is dropped.
    """
    svg = svg[svg.find("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", prefix)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', rf'\1="#{prefix}-\2"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    attributes = f'<svg role="img" aria-label="{escape(label)}" focusable="false"'
    return attributes + svg[len("<svg") :].rstrip()
