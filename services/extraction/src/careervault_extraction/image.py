"""Images with Pillow and tesseract: size checked before decoding, orientation, OCR.

A multi-page TIFF is read frame by frame (each frame's size is checked before it is decoded),
one page each. Every OCR call is bounded by the page's own timeout and by what is left of the
document's OCR budget (`Limits.ocr_deadline`), whichever comes first.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytesseract  # type: ignore[import-untyped]
from PIL import Image, ImageOps

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import InvalidArgument
from careervault_extraction.limits import Limits

# Longest side kept for OCR: enough for 300 dpi A4; phone photos are larger than they need be.
MAX_SIDE = 3500
# Less time than this left is not worth starting tesseract for.
MIN_CALL_SECONDS = 0.5
# The start of the one warning a document gets when its OCR budget runs out.
BUDGET_SPENT = "The OCR time for this document ran out"


class OcrTimeout(Exception):
    """OCR ran out of time; `budget` when it was the document's budget, not the page's."""

    def __init__(self, budget: bool = False) -> None:
        super().__init__("OCR timeout")
        self.budget = budget


def never() -> bool:
    return False


# Whether the caller of the document being read has gone; set per document by the worker
# (worker.extract). OCR then stops before its next tesseract call, as when its time is spent.
abandoned: Callable[[], bool] = never


def page_deadline(limits: Limits) -> float:
    """When OCR of the page starting now must stop: its own timeout, or the document's
    deadline if that comes first."""
    deadline = time.monotonic() + limits.ocr_timeout
    if limits.ocr_deadline is not None:
        deadline = min(deadline, limits.ocr_deadline)
    return deadline


def call_timeout(deadline: float, limits: Limits) -> float:
    """Seconds one tesseract call may take; OcrTimeout when too little is left to start."""
    if abandoned():
        raise OcrTimeout(budget=True)
    left = deadline - time.monotonic()
    if left < MIN_CALL_SECONDS:
        raise OcrTimeout(_budget_bound(deadline, limits))
    return left


def _budget_bound(deadline: float, limits: Limits) -> bool:
    return limits.ocr_deadline is not None and deadline >= limits.ocr_deadline


def skipped(
    doc: pb.ExtractedDocument, info: pb.PageInfo, exc: OcrTimeout, limits: Limits, label: str
) -> None:
    """Marks a page as not read for lack of time, with one warning for the budget (the first
    page it stopped) or one per page for the page's own timeout."""
    info.method = pb.ExtractedDocument.OCR_TIMED_OUT
    if not exc.budget:
        doc.warnings.append(
            f"{label}: OCR took longer than {limits.ocr_timeout:g} s and was skipped."
        )
    elif not any(w.startswith(BUDGET_SPENT) for w in doc.warnings):
        doc.warnings.append(
            f"{BUDGET_SPENT} ({limits.ocr_document_timeout:g} s at most): {label.lower()} "
            "and the scanned pages after it were not read."
        )


def _too_large(pixels: int, limits: Limits, frame: int = 0) -> InvalidArgument:
    where = f" (frame {frame})" if frame else ""
    return InvalidArgument(
        f"The image{where} has {pixels} pixels; at most {limits.max_pixels} are accepted.",
        reason="IMAGE_TOO_LARGE",
        metadata={"max_pixels": str(limits.max_pixels)},
    )


def read_image(data: bytes, limits: Limits, doc: pb.ExtractedDocument) -> str:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Image.Image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(0, limits) from None
        except MemoryError:
            raise
        except Exception:
            raise InvalidArgument("The image cannot be read.", reason="IMAGE_UNREADABLE") from None
        frames = _frames(image, limits, doc)
        doc.pages = frames
        texts: list[str] = []
        for index in range(frames):
            info = doc.page_info.add(number=index + 1, method=pb.ExtractedDocument.OCR)
            label = f"Page {index + 1}" if frames > 1 else "The image"
            try:
                deadline = page_deadline(limits)
                call_timeout(deadline, limits)  # no decoding when the time is spent
                frame = _decode(image, index, frames, limits)
                try:
                    text = _read_frame(frame, limits, deadline, doc, info, label)
                finally:
                    frame.close()
            except OcrTimeout as exc:
                skipped(doc, info, exc, limits, label)
                continue
            texts.append(text.strip())
    return "\n\n".join(t for t in texts if t)


def _frames(image: Image.Image, limits: Limits, doc: pb.ExtractedDocument) -> int:
    """How many frames are read: every frame of a TIFF (at most max_pages), else the first.
    Frames are counted by seeking, which reads their headers only."""
    if image.format != "TIFF":
        frames = int(getattr(image, "n_frames", 1))
        if frames > 1:
            doc.warnings.append(f"The image has {frames} frames; only the first was read.")
        return 1
    count = 1
    while True:
        try:
            image.seek(count)
        except EOFError:
            break
        except MemoryError:
            raise
        except Exception:
            doc.warnings.append(
                f"The TIFF is damaged after page {count}; the pages after it were not read."
            )
            break
        count += 1
        if count > limits.max_pages:
            raise InvalidArgument(
                f"The TIFF has more than {limits.max_pages} pages; at most {limits.max_pages} "
                "are accepted.",
                reason="TOO_MANY_PAGES",
                metadata={"max_pages": str(limits.max_pages)},
            )
    image.seek(0)
    return count


def _decode(image: Image.Image, index: int, frames: int, limits: Limits) -> Image.Image:
    """Frame `index`, upright by its EXIF orientation, decoded only after its size passed."""
    frame_no = index + 1 if frames > 1 else 0
    try:
        image.seek(index)
    except MemoryError:
        raise
    except Exception:
        raise InvalidArgument(
            "The image is damaged and cannot be decoded.", reason="IMAGE_UNREADABLE"
        ) from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise _too_large(width * height, limits, frame_no)
    try:
        image.load()
        # A copy of a TIFF frame (the file object moves on); a single image is turned in
        # place, not copied (a 40 MP photo is 160 MB decoded).
        frame = image.copy() if frames > 1 else image
        ImageOps.exif_transpose(frame, in_place=True)
        return frame
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(width * height, limits, frame_no) from None
    except MemoryError:
        raise
    except Exception:
        raise InvalidArgument(
            "The image is damaged and cannot be decoded.", reason="IMAGE_UNREADABLE"
        ) from None


def _read_frame(
    image: Image.Image,
    limits: Limits,
    deadline: float,
    doc: pb.ExtractedDocument,
    info: pb.PageInfo,
    label: str,
) -> str:
    image = ImageOps.grayscale(image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image = ImageOps.autocontrast(image, cutoff=1)
    text, confidence, rotated = ocr(image, limits, deadline)
    if rotated:
        where = "" if label == "The image" else f" ({label.lower()})"
        doc.warnings.append(f"The image{where} was rotated by {rotated} degrees before reading.")
    info.ocr_confidence = confidence
    if text.strip() and confidence < 60:
        prefix = "Low" if label == "The image" else f"{label}: low"
        doc.warnings.append(f"{prefix} OCR confidence ({confidence:.0f}%); check the text.")
    return text


def _tesseract_failed(exc: Exception) -> Exception:
    """Tesseract out of memory (the worker's limit applies to it too) is a MemoryError."""
    status = getattr(exc, "status", 0)
    if "bad_alloc" in str(exc) or status in (-9, 137):
        return MemoryError("tesseract ran out of memory")
    return exc


def ocr(image: Image.Image, limits: Limits, deadline: float) -> tuple[str, float, int]:
    """Text (lines and paragraphs kept), the mean word confidence 0..100, and how far the page
    was turned (0, 90, 180 or 270 degrees clockwise), in the configured languages; OcrTimeout
    when `deadline` (see page_deadline) comes first.

    One tesseract run with orientation detection (`--psm 1`) reads a page in any of the four
    orientations: about 1.5 s a page here, where a separate OSD run and then `--psm 3` took
    2.2 s (tesseract's start-up and model load are paid once, not twice)."""
    try:
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            image,
            lang=limits.ocr_languages,
            config="--psm 1",
            output_type=pytesseract.Output.DICT,
            timeout=call_timeout(deadline, limits),
        )
    except pytesseract.TesseractError as exc:
        raise _tesseract_failed(exc) from None
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeout(_budget_bound(deadline, limits)) from None
        raise
    lines: list[str] = []
    current: list[str] = []
    key: tuple[int, int, int] | None = None
    last_par: tuple[int, int] | None = None
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not str(word).strip():
            continue
        confidences.append(conf)
        k = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        if k != key:
            if current:
                lines.append(" ".join(current))
            if last_par is not None and k[:2] != last_par:
                lines.append("")
            current, key, last_par = [], k, k[:2]
        current.append(str(word))
    if current:
        lines.append(" ".join(current))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return "\n".join(lines), round(mean, 1), _turned(data)


def _turned(data: dict[str, list[Any]]) -> int:
    """How far the page was turned, from the direction its lines run in the image: word
    boxes in TSV are in the image's own coordinates, and within a line tesseract lists the
    words in reading order. Left to right is 0; bottom to top means the page lies turned 90
    degrees counter-clockwise, so it was turned 90 degrees clockwise to read it; and so on."""
    votes = {0: 0, 90: 0, 180: 0, 270: 0}
    first: dict[tuple[int, int, int], tuple[float, float]] = {}
    last: dict[tuple[int, int, int], tuple[float, float]] = {}
    for i, word in enumerate(data["text"]):
        if float(data["conf"][i]) < 0 or not str(word).strip():
            continue
        k = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        centre = (
            float(data["left"][i]) + float(data["width"][i]) / 2,
            float(data["top"][i]) + float(data["height"][i]) / 2,
        )
        first.setdefault(k, centre)
        last[k] = centre
    for k, (x0, y0) in first.items():
        dx, dy = last[k][0] - x0, last[k][1] - y0
        if dx == dy == 0:
            continue
        if abs(dx) >= abs(dy):
            votes[0 if dx > 0 else 180] += 1
        else:
            votes[90 if dy < 0 else 270] += 1
    angle = max(votes, key=lambda a: (votes[a], a == 0))
    return angle if votes[angle] > votes[0] else 0
