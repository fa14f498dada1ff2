"""Resume files built on the fly for the extraction tests and benchmark: PDF, DOCX and scans.

Everything is generated (PyMuPDF, python-docx, Pillow), so no binary fixture is checked in and
the expected text is known exactly.
"""

from __future__ import annotations

import io
from typing import Any

import docx as _docx
import pymupdf as _pymupdf
from PIL import Image, ImageFilter

# PyMuPDF 1.x and python-docx are only partly annotated.
pymupdf: Any = _pymupdf
docx: Any = _docx

NAME = "Jane Doe"
EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0100"
HEADER = f"{NAME}\n{EMAIL} | {PHONE}\nlinkedin.com/in/janedoe"

SUMMARY = (
    "Backend engineer with eight years of experience building payment and billing systems "
    "in Python and Go. Comfortable owning services from design to on-call."
)
JOBS = (
    ("Senior Engineer, Acme Corp", "2019 - 2023"),
    ("Software Engineer, Globex Systems", "2016 - 2019"),
    ("Junior Developer, Initech", "2015 - 2016"),
)
BULLETS = (
    "Built the billing platform that invoices 40,000 customers a month.",
    "Cut the p99 latency of the payments API from 900 ms to 120 ms.",
    "Led a team of four engineers through a migration to Kubernetes.",
    "Wrote the on-call runbooks and halved the number of pages per week.",
    "Designed the event pipeline that feeds the finance data warehouse.",
    "Mentored three junior engineers; two were promoted within a year.",
)
EDUCATION = "BSc Computer Science\nState University, 2011 - 2015"
SKILLS = "Python, Go, Kubernetes, PostgreSQL, Kafka, Terraform, AWS"
LANGUAGES = "English, German"


def resume_text(long: bool = False) -> str:
    """A plain resume: contact lines, then SUMMARY, EXPERIENCE, EDUCATION, SKILLS, LANGUAGES.
    `long` repeats the bullets so the text fills about two A4 pages at 11 pt."""
    bullets = BULLETS * (3 if long else 1)
    experience = []
    for title, years in JOBS:
        experience.append(f"{title}\n{years}\n" + "\n".join(f"- {b}" for b in bullets[:4]))
        if long:
            experience[-1] += "\n" + "\n".join(f"- {b}" for b in bullets[4:])
    return (
        f"{HEADER}\n\nSUMMARY\n{SUMMARY}\n\nEXPERIENCE\n"
        + "\n\n".join(experience)
        + f"\n\nEDUCATION\n{EDUCATION}\n\nSKILLS\n{SKILLS}\n\nLANGUAGES\n{LANGUAGES}"
    )


def text_pdf(text: str, fontsize: float = 11) -> bytes:
    """`text` laid out on as many A4 pages as it needs (a text layer, no images)."""
    doc = pymupdf.open()
    lines = text.split("\n")
    per_page = int((842 - 2 * 60) / (fontsize * 1.45))
    for start in range(0, len(lines), per_page):
        page = doc.new_page(width=595, height=842)
        chunk = "\n".join(lines[start : start + per_page])
        page.insert_textbox(pymupdf.Rect(60, 60, 535, 790), chunk, fontsize=fontsize)
    # no_new_id: the same bytes on every call, so property-based tests replay exactly.
    data: bytes = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    return data


def resume_pdf() -> bytes:
    """A one-page resume PDF."""
    return text_pdf(resume_text())


def two_page_resume_pdf() -> bytes:
    """A two-page resume PDF (the size the benchmark targets are stated for)."""
    data = text_pdf(resume_text(long=True))
    pages = pymupdf.open(stream=data, filetype="pdf").page_count
    assert pages == 2, f"expected 2 pages, built {pages}"
    return data


def resume_docx(long: bool = False) -> bytes:
    """A resume DOCX: headings as Heading 1, the jobs in a table, a page header and footer."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Curriculum vitae"
    for line in HEADER.split("\n"):
        d.add_paragraph(line)
    d.add_heading("Summary", level=1)
    d.add_paragraph(SUMMARY)
    d.add_heading("Experience", level=1)
    bullets = BULLETS * (3 if long else 1)
    table = d.add_table(rows=0, cols=2)
    for title, years in JOBS:
        row = table.add_row()
        row.cells[0].text = title
        row.cells[1].text = years
        for bullet in bullets if long else bullets[:4]:
            d.add_paragraph(bullet, style="List Bullet")
    d.add_heading("Education", level=1)
    d.add_paragraph(EDUCATION)
    d.add_heading("Skills", level=1)
    d.add_paragraph(SKILLS)
    d.sections[0].footer.paragraphs[0].text = "Page footer"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def page_image(pdf: bytes, dpi: int = 200, page: int = 0) -> Image.Image:
    """One page of a PDF rendered in grey, as a scanner would deliver it."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    pix = doc[page].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def scan(
    pdf: bytes | None = None,
    dpi: int = 200,
    blur: float = 0.0,
    rotate: int = 0,
    fmt: str = "PNG",
) -> bytes:
    """A scanned page: the first page of `pdf` (default: the one-page resume) rendered at `dpi`,
    blurred with a Gaussian of radius `blur` pixels, turned `rotate` degrees counter-clockwise,
    and saved as `fmt` with the dpi recorded."""
    image = page_image(pdf if pdf is not None else resume_pdf(), dpi)
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if rotate:
        image = image.rotate(rotate, expand=True, fillcolor=255)
    buf = io.BytesIO()
    image.save(buf, fmt, dpi=(dpi, dpi))
    return buf.getvalue()
