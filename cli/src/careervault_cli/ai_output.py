"""How the AI service's answers read in a terminal: the analysis with its breakdown and
evidence, interview questions with what to cover, and who answered."""

from __future__ import annotations

import textwrap

from careervault.ai.v1 import ai_pb2 as pb
from careervault_cli.output import table

WIDTH = 100
QUOTE_CHARS = 160


def _clip(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def provider_line(info: pb.ProviderInfo) -> str:
    """`provider: local (model)`, and why it fell back or stayed local."""
    if not info.name:
        return ""
    line = f"provider: {info.name}" + (f" ({info.model})" if info.model else "")
    if info.fell_back:
        line += " - fell back to local"
    if info.reason:
        line += f": {info.reason}"
    return line


def _component(name: str) -> str:
    return name.replace("_", " ")


def _skill(match: pb.SkillMatch, found: bool) -> list[str]:
    kind = "required" if match.required else "nice to have"
    head = f"  {'+' if found else '-'} {match.skill} ({kind}"
    if found and match.similarity and match.similarity < 0.999:
        head += f", similarity {match.similarity:.2f}"
    lines = [head + ")"]
    for evidence in match.evidence[:2]:
        lines.append(_wrap(f"resume: \u201c{_clip(evidence)}\u201d", " " * 6))
    if match.requirement:
        lines.append(_wrap(f"job: \u201c{_clip(match.requirement)}\u201d", " " * 6))
    return lines


def analysis(result: pb.ResumeAnalysis) -> str:
    """The score, how it was composed, the skills with their evidence, what to change."""
    parts = [f"Match score: {result.match_score}/100"]
    if result.summary:
        parts.append(_wrap(result.summary, ""))
    if result.score_breakdown:
        rows = [
            [
                _component(c.component),
                f"{c.score:.0f}",
                f"{c.weight * 100:.0f}%",
                f"{c.score * c.weight:.1f}",
                _clip(c.explanation, 200),
            ]
            for c in result.score_breakdown
        ]
        parts.append(
            "Score breakdown (points = score x weight):\n"
            + table(["COMPONENT", "SCORE", "WEIGHT", "POINTS", "WHY"], rows)
        )
    if result.matched_skills:
        lines = ["Matched skills:"]
        for m in result.matched_skills:
            lines.extend(_skill(m, found=True))
        parts.append("\n".join(lines))
    if result.missing_skills:
        lines = ["Missing skills:"]
        for m in result.missing_skills:
            lines.extend(_skill(m, found=False))
        parts.append("\n".join(lines))
    if result.suggestions:
        lines = ["Suggestions:"]
        for i, s in enumerate(result.suggestions, 1):
            lines.append(_wrap(s, " " * 6, first=f"  {i:>2}. "))
        parts.append("\n".join(lines))
    info = provider_line(result.provider)
    if info:
        parts.append(info)
    return "\n\n".join(parts)


def interview(response: pb.PrepareInterviewResponse) -> str:
    """Numbered questions, each with its category, why it is likely, and what to cover."""
    blocks: list[str] = []
    for i, q in enumerate(response.questions, 1):
        lines = [_wrap(q.text, "    ", first=f"{i:>2}. [{q.category}] ")]
        if q.rationale:
            lines.append(_wrap(q.rationale, " " * 9, first="    why: "))
        lines.extend(_wrap(p, " " * 6, first="    - ") for p in q.answer_points)
        blocks.append("\n".join(lines))
    info = provider_line(response.provider)
    if info:
        blocks.append(info)
    return "\n\n".join(blocks)
