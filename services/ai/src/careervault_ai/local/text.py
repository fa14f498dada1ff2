"""Text helpers shared by the job and resume parsers: lines, bullets, sentences, headings,
numbers, education levels."""

from __future__ import annotations

import re
import unicodedata

BULLET = re.compile(r"^\s*(?:[-*•·▪◦●○■□►▶➤✓✔\u2013\u2014>]+|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
WORD = re.compile(r"[^\W_]+(?:[.'+#-][^\W_]+)*[+#]*")

NUMBER_WORDS: dict[str, float] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}

# Ordered lowest to highest.
EDUCATION_LEVELS: tuple[str, ...] = ("associate", "bachelor", "master", "phd")
_EDUCATION_PATTERNS: dict[str, re.Pattern[str]] = {
    "phd": re.compile(
        r"\b(?:ph\.?\s?d|doctorate|doctoral|doctor of|d\.?phil|dr\.\s?rer)\b", re.IGNORECASE
    ),
    "master": re.compile(
        r"\b(?:master'?s?|m\.?sc|m\.?s\.|ms\b(?=\s*/|\s+(?:in|degree|of))|m\.?eng|mba|m\.?a\.|"
        r"ma\b(?=\s+(?:in|of))|msc|meng|postgraduate|graduate degree|advanced degree|"
        r"diplom-?ingenieur)\b",
        re.IGNORECASE,
    ),
    "bachelor": re.compile(
        r"\b(?:bachelor'?s?|b\.?sc|bsc|b\.?s\.|bs\b(?=\s*/|\s+(?:in|degree|of))|b\.?eng|beng|"
        r"b\.?a\.|ba\b(?=\s+(?:in|of))|b\.?tech|btech|undergraduate degree|university degree|"
        r"college degree|4-year degree|four-year degree)",
        re.IGNORECASE,
    ),
    "associate": re.compile(r"\bassociate'?s? degree\b", re.IGNORECASE),
}
# Degree abbreviations written in capitals ("BA Communications", "MS Statistics"); not "MS
# Excel" (Microsoft).
_NOT_MICROSOFT = (
    r"(?!\s*(?:Excel|Office|Word|Teams|SQL|Project|Access|Dynamics|Azure|Visio|PowerPoint|"
    r"Outlook|Windows|&))"
)
_CASED_DEGREES: dict[str, re.Pattern[str]] = {
    "phd": re.compile(r"\b(?:PhD|PHD|DPhil)\b"),
    "master": re.compile(r"\b(?:MA|MS|MSc|MBA|MEng|MPhil|MFA|MPH)\b" + _NOT_MICROSOFT),
    "bachelor": re.compile(r"\b(?:BA|BS|AB|BSc|BEng|BBA|BFA|BCom)\b" + _NOT_MICROSOFT),
}
_DEGREE = re.compile(r"\bdegree\b", re.IGNORECASE)


def _names_level(level: str, text: str) -> bool:
    cased = _CASED_DEGREES.get(level)
    return bool(_EDUCATION_PATTERNS[level].search(text) or (cased and cased.search(text)))


def clean(line: str) -> str:
    """A line without its bullet mark and with normalised spaces."""
    line = unicodedata.normalize("NFKC", line)
    line = BULLET.sub("", line, count=1)
    return _SPACES.sub(" ", line).strip()


def is_bullet(raw: str) -> bool:
    return bool(BULLET.match(raw))


def sentences(line: str, limit: int = 300) -> list[str]:
    """A long line split into sentences; short lines stay whole."""
    if len(line) <= limit:
        return [line]
    return [s.strip() for s in _SENTENCE_SPLIT.split(line) if s.strip()]


def words(text: str) -> list[str]:
    return WORD.findall(text)


def heading_key(line: str) -> str:
    """A line as a candidate heading: lower case, no accents, no trailing colon or marks."""
    text = unicodedata.normalize("NFKD", line)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[:\uff1a\-\u2013\u2014_=*#|]+\s*$", "", text.strip())
    text = re.sub(r"^[#*=\-\s]+", "", text)
    text = text.replace("&", "and")
    return re.sub(r"\s+", " ", text).strip().lower()


def looks_like_heading(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 60 or stripped.endswith((".", ",", ";")):
        return False
    return len(stripped.split()) <= 7


def education_level(text: str) -> str | None:
    """The highest education level named in `text`."""
    for level in reversed(EDUCATION_LEVELS):
        if _names_level(level, text):
            return level
    return None


def lowest_education_level(text: str) -> str | None:
    """The lowest level named (a job asking "BS/MS" asks for a bachelor's)."""
    for level in EDUCATION_LEVELS:
        if _names_level(level, text):
            return level
    if _DEGREE.search(text):
        return "bachelor"
    return None


def education_rank(level: str | None) -> int:
    return EDUCATION_LEVELS.index(level) + 1 if level in EDUCATION_LEVELS else 0
