// The job application as the SPA sees it: types from the generated API shapes (so a renamed
// proto field breaks the build), the order and names of the stages, and small conversions
// between the API's JSON (google.type.Date, RFC 3339 times, "3600s" durations) and form values.
import type {
  GoogleDate,
  Interview_Kind,
  Interview_Outcome,
  JobApplication,
  JobApplication_Status,
  JobApplication_WorkMode,
  SalaryRange,
  SalaryRange_Period,
} from "../api/types.gen";

export type {
  AnalysisComponent,
  Contact,
  GoogleDate,
  Interview,
  Interview_Kind,
  Interview_Outcome,
  JobApplication,
  JobApplication_Status,
  JobApplication_WorkMode,
  ListJobsResponse,
  NextAction,
  SalaryRange,
  SalaryRange_Period,
  SavedAnalysis,
  StatusChange,
} from "../api/types.gen";

export type Job = JobApplication;
export type Status = Exclude<JobApplication_Status, "STATUS_UNSPECIFIED">;
/** A field the client may name in UpdateJob's update mask (the JSON name). */
export type JobField = keyof JobApplication;

/** The board's columns, in the order an application moves through them. */
export const STATUSES: readonly Status[] = [
  "SAVED",
  "APPLIED",
  "PHONE_SCREEN",
  "TECHNICAL_INTERVIEW",
  "FINAL_INTERVIEW",
  "OFFER",
  "ACCEPTED",
  "REJECTED",
  "WITHDRAWN",
];

export const STATUS_LABELS: Record<JobApplication_Status, string> = {
  STATUS_UNSPECIFIED: "Not set",
  SAVED: "Saved",
  APPLIED: "Applied",
  PHONE_SCREEN: "Phone screen",
  TECHNICAL_INTERVIEW: "Technical interview",
  FINAL_INTERVIEW: "Final interview",
  OFFER: "Offer",
  ACCEPTED: "Accepted",
  REJECTED: "Rejected",
  WITHDRAWN: "Withdrawn",
};

/** Badge colours per stage (text at least slate/…-800 on a light tint: AA contrast). */
export const STATUS_STYLES: Record<JobApplication_Status, string> = {
  STATUS_UNSPECIFIED: "bg-slate-100 text-slate-800",
  SAVED: "bg-slate-100 text-slate-800",
  APPLIED: "bg-sky-100 text-sky-900",
  PHONE_SCREEN: "bg-indigo-100 text-indigo-900",
  TECHNICAL_INTERVIEW: "bg-violet-100 text-violet-900",
  FINAL_INTERVIEW: "bg-fuchsia-100 text-fuchsia-900",
  OFFER: "bg-amber-100 text-amber-900",
  ACCEPTED: "bg-emerald-100 text-emerald-900",
  REJECTED: "bg-rose-100 text-rose-900",
  WITHDRAWN: "bg-stone-200 text-stone-800",
};

export const WORK_MODES: readonly JobApplication_WorkMode[] = ["ONSITE", "HYBRID", "REMOTE"];
export const WORK_MODE_LABELS: Record<JobApplication_WorkMode, string> = {
  WORK_MODE_UNSPECIFIED: "Not specified",
  ONSITE: "On site",
  HYBRID: "Hybrid",
  REMOTE: "Remote",
};

export const PERIODS: readonly SalaryRange_Period[] = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"];
export const PERIOD_LABELS: Record<SalaryRange_Period, string> = {
  PERIOD_UNSPECIFIED: "Not specified",
  HOURLY: "per hour",
  DAILY: "per day",
  WEEKLY: "per week",
  MONTHLY: "per month",
  YEARLY: "per year",
};

export const INTERVIEW_KINDS: readonly Interview_Kind[] = ["PHONE", "VIDEO", "IN_PERSON", "TECHNICAL"];
export const INTERVIEW_KIND_LABELS: Record<Interview_Kind, string> = {
  KIND_UNSPECIFIED: "Interview",
  PHONE: "Phone call",
  VIDEO: "Video call",
  IN_PERSON: "In person",
  TECHNICAL: "Technical exercise",
};
export const OUTCOMES: readonly Interview_Outcome[] = ["PENDING", "PASSED", "FAILED", "CANCELLED"];
export const OUTCOME_LABELS: Record<Interview_Outcome, string> = {
  OUTCOME_UNSPECIFIED: "Not known yet",
  PENDING: "Waiting for an answer",
  PASSED: "Passed",
  FAILED: "Did not pass",
  CANCELLED: "Cancelled",
};

export const SOURCE_SUGGESTIONS = [
  "LinkedIn",
  "Indeed",
  "Company website",
  "Referral",
  "Recruiter",
  "Glassdoor",
  "Job board",
];

export function isStatus(value: unknown): value is Status {
  return typeof value === "string" && (STATUSES as readonly string[]).includes(value);
}

/** `jobs/abc` → `abc` (the id in the SPA's `/jobs/:id` route). */
export function jobId(job: Pick<Job, "name">): string {
  return job.name.split("/").pop() ?? job.name;
}

export function jobTitle(job: Pick<Job, "company" | "position">): string {
  return `${job.position} at ${job.company}`;
}

/** Groups applications by stage; an unknown or unset status lands in APPLIED (the service's
 * default), so nothing is ever dropped from the board. */
export function groupByStatus(jobs: readonly Job[]): Record<Status, Job[]> {
  const groups = Object.fromEntries(STATUSES.map((s) => [s, [] as Job[]])) as Record<Status, Job[]>;
  for (const job of jobs) {
    groups[isStatus(job.status) ? job.status : "APPLIED"].push(job);
  }
  return groups;
}

// ---- dates and times ----------------------------------------------------------------------

const pad = (n: number) => String(n).padStart(2, "0");

/** `{year, month, day}` → `YYYY-MM-DD` (the value of an `<input type="date">`); "" for none. */
export function dateToInput(date: GoogleDate | undefined): string {
  if (!date || !date.year || !date.month || !date.day) return "";
  return `${String(date.year).padStart(4, "0")}-${pad(date.month)}-${pad(date.day)}`;
}

/** `YYYY-MM-DD` → `{year, month, day}`; undefined for an empty or malformed value. */
export function inputToDate(value: string): GoogleDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

export function todayInput(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A calendar date in the reader's locale ("Nov 20, 2026"). */
export function formatDate(date: GoogleDate | undefined): string {
  if (!date || !date.year || !date.month || !date.day) return "";
  const d = new Date(date.year, date.month - 1, date.day);
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatTime(time: string | undefined, withTime = true): string {
  if (!time) return "";
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "";
  return withTime
    ? d.toLocaleString(undefined, {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "numeric",
        minute: "2-digit",
      })
    : d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** RFC 3339 → `YYYY-MM-DDTHH:MM` in local time (an `<input type="datetime-local">` value). */
export function timeToInput(time: string | undefined): string {
  if (!time) return "";
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A local `datetime-local` value → RFC 3339 UTC; undefined when empty or invalid. */
export function inputToTime(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** `"3600s"` → 60 (minutes). */
export function durationToMinutes(duration: string | undefined): number | undefined {
  if (!duration) return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(duration);
  return m ? Math.round(Number(m[1]) / 60) : undefined;
}

export function minutesToDuration(minutes: number): string {
  return `${Math.round(minutes * 60)}s`;
}

/** True when a due date is before today (local). */
export function isOverdue(date: GoogleDate | undefined, now: Date = new Date()): boolean {
  const value = dateToInput(date);
  return value !== "" && value < todayInput(now);
}

// ---- money --------------------------------------------------------------------------------

export function formatSalary(salary: SalaryRange | undefined): string {
  if (!salary || (!salary.min && !salary.max)) return "";
  const fmt = (n: number) => {
    if (salary.currency) {
      try {
        return n.toLocaleString(undefined, {
          style: "currency",
          currency: salary.currency,
          maximumFractionDigits: 0,
        });
      } catch {
        // An unknown code: fall through to plain numbers.
      }
    }
    return n.toLocaleString(undefined, { maximumFractionDigits: 0 });
  };
  const range =
    salary.min && salary.max && salary.min !== salary.max
      ? `${fmt(salary.min)} – ${fmt(salary.max)}`
      : fmt(salary.max || salary.min);
  const code = salary.currency && !/^[A-Z]{3}$/.test(salary.currency) ? ` ${salary.currency}` : "";
  const period =
    salary.period && salary.period !== "PERIOD_UNSPECIFIED" ? ` ${PERIOD_LABELS[salary.period]}` : "";
  return `${range}${code}${period}`;
}

// ---- tags ---------------------------------------------------------------------------------

/** "python, remote ,  sre" → ["python", "remote", "sre"] (no empties, no duplicates). */
export function parseTags(value: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of value.split(",")) {
    const tag = raw.trim();
    if (tag && !seen.has(tag.toLowerCase())) {
      seen.add(tag.toLowerCase());
      out.push(tag);
    }
  }
  return out;
}

// ---- request ids --------------------------------------------------------------------------

/** A UUID for CreateJob's `requestId` (works outside secure contexts too). */
export function newRequestId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") {
    try {
      return crypto.randomUUID();
    } catch {
      // Not a secure context: fall through.
    }
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
