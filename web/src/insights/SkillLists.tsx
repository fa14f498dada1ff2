// Matched skills with the resume lines that show them (the skill marked in each line), and
// missing skills with the job's sentence that asks for them.
import { useState } from "react";
import type { SkillMatch } from "../api/types.gen";
import { HighlightedText } from "./highlight";

function Kind({ required }: { required: boolean }) {
  return required ? (
    <span className="rounded-full bg-slate-800 px-2 py-0.5 text-[11px] font-semibold uppercase tracking-wide text-white">
      Required
    </span>
  ) : (
    <span className="rounded-full bg-slate-100 px-2 py-0.5 text-[11px] font-semibold uppercase tracking-wide text-slate-700 ring-1 ring-slate-300">
      Nice to have
    </span>
  );
}

const SHOWN = 2;

function Evidence({ skill }: { skill: SkillMatch }) {
  const [all, setAll] = useState(false);
  const lines = all ? skill.evidence : skill.evidence.slice(0, SHOWN);
  const hidden = skill.evidence.length - SHOWN;
  if (skill.evidence.length === 0) return null;
  return (
    <div className="mt-2">
      <p className="sr-only">Evidence from your resume:</p>
      <ul className="space-y-1.5">
        {lines.map((line, i) => (
          <li
            key={i}
            className="break-words border-l-2 border-green-600 bg-green-50/60 py-1 pl-3 text-sm text-slate-800"
            data-testid="evidence"
          >
            <HighlightedText text={line} skill={skill.skill} />
          </li>
        ))}
      </ul>
      {hidden > 0 && (
        <button type="button" className="link mt-1 text-sm" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? "Show fewer lines" : `Show ${hidden} more ${hidden === 1 ? "line" : "lines"}`}
        </button>
      )}
    </div>
  );
}

export function MatchedSkills({ skills }: { skills: SkillMatch[] }) {
  if (skills.length === 0) {
    return <p className="text-sm text-slate-700">None of the job's skills were found in the resume.</p>;
  }
  return (
    <ul className="space-y-3" aria-label="Matched skills">
      {skills.map((s) => (
        <li key={s.skill} className="rounded-lg border border-slate-200 p-3" data-testid="matched-skill" data-skill={s.skill}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-green-700" aria-hidden="true">
              ✓
            </span>
            <span className="font-semibold text-slate-900">{s.skill}</span>
            <Kind required={s.required} />
          </div>
          <Evidence skill={s} />
        </li>
      ))}
    </ul>
  );
}

export function MissingSkills({ skills }: { skills: SkillMatch[] }) {
  if (skills.length === 0) {
    return <p className="text-sm text-slate-700">Nothing missing: the resume shows every skill the job asks for.</p>;
  }
  return (
    <ul className="space-y-3" aria-label="Missing skills">
      {skills.map((s) => (
        <li key={s.skill} className="rounded-lg border border-slate-200 p-3" data-testid="missing-skill" data-skill={s.skill}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-red-700" aria-hidden="true">
              ✗
            </span>
            <span className="font-semibold text-slate-900">{s.skill}</span>
            <Kind required={s.required} />
          </div>
          {s.requirement && (
            <blockquote className="mt-2 break-words border-l-2 border-slate-300 pl-3 text-sm text-slate-700">
              <span className="sr-only">The job asks: </span>
              <HighlightedText text={s.requirement} skill={s.skill} />
            </blockquote>
          )}
        </li>
      ))}
    </ul>
  );
}
