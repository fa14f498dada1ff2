"""Headings told by their type, for PDFs: which short, emphasised lines are section headings.

The PDF reader notes, for every short line set in bold or in a type clearly larger than the
page's body text, its style: size, weight, capitals, colour (`StyledLine`). The outline then
asks `heading_lines` which of them are headings:

- a style worn by a heading it knows by name ("Experience", "Berufserfahrung", ...) is a
  heading style, unless it is also worn by more unknown lines than known ones (then it is the
  style of job titles or company names too, and only the known names count);
- with no heading known by name, the largest style worn by 2 to 15 lines and clearly larger
  than the body is the heading style;
- the lines set in a heading style are headings, in whatever language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A line in a type this much larger than the body text is emphasised even when not bold.
LARGER = 1.12

Style = tuple[float, bool, bool, int]


@dataclass(frozen=True)
class StyledLine:
    text: str  # the line, stripped, as it appears in the document's text
    size: float  # points, rounded to a half
    bold: bool
    caps: bool  # all its letters are capitals
    color: int  # sRGB
    body: float  # the body text size of its page

    @property
    def style(self) -> Style:
        return (self.size, self.bold, self.caps, self.color)


def emphasised(text: str, size: float, bold: bool, body: float) -> bool:
    return bold or size >= body * LARGER


def heading_lines(lines: Sequence[StyledLine], known: Callable[[str], bool]) -> frozenset[str]:
    """The lines (their text) set in the document's heading style; see the module docstring."""
    by_style: dict[Style, list[StyledLine]] = {}
    for line in lines:
        by_style.setdefault(line.style, []).append(line)
    chosen: set[Style] = set()
    for style, group in by_style.items():
        named = sum(1 for line in group if known(line.text))
        if named and len(group) - named <= named:
            chosen.add(style)
    if not chosen and not any(known(line.text) for line in lines):
        bodies = sorted(line.body for line in lines)
        body = bodies[len(bodies) // 2] if bodies else 0.0
        larger = [
            style
            for style, group in by_style.items()
            if 2 <= len(group) <= 15 and style[0] >= body * 1.15
        ]
        if larger:
            chosen.add(max(larger))
    return frozenset(line.text for line in lines if line.style in chosen)
