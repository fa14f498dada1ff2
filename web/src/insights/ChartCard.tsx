// A chart with its words: a title, a one-line summary everyone sees, and the numbers as a table.
// The canvas is hidden from screen readers; the table is always in the page for them (visually
// hidden until "Show table" is pressed, which swaps the chart for the table).
import { useId, useState, type ReactNode } from "react";

export default function ChartCard({
  title,
  summary,
  chart,
  table,
  className = "",
  testId,
}: {
  title: string;
  summary: ReactNode;
  chart: ReactNode;
  table: ReactNode;
  className?: string;
  testId?: string;
}) {
  const [asTable, setAsTable] = useState(false);
  const headingId = useId();
  return (
    <section className={`card flex min-w-0 flex-col ${className}`} aria-labelledby={headingId} data-testid={testId}>
      <div className="flex items-start justify-between gap-3">
        <h2 id={headingId} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        <button
          type="button"
          className="shrink-0 rounded px-1 text-sm font-medium text-brand-700 underline-offset-2 hover:underline"
          aria-pressed={asTable}
          onClick={() => setAsTable((v) => !v)}
        >
          {asTable ? "Show chart" : "Show table"}
        </button>
      </div>
      <p className="mt-1 text-sm text-slate-700" data-testid={testId ? `${testId}-summary` : undefined}>
        {summary}
      </p>
      {!asTable && (
        <div className="relative mt-4 h-64 w-full min-w-0" aria-hidden="true">
          {chart}
        </div>
      )}
      <div className={asTable ? "mt-4 overflow-x-auto" : "sr-only"}>{table}</div>
    </section>
  );
}

/** A plain data table in the cards' style. */
export function DataTable({
  caption,
  head,
  rows,
}: {
  caption: string;
  head: string[];
  rows: Array<{ key: string; cells: ReactNode[]; testId?: string }>;
}) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr className="border-b border-slate-200 text-slate-600">
          {head.map((h, i) => (
            <th key={h} scope="col" className={`py-2 pr-3 font-medium ${i > 0 ? "text-right" : ""}`}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} className="border-b border-slate-100 last:border-0" data-testid={r.testId}>
            {r.cells.map((c, i) =>
              i === 0 ? (
                <th key={i} scope="row" className="py-2 pr-3 font-normal text-slate-800">
                  {c}
                </th>
              ) : (
                <td key={i} className="py-2 pr-3 text-right tabular-nums text-slate-800">
                  {c}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
