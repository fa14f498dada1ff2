"""Cover letters without a generative model: a structured template filled from the analysis.

The letter greets the company, names the position, cites the resume lines that best show the
job's matched skills (required ones first, by similarity), mentions the years of experience
when the resume states them, and closes. It never names a skill the analysis found missing.
Its last line says that it is a template draft from the local provider, to be edited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from careervault.ai.v1 import ai_pb2 as pb
from careervault_ai.local import analysis, jd
from careervault_ai.local import resume as resume_parser
from careervault_ai.local.interview import clean_line, clip
from careervault_ai.provider import DEFAULT_TONE, Job, Resume
from careervault_ai.provider import TONES as TONES  # re-exported: the letters' tones

MAX_WORDS = 350
NOTE = (
    "Note: this is a template draft from CareerVault's local provider, filled in from your "
    "resume and the job description without an AI model. Edit it before you send it."
)


def normalise_tone(tone: str) -> str:
    """`formal`, `friendly` or `concise`; empty means formal. Raises ValueError otherwise."""
    key = tone.strip().lower() or DEFAULT_TONE
    if key not in TONES:
        raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone.strip()[:40]!r}")
    return key


# Evidence -----------------------------------------------------------------------------------

_PAST_VERBS = frozenset(
    [
        "built",
        "led",
        "ran",
        "wrote",
        "made",
        "grew",
        "drove",
        "cut",
        "won",
        "set",
        "took",
        "gave",
        "kept",
        "began",
        "brought",
        "taught",
        "shipped",
        "owned",
        "saw",
        "found",
        "held",
        "rebuilt",
        "rewrote",
        "oversaw",
        "spearheaded",
        "overhauled",
    ]
)
_SKILL_LIST = re.compile(r"^(?:technical\s+)?(?:skills|technologies|tools|stack|languages)\b", re.I)


def _starts_with_verb(line: str) -> bool:
    first = line.split(" ", 1)[0].lower().strip(",;:")
    return first in _PAST_VERBS or (len(first) > 4 and first.endswith("ed") and first.isalpha())


def _is_story(line: str) -> bool:
    """A line that says what was done (a bullet), not a bare list of skills."""
    text = clean_line(line)
    if _SKILL_LIST.match(text) or len(text.split()) < 5:
        return False
    commas = text.count(",") + text.count("|") + text.count("/")
    return _starts_with_verb(text) or commas < len(text.split()) / 3


def _cite(lead: str, line: str, words: int, quoted: str = "") -> str:
    """A resume line in the first person, rewritten as little as possible: with lead
    "In my work," a bullet "Built X" becomes "In my work, I built X."; a line that does not
    start with a verb is quoted after `quoted` (default: the lead)."""
    text = clip(line, words).rstrip(" .;,")
    if _starts_with_verb(text):
        return f"{lead} I {text[0].lower()}{text[1:]}."
    intro = (quoted or lead).rstrip(",") + ":"
    return f"{intro} \u201c{text}.\u201d"


@dataclass
class _Group:
    skills: list[str]
    line: str


def _evidence(result: pb.ResumeAnalysis) -> tuple[list[_Group], list[str]]:
    """(resume lines that tell a story, each with the matched skills it shows, strongest
    first; matched skills with no such line)."""
    order = sorted(
        range(len(result.matched_skills)),
        key=lambda i: (
            not result.matched_skills[i].required,
            -result.matched_skills[i].similarity,
            i,
        ),
    )
    groups: list[_Group] = []
    listed: list[str] = []
    for i in order:
        match = result.matched_skills[i]
        stories = [clean_line(e) for e in match.evidence if _is_story(e)]
        if not stories:
            listed.append(match.skill)
            continue
        used = {g.line.lower(): g for g in groups}
        fresh = next((s for s in stories if s.lower() not in used), None)
        if fresh is None:
            used[stories[0].lower()].skills.append(match.skill)
        else:
            groups.append(_Group([match.skill], fresh))
    return groups, listed


def _and(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# The candidate ------------------------------------------------------------------------------

_NAME_WORD = re.compile(r"^[A-Z][A-Za-z'\u2019.-]*$")
_NOT_NAMES = frozenset(
    [
        "resume",
        "résumé",
        "cv",
        "curriculum",
        "vitae",
        "summary",
        "profile",
        "contact",
        "experience",
        "objective",
    ]
)


def candidate_name(text: str) -> str:
    """The name on the first line when it looks like one ("Jane Doe"), else ""."""
    for raw in text.splitlines():
        line = clean_line(raw)
        if not line:
            continue
        words = line.split()
        if not 2 <= len(words) <= 4 or any(w.lower().strip(".") in _NOT_NAMES for w in words):
            return ""
        fixed = [w.capitalize() if w.isupper() and len(w) > 2 else w for w in words]
        return " ".join(fixed) if all(_NAME_WORD.match(w) for w in fixed) else ""
    return ""


def _years_text(years: float | None) -> str:
    if years is None or years < 1:
        return ""
    n = int(years)
    return f"{n} year" + ("" if n == 1 else "s")


# The letter ---------------------------------------------------------------------------------


@dataclass
class _Parts:
    company: str
    position: str
    name: str
    years: str
    role: str  # the candidate's current title, when known
    groups: list[_Group]
    listed: list[str]
    fallback_lines: list[str]


def _formal(p: _Parts, quote_words: int, rich: bool) -> list[str]:
    at = f" at {p.company}" if p.company else ""
    position = f"the {p.position} position" if p.position else "the open position"
    opening = f"I am writing to apply for {position}{at}."
    if p.years:
        as_role = f" as {_article(p.role)}" if p.role else ""
        opening += f" I bring {p.years} of experience{as_role}."
    paras = [f"Dear Hiring Team{at}," if p.company else "Dear Hiring Manager,", opening]
    if p.groups:
        first = p.groups[:2]
        body = f"Your posting asks for {_and([s for g in first for s in g.skills])}. "
        body += _cite("In my recent work,", first[0].line, quote_words)
        if len(first) > 1:
            body += " " + _cite("In addition,", first[1].line, quote_words)
        paras.append(body)
        if rich and (len(p.groups) > 2 or p.listed):
            extra = ""
            if len(p.groups) > 2:
                g = p.groups[2]
                extra = _cite(f"With {_and(g.skills)},", g.line, quote_words)
            if p.listed:
                extra += f" I also work with {_and(p.listed[:4])}."
            paras.append(extra.strip())
    elif p.fallback_lines:
        body = "I have read your requirements closely, and my recent work is relevant to them. "
        body += _cite("For example,", p.fallback_lines[0], quote_words)
        paras.append(body)
    target = f" as your {p.position}" if p.position else ""
    who = p.company or "your team"
    paras.append(
        f"I would welcome the opportunity to discuss how I can contribute to {who}{target}. "
        "Thank you for your time and consideration."
    )
    paras.append("Sincerely,\n" + (p.name or "[Your name]"))
    return paras


def _friendly(p: _Parts, quote_words: int, rich: bool) -> list[str]:
    hiring = f"{p.company} is hiring" if p.company else "you are hiring"
    role = f"{_article(p.position)}" if p.position else "for this role"
    opening = f"I was excited to see that {hiring} {role}, and I would love to be considered."
    if p.years:
        as_role = f" as {_article(p.role)}" if p.role else " in this field"
        opening += f" I have spent {p.years}{as_role}, and this role is a great fit for me."
    paras = [f"Hello {p.company} team," if p.company else "Hello,", opening]
    if p.groups:
        first = p.groups[:2]
        body = (
            f"You are looking for {_and([s for g in first for s in g.skills])}, and that has "
            "been a big part of my work. " + _cite("For example,", first[0].line, quote_words)
        )
        if len(first) > 1:
            body += " " + _cite("And", first[1].line, quote_words, quoted="And also")
        paras.append(body)
        if rich and len(p.groups) > 2:
            g = p.groups[2]
            paras.append(_cite(f"With {_and(g.skills)},", g.line, quote_words))
    elif p.fallback_lines:
        paras.append(
            "Here is a taste of what I have been working on. "
            + _cite("Recently,", p.fallback_lines[0], quote_words)
        )
    who = f"the team at {p.company}" if p.company else "your team"
    paras.append(f"I would love to talk about how I could help {who}. Thanks for reading!")
    paras.append("Best regards,\n" + (p.name or "[Your name]"))
    return paras


def _concise(p: _Parts, quote_words: int, rich: bool) -> list[str]:
    at = f" at {p.company}" if p.company else ""
    position = f"the {p.position} role" if p.position else "this role"
    opening = f"I am applying for {position}{at}."
    if p.years:
        as_role = f" as {_article(p.role)}" if p.role else ""
        opening += f" I have {p.years} of experience{as_role}."
    paras = [f"Dear {p.company} team," if p.company else "Dear Hiring Manager,", opening]
    words = min(quote_words, 25)
    if p.groups:
        items = [f"- {_and(g.skills)}: {clip(g.line, words).rstrip(' .;,')}." for g in p.groups[:2]]
        paras.append("Relevant to your requirements:\n" + "\n".join(items))
    elif p.fallback_lines:
        paras.append("Recent work: " + clip(p.fallback_lines[0], words).rstrip(" .;,") + ".")
    paras.append("I would be glad to talk further. Thank you.")
    paras.append("Regards,\n" + (p.name or "[Your name]"))
    return paras


_WRITERS = {"formal": _formal, "friendly": _friendly, "concise": _concise}


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _word_count(paras: Sequence[str]) -> int:
    return sum(len(p.split()) for p in paras)


def write_letter(
    resume: Resume,
    job: Job,
    tone: str,
    result: pb.ResumeAnalysis,
    profile: jd.JobProfile,
    candidate: resume_parser.ResumeProfile,
) -> str:
    tone = normalise_tone(tone)
    groups, listed = _evidence(result)
    fallback = [clean_line(b) for b in candidate.bullets if _is_story(b)]
    # Prefer bullets with numbers when nothing matched: they say the most.
    fallback.sort(key=lambda b: not any(ch.isdigit() for ch in b))
    parts = _Parts(
        company=clean_line(job.company or profile.company),
        position=clean_line(job.title or profile.title or ""),
        name=candidate_name(resume.text),
        # The years the candidate states ("6 years of experience") before those counted
        # from the dates of their jobs.
        years=_years_text(candidate.stated_years or candidate.years_experience),
        role=clean_line(candidate.title or ""),
        groups=groups,
        listed=listed,
        fallback_lines=fallback,
    )
    writer = _WRITERS[tone]
    paras: list[str] = []
    for quote_words, rich in ((40, True), (28, True), (28, False), (18, False)):
        paras = writer(parts, quote_words, rich)
        if _word_count(paras) <= MAX_WORDS:
            break
    return "\n\n".join([*paras, NOTE])


def cover_letter(
    resume: Resume, job: Job, tone: str, result: pb.ResumeAnalysis | None = None
) -> pb.CoverLetter:
    """A letter draft; `provider` left for the caller. `result` is the analysis of this resume
    against this job when the caller already has it. Raises ValueError on an unknown tone."""
    tone = normalise_tone(tone)
    profile = jd.parse_job(job)
    candidate = resume_parser.parse_resume(resume)
    if result is None:
        result = analysis.analyze(resume, job)
    return pb.CoverLetter(text=write_letter(resume, job, tone, result, profile, candidate))
