"""A resume read into what the analysis needs: its lines and bullets, the skills it names with
the lines that show them, years of experience from its date ranges, its highest degree, the
most recent title, the sections it has (in order) and which bullets carry numbers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from careervault_ai.local import aliases
from careervault_ai.local import text as tx
from careervault_ai.local.taxonomy import find_skills
from careervault_ai.provider import Resume

SECTION_HEADINGS: dict[str, str] = {}
for _kind, _names in (
    (
        "summary",
        (
            "summary",
            "profile",
            "professional summary",
            "professional profile",
            "career summary",
            "about me",
            "about",
            "objective",
            "career objective",
            "personal statement",
            "overview",
            "executive summary",
            "kurzprofil",
            "profil",
            "zusammenfassung",
        ),
    ),
    (
        "experience",
        (
            "experience",
            "work experience",
            "professional experience",
            "employment",
            "employment history",
            "work history",
            "career history",
            "relevant experience",
            "professional background",
            "career",
            "experience highlights",
            "berufserfahrung",
            "experiencia",
            "experience professionnelle",
        ),
    ),
    (
        "education",
        (
            "education",
            "academic background",
            "education and training",
            "academic qualifications",
            "qualifications",
            "studies",
            "ausbildung",
            "formation",
            "educacion",
        ),
    ),
    (
        "skills",
        (
            "skills",
            "technical skills",
            "core skills",
            "key skills",
            "core competencies",
            "competencies",
            "skills and tools",
            "skills and technologies",
            "tools and technologies",
            "technologies",
            "tech stack",
            "tools",
            "expertise",
            "areas of expertise",
            "kenntnisse",
            "competences",
        ),
    ),
    ("projects", ("projects", "personal projects", "selected projects", "side projects")),
    (
        "certifications",
        ("certifications", "certificates", "licenses and certifications", "certification"),
    ),
    ("awards", ("awards", "honors", "honours", "achievements", "awards and honors")),
    ("languages", ("languages", "spoken languages")),
    (
        "other",
        (
            "interests",
            "hobbies",
            "references",
            "volunteering",
            "volunteer experience",
            "publications",
            "activities",
            "leadership",
            "additional information",
        ),
    ),
):
    for _name in _names:
        SECTION_HEADINGS[_name] = _kind

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january", "jän", "januar", "janv"),
            ("feb", "february", "februar", "fev", "fév"),
            ("mar", "march", "mär", "märz", "mars"),
            ("apr", "april", "avr"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juil"),
            ("aug", "august", "aout", "août"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember", "déc"),
        )
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _date(p: str) -> str:
    """A date (month name or number, optional; a four-digit year), its groups prefixed `p`."""
    return (
        rf"(?:(?:(?P<{p}mon>{_MONTH_RE})\.?,?\s*|(?P<{p}num>0?[1-9]|1[0-2])\s*[/.\-]\s*)?"
        rf"(?P<{p}year>(?:19|20)\d{{2}})(?:\s*[/.\-]\s*(?P<{p}mon2>0[1-9]|1[0-2])(?!\d))?)"
    )


_NOW = r"(?P<now>present|current|currently|now|today|ongoing|date|heute|aujourd'hui|actual)"
_RANGE = re.compile(
    r"(?<![\w/])"
    + _date("a")
    + r"\s*(?:-|\u2013|\u2014|to|until|till|bis|au|à)\s*(?:"
    + _date("b")
    + "|"
    + _NOW
    + r")(?!\w)",
    re.IGNORECASE,
)
_STATED_YEARS = re.compile(
    r"(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)"
    r"\+?\s*(?:years?|yrs?)\s+(?:of\s+)?(?:[\w-]+\s+){0,3}?experience",
    re.IGNORECASE,
)
_YEAR_ONLY = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
_METRIC = re.compile(
    r"(?:\d+(?:[.,]\d+)?\s*(?:%|percent|x\b|k\b|m\b|ms\b|s\b|mb|gb|tb|hours?|h\b|days?|weeks?|"
    r"users|customers|requests|rps|qps)|[$€£¥]\s?\d|\b\d[\d,.]*\b|"
    r"\b(?:doubled|tripled|halved|quadrupled|twice|dozens?|hundreds|thousands|millions|"
    r"billions)\b)",
    re.IGNORECASE,
)
_TITLE_NOUN = re.compile(
    r"\b(?:engineer|developer|programmer|architect|scientist|analyst|designer|manager|lead|"
    r"director|consultant|specialist|administrator|technician|coordinator|officer|head|"
    r"intern|associate|representative|writer|researcher|strategist|accountant|recruiter|"
    r"marketer|sre|tester|owner|executive|assistant|founder|cto|ceo|vp|nurse|teacher)s?\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class ResumeProfile:
    lines: list[str]
    bullets: list[str]
    skills: dict[str, list[str]]
    years_experience: float | None
    education: str | None
    title: str
    sections: list[str]
    quantified: set[int]
    # Parallel to `lines`: the kind of section each line is in ("" before the first heading).
    line_sections: list[str] = field(default_factory=list)
    word_count: int = 0
    # Skills that appear only in a skills list (never in a bullet or a sentence).
    listed_only: list[str] = field(default_factory=list)
    # "N years of experience" as the resume states it (the largest such number).
    stated_years: float | None = None
    # Skills the resume shows through another one: skill -> the one named ("Deep Learning"
    # -> "PyTorch"); their evidence is the named skill's.
    implied: dict[str, str] = field(default_factory=dict)

    def section_of(self, line: str) -> str:
        try:
            return self.line_sections[self.lines.index(line)]
        except ValueError:
            return ""


def section_kind(line: str) -> str | None:
    if not tx.looks_like_heading(line):
        return None
    key = tx.heading_key(line)
    return SECTION_HEADINGS.get(key)


def _month(value: str | None, number: str | None, month2: str | None) -> int | None:
    if value:
        return _MONTHS.get(value.lower().rstrip("."))
    if number:
        return int(number)
    if month2:
        return int(month2)
    return None


def date_ranges(text: str, today: dt.date) -> list[tuple[int, int]]:
    """Month ranges (as year*12+month-1, end exclusive) of the date ranges in a text."""
    out: list[tuple[int, int]] = []
    now = today.year * 12 + today.month - 1
    for m in _RANGE.finditer(text):
        ay = int(m.group("ayear"))
        am = _month(m.group("amon"), m.group("anum"), m.group("amon2"))
        start = ay * 12 + (am or 1) - 1
        if m.group("now"):
            end = now + 1
        else:
            by = int(m.group("byear"))
            bm = _month(m.group("bmon"), m.group("bnum"), m.group("bmon2"))
            # "2019 - 2021": Jan 2019 to Jan 2021; "Mar 2019 - May 2021": through May.
            end = by * 12 + bm if bm else by * 12 + ((am or 1) - 1 if am else 0)
        if end <= start:
            end = start + 1 if end == start else start
        if end > start and end <= now + 1 and start >= 1950 * 12:
            out.append((start, end))
    return out


def has_date_range(line: str) -> bool:
    return _RANGE.search(line) is not None


def merged_years(ranges: list[tuple[int, int]]) -> float:
    total = 0
    current: tuple[int, int] | None = None
    for start, end in sorted(ranges):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += current[1] - current[0]
    return round(total / 12, 1)


def _join_wrapped(raw_lines: list[str]) -> list[tuple[str, bool]]:
    """Lines as (text, was a bullet), with lines that a PDF wrapped joined again."""
    out: list[tuple[str, bool]] = []
    for raw in raw_lines:
        if not raw.strip():
            out.append(("", False))
            continue
        bullet = tx.is_bullet(raw)
        line = tx.clean(raw)
        if not line:
            continue
        if (
            out
            and out[-1][0]
            and not bullet
            and line[:1].islower()
            and not out[-1][0].endswith((".", ":", ";", "!", "?"))
            and section_kind(out[-1][0]) is None
        ):
            prev, prev_bullet = out[-1]
            out[-1] = (f"{prev} {line}", prev_bullet)
            continue
        out.append((line, bullet))
    return out


def _title_from(line: str) -> str:
    line = _RANGE.sub("", line)
    parts = [p.strip(" ,") for p in re.split(r"\s+(?:at|@|\||-|\u2013|\u2014|·)\s+|,\s+|\t", line)]
    for part in parts:
        if part and _TITLE_NOUN.search(part) and len(part.split()) <= 8:
            return part
    return ""


def parse_resume(resume: Resume, *, today: dt.date | None = None) -> ResumeProfile:
    """Read a resume. Deterministic for a given `today` (which "Present" means)."""
    today = today or dt.date.today()
    raw_lines = resume.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    section = ""
    sections: list[str] = []
    lines: list[str] = []
    line_sections: list[str] = []
    bullets: list[str] = []
    bullet_set: set[int] = set()
    headline_title = ""
    experience_title = ""
    ranges: list[tuple[int, int]] = []
    range_lines: set[int] = set()
    for line, was_bullet in _join_wrapped(raw_lines):
        if not line:
            continue
        kind = section_kind(line)
        if kind is not None:
            section = kind
            if kind not in sections:
                sections.append(kind)
            continue
        for sentence in tx.sentences(line):
            n = len(lines)
            lines.append(sentence)
            line_sections.append(section)
            found = date_ranges(sentence, today)
            if found:
                range_lines.add(n)
                if section in {"experience", ""}:
                    ranges.extend(found)
            word_n = len(tx.words(sentence))
            if section == "" and not headline_title and n < 4 and word_n <= 10:
                headline_title = _title_from(sentence)
            if section == "experience" and not experience_title and word_n <= 14:
                experience_title = _title_from(sentence)
            if (was_bullet and word_n >= 3 and section not in {"skills", "languages"}) or (
                section in {"experience", "projects"}
                and word_n >= 6
                and not found
                and not sentence.endswith(":")
            ):
                bullet_set.add(n)
                bullets.append(sentence)
    skills: dict[str, list[str]] = {}
    in_prose: set[str] = set()
    for n, sentence in enumerate(lines):
        for hit in find_skills(sentence):
            evidence = skills.setdefault(hit.skill, [])
            if sentence not in evidence:
                evidence.append(sentence)
            if line_sections[n] not in {"skills", "certifications", "languages"} and (
                n in bullet_set or line_sections[n] in {"summary", "experience", "projects"}
            ):
                in_prose.add(hit.skill)
    for n, sentence in enumerate(lines):
        if line_sections[n] == "languages" or re.match(
            r"\s*(?:spoken )?languages?\s*:", sentence, re.I
        ):
            for word in tx.words(sentence):
                language = aliases.LANGUAGES.get(word.lower())
                if language:
                    evidence = skills.setdefault(language, [])
                    if sentence not in evidence:
                        evidence.append(sentence)
                    in_prose.add(language)
    implied: dict[str, str] = {}
    for skill in list(skills):
        for other in aliases.IMPLIES.get(skill, ()):
            if other not in skills:
                skills[other] = list(skills[skill])
                implied[other] = skill
                if skill in in_prose:
                    in_prose.add(other)
    stated = [
        float(m.group("n")) if m.group("n").isdigit() else tx.NUMBER_WORDS[m.group("n").lower()]
        for m in _STATED_YEARS.finditer(resume.text)
    ]
    stated_years = max(stated) if stated else None
    years = merged_years(ranges) if ranges else None
    if years is None and not sections:
        # No headings: take every range that is not on a line naming a degree.
        loose = [
            r
            for n in sorted(range_lines)
            if tx.education_level(lines[n]) is None
            for r in date_ranges(lines[n], today)
        ]
        years = merged_years(loose) if loose else None
    if years is None:
        years = stated_years
    edu_lines = [ln for ln, s in zip(lines, line_sections, strict=True) if s == "education"]
    education = tx.education_level("\n".join(edu_lines)) if edu_lines else None
    if education is None:
        education = tx.education_level(resume.text)
    quantified = {i for i, b in enumerate(bullets) if _quantified(b)}
    return ResumeProfile(
        lines=lines,
        bullets=bullets,
        skills=skills,
        years_experience=years,
        education=education,
        title=experience_title or headline_title,
        sections=sections,
        quantified=quantified,
        line_sections=line_sections,
        word_count=len(tx.words(resume.text)),
        listed_only=[s for s in skills if s not in in_prose and s not in implied],
        stated_years=stated_years,
        implied=implied,
    )


def _quantified(bullet: str) -> bool:
    without_years = _RANGE.sub(" ", bullet)
    without_years = _YEAR_ONLY.sub(" ", without_years)
    # A version number or a name with digits (Python 3, S3, EC2, Web3) is not a metric.
    without_years = re.sub(r"\b[A-Za-z]+\d+[A-Za-z\d]*\b|\b\d+(?:\.\d+){2,}\b", " ", without_years)
    without_years = re.sub(
        r"\b(?:python|java|php|html|css|vue|angular|es)\s*\d+(?:\.\d+)?\b",
        " ",
        without_years,
        flags=re.IGNORECASE,
    )
    return bool(_METRIC.search(without_years))
