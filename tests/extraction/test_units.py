"""The extraction service's parts in-process: admission, settings, headings, reading order,
dates, entries, location, headings by their type."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import ResourceExhausted
from careervault_extraction.entries import education_entries, experience_entries, find_dates
from careervault_extraction.limits import Limits
from careervault_extraction.pdf import page_layout, reading_order
from careervault_extraction.sections import heading_kind, outline
from careervault_extraction.servicer import WorkerPool
from careervault_extraction.settings import ExtractionSettings
from careervault_extraction.typography import StyledLine, heading_lines

K = pb.Section


async def test_full_queue_is_refused_at_once() -> None:
    pool = WorkerPool(workers=1, queue=1)
    try:
        text = ("EXPERIENCE\nAcme\n" * 2000).encode()
        started = time.monotonic()
        results = await asyncio.gather(
            *(pool.run(text, "cv.txt", "", Limits()) for _ in range(3)),
            return_exceptions=True,
        )
        busy = [r for r in results if isinstance(r, ResourceExhausted)]
        assert len(busy) == 1 and busy[0].reason == "EXTRACTION_BUSY"
        assert sum(isinstance(r, bytes) for r in results) == 2
        assert time.monotonic() - started < 30
        assert pool.in_flight == 0
    finally:
        pool.close()


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_MAX_PAGES", "5")
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_WORKERS", "3")
    monkeypatch.setenv("CAREERVAULT_EXTRACTION_OCR_TIMEOUT", "2.5")
    s = ExtractionSettings()
    assert s.port == 50053 and s.limits.max_pages == 5 and s.limits.ocr_timeout == 2.5
    assert s.queue_size == 6
    assert s.limits.max_bytes == 10 * 1024 * 1024 and s.limits.max_pixels == 40_000_000


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Work Experience", K.EXPERIENCE),
        ("BERUFSERFAHRUNG", K.EXPERIENCE),
        ("Expérience professionnelle", K.EXPERIENCE),
        ("Experiencia laboral:", K.EXPERIENCE),
        ("Ausbildung", K.EDUCATION),
        ("Formation", K.EDUCATION),
        ("Compétences", K.SKILLS),
        ("Kenntnisse", K.SKILLS),
        ("## Projects", K.PROJECTS),
        ("Sprachkenntnisse", K.LANGUAGES),
        ("VOLUNTEER WORK", K.OTHER),
        ("I have experience with Python.", None),
        ("Senior Engineer, Acme 2019", None),
    ],
)
def test_headings(line: str, kind: int | None) -> None:
    assert heading_kind(line, "content") == kind


def test_outline_offsets_and_contact() -> None:
    text = (
        "JANE DOE\nBerlin · jane@example.com · +49 30 1234567\n"
        "github.com/jane · https://jane.dev\n\nBerufserfahrung\nEntwicklerin, Acme\n"
        "2019 - 2023\n\nAusbildung\nTU Berlin"
    )
    doc = pb.ExtractedDocument()
    outline(text, doc)
    assert [s.kind for s in doc.sections] == [K.CONTACT, K.EXPERIENCE, K.EDUCATION]
    for s in doc.sections:
        assert text[s.start_offset : s.end_offset].strip().startswith(s.title or "JANE")
    assert doc.sections[1].text == "Entwicklerin, Acme\n2019 - 2023"
    c = doc.contact
    assert (c.name, c.email, c.phone) == ("JANE DOE", "jane@example.com", "+49 30 1234567")
    assert c.github_url == "https://github.com/jane" and list(c.links) == ["https://jane.dev"]


def test_two_columns_with_a_full_width_header_and_footer() -> None:
    blocks = [
        (50.0, 40.0, 550.0, 60.0, "header"),
        (50.0, 100.0, 280.0, 120.0, "L1"),
        (320.0, 100.0, 550.0, 120.0, "R1"),
        (50.0, 130.0, 280.0, 150.0, "L2"),
        (320.0, 140.0, 550.0, 160.0, "R2"),
        (50.0, 700.0, 550.0, 720.0, "footer"),
    ]
    order = [b[4] for b in reading_order(blocks, 600.0)]
    assert order == ["header", "L1", "L2", "R1", "R2", "footer"]


# --- reading order beyond two columns -------------------------------------------------------


def test_three_columns_between_a_header_and_a_footer() -> None:
    blocks = [
        (40.0, 40.0, 310.0, 70.0, "header\njane@example.com"),
        (400.0, 110.0, 500.0, 140.0, "C1\nSKILLS"),
        (40.0, 110.0, 160.0, 165.0, "A1\nEXPERIENCE"),
        (220.0, 110.0, 318.0, 165.0, "B1\nEDUCATION"),
        (400.0, 150.0, 470.0, 180.0, "C2\nLANGUAGES"),
        (220.0, 180.0, 300.0, 205.0, "B2\nCERTIFICATIONS"),
        (40.0, 180.0, 120.0, 220.0, "A2\nEngineer, Beta"),
        (217.0, 780.0, 378.0, 790.0, "footer"),  # centred: crosses one gap only
    ]
    order = [b[4].split("\n")[0] for b in reading_order(blocks, 595.0)]
    assert order == ["header", "A1", "A2", "B1", "B2", "C1", "C2", "footer"]


def test_a_narrow_sidebar_is_a_column() -> None:
    blocks = [
        (30.0, 40.0, 560.0, 70.0, "name"),
        (30.0, 100.0, 170.0, 160.0, "contact"),
        (200.0, 100.0, 560.0, 220.0, "experience"),
        (30.0, 180.0, 165.0, 260.0, "skills"),
        (200.0, 240.0, 560.0, 330.0, "education"),
    ]
    order = [b[4] for b in reading_order(blocks, 595.0)]
    assert order == ["name", "contact", "skills", "experience", "education"]


def test_dates_beside_jobs_are_rows_not_columns() -> None:
    blocks = [
        (72.0, 100.0, 160.0, 112.0, "2019 - 2023"),
        (200.0, 100.0, 540.0, 150.0, "Senior Engineer, Acme\nBuilt things."),
        (72.0, 170.0, 160.0, 182.0, "2015 - 2019"),
        (200.0, 170.0, 540.0, 220.0, "Engineer, Beta\nBuilt more."),
    ]
    order = [b[4][:4] for b in reading_order(blocks, 612.0)]
    assert order == ["2019", "Seni", "2015", "Engi"]


# --- dates and entries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "start", "end", "rest"),
    [
        ("2019 - 2023", "2019", "2023", ""),
        ("Jan 2019 \u2013 Present", "Jan 2019", "Present", ""),
        ("01/2019 - 12/2022", "01/2019", "12/2022", ""),
        ("März 2018 \u2013 heute", "März 2018", "heute", ""),
        ("Sep. 2017 - Aug. 2019", "Sep. 2017", "Aug. 2019", ""),
        ("janv. 2020 \u2013 aujourd'hui", "janv. 2020", "aujourd'hui", ""),
        ("de 2015 a 2019", "2015", "2019", ""),
        ("von 2010 bis 2014", "2010", "2014", ""),
        ("2019-01 \u2013 2020-06", "2019-01", "2020-06", ""),
        ("Jan 2019 \u2013 Present \u00b7 4 yrs 2 mos", "Jan 2019", "Present", ""),
        ("Senior Engineer | Acme | 2019 - 2023", "2019", "2023", "Senior Engineer | Acme"),
        ("Ingeniero (2015 - actualidad)", "2015", "actualidad", "Ingeniero"),
        ("Trainerin, seit 2016", "2016", "", "Trainerin"),
    ],
)
def test_dates(line: str, start: str, end: str, rest: str) -> None:
    found = find_dates(line)
    assert found is not None
    assert (found.start, found.end, found.rest) == (start, end, rest)


def test_no_dates_in_a_phone_number_or_a_plain_line() -> None:
    assert find_dates("Senior Engineer, Acme Corp") is None
    assert find_dates("+49 30 1234567") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Senior Engineer, Acme Corp\n2019 - 2023", [("Senior Engineer", "Acme Corp")]),
        ("Senior Engineer at Acme Corp | 2019 - 2023", [("Senior Engineer", "Acme Corp")]),
        ("Acme Corp \u2014 Senior Engineer\n2019 - 2023", [("Senior Engineer", "Acme Corp")]),
        ("Google\nSoftware Engineer\n2019 - 2023", [("Software Engineer", "Google")]),
        ("Entwicklerin bei Acme GmbH, 03/2018 \u2013 heute", [("Entwicklerin", "Acme GmbH")]),
        (
            "Senior Engineer\nAcme Corp, Berlin, Germany\n2019 - 2023",
            [("Senior Engineer", "Acme Corp")],
        ),
        (
            # No bullets: the dates cut the entries (dates after the head)...
            "Senior Engineer\nAcme Corp\n2019 - 2023\nEngineer\nBeta Inc.\n2017 - 2019",
            [("Senior Engineer", "Acme Corp"), ("Engineer", "Beta Inc.")],
        ),
        (
            # ...or dates first.
            "2019 - 2023\nSenior Engineer\nAcme Corp\n2017 - 2019\nEngineer\nBeta Inc.",
            [("Senior Engineer", "Acme Corp"), ("Engineer", "Beta Inc.")],
        ),
        (
            "Senior Engineer      Jan 2019 \u2013 Present\nAcme Corp, San Francisco, CA\n"
            "Engineer      Jun 2016 \u2013 Dec 2018\nBeta Inc., Austin, TX",
            [("Senior Engineer", "Acme Corp"), ("Engineer", "Beta Inc.")],
        ),
    ],
)
def test_experience_layouts(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(e.title, e.company) for e in experience_entries(text)] == expected


def test_experience_bullets_and_continuations() -> None:
    text = (
        "Senior Engineer, Acme Corp\nJan 2019 \u2013 Present\n"
        "\u2022 Built the billing platform that handles\npayments for 2M users.\n"
        "\u25aa Led five engineers\n"
        "Cut costs by 30% through better caching.\n"
        "\u2022\nMoved to Kubernetes.\n"  # a bullet sign alone on its line (PDFs)
        "Staff Engineer, Beta GmbH\n01/2017 - 12/2018\n* Wrote the API"
    )
    first, second = experience_entries(text)
    assert list(first.bullets) == [
        "Built the billing platform that handles payments for 2M users.",
        "Led five engineers",
        "Cut costs by 30% through better caching.",
        "Moved to Kubernetes.",
    ]
    assert (second.title, second.start_date, second.end_date) == (
        "Staff Engineer",
        "01/2017",
        "12/2018",
    )
    assert list(second.bullets) == ["Wrote the API"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "BSc Computer Science\nState University, 2015 - 2019",
            [("State University", "BSc Computer Science", "2015", "2019")],
        ),
        (
            "Technische Universität München\nM.Sc. Informatik, 2016 \u2013 2018\n"
            "Hochschule München\nB.Sc. Informatik, 2013 \u2013 2016",
            [
                ("Technische Universität München", "M.Sc. Informatik", "2016", "2018"),
                ("Hochschule München", "B.Sc. Informatik", "2013", "2016"),
            ],
        ),
        (
            "Bachelor of Science\nComputer Science\nHarvard University, Cambridge, MA\n"
            "May 2019\nGPA: 3.9",
            [("Harvard University", "Bachelor of Science, Computer Science", "", "May 2019")],
        ),
        (
            "École Polytechnique \u2014 Diplôme d'ingénieur (2012 - 2015)",
            [("École Polytechnique", "Diplôme d'ingénieur", "2012", "2015")],
        ),
        ("MIT\nPhD in Physics\n2015 - 2020", [("MIT", "PhD in Physics", "2015", "2020")]),
    ],
)
def test_education(text: str, expected: list[tuple[str, str, str, str]]) -> None:
    found = [(e.school, e.degree, e.start_date, e.end_date) for e in education_entries(text)]
    assert found == expected


# --- contact location -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "location"),
    [
        ("Jane Doe\nSan Francisco, CA 94103\njane@example.com", "San Francisco, CA"),
        ("Jane Doe\njane@example.com | Hamburg | +49 40 1234567", "Hamburg"),
        ("Jane Doe\njane@example.com | Springfield | +1 217 555 0100", "Springfield"),
        ("Jane Doe\nMusterstraße 12, 10115 Berlin\njane@example.com", "Berlin"),
        ("Jane Doe\nLocation: Lyon\njane@example.com", "Lyon"),
        ("Jane Doe\nSenior Engineer | Berlin, Germany\njane@example.com", "Berlin, Germany"),
        # Not a place: a company line, a headline.
        ("Jane Doe\nAcme Corp, Germany\njane@example.com", ""),
        ("Jane Doe\nSenior Engineer, Backend\njane@example.com", ""),
        ("Jane Doe\nSenior Engineer | Python\nFreelance", ""),
    ],
)
def test_location(top: str, location: str) -> None:
    doc = pb.ExtractedDocument()
    outline(f"{top}\n\nExperience\nEngineer, Acme Corp\nParis, France\n2019 - 2023", doc)
    assert doc.contact.location == location
    assert doc.contact.name == "Jane Doe"


# --- headings by their type -----------------------------------------------------------------


def styled(text: str, size: float = 13, bold: bool = True, color: int = 0) -> StyledLine:
    caps = text.isupper()
    return StyledLine(text, size, bold, caps, color, 10.5)


def known(text: str) -> bool:
    return heading_kind(text, "x") not in (None, K.OTHER)


def test_the_style_of_known_headings_makes_unknown_lines_headings() -> None:
    lines = [
        styled("Jane Doe", 22),
        styled("Experience"),
        styled("Ehrenamt & Sport"),
        styled("Skills"),
    ]
    assert heading_lines(lines, known) == {"Experience", "Ehrenamt & Sport", "Skills"}


def test_a_style_shared_with_job_titles_is_not_a_heading_style() -> None:
    lines = [styled(t, 10.5) for t in ("Experience", "Engineer", "Developer", "Acme", "Beta")]
    assert heading_lines(lines, known) == set()


def test_without_known_headings_the_larger_style_is_taken() -> None:
    lines = [styled("Erik Svensson", 20), styled("Arbetslivserfarenhet"), styled("Utbildning")]
    lines.append(styled("Systemutvecklare", 10.5))
    assert heading_lines(lines, known) == {"Arbetslivserfarenhet", "Utbildning"}


def test_outline_with_typography() -> None:
    text = (
        "ERIK SVENSSON\nerik@example.se\n\nArbetslivserfarenhet\nNORDWIND\nDeveloper\n"
        "2019 - 2023\n\nKompetenser\nPython"
    )
    lines = [styled("ERIK SVENSSON", 20), styled("Arbetslivserfarenhet"), styled("Kompetenser")]
    doc = pb.ExtractedDocument()
    outline(text, doc, lines)
    # The capitals of NORDWIND are not the heading style; the name on top is no heading.
    assert [(s.kind, s.title) for s in doc.sections] == [
        (K.CONTACT, ""),
        (K.EXPERIENCE, "Arbetslivserfarenhet"),
        (K.OTHER, "Kompetenser"),
    ]
    assert [(e.title, e.company) for e in doc.experience] == [("Developer", "NORDWIND")]


def test_page_layout_notes_bold_and_large_lines() -> None:
    import pymupdf as _pymupdf

    pymupdf: Any = _pymupdf  # PyMuPDF 1.x is only partly annotated
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((72, 72), "Anna Schmidt", fontsize=22, fontname="hebo")
    page.insert_text((72, 110), "Berufserfahrung", fontsize=10, fontname="hebo")
    page.insert_text((72, 130), "Entwicklerin bei Acme GmbH, seit 2018", fontsize=10)
    page.insert_text((72, 150), "Ausbildung", fontsize=12)
    page.insert_text(
        (72, 170), "Technische Universität Berlin und viele weitere Wörter", fontsize=10
    )
    blocks, lines = page_layout(page.get_text("dict", sort=True))
    assert "Entwicklerin bei Acme GmbH, seit 2018" in "\n".join(b[4] for b in blocks)
    assert [(s.text, s.bold, s.size, s.body) for s in lines] == [
        ("Anna Schmidt", True, 22.0, 10.0),
        ("Berufserfahrung", True, 10.0, 10.0),
        ("Ausbildung", False, 12.0, 10.0),
    ]
