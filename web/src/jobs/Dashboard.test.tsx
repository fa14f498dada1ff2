import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import Dashboard from "../pages/Dashboard";
import { CONFLICT, makeJob, mockFetch, renderAt } from "./test-utils";

afterEach(() => vi.unstubAllGlobals());

const list = (jobs: unknown[]) => ({ status: 200, body: { jobs, nextPageToken: "", totalSize: jobs.length } });

describe("Dashboard", () => {
  it("shows the empty state and opens the add form", async () => {
    mockFetch(({ method, url }) => (method === "GET" && url.startsWith("/v1/jobs?") ? list([]) : undefined));
    renderAt(<Dashboard />);
    expect(await screen.findByText("No applications yet — add your first one")).toBeInTheDocument();
    await userEvent.click(screen.getByTestId("add-job-btn"));
    expect(screen.getByLabelText(/Company/)).toHaveAttribute("id", "company");
    expect(screen.getByLabelText(/Position/)).toHaveAttribute("id", "position");
    expect(document.querySelectorAll('[type="submit"]')).toHaveLength(1);
  });

  it("moves a card at once and keeps it there when the save succeeds", async () => {
    const job = makeJob({ position: "SRE", status: "APPLIED" });
    const { calls } = mockFetch(
      ({ method, url }) => (method === "GET" && url.startsWith("/v1/jobs?") ? list([job]) : undefined),
      ({ method }) => (method === "PATCH" ? { status: 200, body: { ...job, status: "PHONE_SCREEN", etag: "new" } } : undefined),
    );
    renderAt(<Dashboard />);
    await screen.findByText("SRE");
    await userEvent.selectOptions(screen.getByLabelText(/Move to/), "PHONE_SCREEN");
    expect(within(screen.getByTestId("column-PHONE_SCREEN")).getByText("SRE")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText(/Moved SRE at Acme to Phone screen/)).toBeInTheDocument());
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.url).toBe(`/v1/${job.name}?updateMask=status`);
    // The board reads the basic view: no descriptions, notes or histories it does not show.
    const listed = calls.find((c) => c.method === "GET" && c.url.startsWith("/v1/jobs?"));
    expect(new URL(listed?.url ?? "", "http://x").searchParams.get("view")).toBe("JOB_VIEW_BASIC");
    expect(patch?.body).toEqual({ status: "PHONE_SCREEN", etag: job.etag });
  });

  it("rolls a move back and explains a conflict (409) with a reload", async () => {
    const job = makeJob({ position: "SRE", status: "APPLIED" });
    let listed = 0;
    mockFetch(
      ({ method, url }) => {
        if (method !== "GET" || !url.startsWith("/v1/jobs?")) return undefined;
        listed += 1;
        return list([listed === 1 ? job : { ...job, notes: "changed", etag: "newer" }]);
      },
      ({ method }) => (method === "PATCH" ? CONFLICT : undefined),
    );
    renderAt(<Dashboard />);
    await screen.findByText("SRE");
    await userEvent.selectOptions(screen.getByLabelText(/Move to/), "OFFER");
    const alert = await screen.findByTestId("move-error");
    expect(alert).toHaveTextContent("Someone else changed “SRE at Acme” in the meantime, so it was not moved.");
    expect(within(screen.getByTestId("column-APPLIED")).getByText("SRE")).toBeInTheDocument();
    expect(within(screen.getByTestId("column-OFFER")).queryByText("SRE")).not.toBeInTheDocument();
    await userEvent.click(within(alert).getByRole("button", { name: "Reload" }));
    await waitFor(() => expect(listed).toBe(2));
    expect(screen.queryByTestId("move-error")).not.toBeInTheDocument();
  });

  it("rolls back with a readable error when the service is down", async () => {
    const job = makeJob({ position: "SRE", status: "APPLIED" });
    mockFetch(
      ({ method, url }) => (method === "GET" && url.startsWith("/v1/jobs?") ? list([job]) : undefined),
      ({ method }) => (method === "PATCH" ? { status: 503, body: { code: 14, message: "upstream connect error" } } : undefined),
    );
    renderAt(<Dashboard />);
    await screen.findByText("SRE");
    await userEvent.selectOptions(screen.getByLabelText(/Move to/), "OFFER");
    expect(await screen.findByTestId("move-error")).toHaveTextContent(
      "“SRE at Acme” could not be moved to Offer: The service is not available right now.",
    );
    expect(within(screen.getByTestId("column-APPLIED")).getByText("SRE")).toBeInTheDocument();
  });

  it("shows a load error with a retry", async () => {
    let fail = true;
    mockFetch(({ method, url }) => {
      if (method !== "GET" || !url.startsWith("/v1/jobs?")) return undefined;
      if (fail) return { status: 503, body: { code: 14, message: "no healthy upstream" } };
      return list([makeJob({ position: "SRE" })]);
    });
    renderAt(<Dashboard />);
    expect(await screen.findByText("Your applications could not be loaded.")).toBeInTheDocument();
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("SRE")).toBeInTheDocument();
  });
});
