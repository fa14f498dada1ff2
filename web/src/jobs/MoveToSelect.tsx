import { useId } from "react";
import type { Job, Status } from "./model";
import { STATUSES, STATUS_LABELS, isStatus, jobTitle } from "./model";

/** The keyboard- and touch-friendly alternative to dragging: a labelled select of stages. */
export function MoveToSelect({
  job,
  onMove,
  disabled = false,
  className = "",
}: {
  job: Job;
  onMove: (job: Job, status: Status) => void;
  disabled?: boolean;
  className?: string;
}) {
  const id = useId();
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <label htmlFor={id} className="text-xs font-medium text-slate-700">
        Move to
        <span className="sr-only"> (changes the stage of {jobTitle(job)})</span>
      </label>
      <select
        id={id}
        data-testid="move-to"
        className="min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-900 focus:border-brand-600 focus:ring-2 focus:ring-brand-600/30 focus:outline-none"
        value={job.status}
        disabled={disabled}
        onChange={(e) => {
          const status = e.target.value;
          if (isStatus(status) && status !== job.status) onMove(job, status);
        }}
      >
        {!isStatus(job.status) && <option value={job.status}>{STATUS_LABELS[job.status] ?? job.status}</option>}
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </select>
    </div>
  );
}
