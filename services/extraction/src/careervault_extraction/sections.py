"""The outline of a resume: sections by their headings, and contact details.

A heading is a short line (at most six words, no final period) that either matches a known
heading in English, German, French, Spanish, Italian or Dutch, or is written in capitals and
followed by content. Experience and education entries are not parsed yet.
"""

from __future__ import annotations

import re
import unicodedata

from careervault.extraction.v1 import extraction_pb2 as pb

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

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
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


def heading_kind(line: str, next_line: str) -> pb.Section.Kind.ValueType | None:
    """The section kind a line opens, or None when it is not a heading."""
    stripped = line.strip().strip("#*_ ").rstrip(":").strip()
    if not stripped or len(stripped) > 40 or len(stripped.split()) > 6:
        return None
    if stripped.endswith(".") or any(c.isdigit() for c in stripped) or "@" in stripped:
        return None
    kind = _BY_NAME.get(_normalize(stripped))
    if kind is not None:
        return kind
    letters = [c for c in stripped if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and next_line.strip():
        return K.OTHER
    return None


def outline(text: str, doc: pb.ExtractedDocument) -> None:
    lines = text.split("\n")
    offsets: list[int] = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    headings: list[tuple[int, pb.Section.Kind.ValueType]] = []  # (line index, kind)
    for n, i in enumerate(nonempty):
        following = lines[nonempty[n + 1]] if n + 1 < len(nonempty) else ""
        kind = heading_kind(lines[i], following)
        # The name on top is in capitals too: no OTHER heading before the first real one.
        if kind == K.OTHER and not headings and not _BY_NAME.get(_normalize(lines[i])):
            continue
        if kind is not None:
            headings.append((i, kind))
    starts = [(0, K.CONTACT, "")] if not headings or headings[0][0] > 0 else []
    starts += [
        (offsets[i], kind, lines[i].strip().strip("#*_ ").rstrip(":")) for i, kind in headings
    ]
    for n, (start, kind, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        body_start = start
        if title:
            newline = text.find("\n", start, end)
            body_start = newline + 1 if newline != -1 else end
        body = text[body_start:end].strip()
        if not title and not body:
            continue
        doc.sections.add(kind=kind, title=title, text=body, start_offset=start, end_offset=end)
    _contact(text, lines, doc)


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
        for m in PHONE.finditer(line):
            candidate = m.group(0).strip()
            digits = sum(ch.isdigit() for ch in candidate)
            if 8 <= digits <= 15 and not DATE_RANGE.search(candidate):
                c.phone = candidate
                break
        if c.phone:
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
        ):
            c.name = line.strip("#*_ ")
            break


def _https(url: str) -> str:
    return url if url.lower().startswith(("http://", "https://")) else f"https://{url}"
