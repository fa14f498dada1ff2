import type { StatusChange } from "../model";
import { STATUS_LABELS, formatTime } from "../model";
import { StatusBadge } from "../StatusBadge";
import { Section } from "./Section";

/** Every stage the application has been in, newest first (the service records them). */
export function StatusTimeline({ history }: { history: StatusChange[] }) {
  const entries = [...history].reverse();
  return (
    <Section title="Timeline" testId="status-timeline">
      {entries.length === 0 ? (
        <p className="text-sm text-slate-600">No changes recorded yet.</p>
      ) : (
        <ol className="relative space-y-4 border-l-2 border-slate-200 pl-5">
          {entries.map((entry, i) => (
            <li key={`${entry.changeTime}-${i}`} className="relative">
              <span
                aria-hidden="true"
                className={`absolute top-1.5 -left-[1.7rem] h-3 w-3 rounded-full border-2 border-white ${i === 0 ? "bg-brand-700" : "bg-slate-400"}`}
              />
              <p className="flex flex-wrap items-center gap-2 text-sm text-slate-800">
                {entry.fromStatus && entry.fromStatus !== "STATUS_UNSPECIFIED" ? (
                  <>
                    <span className="sr-only">Moved from {STATUS_LABELS[entry.fromStatus]} to</span>
                    <StatusBadge status={entry.fromStatus} className="opacity-80" />
                    <span aria-hidden="true">→</span>
                    <StatusBadge status={entry.status} />
                  </>
                ) : (
                  <>
                    <span>Added as</span>
                    <StatusBadge status={entry.status} />
                  </>
                )}
              </p>
              <p className="mt-0.5 text-xs text-slate-600">
                <time dateTime={entry.changeTime}>{formatTime(entry.changeTime)}</time>
              </p>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}
