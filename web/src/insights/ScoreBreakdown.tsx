// How the match score was composed: each component's score, its weight and why.
import type { ScoreComponent } from "../api/types.gen";
import { componentLabel, percent } from "./format";
import { scoreTone } from "./ScoreRing";

function Bar({ score }: { score: number }) {
  const value = Math.max(0, Math.min(100, score));
  return (
    <div className="h-2 w-full overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
      <div className="h-full rounded-full" style={{ width: `${value}%`, backgroundColor: scoreTone(value).stroke }} />
    </div>
  );
}

export default function ScoreBreakdown({ components }: { components: ScoreComponent[] }) {
  const counted = components.filter((c) => c.weight > 0).sort((a, b) => b.weight - a.weight);
  const uncounted = components.filter((c) => !(c.weight > 0));
  if (components.length === 0) return null;
  return (
    <div>
      <ul className="space-y-4" aria-label="Score breakdown">
        {counted.map((c) => {
          const points = Math.round(c.score * c.weight * 10) / 10;
          return (
            <li key={c.component} data-testid="score-component" data-component={c.component}>
              <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
                <span className="font-medium text-slate-900">{componentLabel(c.component)}</span>
                <span className="text-sm tabular-nums text-slate-700">
                  <span className="font-semibold text-slate-900">{Math.round(c.score)}</span>/100
                  <span className="text-slate-500" aria-hidden="true">
                    {" "}
                    ·{" "}
                  </span>
                  <span className="sr-only">, </span>
                  weight {percent(c.weight)}
                  <span className="text-slate-500" aria-hidden="true">
                    {" "}
                    ·{" "}
                  </span>
                  <span className="sr-only">, </span>
                  {points} points
                </span>
              </div>
              <div className="mt-1.5">
                <Bar score={c.score} />
              </div>
              {c.explanation && <p className="mt-1.5 text-sm text-slate-700">{c.explanation}</p>}
            </li>
          );
        })}
      </ul>
      {uncounted.length > 0 && (
        <details className="mt-4 text-sm">
          <summary className="cursor-pointer font-medium text-slate-700">
            Not counted for this job ({uncounted.length})
          </summary>
          <ul className="mt-2 space-y-2">
            {uncounted.map((c) => (
              <li key={c.component} data-testid="score-component-uncounted">
                <span className="font-medium text-slate-800">{componentLabel(c.component)}</span>
                {c.explanation && <span className="text-slate-600"> — {c.explanation}</span>}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
