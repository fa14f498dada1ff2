// Form state for a job's plain fields (strings, as inputs hold them) and the conversions to and
// from the API's shapes, plus which fields changed (the update mask).
import type { Job, JobApplication_WorkMode, JobField, SalaryRange, SalaryRange_Period, Status } from "./model";
import { dateToInput, inputToDate, isStatus, parseTags } from "./model";

export interface JobDraft {
  company: string;
  position: string;
  status: Status;
  appliedDate: string;
  location: string;
  workMode: JobApplication_WorkMode;
  jobUrl: string;
  source: string;
  salaryMin: string;
  salaryMax: string;
  salaryCurrency: string;
  salaryPeriod: SalaryRange_Period;
  tags: string;
  jobDescription: string;
  notes: string;
}

export type DraftKey = keyof JobDraft;

export function emptyDraft(today: string): JobDraft {
  return {
    company: "",
    position: "",
    status: "APPLIED",
    appliedDate: today,
    location: "",
    workMode: "WORK_MODE_UNSPECIFIED",
    jobUrl: "",
    source: "",
    salaryMin: "",
    salaryMax: "",
    salaryCurrency: "",
    salaryPeriod: "YEARLY",
    tags: "",
    jobDescription: "",
    notes: "",
  };
}

export function draftFromJob(job: Job): JobDraft {
  const s = job.salary;
  return {
    company: job.company ?? "",
    position: job.position ?? "",
    status: isStatus(job.status) ? job.status : "APPLIED",
    appliedDate: dateToInput(job.appliedDate),
    location: job.location ?? "",
    workMode: job.workMode ?? "WORK_MODE_UNSPECIFIED",
    jobUrl: job.jobUrl ?? "",
    source: job.source ?? "",
    salaryMin: s?.min ? String(s.min) : "",
    salaryMax: s?.max ? String(s.max) : "",
    salaryCurrency: s?.currency ?? "",
    salaryPeriod: s?.period && s.period !== "PERIOD_UNSPECIFIED" ? s.period : "YEARLY",
    tags: (job.tags ?? []).join(", "),
    jobDescription: job.jobDescription ?? "",
    notes: job.notes ?? "",
  };
}

function salaryOf(d: JobDraft): SalaryRange | undefined {
  const min = d.salaryMin.trim() ? Number(d.salaryMin) : 0;
  const max = d.salaryMax.trim() ? Number(d.salaryMax) : 0;
  if (!min && !max) return undefined;
  return {
    min: Number.isFinite(min) ? min : 0,
    max: Number.isFinite(max) ? max : 0,
    currency: d.salaryCurrency.trim().toUpperCase(),
    period: d.salaryPeriod,
  };
}

/** The API value of each updatable field a draft holds. */
export function draftValues(d: JobDraft): Partial<Job> {
  return {
    company: d.company.trim(),
    position: d.position.trim(),
    status: d.status,
    appliedDate: inputToDate(d.appliedDate),
    location: d.location.trim(),
    workMode: d.workMode,
    jobUrl: d.jobUrl.trim(),
    source: d.source.trim(),
    salary: salaryOf(d),
    tags: parseTags(d.tags),
    jobDescription: d.jobDescription,
    notes: d.notes,
  };
}

/** For a new application: only what was filled in. */
export function draftToNewJob(d: JobDraft): Partial<Job> & Pick<Job, "company" | "position"> {
  const v = draftValues(d);
  const out: Partial<Job> & Pick<Job, "company" | "position"> = { company: v.company ?? "", position: v.position ?? "" };
  for (const [k, value] of Object.entries(v) as [keyof Job, unknown][]) {
    if (k === "company" || k === "position") continue;
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    if (k === "workMode" && value === "WORK_MODE_UNSPECIFIED") continue;
    (out as Record<string, unknown>)[k] = value;
  }
  return out;
}

/** Which of `keys`' API fields differ between two drafts: the update mask, and the changes. */
export function diffDrafts(
  base: JobDraft,
  draft: JobDraft,
  fields: readonly JobField[],
): { mask: JobField[]; changes: Partial<Job> } {
  const a = draftValues(base) as Record<string, unknown>;
  const b = draftValues(draft) as Record<string, unknown>;
  const mask: JobField[] = [];
  const changes: Record<string, unknown> = {};
  for (const f of fields) {
    if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) {
      mask.push(f);
      if (b[f] !== undefined) changes[f] = b[f];
    }
  }
  return { mask, changes: changes as Partial<Job> };
}

/** API field violation (JSON path) → the draft input that shows it. */
export function draftKeyOf(field: string): DraftKey | undefined {
  const map: Record<string, DraftKey> = {
    salary: "salaryMin",
    "salary.min": "salaryMin",
    "salary.max": "salaryMax",
    "salary.currency": "salaryCurrency",
    "salary.period": "salaryPeriod",
  };
  if (field in map) return map[field];
  const known: DraftKey[] = [
    "company",
    "position",
    "status",
    "appliedDate",
    "location",
    "workMode",
    "jobUrl",
    "source",
    "tags",
    "jobDescription",
    "notes",
  ];
  return known.find((k) => k === field);
}

/** Client-side checks that save a round trip; the service checks everything again. */
export function checkDraft(d: JobDraft, fields: readonly DraftKey[]): Partial<Record<DraftKey, string>> {
  const errors: Partial<Record<DraftKey, string>> = {};
  const has = (k: DraftKey) => fields.includes(k);
  if (has("company") && !d.company.trim()) errors.company = "Enter the company.";
  if (has("position") && !d.position.trim()) errors.position = "Enter the position.";
  for (const k of ["salaryMin", "salaryMax"] as const) {
    if (has(k) && d[k].trim() && !(Number(d[k]) >= 0)) errors[k] = "Enter an amount of 0 or more.";
  }
  if (has("salaryCurrency") && d.salaryCurrency.trim() && !/^[A-Za-z]{3}$/.test(d.salaryCurrency.trim())) {
    errors.salaryCurrency = "Use a three-letter code such as USD or EUR.";
  }
  return errors;
}
