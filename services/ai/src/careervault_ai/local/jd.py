"""A job description read into requirements: which skills it asks for, which of them are
must-haves and which nice-to-haves, how many years, which degree, and its domain words.

Required vs preferred comes from section headings ("Requirements", "Must have", "What you
bring" vs "Nice to have", "Preferred", "Bonus points") and from cues in the line itself
("required", "must", "preferred", "a plus", "ideally"); a cue in the line wins over its
section. A skill asked for both ways counts as required. Skills named in the benefits, the
company blurb or the application instructions are not requirements.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from careervault_ai.local import text as tx
from careervault_ai.local.taxonomy import SkillHit, find_skills
from careervault_ai.provider import Job

SectionKind = Literal["required", "preferred", "duties", "about", "benefits", "other"]


@dataclass(frozen=True, slots=True)
class Requirement:
    """One sentence or bullet of the job description and the skills it names."""

    text: str
    skills: list[str]
    required: bool
    soft_skills: list[str] = field(default_factory=list)


@dataclass(slots=True)
class JobProfile:
    title: str
    requirements: list[Requirement]
    required_skills: list[str]
    preferred_skills: list[str]
    soft_skills: list[str]
    years_required: float | None
    education: str | None
    keywords: list[str]
    education_optional: bool = False  # "or equivalent experience"
    company: str = ""
    # Skills the job accepts instead of each other ("PyTorch or TensorFlow", "AWS/GCP"):
    # skill -> the others of its group.
    alternatives: dict[str, list[str]] = field(default_factory=dict)

    @property
    def skills(self) -> list[str]:
        return [*self.required_skills, *self.preferred_skills]

    def requirement_for(self, skill: str) -> Requirement | None:
        """The first sentence asking for `skill` (a required one before a preferred one)."""
        found: Requirement | None = None
        for req in self.requirements:
            if skill in req.skills:
                if req.required:
                    return req
                found = found or req
        return found


def _table_words(text: str) -> list[str]:
    return text.split()


def _table(text: str) -> tuple[str, ...]:
    """Phrases separated by `|` (a compact way to write long word lists)."""
    return tuple(p.strip() for p in text.split("|") if p.strip())


_HEADING_NAMES: dict[SectionKind, tuple[str, ...]] = {
    "required": _table(
        """
        requirements | required | required skills | required qualifications |
        minimum qualifications | basic qualifications | qualifications | must have |
        must haves | must-have | must-haves | what you bring | what you will bring |
        what you'll bring | what we are looking for | what we're looking for |
        what we look for | who you are | about you | you have | you are | you should have |
        your profile | your skills | skills | skills and experience | experience |
        key skills | technical skills | essential | essential skills | essentials |
        your background | ideal candidate | the ideal candidate | tech stack | our stack |
        our tech stack | stack | technologies | profile | competencies |
        das bringen sie mit | das bringst du mit | ihr profil | dein profil | anforderungen |
        voraussetzungen | was sie mitbringen | was du mitbringst | qualifikationen |
        votre profil | profil recherche | requisitos | tu perfil | perfil
        """
    ),
    "preferred": _table(
        """
        nice to have | nice to haves | nice-to-have | nice-to-haves | preferred |
        preferred qualifications | preferred skills | bonus | bonus points | bonus points if |
        plus | pluses | a plus | desirable | desired | desired skills | good to have |
        extra credit | it would be great if | it'd be great if | even better if |
        additional qualifications | optional | what would make you stand out |
        wunschenswert | von vorteil | idealerweise | pluspunkte | nice to have (optional) |
        atouts | un plus | deseable | valorable
        """
    ),
    "duties": _table(
        """
        responsibilities | key responsibilities | your responsibilities | what you will do |
        what you'll do | what you'll be doing | what you will be doing | the role |
        about the role | role | your role | your mission | the job | duties | day to day |
        in this role | in this role you will | you will | what the job involves |
        the opportunity | your impact | ihre aufgaben | deine aufgaben | aufgaben |
        ihr aufgabengebiet | vos missions | missions | tus funciones | responsabilidades
        """
    ),
    "about": _table(
        """
        about us | about the company | who we are | our company | company | the company |
        our mission | our team | the team | about the team | uber uns | wer wir sind |
        qui sommes-nous | sobre nosotros
        """
    ),
    "benefits": _table(
        """
        benefits | perks | perks and benefits | what we offer | we offer | compensation |
        salary | how to apply | to apply | application process | interview process |
        equal opportunity | equal opportunity employer | diversity | location | why join us |
        why us | what's in it for you | wir bieten | was wir bieten | unser angebot |
        benefits und vorteile | nous offrons | ofrecemos
        """
    ),
}
_SECTION_HEADINGS: dict[str, SectionKind] = {
    name: kind for kind, names in _HEADING_NAMES.items() for name in names
}
# Longest first, for headings that contain a known one ("Requirements (must have)").
_HEADING_INSIDE = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(name)
        for name in sorted(_SECTION_HEADINGS, key=lambda n: (-len(n), n))
        if len(name) > 4
    )
    + r")\b"
)

# Cues that make what follows them nice-to-have ("ideally Go", "bonus: Rust"), and cues that
# make the whole sentence nice-to-have ("Kubernetes is a plus").
_LEADING_CUE = re.compile(
    r"\b(?:ideally|preferably|bonus(?: points)?(?: if| for)?|nice[- ]to[- ]have|"
    r"familiarity with|exposure to|even better|good to have|(?:it )?would be (?:a )?(?:plus|"
    r"great|nice|good)(?: if)?|it'?d be (?:great|nice)(?: if)?|idealerweise|gerne auch)\b",
    re.IGNORECASE,
)
_TRAILING_CUE = re.compile(
    r"\b(?:(?:is|are|would be|as) (?:a )?(?:plus|bonus|advantage|great|nice|good|helpful|"
    r"beneficial)|a plus|an advantage|advantageous|preferred|desirable|desired|not required|"
    r"optional|helpful|beneficial|(?:is |are )?(?:also |very )?welcome|appreciated|"
    r"(?:would|will|could) (?:make you )?stand out|sets? you apart|wünschenswert|"
    r"von vorteil|ein plus)\b",
    re.IGNORECASE,
)
_MUST = re.compile(
    r"\b(?:required|must|mandatory|essential|zwingend|erforderlich|vorausgesetzt)\b",
    re.IGNORECASE,
)
_YEARS = re.compile(
    r"(?P<lo>\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen)"
    r"\s*(?:\+|plus)?\s*(?:(?:-|\u2013|to)\s*(?P<hi>\d{1,2}))?\s*\+?\s*(?:years?|yrs?)\b"
    r"(?P<tail>[^.;\n]{0,80})",
    re.IGNORECASE,
)
_DEGREE_WORD = re.compile(
    r"degree|bachelor|master|ph\.?d|doctorate|b\.?sc|m\.?sc|\bbs\b|\bms\b|\bba\b|\bma\b|"
    r"diploma|graduate|mba",
    re.IGNORECASE,
)
_EXPERIENCE_WORD = re.compile(r"\bexperience|experienced|professional|industry|working\b", re.I)
_EQUIVALENT = re.compile(
    r"equivalent (?:practical |work |professional )?experience|or equivalent", re.I
)
_TITLE_NOUN = re.compile(
    r"\b(?:engineer|developer|programmer|architect|scientist|analyst|designer|manager|lead|"
    r"director|consultant|specialist|administrator|admin|technician|coordinator|officer|"
    r"head|intern|associate|representative|writer|researcher|strategist|accountant|"
    r"recruiter|marketer|sre|devops|tester|owner|executive|assistant|nurse|teacher)s?\b",
    re.IGNORECASE,
)
_HIRING = re.compile(
    r"\b(?:hiring|looking for|seeking|searching for|recruiting)\s+"
    r"(?:an?\s+|our\s+(?:next|first)\s+)?(?P<title>[A-Z][\w/+#.\- ]{2,60}?)"
    r"(?=\s+(?:to|who|with|that|in|at|for|based|join)\b|[,.!(:;]|$)",
)

# Common words that are never keywords.
STOPWORDS: frozenset[str] = frozenset(
    _table_words(
        """
        a ability able about above across after again against all almost also although
        always am among an and any are around as at be because been before being below
        between both but by can could did do does doing done down during e.g each eg either
        else enough etc even ever every few for from further had has have having he her here
        hers herself him himself his how however i i.e ie if in into is it its itself just
        least less like likely made make makes making many may me might more most much must
        my myself near need needs no nor not now of off often on once one only onto or other
        others our ours ourselves out over own per perhaps please plus rather really same
        several shall she should since so some such than that the their theirs them
        themselves then there these they this those though through throughout thus to too
        toward towards under until up upon us use used uses using very via was we well were
        what whatever when where whether which while who whom whose why will with within
        without would yet you your yours yourself yourselves
        """
    )
)
# Words every job ad uses: not keywords either.
JD_GENERIC: frozenset[str] = frozenset(
    _table_words(
        """
        abilities ability able across age also annual annum anyone applicants application
        apply around bachelor bachelors based benefits best bonus budget build building
        built business businesses can candidate candidates closely code collaborate
        collaborative communication companies company competitive complex create creating
        cross-functional culture current currently customer customers day days degree
        deliver delivering design designing develop developer developers developing
        development disability drive driving employer encourage encouraged engineer
        engineering engineers english enjoy ensure ensuring environment equal equity
        equivalent etc eur everyone excellent experience experienced exposure familiar
        familiarity fast fast-paced feature features field flexible full full-time
        functional future gbp gender good great growing growth hands hands-on has have
        health help high high-quality highly hire hiring hour hours how hybrid ideal ideally
        identity impact impactful improve improving include included includes including
        insurance job join junior k knowledge lead leading learning least leave level
        location looking love maintain maintaining make master masters may mid minimum minus
        mission modern month must national new nice offer offering office opportunities
        opportunity options orientation origin other our own ownership owning paced package
        paid part partner partners parts passion passionate people per platform platforms
        plus position practice practices preferably preferred process processes product
        products professional professionals project projects proven qualification
        qualifications qualified quality race record regard related relevant reliable
        religion remote required requirement requirements responsibilities responsibility
        responsible robust role roles salary scalable seeking senior service services sexual
        similar skill skills software solid solution solutions someone something
        stakeholders status stock strong strongly success successful support supporting sure
        system systems team teams technical technologies technology their them they thing
        things time today tomorrow tool tools track understanding us usd use user users
        using vacation values verbal veteran want wants way ways we week well well-being
        what when where who why will within without work working works world written year
        years you your
        """
    )
)
# Domain words that are worth a keyword slot even if named once.
DOMAIN_WORDS: frozenset[str] = frozenset(
    _table_words(
        """
        accessibility adtech advertising aerospace agriculture analytics api apis audio
        automotive availability b2b b2c back-end backend bank banking biotech blockchain
        chain climate clinical cloud compliance consumer crypto cybersecurity data defense
        delivery devops distributed e-commerce ecommerce edtech education embedded energy
        enterprise finance financial fintech food fraud front-end frontend full-stack
        fullstack games gaming government hardware health healthcare hospitality hr hrtech
        infrastructure insurance insurtech internationalization iot latency legal legaltech
        lending localization logistics manufacturing marketing marketplace marketplaces
        martech media medical microservices mobile mobility music nonprofit observability
        on-call open-source opensource payment payments performance personalization pharma
        pipeline pipelines platform privacy proptech public real-estate recommendation
        recommendations recruiting regulated regulatory reliability retail risk robotics
        saas scalability scale-up search sector security semiconductor shipping sre startup
        startups streaming supply telecom telecommunications throughput trading
        transportation travel video
        """
    )
)


def _section_kind(line: str) -> SectionKind | None:
    if not tx.looks_like_heading(line):
        return None
    key = tx.heading_key(line)
    key = re.sub(r"^(?:the\s+)?", "", key) if key not in _SECTION_HEADINGS else key
    if key in _SECTION_HEADINGS:
        return _SECTION_HEADINGS[key]
    # "Requirements (must have)", "Nice to have (bonus)", "What you'll need:" ...
    m = _HEADING_INSIDE.search(key)
    if m:
        return _SECTION_HEADINGS[m.group(0)]
    if re.search(r"\b(?:stand out|bonus|plus|nice|great if|extra|preferred|desired)\b", key):
        return "preferred"
    if re.search(r"\b(?:need|needs|requirements?|qualifications?|must)\b", key):
        return "required"
    return None


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _years(sentence: str) -> float | None:
    best: float | None = None
    for m in _YEARS.finditer(sentence):
        lo_text = m.group("lo").lower()
        lo = tx.NUMBER_WORDS.get(lo_text) if not lo_text[0].isdigit() else float(lo_text)
        if lo is None or lo <= 0 or lo > 25:
            continue
        before = sentence[max(0, m.start() - 40) : m.start()].lower()
        tail = m.group("tail").lower()
        if re.match(r"\s*(?:ago|old|of age|running|in a row|warranty|contract)\b", tail):
            continue  # "founded 10 years ago", "a 2 years contract"
        if re.search(r"\b(?:past|last|over|founded|since|for|within|every|each)\s*$", before):
            continue  # "over the past 5 years we grew ..."
        if not (
            _EXPERIENCE_WORD.search(sentence)
            or "+" in m.group(0)
            or re.search(r"\b(?:at least|minimum|min\.?|or more)\b", sentence, re.IGNORECASE)
            or re.match(r"\s*(?:of|in|with|building|working|developing|designing|doing|as)\b", tail)
        ):
            continue
        best = lo if best is None else max(best, lo)
    return best


def _title(job: Job, lines: list[str]) -> str:
    if job.title.strip():
        return job.title.strip()
    for line in lines[:3]:
        candidate = re.sub(r"^#+\s*", "", line)
        candidate = re.sub(
            r"^(?:job title|title|position|role)\s*[:\-]\s*", "", candidate, flags=re.I
        )
        if (
            tx.looks_like_heading(candidate)
            and _TITLE_NOUN.search(candidate)
            and _section_kind(candidate) is None
        ):
            return re.split(r"\s+(?:at|@|-|\u2013|\u2014|\|)\s+", candidate)[0].strip()
    for line in lines[:12]:
        m = _HIRING.search(line)
        if m and _TITLE_NOUN.search(m.group("title")):
            return m.group("title").strip()
    return ""


def _keywords(
    lines: list[tuple[str, SectionKind]], skill_spans: dict[int, list[SkillHit]]
) -> list[str]:
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    position = 0
    for n, (line, kind) in enumerate(lines):
        if kind == "benefits":
            continue
        spans = skill_spans.get(n, [])
        masked = list(line)
        for hit in spans:
            masked[hit.start : hit.end] = " " * (hit.end - hit.start)
        for word in tx.words("".join(masked)):
            low = word.lower().strip(".-")
            if len(low) < 3 or low in STOPWORDS or low in JD_GENERIC or low.isdigit():
                continue
            if not re.search(r"[a-z]", low):
                continue
            if low.endswith("s") and low[:-1] in counts:
                low = low[:-1]
            counts[low] += 1
            first_seen.setdefault(low, position)
            position += 1
    ranked = sorted(
        counts,
        key=lambda w: (
            -(counts[w] + (2 if w in DOMAIN_WORDS else 0)),
            first_seen[w],
            w,
        ),
    )
    picked = [w for w in ranked if counts[w] >= 2 or w in DOMAIN_WORDS]
    return picked[:12]


def parse_job(job: Job) -> JobProfile:
    """Read a job description. Deterministic; never raises on odd text."""
    raw_lines = job.description.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    section: SectionKind = "other"
    lines: list[tuple[str, SectionKind]] = []
    requirements: list[Requirement] = []
    required: list[str] = []
    preferred: list[str] = []
    soft: list[str] = []
    years: list[float] = []
    education_text: list[str] = []
    equivalent = False
    skill_spans: dict[int, list[SkillHit]] = {}
    plain_lines: list[str] = []
    alternatives: dict[str, list[str]] = {}
    strong: set[str] = set()  # skills named outside parentheses somewhere
    for raw in _unwrap(raw_lines):
        line = tx.clean(raw)
        if not line:
            continue
        plain_lines.append(line)
        kind = _section_kind(line.rstrip(":"))
        line_kind: SectionKind = section
        if kind is not None and not tx.is_bullet(raw) and not line.endswith("."):
            _head, sep, rest = line.partition(":")
            if not (sep and rest.strip()):
                section = kind
                continue
            # "Nice to have: Go, Rust" opens a section; "Location: Berlin" labels one line.
            line_kind = kind
            if kind in {"required", "preferred", "duties"}:
                section = kind
            line = rest.strip()
        for sentence in _clauses(line):
            idx = len(lines)
            lines.append((sentence, line_kind))
            hits = find_skills(sentence)
            skill_spans[idx] = hits
            if line_kind == "benefits":
                continue
            hard_hits = [h for h in hits if h.kind == "hard"]
            is_degree = bool(tx.lowest_education_level(sentence) and _DEGREE_WORD.search(sentence))
            if is_degree:
                hard_hits = []  # "MSc in Statistics or Computer Science": fields of study
            soft_here = _dedupe([h.skill for h in hits if h.kind == "soft"])
            if line_kind != "about":
                y = _years(sentence)
                if y is not None:
                    years.append(y)
                if is_degree:
                    education_text.append(sentence)
                    equivalent = equivalent or bool(_EQUIVALENT.search(sentence))
            for group in _alternatives(sentence, hard_hits):
                for skill in group:
                    others = alternatives.setdefault(skill, [])
                    others.extend(s for s in group if s != skill and s not in others)
            must, nice = _split_by_cue(sentence, line_kind, hard_hits)
            if must or (not nice and line_kind in {"required", "duties"}):
                requirements.append(Requirement(sentence, must, True, soft_here))
            if nice or (not must and line_kind == "preferred"):
                requirements.append(Requirement(sentence, nice, False, [] if must else soft_here))
            elif not must and soft_here and line_kind not in {"required", "duties"}:
                requirements.append(Requirement(sentence, [], False, soft_here))
            required.extend(must)
            preferred.extend(nice)
            strong.update(
                h.skill
                for h in hard_hits
                if h.skill in must and not _in_parentheses(sentence, h.start)
            )
            soft.extend(soft_here)
    # A skill asked for both ways counts as required, unless the required mention was only an
    # aside in parentheses ("Spark (PySpark or Scala API)") and the job lists it as a plus.
    preferred_set = set(preferred)
    required = [s for s in _dedupe(required) if s in strong or s not in preferred_set]
    preferred = [s for s in _dedupe(preferred) if s not in set(required)]
    education: str | None = None
    for sentence in education_text:
        level = tx.lowest_education_level(sentence)
        if level and (education is None or tx.education_rank(level) < tx.education_rank(education)):
            education = level
    return JobProfile(
        title=_title(job, plain_lines),
        requirements=requirements,
        required_skills=required,
        preferred_skills=preferred,
        soft_skills=_dedupe(soft),
        years_required=max(years) if years else None,
        education=education,
        keywords=_keywords(lines, skill_spans),
        education_optional=equivalent,
        company=job.company.strip(),
        alternatives=alternatives,
    )


_OR_GAP = re.compile(r"\s*(?:,\s*)?(?:or|/|either)\s*|\s*/\s*", re.IGNORECASE)
_COMMA_GAP = re.compile(r"\s*,\s*")


def _alternatives(sentence: str, hits: list[SkillHit]) -> list[list[str]]:
    """Groups of skills joined by "or" or "/" in a list ("Java, Go, or Rust")."""
    groups: list[list[str]] = []
    chain: list[str] = [hits[0].skill] if hits else []
    has_or = False
    for a, b in itertools.pairwise(hits):
        gap = sentence[a.end : b.start]
        if _OR_GAP.fullmatch(gap):
            has_or = True
            chain.append(b.skill)
            continue
        if _COMMA_GAP.fullmatch(gap):
            chain.append(b.skill)
            continue
        if has_or and len(set(chain)) > 1:
            groups.append(_dedupe(chain))
        chain, has_or = [b.skill], False
    if has_or and len(set(chain)) > 1:
        groups.append(_dedupe(chain))
    return groups


def _in_parentheses(sentence: str, pos: int) -> bool:
    before = sentence[:pos]
    return before.count("(") > before.count(")")


def _unwrap(raw_lines: list[str]) -> list[str]:
    """Lines with the prose that an editor or a PDF wrapped joined again: a line continues
    the one before when that one does not end a sentence and this one is not a bullet or a
    heading."""
    out: list[str] = []
    for raw in raw_lines:
        stripped = raw.strip()
        if (
            out
            and stripped
            and out[-1].strip()
            and not tx.is_bullet(raw)
            and not out[-1].rstrip().endswith((".", ":", ";", "!", "?"))
            and _section_kind(out[-1].strip().rstrip(":")) is None
            and (stripped[:1].islower() or len(out[-1].strip()) > 60)
            and _section_kind(stripped.rstrip(":")) is None
        ):
            out[-1] = f"{out[-1].rstrip()} {stripped}"
            continue
        out.append(raw)
    return out


def _clauses(line: str) -> list[str]:
    """A line split into sentences, and a sentence with both cues split at its `;`."""
    out: list[str] = []
    for sentence in tx.sentences(line, limit=160):
        parts = [p.strip() for p in re.split(r";\s+|,?\s+but\s+", sentence) if p.strip()]
        if len(parts) > 1 and any(_LEADING_CUE.search(p) or _TRAILING_CUE.search(p) for p in parts):
            out.extend(parts)
        else:
            out.append(sentence)
    return out


def _split_by_cue(
    sentence: str, section: SectionKind, hits: list[SkillHit]
) -> tuple[list[str], list[str]]:
    """(required, preferred) skills of one sentence, from its section and its cues."""
    if not hits:
        return [], []
    names = [h.skill for h in hits]
    if section == "about":
        return [], _dedupe(names)
    must_cue = bool(_MUST.search(sentence))
    if section == "preferred":
        return (_dedupe(names), []) if must_cue else ([], _dedupe(names))
    if _TRAILING_CUE.search(sentence) and not must_cue:
        return [], _dedupe(names)
    lead = _LEADING_CUE.search(sentence)
    if lead is None:
        return _dedupe(names), []
    before = _dedupe([h.skill for h in hits if h.start < lead.start()])
    after = [s for s in _dedupe([h.skill for h in hits if h.start >= lead.start()])]
    return before, [s for s in after if s not in before]
