// /analytics: where the search stands. Status distribution, funnel, applications per week,
// response / interview / offer rates, time to first response and outcomes by source, from
// GET /v1/jobs:stats (every number is defined in jobs.proto's JobStats).
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import type { JobStats } from "../api/types.gen";
import EmptyState from "../components/EmptyState";
import ErrorMessage from "../components/ErrorMessage";
import { Loading } from "../components/Spinner";
import { BySource, Funnel, PerWeek, StatusDistribution } from "../insights/AnalyticsCharts";
import { days, jobId, percent, plural, statusLabel } from "../insights/format";
import StatCard from "../insights/StatCard";

const WEEK_CHOICES = [8, 12, 26, 52] as const;

export default function Analytics() {
  const [weeks, setWeeks] = useState<number>(12);
  const [stats, setStats] = useState<JobStats | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const controller = useRef<AbortController | null>(null);

  const load = useCallback(async () => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setLoading(true);
    try {
      const s = await api.get<JobStats>("/v1/jobs:stats", { weeks }, c.signal);
      if (c.signal.aborted) return;
      setStats(s);
      setError(null);
    } catch (err) {
      if (c.signal.aborted) return;
      setError(err);
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, [weeks]);

  useEffect(() => {
    void load();
    return () => controller.current?.abort();
  }, [load]);

  // Back on this tab after changing things elsewhere: show fresh numbers.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [load]);

  useEffect(() => {
    document.title = "Analytics · CareerVault";
  }, []);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Analytics</h1>
          <p className="mt-1 text-sm text-slate-600">Where your search stands, and what is working.</p>
        </div>
        {stats && stats.total > 0 && (
          <div className="flex items-center gap-2">
            <label htmlFor="weeks" className="text-sm text-slate-700">
              Weekly chart
            </label>
            <select id="weeks" className="input w-auto py-1.5" value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
              {WEEK_CHOICES.map((w) => (
                <option key={w} value={w}>
                  Last {w} weeks
                </option>
              ))}
            </select>
          </div>
        )}
      </div>

      {error !== null && !stats && <ErrorMessage error={error} title="Could not load your statistics" onRetry={() => void load()} />}
      {loading && !stats && error === null && <Loading label="Loading your statistics…" />}
      {stats && stats.total === 0 && (
        <EmptyState
          title="No applications yet"
          action={
            <Link to="/dashboard" className="btn-primary">
              Add your first application
            </Link>
          }
        >
          Charts of your progress appear here once you track an application: where each one stands, how
          many get answers, and which sources work best.
        </EmptyState>
      )}
      {stats && stats.total > 0 && <StatsView stats={stats} />}
      {error !== null && stats && (
        <ErrorMessage error={error} title="Could not refresh; showing the last numbers" onRetry={() => void load()} />
      )}
    </div>
  );
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function StatsView({ stats }: { stats: JobStats }) {
  const ttfr = stats.timeToFirstResponse;
  const stale = stats.stale ?? [];
  return (
    <>
      <section aria-label="Key numbers" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <StatCard testId="stat-total" label="Applications" value={String(stats.total)} hint={`${stats.sent} sent`} />
        <StatCard
          testId="stat-response-rate"
          label="Response rate"
          value={percent(stats.responseRate)}
          hint="got an answer"
          meter={stats.responseRate}
        />
        <StatCard
          testId="stat-interview-rate"
          label="Interview rate"
          value={percent(stats.interviewRate)}
          hint="reached an interview"
          meter={stats.interviewRate}
        />
        <StatCard testId="stat-offer-rate" label="Offer rate" value={percent(stats.offerRate)} hint="got an offer" meter={stats.offerRate} />
        <StatCard
          testId="stat-first-response"
          label="Time to first answer"
          value={ttfr && ttfr.count > 0 ? capitalize(days(ttfr.medianDays)) : "—"}
          hint={
            ttfr && ttfr.count > 0
              ? `median of ${plural(ttfr.count, "answer")}; 3 in 4 ${ttfr.p75Days > 0.05 ? `within ${days(ttfr.p75Days)}` : "the same day"}`
              : "no answers yet"
          }
        />
        <StatCard
          testId="stat-stale"
          label="Need a nudge"
          value={String(stats.staleCount)}
          hint={stats.staleCount > 0 ? "open, unchanged 14+ days" : "nothing is stale"}
          tone={stats.staleCount > 0 ? "warn" : "normal"}
        />
      </section>
      <p className="sr-only">
        Rates are shares of the {plural(stats.sent, "application")} sent: response rate {percent(stats.responseRate)},
        interview rate {percent(stats.interviewRate)}, offer rate {percent(stats.offerRate)}.
      </p>

      <div className="grid gap-4 lg:grid-cols-2">
        <StatusDistribution stats={stats} />
        <Funnel stats={stats} />
        <PerWeek stats={stats} />
        <BySource stats={stats} />
      </div>

      {stale.length > 0 && (
        <section className="card" aria-labelledby="stale-heading">
          <h2 id="stale-heading" className="text-base font-semibold text-slate-900">
            Waiting on you
          </h2>
          <p className="mt-1 text-sm text-slate-700">
            Open applications nothing has happened to for a while: follow up, or close them.
          </p>
          <ul className="mt-3 divide-y divide-slate-100">
            {stale.slice(0, 10).map((s) => (
              <li key={s.name} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                <Link to={`/jobs/${jobId(s.name)}`} className="link min-w-0 break-words">
                  {s.company} — {s.position}
                </Link>
                <span className="text-slate-600">
                  {statusLabel(s.status)} · {plural(s.daysUnchanged, "day")} unchanged
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
