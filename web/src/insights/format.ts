// Small formatting helpers shared by the analytics, analysis and assistant screens.
import type { GoogleDate, JobApplication_Status } from "../api/types.gen";

const STATUS_LABELS: Record<JobApplication_Status, string> = {
  STATUS_UNSPECIFIED: "Unknown",
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

/** A status in words: `PHONE_SCREEN` → "Phone screen". */
export function statusLabel(status: JobApplication_Status | string): string {
  return STATUS_LABELS[status as JobApplication_Status] ?? humanize(status);
}

/** Colours per status, distinguishable side by side and matching the board's meaning. */
export const STATUS_COLORS: Record<JobApplication_Status, string> = {
  STATUS_UNSPECIFIED: "#94a3b8",
  SAVED: "#64748b",
  APPLIED: "#2563eb",
  PHONE_SCREEN: "#0891b2",
  TECHNICAL_INTERVIEW: "#7c3aed",
  FINAL_INTERVIEW: "#c026d3",
  OFFER: "#16a34a",
  ACCEPTED: "#15803d",
  REJECTED: "#dc2626",
  WITHDRAWN: "#d97706",
};

/** `required_skills` → "Required skills"; `behavioral` → "Behavioral". */
export function humanize(value: string): string {
  const words = value.replace(/[_-]+/g, " ").trim().toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : "";
}

/** A 0..1 share as a whole percentage: 0.3333 → "33%". */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return "0%";
  return `${Math.round(share * 100)}%`;
}

/** Days with at most one decimal: 2 → "2 days", 1 → "1 day", 0.5 → "0.5 days"; under an
 * hour or so → "same day". */
export function days(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  if (rounded <= 0) return "same day";
  return `${rounded} ${rounded === 1 ? "day" : "days"}`;
}

/** "1 application", "3 applications". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A google.type.Date as a short label, e.g. "Nov 23" (or "Nov 23, 2025" in another year). */
export function shortDate(date: GoogleDate | undefined, today: Date = new Date()): string {
  if (!date || !date.year || !date.month) return "";
  const d = new Date(date.year, date.month - 1, date.day || 1);
  const opts: Intl.DateTimeFormatOptions = { month: "short", day: "numeric" };
  if (date.year !== today.getFullYear()) opts.year = "numeric";
  return d.toLocaleDateString("en-US", opts);
}

/** `jobs/abc` → `abc`; an id stays an id. */
export function jobId(name: string): string {
  return name.startsWith("jobs/") ? name.slice("jobs/".length) : name;
}

/** `abc` or `jobs/abc` → `jobs/abc`. */
export function jobName(idOrName: string): string {
  return idOrName.startsWith("jobs/") ? idOrName : `jobs/${idOrName}`;
}

/** A file size in words: 2048 → "2 KB", 3.5e6 → "3.3 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const COMPONENT_LABELS: Record<string, string> = {
  required_skills: "Required skills",
  preferred_skills: "Nice-to-have skills",
  job_title: "Job title",
  experience_years: "Years of experience",
  experience: "Experience",
  education: "Education",
  keywords: "Domain keywords",
  soft_skills: "Soft skills",
  skills: "Skills",
};

/** A score component's name in words: `preferred_skills` → "Nice-to-have skills". */
export function componentLabel(component: string): string {
  return COMPONENT_LABELS[component] ?? humanize(component);
}
