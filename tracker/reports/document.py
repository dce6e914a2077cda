"""A report as a neutral document: headings, paragraphs, lists, tables and figures.

The lessons report is written once, in :mod:`tracker.reports.writer`, as a :class:`Document`;
each output format (Markdown, HTML, DOCX, PDF) only walks these blocks. So every format holds
the same words and numbers, and a new format is one small renderer.

Pure: no Streamlit, no database. All text is final (translated and formatted) by the time it is
in a block; renderers never format numbers or translate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Block",
    "BulletList",
    "ChartSeries",
    "Document",
    "Figure",
    "Heading",
    "Paragraph",
    "ReportChart",
    "Table",
]

LineStyle = Literal["solid", "dashed", "dotted", "dashdot"]


@dataclass(frozen=True)
class ChartSeries:
    """One line of a report chart: ``points`` are (ISO date, value) in date order."""

    name: str
    points: tuple[tuple[str, float], ...]
    style: LineStyle = "solid"
    markers: bool = True  # draw a marker at each point (observed data) or not (fitted lines)


@dataclass(frozen=True)
class ReportChart:
    """A measure over time, for a static image: the data, the start of the intervention
    (the period from there on is shaded), the logged interventions as numbered markers and a
    one-sentence description that serves as alt text."""

    title: str
    y_label: str
    intervention_start: str  # ISO date
    series: tuple[ChartSeries, ...]
    interventions: tuple[tuple[str, str], ...] = ()  # (ISO date, title)
    alt: str = ""
    lang: str = "nl"  # decimal comma on the axis in Dutch
    before_label: str = "voor"  # the two phases' labels, in the document's language
    after_label: str = "na"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2  # 1: the title; 2: a section; 3: a part of a section


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["normal", "note", "quote"] = "normal"


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    chart: ReportChart
    name: str  # a file-name stem, unique in the document ("H1"), for images written beside it
    caption: str = ""


Block = Heading | Paragraph | BulletList | Table | Figure


@dataclass(frozen=True)
class Document:
    title: str
    lang: str
    blocks: tuple[Block, ...]
    subtitle: str = ""
    footer: str = ""  # e.g. who published it, when, and the SHA-256 of the frozen content
    metadata: dict[str, str] = field(default_factory=dict)  # author, subject… for DOCX/PDF

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]
