"""One entry point for every output format, so the app and the command line render alike."""

from __future__ import annotations

from enum import StrEnum

from tracker.reports.document import Document

__all__ = ["MEDIA_TYPES", "ReportFormat", "render"]


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    docx = "docx"
    pdf = "pdf"


MEDIA_TYPES = {
    ReportFormat.md: "text/markdown",
    ReportFormat.html: "text/html",
    ReportFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.pdf: "application/pdf",
}


def render(
    doc: Document,
    fmt: ReportFormat | str,
    *,
    markdown_images: str = "embed",
    markdown_folder: str = "figuren",
) -> bytes:
    """The document in ``fmt`` as bytes (text formats in UTF-8). Markdown embeds its charts
    unless ``markdown_images`` says "files" (then write ``figure_files(doc)`` beside it) or
    "none"; linked
    images are looked for in ``markdown_folder``, relative to the Markdown file."""
    fmt = ReportFormat(fmt)
    if fmt is ReportFormat.md:
        from tracker.reports.render_markdown import render_markdown

        text = render_markdown(doc, images=markdown_images, folder=markdown_folder)  # type: ignore[arg-type]
        return text.encode("utf-8")
    if fmt is ReportFormat.html:
        from tracker.reports.render_html import render_html

        return render_html(doc).encode("utf-8")
    if fmt is ReportFormat.docx:
        from tracker.reports.render_docx import render_docx

        return render_docx(doc)
    from tracker.reports.render_pdf import render_pdf

    return render_pdf(doc)
