// The match score as a large number inside a ring gauge.

/** Colour band of a score: green from 75, amber from 50, red below. */
export function scoreTone(score: number): { stroke: string; text: string; label: string } {
  if (score >= 75) return { stroke: "#15803d", text: "text-green-800", label: "Strong match" };
  if (score >= 50) return { stroke: "#b45309", text: "text-amber-800", label: "Partial match" };
  return { stroke: "#b91c1c", text: "text-red-800", label: "Weak match" };
}

export default function ScoreRing({ score, size = 148 }: { score: number; size?: number }) {
  const value = Math.max(0, Math.min(100, Math.round(score)));
  const stroke = 12;
  const r = (size - stroke) / 2;
  const circumference = 2 * Math.PI * r;
  const tone = scoreTone(value);
  return (
    <div
      className="relative inline-flex shrink-0 items-center justify-center"
      style={{ width: size, height: size }}
      role="img"
      aria-label={`Match score ${value} out of 100: ${tone.label.toLowerCase()}`}
      data-testid="match-score"
      data-score={value}
    >
      <svg width={size} height={size} viewBox={`0 0 ${size} ${size}`} aria-hidden="true" className="-rotate-90">
        <circle cx={size / 2} cy={size / 2} r={r} fill="none" stroke="#e2e8f0" strokeWidth={stroke} />
        <circle
          cx={size / 2}
          cy={size / 2}
          r={r}
          fill="none"
          stroke={tone.stroke}
          strokeWidth={stroke}
          strokeLinecap="round"
          strokeDasharray={`${(value / 100) * circumference} ${circumference}`}
          className="transition-[stroke-dasharray] duration-700 ease-out motion-reduce:transition-none"
        />
      </svg>
      <div className="absolute inset-0 flex flex-col items-center justify-center" aria-hidden="true">
        <span className={`text-4xl font-bold tabular-nums ${tone.text}`}>{value}</span>
        <span className="text-xs font-medium text-slate-600">of 100</span>
      </div>
    </div>
  );
}
