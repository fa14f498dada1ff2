"""The career assistant without a generative model: intents, retrieval and templates.

The last user message is matched to an intent, first by keywords (and by the names of the
user's own applications), then by embedding similarity to a few example questions per intent:

- `pipeline`: how the search is going (counts by status, response, interview and offer rates,
  stale applications, upcoming next actions), from `ChatContext.stats`, `.status_counts` and
  `.jobs`;
- `job`: one application named by its company or position ("what should I do about Acme?"):
  its status, next action and what usually comes next;
- `resume`: what to change, from the latest analysis (`ChatContext.analysis`);
- `interview`: likely questions for the conversation's job (`ChatContext.job`);
- `cover_letter`, `salary`, `follow_up`: short built-in guidance;
- `greeting`, `thanks` and a fallback that lists what the assistant can help with.

The answer is plain text built from templates and the user's own data; the user's message is
never repeated back as an instruction. The first answer of a conversation starts by saying
that this is CareerVault's local assistant, with no external AI. Stats keys read: `total`,
`sent`, `response_rate`, `interview_rate`, `offer_rate` (0..1), `stale_count`,
`median_days_to_first_response`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from careervault_ai.local import embeddings
from careervault_ai.local.interview import clean_line, prepare_interview
from careervault_ai.provider import ChatContext, ChatTurn, Job, JobSummary

MAX_MESSAGE_CHARS = 2000
WORDS_PER_PIECE = 4
INTENT_THRESHOLD = 0.5  # cosine similarity to an intent's examples, below which: fallback

INTRO = (
    "I'm CareerVault's local assistant: I answer from your own applications and built-in "
    "guidance, with no external AI involved."
)

# Statuses in pipeline order, with how people say them.
STATUS_LABELS: dict[str, str] = {
    "SAVED": "saved",
    "APPLIED": "applied",
    "PHONE_SCREEN": "in a phone screen",
    "TECHNICAL_INTERVIEW": "in a technical interview",
    "FINAL_INTERVIEW": "in a final interview",
    "OFFER": "with an offer",
    "ACCEPTED": "accepted",
    "REJECTED": "rejected",
    "WITHDRAWN": "withdrawn",
}
STATUS_NAMES: dict[str, str] = {
    "SAVED": "saved (not applied yet)",
    "APPLIED": "applied",
    "PHONE_SCREEN": "phone screen",
    "TECHNICAL_INTERVIEW": "technical interview",
    "FINAL_INTERVIEW": "final interview",
    "OFFER": "offer",
    "ACCEPTED": "accepted",
    "REJECTED": "rejected",
    "WITHDRAWN": "withdrawn",
}
INTERVIEWING = ("PHONE_SCREEN", "TECHNICAL_INTERVIEW", "FINAL_INTERVIEW")
STATUS_ADVICE: dict[str, str] = {
    "SAVED": "You have not applied yet: run an analysis of your resume against the "
    "description, fix what it points out, then apply and record the date.",
    "APPLIED": "Give it about a week. With no answer after 7 to 10 days, send one short "
    "follow-up to the recruiter or hiring manager, then move on if it stays quiet.",
    "PHONE_SCREEN": "Prepare a one-minute pitch, why you want this company, and a salary "
    "range; at the end, ask about the next steps and the timeline.",
    "TECHNICAL_INTERVIEW": "Review the job's required skills and practise explaining your "
    "past projects out loud; Interview prep lists likely questions for this job.",
    "FINAL_INTERVIEW": "Prepare STAR stories for behavioural questions and questions for the "
    "team, and decide your negotiation range before an offer arrives.",
    "OFFER": "Congratulations! Ask for the offer in writing, compare it with your range and "
    "your other options, and negotiate politely; ask for a decision date if you need time.",
    "ACCEPTED": "Congratulations! Withdraw politely from your other processes and thank the "
    "people who helped you.",
    "REJECTED": "Sorry about this one. Ask politely for feedback, note what you learned, and "
    "keep in touch: roles reopen more often than you would think.",
    "WITHDRAWN": "You withdrew from this one, so there is nothing to do unless you want to "
    "reopen it.",
}

MENU = (
    "I can help with:\n"
    "- how your search is going (counts, response and interview rates, next actions)\n"
    "- a specific application, e.g. \u201cwhat should I do about Acme?\u201d\n"
    "- improving your resume, from your latest analysis\n"
    "- interview questions for a job\n"
    "- cover letter tips\n"
    "- salary and negotiation\n"
    "- following up after applying or interviewing\n"
    "Ask me about one of these."
)

SALARY = (
    "Salary and negotiation, in short:\n"
    "- Research the range first: posted ranges for similar roles, salary surveys, people you "
    "know in the field.\n"
    "- When asked early, give a researched range rather than your current pay, and say you "
    "are flexible for the right role.\n"
    "- Negotiate once you have the offer in writing, and look at the whole package: base, "
    "bonus, equity, benefits, leave, remote work, start date.\n"
    "- Be specific and polite: name a number with a reason (your research, a competing "
    "offer, the scope of the role).\n"
    "- Ask for time to decide if you need it; a few days is normal."
)
FOLLOW_UP = (
    "Following up, in short:\n"
    "- After applying: if there is no answer after 7 to 10 days, send one short note to the "
    "recruiter or hiring manager restating your interest.\n"
    "- After an interview: a thank-you email within 24 hours, mentioning something specific "
    "from the conversation.\n"
    "- After the date they gave for a decision: a polite check-in; one more a week later, "
    "then move on.\n"
    "- Keep it to three or four sentences, and record the follow-up as the application's "
    "next action so it shows in your pipeline."
)
COVER_LETTER = (
    "Cover letter tips:\n"
    "- Keep it under a page: an opening naming the role, two short paragraphs of evidence, "
    "a closing.\n"
    "- Lead with the job's most important requirements you really meet, each backed by a "
    "result from your resume.\n"
    "- Use the company's name and the exact job title; cut anything generic.\n"
    "- Never claim a skill you do not have; say what you are learning instead.\n"
    "Cover letter in CareerVault drafts one from your resume's matched evidence (the local "
    "draft is a template to edit)."
)
RESUME_TIPS = (
    "- Start each bullet with what you did and end with the result, with a number where you "
    "can.\n"
    "- Use the job's own words for the skills you really have.\n"
    "- Keep clear sections (Summary, Experience, Skills, Education), most recent first, on "
    "one or two pages."
)
INTERVIEW_TIPS = (
    "- Prepare four or five STAR stories (situation, task, action, result) from your "
    "strongest bullets.\n"
    "- Review the job's required skills and be ready to go deep on each one you list.\n"
    "- Research the company and prepare two or three questions for them."
)


# Intents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Intent:
    name: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]


def _re(expr: str) -> re.Pattern[str]:
    return re.compile(expr, re.IGNORECASE)


# Checked in this order; a rate ("interview rate") is about the pipeline, not an interview.
_RATES = _re(r"\b(?:response|interview|offer|success|conversion|reply)\s+rates?\b")
_INTENTS: tuple[_Intent, ...] = (
    _Intent(
        "cover_letter",
        _re(r"\bcover(?:ing)?[- ]?letters?\b|\bmotivation(?:al)? letter"),
        ("help me write a cover letter", "what should my cover letter say"),
    ),
    _Intent(
        "salary",
        _re(
            r"\bsalar(?:y|ies)\b|\bnegotiat|\bcompensation\b|\bpay\b|\bcounter[- ]?offer|"
            r"\bequity\b|\bhow much (?:should i|to) ask\b|\bwages?\b|\boffer\b"
        ),
        (
            "how do I negotiate my offer",
            "what salary should I ask for",
            "is this compensation fair",
            "how much money should I ask for",
        ),
    ),
    _Intent(
        "follow_up",
        _re(
            r"\bfollow(?:ing)?[- ]?ups?\b|\bhaven'?t heard\b|\bnot heard\b|\bno (?:response|"
            r"reply|answer|news)\b|\bghost|\bthank[- ]you (?:note|email|letter)|\bcheck[- ]in\b"
        ),
        (
            "should I email the recruiter again",
            "they did not get back to me",
            "how long should I wait before contacting them",
        ),
    ),
    _Intent(
        "interview",
        _re(r"\binterview|\bquestions? (?:will|might|could|would) they ask\b|\bprepare for\b"),
        (
            "what questions will they ask me",
            "help me get ready for the technical round",
            "how do I prepare for the next round",
        ),
    ),
    _Intent(
        "resume",
        _re(
            r"\bresumes?\b|\br[ée]sum[ée]s?\b|\bcv\b|\bmatch score\b|\bmissing skills?\b|"
            r"\banalysis\b|\bkeywords?\b|\bscore\b"
        ),
        (
            "how can I improve my resume",
            "what skills am I missing",
            "why is my match score low",
            "what should I change in my profile",
        ),
    ),
    _Intent(
        "pipeline",
        _re(
            r"\bhow(?:'s| is| am)\s+(?:my|i|it)\b.*\b(?:search|going|doing)\b|\bpipeline\b|"
            r"\bstats?\b|\bstatistics\b|\bhow many\b|\bmy applications\b|\bprogress\b|"
            r"\boverview\b|\bsummar(?:y|ise|ize)\b|\bnext (?:steps?|actions?)\b|\bto[- ]?do\b|"
            r"\bupcoming\b|\bjob search\b"
        ),
        (
            "how is my job search going",
            "give me an overview of my applications",
            "what should I do next",
            "how many companies replied",
        ),
    ),
    _Intent(
        "greeting",
        _re(r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings)\b"),
        ("hello there",),
    ),
    _Intent(
        "thanks",
        _re(r"^\W*(?:thanks|thank you|thx|cheers|great,? thanks)\b"),
        ("thank you, that helps",),
    ),
)
_TOPICS_WITH_JOB = ("cover_letter", "salary", "follow_up", "interview")


class _Examples:
    """The intents' example questions, embedded once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matrix: npt.NDArray[np.float32] | None = None
        self._labels: list[str] = []

    def best(self, message: str) -> tuple[str, float]:
        model = embeddings.encoder()
        with self._lock:
            if self._matrix is None:
                sentences = [e for i in _INTENTS for e in i.examples]
                self._labels = [i.name for i in _INTENTS for _ in i.examples]
                self._matrix = model.encode(sentences)
            matrix, labels = self._matrix, self._labels
        sims = matrix @ model.encode([message])[0]
        top = int(np.argmax(sims))
        return labels[top], float(sims[top])


_examples = _Examples()


def _mentioned(message: str, context: ChatContext) -> list[JobSummary]:
    """The user's applications whose company (or, failing that, position) the message names;
    the longest name wins."""
    low = message.lower()
    best: list[JobSummary] = []
    best_len = 0
    for field_name in ("company", "position"):
        for summary in context.jobs:
            name = clean_line(getattr(summary, field_name)).lower()
            if len(name) < 2 or not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", low):
                continue
            if len(name) > best_len:
                best, best_len = [summary], len(name)
            elif len(name) == best_len and summary not in best:
                best.append(summary)
        if best:
            return best
    if context.job is not None and re.search(
        r"\b(?:this|the|that) (?:job|role|position|application|company|one)\b", low
    ):
        key = (context.job.company.lower(), context.job.title.lower())
        return [s for s in context.jobs if (s.company.lower(), s.position.lower()) == key][:1]
    return []


def detect(message: str, context: ChatContext) -> tuple[str, list[JobSummary]]:
    """(intent, the applications the message names)."""
    text = message[:MAX_MESSAGE_CHARS]
    jobs = _mentioned(text, context)
    if _RATES.search(text):
        return "pipeline", jobs
    for intent in _INTENTS:
        if intent.pattern.search(text):
            if jobs and intent.name not in _TOPICS_WITH_JOB:
                return "job", jobs
            return intent.name, jobs
    if jobs:
        return "job", jobs
    if not re.search(r"\w", text):
        return "help", []
    name, score = _examples.best(text)
    if score >= INTENT_THRESHOLD:
        return name, []
    return "help", []


# Answers ------------------------------------------------------------------------------------


def _status_key(status: str) -> str:
    return status.strip().upper().removeprefix("STATUS_")


def _pct(value: float) -> str:
    if value > 1:  # already a percentage
        value /= 100
    return f"{value * 100:.0f}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _job_line(s: JobSummary) -> str:
    what = f"{s.company}, {s.position}" if s.position else s.company
    line = f"{what}: {STATUS_NAMES.get(_status_key(s.status), s.status.lower())}"
    if s.applied_date:
        line += f" (application date {s.applied_date})"
    return line


def _pipeline(context: ChatContext) -> str:
    counts = {_status_key(k): v for k, v in context.status_counts.items() if v}
    if not counts:  # no stats: count the applications listed
        for s in context.jobs:
            counts[_status_key(s.status)] = counts.get(_status_key(s.status), 0) + 1
    total = int(context.stats.get("total", 0) or sum(counts.values()) or len(context.jobs))
    if not total:
        return (
            "You are not tracking any applications yet. Add the jobs you are interested in "
            "(Add job in the app, or `careervault jobs add`) and I can tell you how the "
            "search is going."
        )
    lines = [f"You are tracking {_plural(total, 'application')}."]
    parts = [f"{counts[k]} {label}" for k, label in STATUS_LABELS.items() if counts.get(k)]
    if parts:
        lines.append("By status: " + ", ".join(parts) + ".")
    sent = int(context.stats.get("sent", 0))
    if sent:
        rates = [
            f"{label} rate {_pct(context.stats[key])}"
            for key, label in (
                ("response_rate", "response"),
                ("interview_rate", "interview"),
                ("offer_rate", "offer"),
            )
            if key in context.stats
        ]
        if rates:
            lines.append(f"Of {_plural(sent, 'application')} sent: " + ", ".join(rates) + ".")
        response = context.stats.get("response_rate")
        if response is not None:
            rate = response / 100 if response > 1 else response
            if sent >= 10 and rate < 0.1:
                lines.append(
                    "A response rate under 10% usually means the resume or the targeting needs "
                    "work: analyse your resume against the jobs you want most and apply where "
                    "you match best."
                )
            elif rate >= 0.2:
                lines.append("That response rate is healthy: keep the pace.")
        days = context.stats.get("median_days_to_first_response")
        if days:
            lines.append(f"Companies answered after {days:.0f} days at the median.")
    stale = int(context.stats.get("stale_count", 0))
    if stale:
        lines.append(
            f"{_plural(stale, 'open application')} had no change for a while: follow up, or "
            "close the ones that went quiet."
        )
    actions = [s for s in context.jobs if s.next_action][:5]
    if actions:
        lines.append("Next actions:")
        lines.extend(f"- {s.company}: {clean_line(s.next_action)}" for s in actions)
    else:
        interviewing = [s for s in context.jobs if _status_key(s.status) in INTERVIEWING]
        if interviewing:
            names = ", ".join(s.company for s in interviewing[:5])
            lines.append(f"Interviews in progress: {names}. Interview prep helps you get ready.")
    return "\n".join(lines)


def _job(jobs: Sequence[JobSummary]) -> str:
    lines: list[str] = []
    for s in jobs[:3]:
        lines.append(_job_line(s) + ".")
        if s.next_action:
            lines.append(f"Next action: {clean_line(s.next_action)}.")
        advice = STATUS_ADVICE.get(_status_key(s.status))
        if advice:
            lines.append(advice)
    if len(jobs) > 3:
        lines.append(f"({len(jobs) - 3} more with that name.)")
    return "\n".join(lines)


def _resume(context: ChatContext) -> str:
    result = context.analysis
    if result is None:
        return (
            "I have no analysis of your resume yet. Run one (Analyze in the app, or "
            "`careervault analyze RESUME --job ...`) and I can tell you exactly what to "
            "change. In general:\n" + RESUME_TIPS
        )
    lines = [f"Your latest analysis scored {result.match_score}/100."]
    missing = [m.skill for m in result.missing_skills if m.required]
    optional = [m.skill for m in result.missing_skills if not m.required]
    if missing:
        lines.append(
            "Required skills it did not find: "
            + ", ".join(missing[:8])
            + ". Add the ones you really have, in the job's words; be ready to talk about the "
            "others honestly."
        )
    if optional:
        lines.append("Nice-to-haves it did not find: " + ", ".join(optional[:6]) + ".")
    if result.suggestions:
        lines.append("What to change first:")
        lines.extend(f"- {clean_line(s)}" for s in result.suggestions[:4])
    elif not missing:
        lines.append("It found no gaps worth fixing: tailor the summary to each job.")
    return "\n".join(lines)


def _job_title(job: Job) -> str:
    title = clean_line(job.title) or "this job"
    return f"{title} at {clean_line(job.company)}" if job.company.strip() else title


def _interview(context: ChatContext, jobs: Sequence[JobSummary]) -> str:
    lines: list[str] = []
    if jobs:
        lines.append(_job_line(jobs[0]) + ".")
    if context.job is not None and context.job.description.strip():
        questions = prepare_interview(context.job, None, 5).questions
        lines.append(f"Likely questions for {_job_title(context.job)}:")
        lines.extend(f"{i}. {q.text} ({q.category})" for i, q in enumerate(questions, 1))
        lines.append(
            "Interview prep (or `careervault interview --job ...`) gives the full list with "
            "answer outlines built from your resume."
        )
        return "\n".join(lines)
    interviewing = [s for s in context.jobs if _status_key(s.status) in INTERVIEWING]
    if interviewing and not jobs:
        names = ", ".join(
            f"{s.company} ({STATUS_NAMES[_status_key(s.status)]})" for s in interviewing[:5]
        )
        lines.append(f"Interviews in progress: {names}.")
    lines.append(
        "Ask from a job's page (or `careervault chat --job ...`) and I will list questions "
        "from its description. Meanwhile:\n" + INTERVIEW_TIPS
    )
    return "\n".join(lines)


def _topic(text: str, jobs: Sequence[JobSummary]) -> str:
    if not jobs:
        return text
    return _job_line(jobs[0]) + ".\n" + text


def _offers(context: ChatContext) -> str:
    offers = [s.company for s in context.jobs if _status_key(s.status) == "OFFER"]
    if not offers:
        return ""
    return f"\nYou have an offer from {', '.join(offers[:3])}: now is the time to use this."


def _follow_ups(context: ChatContext) -> str:
    waiting = [s for s in context.jobs if _status_key(s.status) == "APPLIED"][:5]
    if not waiting:
        return ""
    return "\nApplications waiting for an answer: " + ", ".join(s.company for s in waiting) + "."


def answer(turns: Sequence[ChatTurn], context: ChatContext) -> str:
    """The whole answer to the last user message (deterministic)."""
    message = next((t.content for t in reversed(turns) if t.role == "user"), "")
    first = not any(t.role == "assistant" for t in turns)
    intent, jobs = detect(message, context)
    name = clean_line(context.display_name).split(" ")[0] if context.display_name else ""
    if intent == "pipeline":
        body = _pipeline(context)
    elif intent == "job":
        body = _job(jobs)
    elif intent == "resume":
        body = _resume(context)
    elif intent == "interview":
        body = _interview(context, jobs)
    elif intent == "cover_letter":
        body = _topic(COVER_LETTER, jobs)
    elif intent == "salary":
        body = _topic(SALARY, jobs) + ("" if jobs else _offers(context))
    elif intent == "follow_up":
        body = _topic(FOLLOW_UP, jobs) + ("" if jobs else _follow_ups(context))
    elif intent == "greeting":
        body = f"Hello{', ' + name if name else ''}! " + MENU
    elif intent == "thanks":
        body = "You're welcome! Ask me anything else about your search."
    else:
        body = "I'm not sure how to help with that. " + MENU
    return f"{INTRO}\n\n{body}" if first else body


def pieces(text: str, words: int = WORDS_PER_PIECE) -> Iterator[str]:
    """The text in pieces of a few words each (whitespace kept), for streaming."""
    tokens = re.findall(r"\s*\S+\s*", text)
    for lo in range(0, len(tokens), words):
        yield "".join(tokens[lo : lo + words])
