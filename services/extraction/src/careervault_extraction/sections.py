"""The outline of a resume: sections by their headings, contact details, and the entries of
the experience and education sections (entries.py).

A heading is a short line (at most six words, no final period, no digits) that

- matches a known heading in English, German, French, Spanish, Italian or Dutch; or
- in a PDF, is set in the document's heading style (typography.py: bold or larger type, the
  style the known headings wear), in any language; or
- is written in capitals and followed by content, unless the PDF's typography knows better
  (a line in capitals that is not in the heading style is a company or a name, not a heading).

Before the first known heading, lines found only by their capitals or their type are the
name and the headline, not headings. A section under a heading of unknown name whose body
holds date ranges is taken for experience, or education when it names schools or degrees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault_extraction import entries, typography
from careervault_extraction.places import place
from careervault_extraction.typography import StyledLine

K = pb.Section
_HEADINGS: dict[pb.Section.Kind.ValueType, tuple[str, ...]] = {
    K.EXPERIENCE: (
        "experience",
        "work experience",
        "professional experience",
        "employment",
        "employment history",
        "work history",
        "career history",
        "relevant experience",
        "career",
        "berufserfahrung",
        "berufliche erfahrung",
        "beruflicher werdegang",
        "werdegang",
        "praxiserfahrung",
        "experience professionnelle",
        "experiences professionnelles",
        "parcours professionnel",
        "experiencia",
        "experiencia laboral",
        "experiencia profesional",
        "esperienza",
        "esperienze lavorative",
        "esperienza professionale",
        "werkervaring",
        "ervaring",
    ),
    K.EDUCATION: (
        "education",
        "academic background",
        "education and training",
        "qualifications",
        "ausbildung",
        "bildung",
        "bildungsweg",
        "studium",
        "schulbildung",
        "akademischer werdegang",
        "formation",
        "formations",
        "education et formation",
        "educacion",
        "formacion",
        "formacion academica",
        "istruzione",
        "formazione",
        "istruzione e formazione",
        "opleiding",
        "opleidingen",
    ),
    K.SKILLS: (
        "skills",
        "technical skills",
        "core competencies",
        "competencies",
        "key skills",
        "skills and tools",
        "technologies",
        "tools",
        "kenntnisse",
        "fahigkeiten",
        "fachkenntnisse",
        "kompetenzen",
        "it-kenntnisse",
        "edv-kenntnisse",
        "competences",
        "competences techniques",
        "habilidades",
        "competencias",
        "conocimientos",
        "competenze",
        "vaardigheden",
    ),
    K.SUMMARY: (
        "summary",
        "profile",
        "professional summary",
        "about me",
        "about",
        "objective",
        "career objective",
        "profil",
        "kurzprofil",
        "zusammenfassung",
        "uber mich",
        "resume",
        "a propos",
        "perfil",
        "resumen",
        "sobre mi",
        "profilo",
        "sommario",
        "profiel",
        "samenvatting",
    ),
    K.PROJECTS: (
        "projects",
        "personal projects",
        "selected projects",
        "projekte",
        "projets",
        "proyectos",
        "progetti",
        "projecten",
    ),
    K.CERTIFICATIONS: (
        "certifications",
        "certificates",
        "licenses and certifications",
        "zertifikate",
        "zertifizierungen",
        "certificats",
        "certificaciones",
        "certificazioni",
        "certificaten",
    ),
    K.AWARDS: (
        "awards",
        "honors",
        "honours",
        "achievements",
        "awards and honors",
        "auszeichnungen",
        "distinctions",
        "prix",
        "premios",
        "premi",
        "prijzen",
    ),
    K.LANGUAGES: (
        "languages",
        "sprachen",
        "sprachkenntnisse",
        "langues",
        "idiomas",
        "lingue",
        "talen",
    ),
    K.CONTACT: (
        "contact",
        "contact information",
        "contact details",
        "kontakt",
        "kontaktdaten",
        "coordonnees",
        "contacto",
        "contatti",
    ),
    K.OTHER: (
        "interests",
        "hobbies",
        "references",
        "volunteering",
        "volunteer experience",
        "publications",
        "activities",
        "interessen",
        "hobbys",
        "referenzen",
        "ehrenamt",
        "centres d'interet",
        "loisirs",
        "intereses",
        "interessi",
        "publikationen",
    ),
}
_BY_NAME = {name: kind for kind, names in _HEADINGS.items() for name in names}

# The lookbehind keeps a failed search linear: a match starts where a run of name characters
# starts, not at every character of a long run with no "@" after it.
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().\-/]{6,}\d(?!\w)")
LINKEDIN = re.compile(
    r"(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/(?:in|pub)/[\w%\-]+/?", re.IGNORECASE
)
GITHUB = re.compile(r"(?:https?://)?(?:www\.)?github\.com/[\w\-]+/?", re.IGNORECASE)
URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"'|,;]+", re.IGNORECASE)
DATE_RANGE = re.compile(r"^\(?\d{1,2}[./]?\d{4}\s*[-\u2013/]|^\d{4}\s*[-\u2013]\s*\d{4}$")


def _normalize(line: str) -> str:
    plain = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^a-zA-Z' &-]+", " ", plain).replace("&", "and")
    return re.sub(r"\s+", " ", plain).strip().lower()


def _bare(line: str) -> str:
    return line.strip().strip("#*_ ").rstrip(":").strip()


_NOT_IN_HEADINGS = re.compile(r"[\d@]|\.$")


def _heading_shape(stripped: str) -> bool:
    """At most 40 characters and six words, no digits, no "@", no closing period."""
    if not stripped or len(stripped) > 40 or stripped.count(" ") > 20:
        return False
    return len(stripped.split()) <= 6 and not _NOT_IN_HEADINGS.search(stripped)


def known_heading(line: str) -> pb.Section.Kind.ValueType | None:
    """The kind of a heading known by name."""
    stripped = _bare(line)
    return _BY_NAME.get(_normalize(stripped)) if _heading_shape(stripped) else None


def heading_kind(line: str, next_line: str) -> pb.Section.Kind.ValueType | None:
    """The section kind a line opens, or None when it is not a heading."""
    stripped = _bare(line)
    if not _heading_shape(stripped):
        return None
    kind = _BY_NAME.get(_normalize(stripped))
    if kind is not None:
        return kind
    letters = [c for c in stripped if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and next_line.strip():
        return K.OTHER
    return None


def _styled_heading(line: str, styled: frozenset[str]) -> bool:
    """A line in the PDF's heading style that is shaped like a heading, not a job title."""
    stripped = line.strip()
    if stripped not in styled or not _heading_shape(_bare(stripped)):
        return False
    return not any(ch in stripped for ch in ",|") and not entries.is_title(stripped)


def outline(
    text: str, doc: pb.ExtractedDocument, styled: Sequence[StyledLine] | None = None
) -> None:
    """Fills `doc` with the sections, contact details and entries found in `text`. `styled`
    are a PDF's emphasised short lines (from the PDF reader), if any."""
    heading_style = typography.heading_lines(styled or (), lambda t: known_heading(t) is not None)
    lines = text.split("\n")
    offsets: list[int] = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    top = _contact_block_end(lines, nonempty)
    # (line index, kind, how it was found: "name", "type" or "caps")
    found: list[tuple[int, pb.Section.Kind.ValueType, str]] = []
    for n, i in enumerate(nonempty):
        if len(lines[i]) > 60 and len(lines[i].strip()) > 60:  # too long for a heading
            continue
        named = known_heading(lines[i])
        if named is not None:
            found.append((i, named, "name"))
            continue
        following = lines[nonempty[n + 1]] if n + 1 < len(nonempty) else ""
        kind = heading_kind(lines[i], following)
        by_type = _styled_heading(lines[i], heading_style)
        if kind == K.OTHER and (heading_style or _entry_words(lines[i])) and not by_type:
            continue  # capitals, but not the heading style, or a job title, a company
        if kind is None and not by_type:
            continue
        # The name on top is in capitals too, or in large bold type: no OTHER heading before
        # the first known one (set by type: none within the name-and-contact block on top).
        if not found and (not by_type or n <= top):
            continue
        found.append((i, K.OTHER, "type" if by_type else "caps"))
    ends = [offsets[i] for i, _, _ in found[1:]] + [len(text)] * bool(found)
    headings: list[tuple[int, pb.Section.Kind.ValueType]] = []
    for (i, kind, how), end in zip(found, ends, strict=True):
        if kind == K.OTHER and how != "name":
            kind = _kind_from_content(_body(text, offsets[i], end))
            # A line in capitals inside experience or education that reads like more of it
            # ("ACME CORP" over a job) is part of the section, not a new one.
            if how == "caps" and headings and headings[-1][1] == kind and kind != K.OTHER:
                continue
        headings.append((i, kind))
    starts = [(0, K.CONTACT, "")] if not headings or headings[0][0] > 0 else []
    starts += [(offsets[i], kind, _bare(lines[i])) for i, kind in headings]
    for n, (start, kind, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        body = _body(text, start, end) if title else text[start:end].strip()
        if not title and not body:
            continue
        doc.sections.add(kind=kind, title=title, text=body, start_offset=start, end_offset=end)
    for section in doc.sections:
        if section.kind == K.EXPERIENCE:
            doc.experience.extend(entries.experience_entries(section.text))
        elif section.kind == K.EDUCATION:
            doc.education.extend(entries.education_entries(section.text))
    _contact(text, lines, doc)


def _body(text: str, start: int, end: int) -> str:
    """The text of a section without its heading line."""
    newline = text.find("\n", start, end)
    return text[newline + 1 if newline != -1 else end : end].strip()


def _entry_words(line: str) -> bool:
    """Whether a line names a job, a company or a school (so it is no heading)."""
    return entries.is_title(line) or entries.is_company(line, legal=True) or entries.is_school(line)


def _contact_block_end(lines: list[str], nonempty: list[int]) -> int:
    """Index (among the non-empty lines) of the last line of the name-and-contact block on
    top: the last of the first ten lines with an email, a phone or a link; at least 0."""
    end = 0
    for n, i in enumerate(nonempty[:10]):
        if _contact_data(lines[i]):
            end = n
    return end


def _kind_from_content(body: str) -> pb.Section.Kind.ValueType:
    """The kind of a section under an unknown heading: date ranges make it experience (or
    education, when its lines name schools or degrees)."""
    if entries.count_ranges(body) == 0:
        return K.OTHER
    return K.EDUCATION if entries.looks_like_education(body) else K.EXPERIENCE


def _contact(text: str, lines: list[str], doc: pb.ExtractedDocument) -> None:
    c = doc.contact
    if m := EMAIL.search(text):
        c.email = m.group(0)
    if m := LINKEDIN.search(text):
        c.linkedin_url = _https(m.group(0).rstrip("/"))
    if m := GITHUB.search(text):
        c.github_url = _https(m.group(0).rstrip("/"))
    # The phone is near the top; dates further down look like numbers too.
    for line in lines[:40]:
        if phone := _phone(line):
            c.phone = phone
            break
    known = {c.linkedin_url.lower(), c.github_url.lower()}
    for m in URL.finditer(text):
        url = _https(m.group(0).rstrip(".").rstrip("/"))
        low = url.lower()
        if "linkedin.com" in low or "github.com" in low or low in known:
            continue
        if url not in c.links:
            c.links.append(url)
    for line in [x.strip() for x in lines if x.strip()][:5]:
        words = line.split()
        if (
            1 < len(words) <= 5
            and len(line) <= 50
            and not any(ch.isdigit() for ch in line)
            and not any(ch in line for ch in "@/|:")
            and heading_kind(line, "x") in (None, K.OTHER)
            and _normalize(line) not in _BY_NAME
            and place(line) is None
        ):
            c.name = line.strip("#*_ ")
            break
    c.location = _location(lines, doc)


# Labels before an address or a place: "Location: Berlin", "Wohnort: Köln".
_LABEL = re.compile(
    r"^(?:location|address|based in|lives in|city|residence|adresse|anschrift|wohnort|ort|"
    r"domicile|ville|ubicaci[oó]n|direcci[oó]n|residencia|indirizzo|citt[aà]|residenza|"
    r"woonplaats|adres)\s*:?\s+",
    re.IGNORECASE,
)
# Pictograms before a place (a house, a pin).
_ICONS = "\u2302\u25c9\u2691\u2690\U0001f4cd\U0001f3e0 "
# What separates the pieces of a contact line ("Berlin | jane@example.com | +49 ...").
_PIECES = re.compile(r"\s*[|\u00b7\u2022\u2219\u25aa\u2013\u2014\t]\s*|\s{3,}|\s+-\s+")


def _location(lines: list[str], doc: pb.ExtractedDocument) -> str:
    """A place on a line of the contact block on top (or of a CONTACT section): a line that
    is a place ("Berlin, Germany", "Austin, TX"), or a piece of a contact line that also holds
    an email address, a phone number or a link."""
    candidates = [x.strip() for x in lines[:40] if x.strip()][:12]
    first_heading = next(
        (n for n, line in enumerate(candidates) if known_heading(line) is not None), None
    )
    if first_heading is not None:
        candidates = candidates[:first_heading]
    for section in doc.sections:
        if section.kind == K.CONTACT and section.title:
            candidates += [x.strip() for x in section.text.split("\n") if x.strip()][:12]
    for line in candidates:
        if line == doc.contact.name:
            continue
        contact_line = _contact_data(line)
        for raw in _PIECES.split(line):
            piece = raw.strip().lstrip(_ICONS).strip()
            labelled = bool(_LABEL.match(piece))
            piece = _LABEL.sub("", piece).strip()
            if not piece or EMAIL.search(piece) or URL.search(piece) or PHONE.search(piece):
                continue
            if entries.is_title(piece) or entries.is_company(piece) or entries.is_school(piece):
                continue
            found = place(piece, loose=contact_line or labelled)
            if found and found != doc.contact.name:
                return found
    return ""


def _phone(line: str) -> str:
    """The first phone number on a line (8 to 15 digits, not a date range), or ""."""
    for m in PHONE.finditer(line):
        candidate = m.group(0).strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 8 <= digits <= 15 and not DATE_RANGE.search(candidate):
            return candidate
    return ""


def _contact_data(line: str) -> bool:
    return bool(EMAIL.search(line) or URL.search(line) or LINKEDIN.search(line) or _phone(line))


def _https(url: str) -> str:
    return url if url.lower().startswith(("http://", "https://")) else f"https://{url}"
