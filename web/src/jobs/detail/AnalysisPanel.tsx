import { Link } from "react-router-dom";
import type { SavedAnalysis } from "../model";
import { formatTime } from "../model";
import { Section } from "./Section";

const COMPONENT_LABELS: Record<string, string> = {
  required_skills: "Required skills",
  preferred_skills: "Nice-to-have skills",
  experience: "Experience",
  education: "Education",
  keywords: "Keywords",
};

function componentLabel(name: string): string {
  return COMPONENT_LABELS[name] ?? name.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

function scoreTone(score: number): string {
  if (score >= 75) return "text-emerald-800 bg-emerald-50 border-emerald-200";
  if (score >= 50) return "text-amber-900 bg-amber-50 border-amber-200";
  return "text-rose-800 bg-rose-50 border-rose-200";
}

/** The resume analysis saved on this job, or a way to make one. */
export function AnalysisPanel({ analysis, jobId }: { analysis?: SavedAnalysis; jobId: string }) {
  const analyzeLink = `/analyze?job=${encodeURIComponent(jobId)}`;
  if (!analysis) {
    return (
      <Section title="Resume match" testId="analysis-section">
        <p className="text-sm text-slate-700">
          No analysis saved yet. See how your resume matches this job — the score, the skills you show and those you miss.
        </p>
        <Link to={analyzeLink} className="btn-primary mt-3">
          Analyze my resume for this job
        </Link>
      </Section>
    );
  }
  const score = Math.round(analysis.matchScore ?? 0);
  const breakdown = analysis.scoreBreakdown ?? [];
  const matched = analysis.matchedSkills ?? [];
  const missing = analysis.missingSkills ?? [];
  const suggestions = analysis.suggestions ?? [];
  return (
    <Section
      title="Resume match"
      testId="analysis-section"
      actions={
        <Link to={analyzeLink} className="btn-secondary px-3 py-1.5">
          Analyze again
        </Link>
      }
    >
      <div className="flex flex-wrap items-center gap-4">
        <p className={`flex h-20 w-20 shrink-0 flex-col items-center justify-center rounded-full border-2 ${scoreTone(score)}`} data-testid="analysis-score">
          <span className="text-2xl leading-none font-bold">{score}</span>
          <span className="text-xs">of 100</span>
        </p>
        <div className="min-w-0 flex-1 text-sm">
          {analysis.summary && <p className="text-slate-800">{analysis.summary}</p>}
          <p className="mt-1 text-xs text-slate-600">
            {analysis.analyzeTime ? `Analyzed ${formatTime(analysis.analyzeTime)}` : "Saved analysis"}
            {analysis.provider ? ` · ${analysis.provider === "local" ? "local analysis" : analysis.provider}` : ""}
          </p>
        </div>
      </div>

      {breakdown.length > 0 && (
        <div className="mt-4">
          <h3 className="text-sm font-semibold text-slate-900">How the score is made</h3>
          <ul className="mt-2 space-y-2">
            {breakdown.map((c) => {
              const value = Math.max(0, Math.min(100, Math.round(c.score ?? 0)));
              return (
                <li key={c.component} className="text-sm">
                  <div className="flex items-baseline justify-between gap-2">
                    <span className="font-medium text-slate-800">{componentLabel(c.component)}</span>
                    <span className="text-slate-700">
                      {value}
                      <span className="text-xs text-slate-600"> · weight {Math.round((c.weight ?? 0) * 100)}%</span>
                    </span>
                  </div>
                  <div
                    className="mt-1 h-2 overflow-hidden rounded-full bg-slate-200"
                    role="meter"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={value}
                    aria-label={`${componentLabel(c.component)} score`}
                  >
                    <div className="h-full rounded-full bg-brand-700" style={{ width: `${value}%` }} />
                  </div>
                  {c.explanation && <p className="mt-1 text-xs text-slate-600">{c.explanation}</p>}
                </li>
              );
            })}
          </ul>
        </div>
      )}

      <div className="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-2">
        <SkillList title="Skills you show" skills={matched} tone="bg-emerald-50 text-emerald-900 border-emerald-200" empty="None found yet." />
        <SkillList title="Skills to add or show" skills={missing} tone="bg-rose-50 text-rose-900 border-rose-200" empty="Nothing missing." />
      </div>

      {suggestions.length > 0 && (
        <div className="mt-4">
          <h3 className="text-sm font-semibold text-slate-900">Suggestions</h3>
          <ol className="mt-2 list-decimal space-y-1 pl-5 text-sm text-slate-800">
            {suggestions.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ol>
        </div>
      )}
    </Section>
  );
}

function SkillList({ title, skills, tone, empty }: { title: string; skills: string[]; tone: string; empty: string }) {
  return (
    <div>
      <h3 className="text-sm font-semibold text-slate-900">
        {title} <span className="font-normal text-slate-600">({skills.length})</span>
      </h3>
      {skills.length === 0 ? (
        <p className="mt-1 text-sm text-slate-600">{empty}</p>
      ) : (
        <ul className="mt-2 flex flex-wrap gap-1.5">
          {skills.map((s) => (
            <li key={s} className={`rounded-full border px-2 py-0.5 text-xs font-medium ${tone}`}>
              {s}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
