// Marks a skill inside the resume sentence that shows it ("evidence"), so the reader sees at a
// glance why the skill counted. The analysis names skills in their normalised form ("Apache
// Kafka", "Kubernetes") while the resume may say "Kafka" or "k8s": a few well-known aliases and
// the skill's own distinctive words are tried when the full name is not in the sentence.
import type { ReactNode } from "react";

const ALIASES: Record<string, string[]> = {
  kubernetes: ["k8s"],
  postgresql: ["postgres", "psql"],
  javascript: ["js", "ecmascript", "es6"],
  typescript: ["ts"],
  go: ["golang"],
  "amazon web services": ["aws"],
  "google cloud platform": ["gcp", "google cloud"],
  "microsoft azure": ["azure"],
  "node.js": ["node", "nodejs"],
  react: ["react.js", "reactjs"],
  "vue.js": ["vue", "vuejs"],
  "c#": ["csharp", "c sharp"],
  "c++": ["cpp"],
  "machine learning": ["ml"],
  "continuous integration": ["ci"],
  "ci/cd": ["ci", "cd", "continuous integration", "continuous delivery"],
  "ruby on rails": ["rails"],
};

// Words that do not identify a skill on their own ("Apache" Kafka, "Amazon" S3, ...).
const GENERIC = new Set([
  "apache",
  "amazon",
  "microsoft",
  "google",
  "the",
  "and",
  "for",
  "with",
  "of",
  "skills",
  "development",
  "programming",
  "language",
  "management",
  "systems",
  "services",
  "platform",
  "framework",
  "software",
]);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** The phrases that stand for `skill` in a resume, longest first. */
export function skillTerms(skill: string): string[] {
  const name = skill.trim();
  if (!name) return [];
  const terms = new Set<string>([name]);
  // "Amazon Web Services (AWS)": both the name and the abbreviation.
  const paren = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(name);
  if (paren) {
    terms.add(paren[1]);
    terms.add(paren[2]);
  }
  for (const term of [...terms]) {
    for (const alias of ALIASES[term.toLowerCase()] ?? []) terms.add(alias);
  }
  return [...terms].filter(Boolean).sort((a, b) => b.length - a.length);
}

/** The skill's distinctive single words, tried when no full term is in the text. */
function fallbackWords(skill: string): string[] {
  const words = skill
    .replace(/\([^)]*\)/g, " ")
    .split(/\s+/)
    .filter((w) => w.length >= 3 && !GENERIC.has(w.toLowerCase()));
  return words.length > 1 || words[0]?.toLowerCase() !== skill.trim().toLowerCase() ? words : [];
}

const BOUNDED = (body: string) => `(?<![A-Za-z0-9])(?:${body})(?![A-Za-z0-9])`;

function termSource(t: string): string {
  return escape(t).replace(/\s+/g, "\\s+");
}

/** Matches of `terms` in `text`. Short terms ("Go", "R", "C#", "JS") count only as written;
 * longer ones in any case. Terms are whole words: "Go" is not inside "Google", "Java" not
 * inside "JavaScript". Overlaps keep the earlier, then the longer match. */
function matchTerms(text: string, terms: string[]): Array<[number, number]> {
  const short = terms.filter((t) => t.replace(/[^A-Za-z0-9]/g, "").length <= 2);
  const long = terms.filter((t) => !short.includes(t));
  const found: Array<[number, number]> = [];
  const collect = (list: string[], flags: string) => {
    if (list.length === 0) return;
    const re = new RegExp(BOUNDED(list.map(termSource).join("|")), flags);
    for (const m of text.matchAll(re)) {
      if (m.index !== undefined && m[0].length > 0) found.push([m.index, m.index + m[0].length]);
    }
  };
  collect(long, "gi");
  collect(short, "g");
  found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const ranges: Array<[number, number]> = [];
  for (const r of found) {
    const last = ranges[ranges.length - 1];
    if (!last || r[0] >= last[1]) ranges.push(r);
  }
  return ranges;
}

/** Where `skill` occurs in `text`, as [start, end) ranges, in order and not overlapping. */
export function findSkill(text: string, skill: string): Array<[number, number]> {
  for (const terms of [skillTerms(skill), fallbackWords(skill)]) {
    const ranges = matchTerms(text, terms);
    if (ranges.length > 0) return ranges;
  }
  return [];
}

/** `text` with each occurrence of `skill` wrapped in <mark>. */
export function HighlightedText({ text, skill }: { text: string; skill: string }) {
  const ranges = findSkill(text, skill);
  if (ranges.length === 0) return <>{text}</>;
  const out: ReactNode[] = [];
  let at = 0;
  ranges.forEach(([start, end], i) => {
    if (start > at) out.push(text.slice(at, start));
    out.push(
      <mark key={i} className="rounded bg-amber-100 px-0.5 font-semibold text-slate-900">
        {text.slice(start, end)}
      </mark>,
    );
    at = end;
  });
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}
