"""`make eval`: how good the local resume analysis is, on the project's own labelled set.

The set lives in `tests/ai/eval/`: job descriptions (`jobs/`), resumes (`resumes/`) and
`labels.yaml`, which says for every job the skills a careful reader marks required and
preferred, for every (resume, job) pair which of them the resume shows, and for every job the
order of its resumes by fit. This script runs the local engine
(`careervault_ai.local.analysis.analyze`, in-process, no gRPC) on every labelled pair and
reports:

1. skill extraction from the job description (`careervault_ai.local.jd.parse_job`) against
   the labelled required + preferred skills: precision, recall, F1; and whether each found
   skill lands in the right class (required or preferred);
2. matched / missing classification (`ResumeAnalysis.matched_skills` / `.missing_skills`)
   against the labels: precision, recall, F1 for each class, micro-averaged over all pairs;
3. ranking agreement per job between `match_score` and the labelled order: pairwise accuracy,
   Kendall's tau-b and Spearman's rho (stdlib implementations), and every pair in which a
   weaker resume scored at least as high as a stronger one;
4. the same numbers, where they apply, for Resume-Matcher's keyword percentage on the same
   pairs (see `keyword_score`), with the skills one finds and the other misses;
5. timings: the first analysis (model load included), then the warm analyses.

It prints a markdown report and (unless `--no-write`) replaces the part of
`docs/ai-quality.md` between `<!-- eval:start -->` and `<!-- eval:end -->`. `--check` exits 1
when a number falls below its floor in `FLOORS`. `tests/ai/test_quality.py` runs the same
evaluation in `make test`. Only ids, sizes, scores and timings are printed: resume text never
is (the set is invented anyway, but the habit matters).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import inspect
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from careervault_ai.provider import Job, Resume  # noqa: E402

from careervault.ai.v1 import ai_pb2 as pb  # noqa: E402
from scripts.bench import command_line, cpu_model, section_writer  # noqa: E402

EVAL_DIR = ROOT / "tests" / "ai" / "eval"
DOC = ROOT / "docs" / "ai-quality.md"
START_MARKER = "<!-- eval:start -->"
END_MARKER = "<!-- eval:end -->"

# The two splits: the development set the engine's authors may tune on, and the held-out set
# written after that tuning, which they must not tune on (docs/ai-quality.md).
SPLITS: dict[str, Path] = {"development": EVAL_DIR, "held-out": EVAL_DIR / "holdout"}

# Quality floors for `--check` and tests/ai/test_quality.py, per split, set a little below the
# numbers measured when they were last raised (see docs/ai-quality.md). Raise them when the
# engine improves; never lower one to make a change pass without saying why in the docs.
FLOORS: dict[str, dict[str, float]] = {
    "development": {
        "extraction_f1": 0.80,
        "matched_f1": 0.76,
        "missing_f1": 0.68,
        "verdict_accuracy": 0.80,
        "pairwise_accuracy": 0.95,
        "mean_kendall_tau": 0.90,
    },
    "held-out": {
        "extraction_f1": 0.80,
        "matched_f1": 0.76,
        "missing_f1": 0.75,
        "verdict_accuracy": 0.82,
        "pairwise_accuracy": 0.90,
        "mean_kendall_tau": 0.80,
    },
}
SPLIT_TITLES = {
    "development": "Development set (the engine was tuned on it)",
    "held-out": "Held-out set (written after that tuning; not tuned on)",
}
# Per split, jobs whose resumes need not be strictly ordered by score (reported, not
# enforced); docs/ai-quality.md says why for each.
STRICT_ORDER_EXEMPT: dict[str, frozenset[str]] = {
    "development": frozenset(),
    # The prose posting: "search engine optimisation", "the content calendar" and "the weekly
    # email" are not read as skills and "It would help if" not as nice-to-have, so the content
    # writer (5) scores below the PHP developer (14). A known engine weakness; fix it in the
    # engine in general terms (not for this text), then remove the exemption.
    "held-out": frozenset({"marketing-manager"}),
}
# "Present" in a resume's date range means this day, so the numbers do not drift with time.
TODAY = dt.date(2025, 6, 1)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the labelled set -------------------------------------------------------------------


@dataclass(frozen=True)
class PairLabel:
    matched: frozenset[str]
    missing: frozenset[str]


@dataclass(frozen=True)
class JobCase:
    id: str
    file: str
    title: str
    text: str
    required: tuple[str, ...]
    preferred: tuple[str, ...]
    optional: tuple[str, ...]
    jd_terms: Mapping[str, tuple[str, ...]]
    ranking: tuple[str, ...]
    pairs: Mapping[str, PairLabel]
    language: str = "en"

    @property
    def skills(self) -> tuple[str, ...]:
        return self.required + self.preferred


def _key(name: str) -> str:
    """Lower-case, letters/digits/+/# only, a final plural "s" dropped: "REST APIs" ->
    "restapi", "Next.js" -> "nextjs", "C++" -> "c++"."""
    key = re.sub(r"[^\w+#]|_", "", name.casefold().replace("&", "and"))
    if len(key) > 4 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


def name_keys(name: str) -> set[str]:
    """The keys a reported skill name may match: the whole name, the name without a
    parenthesised part and the parenthesised part ("Python (Programming Language)",
    "Representational State Transfer (REST)")."""
    keys = {_key(name)}
    m = re.fullmatch(r"\s*(.*?)\s*\((.*)\)\s*", name)
    if m:
        keys.update({_key(m.group(1)), _key(m.group(2))})
    keys.discard("")
    return keys


class SkillNames:
    """Resolves a skill name reported by an engine to a labelled (canonical) name."""

    def __init__(self, equivalents: Mapping[str, Sequence[str]]) -> None:
        self._aliases: dict[str, set[str]] = {}
        for canonical, others in equivalents.items():
            keys = self._aliases.setdefault(canonical, set())
            for name in (canonical, *others):
                keys |= name_keys(name)

    def keys_of(self, canonical: str) -> set[str]:
        return self._aliases.get(canonical, set()) | name_keys(canonical)

    def resolve(self, name: str, candidates: Iterable[str]) -> str | None:
        keys = name_keys(name)
        for candidate in candidates:
            if keys & self.keys_of(candidate):
                return candidate
        return None


@dataclass(frozen=True)
class Dataset:
    jobs: Mapping[str, JobCase]
    resumes: Mapping[str, str]
    names: SkillNames

    @property
    def pair_count(self) -> int:
        return sum(len(job.pairs) for job in self.jobs.values())


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def load_dataset(directory: Path = EVAL_DIR) -> Dataset:
    """Reads and checks a split: every pair labels each job skill exactly once, every ranked
    resume has labels and a file, no skill is both required and preferred. A split below
    `EVAL_DIR` also gets the development set's `equivalents`."""
    raw = yaml.safe_load((directory / "labels.yaml").read_text())
    resumes: dict[str, str] = {}
    for path in sorted((directory / "resumes").iterdir()):
        if path.suffix in (".md", ".txt"):
            resumes[path.stem] = path.read_text()
    equivalents: dict[str, tuple[str, ...]] = {}
    sources = [raw]
    if directory.resolve() != EVAL_DIR.resolve():
        sources.insert(0, yaml.safe_load((EVAL_DIR / "labels.yaml").read_text()))
    for source in sources:
        for k, v in (source.get("equivalents") or {}).items():
            equivalents[k] = equivalents.get(k, ()) + _strings(v, f"equivalents.{k}")
    jobs: dict[str, JobCase] = {}
    for job_id, spec in raw["jobs"].items():
        where = f"jobs.{job_id}"
        required = _strings(spec["required"], f"{where}.required")
        preferred = _strings(spec["preferred"], f"{where}.preferred")
        if set(required) & set(preferred):
            raise ValueError(
                f"{where}: both required and preferred: {set(required) & set(preferred)}"
            )
        skills = set(required) | set(preferred)
        pairs: dict[str, PairLabel] = {}
        for resume_id, pair in spec["pairs"].items():
            matched = frozenset(_strings(pair["matched"], f"{where}.{resume_id}.matched"))
            missing = frozenset(_strings(pair["missing"], f"{where}.{resume_id}.missing"))
            if matched & missing or (matched | missing) != skills:
                raise ValueError(
                    f"{where}.pairs.{resume_id}: matched and missing must split the job's "
                    f"skills; both: {sorted(matched & missing)}, "
                    f"unlabelled: {sorted(skills - matched - missing)}, "
                    f"unknown: {sorted((matched | missing) - skills)}"
                )
            if resume_id not in resumes:
                raise ValueError(f"{where}.pairs.{resume_id}: no resume file")
            pairs[resume_id] = PairLabel(matched, missing)
        ranking = _strings(spec["ranking"], f"{where}.ranking")
        if sorted(ranking) != sorted(pairs):
            raise ValueError(f"{where}: ranking must list each labelled resume once")
        jd_terms = {
            k: _strings(v, f"{where}.jd_terms.{k}") for k, v in (spec.get("jd_terms") or {}).items()
        }
        if set(jd_terms) - skills:
            raise ValueError(f"{where}.jd_terms: unknown skills {sorted(set(jd_terms) - skills)}")
        jobs[job_id] = JobCase(
            id=job_id,
            file=spec["file"],
            title=spec.get("title", ""),
            text=(directory / spec["file"]).read_text(),
            required=required,
            preferred=preferred,
            optional=_strings(spec.get("optional"), f"{where}.optional"),
            jd_terms=jd_terms,
            ranking=ranking,
            pairs=pairs,
            language=spec.get("language", "en"),
        )
    return Dataset(jobs=jobs, resumes=resumes, names=SkillNames(equivalents))


# --- Resume-Matcher's keyword percentage ---------------------------------------------------

# Resume-Matcher (github.com/srbhr/Resume-Matcher), apps/frontend/lib/utils/keyword-matcher.ts:
# `extractKeywords` lower-cases the text, splits it on every run of characters outside
# [a-z0-9-], and keeps the distinct words of at least 3 characters that are neither pure
# digits nor in its stop list (English function words plus job-ad filler such as
# "experience", "skills", "required"); `calculateMatchStats` counts the job's keywords that
# are also keywords of the resume and reports round(100 * matched / all job keywords).
# Re-implemented here from that description, with the same stop list.
_RM_STOP_LIST = """
    a an the i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing will would could should might must shall can need dare ought
    used and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further then once nor so yet both either neither not only here there when where why how
    all each every few more most other some such no own same than too very just also now
    etc within role position job work working team company looking seeking required
    requirements responsibilities qualifications preferred experience years year ability
    skills knowledge strong excellent good great well include including includes may like
    e.g i.e via
"""
RM_STOP_WORDS = frozenset(_RM_STOP_LIST.split())
RM_MIN_WORD_LENGTH = 3


def rm_keywords(text: str) -> set[str]:
    words = re.split(r"[^a-z0-9-]+", text.lower())
    return {
        w
        for w in words
        if len(w) >= RM_MIN_WORD_LENGTH and w not in RM_STOP_WORDS and not w.isdigit()
    }


@dataclass(frozen=True)
class KeywordScore:
    score: int
    matched: int
    total: int


def keyword_score(resume_text: str, job_text: str) -> KeywordScore:
    """Resume-Matcher's match percentage: job keywords found in the resume / job keywords."""
    job_words = rm_keywords(job_text)
    matched = len(job_words & rm_keywords(resume_text))
    total = len(job_words)
    # JavaScript's Math.round rounds halves up; Python's round() would round them to even.
    score = math.floor(100 * matched / total + 0.5) if total else 0
    return KeywordScore(score=score, matched=matched, total=total)


def rm_terms(job: JobCase, skill: str) -> list[set[str]]:
    """The keyword sets under which the baseline can see `skill` in this job: the job's own
    wording of it (`jd_terms`, else the canonical name), as Resume-Matcher tokenises it.
    A term whose every word is dropped (too short, a stop word: "Go", "CI/CD") is invisible."""
    terms = job.jd_terms.get(skill, (skill,))
    out = []
    for term in terms:
        words = rm_keywords(term)
        if words:
            out.append(words)
    return out


def rm_skill_seen(job: JobCase, skill: str, resume_words: set[str]) -> bool:
    return any(words <= resume_words for words in rm_terms(job, skill))


# --- the engine ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineRun:
    score: int
    matched: tuple[tuple[str, bool], ...]  # (skill, required)
    missing: tuple[tuple[str, bool], ...]
    seconds: float

    @property
    def signature(self) -> tuple[object, ...]:
        return (self.score, self.matched, self.missing)


def _skill_name(item: object) -> str:
    if isinstance(item, str):
        return item
    for attr in ("name", "skill", "canonical"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    return str(item)


def run_engine(resume_text: str, job_text: str) -> EngineRun:
    # The first call's time includes importing the engine (taxonomy and model load).
    start = time.perf_counter()
    from careervault_ai.local.analysis import analyze

    kwargs: dict[str, Any] = {}
    if "today" in inspect.signature(analyze).parameters:
        kwargs["today"] = TODAY
    result: Any = analyze(Resume(text=resume_text), Job(description=job_text), **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    seconds = time.perf_counter() - start
    if not isinstance(result, pb.ResumeAnalysis):
        raise TypeError(f"analyze returned {type(result).__name__}, not ResumeAnalysis")
    return EngineRun(
        score=result.match_score,
        matched=tuple((m.skill, m.required) for m in result.matched_skills),
        missing=tuple((m.skill, m.required) for m in result.missing_skills),
        seconds=seconds,
    )


async def _await(value: Any) -> Any:
    return await value


def engine_job_skills(job_text: str) -> tuple[list[str], list[str]]:
    """(required, preferred) skill names the engine reads from a job description."""
    from careervault_ai.local.jd import parse_job

    profile = parse_job(Job(description=job_text))
    return (
        [_skill_name(s) for s in profile.required_skills],
        [_skill_name(s) for s in profile.preferred_skills],
    )


# --- metrics ------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b (ties in either variable corrected); None when undefined (a variable
    with every value tied)."""
    n = len(x)
    concordant = discordant = ties_x = ties_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = _sign(x[i] - x[j]), _sign(y[i] - y[j])
            if dx == 0:
                ties_x += 1
            if dy == 0:
                ties_y += 1
            if dx * dy > 0:
                concordant += 1
            elif dx * dy < 0:
                discordant += 1
    n0 = n * (n - 1) // 2
    denominator = math.sqrt((n0 - ties_x) * (n0 - ties_y))
    return (concordant - discordant) / denominator if denominator else None


def _average_ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's correlation of the average ranks; None when undefined."""
    rx, ry = _average_ranks(x), _average_ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else None


@dataclass(frozen=True)
class Ranking:
    """How one scorer orders one job's resumes against the labelled order."""

    job: str
    order: tuple[str, ...]  # labelled, best first
    scores: tuple[float, ...]  # in that order
    pairs: int
    correct: int  # stronger strictly above weaker
    ties: int
    violations: tuple[tuple[str, str, float, float], ...]  # (stronger, weaker, s1, s2)
    kendall: float | None
    spearman: float | None

    @property
    def accuracy(self) -> float:
        return (self.correct + 0.5 * self.ties) / self.pairs if self.pairs else 1.0

    @property
    def spread(self) -> float:
        return max(self.scores) - min(self.scores)

    @property
    def gap(self) -> float:
        """Strongest minus weakest resume."""
        return self.scores[0] - self.scores[-1]


def rank_agreement(job: str, order: Sequence[str], scores: Mapping[str, float]) -> Ranking:
    values = [scores[r] for r in order]
    correct = ties = 0
    violations = []
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            if values[i] > values[j]:
                correct += 1
            else:
                ties += values[i] == values[j]
                violations.append((order[i], order[j], values[i], values[j]))
    gold = [float(len(order) - i) for i in range(len(order))]
    return Ranking(
        job=job,
        order=tuple(order),
        scores=tuple(values),
        pairs=len(order) * (len(order) - 1) // 2,
        correct=correct,
        ties=ties,
        violations=tuple(violations),
        kendall=kendall_tau_b(gold, values),
        spearman=spearman_rho(gold, values),
    )


def _mean(values: Iterable[float | None]) -> float:
    defined = [v for v in values if v is not None]
    return statistics.fmean(defined) if defined else float("nan")


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = q * (len(ordered) - 1)
    lo, hi = math.floor(index), math.ceil(index)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (index - lo)


# --- the evaluation -----------------------------------------------------------------------


@dataclass
class JobExtraction:
    found: set[str]  # labelled skills the engine found
    missed: set[str]  # labelled skills it did not find
    unexpected: list[str]  # names it reported that are neither labelled nor optional
    wrong_class: list[str]  # found, but required <-> preferred swapped


@dataclass
class PairOutcome:
    job: str
    resume: str
    engine: EngineRun
    baseline: KeywordScore
    false_matched: list[str]  # engine: matched, label: missing (or not a job skill)
    false_missing: list[str]  # engine: missing, label: matched
    not_reported: list[str]  # labelled skill in neither list
    ours_only: list[str]  # labelled matched: engine matched, baseline did not see it
    baseline_only: list[str]  # labelled matched: baseline saw it, engine did not match


@dataclass
class Report:
    dataset: Dataset
    extraction: Counts = field(default_factory=Counts)
    extraction_required: Counts = field(default_factory=Counts)
    extraction_preferred: Counts = field(default_factory=Counts)
    baseline_extraction: Counts = field(default_factory=Counts)
    jobs: dict[str, JobExtraction] = field(default_factory=dict)
    matched: Counts = field(default_factory=Counts)
    missing: Counts = field(default_factory=Counts)
    # Verdicts on the labelled skills only (a skill the engine did not report counts as
    # "missing"): the one comparison in which the keyword rule is judged like the engine.
    verdict_matched: Counts = field(default_factory=Counts)
    verdict_missing: Counts = field(default_factory=Counts)
    verdict_right: int = 0
    baseline_matched: Counts = field(default_factory=Counts)
    baseline_missing: Counts = field(default_factory=Counts)
    baseline_right: int = 0
    verdicts: int = 0
    classified: int = 0  # labelled skills the engine put in one of its two lists
    classified_right: int = 0
    pairs: list[PairOutcome] = field(default_factory=list)
    rankings: dict[str, Ranking] = field(default_factory=dict)
    baseline_rankings: dict[str, Ranking] = field(default_factory=dict)
    first_seconds: float = 0.0
    first_was_cold: bool = True  # the first analysis in this process (model load included)
    parse_seconds: float = 0.0  # the first job parse (in a fresh process: taxonomy load)
    warm_seconds: list[float] = field(default_factory=list)  # each pair's first analysis
    repeat_seconds: list[float] = field(default_factory=list)  # the same pair again
    baseline_seconds: list[float] = field(default_factory=list)
    nondeterministic: list[str] = field(default_factory=list)
    total_seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        """The numbers `FLOORS` applies to."""
        return {
            "extraction_f1": self.extraction.f1,
            "matched_f1": self.matched.f1,
            "missing_f1": self.missing.f1,
            "verdict_accuracy": self.verdict_right / self.verdicts if self.verdicts else 1.0,
            "pairwise_accuracy": pairwise_accuracy(self.rankings.values()),
            "mean_kendall_tau": _mean(r.kendall for r in self.rankings.values()),
        }


def pairwise_accuracy(rankings: Iterable[Ranking]) -> float:
    rankings = list(rankings)
    pairs = sum(r.pairs for r in rankings)
    return sum(r.correct + 0.5 * r.ties for r in rankings) / pairs if pairs else 1.0


def _resolve_all(
    names: SkillNames, reported: Iterable[str], job: JobCase
) -> tuple[set[str], list[str]]:
    """Labelled skills the reported names stand for, and the reported names that are neither
    a labelled skill nor one of the job's optional ones."""
    labelled = job.skills
    resolved: set[str] = set()
    unexpected: list[str] = []
    for name in reported:
        hit = names.resolve(name, labelled)
        if hit is not None:
            resolved.add(hit)
        elif names.resolve(name, job.optional) is None and name not in unexpected:
            unexpected.append(name)
    return resolved, unexpected


_engine_state = {"warm": False}


def evaluate(
    dataset: Dataset | None = None,
    repeats: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Runs the engine (and the baseline) on every labelled pair. `repeats` > 1 runs each
    analysis again for the timings and checks that the result does not change."""
    dataset = dataset or load_dataset()
    report = Report(dataset=dataset)
    names = dataset.names
    began = time.perf_counter()
    first = True
    for job in dataset.jobs.values():
        # 1. Extraction.
        t0 = time.perf_counter()
        required, preferred = engine_job_skills(job.text)
        if not report.parse_seconds:
            report.parse_seconds = time.perf_counter() - t0
        req_found, unexpected = _resolve_all(names, required, job)
        pref_found, unexpected_pref = _resolve_all(names, preferred, job)
        found = req_found | pref_found
        gold = set(job.skills)
        report.extraction.tp += len(found)
        report.extraction.fn += len(gold - found)
        report.extraction.fp += len(unexpected) + len(
            [u for u in unexpected_pref if u not in unexpected]
        )
        report.extraction_required.add(req_found - pref_found, set(job.required))
        report.extraction_preferred.add(pref_found - req_found, set(job.preferred))
        wrong_class = sorted(
            (req_found & set(job.preferred)) - pref_found
            | (pref_found & set(job.required)) - req_found
        )
        report.jobs[job.id] = JobExtraction(
            found=found,
            missed=gold - found,
            unexpected=unexpected + [u for u in unexpected_pref if u not in unexpected],
            wrong_class=wrong_class,
        )
        job_words = rm_keywords(job.text)
        seen = {s for s in job.skills if any(w <= job_words for w in rm_terms(job, s))}
        skill_words = set().union(*(w for s in job.skills for w in rm_terms(job, s)))
        report.baseline_extraction.tp += len(seen)
        report.baseline_extraction.fn += len(gold - seen)
        report.baseline_extraction.fp += len(job_words - skill_words)

        # 2. Every pair.
        scores: dict[str, float] = {}
        baseline_scores: dict[str, float] = {}
        for resume_id in job.ranking:
            label = job.pairs[resume_id]
            resume_text = dataset.resumes[resume_id]
            run = run_engine(resume_text, job.text)
            if first:
                report.first_seconds = run.seconds
                report.first_was_cold = not _engine_state["warm"]
                _engine_state["warm"] = True
                first = False
                if progress:
                    progress(f"first analysis (model load included): {run.seconds:.2f} s")
            else:
                report.warm_seconds.append(run.seconds)
            for _ in range(repeats - 1):
                again = run_engine(resume_text, job.text)
                report.repeat_seconds.append(again.seconds)
                if (
                    again.signature != run.signature
                    and f"{resume_id} x {job.id}" not in report.nondeterministic
                ):
                    report.nondeterministic.append(f"{resume_id} x {job.id}")
            t0 = time.perf_counter()
            base = keyword_score(resume_text, job.text)
            resume_words = rm_keywords(resume_text)
            report.baseline_seconds.append(time.perf_counter() - t0)

            matched_names = [name for name, _ in run.matched]
            missing_names = [name for name, _ in run.missing]
            pred_matched, extra_matched = _resolve_all(names, matched_names, job)
            pred_missing, extra_missing = _resolve_all(names, missing_names, job)
            both = pred_matched & pred_missing  # reported in both lists: counts as matched
            pred_missing -= both
            report.matched.add(pred_matched, set(label.matched))
            report.matched.fp += len(extra_matched)
            report.missing.add(pred_missing, set(label.missing))
            report.missing.fp += len(extra_missing)
            classified = pred_matched | pred_missing
            report.classified += len(classified)
            report.classified_right += len(pred_matched & label.matched) + len(
                pred_missing & label.missing
            )
            skills = set(job.skills)
            report.verdicts += len(skills)
            report.verdict_matched.add(pred_matched, set(label.matched))
            report.verdict_missing.add(skills - pred_matched, set(label.missing))
            report.verdict_right += len(pred_matched & label.matched) + len(
                (skills - pred_matched) & label.missing
            )
            base_matched = {s for s in job.skills if rm_skill_seen(job, s, resume_words)}
            report.baseline_matched.add(base_matched, set(label.matched))
            report.baseline_missing.add(skills - base_matched, set(label.missing))
            report.baseline_right += len(base_matched & label.matched) + len(
                (skills - base_matched) & label.missing
            )

            report.pairs.append(
                PairOutcome(
                    job=job.id,
                    resume=resume_id,
                    engine=run,
                    baseline=base,
                    false_matched=sorted(pred_matched & label.missing) + extra_matched,
                    false_missing=sorted(pred_missing & label.matched),
                    not_reported=sorted(set(job.skills) - classified),
                    ours_only=sorted((pred_matched & label.matched) - base_matched),
                    baseline_only=sorted((base_matched & label.matched) - pred_matched),
                )
            )
            scores[resume_id] = run.score
            baseline_scores[resume_id] = base.score
            if progress:
                progress(
                    f"{job.id:16} {resume_id:22} ours {run.score:3d}  keywords {base.score:3d}"
                )
        report.rankings[job.id] = rank_agreement(job.id, job.ranking, scores)
        report.baseline_rankings[job.id] = rank_agreement(job.id, job.ranking, baseline_scores)
    report.total_seconds = time.perf_counter() - began
    return report


def floor_failures(report: Report, split: str) -> list[str]:
    floors = FLOORS[split]
    failures = [
        f"{split}: {name} = {value:.3f} is below its floor {floors[name]:.3f}"
        for name, value in report.summary().items()
        if name in floors and not value >= floors[name]
    ]
    for job_id, ranking in report.rankings.items():
        if job_id not in STRICT_ORDER_EXEMPT[split] and ranking.violations:
            for stronger, weaker, s1, s2 in ranking.violations:
                failures.append(
                    f"{split}, {job_id}: {stronger} ({s1:g}) is not above the weaker "
                    f"{weaker} ({s2:g})"
                )
    failures.extend(f"{split}: different results on a repeat: {p}" for p in report.nondeterministic)
    return failures


# --- the report ---------------------------------------------------------------------------


def _f(value: float | None, digits: int = 2) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _prf(c: Counts) -> str:
    return f"{c.precision:.2f} / {c.recall:.2f} / **{c.f1:.2f}**"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_header(command: str) -> str:
    return (
        f"- command: `{command}`\n"
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}\n"
    )


def render(report: Report) -> str:
    """One split's results (markdown, headings from level 4)."""
    ds = report.dataset
    rankings = list(report.rankings.values())
    base_rankings = list(report.baseline_rankings.values())
    strict_ok = sum(1 for r in rankings if not r.violations)
    base_strict_ok = sum(1 for r in base_rankings if not r.violations)
    ours_scores = [p.engine.score for p in report.pairs]
    base_scores = [p.baseline.score for p in report.pairs]
    lines = [
        f"- set: {len(ds.jobs)} job descriptions, {len(ds.resumes)} resumes, "
        f"{ds.pair_count} labelled pairs, "
        f"{sum(len(j.skills) for j in ds.jobs.values())} labelled job skills, "
        f"{sum(len(j.skills) for j in ds.jobs.values() for _ in j.pairs)} pair-skill labels",
        f"- whole run: {report.total_seconds:.1f} s",
        "",
        "| | local engine | Resume-Matcher keywords |",
        "| --- | --- | --- |",
        f"| job skills found: precision / recall / F1 | {_prf(report.extraction)} "
        f"| {_prf(report.baseline_extraction)} (its keywords) |",
        f"| required skills: precision / recall / F1 | {_prf(report.extraction_required)} | - |",
        f"| preferred skills: precision / recall / F1 | {_prf(report.extraction_preferred)} | - |",
        f"| matched list: precision / recall / F1 | {_prf(report.matched)} | - |",
        f"| missing list: precision / recall / F1 | {_prf(report.missing)} | - |",
        f"| right verdict on the labelled skills it listed | "
        f"{report.classified_right}/{report.classified} "
        f"({_f(report.classified_right / report.classified if report.classified else None)}) | - |",
        f"| verdict on every labelled skill: accuracy | "
        f"{_f(report.verdict_right / report.verdicts if report.verdicts else None)} "
        f"| {_f(report.baseline_right / report.verdicts if report.verdicts else None)} "
        "(given the skills) |",
        f"| ... matched: precision / recall / F1 | {_prf(report.verdict_matched)} "
        f"| {_prf(report.baseline_matched)} |",
        f"| ... missing: precision / recall / F1 | {_prf(report.verdict_missing)} "
        f"| {_prf(report.baseline_missing)} |",
        f"| ranking: pairwise accuracy | **{pairwise_accuracy(rankings):.2f}** "
        f"| {pairwise_accuracy(base_rankings):.2f} |",
        f"| ranking: mean Kendall tau-b | {_f(_mean(r.kendall for r in rankings))} "
        f"| {_f(_mean(r.kendall for r in base_rankings))} |",
        f"| ranking: mean Spearman rho | {_f(_mean(r.spearman for r in rankings))} "
        f"| {_f(_mean(r.spearman for r in base_rankings))} |",
        f"| jobs where every stronger resume scores higher | **{strict_ok}/{len(rankings)}** "
        f"| {base_strict_ok}/{len(base_rankings)} |",
        f"| strongest minus weakest resume, mean per job | "
        f"{_f(_mean(r.gap for r in rankings), 1)} points "
        f"| {_f(_mean(r.gap for r in base_rankings), 1)} points |",
        f"| scores over all pairs: min / median / max | "
        f"{min(ours_scores)} / {statistics.median(ours_scores):g} / {max(ours_scores)} "
        f"| {min(base_scores)} / {statistics.median(base_scores):g} / {max(base_scores)} |",
        f"| time per pair: first{' (model load)' if report.first_was_cold else ''} "
        "/ p50 / p95 / max | "
        f"{_ms(report.first_seconds)} / {_timings(report.warm_seconds)} "
        f"| - / {_timings(report.baseline_seconds)} |",
        f"| the same pair again: p50 / p95 / max | {_timings(report.repeat_seconds)} | - |",
        "",
        "Timings in-process (no gRPC): the first analysis"
        + (
            f" in the process (after the first job parse, {_ms(report.parse_seconds)}, "
            "which loads the taxonomy)"
            if report.first_was_cold
            else " (model already loaded)"
        )
        + ", "
        "then the first "
        f"analysis of each of the other {len(report.warm_seconds)} pairs, then "
        f"{len(report.repeat_seconds)} repeats of pairs already analysed (the engine caches "
        "sentence vectors). "
        + (
            "Repeated analyses gave identical results."
            if not report.nondeterministic
            else "**Different results on a repeat:** " + ", ".join(report.nondeterministic)
        ),
        "",
        "#### Per job",
        "",
        "Scores in the labelled order, best fit first; ✗ marks a job where a weaker resume "
        "scored at least as high as a stronger one.",
        "",
        "| job | skills found | matched F1 | ours | tau | keywords | tau |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for job_id, job in ds.jobs.items():
        ex = report.jobs[job_id]
        c = Counts()
        for p in report.pairs:
            if p.job == job_id:
                label = job.pairs[p.resume]
                pred, extra = _resolve_all(ds.names, [n for n, _ in p.engine.matched], job)
                c.add(pred, set(label.matched))
                c.fp += len(extra)
        ours, base = report.rankings[job_id], report.baseline_rankings[job_id]
        lang = f" ({job.language})" if job.language != "en" else ""
        lines.append(
            f"| {job_id}{lang} | {len(ex.found)}/{len(job.skills)}, +{len(ex.unexpected)} "
            f"| {c.f1:.2f} | {' > '.join(f'{s:g}' for s in ours.scores)}"
            f"{' ✗' if ours.violations else ''} | {_f(ours.kendall)} "
            f"| {' > '.join(f'{s:g}' for s in base.scores)}{' ✗' if base.violations else ''} "
            f"| {_f(base.kendall)} |"
        )
    lines += [
        "",
        '"skills found": labelled skills the engine read from the job / all labelled, '
        "+ names it reported that are neither labelled nor in the job's `optional` list.",
        "",
        "#### Ranking errors",
        "",
    ]
    any_violation = False
    for scorer, group in (("ours", rankings), ("keywords", base_rankings)):
        for r in group:
            for stronger, weaker, s1, s2 in r.violations:
                any_violation = True
                lines.append(f"- {scorer}, {r.job}: {stronger} {s1:g} is not above {weaker} {s2:g}")
    if not any_violation:
        lines.append("- none")
    lines += ["", "#### Skills one finds in a resume and the other does not", ""]
    ours_only = [(p, s) for p in report.pairs for s in p.ours_only]
    base_only = [(p, s) for p in report.pairs for s in p.baseline_only]
    lines.append(
        f"Labelled *matched* skills that only the local engine recognised ({len(ours_only)}; "
        "mostly aliases, other spellings and skills shown only in prose):"
    )
    lines.append("")
    lines += _grouped(ours_only)
    lines += [
        "",
        f"Labelled *matched* skills that only the keyword rule recognised ({len(base_only)}):",
        "",
    ]
    lines += _grouped(base_only)
    lines += ["", "#### Engine errors, for the engine's authors", ""]
    for job_id, ex in report.jobs.items():
        parts = []
        if ex.missed:
            parts.append("not found in the job: " + ", ".join(sorted(ex.missed)))
        if ex.wrong_class:
            parts.append("required/preferred swapped: " + ", ".join(ex.wrong_class))
        if ex.unexpected:
            parts.append("reported, not labelled: " + ", ".join(ex.unexpected))
        if parts:
            lines.append(f"- **{job_id}**: " + "; ".join(parts))
    lines.append("")
    for p in report.pairs:
        parts = []
        if p.false_matched:
            parts.append("matched but should not be: " + ", ".join(p.false_matched))
        if p.false_missing:
            parts.append("missing but the resume shows it: " + ", ".join(p.false_missing))
        if parts:
            lines.append(f"- {p.resume} x {p.job}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def _timings(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return " / ".join(
        _ms(v) for v in (_quantile(values, 0.5), _quantile(values, 0.95), max(values))
    )


def _grouped(items: Sequence[tuple[PairOutcome, str]]) -> list[str]:
    if not items:
        return ["- none"]
    by_pair: dict[tuple[str, str], list[str]] = {}
    for p, skill in items:
        by_pair.setdefault((p.resume, p.job), []).append(skill)
    return [f"- {r} x {j}: {', '.join(s)}" for (r, j), s in by_pair.items()]


DEFAULT_DOC = f"""# AI quality

Results of `make eval` (`scripts/eval_ai.py`).

{START_MARKER}
{END_MARKER}
"""


# Replaces the text between the markers; keeps everything around them.
write_doc = section_writer("eval", DEFAULT_DOC)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="analyses per pair (timings)")
    p.add_argument("--check", action="store_true", help="exit 1 below the quality floors")
    p.add_argument(
        "--no-write", action="store_true", help=f"do not rewrite {DOC.relative_to(ROOT)}"
    )
    p.add_argument("--doc", type=Path, default=DOC, help="the file whose eval section to rewrite")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per pair on stderr")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    section = render_header(command_line(argv))
    failures: list[str] = []
    for split, directory in SPLITS.items():
        if args.verbose:
            log(f"--- {split} set")
        report = evaluate(
            load_dataset(directory),
            repeats=args.repeats,
            progress=log if args.verbose else None,
        )
        section += f"\n### {SPLIT_TITLES[split]}\n\n" + render(report)
        failures += floor_failures(report, split)
    print(section)
    if not args.no_write:
        write_doc(args.doc, section)
        log(f"wrote {args.doc}")
    for failure in failures:
        log(f"below the floor: {failure}")
    if args.check and failures:
        return 1
    if args.check:
        log("all quality floors hold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
