"""Interview preparation without a generative model.

Every question comes from a template filled with what the job description and the resume
contain: technical questions from the job's required, then preferred, skills (templates by
skill family); role questions from the title and the responsibilities the posting lists;
behavioural questions with a STAR outline quoting the candidate's own bullets (chosen by
embedding similarity to the requirement they answer); company-research prompts; and, with a
resume, the gaps to prepare for (required skills the resume does not show, years short).

The same inputs give the same questions in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from careervault.ai.v1 import ai_pb2 as pb
from careervault_ai.local import analysis, embeddings, jd
from careervault_ai.local import resume as resume_parser
from careervault_ai.provider import Job, Resume

DEFAULT_COUNT = 10
MAX_COUNT = 30
MAX_BULLETS = 80  # bullets embedded to pick STAR examples
QUOTE_WORDS = 40

TECHNICAL = "technical"
BEHAVIORAL = "behavioral"
ROLE = "role"
COMPANY = "company"
GAP = "gap"
# The order questions are shown in.
CATEGORY_ORDER = (ROLE, TECHNICAL, BEHAVIORAL, GAP, COMPANY)
# The order categories take turns when questions are picked, so that a short list still has a
# mix: technical and behavioural questions weigh most, then gaps and the role, then the company.
PICK_CYCLE = (
    TECHNICAL,
    BEHAVIORAL,
    GAP,
    ROLE,
    COMPANY,
    TECHNICAL,
    BEHAVIORAL,
    TECHNICAL,
    GAP,
    ROLE,
    BEHAVIORAL,
    TECHNICAL,
    COMPANY,
)


def question_count(count: int) -> int:
    """0 (unset) means the default; more than MAX_COUNT is capped."""
    if count <= 0:
        return DEFAULT_COUNT
    return min(count, MAX_COUNT)


# Text helpers (shared with letters and chat) ------------------------------------------------

_BULLET = re.compile(
    r"^\s*(?:[-*\u2022\u00b7\u25aa\u25e6\u2023\u2013\u2014>]+|\(?\d{1,2}[.)](?=\s))\s*"
)
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d[\d,.]*(?:\s?(?:%|x\b|k\b|[KMB]\b|ms\b|s\b|"
    r"million\b|billion\b|thousand\b|[KMGT]B\b|users\b|customers\b))?"
)


def clean_line(text: str) -> str:
    """One line without its bullet marker and with single spaces."""
    return _SPACE.sub(" ", _BULLET.sub("", text)).strip()


def clip(text: str, words: int = QUOTE_WORDS) -> str:
    parts = clean_line(text).split(" ")
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(",;:") + " ..."


def quote(text: str, words: int = QUOTE_WORDS) -> str:
    return f"\u201c{clip(text, words).rstrip('.')}\u201d"


def numbers_in(text: str) -> list[str]:
    found = [m.group(0).strip().rstrip(".,") for m in _NUMBER.finditer(text)]
    # Years on their own ("2019") are dates, not results.
    return [n for n in found if n and not re.fullmatch(r"(?:19|20)\d\d", n)]


def _key(skill: str) -> str:
    return skill.strip().lower()


# Skill families -----------------------------------------------------------------------------

LANGUAGES = "languages"
DATABASES = "databases"
CLOUD = "cloud"
FRONTEND = "frontend"
DATA = "data"
GENERIC = "generic"


def _names(text: str) -> frozenset[str]:
    return frozenset(n.strip() for n in text.split("|") if n.strip())


# Lower-case skill names by family, "|"-separated (canonical names and common aliases).
_FAMILY_NAMES: dict[str, frozenset[str]] = {
    LANGUAGES: _names(
        "python|java|javascript|typescript|go|golang|rust|c|c++|c#|ruby|kotlin|scala|swift|"
        "php|perl|r|elixir|erlang|haskell|clojure|dart|lua|bash|shell|objective-c|matlab|"
        "julia|f#|groovy|fortran|cobol|solidity|zig|ocaml"
    ),
    DATABASES: _names(
        "sql|postgresql|postgres|mysql|mariadb|sqlite|oracle|mongodb|redis|dynamodb|cassandra|"
        "elasticsearch|opensearch|neo4j|couchdb|couchbase|firestore|bigquery|snowflake|"
        "redshift|clickhouse|cockroachdb|memcached|nosql|supabase|timescaledb|influxdb|"
        "sql server|microsoft sql server|oracle database|amazon dynamodb|apache cassandra"
    ),
    CLOUD: _names(
        "aws|gcp|azure|kubernetes|docker|terraform|ansible|jenkins|helm|linux|nginx|envoy|"
        "prometheus|grafana|datadog|cloudformation|pulumi|openshift|istio|argocd|serverless|"
        "lambda|ec2|s3|ecs|eks|gke|devops|sre|kafka|rabbitmq|amazon web services|google cloud|"
        "google cloud platform|microsoft azure|ci/cd|continuous integration|"
        "continuous delivery|github actions|gitlab ci|infrastructure as code|"
        "site reliability engineering|aws lambda|apache kafka|amazon s3|amazon ec2|"
        "opentelemetry|observability|unix"
    ),
    FRONTEND: _names(
        "react|vue|vue.js|angular|svelte|html|css|sass|tailwind|tailwind css|redux|next.js|"
        "nuxt|webpack|vite|jquery|frontend|front-end|graphql|storybook|jest|cypress|"
        "playwright|accessibility|web accessibility|react native|user interface"
    ),
    DATA: _names(
        "pandas|numpy|scipy|spark|pyspark|tensorflow|pytorch|keras|scikit-learn|sklearn|"
        "airflow|dbt|tableau|powerbi|power bi|statistics|nlp|llm|hadoop|mlops|jupyter|xgboost|"
        "etl|machine learning|deep learning|data analysis|data science|data engineering|"
        "natural language processing|computer vision|apache spark|apache airflow|"
        "data visualization|data modeling|data pipelines|a/b testing|large language models|"
        "artificial intelligence|microsoft excel"
    ),
}
_FAMILY_WORDS: dict[str, tuple[str, ...]] = {
    DATABASES: ("database",),
    CLOUD: ("cloud", "devops", "deploy", "container", "kubernetes", "infrastructure"),
    FRONTEND: ("frontend", "front-end", "ui", "css", "web design"),
    DATA: ("data", "learning", "analytics", "model", "statistic"),
    LANGUAGES: ("programming language",),
}


def skill_family(skill: str) -> str:
    """`languages`, `databases`, `cloud`, `frontend`, `data` or `generic`."""
    key = _key(skill)
    for family, names in _FAMILY_NAMES.items():
        if key in names:
            return family
    for family, words in _FAMILY_WORDS.items():
        if any(w in key for w in words):
            return family
    return GENERIC


@dataclass(frozen=True)
class _Template:
    question: str
    points: tuple[str, ...]


_TECH_TEMPLATES: dict[str, tuple[_Template, _Template]] = {
    LANGUAGES: (
        _Template(
            "How have you used {skill} in production, and which parts of the language do you "
            "rely on most?",
            (
                "A concrete project where you used {skill}, and your part in it",
                "The features and idioms you use day to day (types, concurrency, packaging, "
                "error handling)",
                "How you test, profile and debug {skill} code",
                "A pitfall or trade-off of {skill} you have run into, and what you did",
            ),
        ),
        _Template(
            "How do you keep a large {skill} codebase readable, tested and easy to change?",
            (
                "Structure: modules, interfaces, dependency management",
                "Testing strategy: unit and integration tests, what you mock and what you don't",
                "Tooling: linters, formatters, type checks, CI",
                "An example of a refactoring you led in {skill}",
            ),
        ),
    ),
    DATABASES: (
        _Template(
            "How would you model the data for a feature in {skill}, and how do you find and fix "
            "a slow query?",
            (
                "Data modelling: tables or documents, keys, relationships, access patterns",
                "Indexes and reading a query plan (EXPLAIN or its equivalent)",
                "Transactions, consistency and concurrency",
                "A slow query or data problem you fixed in {skill}, with the before and after",
            ),
        ),
        _Template(
            "How do you change a {skill} schema or data model without downtime or data loss?",
            (
                "Backward-compatible migrations (expand, migrate, contract)",
                "Backfills in batches, and how you verify them",
                "Backups, restore tests and rollback plans",
            ),
        ),
    ),
    CLOUD: (
        _Template(
            "Walk me through how you deployed and ran a service with {skill}.",
            (
                "The architecture and where {skill} fits in it",
                "Configuration and infrastructure as code, reviews and rollouts",
                "Monitoring, logs and alerts: how you knew it was healthy",
                "Security and cost: permissions, secrets, sizing",
            ),
        ),
        _Template(
            "Tell me about something that went wrong in production involving {skill}: how did "
            "you find the cause and fix it?",
            (
                "The symptom and how it was detected",
                "How you narrowed it down (metrics, logs, traces)",
                "The fix, and what you changed so it does not happen again",
            ),
        ),
    ),
    FRONTEND: (
        _Template(
            "How do you structure a {skill} application and manage its state?",
            (
                "Component structure and reuse",
                "State: local, shared, server state and caching",
                "Testing and accessibility",
                "An interface you built with {skill}, and what made it hard",
            ),
        ),
        _Template(
            "How do you find and fix a performance problem in a {skill} interface?",
            (
                "Measuring first: browser tools, profiler, real-user metrics",
                "Common causes: unnecessary renders, bundle size, network waterfalls",
                "A concrete improvement you made, with numbers",
            ),
        ),
    ),
    DATA: (
        _Template(
            "Describe a pipeline or model you built with {skill}, from the data to the result.",
            (
                "The problem and the data: sources, size, quality issues",
                "Your choices of method and why",
                "How you evaluated it: metrics, validation, baselines",
                "How it was used or deployed, and how you monitored it",
            ),
        ),
        _Template(
            "How do you check that results from your {skill} work are correct, and not "
            "overfitted or biased?",
            (
                "Validation: held-out data, cross-validation, sanity checks",
                "Data leakage and bias: how you look for them",
                "Explaining results and their limits to non-specialists",
            ),
        ),
    ),
    GENERIC: (
        _Template(
            "How have you applied {skill} in your work, and what difference did it make?",
            (
                "The context and why {skill} mattered there",
                "What you did yourself",
                "The result, measured if you can",
                "What you would do differently now",
            ),
        ),
        _Template(
            "How would you explain {skill} to a new teammate, and what mistakes do people "
            "commonly make with it?",
            (
                "A plain-language explanation with an example from your own work",
                "The common pitfalls and how you avoid them",
                "How you keep your {skill} knowledge current",
            ),
        ),
    ),
}

# What to prepare for a skill the resume does not show, by family.
_GAP_PREPARE = {
    LANGUAGES: "write a small program in {skill} and read its style guide, so you can discuss "
    "its basics and how it differs from the languages you know",
    DATABASES: "set up {skill} locally, model a small schema, write a few queries and look at "
    "their query plans",
    CLOUD: "deploy a small service with {skill} (a free tier or a local setup) and note what "
    "you learned",
    FRONTEND: "build a small screen with {skill} and be ready to compare it with what you have "
    "used",
    DATA: "work through a small dataset with {skill} end to end and be ready to explain the "
    "results",
    GENERIC: "read up on {skill} and prepare one concrete example of how you would apply it in "
    "this role",
}


# Behavioural themes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Theme:
    words: tuple[str, ...]  # soft-skill names or job words that select the theme
    question: str
    query: str  # what a fitting resume bullet is about, for the embedding search
    stems: tuple[str, ...] = ()  # words in a bullet that make it a likely story


def _theme(
    words: str, question: str, query: str, stems: str
) -> _Theme:  # "|"-separated lists, to keep the table below readable
    return _Theme(
        tuple(w for w in words.split("|") if w),
        question,
        query,
        tuple(w for w in stems.split("|") if w),
    )


_THEMES: tuple[_Theme, ...] = (
    _theme(
        "communication|communicate|written|verbal|presentation|explain",
        "Tell me about a time you had to explain something complex to people outside your field.",
        "presented and explained a complex technical topic to stakeholders and non-technical "
        "people",
        "present|explain|wrote|document|communicat|report|talk|demo",
    ),
    _theme(
        "teamwork|collaboration|collaborate|cross-functional|team player|interpersonal|empathy",
        "Tell me about a time you worked closely with another team to deliver something.",
        "collaborated with other teams cross-functionally to deliver a project together",
        "collaborat|partner|cross-functional|together|with product|with design|across teams",
    ),
    _theme(
        "leadership|lead|leading|ownership|own|initiative|proactive",
        "Tell me about a time you took the lead on something nobody had asked you to own.",
        "led an initiative, took ownership and drove a project to completion",
        "led |lead|own|drove|initiat|spearhead|founded|started",
    ),
    _theme(
        "mentoring|mentor|coaching|coach",
        "Tell me about a time you helped a colleague grow or get unblocked.",
        "mentored and coached engineers, onboarded new team members",
        "mentor|coach|onboard|train|taught|teach",
    ),
    _theme(
        "problem solving|problem-solving|analytical|critical thinking|debugging",
        "Describe the hardest problem you solved recently. How did you approach it?",
        "solved a difficult problem by investigating and analysing the root cause",
        "debug|root cause|investigat|solved|diagnos|fixed|troubleshoot",
    ),
    _theme(
        "adaptability|flexibility|fast-paced|ambiguity|startup|change",
        "Tell me about a time priorities changed suddenly. How did you adapt?",
        "adapted quickly to changing priorities and ambiguous requirements",
        "migrat|pivot|chang|adapt|transition|reorgani",
    ),
    _theme(
        "attention to detail|detail-oriented|quality|accuracy",
        "Tell me about a time a small detail made a big difference to your work.",
        "improved quality and accuracy by catching errors and testing carefully",
        "test|quality|accura|audit|review|error|bug",
    ),
    _theme(
        "time management|deadlines|prioritization|organization|organisational",
        "Tell me about a time you delivered under a tight deadline. What did you prioritise?",
        "delivered a project on time under a tight deadline by prioritising the work",
        "deadline|on time|ahead of schedule|deliver|launch|shipped",
    ),
    _theme(
        "stakeholder|customer|client|customer focus|negotiation",
        "Tell me about a time you had to balance what different stakeholders wanted.",
        "worked with customers and stakeholders to gather requirements and agree on priorities",
        "stakeholder|customer|client|requirement|leadership|executive",
    ),
    _theme(
        "conflict|disagreement",
        "Tell me about a disagreement with a colleague and how you resolved it.",
        "resolved a disagreement about a technical decision and reached consensus",
        "disagree|consensus|align|negotiat|resolv",
    ),
    _theme(
        "decision making|judgement|judgment|trade-off",
        "Tell me about a difficult decision you made with incomplete information.",
        "made a decision weighing trade-offs and chose an approach",
        "decid|decision|chose|trade-off|evaluat|select",
    ),
    _theme(
        "creativity|innovation|innovative|creative",
        "Tell me about an idea of yours that changed how your team worked or what it built.",
        "proposed and built a new idea or tool that the team adopted",
        "idea|prototype|invent|proposed|introduc|new tool|designed",
    ),
    _theme(
        "curiosity|self-motivation|self-starter|learning|growth mindset",
        "Tell me about a time you had to learn something new quickly to get the job done.",
        "learned a new technology quickly and applied it in a project",
        "learn|self-taught|picked up|adopt|introduc|first",
    ),
)
# Asked in most interviews, whatever the posting says.
_STANDARD_THEMES: tuple[_Theme, ...] = (
    _THEMES[9],  # disagreement
    _theme(
        "",
        "Tell me about a mistake you made at work and what you learned from it.",
        "fixed a failure or incident, learned from it and improved the process",
        "incident|outage|postmortem|failure|fix|runbook|on-call",
    ),
    _THEMES[12],  # learning quickly
    _theme(
        "",
        "What is the accomplishment you are proudest of in your recent work?",
        "achieved a significant measurable result, improved performance or revenue",
        "%|saving|saved|increas|reduc|cut |grew|improv",
    ),
)
# How much a stem found in a bullet adds to its similarity (cosines here are often 0.1-0.4).
STEM_BONUS = 0.25
EVIDENCE_BONUS = 0.3
# Below this fit a bullet is not quoted: the question gets a generic STAR outline instead.
MIN_FIT = 0.25


# Inputs gathered once -----------------------------------------------------------------------


@dataclass
class _Facts:
    job: Job
    profile: jd.JobProfile
    title: str
    company: str
    resume: resume_parser.ResumeProfile | None = None
    analysis: pb.ResumeAnalysis | None = None
    bullets: list[str] = field(default_factory=list)
    used_bullets: set[int] = field(default_factory=set)

    def requirement_for(self, skill: str) -> str:
        key = _key(skill)
        for req in self.profile.requirements:
            if any(_key(s) == key for s in req.skills):
                return clean_line(req.text)
        for req in self.profile.requirements:
            if key in req.text.lower():
                return clean_line(req.text)
        return ""

    def evidence_for(self, skill: str) -> list[str]:
        if self.analysis is not None:
            for m in self.analysis.matched_skills:
                if _key(m.skill) == _key(skill) and m.evidence:
                    return list(m.evidence)
        if self.resume is not None:
            for name, lines in self.resume.skills.items():
                if _key(name) == _key(skill):
                    return list(lines)
        return []

    def has_skill(self, skill: str) -> bool:
        return bool(self.evidence_for(skill))

    def missing(self, required: bool) -> list[pb.SkillMatch]:
        if self.analysis is None:
            return []
        return [m for m in self.analysis.missing_skills if m.required == required]

    def resume_skills(self) -> list[str]:
        if self.analysis is not None:
            return [m.skill for m in self.analysis.matched_skills]
        return []


def _title(job: Job, profile: jd.JobProfile) -> str:
    return clean_line(job.title or profile.title or "")


def _gather(job: Job, resume: Resume | None) -> _Facts:
    profile = jd.parse_job(job)
    facts = _Facts(
        job=job,
        profile=profile,
        title=_title(job, profile),
        company=clean_line(job.company or profile.company),
    )
    if resume is not None and resume.text.strip():
        facts.resume = resume_parser.parse_resume(resume)
        facts.analysis = analysis.analyze(resume, job)
        seen: set[str] = set()
        for bullet in facts.resume.bullets:
            line = clean_line(bullet)
            if len(line.split()) >= 4 and line.lower() not in seen:
                seen.add(line.lower())
                facts.bullets.append(line)
            if len(facts.bullets) >= MAX_BULLETS:
                break
    return facts


@dataclass(frozen=True)
class _Story:
    """What a behavioural question wants from a bullet."""

    query: str
    stems: tuple[str, ...] = ()
    evidence: frozenset[str] = frozenset()  # lines the analysis found for the skill asked


def _best_bullets(facts: _Facts, stories: Sequence[_Story]) -> list[int | None]:
    """For each story, the index of a bullet, or None when no bullet left fits.

    Fit is the embedding similarity, plus a bonus when the bullet has one of the story's
    words or is evidence for its skill; pairs under MIN_FIT are never used. The best-fitting
    story-bullet pair overall is matched first, then the next among those left, so each
    bullet tells one story and goes where it fits best."""
    if not facts.bullets or not stories:
        return [None] * len(stories)
    model = embeddings.encoder()
    sims = model.encode([s.query for s in stories]) @ model.encode(facts.bullets).T
    lows = [b.lower() for b in facts.bullets]
    pairs: list[tuple[float, int, int]] = []
    for q, story in enumerate(stories):
        for b, low in enumerate(lows):
            fit = float(sims[q, b])
            if any(stem in low for stem in story.stems):
                fit += STEM_BONUS
            if facts.bullets[b].lower() in story.evidence:
                fit += EVIDENCE_BONUS
            if fit >= MIN_FIT:
                pairs.append((round(fit, 6), q, b))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    picked: list[int | None] = [None] * len(stories)
    for _fit, q, b in pairs:
        if picked[q] is None and b not in facts.used_bullets:
            picked[q] = b
            facts.used_bullets.add(b)
    return picked


# Question builders --------------------------------------------------------------------------


def _q(category: str, text: str, rationale: str, points: Iterable[str]) -> pb.InterviewQuestion:
    return pb.InterviewQuestion(
        text=text, category=category, rationale=rationale, answer_points=list(points)
    )


def _skill_rationale(facts: _Facts, skill: str, required: bool) -> str:
    kind = "requires" if required else "lists as a plus"
    phrase = facts.requirement_for(skill)
    if phrase:
        return f"The job {kind} {skill}: {quote(phrase)}."
    return f"The job {kind} {skill}."


def _technical(facts: _Facts) -> list[pb.InterviewQuestion]:
    skills: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for names, required in (
        (facts.profile.required_skills, True),
        (facts.profile.preferred_skills, False),
    ):
        for skill in names:
            if _key(skill) not in seen:
                seen.add(_key(skill))
                skills.append((skill, required))
    missing = {_key(m.skill) for m in facts.missing(True)} | {
        _key(m.skill) for m in facts.missing(False)
    }
    first: list[pb.InterviewQuestion] = []
    second: list[pb.InterviewQuestion] = []
    for skill, required in skills:
        family = skill_family(skill)
        rationale = _skill_rationale(facts, skill, required)
        evidence = facts.evidence_for(skill)
        for depth, template in enumerate(_TECH_TEMPLATES[family]):
            points = [p.format(skill=skill) for p in template.points]
            if evidence:
                points.append(f"Tie it to your resume: {quote(evidence[0])}")
            elif _key(skill) in missing:
                points.append(
                    f"Your resume does not show {skill}: answer honestly and bridge from what "
                    "you have done (see the gap questions)"
                )
            question = _q(TECHNICAL, template.question.format(skill=skill), rationale, points)
            (first if depth == 0 else second).append(question)
    return first + second


_HEADING = re.compile(
    r"^(?:responsibilities|key responsibilities|what you(?:'|\u2019)?ll do|what you will do|"
    r"the role|about the role|your role|day[- ]to[- ]day|your impact|in this role|"
    r"what you(?:'|\u2019)?ll be doing|duties|your mission|the job)\b",
    re.IGNORECASE,
)
_OTHER_HEADING = re.compile(
    r"^(?:requirements|qualifications|what you(?:'|\u2019)?ll bring|about you|who you are|"
    r"must[- ]have|nice[- ]to[- ]have|preferred|bonus|benefits|perks|what we offer|"
    r"about us|skills|you have|you bring|minimum qualifications|preferred qualifications)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"^(?:you will|you'll|you\u2019ll|build|design|develop|lead|own|drive|collaborate|work "
    r"with|maintain|improve|implement|deliver|mentor|write|manage|create|partner|shape|"
    r"define|scale|operate|support|ship|architect|help|contribute|analy[sz]e|run|plan)\b",
    re.IGNORECASE,
)


def responsibilities(description: str, limit: int = 6) -> list[str]:
    """Sentences saying what the job involves: the lines under a responsibilities heading,
    or else the lines that start with an action ("Build ...", "You will ...")."""
    under: list[str] = []
    acting: list[str] = []
    section = ""
    for raw in description.splitlines():
        line = clean_line(raw)
        if not line:
            continue
        bare = line.rstrip(":").strip()
        is_heading = len(bare) <= 60 and (line.endswith(":") or len(bare.split()) <= 5)
        if is_heading and _HEADING.match(bare):
            section = "do"
            continue
        if is_heading and (_OTHER_HEADING.match(bare) or line.endswith(":")):
            section = "other"
            continue
        words = len(line.split())
        if words < 4:
            continue
        if section == "do":
            under.append(line)
        elif _ACTION.match(line):
            acting.append(line)
    found = under or acting
    unique: list[str] = []
    for line in found:
        if line.lower() not in (u.lower() for u in unique):
            unique.append(line)
    return unique[:limit]


def _role(facts: _Facts) -> list[pb.InterviewQuestion]:
    role = f"the {facts.title} role" if facts.title else "this role"
    matched = facts.resume_skills()[:3]
    fit = (
        f"Connect the job's needs to what your resume shows: {', '.join(matched)}"
        if matched
        else "Connect two or three of the job's requirements to your own experience"
    )
    out = [
        _q(
            ROLE,
            f"Why are you interested in {role}, and what makes you a good fit?",
            f"Almost every interview for {role} opens with motivation and fit.",
            (
                "Your motivation: what draws you to this work and this team",
                fit,
                "What you want to learn or achieve in the role",
            ),
        )
    ]
    out.append(
        _q(
            ROLE,
            "Tell me about yourself: walk me through your background and how it led you here.",
            "The usual opening question; it sets the story the rest of the interview follows.",
            (
                "Two minutes, most recent first: your current role and what you do best",
                "The one or two results you most want them to remember",
                f"Why {role} is the natural next step",
            ),
        )
    )
    for sentence in responsibilities(facts.job.description):
        out.append(
            _q(
                ROLE,
                f"The role involves this: {quote(sentence)}. How would you approach it, and "
                "where have you done something similar?",
                f"A responsibility listed in the posting: {quote(sentence)}.",
                (
                    "A similar piece of work you have done, and your part in it",
                    "How you would start: questions to ask, people to involve, first steps",
                    "How you would know it is going well: what you would measure",
                ),
            )
        )
    years = facts.profile.years_required
    if years:
        out.append(
            _q(
                ROLE,
                f"The job asks for {_years(years)} of experience. Which of your experience is "
                "most relevant here?",
                f"The posting asks for {_years(years)} of experience.",
                (
                    "The two or three roles or projects closest to this job",
                    "The scope you had: team size, systems, users, budget",
                    "What you learned there that you would bring on day one",
                ),
            )
        )
    out.append(
        _q(
            ROLE,
            f"What would you focus on in your first 90 days as {facts.title}?"
            if facts.title
            else "What would you focus on in your first 90 days in this role?",
            "Interviewers use it to see how you would ramp up and where you would add value.",
            (
                "First month: learn the product, the code or the process, and the people",
                "Second month: a first contribution that matters to the team",
                "Third month: an improvement you would own, tied to the job's priorities",
            ),
        )
    )
    out.append(
        _q(
            ROLE,
            "Where do you want to be in three to five years, and how does this role fit in?",
            "Interviewers check that the role fits where you are heading.",
            (
                "A direction rather than a title: the problems you want to own",
                f"What {role} would teach you on the way",
                "Why you would stay and grow here",
            ),
        )
    )
    return out


def _years(years: float) -> str:
    n = int(years) if float(years).is_integer() else years
    return f"{n}+ year" + ("" if n == 1 else "s")


def _star(
    facts: _Facts, bullet: int | None, skill: str = ""
) -> tuple[list[str], str]:  # (points, quoted bullet or "")
    using = f", and how you used {skill}" if skill else ""
    if bullet is None:
        return (
            [
                "Situation: pick a recent, specific example; set the scene in one or two sentences",
                "Task: what you were responsible for, and what success looked like",
                f"Action: the steps you took yourself (say \u201cI\u201d, not \u201cwe\u201d)"
                f"{using}",
                "Result: the outcome, with a number if you have one, and what you learned",
            ],
            "",
        )
    line = facts.bullets[bullet]
    figures = numbers_in(line)
    result = (
        f"Result: the outcome your resume already measures ({', '.join(figures[:3])}), "
        "and what you learned"
        if figures
        else "Result: the outcome, with a number if you can find one (time saved, errors "
        "down, users reached); this bullet has none yet"
    )
    return (
        [
            f"Situation: the context behind {quote(line)}: the team, the system, what was at stake",
            "Task: what you were responsible for, and what success looked like",
            f"Action: the steps you took yourself (say \u201cI\u201d, not \u201cwe\u201d){using}",
            result,
        ],
        line,
    )


def _soft_phrase(facts: _Facts, words: Sequence[str]) -> str:
    for req in facts.profile.requirements:
        if any(_key(s) in words for s in req.soft_skills):
            return clean_line(req.text)
    for req in facts.profile.requirements:
        low = req.text.lower()
        if any(re.search(rf"\b{re.escape(w)}", low) for w in words):
            return clean_line(req.text)
    for raw in facts.job.description.splitlines():
        low = raw.lower()
        if any(re.search(rf"\b{re.escape(w)}", low) for w in words):
            return clean_line(raw)
    return ""


def _behavioral(facts: _Facts) -> list[pb.InterviewQuestion]:
    # (question, rationale, story, skill)
    plans: list[tuple[str, str, _Story, str]] = []
    soft = [_key(s) for s in facts.profile.soft_skills]
    for theme in _THEMES:
        named = [s for s in soft if any(w == s or w in s or s in w for w in theme.words)]
        if named:
            phrase = _soft_phrase(facts, named)
            why = f"The job asks for {named[0]}" + (f": {quote(phrase)}." if phrase else ".")
            plans.append((theme.question, why, _Story(theme.query, theme.stems), ""))
    # A project question on each of the first required skills the candidate has (or, without
    # a resume, on the first required skills). Named technologies make better stories than
    # broad skills ("Software Engineering").
    skill_plans: list[tuple[str, str, _Story, str]] = []
    candidates = sorted(facts.profile.required_skills[:8], key=lambda s: skill_family(s) == GENERIC)
    for skill in candidates:
        if facts.resume is not None and not facts.has_skill(skill):
            continue
        evidence = frozenset(clean_line(e).lower() for e in facts.evidence_for(skill))
        story = _Story(facts.requirement_for(skill) or skill, (), evidence)
        skill_plans.append(
            (
                f"Tell me about a project where you used {skill} to deliver something you are "
                "proud of.",
                _skill_rationale(facts, skill, True),
                story,
                skill,
            )
        )
        if len(skill_plans) == 2:
            break
    standard = [
        (
            t.question,
            "A standard behavioural question in most interviews.",
            _Story(t.query, t.stems),
            "",
        )
        for t in _STANDARD_THEMES
    ]
    # Soft skills the job names first, then one skill project, then the standard ones.
    ordered: list[tuple[str, str, _Story, str]] = []
    for plan in plans[:1] + skill_plans[:1] + plans[1:] + skill_plans[1:] + standard:
        if all(plan[0] != o[0] for o in ordered):
            ordered.append(plan)
    # The job's own themes and skills get first choice of the candidate's bullets.
    specific = sum(1 for o in ordered if o not in standard)
    bullets = _best_bullets(facts, [p[2] for p in ordered[:specific]])
    bullets += _best_bullets(facts, [p[2] for p in ordered[specific:]])
    out: list[pb.InterviewQuestion] = []
    for (question, why, _story, skill), bullet in zip(ordered, bullets, strict=True):
        points, line = _star(facts, bullet, skill)
        rationale = why
        if line:
            rationale += f" Your resume line {quote(line, 16)} fits it best."
        out.append(_q(BEHAVIORAL, question, rationale, points))
    return out


def _company(facts: _Facts) -> list[pb.InterviewQuestion]:
    known = bool(facts.company)
    name = facts.company or "the company"
    where = (
        f"{facts.company}'s website, recent news and engineering or product blog"
        if known
        else "the company's website and recent news (the posting did not name the company: "
        "fill it in)"
    )
    skills = ", ".join((list(facts.profile.required_skills) + list(facts.profile.keywords))[:3])
    stack = (
        f"The work itself: how the team uses {skills}, and its hardest current problem"
        if skills
        else "The work itself: the team's current priorities and hardest problem"
    )
    role = f"the {facts.title} role" if facts.title else "this role"
    return [
        _q(
            COMPANY,
            f"What do you know about {name}, and why do you want to work there?",
            f"Research prompt: interviewers check that you know {name} and chose it.",
            (
                f"Read {where}",
                "Their product and customers: who pays, for what, and who the competitors are",
                "Something recent (a launch, funding, a change) you can mention",
                "Why it fits you: link their mission or product to your own experience",
            ),
        ),
        _q(
            COMPANY,
            f"What questions would you ask {name} at the end of the interview?",
            "Research prompt: good questions show interest and help you judge the offer.",
            (
                f"The team: who you would work with, and how work is planned for {role}",
                "Success: what a great first six months would look like",
                stack,
                "Growth and feedback: how people learn and move up",
            ),
        ),
        _q(
            COMPANY,
            f"How does {name} make money, and where do you think it is heading?",
            f"Research prompt: shows you understand {name}'s business, not only the job.",
            (
                "Business model and main customers",
                "Competitors and what sets them apart",
                f"Where {role} contributes to that",
            ),
        ),
    ]


def _gaps(facts: _Facts) -> list[pb.InterviewQuestion]:
    if facts.analysis is None:
        return []
    have = facts.resume_skills()
    out: list[pb.InterviewQuestion] = []
    for required in (True, False):
        for miss in facts.missing(required):
            skill = miss.skill
            family = skill_family(skill)
            related = [s for s in have if skill_family(s) == family and family != GENERIC][:2]
            bridge = (
                f"Bridge: point to the closest thing your resume shows ({', '.join(related)}) "
                f"and what carries over to {skill}"
                if related
                else f"Bridge: point to related experience and what carries over to {skill}"
            )
            phrase = miss.requirement or facts.requirement_for(skill)
            kind = "requires" if required else "lists as a plus"
            rationale = f"The job {kind} {skill}" + (f": {quote(phrase)}" if phrase else "")
            rationale += "; your resume does not show it, so expect to be asked."
            out.append(
                _q(
                    GAP,
                    f"What is your experience with {skill}?",
                    rationale,
                    (
                        f"Be honest: say plainly what you have and have not done with {skill}; "
                        "do not claim it",
                        bridge,
                        "Show how you learn: a time you picked up a new tool quickly",
                        "Prepare: " + _GAP_PREPARE[family].format(skill=skill),
                    ),
                )
            )
        if required:
            years_gap = _years_gap(facts)
            if years_gap is not None:
                out.append(years_gap)
    return out


def _years_gap(facts: _Facts) -> pb.InterviewQuestion | None:
    wanted = facts.profile.years_required
    have = facts.resume.years_experience if facts.resume is not None else None
    if not wanted or have is None or have >= wanted:
        return None
    shown = int(have) if float(have).is_integer() else round(have, 1)
    return _q(
        GAP,
        f"This role asks for {_years(wanted)} of experience; why should we consider you with less?",
        f"The posting asks for {_years(wanted)}; your resume shows about {shown}.",
        (
            "Do not dispute the number: acknowledge it briefly",
            "Show depth instead of years: the scope and results of your strongest work",
            "Show pace: how quickly you took on responsibility in past roles",
        ),
    )


# Assembly -----------------------------------------------------------------------------------


def _pick(pools: dict[str, list[pb.InterviewQuestion]], count: int) -> list[pb.InterviewQuestion]:
    taken: dict[str, int] = dict.fromkeys(pools, 0)
    seen: set[str] = set()
    chosen: dict[str, list[pb.InterviewQuestion]] = {c: [] for c in pools}
    total = 0
    while total < count:
        progressed = False
        for category in PICK_CYCLE:
            if total >= count:
                break
            pool = pools.get(category, [])
            while taken[category] < len(pool):
                question = pool[taken[category]]
                taken[category] += 1
                if question.text.lower() not in seen:
                    seen.add(question.text.lower())
                    chosen[category].append(question)
                    total += 1
                    progressed = True
                    break
        if not progressed:
            break
    return [q for c in CATEGORY_ORDER for q in chosen.get(c, [])]


def prepare_interview(job: Job, resume: Resume | None, count: int) -> pb.PrepareInterviewResponse:
    """Up to `count` questions (0: DEFAULT_COUNT, at most MAX_COUNT); `provider` left unset."""
    facts = _gather(job, resume)
    pools = {
        TECHNICAL: _technical(facts),
        BEHAVIORAL: _behavioral(facts),
        GAP: _gaps(facts),
        ROLE: _role(facts),
        COMPANY: _company(facts),
    }
    return pb.PrepareInterviewResponse(questions=_pick(pools, question_count(count)))
