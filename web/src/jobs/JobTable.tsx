// The table view: server-side search, filters, sorting and paging (ListJobs filter, orderBy,
// pageSize, pageToken). On phones the rows become cards.
import { useEffect, useId, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { ErrorMessage } from "../components/ErrorMessage";
import { EmptyState } from "../components/EmptyState";
import { Loading } from "../components/Spinner";
import { EMPTY_FILTERS, buildFilter, jobsApi, orderByOf, type Sort, type SortField, type TableFilters } from "./api";
import type { Job, Status } from "./model";
import { STATUSES, STATUS_LABELS, formatDate, formatTime, isStatus, jobId } from "./model";
import { StatusBadge } from "./StatusBadge";

export const PAGE_SIZE = 20;

interface PageState {
  jobs: Job[];
  nextPageToken: string;
  totalSize: number;
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function JobTable({ refreshKey = 0, onAdd }: { refreshKey?: number; onAdd?: () => void }) {
  const ids = useId();
  const [filters, setFilters] = useState<TableFilters>(EMPTY_FILTERS);
  const [sort, setSort] = useState<Sort>({ field: "create_time", desc: true });
  // Where the reader is in the list: the current page's token and those of the pages before it
  // (for "Previous"), valid for one filter and order only (a page token is bound to them).
  const [cursor, setCursor] = useState<{ key: string; token: string; history: string[] }>({ key: "", token: "", history: [] });
  const [page, setPage] = useState<PageState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [retry, setRetry] = useState(0);

  const search = useDebounced(filters.search, 300);
  const tag = useDebounced(filters.tag, 300);
  const filter = buildFilter({ ...filters, search, tag });
  const orderBy = orderByOf(sort);

  // A new filter or order starts again at the first page.
  const key = `${filter}\n${orderBy}`;
  const token = cursor.key === key ? cursor.token : "";
  const history = cursor.key === key ? cursor.history : [];

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    jobsApi
      .list(
        { filter: filter || undefined, orderBy, pageSize: PAGE_SIZE, pageToken: token || undefined, view: "JOB_VIEW_BASIC" },
        controller.signal,
      )
      .then((r) => {
        setPage(r);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err);
        setLoading(false);
      });
    return () => controller.abort();
  }, [filter, orderBy, token, refreshKey, retry]);

  const set = (patch: Partial<TableFilters>) => setFilters((f) => ({ ...f, ...patch }));
  const filtered = filter !== "";
  const start = history.length * PAGE_SIZE;

  const toggleSort = (field: SortField) =>
    setSort((s) => (s.field === field ? { field, desc: !s.desc } : { field, desc: field !== "company" }));

  const sortHeader = (field: SortField, label: string) => {
    const active = sort.field === field;
    return (
      <th scope="col" aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"} className="px-3 py-2 text-left">
        <button
          type="button"
          onClick={() => toggleSort(field)}
          className="inline-flex items-center gap-1 font-semibold text-slate-800 hover:text-brand-700"
        >
          {label}
          <span aria-hidden="true" className={active ? "text-brand-700" : "text-slate-400"}>
            {active ? (sort.desc ? "↓" : "↑") : "↕"}
          </span>
          <span className="sr-only">
            {active ? `, sorted ${sort.desc ? "descending" : "ascending"}; activate to reverse` : ", activate to sort"}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="space-y-4" data-testid="job-table">
      <div role="search" aria-label="Search and filter applications" className="grid grid-cols-1 gap-3 rounded-xl border border-slate-200 bg-white p-3 sm:grid-cols-2 lg:grid-cols-6">
        <FilterField label="Search" htmlFor={`${ids}-search`} className="sm:col-span-2">
          <input
            id={`${ids}-search`}
            type="search"
            data-testid="table-search"
            className="input"
            placeholder="Company, position or notes"
            value={filters.search}
            onChange={(e) => set({ search: e.target.value })}
          />
        </FilterField>
        <FilterField label="Stage" htmlFor={`${ids}-status`}>
          <select
            id={`${ids}-status`}
            className="input"
            value={filters.status}
            onChange={(e) => set({ status: isStatus(e.target.value) ? (e.target.value as Status) : "" })}
          >
            <option value="">All stages</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Tag" htmlFor={`${ids}-tag`}>
          <input id={`${ids}-tag`} className="input" placeholder="e.g. remote" value={filters.tag} onChange={(e) => set({ tag: e.target.value })} />
        </FilterField>
        <FilterField label="Applied from" htmlFor={`${ids}-from`}>
          <input id={`${ids}-from`} type="date" className="input" value={filters.appliedFrom} onChange={(e) => set({ appliedFrom: e.target.value })} />
        </FilterField>
        <FilterField label="Applied until" htmlFor={`${ids}-to`}>
          <input id={`${ids}-to`} type="date" className="input" value={filters.appliedTo} onChange={(e) => set({ appliedTo: e.target.value })} />
        </FilterField>
        <div className="flex flex-wrap items-center justify-between gap-2 sm:col-span-2 lg:col-span-6">
          <FilterField label="Sort by" htmlFor={`${ids}-sort`} className="flex items-center gap-2 md:hidden" inline>
            <select
              id={`${ids}-sort`}
              className="input w-auto"
              value={orderBy}
              onChange={(e) => {
                const [field, dir] = e.target.value.split(" ");
                setSort({ field: field as SortField, desc: dir === "desc" });
              }}
            >
              <option value="create_time desc">Newest first</option>
              <option value="create_time">Oldest first</option>
              <option value="update_time desc">Recently updated</option>
              <option value="applied_date desc">Applied, latest first</option>
              <option value="applied_date">Applied, earliest first</option>
              <option value="company">Company A–Z</option>
              <option value="company desc">Company Z–A</option>
            </select>
          </FilterField>
          {(filtered || filters.search || filters.tag) && (
            <button type="button" className="btn-ghost ml-auto" onClick={() => setFilters(EMPTY_FILTERS)}>
              Clear filters
            </button>
          )}
        </div>
      </div>

      <p className="sr-only" role="status" aria-live="polite">
        {loading ? "Loading applications" : page ? `${page.totalSize} ${page.totalSize === 1 ? "application" : "applications"} found` : ""}
      </p>

      {error ? (
        <ErrorMessage error={error} title="The applications could not be loaded." onRetry={() => setRetry((r) => r + 1)} />
      ) : loading && !page ? (
        <Loading label="Loading applications…" />
      ) : page && page.jobs.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No applications match"
            action={
              <button type="button" className="btn-secondary" onClick={() => setFilters(EMPTY_FILTERS)}>
                Clear filters
              </button>
            }
          >
            Try other words or fewer filters.
          </EmptyState>
        ) : (
          <EmptyState
            title="No applications yet — add your first one"
            action={
              onAdd && (
                <button type="button" className="btn-primary" onClick={onAdd}>
                  Add an application
                </button>
              )
            }
          >
            Track every application in one place: stages, contacts, interviews and what to do next.
          </EmptyState>
        )
      ) : page ? (
        <div className={loading ? "opacity-60 transition-opacity" : ""} aria-busy={loading}>
          {/* Phones: one card per application. */}
          <ul className="space-y-2 md:hidden" aria-label="Applications">
            {page.jobs.map((job) => (
              <li key={job.name} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm" data-testid="table-row">
                <div className="flex items-start justify-between gap-2">
                  <div className="min-w-0">
                    <Link to={`/jobs/${jobId(job)}`} className="block truncate font-semibold text-slate-900 hover:text-brand-700 hover:underline">
                      {job.position}
                    </Link>
                    <p className="truncate text-sm text-slate-700">{job.company}</p>
                  </div>
                  <StatusBadge status={job.status} />
                </div>
                <p className="mt-1 text-xs text-slate-600">
                  {[job.location, job.appliedDate ? `Applied ${formatDate(job.appliedDate)}` : "", `Updated ${formatTime(job.updateTime, false)}`]
                    .filter(Boolean)
                    .join(" · ")}
                </p>
              </li>
            ))}
          </ul>
          {/* Wider screens: a table. */}
          <div className="relative hidden overflow-x-auto rounded-xl border border-slate-200 bg-white md:block">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <caption className="sr-only">Applications, {sortCaption(sort)}</caption>
              <thead className="bg-slate-50">
                <tr>
                  {sortHeader("company", "Company")}
                  <th scope="col" className="px-3 py-2 text-left font-semibold text-slate-800">
                    Position
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-semibold text-slate-800">
                    Stage
                  </th>
                  <th scope="col" className="px-3 py-2 text-left font-semibold text-slate-800">
                    Location
                  </th>
                  {sortHeader("applied_date", "Applied")}
                  {sortHeader("update_time", "Updated")}
                  {sortHeader("create_time", "Added")}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {page.jobs.map((job) => (
                  <tr key={job.name} className="hover:bg-slate-50" data-testid="table-row">
                    <td className="px-3 py-2 font-medium text-slate-900">{job.company}</td>
                    <td className="px-3 py-2">
                      <Link to={`/jobs/${jobId(job)}`} className="link">
                        {job.position}
                      </Link>
                    </td>
                    <td className="px-3 py-2">
                      <StatusBadge status={job.status} />
                    </td>
                    <td className="px-3 py-2 text-slate-700">{job.location}</td>
                    <td className="px-3 py-2 whitespace-nowrap text-slate-700">{formatDate(job.appliedDate)}</td>
                    <td className="px-3 py-2 whitespace-nowrap text-slate-700">{formatTime(job.updateTime, false)}</td>
                    <td className="px-3 py-2 whitespace-nowrap text-slate-700">{formatTime(job.createTime, false)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav aria-label="Pages" className="mt-3 flex flex-wrap items-center justify-between gap-2">
            <p className="text-sm text-slate-700" data-testid="table-range">
              {page.totalSize > 0
                ? `${start + 1}–${start + page.jobs.length} of ${page.totalSize}`
                : `${page.jobs.length} shown`}
            </p>
            <div className="flex gap-2">
              <button
                type="button"
                className="btn-secondary"
                disabled={history.length === 0 || loading}
                onClick={() =>
                  setCursor({ key, token: history[history.length - 1] ?? "", history: history.slice(0, -1) })
                }
              >
                Previous
              </button>
              <button
                type="button"
                className="btn-secondary"
                disabled={!page.nextPageToken || loading}
                onClick={() => setCursor({ key, token: page.nextPageToken, history: [...history, token] })}
              >
                Next
              </button>
            </div>
          </nav>
        </div>
      ) : null}
    </div>
  );
}

function sortCaption(sort: Sort): string {
  const names: Record<SortField, string> = {
    company: "company",
    applied_date: "applied date",
    update_time: "last update",
    create_time: "date added",
  };
  return `sorted by ${names[sort.field]}, ${sort.desc ? "descending" : "ascending"}`;
}

function FilterField({
  label,
  htmlFor,
  className = "",
  inline = false,
  children,
}: {
  label: string;
  htmlFor: string;
  className?: string;
  inline?: boolean;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={htmlFor} className={inline ? "text-sm font-medium text-slate-800" : "label"}>
        {label}
      </label>
      {children}
    </div>
  );
}
