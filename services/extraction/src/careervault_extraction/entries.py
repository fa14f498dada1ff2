"""Experience and education entries, read from the text of their sections.

Each line is classed first: a bullet (it starts with a bullet sign), prose (a sentence: a
closing period, many words, a lower-case start or a "label: value"), or a head line (short:
a title, a company, a school, a degree, a date range, or several of them). A prose line that
continues a cut sentence is joined to the line before it.

Experience: consecutive head lines form an entry's head and the bullets and prose after it its
body. A head holding several date ranges (entries without bullets) is cut at each range:
before it when the head opens with a date, after it otherwise. Title and company come from the
head's text with the dates taken out, split at " at ", "|", dashes, tabs or (for a single
line) commas; a part with a job word ("Engineer", "Entwickler", ...) is the title, a part with
a company word ("GmbH", "Inc", "Labs", ...) the company, otherwise the title comes first.

Education: line by line; a line naming a school, a degree or a date range that the current
entry already has starts the next entry.

Dates are kept as written; ranges end in a date or in a word for "now" (Present, heute,
aujourd'hui, actualidad, ...).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from careervault.extraction.v1 import extraction_pb2 as pb
from careervault_extraction.places import fold, place, split

_MONTH_NAMES = sorted(
    set(
        split(
            # English
            "january february march april may june july august september october november "
            "december jan feb mar apr jun jul aug sep sept oct nov dec "
            # German
            "januar jänner februar märz maerz mai juni juli oktober dezember jän mär mrz okt dez "
            # French
            "janvier février fevrier mars avril juin juillet août aout septembre octobre "
            "novembre décembre decembre janv févr fevr avr juil déc "
            # Spanish
            "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
            "noviembre diciembre ene abr ago dic "
            # Italian
            "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre gen mag "
            "giu lug ott "
            # Dutch
            "januari februari maart mei augustus mrt "
            # Seasons
            "spring summer fall autumn winter"
        )
    ),
    key=lambda m: (-len(m), m),
)


def _by_first_letter(words: list[str]) -> str:
    """An alternation grouped by first letter (the regex engine tries far fewer branches)."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{first}(?:{'|'.join(rest)})" for first, rest in sorted(groups.items()))


_MONTH = r"\b(?:" + _by_first_letter(_MONTH_NAMES) + r")\b\.?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    r"(?<![\w/.])(?=\w)(?:"
    rf"(?:\d{{1,2}}\.?\s?)?{_MONTH}\s*,?\s*(?:{_YEAR}|['\u2019]\d{{2}})"
    rf"|(?:\d{{1,2}}[./-])?(?:0?[1-9]|1[0-2])[./-]{_YEAR}"
    rf"|{_YEAR}[./-](?:0[1-9]|1[0-2])"
    rf"|{_YEAR}"
    r")(?![\d])"
)
_NOW = (
    r"(?:present|current(?:ly)?|now|today|ongoing|to\s+date|date|heute|jetzt|aktuell|dato|"
    r"laufend|gegenw(?:ä|ae)rtig|aujourd['\u2019]hui|ce\s+jour|pr[ée]sent|en\s+cours|"
    r"la\s+actualidad|actualidad|la\s+fecha|presente|actual|hoy|oggi|attuale|in\s+corso|"
    r"heden|nu|huidig)\b"
)
_SEP = r"\s*(?:[-~\u2010-\u2015\u2212]+|\s(?:to|till|until|bis|[àa]|au|al|hasta|tot|t/m)\s)\s*"
_FROM = r"(?:(?:from|von|vom|de|du|desde|dal|van)\s+)?"
RANGE = re.compile(rf"{_FROM}(?P<start>{_DATE}){_SEP}(?P<end>{_DATE}|{_NOW})", re.IGNORECASE)
SINCE = re.compile(rf"\b(?:since|seit|depuis|desde|dal|sinds)\s+(?P<start>{_DATE})", re.I)
SINGLE = re.compile(rf"(?P<start>{_DATE})", re.IGNORECASE)
# "(4 years)", "· 2 yrs 3 mos", "(2 Jahre)" after a range.
_DURATION = re.compile(
    r"^[\s(\u00b7|,-]*\d+\+?\s*(?:yrs?|years?|mos?|months?|jahre?n?|monate?n?|ans?|mois|"
    r"a[ñn]os|meses|anni|mesi|jaar|maanden)\b(?:\s*\d+\s*(?:mos?|months?|monate?n?|mois|"
    r"meses|mesi|maanden)\b)?[\s)]*",
    re.IGNORECASE,
)

BULLET = re.compile(
    r"^\s*(?:[\u2022\u00b7\u25aa\u25ab\u25e6\u25cf\u25cb\u25a0\u25a1\u25c6\u25c7\u25ba\u25b6"
    r"\u27a2\u27a4\u2192\u2713\u2714\u2023\u2043\u2219\uf000-\uf0ff*+>]"
    r"|[-\u2013\u2014](?=\s))\s*"
)
# Separators between title and company; the first group marks "Title at Company".
_AT = re.compile(r"\s+(?:at|@|bei|chez|presso|bij)\s+", re.IGNORECASE)
_STRONG = re.compile(r"\s+[|\u2014\u2013\u00b7\u2022-]\s+|\s*\|\s*|\t+|\s{3,}")
_EDGE = " \t|,;:\u00b7\u2022-\u2013\u2014()[]"

# Job words, matched as whole words on lower-case ASCII (a plural or a feminine ending
# allowed): "Senior Engineer", "Entwicklerin", "Ingeniera".
_TITLE_WORDS = split(
    "engineer developer manager director analyst consultant designer architect scientist "
    "intern internship officer specialist administrator assistant associate coordinator "
    "programmer researcher teacher professor lecturer founder co-founder cofounder technician "
    "accountant advisor adviser editor writer nurse trainee apprentice tutor representative "
    "executive supervisor president freelancer contractor cto ceo cfo coo vp svp head lead "
    "staff senior junior sr jr werkstudent praktikant geschaftsfuhrer informatiker referent "
    "sachbearbeiter mitarbeiter developpeur developpeuse responsable stagiaire directeur "
    "directrice alternant desarrollador ingeniero jefe becario analista gerente consultor "
    "programador ingeniera jefa sviluppatore sviluppatrice ingegnere ingegnera tirocinante "
    "ontwikkelaar medewerker stagiair adviseur beheerder"
)
# Job phrases, and German word endings inside compounds ("Softwareentwickler").
_TITLE_INFIXES = split(
    "product owner|scrum master|working student|charge de|chargee de|entwickler|ingenieur|"
    "berater|leiter|manager|architekt|designer",
    "|",
)
_TITLE = re.compile(
    r"\b(?:"
    + "|".join(re.escape(w) for w in _TITLE_WORDS)
    + r")(?:s|e|a|es|in|innen|ship|ships)?\b|"
    + "|".join(_TITLE_INFIXES)
)
# Legal forms: a part ending in one is a company name.
_LEGAL_FORMS = frozenset(
    split(
        "inc corp corporation co company ltd limited llc llp plc gmbh ag kg se sa sas sarl sl "
        "srl spa bv nv ab oy asa pty"
    )
)
# Other words that make a part a company rather than a title.
_COMPANY_WORDS = _LEGAL_FORMS | frozenset(
    split(
        "group gruppe holding holdings labs lab technologies technology systems solutions "
        "software consulting partners bank agency studio studios ventures capital foundation "
        "stiftung media services networks"
    )
)
# School words, matched inside words ("Fachhochschule", "hogeschool") on lower-case ASCII.
_SCHOOL = re.compile(
    r"universit|hochschule|college|colegio|institut|istituto|school|schule|escuela|scuola|"
    r"ecole|\bacademy|akademie|academie|\bacademia\b|accademia|polytechn|politecn|lycee|"
    r"liceo|gymnasium|conservato|\b(?:tu|eth|epfl|mit|rwth|kit|lmu|ucl|ucla|nyu|cmu|hec|"
    r"essec|insa|upm|upc)\b"
)
_WORD = re.compile(r"[a-z0-9]+")
_DEGREE = re.compile(
    r"\b(?:B\.?\s?Sc|M\.?\s?Sc|B\.?\s?A|M\.?\s?A|B\.?\s?S|M\.?\s?S|B\.?\s?Eng|M\.?\s?Eng|"
    r"B\.?\s?Tech|M\.?\s?Tech|MBA|BBA|EMBA|Ph\.?\s?D|D\.?\s?Phil|M\.?\s?Phil|LL\.?\s?[BM]|"
    r"J\.?D|M\.?D|HND|GCSE|Dipl\.?-?\s?[A-Z][a-z]*)\b\.?"
)
_DEGREE_WORDS = re.compile(
    r"\b(?:bachelor|master|masters|magister|diplom|diploma|diplome|licence|licenciatura|"
    r"grado|doctorado|doctorate|doctor|phd|bsc|msc|abitur|matura|baccalaureat|bac|laurea|"
    r"dottorato|associate|a-levels?|staatsexamen|ausbildung|bts|dut|hbo|mbo|"
    r"certificate|zertifikat|ingenieur|ingeniero|ingegnere)(?:s|'s|e|en)?\b",
)
_FIELD_WORDS = re.compile(
    r"\b(?:science|engineering|informatik|informatique|informatica|mathemati|physic|physik|"
    r"economic|business|administration|management|law|medicine|arts|studies|design|"
    r"chemi|biolog|psycholog|wirtschaft|ingenieurwesen|computer|finance|marketing|"
    r"history|philosoph|linguist)\w*",
)
_ABBREVIATION_END = re.compile(r"\b(?:inc|corp|co|ltd|st|dr|jr|sr|no|vs|e\.?v|kg)\.$", re.I)
_CONTINUES = frozenset(
    split(
        "and or of the a an to for with in on by at from as und oder der die das den mit fur "
        "von zu et ou de des du la le les pour avec en y o el los las con para e di il per"
    )
)


# Every date has a year: lines without two digits in a row are not searched.
_TWO_DIGITS = re.compile(r"\d\d")
# Lines longer than this are not searched for dates.
MAX_DATED_LINE = 200
# Head lines (and parts of a line) looked at for title, company, school and degree.
MAX_HEAD_LINES = 8
MAX_PARTS = 12


@dataclass(frozen=True)
class Dates:
    start: str
    end: str
    rest: str  # the line without the dates


def find_dates(line: str, single: bool = True) -> Dates | None:
    """The date range in `line` (or "since DATE", or with `single` one date) and the rest.
    Only the start of a long line is looked at: a line that long is prose, not a head."""
    if len(line) > MAX_DATED_LINE or not _TWO_DIGITS.search(line):
        return None
    m = RANGE.search(line) or SINCE.search(line) or (SINGLE.search(line) if single else None)
    if m is None:
        return None
    groups = m.groupdict()
    start = _clean_date(groups["start"])
    end = _clean_date(groups.get("end") or "")
    before = line[: m.start()].rstrip(_EDGE)
    after = _DURATION.sub("", line[m.end() :]).lstrip(_EDGE)
    rest = " | ".join(x for x in (before.strip(), after.rstrip(_EDGE).strip()) if x)
    return Dates(start, end, rest)


def _clean_date(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- line classes -----------------------------------------------------------------------------


@dataclass
class _Line:
    kind: str  # "bullet", "prose" or "head"
    text: str  # without the bullet sign, and for heads without the dates
    dates: Dates | None = None


def _is_prose(text: str) -> bool:
    words = text.split()
    if not words:
        return False
    if text[0].islower() or len(words) > 12:
        return True
    if re.match(r"^[\w /&-]{2,30}:\s", text):  # "Technologies: Python, Go"
        return True
    return text.endswith((".", "!", "?", ";")) and len(words) >= 3 and not _abbrev_end(text)


def _abbrev_end(text: str) -> bool:
    return bool(_ABBREVIATION_END.search(text))


def _continues(previous: str, text: str) -> bool:
    """Whether `text` carries on the sentence of `previous` (a wrapped line)."""
    if not previous or previous.endswith((".", "!", "?", ":")):
        return False
    if text[:1].islower() or previous.endswith((",", "-", "&", "/", "(")):
        return True
    return previous.split()[-1].lower() in _CONTINUES


def classify(lines: list[str]) -> list[_Line]:
    out: list[_Line] = []
    glyph = False  # a bullet sign alone on its line (PDFs often set it apart)
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if m := BULLET.match(line):
            text = line[m.end() :].strip()
            if text:
                out.append(_Line("bullet", text))
            glyph = not text
            continue
        if glyph:
            out.append(_Line("bullet", line))
            glyph = False
            continue
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.kind != "head"
            and _continues(previous.text, line)
            and not has_range(line)
        ):
            previous.text = f"{previous.text} {line}"
            continue
        dates = find_dates(line, single=True)
        rest = dates.rest if dates else line
        if _is_prose(rest) or (dates is None and _is_prose(line)):
            out.append(_Line("prose", line))
            continue
        out.append(_Line("head", rest, dates))
    return out


# --- experience -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def is_title(text: str) -> bool:
    return _TITLE.search(fold(text)) is not None


@functools.lru_cache(maxsize=4096)
def is_company(text: str, legal: bool = False) -> bool:
    """Whether `text` names a company: a legal form, or (unless `legal`) a company word."""
    words = _WORD.findall(fold(text))
    return any(w in (_LEGAL_FORMS if legal else _COMPANY_WORDS) for w in words) or (
        not legal and "&" in text
    )


def _score(part: str) -> int:
    """Above zero for a title, below for a company ("Systems Engineer" is a title); a long
    part is rather a sentence that names a job ("Led a team of five engineers")."""
    return 2 * int(is_title(part)) - int(is_company(part)) - int(len(part.split()) > 5)


def _split_commas(text: str) -> list[str]:
    """Comma-separated parts, with "Acme, Inc." kept together."""
    parts: list[str] = []
    for piece in (p.strip() for p in text.split(",")[:MAX_PARTS]):
        if not piece:
            continue
        if parts and fold(piece).rstrip(".") in _COMPANY_WORDS:
            parts[-1] = f"{parts[-1]}, {piece}"
        else:
            parts.append(piece)
    return parts


def _peel_place(text: str) -> tuple[str, str]:
    """`text` without a place at its end ("Acme Corp, Berlin, Germany"), and the place."""
    if not text or (place(text) is not None and not is_company(text) and not is_title(text)):
        return "", text
    parts = [p.strip() for p in text.split(",")]
    for k in range(max(1, len(parts) - 3), len(parts)):  # a place has at most three parts
        tail = ", ".join(parts[k:])
        if place(tail) is not None and not is_company(tail):
            return ", ".join(parts[:k]), tail
    return text, ""


def title_and_company(texts: list[str]) -> tuple[str, str, list[str]]:
    """Title, company and the parts left over, from an entry's head lines (dates removed)."""
    pieces: list[str] = []
    leftovers: list[str] = []
    for text in texts:
        for p in _STRONG.split(text)[:MAX_PARTS]:
            rest, where = _peel_place(p.strip(_EDGE))
            if where:
                leftovers.append(where)
            if rest:
                pieces.append(rest)
    parts: list[str] = []
    at_pair: tuple[str, str] | None = None
    for piece in pieces:
        halves = _AT.split(piece, maxsplit=1)
        if len(halves) == 2 and at_pair is None and all(h.strip(_EDGE) for h in halves):
            at_pair = (halves[0].strip(_EDGE), halves[1].strip(_EDGE))
            parts.extend(at_pair)
            continue
        commas = _split_commas(piece)
        # "Senior Engineer, Acme": commas split a lone piece, or one naming a company.
        if len(commas) > 1 and (len(pieces) == 1 or any(is_company(c) for c in commas[1:])):
            kept = [c for c in commas if place(c) is None or is_company(c) or is_title(c)]
            leftovers.extend(c for c in commas if c not in kept)
            parts.extend(kept)
        else:
            parts.append(piece)
    if at_pair is not None and at_pair[0] in parts and at_pair[1] in parts:
        title, company = at_pair
    elif not parts:
        return "", "", leftovers
    elif len(parts) == 1:
        only = parts[0]
        if is_company(only) and not is_title(only):
            return "", only, leftovers
        return only, "", leftovers
    else:
        # The best score wins; on a tie the first part.
        at = max(range(len(parts)), key=lambda n: (_score(parts[n]), -n))
        title = parts[at]
        second = [n for n in range(len(parts)) if n != at]
        company = parts[min(second, key=lambda n: (_score(parts[n]), n))]
    others = [p for p in parts if p not in (title, company)]
    return title, company, others + leftovers


def experience_entries(text: str) -> list[pb.ExperienceEntry]:
    groups: list[tuple[list[_Line], list[_Line]]] = []
    for line in classify(text.split("\n")):
        if line.kind == "head":
            if not groups or groups[-1][1]:
                groups.append(([line], []))
            else:
                groups[-1][0].append(line)
        elif groups:
            groups[-1][1].append(line)
        # Bullets before any head belong to no entry.
    entries: list[pb.ExperienceEntry] = []
    for head, body in groups:
        heads = _cut_at_dates(head)
        for n, part in enumerate(heads):
            entry = _experience(part, body if n == len(heads) - 1 else [])
            if entry.title or entry.company or entry.start_date:
                entries.append(entry)
    return entries


def _cut_at_dates(head: list[_Line]) -> list[list[_Line]]:
    dated = [i for i, line in enumerate(head) if line.dates is not None]
    if len(dated) < 2:
        return [head]
    if dated[0] == 0:  # the dates lead: cut before each one
        bounds = [*dated, len(head)]
        return [head[a:b] for a, b in itertools.pairwise(bounds)]
    cuts = [0, *(i + 1 for i in dated[:-1]), len(head)]
    return [head[a:b] for a, b in itertools.pairwise(cuts)]


def _experience(head: list[_Line], body: list[_Line]) -> pb.ExperienceEntry:
    entry = pb.ExperienceEntry()
    dates = next((line.dates for line in head if line.dates is not None), None)
    if dates is not None:
        entry.start_date, entry.end_date = dates.start, dates.end
    texts = [line.text for line in head if line.text][:MAX_HEAD_LINES]
    title, company, extra = title_and_company(texts)
    entry.title, entry.company = title, company
    # What is left of the lines after the dates (or after the first two) is description;
    # places ("2019 - 2023 | Berlin") and what stood above the title are dropped.
    dated = next((n for n, line in enumerate(head) if line.dates is not None), 1)
    late = [line.text for line in head[dated + 1 :] if line.text]
    entry.bullets.extend(p for p in extra if place(p) is None and any(p in t for t in late))
    entry.bullets.extend(late[MAX_HEAD_LINES:])
    entry.bullets.extend(line.text for line in body)
    return entry


# --- education ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def is_school(text: str) -> bool:
    return _SCHOOL.search(fold(text)) is not None


@functools.lru_cache(maxsize=4096)
def is_degree(text: str) -> bool:
    return bool(_DEGREE.search(text) or _DEGREE_WORDS.search(fold(text)))


@dataclass
class _Study:
    school: str = ""
    degree: str = ""
    start: str = ""
    end: str = ""
    guessed_school: bool = False


def _parts(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _STRONG.split(text)[:MAX_PARTS]:  # no " at ": "University of Texas at Austin"
        parts.extend(p.strip(_EDGE) for p in piece.split(",")[:MAX_PARTS] if p.strip(_EDGE))
    merged: list[str] = []
    for p in parts:  # "Cambridge, MA" is a place, not a Master of Arts
        if merged and p in {"MA", "MS", "MD", "DE", "PA"} and place(f"{merged[-1]}, {p}"):
            merged[-1] = f"{merged[-1]}, {p}"
        else:
            merged.append(p)
    return merged


def education_entries(text: str) -> list[pb.EducationEntry]:
    studies: list[_Study] = []
    current: _Study | None = None
    last_field = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        bullet = BULLET.match(line)
        content = line[bullet.end() :].strip() if bullet else line
        dates = find_dates(content, single=True)
        rest = dates.rest if dates else content
        parts = [p for p in _parts(rest) if place(p) is None or is_school(p)]
        schools = [p for p in parts if is_school(p)]
        degrees = [p for p in parts if p not in schools and is_degree(p)]
        others = [
            p
            for p in parts
            if p not in schools
            and p not in degrees
            and ":" not in p
            and not any(ch.isdigit() for ch in p)
            and len(p.split()) <= 8
        ]
        if not schools and not degrees and (bullet or _is_prose(content)):
            continue  # a detail: grade, thesis, courses
        if (
            current is None
            or (schools and current.school and not current.guessed_school)
            or (degrees and current.degree)
            or (dates is not None and (current.start or current.end))
        ):
            current = _Study()
            studies.append(current)
            last_field = ""
        if dates is not None:
            if dates.end:
                current.start, current.end = dates.start, dates.end
            elif SINCE.search(content):
                current.start = dates.start
            else:
                current.end = dates.start  # a single date: when it ended
        if schools:
            if current.guessed_school:
                current.degree = ", ".join(x for x in (current.degree, current.school) if x)
            current.school, current.guessed_school = schools[0], False
            last_field = "school"
        if degrees:
            current.degree = ", ".join([*degrees, current.degree] if current.degree else degrees)
            last_field = "degree"
        for other in others:
            if last_field == "degree" and _FIELD_WORDS.search(fold(other)):
                current.degree = f"{current.degree}, {other}"  # "Bachelor of Science", "Physics"
            elif not current.school:
                current.school, current.guessed_school = other, True
                last_field = "school"
            elif not current.degree:
                current.degree = other
                last_field = "degree"
    return [
        pb.EducationEntry(school=s.school, degree=s.degree, start_date=s.start, end_date=s.end)
        for s in studies
        if s.school or s.degree
    ]


def has_range(line: str) -> bool:
    return len(line) <= MAX_DATED_LINE and bool(_TWO_DIGITS.search(line) and RANGE.search(line))


def count_ranges(text: str) -> int:
    return sum(1 for line in text.split("\n") if has_range(line))


def looks_like_education(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    schools = sum(1 for line in lines if is_school(line) or _DEGREE.search(line))
    return schools >= max(1, count_ranges(text))
