import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokens } from "../api/client";
import type { JobStats } from "../api/types.gen";
import Analytics from "../pages/Analytics";

// jsdom has no canvas: the charts render as a marker with their data.
vi.mock("react-chartjs-2", () => {
  const fake =
    (kind: string) =>
    ({ data }: { data: { labels?: unknown[]; datasets: Array<{ data: unknown[] }> } }) => (
      <div data-testid={`chart-${kind}`} data-labels={JSON.stringify(data.labels)} data-values={JSON.stringify(data.datasets[0]?.data)} />
    );
  return { Bar: fake("bar"), Doughnut: fake("doughnut"), Line: fake("line") };
});

const STATUSES = ["SAVED", "APPLIED", "PHONE_SCREEN", "TECHNICAL_INTERVIEW", "FINAL_INTERVIEW", "OFFER", "ACCEPTED", "REJECTED", "WITHDRAWN"] as const;

function stats(counts: Partial<Record<(typeof STATUSES)[number], number>>, extra: Partial<JobStats> = {}): JobStats {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  return {
    total,
    statusCounts: STATUSES.map((status) => ({ status, count: counts[status] ?? 0 })),
    responseRate: 0.5,
    interviewRate: 0.25,
    offerRate: 0,
    sent: total,
    funnel: [
      { status: "APPLIED", reached: total, conversion: 1 },
      { status: "PHONE_SCREEN", reached: 1, conversion: 0.25 },
      { status: "TECHNICAL_INTERVIEW", reached: 0, conversion: 0 },
    ],
    timeToFirstResponse: { count: 2, medianDays: 3.5, p75Days: 6 },
    applicationsPerWeek: [
      { weekStart: { year: 2026, month: 11, day: 16 }, count: 1 },
      { weekStart: { year: 2026, month: 11, day: 23 }, count: 3 },
    ],
    bySource: [
      { source: "LinkedIn", applications: 3, responses: 1, responseRate: 0.3333, interviews: 1, offers: 0 },
      { source: "", applications: 1, responses: 1, responseRate: 1, interviews: 0, offers: 0 },
    ],
    byWeekday: [],
    stale: [],
    staleCount: 0,
    ...extra,
  };
}

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  tokens.reset();
  tokens.set({ accessToken: "token", refreshToken: "refresh", expiresAt: Date.now() + 600_000 });
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
  tokens.clear();
});

function answer(body: unknown, status = 200) {
  fetchMock.mockResolvedValue(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
}

function renderPage() {
  return render(
    <MemoryRouter>
      <Analytics />
    </MemoryRouter>,
  );
}

describe("Analytics", () => {
  it("says what to do when there are no applications", async () => {
    answer(stats({}));
    renderPage();
    expect(await screen.findByRole("heading", { name: "No applications yet" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Add your first application" })).toHaveAttribute("href", "/dashboard");
    expect(screen.queryByTestId("chart-doughnut")).toBeNull();
    expect(String(fetchMock.mock.calls[0][0])).toBe("/v1/jobs:stats?weeks=12");
  });

  it("shows the rates, the time to a first answer and every chart with its words", async () => {
    answer(stats({ APPLIED: 2, PHONE_SCREEN: 1, REJECTED: 1 }, { staleCount: 1, stale: [{ name: "jobs/7", company: "Acme", position: "SRE", status: "APPLIED", daysUnchanged: 20 }] }));
    renderPage();
    expect(await screen.findByTestId("stat-total-value")).toHaveTextContent("4");
    expect(screen.getByTestId("stat-response-rate-value")).toHaveTextContent("50%");
    expect(screen.getByTestId("stat-interview-rate-value")).toHaveTextContent("25%");
    expect(screen.getByTestId("stat-offer-rate-value")).toHaveTextContent("0%");
    expect(screen.getByTestId("stat-first-response-value")).toHaveTextContent("3.5 days");
    expect(screen.getByTestId("stat-first-response")).toHaveTextContent("median of 2 answers; 3 in 4 within 6 days");

    // Status doughnut: only the statuses in use, and a table with all of them.
    const doughnut = screen.getByTestId("chart-doughnut");
    expect(JSON.parse(doughnut.dataset.labels!)).toEqual(["Applied", "Phone screen", "Rejected"]);
    expect(JSON.parse(doughnut.dataset.values!)).toEqual([2, 1, 1]);
    expect(screen.getByTestId("status-chart-summary")).toHaveTextContent("4 applications: 2 applied, 1 phone screen, 1 rejected.");
    expect(screen.getByTestId("status-count-PHONE_SCREEN-value")).toHaveTextContent("1");
    expect(screen.getByTestId("status-count-OFFER-value")).toHaveTextContent("0");

    expect(screen.getByTestId("funnel-chart-summary")).toHaveTextContent("1 reached a phone screen (25%)");
    expect(screen.getByTestId("weekly-chart-summary")).toHaveTextContent("4 applications sent in the last 2 weeks; 3 this week");
    expect(screen.getByTestId("source-chart-summary")).toHaveTextContent("Most applications came from LinkedIn (3)");
    expect(within(screen.getByTestId("source-chart")).getByText("Not recorded")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Acme — SRE" })).toHaveAttribute("href", "/jobs/7");
  });

  it("swaps a chart for its table", async () => {
    answer(stats({ APPLIED: 1 }));
    renderPage();
    const card = await screen.findByTestId("status-chart");
    expect(within(card).getByTestId("chart-doughnut")).toBeInTheDocument();
    await userEvent.click(within(card).getByRole("button", { name: "Show table" }));
    expect(within(card).queryByTestId("chart-doughnut")).toBeNull();
    expect(within(card).getByRole("table", { name: "Applications by status" })).toBeVisible();
    expect(within(card).getByRole("button", { name: "Show chart" })).toHaveAttribute("aria-pressed", "true");
  });

  it("explains a failure and retries", async () => {
    answer({ code: 14, message: "no healthy upstream", details: [] }, 503);
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load your statistics");
    answer(stats({ APPLIED: 1 }));
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("stat-total-value")).toHaveTextContent("1");
  });
});
