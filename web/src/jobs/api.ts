// The JobService REST routes the SPA uses, typed with the generated shapes.
import { api, ApiError, GrpcCode } from "../api/client";
import type { JobView } from "../api/types.gen";
import type { Job, JobField, ListJobsResponse, Status } from "./model";
import { newRequestId } from "./model";

export interface ListParams {
  filter?: string;
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
  /** JOB_VIEW_BASIC: without the long texts and lists (description, notes, history, contacts,
   * interviews, analysis), for screens that show many applications. */
  view?: JobView;
}

/** A new application: what the add form sends (the service fills in the rest). */
export type NewJob = Partial<Omit<Job, "name" | "etag" | "statusHistory" | "createTime" | "updateTime">> &
  Pick<Job, "company" | "position">;

export const jobsApi = {
  list(params: ListParams, signal?: AbortSignal): Promise<ListJobsResponse> {
    return api
      .get<Partial<ListJobsResponse>>("/v1/jobs", { ...params }, signal)
      .then((r) => ({ jobs: r.jobs ?? [], nextPageToken: r.nextPageToken ?? "", totalSize: r.totalSize ?? 0 }));
  },

  get(id: string, signal?: AbortSignal): Promise<Job> {
    return api.get<Job>(`/v1/jobs/${encodeURIComponent(id)}`, undefined, signal).then(normalizeJob);
  },

  /** `requestId` makes a repeated submit (double click, retry after a timeout) create one job. */
  create(job: NewJob, requestId: string = newRequestId()): Promise<Job> {
    return api.post<Job>(`/v1/jobs?requestId=${encodeURIComponent(requestId)}`, job).then(normalizeJob);
  },

  /** Changes only `fields`, guarded by the etag the caller read (409 when stale). */
  update(job: Pick<Job, "name" | "etag">, changes: Partial<Job>, fields: JobField[]): Promise<Job> {
    return api
      .patch<Job>(`/v1/${job.name}`, { ...changes, etag: job.etag }, fields as string[])
      .then(normalizeJob);
  },

  move(job: Pick<Job, "name" | "etag">, status: Status): Promise<Job> {
    return jobsApi.update(job, { status }, ["status"]);
  },

  remove(job: Pick<Job, "name" | "etag">): Promise<void> {
    return api.del(`/v1/${job.name}`, job.etag ? { etag: job.etag } : undefined);
  },
};

/** Lists default repeated fields to [] so components need not guard every access. */
export function normalizeJob(job: Job): Job {
  return {
    ...job,
    tags: job.tags ?? [],
    statusHistory: job.statusHistory ?? [],
    contacts: job.contacts ?? [],
    interviews: job.interviews ?? [],
  };
}

/** Loads every application (page by page) for the board, up to `limit`. */
export async function listAllJobs(
  signal?: AbortSignal,
  limit = 1000,
): Promise<{ jobs: Job[]; total: number; truncated: boolean }> {
  const jobs: Job[] = [];
  let pageToken = "";
  let total = 0;
  do {
    const page = await jobsApi.list(
      { pageSize: 200, pageToken: pageToken || undefined, orderBy: "update_time desc", view: "JOB_VIEW_BASIC" },
      signal,
    );
    jobs.push(...page.jobs.map(normalizeJob));
    total = page.totalSize;
    pageToken = page.nextPageToken;
  } while (pageToken && jobs.length < limit);
  return { jobs, total: Math.max(total, jobs.length), truncated: Boolean(pageToken) };
}

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 409 || err.code === GrpcCode.ABORTED);
}

export function isNotFound(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status === 404 || err.code === GrpcCode.NOT_FOUND || err.reason === "INVALID_NAME")
  );
}

/** Field violations keyed by the form's field names (JSON spelling; `salary.max` etc. kept). */
export function violationsByField(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  for (const v of err.violations) {
    const field = v.field
      .replace(/^job\./, "")
      .split(".")
      .map((part) => part.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
      .join(".");
    if (!(field in out)) out[field] = sentence(v.description);
  }
  return out;
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

// ---- the list's filter (AIP-160 subset) ----------------------------------------------------

export interface TableFilters {
  search: string;
  status: Status | "";
  tag: string;
  appliedFrom: string; // YYYY-MM-DD
  appliedTo: string;
}

export const EMPTY_FILTERS: TableFilters = { search: "", status: "", tag: "", appliedFrom: "", appliedTo: "" };

function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The ListJobs `filter` for the table's controls ("" for none). */
export function buildFilter(f: TableFilters): string {
  const terms: string[] = [];
  const search = f.search.trim();
  if (search) terms.push(quote(search));
  if (f.status) terms.push(`status = ${f.status}`);
  const tag = f.tag.trim();
  if (tag) terms.push(`tags : ${quote(tag)}`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.appliedFrom)) terms.push(`applied_date >= ${f.appliedFrom}`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.appliedTo)) terms.push(`applied_date <= ${f.appliedTo}`);
  return terms.join(" AND ");
}

/** Columns ListJobs can order by (proto field names, as `order_by` takes them). */
export type SortField = "create_time" | "update_time" | "applied_date" | "company";
export interface Sort {
  field: SortField;
  desc: boolean;
}
export function orderByOf(sort: Sort): string {
  return sort.desc ? `${sort.field} desc` : sort.field;
}
