// One headline number with a short explanation, and optionally a 0..1 meter under it.
export default function StatCard({
  label,
  value,
  hint,
  meter,
  tone = "normal",
  testId,
}: {
  label: string;
  value: string;
  hint?: string;
  meter?: number;
  tone?: "normal" | "warn";
  testId?: string;
}) {
  return (
    <div className="card flex min-w-0 flex-col gap-1 p-4!" data-testid={testId}>
      <span className="text-sm font-medium text-slate-600">{label}</span>
      <span
        className={`text-2xl font-semibold tabular-nums sm:text-3xl ${tone === "warn" ? "text-amber-800" : "text-slate-900"}`}
        data-testid={testId ? `${testId}-value` : undefined}
      >
        {value}
      </span>
      {meter !== undefined && (
        <div className="h-1.5 w-full overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
          <div className="h-full rounded-full bg-brand-600" style={{ width: `${Math.max(0, Math.min(1, meter)) * 100}%` }} />
        </div>
      )}
      {hint && <span className="text-xs text-slate-600">{hint}</span>}
    </div>
  );
}
