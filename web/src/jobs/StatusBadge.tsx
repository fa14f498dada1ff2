import type { JobApplication_Status } from "./model";
import { STATUS_LABELS, STATUS_STYLES } from "./model";

export function StatusBadge({ status, className = "" }: { status: JobApplication_Status; className?: string }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${STATUS_STYLES[status] ?? STATUS_STYLES.STATUS_UNSPECIFIED} ${className}`}
    >
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}
