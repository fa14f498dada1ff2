import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import JobDetail from "../pages/JobDetail";
import type { Job } from "./model";
import { CONFLICT, errorBody, makeJob, mockFetch, renderAt } from "./test-utils";

afterEach(() => vi.unstubAllGlobals());

const at = (job: Job) => ({ path: `/jobs/${job.name.split("/")[1]}`, route: "/jobs/:id" });

describe("JobDetail", () => {
  it("says so when the application does not exist", async () => {
    mockFetch(() => ({ status: 404, body: errorBody(5, "Job application not found.", "JOB_NOT_FOUND") }));
    renderAt(<JobDetail />, { path: "/jobs/0123", route: "/jobs/:id" });
    expect(await screen.findByText("This application does not exist or was deleted")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to your applications" })).toHaveAttribute("href", "/dashboard");
  });

  it("saves only the changed field with the etag it read", async () => {
    const job = makeJob({ company: "Globex", position: "SRE", location: "Berlin" });
    const { calls } = mockFetch(
      ({ method }) => (method === "GET" ? { status: 200, body: job } : undefined),
      ({ method, body }) => (method === "PATCH" ? { status: 200, body: { ...job, ...(body as object), etag: "e2" } } : undefined),
    );
    renderAt(<JobDetail />, at(job));
    const details = await screen.findByTestId("details-section");
    await userEvent.click(within(details).getByRole("button", { name: "Edit details" }));
    const location = within(details).getByLabelText("Location");
    await userEvent.clear(location);
    await userEvent.type(location, "Hamburg");
    await userEvent.click(within(details).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(details).getByText("Hamburg")).toBeInTheDocument());
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.url).toBe(`/v1/${job.name}?updateMask=location`);
    expect(patch?.body).toEqual({ location: "Hamburg", etag: job.etag });
  });

  it("on a 409 tells the user someone else changed it, keeps the edit and reloads on request", async () => {
    const job = makeJob({ position: "SRE", notes: "old", source: "LinkedIn" });
    const newer = { ...job, source: "Referral", etag: "newer" };
    let gets = 0;
    const patches: { url: string; body: unknown }[] = [];
    mockFetch(
      ({ method }) => {
        if (method !== "GET") return undefined;
        gets += 1;
        return { status: 200, body: gets === 1 ? job : newer };
      },
      ({ method, url, body }) => {
        if (method !== "PATCH") return undefined;
        patches.push({ url, body });
        const sent = body as { etag: string; notes: string };
        return sent.etag === "newer" ? { status: 200, body: { ...newer, notes: sent.notes, etag: "newest" } } : CONFLICT;
      },
    );
    renderAt(<JobDetail />, at(job));
    const notes = await screen.findByTestId("notes-section");
    await userEvent.click(within(notes).getByRole("button", { name: "Edit notes" }));
    const editor = within(notes).getByRole("textbox");
    await userEvent.clear(editor);
    await userEvent.type(editor, "new notes");
    await userEvent.click(within(notes).getByRole("button", { name: "Save" }));

    const banner = await screen.findByTestId("conflict-banner");
    expect(banner).toHaveTextContent("Someone else changed this application");
    expect(editor).toHaveValue("new notes"); // nothing typed is lost

    await userEvent.click(within(banner).getByRole("button", { name: "Reload" }));
    await waitFor(() => expect(screen.queryByTestId("conflict-banner")).not.toBeInTheDocument());
    expect(screen.getByTestId("details-section")).toHaveTextContent("Referral");

    await userEvent.click(within(notes).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(notes).getByText("new notes")).toBeInTheDocument());
    expect(patches.map((p) => (p.body as { etag: string }).etag)).toEqual([job.etag, "newer"]);
    expect(patches.every((p) => p.url.endsWith("?updateMask=notes"))).toBe(true);
  });

  it("shows the saved analysis with a link to run it again", async () => {
    const job = makeJob({
      analysis: {
        matchScore: 81,
        summary: "Strong match.",
        scoreBreakdown: [{ component: "required_skills", score: 90, weight: 0.6, explanation: "3 of 3" }],
        matchedSkills: ["Python"],
        missingSkills: ["Kafka"],
        suggestions: ["Mention Kafka."],
        provider: "local",
        resumeSha256: "",
      },
    });
    mockFetch(() => ({ status: 200, body: job }));
    renderAt(<JobDetail />, at(job));
    const panel = await screen.findByTestId("analysis-section");
    expect(within(panel).getByTestId("analysis-score")).toHaveTextContent("81");
    expect(panel).toHaveTextContent("Kafka");
    expect(panel).toHaveTextContent("Mention Kafka.");
    expect(within(panel).getByRole("meter", { name: "Required skills score" })).toHaveAttribute("aria-valuenow", "90");
    expect(within(panel).getByRole("link", { name: "Analyze again" })).toHaveAttribute(
      "href",
      `/analyze?job=${job.name.split("/")[1]}`,
    );
  });

  it("adds and removes a contact by saving the whole list", async () => {
    const job = makeJob({ contacts: [{ name: "Ann", role: "Recruiter", email: "", phone: "", linkedinUrl: "", notes: "" }] });
    const { calls } = mockFetch(
      ({ method }) => (method === "GET" ? { status: 200, body: job } : undefined),
      ({ method, body }) => (method === "PATCH" ? { status: 200, body: { ...job, ...(body as object), etag: "e2" } } : undefined),
    );
    renderAt(<JobDetail />, at(job));
    const contacts = await screen.findByTestId("contacts-section");
    await userEvent.click(within(contacts).getByRole("button", { name: "Add contact" }));
    await userEvent.type(within(contacts).getByLabelText(/Name/), "Bob");
    await userEvent.click(within(contacts).getAllByRole("button", { name: "Add contact" })[0]);
    await waitFor(() => expect(within(contacts).getByText("Bob")).toBeInTheDocument());
    expect((calls.find((c) => c.method === "PATCH")?.body as Job).contacts.map((c) => c.name)).toEqual(["Ann", "Bob"]);
  });
});
