"""The extraction service's parts in-process: admission, settings, headings, reading order."""

from __future__ import annotations

import asyncio
import time

import pytest

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import ResourceExhausted
from careervault_extraction.limits import Limits
from careervault_extraction.pdf import reading_order
from careervault_extraction.sections import heading_kind, outline
from careervault_extraction.servicer import WorkerPool
from careervault_extraction.settings import ExtractionSettings

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
