// A resume analysis: the score (ring), its breakdown, matched and missing skills with their
// evidence, suggestions and who answered. `actions` holds the page's buttons (save to a job).
import type { ReactNode } from "react";
import type { ResumeAnalysis } from "../api/types.gen";
import ProviderBadge from "./ProviderBadge";
import ScoreBreakdown from "./ScoreBreakdown";
import ScoreRing, { scoreTone } from "./ScoreRing";
import { MatchedSkills, MissingSkills } from "./SkillLists";

export default function AnalysisResult({ analysis, actions }: { analysis: ResumeAnalysis; actions?: ReactNode }) {
  const matched = analysis.matchedSkills ?? [];
  const missing = analysis.missingSkills ?? [];
  const suggestions = analysis.suggestions ?? [];
  return (
    <section aria-labelledby="analysis-heading" className="space-y-4" data-testid="analysis-result">
      <div className="card flex flex-col items-center gap-5 sm:flex-row sm:items-start">
        <ScoreRing score={analysis.matchScore ?? 0} />
        <div className="min-w-0 flex-1 space-y-3 text-center sm:text-left">
          <h2 id="analysis-heading" tabIndex={-1} className="text-xl font-semibold text-slate-900 focus:outline-none">
            {scoreTone(analysis.matchScore ?? 0).label}
          </h2>
          {analysis.summary && <p className="text-slate-700">{analysis.summary}</p>}
          <div className="flex justify-center sm:justify-start">
            <ProviderBadge provider={analysis.provider} />
          </div>
          {actions && <div className="flex flex-wrap justify-center gap-2 sm:justify-start">{actions}</div>}
        </div>
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <div className="card">
          <h3 className="mb-3 text-lg font-semibold text-slate-900">How the score is made</h3>
          <ScoreBreakdown components={analysis.scoreBreakdown ?? []} />
        </div>
        <div className="card">
          <h3 className="mb-3 text-lg font-semibold text-slate-900">Suggestions</h3>
          {suggestions.length === 0 ? (
            <p className="text-sm text-slate-700">No changes to suggest.</p>
          ) : (
            <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-800" data-testid="suggestions">
              {suggestions.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
          )}
        </div>
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <div className="card">
          <h3 className="mb-3 text-lg font-semibold text-slate-900">
            Matched skills <span className="text-base font-normal text-slate-600">({matched.length})</span>
          </h3>
          <MatchedSkills skills={matched} />
        </div>
        <div className="card">
          <h3 className="mb-3 text-lg font-semibold text-slate-900">
            Missing skills <span className="text-base font-normal text-slate-600">({missing.length})</span>
          </h3>
          <MissingSkills skills={missing} />
        </div>
      </div>
    </section>
  );
}
