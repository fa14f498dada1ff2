"""The structured outline through the real service over gRPC: experience and education
entries, the contact location, headings found by their type in PDFs (also in a language with
no known headings), three columns; on PDF, DOCX and text resumes the tests build."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import docx as _docx
import grpc
import pymupdf as _pymupdf
import pytest

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.extraction.v1 import extraction_pb2_grpc
from gateway.stack import Stack
from tests.support.clients import User

pytestmark = pytest.mark.integration
# PyMuPDF 1.x and python-docx are only partly annotated.
pymupdf: Any = _pymupdf
docx: Any = _docx
Extract = Callable[..., pb.ExtractedDocument]
K = pb.Section
BLUE = (0.1, 0.2, 0.6)


@pytest.fixture(scope="module")
def extract(stack: Stack, alice: User) -> Extract:
    stub = extraction_pb2_grpc.ExtractionServiceStub(
        grpc.insecure_channel(stack.grpc_target("extraction"))
    )

    def call(content: bytes, filename: str = "", content_type: str = "") -> pb.ExtractedDocument:
        request = pb.ExtractDocumentRequest(
            content=content, filename=filename, content_type=content_type
        )
        reply: pb.ExtractedDocument = stub.ExtractDocument(
            request, metadata=alice.metadata, timeout=30
        )
        return reply

    return call


def kinds(doc: pb.ExtractedDocument) -> list[tuple[str, str]]:
    return [(K.Kind.Name(s.kind), s.title) for s in doc.sections]


def jobs(doc: pb.ExtractedDocument) -> list[tuple[str, str, str, str]]:
    return [(e.title, e.company, e.start_date, e.end_date) for e in doc.experience]


def studies(doc: pb.ExtractedDocument) -> list[tuple[str, str, str, str]]:
    return [(e.school, e.degree, e.start_date, e.end_date) for e in doc.education]


class Page:
    """Writes lines top to bottom (base-14 fonts: Helvetica, Helvetica-Bold)."""

    def __init__(self, page: Any, x: float = 72, y: float = 72) -> None:
        self.page, self.x, self.y = page, x, y

    def line(
        self,
        text: str,
        size: float = 10.5,
        bold: bool = False,
        color: tuple[float, float, float] = (0, 0, 0),
        space: float = 0,
    ) -> None:
        self.y += space
        self.page.insert_text(
            (self.x, self.y), text, fontsize=size, fontname="hebo" if bold else "helv", color=color
        )
        self.y += size * 1.45


def german_pdf() -> bytes:
    """Bold, coloured headings in mixed case; one of them unknown by name; job titles in a
    smaller bold; a company name in capitals (the capitals rule alone would call it a
    heading)."""
    doc = pymupdf.open()
    p = Page(doc.new_page())
    p.line("Anna Schmidt", 22, bold=True)
    p.line("anna.schmidt@example.de | +49 30 1234567 | Berlin, Deutschland", space=4)
    p.line("Berufserfahrung", 13, bold=True, color=BLUE, space=14)
    p.line("Softwareentwicklerin, Acme GmbH", bold=True)
    p.line("März 2018 - heute")
    p.line("- Aufbau der Abrechnungsplattform für 2 Mio. Kunden.")
    p.line("- Einführung von Kubernetes.")
    p.line("NORDWIND", space=6)
    p.line("Entwickler", bold=True)
    p.line("Sep. 2015 - Feb. 2018")
    p.line("- Wartung der Kundenportale.")
    p.line("Ausbildung", 13, bold=True, color=BLUE, space=14)
    p.line("Technische Universität Berlin")
    p.line("M.Sc. Informatik, 2013 - 2015")
    p.line("Ehrenamtliches Engagement", 13, bold=True, color=BLUE, space=14)
    p.line("Trainerin im Sportverein, seit 2016")
    p.line("Kenntnisse", 13, bold=True, color=BLUE, space=14)
    p.line("Python, Go, Kubernetes")
    data: bytes = doc.tobytes()
    return data


def swedish_pdf() -> bytes:
    """Headings in Swedish (no known heading names): larger bold type is all there is."""
    doc = pymupdf.open()
    p = Page(doc.new_page())
    p.line("Erik Svensson", 20, bold=True)
    p.line("erik@example.se | +46 8 123 456 78 | Stockholm, Sverige", space=4)
    p.line("Arbetslivserfarenhet", 14, bold=True, space=14)
    p.line("Systemutvecklare, Spotify AB")
    p.line("2019 - 2023")
    p.line("- Byggde betalplattformen.")
    p.line("Utbildning", 14, bold=True, space=14)
    p.line("Uppsala universitet")
    p.line("Civilingenjör, 2014 - 2019")
    p.line("Kompetenser", 14, bold=True, space=14)
    p.line("Python, Go")
    data: bytes = doc.tobytes()
    return data


def three_column_pdf() -> bytes:
    """A full-width header, three columns, a centred footer."""
    doc = pymupdf.open()
    page = doc.new_page()  # 595 x 842
    header = "Jane Doe\njane.doe@example.com | +1 415 555 0100 | Austin, TX"
    page.insert_textbox(pymupdf.Rect(40, 40, 555, 90), header, fontsize=11)
    columns = [
        "EXPERIENCE\nSenior Engineer, Acme Corp\nJan 2019 - Present\n- Built the billing "
        "platform.\n\nEngineer, Beta Inc.\n2016 - 2018\n- Wrote the API.",
        "EDUCATION\nBSc Computer Science\nState University\n2012 - 2016\n\n"
        "CERTIFICATIONS\nCKA, 2021",
        "SKILLS\nPython, Go, Kubernetes\n\nLANGUAGES\nEnglish, German\n\nINTERESTS\nClimbing",
    ]
    for x, text in zip((40, 220, 400), columns, strict=True):
        page.insert_textbox(pymupdf.Rect(x, 110, x + 160, 700), text, fontsize=9.5)
    footer = "References available on request - page 1 of 1"
    page.insert_textbox(pymupdf.Rect(40, 780, 555, 800), footer, fontsize=8, align=1)
    data: bytes = doc.tobytes()
    return data


def docx_resume() -> bytes:
    d = docx.Document()
    d.add_paragraph("Jane Doe")
    d.add_paragraph("Staff Engineer")
    d.add_paragraph("Austin, TX \u00b7 jane@example.com \u00b7 +1 512 555 0100")
    d.add_heading("Professional Experience", level=1)
    d.add_paragraph("Acme Corp \u2014 Senior Engineer")
    d.add_paragraph("Jan 2019 \u2013 Present")
    d.add_paragraph("\u2022 Built the billing platform.")
    d.add_paragraph("\u2022 Led the move to Kubernetes")
    row = d.add_table(rows=1, cols=3).rows[0]
    row.cells[0].text, row.cells[1].text, row.cells[2].text = (
        "Beta Labs",
        "Engineer",
        "01/2016 - 12/2018",
    )
    d.add_paragraph("- Wrote the public API.")
    d.add_heading("Education", level=1)
    row = d.add_table(rows=1, cols=2).rows[0]
    row.cells[0].text = "2012 \u2013 2016"
    row.cells[1].text = "B.S. Computer Science, University of Texas at Austin"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


TEXT_RESUME = """Max Mustermann
Frankfurt am Main, Germany
max@example.com
+49 69 1234 5678

Profil
Backend-Entwickler mit zehn Jahren Erfahrung.

Beruflicher Werdegang
Staff Engineer at Gamma GmbH
2021 \u2013 Present
* Scaled the payment service to 40 countries and
  three currencies.
März 2018 \u2013 heute
Senior Developer
Delta AG, Hamburg
\u25aa Built the shop.
Sep. 2014 - Aug. 2017 | Developer, Epsilon Labs

Ausbildung
Bachelor of Science
Informatik
Universität Hamburg, 2010 - 2014
"""

SPANISH_RESUME = """Lucía García
Madrid, España | lucia@example.es

Experiencia profesional
Desarrolladora, Telefónica (2015 - actualidad)
- Plataforma de pagos.
Ingénieur chez Thales, sept. 2012 \u2013 aujourd'hui

Formación académica
Universidad Complutense de Madrid
Grado en Ingeniería Informática, 2010 \u2013 2014
"""


def test_pdf_bold_headings_in_german(extract: Extract) -> None:
    doc = extract(german_pdf(), "lebenslauf.pdf")
    assert kinds(doc) == [
        ("CONTACT", ""),
        ("EXPERIENCE", "Berufserfahrung"),
        ("EDUCATION", "Ausbildung"),
        ("OTHER", "Ehrenamtliches Engagement"),  # found by its type alone
        ("SKILLS", "Kenntnisse"),
    ]
    assert jobs(doc) == [
        ("Softwareentwicklerin", "Acme GmbH", "März 2018", "heute"),
        ("Entwickler", "NORDWIND", "Sep. 2015", "Feb. 2018"),
    ]
    assert list(doc.experience[0].bullets) == [
        "Aufbau der Abrechnungsplattform für 2 Mio. Kunden.",
        "Einführung von Kubernetes.",
    ]
    assert studies(doc) == [("Technische Universität Berlin", "M.Sc. Informatik", "2013", "2015")]
    c = doc.contact
    assert (c.name, c.location, c.phone) == (
        "Anna Schmidt",
        "Berlin, Deutschland",
        "+49 30 1234567",
    )


def test_pdf_headings_in_a_language_without_known_names(extract: Extract) -> None:
    doc = extract(swedish_pdf(), "cv.pdf")
    # Larger bold type makes the headings; dates make experience, a university education.
    assert kinds(doc) == [
        ("CONTACT", ""),
        ("EXPERIENCE", "Arbetslivserfarenhet"),
        ("EDUCATION", "Utbildning"),
        ("OTHER", "Kompetenser"),
    ]
    assert jobs(doc) == [("Systemutvecklare", "Spotify AB", "2019", "2023")]
    assert list(doc.experience[0].bullets) == ["Byggde betalplattformen."]
    assert studies(doc) == [("Uppsala universitet", "Civilingenjör", "2014", "2019")]
    assert (doc.contact.name, doc.contact.location) == ("Erik Svensson", "Stockholm, Sverige")


def test_three_column_pdf_reads_column_by_column(extract: Extract) -> None:
    doc = extract(three_column_pdf(), "cv.pdf")
    text = doc.text
    order = ["Jane Doe", "EXPERIENCE", "Wrote the API", "EDUCATION", "CKA", "SKILLS", "Climbing"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert text.rstrip().endswith("References available on request - page 1 of 1")
    assert [k for k, _ in kinds(doc)] == [
        "CONTACT",
        "EXPERIENCE",
        "EDUCATION",
        "CERTIFICATIONS",
        "SKILLS",
        "LANGUAGES",
        "OTHER",
    ]
    assert jobs(doc) == [
        ("Senior Engineer", "Acme Corp", "Jan 2019", "Present"),
        ("Engineer", "Beta Inc.", "2016", "2018"),
    ]
    assert studies(doc) == [("State University", "BSc Computer Science", "2012", "2016")]
    assert doc.contact.location == "Austin, TX"


def test_docx_entries_and_location(extract: Extract) -> None:
    doc = extract(docx_resume(), "cv.docx")
    assert ("EXPERIENCE", "Professional Experience") in kinds(doc)
    assert jobs(doc) == [
        ("Senior Engineer", "Acme Corp", "Jan 2019", "Present"),
        ("Engineer", "Beta Labs", "01/2016", "12/2018"),
    ]
    assert list(doc.experience[0].bullets) == [
        "Built the billing platform.",
        "Led the move to Kubernetes",
    ]
    assert list(doc.experience[1].bullets) == ["Wrote the public API."]
    assert studies(doc) == [
        ("University of Texas at Austin", "B.S. Computer Science", "2012", "2016")
    ]
    assert (doc.contact.name, doc.contact.location) == ("Jane Doe", "Austin, TX")


def test_text_resume_with_mixed_layouts(extract: Extract) -> None:
    doc = extract(TEXT_RESUME.encode(), "cv.txt")
    assert [k for k, _ in kinds(doc)] == ["CONTACT", "SUMMARY", "EXPERIENCE", "EDUCATION"]
    assert jobs(doc) == [
        ("Staff Engineer", "Gamma GmbH", "2021", "Present"),
        ("Senior Developer", "Delta AG", "März 2018", "heute"),
        ("Developer", "Epsilon Labs", "Sep. 2014", "Aug. 2017"),
    ]
    assert list(doc.experience[0].bullets) == [
        "Scaled the payment service to 40 countries and three currencies."
    ]
    assert list(doc.experience[1].bullets) == ["Built the shop."]
    assert studies(doc) == [
        ("Universität Hamburg", "Bachelor of Science, Informatik", "2010", "2014")
    ]
    assert doc.contact.location == "Frankfurt am Main, Germany"


def test_spanish_and_french_dates(extract: Extract) -> None:
    doc = extract(SPANISH_RESUME.encode(), "cv.txt")
    assert [k for k, _ in kinds(doc)] == ["CONTACT", "EXPERIENCE", "EDUCATION"]
    assert jobs(doc) == [
        ("Desarrolladora", "Telefónica", "2015", "actualidad"),
        ("Ingénieur", "Thales", "sept. 2012", "aujourd'hui"),
    ]
    assert studies(doc) == [
        (
            "Universidad Complutense de Madrid",
            "Grado en Ingeniería Informática",
            "2010",
            "2014",
        )
    ]
    assert (doc.contact.name, doc.contact.location) == ("Lucía García", "Madrid, España")
