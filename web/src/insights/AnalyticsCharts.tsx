// The analytics charts (Chart.js via react-chartjs-2), each with a summary and a data table.
import {
  ArcElement,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  Tooltip,
  type ChartOptions,
} from "chart.js";
import { Bar, Doughnut } from "react-chartjs-2";
import type { FunnelStep, JobApplication_Status, JobStats, SourceStats, StatusCount, WeekCount } from "../api/types.gen";
import ChartCard, { DataTable } from "./ChartCard";
import { percent, plural, shortDate, STATUS_COLORS, statusLabel } from "./format";

ChartJS.register(ArcElement, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
ChartJS.defaults.font.family = getComputedStyleSafe("--font-sans") || "ui-sans-serif, system-ui, sans-serif";
ChartJS.defaults.color = "#334155";

function getComputedStyleSafe(variable: string): string {
  try {
    return getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
  } catch {
    return "";
  }
}

const GRID = "#e2e8f0";
const BRAND = "#0f766e";

function reducedMotion(): boolean {
  return typeof window !== "undefined" && typeof window.matchMedia === "function"
    ? window.matchMedia("(prefers-reduced-motion: reduce)").matches
    : false;
}

function countAxis(horizontal: boolean): ChartOptions<"bar">["scales"] {
  const counts = { beginAtZero: true, ticks: { precision: 0 }, grid: { color: GRID } };
  const labels = { grid: { display: false } };
  return horizontal ? { x: counts, y: labels } : { x: labels, y: counts };
}

// ---------------------------------------------------------------------------------------------

const ORDER: JobApplication_Status[] = [
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

function sortedCounts(counts: StatusCount[]): StatusCount[] {
  const by = new Map(counts.map((c) => [c.status, c.count]));
  return ORDER.map((status) => ({ status, count: by.get(status) ?? 0 }));
}

export function statusSummary(counts: StatusCount[], total: number): string {
  const parts = sortedCounts(counts)
    .filter((c) => c.count > 0)
    .map((c) => `${c.count} ${statusLabel(c.status).toLowerCase()}`);
  return `${plural(total, "application")}${parts.length ? `: ${parts.join(", ")}` : ""}.`;
}

export function StatusDistribution({ stats }: { stats: JobStats }) {
  const all = sortedCounts(stats.statusCounts ?? []);
  const shown = all.filter((c) => c.count > 0);
  return (
    <ChartCard
      title="Where your applications are"
      testId="status-chart"
      summary={statusSummary(all, stats.total)}
      chart={
        <Doughnut
          data={{
            labels: shown.map((c) => statusLabel(c.status)),
            datasets: [
              {
                data: shown.map((c) => c.count),
                backgroundColor: shown.map((c) => STATUS_COLORS[c.status]),
                borderColor: "#ffffff",
                borderWidth: 2,
              },
            ],
          }}
          options={{
            maintainAspectRatio: false,
            animation: reducedMotion() ? false : undefined,
            cutout: "60%",
            plugins: { legend: { position: "bottom", labels: { boxWidth: 12, padding: 12 } } },
          }}
        />
      }
      table={
        <DataTable
          caption="Applications by status"
          head={["Status", "Applications"]}
          rows={all.map((c) => ({
            key: c.status,
            testId: `status-count-${c.status}`,
            cells: [statusLabel(c.status), <span data-testid={`status-count-${c.status}-value`}>{c.count}</span>],
          }))}
        />
      }
    />
  );
}

// ---------------------------------------------------------------------------------------------

export function funnelSummary(funnel: FunnelStep[], sent: number): string {
  if (sent === 0) return "Nothing sent yet: the funnel starts when an application leaves Saved.";
  const reached = funnel.filter((f) => f.reached > 0 && f.status !== "APPLIED");
  const furthest = reached[reached.length - 1];
  const first = funnel.find((f) => f.status === "PHONE_SCREEN");
  const parts = [`${plural(sent, "application")} sent`];
  if (first) parts.push(`${first.reached} reached a phone screen (${percent(first.conversion)})`);
  if (furthest && furthest.status !== "PHONE_SCREEN") parts.push(`${furthest.reached} got as far as ${statusLabel(furthest.status).toLowerCase()}`);
  return `${parts.join("; ")}.`;
}

export function Funnel({ stats }: { stats: JobStats }) {
  const funnel = stats.funnel ?? [];
  return (
    <ChartCard
      title="Funnel"
      testId="funnel-chart"
      summary={funnelSummary(funnel, stats.sent)}
      chart={
        <Bar
          data={{
            labels: funnel.map((f) => statusLabel(f.status)),
            datasets: [
              {
                label: "Reached",
                data: funnel.map((f) => f.reached),
                backgroundColor: funnel.map((f) => STATUS_COLORS[f.status]),
                borderRadius: 4,
              },
            ],
          }}
          options={{
            indexAxis: "y",
            maintainAspectRatio: false,
            animation: reducedMotion() ? false : undefined,
            scales: countAxis(true),
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  label: (ctx) => {
                    const step = funnel[ctx.dataIndex];
                    return step ? `${step.reached} reached · ${percent(step.conversion)} of the stage before` : "";
                  },
                },
              },
            },
          }}
        />
      }
      table={
        <DataTable
          caption="Funnel: applications that reached each stage"
          head={["Stage", "Reached", "From the stage before"]}
          rows={funnel.map((f) => ({
            key: f.status,
            testId: `funnel-${f.status}`,
            cells: [statusLabel(f.status), f.reached, percent(f.conversion)],
          }))}
        />
      }
    />
  );
}

// ---------------------------------------------------------------------------------------------

export function weeklySummary(weeks: WeekCount[]): string {
  const total = weeks.reduce((n, w) => n + w.count, 0);
  if (weeks.length === 0) return "No weeks to show.";
  const last = weeks[weeks.length - 1];
  const best = weeks.reduce((a, b) => (b.count > a.count ? b : a), weeks[0]);
  const parts = [`${plural(total, "application")} sent in the last ${weeks.length} weeks`];
  parts.push(`${last.count} this week`);
  if (best.count > 0 && best !== last) parts.push(`busiest: the week of ${shortDate(best.weekStart)} with ${best.count}`);
  return `${parts.join("; ")}.`;
}

export function PerWeek({ stats }: { stats: JobStats }) {
  const weeks = stats.applicationsPerWeek ?? [];
  return (
    <ChartCard
      title="Applications per week"
      testId="weekly-chart"
      summary={weeklySummary(weeks)}
      chart={
        <Bar
          data={{
            labels: weeks.map((w) => shortDate(w.weekStart)),
            datasets: [{ label: "Applications sent", data: weeks.map((w) => w.count), backgroundColor: BRAND, borderRadius: 4 }],
          }}
          options={{
            maintainAspectRatio: false,
            animation: reducedMotion() ? false : undefined,
            scales: countAxis(false),
            plugins: { legend: { display: false } },
          }}
        />
      }
      table={
        <DataTable
          caption="Applications sent per week"
          head={["Week of", "Applications"]}
          rows={weeks.map((w, i) => ({ key: String(i), cells: [shortDate(w.weekStart), w.count] }))}
        />
      }
    />
  );
}

// ---------------------------------------------------------------------------------------------

export function sourceLabel(source: string): string {
  return source.trim() || "Not recorded";
}

export function sourceSummary(sources: SourceStats[]): string {
  if (sources.length === 0) return "No sources recorded yet.";
  const top = sources[0];
  const withAnswers = sources.filter((s) => s.responses > 0);
  const best = withAnswers.reduce<SourceStats | undefined>((a, b) => (!a || b.responseRate > a.responseRate ? b : a), undefined);
  const parts = [`Most applications came from ${sourceLabel(top.source)} (${top.applications})`];
  if (best) parts.push(`the best response rate is ${sourceLabel(best.source)}'s at ${percent(best.responseRate)}`);
  return `${parts.join("; ")}.`;
}

export function BySource({ stats }: { stats: JobStats }) {
  const sources = stats.bySource ?? [];
  return (
    <ChartCard
      title="By source"
      testId="source-chart"
      summary={sourceSummary(sources)}
      chart={
        <Bar
          data={{
            labels: sources.map((s) => sourceLabel(s.source)),
            datasets: [
              { label: "Applications", data: sources.map((s) => s.applications), backgroundColor: "#94a3b8", borderRadius: 4 },
              { label: "Responses", data: sources.map((s) => s.responses), backgroundColor: BRAND, borderRadius: 4 },
              { label: "Interviews", data: sources.map((s) => s.interviews), backgroundColor: "#7c3aed", borderRadius: 4 },
              { label: "Offers", data: sources.map((s) => s.offers), backgroundColor: "#16a34a", borderRadius: 4 },
            ],
          }}
          options={{
            maintainAspectRatio: false,
            animation: reducedMotion() ? false : undefined,
            scales: countAxis(false),
            plugins: { legend: { position: "bottom", labels: { boxWidth: 12, padding: 12 } } },
          }}
        />
      }
      table={
        <DataTable
          caption="Outcomes by source"
          head={["Source", "Applications", "Responses", "Response rate", "Interviews", "Offers"]}
          rows={sources.map((s) => ({
            key: s.source || "(none)",
            cells: [sourceLabel(s.source), s.applications, s.responses, percent(s.responseRate), s.interviews, s.offers],
          }))}
        />
      }
    />
  );
}
