"""Images with Pillow and tesseract: size checked before decoding, orientation, OCR."""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import pytesseract  # type: ignore[import-untyped]
from PIL import Image, ImageOps

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault.runtime.errors import InvalidArgument, ResourceExhausted
from careervault_extraction.limits import Limits

# Longest side kept for OCR: enough for 300 dpi A4; phone photos are larger than they need be.
MAX_SIDE = 3500
LANG = "eng"


class OcrTimeout(Exception):
    pass


def _too_large(pixels: int, limits: Limits) -> InvalidArgument:
    return InvalidArgument(
        f"The image has {pixels} pixels; at most {limits.max_pixels} are accepted.",
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
        except Exception:
            raise InvalidArgument("The image cannot be read.", reason="IMAGE_UNREADABLE") from None
        width, height = image.size
        if width * height > limits.max_pixels:
            raise _too_large(width * height, limits)
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            doc.warnings.append(f"The image has {frames} frames; only the first was read.")
        try:
            image.load()
            image = ImageOps.exif_transpose(image) or image
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(width * height, limits) from None
        except Exception:
            raise InvalidArgument(
                "The image is damaged and cannot be decoded.", reason="IMAGE_UNREADABLE"
            ) from None
    image = ImageOps.grayscale(image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image = ImageOps.autocontrast(image, cutoff=1)
    doc.pages = 1
    try:
        image, rotated = _upright(image, limits.ocr_timeout)
        if rotated:
            doc.warnings.append(f"The image was rotated by {rotated} degrees before reading.")
        text, confidence = ocr(image, limits.ocr_timeout)
    except OcrTimeout:
        raise ResourceExhausted(
            f"Reading the image took longer than {limits.ocr_timeout:g} s; send a smaller or "
            "clearer image.",
            reason="OCR_TIMEOUT",
        ) from None
    doc.page_info.add(number=1, method=pb.ExtractedDocument.OCR, ocr_confidence=confidence)
    if text.strip() and confidence < 60:
        doc.warnings.append(f"Low OCR confidence ({confidence:.0f}%); check the text.")
    return text


def _upright(image: Image.Image, timeout: float) -> tuple[Image.Image, int]:
    """Detects 90/180/270-degree rotation (tesseract OSD); unreadable layouts stay as they are."""
    try:
        osd: dict[str, Any] = pytesseract.image_to_osd(
            image, output_type=pytesseract.Output.DICT, timeout=timeout
        )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeout from None
        return image, 0
    except pytesseract.TesseractError:
        return image, 0
    angle = int(osd.get("rotate", 0)) % 360
    if angle == 0 or float(osd.get("orientation_conf", 0)) < 1.0:
        return image, 0
    # OSD says how far to turn clockwise; Pillow turns counter-clockwise.
    return image.rotate(-angle, expand=True, fillcolor=255), angle


def ocr(image: Image.Image, timeout: float) -> tuple[str, float]:
    """Text (lines and paragraphs kept) and the mean word confidence 0..100."""
    try:
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            image,
            lang=LANG,
            config="--psm 3",
            output_type=pytesseract.Output.DICT,
            timeout=timeout,
        )
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise OcrTimeout from None
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
    return "\n".join(lines), round(mean, 1)
