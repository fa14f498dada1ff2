"""The local provider's resume analysis: an explainable, reproducible match score.

`analyze(resume, job)` reads both texts (`resume.py`, `jd.py`), matches every skill the job
asks for against the resume, and scores six components, each 0..100 with a weight and a
sentence saying what was found and what is missing:

==================  ======  ===========================================================
component           weight  score
==================  ======  ===========================================================
required_skills     0.45    mean credit of the must-have skills
preferred_skills    0.15    mean credit of the nice-to-have skills
job_title           0.10    how close the resume's most recent title is to the job's
experience_years    0.12    years shown by the resume's date ranges / years asked, capped
education           0.08    100 at or above the degree asked, 50 one level below
keywords            0.10    share of the job's domain words that the resume uses
soft_skills         0       reported (which soft skills the job names, which the resume
                            shows), not scored
==================  ======  ===========================================================

A skill's credit is 1.0 when the resume names it (the taxonomy and alias map say so: "k8s"
is Kubernetes; a named skill can show another: PyTorch shows deep learning), with the lines
that name it as evidence. Otherwise the job's sentence asking for it (its other skills masked
out) is compared by sentence embedding (all-MiniLM-L6-v2) with the resume lines that share a
word stem with it: a best cosine at or above `RELATED_THRESHOLD` is a related match worth
`RELATED_CREDIT` (the best line is the evidence); below it, the skill is missing. Skills the
job accepts instead of each other ("PyTorch or TensorFlow") count once, by the best of them.

A component the job does not ask for (no nice-to-have skills, no years, no degree, no title,
no domain words) is left out and its weight shared among the others in proportion to theirs;
its explanation says so. `match_score` is the weighted sum, rounded.

Everything is a pure function of the two texts (and of today's date, which "Present" in a
resume means): no randomness, stable ordering. Text in the resume is data; an instruction
written in it is only words to match.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from careervault.ai.v1 import ai_pb2 as pb
from careervault_ai.local import embeddings
from careervault_ai.local import text as tx
from careervault_ai.local.jd import JD_GENERIC, STOPWORDS, JobProfile, parse_job
from careervault_ai.local.resume import ResumeProfile, has_date_range, parse_resume
from careervault_ai.local.taxonomy import TAXONOMY_NAME, TAXONOMY_VERSION, find_skills
from careervault_ai.provider import Job, Resume

ANALYSIS_VERSION = "1"
MODEL_VERSION = (
    f"careervault-local/{ANALYSIS_VERSION} "
    f"({TAXONOMY_NAME} {TAXONOMY_VERSION}; {embeddings.MODEL_VERSION})"
)

# Base weights of the score's components (they sum to 1). A component that does not apply
# to a job shares its weight among the others in proportion.
WEIGHTS: dict[str, float] = {
    "required_skills": 0.45,  # must-haves weigh three times the nice-to-haves
    "preferred_skills": 0.15,
    "job_title": 0.10,
    "experience_years": 0.12,
    "education": 0.08,
    "keywords": 0.10,  # a minority share: domain words, not skills
}
SOFT_SKILLS_COMPONENT = "soft_skills"  # reported with weight 0

# A skill not named in the resume counts as related when the job's sentence asking for it
# and a resume line are at least this close (cosine of MiniLM sentence vectors). Calibrated
# on the development set of tests/ai/eval: at 0.52 no skill its labels mark missing got
# related credit; at 0.40, 18 did against 2 right (services/ai/README.md).
RELATED_THRESHOLD = 0.52
# A related match counts this much (a skill the resume names counts 1.0).
RELATED_CREDIT = 0.5
# At most this many resume lines are candidates (bullets first), and each requirement is
# compared with at most CANDIDATE_LINES of them: those sharing the most word stems with it.
MAX_EVIDENCE_LINES = 60
CANDIDATE_LINES = 6
# Resume length: fewer words is thin, more is over two pages.
MIN_WORDS = 200
MAX_WORDS = 1000

_LABELS = {
    "required_skills": "Required skills",
    "preferred_skills": "Nice-to-have skills",
    "job_title": "Job title",
    "experience_years": "Years of experience",
    "education": "Education",
    "keywords": "Keywords",
}


@dataclass(frozen=True, slots=True)
class SkillResult:
    skill: str
    required: bool
    requirement: str
    credit: float  # 0..1
    similarity: float  # 1.0 for a named skill, the cosine for a related one, best cosine else
    evidence: tuple[str, ...]
    exact: bool
    via: str = ""  # the skill named in the resume that shows this one

    @property
    def label(self) -> str:
        return f"{self.skill} (via {self.via})" if self.via else self.skill

    @property
    def matched(self) -> bool:
        return self.credit > 0


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    score: float  # 0..100
    weight: float  # base weight
    applies: bool
    explanation: str


def analyze(resume: Resume, job: Job, *, today: dt.date | None = None) -> pb.ResumeAnalysis:
    """Score `resume` against `job`. Pure and deterministic (CPU-bound; run it off the loop)."""
    profile = parse_job(job)
    cv = parse_resume(resume, today=today)
    results = _match_skills(profile, cv)
    units = _units(profile, results)
    components = [
        _skills_component("required_skills", [u for u in units if u.required]),
        _skills_component("preferred_skills", [u for u in units if not u.required]),
        _title_component(profile, cv),
        _years_component(profile, cv),
        _education_component(profile, cv),
        _keywords_component(profile, resume.text),
    ]
    weights = _effective_weights(components)
    total = sum(c.score * weights[c.name] for c in components)
    score = math.floor(total + 0.5)
    out = pb.ResumeAnalysis(match_score=max(0, min(100, score)))
    for c in components:
        explanation = c.explanation
        if not c.applies:
            explanation += " Its weight is shared among the other components."
        out.score_breakdown.append(
            pb.ScoreComponent(
                component=c.name,
                score=round(c.score, 1),
                weight=round(weights[c.name], 4),
                explanation=explanation,
            )
        )
    out.score_breakdown.append(_soft_component(profile, cv))
    for unit in units:
        for r in unit.members:
            if unit.matched and not (r.exact if unit.exact else r is unit.best):
                continue  # an alternative the job did not need, since another one is there
            msg = pb.SkillMatch(
                skill=r.skill,
                evidence=list(r.evidence),
                requirement=r.requirement,
                similarity=round(r.similarity, 3),
                required=r.required,
            )
            (out.matched_skills if r.matched else out.missing_skills).append(msg)
    out.suggestions.extend(_suggestions(profile, cv, units, components))
    out.summary = _summary(out.match_score, profile, units, components)
    return out


# -- skills ----------------------------------------------------------------------------------


def _evidence_lines(cv: ResumeProfile) -> list[str]:
    """The resume lines worth comparing with a requirement: bullets and prose first."""
    bullets = set(cv.bullets)
    ranked: list[tuple[int, int, str]] = []
    for n, (line, section) in enumerate(zip(cv.lines, cv.line_sections, strict=True)):
        if section in {"skills", "education", "languages", "certifications", "awards", "other"}:
            continue
        if _CONTACT.search(line) or (section == "" and (cv.sections or n < 3)):
            continue  # the name, headline and contact lines are not evidence of work
        if _is_list(line):
            continue  # a list of tools resembles every tool: it is evidence only by name
        if len(tx.words(line)) < 4 or has_date_range(line):
            continue  # a role's header line ("Engineer, Acme | 2019 - 2021") shows no skill
        tier = (
            0 if line in bullets else 1 if section in {"summary", "experience", "projects"} else 2
        )
        ranked.append((tier, n, line))
    ranked.sort()
    picked = sorted(ranked[:MAX_EVIDENCE_LINES], key=lambda t: t[1])
    return list(dict.fromkeys(line for _tier, _n, line in picked))


# E-mail addresses, links and phone numbers ("+49 30 5550 1234", "(555) 123-4567").
_CONTACT = re.compile(
    r"@|https?://|www\.|linkedin\.com|github\.com/|\+\d[\d ()./-]{7,}\d|"
    r"\(\d{2,4}\)\s?\d{3}|\b\d{3}[ .-]\d{3}[ .-]\d{4}\b"
)


_STOP_STEMS = frozenset(w[:4] for w in STOPWORDS | JD_GENERIC if len(w) > 3)


def _stems(text: str) -> set[str]:
    """Content-word stems (first four letters) of a text, for picking candidate lines."""
    out = set()
    for word in tx.words(text.lower()):
        if len(word) < 3 or word in STOPWORDS or word in JD_GENERIC:
            continue
        stem = word[:4]
        if stem not in _STOP_STEMS or len(word) <= 3:
            out.add(stem)
    return out


def _is_list(line: str) -> bool:
    """A line that is mostly skill names ("Python, Go, Docker, AWS")."""
    words = tx.words(line)
    if not words:
        return True
    covered = sum(len(tx.words(line[h.start : h.end])) for h in find_skills(line))
    return covered / len(words) >= 0.5 and line.count(",") >= 2


def _exact_evidence(cv: ResumeProfile, skill: str) -> tuple[str, ...]:
    """Up to three lines naming the skill: bullets, then prose, role headers, skills lists."""
    bullets = set(cv.bullets)

    def rank(line: str) -> tuple[int, int]:
        section = cv.section_of(line)
        if line in bullets:
            tier = 0
        elif has_date_range(line):
            tier = 2
        elif section in {"summary", "experience", "projects"}:
            tier = 1
        elif section == "skills":
            tier = 3
        else:
            tier = 4  # the header, contact lines
        return tier, cv.lines.index(line) if line in cv.lines else 0

    return tuple(sorted(cv.skills.get(skill, []), key=rank)[:3])


def _query(profile: JobProfile, skill: str, requirement: str) -> str:
    """What to embed for a skill the resume does not name: the skill, then its sentence with
    the other skills of that sentence masked (so that they do not pull in their own lines)."""
    if not requirement:
        return skill
    masked = requirement
    for hit in sorted(find_skills(requirement), key=lambda h: -h.start):
        if hit.skill != skill and hit.kind == "hard":
            masked = masked[: hit.start] + masked[hit.end :]
    masked = re.sub(r"\s*(?:,\s*)+", ", ", masked)
    masked = re.sub(r"\s{2,}", " ", masked).strip(" ,")
    return f"{skill}: {masked}"


def _match_skills(profile: JobProfile, cv: ResumeProfile) -> list[SkillResult]:
    wanted = [(s, True) for s in profile.required_skills] + [
        (s, False) for s in profile.preferred_skills
    ]
    results: dict[str, SkillResult] = {}
    missing: list[tuple[str, bool, str]] = []
    for skill, required in wanted:
        req = profile.requirement_for(skill)
        sentence = req.text if req else ""
        if skill in cv.skills:
            results[skill] = SkillResult(
                skill,
                required,
                sentence,
                1.0,
                1.0,
                _exact_evidence(cv, skill),
                True,
                cv.implied.get(skill, ""),
            )
        else:
            missing.append((skill, required, sentence))
    lines = _evidence_lines(cv) if missing else []
    queries = [_query(profile, skill, sentence) for skill, _r, sentence in missing]
    # Each query is compared with the resume lines that share a word stem with it (at most
    # CANDIDATE_LINES of them): a line sharing no word with the requirement does not reach
    # RELATED_THRESHOLD in practice, and embedding fewer lines keeps an analysis fast.
    line_stems = [_stems(line) for line in lines]
    candidates: list[list[int]] = []
    for query in queries:
        q = _stems(query)
        ranked = sorted(
            ((len(q & ls), -n) for n, ls in enumerate(line_stems) if q & ls), reverse=True
        )
        candidates.append(sorted(-neg for _overlap, neg in ranked[:CANDIDATE_LINES]))
    used = sorted({n for c in candidates for n in c})
    vectors: dict[int, npt.NDArray[np.float32]] = {}
    query_vectors: dict[int, npt.NDArray[np.float32]] = {}
    if used:
        wanted_queries = [k for k, c in enumerate(candidates) if c]
        encoded = embeddings.encoder().encode(
            [queries[k] for k in wanted_queries] + [lines[n] for n in used]
        )
        query_vectors = {k: encoded[i] for i, k in enumerate(wanted_queries)}
        vectors = {n: encoded[len(wanted_queries) + i] for i, n in enumerate(used)}
    for k, (skill, required, sentence) in enumerate(missing):
        best_line, cosine = -1, 0.0
        for n in candidates[k]:
            sim = round(float(np.clip(query_vectors[k] @ vectors[n], 0.0, 1.0)), 3)
            if sim > cosine:
                best_line, cosine = n, sim
        if best_line >= 0 and cosine >= RELATED_THRESHOLD:
            results[skill] = SkillResult(
                skill, required, sentence, RELATED_CREDIT, cosine, (lines[best_line],), False
            )
        else:
            results[skill] = SkillResult(skill, required, sentence, 0.0, cosine, (), False)
    return [results[s] for s, _r in wanted]


def _names(items: Sequence[str], limit: int = 8) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing the job asks for: a skill, or skills it accepts instead of each other
    ("PyTorch or TensorFlow"), scored by the best of them."""

    members: tuple[SkillResult, ...]

    @property
    def required(self) -> bool:
        return self.members[0].required

    @property
    def best(self) -> SkillResult:
        return max(self.members, key=lambda r: (r.credit, r.similarity, r.exact))

    @property
    def credit(self) -> float:
        return self.best.credit

    @property
    def matched(self) -> bool:
        return self.credit > 0

    @property
    def exact(self) -> bool:
        return self.best.exact

    @property
    def label(self) -> str:
        if self.matched or len(self.members) == 1:
            return self.best.label
        return " or ".join(r.skill for r in self.members)


def _units(profile: JobProfile, results: Sequence[SkillResult]) -> list[Unit]:
    by_skill = {r.skill: r for r in results}
    seen: set[str] = set()
    units: list[Unit] = []
    for r in results:
        if r.skill in seen:
            continue
        group = [r.skill] + [
            s
            for s in profile.alternatives.get(r.skill, [])
            if s in by_skill and s not in seen and by_skill[s].required == r.required
        ]
        seen.update(group)
        units.append(Unit(tuple(by_skill[s] for s in group)))
    return units


def _skills_component(name: str, units: list[Unit]) -> Component:
    label = "required" if name == "required_skills" else "nice-to-have"
    if not units:
        return Component(
            name, 0.0, WEIGHTS[name], False, f"The job names no {label} skills we recognise."
        )
    exact = [u.label for u in units if u.exact]
    related = [u for u in units if u.matched and not u.exact]
    missing = [u.label for u in units if not u.matched]
    score = 100.0 * sum(u.credit for u in units) / len(units)
    parts = [f"{len(exact)} of {len(units)} {label} skills named in the resume"]
    if exact:
        parts[0] += f": {_names(exact)}"
    if related:
        parts.append(
            "related experience for "
            + ", ".join(
                f"{u.label} (similarity {u.best.similarity:.2f}, counted {u.credit:g})"
                for u in related
            )
        )
    if missing:
        parts.append(f"missing {_names(missing)}")
    return Component(name, score, WEIGHTS[name], True, "; ".join(parts) + ".")


_SENIORITY = re.compile(
    r"\b(?:senior|sr|junior|jr|lead|principal|staff|head|chief|mid|intern|graduate|entry|"
    r"level|i{1,3}|iv|associate|trainee)\b\.?",
    re.IGNORECASE,
)
_ROLE_SYNONYMS = {
    "developer": "engineer",
    "programmer": "engineer",
    "swe": "engineer",
    "sde": "engineer",
    "back": "backend",
    "back-end": "backend",
    "front": "frontend",
    "front-end": "frontend",
    "fullstack": "full-stack",
    "full": "full-stack",
    "ml": "machine-learning",
    "dev": "engineer",
}


def _title_words(title: str) -> set[str]:
    text = _SENIORITY.sub(" ", title.lower())
    out = set()
    for w in tx.words(text):
        w = _ROLE_SYNONYMS.get(w, w)
        if w in {"end", "stack", "and", "of", "the", "for", "at", "with", "to", "a"}:
            continue
        out.add(w.rstrip("s") if len(w) > 4 else w)
    return out


_QUALIFIERS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TITLE_TAIL = re.compile(r"\s*(?:,|\s[-\u2013\u2014|/]\s|:)\s*")


def _core_title(title: str) -> str:
    """The role itself: without parenthesised qualifiers ("(Python)", "(m/w/d)") and the team,
    product or place after a comma or a dash ("..., Payments Platform", "... - Berlin")."""
    core = _TITLE_TAIL.split(_QUALIFIERS.sub(" ", title), maxsplit=1)[0]
    return core.strip() or title


def title_similarity(job_title: str, resume_title: str) -> float:
    """0..1: word overlap of two titles (seniority ignored, synonyms folded), the job's title
    taken whole or as its core role, whichever overlaps more; raised to the embedding cosine
    of the two titles when that is higher."""
    a, b = _title_words(job_title), _title_words(resume_title)
    if not a or not b:
        return 0.0
    core = _title_words(_core_title(job_title)) or a
    overlap = max(len(a & b) / len(a), len(core & b) / len(core))
    vec = embeddings.encoder().encode([job_title, resume_title])
    cosine = float(np.clip(vec[0] @ vec[1], 0.0, 1.0))
    semantic = max(0.0, (cosine - 0.35) / 0.5)
    return round(min(1.0, max(overlap, semantic)), 3)


def _title_component(profile: JobProfile, cv: ResumeProfile) -> Component:
    name = "job_title"
    if not profile.title:
        return Component(name, 0.0, WEIGHTS[name], False, "The job description states no title.")
    if not cv.title:
        return Component(
            name,
            0.0,
            WEIGHTS[name],
            True,
            f"No job title found in the resume to compare with '{profile.title}'.",
        )
    sim = title_similarity(profile.title, cv.title)
    score = round(100.0 * sim, 1)
    closeness = "matches" if sim >= 0.85 else "is close to" if sim >= 0.5 else "differs from"
    return Component(
        name,
        score,
        WEIGHTS[name],
        True,
        f"The resume's most recent title '{cv.title}' {closeness} '{profile.title}' "
        f"(similarity {sim:.2f}).",
    )


def _fmt_years(value: float) -> str:
    return f"{value:g}"


def _years_component(profile: JobProfile, cv: ResumeProfile) -> Component:
    name = "experience_years"
    need = profile.years_required
    if need is None:
        return Component(name, 0.0, WEIGHTS[name], False, "The job asks for no number of years.")
    have = cv.years_experience
    if have is None:
        return Component(
            name,
            0.0,
            WEIGHTS[name],
            True,
            f"The job asks for {_fmt_years(need)}+ years; no dated roles were found in the resume.",
        )
    score = 100.0 if have >= need else round(100.0 * have / need, 1)
    verdict = "meets" if have >= need else f"is {_fmt_years(round(need - have, 1))} short of"
    return Component(
        name,
        score,
        WEIGHTS[name],
        True,
        f"The resume's dated roles add up to {_fmt_years(have)} years, which {verdict} the "
        f"{_fmt_years(need)}+ years asked.",
    )


_LEVEL_NAMES = {
    "associate": "an associate degree",
    "bachelor": "a bachelor's degree",
    "master": "a master's degree",
    "phd": "a doctorate",
}


def _education_component(profile: JobProfile, cv: ResumeProfile) -> Component:
    name = "education"
    need = profile.education
    if need is None:
        return Component(name, 0.0, WEIGHTS[name], False, "The job asks for no degree.")
    need_rank, have_rank = tx.education_rank(need), tx.education_rank(cv.education)
    asked = _LEVEL_NAMES[need]
    if have_rank >= need_rank:
        score, what = 100.0, f"the resume shows {_LEVEL_NAMES[cv.education or need]}"
    elif have_rank == need_rank - 1 and have_rank > 0:
        score, what = (
            50.0,
            f"the resume shows {_LEVEL_NAMES[cv.education or need]}, one level below",
        )
    else:
        score, what = 0.0, "no degree at that level was found in the resume"
    if (
        score < 100
        and profile.education_optional
        and (profile.years_required is None or (cv.years_experience or 0) >= profile.years_required)
        and cv.years_experience
    ):
        score = max(score, 75.0)
        what += ", but the job accepts equivalent experience"
    return Component(name, score, WEIGHTS[name], True, f"The job asks for {asked}; {what}.")


def _keyword_present(word: str, resume_lower: str) -> bool:
    stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
    return re.search(rf"(?<![\w]){re.escape(stem)}", resume_lower) is not None


def _keywords_component(profile: JobProfile, resume_text: str) -> Component:
    name = "keywords"
    if not profile.keywords:
        return Component(name, 0.0, WEIGHTS[name], False, "No domain keywords in the job.")
    lower = resume_text.lower()
    found = [w for w in profile.keywords if _keyword_present(w, lower)]
    missing = [w for w in profile.keywords if w not in found]
    score = round(100.0 * len(found) / len(profile.keywords), 1)
    text = f"{len(found)} of {len(profile.keywords)} job keywords appear in the resume"
    if found:
        text += f": {_names(found)}"
    if missing:
        text += f"; not found: {_names(missing)}"
    return Component(name, score, WEIGHTS[name], True, text + ".")


def _soft_component(profile: JobProfile, cv: ResumeProfile) -> pb.ScoreComponent:
    if not profile.soft_skills:
        text = "The job names no soft skills."
        score = 0.0
    else:
        shown = [s for s in profile.soft_skills if s in cv.skills]
        score = round(100.0 * len(shown) / len(profile.soft_skills), 1)
        text = f"The job mentions {_names(profile.soft_skills)}"
        text += f"; the resume shows {_names(shown)}" if shown else "; the resume names none"
        text += ". Reported only: soft skills are not scored."
    return pb.ScoreComponent(
        component=SOFT_SKILLS_COMPONENT, score=score, weight=0.0, explanation=text
    )


def _effective_weights(components: Sequence[Component]) -> dict[str, float]:
    active = sum(c.weight for c in components if c.applies)
    if active <= 0:
        return {c.name: 0.0 for c in components}
    return {c.name: (c.weight / active if c.applies else 0.0) for c in components}


# -- suggestions and summary ------------------------------------------------------------------


def _quote(line: str, limit: int = 90) -> str:
    line = line.strip().rstrip(".;,")
    return f"“{line if len(line) <= limit else line[: limit - 1].rstrip() + '…'}”"


def _suggestions(
    profile: JobProfile,
    cv: ResumeProfile,
    units: Sequence[Unit],
    components: Sequence[Component],
) -> list[str]:
    """What to change, most useful first. Templates filled with what was found: they never
    claim a skill the resume does not show, they ask the user to add it if it is true."""
    out: list[str] = []
    missing_required = [u for u in units if u.required and not u.matched]
    for u in missing_required[:5]:
        if len(u.members) == 1:
            out.append(
                f"The job requires {u.label}. If you have worked with {u.label}, name it in a "
                "bullet with what you did with it."
            )
        else:
            out.append(
                f"The job requires {u.label}. If you have worked with any of them, name it in "
                "a bullet with what you did with it."
            )
    if len(missing_required) > 5:
        out.append(
            "Also required and not found: "
            + _names([u.label for u in missing_required[5:]])
            + ". Add those you have used."
        )
    need, have = profile.years_required, cv.years_experience
    if need is not None and have is None:
        out.append(
            "Add start and end dates (month and year) to each role: the job asks for "
            f"{_fmt_years(need)}+ years and none could be counted."
        )
    elif need is not None and have is not None and have < need:
        out.append(
            f"The job asks for {_fmt_years(need)}+ years and your dated roles show "
            f"{_fmt_years(have)}. If you have more relevant experience (earlier roles, "
            "freelance, open source), list it with dates."
        )
    related = [u for u in units if u.matched and not u.exact]
    for u in related[:3]:
        r = u.best
        out.append(
            f"{r.skill} is not named, but {_quote(r.evidence[0])} looks related. If that work "
            f"used {r.skill}, say so in the bullet."
        )
    missing_preferred = [u.label for u in units if not u.required and not u.matched]
    if missing_preferred:
        out.append(
            f"Nice-to-have skills not found: {_names(missing_preferred)}. Mention any you "
            "have used, with where."
        )
    wanted = {r.skill for u in units for r in u.members if r.exact}
    listed_only = [s for s in cv.listed_only if s in wanted]
    if listed_only:
        verb = "appears" if len(listed_only) == 1 else "appear"
        them = "it" if len(listed_only) == 1 else "them"
        out.append(
            f"{_names(listed_only)} {verb} only in your skills list. Show {them} in an "
            f"experience bullet: what you built with {them} and the result."
        )
    plain = [b for i, b in enumerate(cv.bullets) if i not in cv.quantified]
    if cv.bullets and plain and len(plain) >= max(2, len(cv.bullets) // 3):
        quoted = " and ".join(_quote(b) for b in plain[:2])
        out.append(
            f"{len(plain)} of {len(cv.bullets)} bullets have no numbers, such as {quoted}. Add "
            "the scale or the result (users, requests, time or money saved, percentages)."
        )
    out.extend(_section_suggestions(cv))
    if cv.word_count < MIN_WORDS:
        out.append(
            f"The resume is short ({cv.word_count} words). Describe each role with two to five "
            "bullets on what you did and what came of it."
        )
    elif cv.word_count > MAX_WORDS:
        out.append(
            f"The resume runs to {cv.word_count} words, more than two pages. Cut older or less "
            "relevant bullets so the matches above stand out."
        )
    title = next(c for c in components if c.name == "job_title")
    if title.applies and title.score < 50 and profile.title:
        if cv.title:
            out.append(
                f"Your most recent title '{cv.title}' differs from '{profile.title}'. If your "
                "work matched that role, say so in your summary."
            )
        else:
            out.append(
                f"Put a headline with your role under your name (the job is '{profile.title}')."
            )
    keywords = next(c for c in components if c.name == "keywords")
    if keywords.applies and keywords.score < 60:
        lower = "\n".join(cv.lines).lower()
        absent = [w for w in profile.keywords if not _keyword_present(w, lower)]
        if absent:
            out.append(
                f"The job's domain words {_names(absent[:6])} do not appear in the resume. "
                "Use them where they truly describe your work."
            )
    return out


def _section_suggestions(cv: ResumeProfile) -> list[str]:
    out: list[str] = []
    if not cv.sections:
        out.append(
            "Add section headings (Summary, Experience, Skills, Education) so that readers "
            "and applicant tracking systems can find each part."
        )
        return out
    if "experience" not in cv.sections:
        out.append("Add an Experience section with your roles, dates and bullets.")
    if "skills" not in cv.sections:
        out.append("Add a Skills section listing the tools and technologies you use.")
    if "summary" not in cv.sections:
        out.append(
            "Add a two- or three-line summary at the top naming your role, years and "
            "strongest skills."
        )
    if "education" not in cv.sections:
        out.append("Add an Education section (degree, school, year), even if brief.")
    order = [s for s in cv.sections if s in {"summary", "experience", "education"}]
    if "summary" in order and order[0] != "summary":
        out.append("Move the summary to the top of the resume.")
    if (
        "experience" in order
        and "education" in order
        and order.index("education") < order.index("experience")
        and (cv.years_experience or 0) >= 2
    ):
        out.append("Put Experience before Education: with your years of work it matters more.")
    return out


def _summary(
    score: int,
    profile: JobProfile,
    units: Sequence[Unit],
    components: Sequence[Component],
) -> str:
    role = f" for {profile.title}" if profile.title else ""
    required = [u for u in units if u.required]
    preferred = [u for u in units if not u.required]
    first = f"Match score {score}/100{role}."
    if required:
        named = sum(1 for u in required if u.exact)
        related = sum(1 for u in required if u.matched and not u.exact)
        second = f"The resume names {named} of {len(required)} required skills"
        if related:
            second += f" and shows related experience for {related} more"
        missing = [u.label for u in required if not u.matched]
        second += f"; missing: {_names(missing, 5)}." if missing else "."
    else:
        second = "The job description names no required skills we recognise."
    if preferred:
        got = sum(1 for u in preferred if u.matched)
        second += f" {got} of {len(preferred)} nice-to-have skills found."
    applicable = [c for c in components if c.applies and c.name not in _SKILL_COMPONENTS]
    third = ""
    if not any(c.applies for c in components):
        third = (
            " The job description gives nothing to match against (no skills, title, years, "
            "degree or domain words we recognise)."
        )
    elif not any(c.applies for c in components if c.name in _SKILL_COMPONENTS):
        parts = ", ".join(_LABELS[c.name].lower() for c in applicable)
        third = f" Without skills to compare, the score rests only on: {parts}."
    else:
        weakest = min(applicable, key=lambda c: (c.score, c.name), default=None)
        if weakest is not None and weakest.score < 60:
            label = _LABELS[weakest.name].lower()
            third = f" Weakest other part: {label} ({weakest.score:.0f}/100)."
    return first + " " + second + third


_SKILL_COMPONENTS = frozenset({"required_skills", "preferred_skills"})
