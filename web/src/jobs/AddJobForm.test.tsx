import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AddJobForm } from "./AddJobForm";
import { errorBody, makeJob, mockFetch } from "./test-utils";

afterEach(() => vi.unstubAllGlobals());

describe("AddJobForm", () => {
  it("asks for company and position before sending anything", async () => {
    const { calls } = mockFetch();
    render(<AddJobForm onCreated={vi.fn()} onCancel={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Add application" }));
    expect(screen.getByTestId("company-error")).toHaveTextContent("Enter the company.");
    expect(screen.getByTestId("position-error")).toHaveTextContent("Enter the position.");
    expect(screen.getByLabelText(/Company/)).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText(/Company/)).toHaveAttribute("aria-describedby", "company-error");
    expect(calls).toHaveLength(0);
  });

  it("shows the service's field violations next to their fields", async () => {
    mockFetch(({ method }) =>
      method === "POST"
        ? {
            status: 400,
            body: errorBody(3, "Check the highlighted fields.", "INVALID_ARGUMENT", [
              { field: "job_url", description: "must be an http(s) URL" },
              { field: "salary.currency", description: "use an ISO 4217 code such as USD" },
            ]),
          }
        : undefined,
    );
    const onCreated = vi.fn();
    render(<AddJobForm onCreated={onCreated} onCancel={vi.fn()} />);
    await userEvent.type(screen.getByLabelText(/Company/), "Acme");
    await userEvent.type(screen.getByLabelText(/Position/), "SRE");
    await userEvent.type(screen.getByLabelText("Job posting URL"), "ftp://x");
    await userEvent.click(screen.getByRole("button", { name: "Add application" }));
    expect(await screen.findByTestId("jobUrl-error")).toHaveTextContent("Must be an http(s) URL.");
    expect(screen.getByTestId("salaryCurrency-error")).toHaveTextContent("Use an ISO 4217 code such as USD.");
    expect(screen.getByLabelText("Job posting URL")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("Check the highlighted fields.");
    expect(onCreated).not.toHaveBeenCalled();
    // Editing the field clears its error.
    await userEvent.type(screen.getByLabelText("Job posting URL"), "x");
    expect(screen.queryByTestId("jobUrl-error")).not.toBeInTheDocument();
  });

  it("creates the application with a request id and only the filled-in fields", async () => {
    const created = makeJob({ company: "Acme", position: "SRE" });
    const { calls } = mockFetch(({ method }) => (method === "POST" ? { status: 200, body: created } : undefined));
    const onCreated = vi.fn();
    render(<AddJobForm onCreated={onCreated} onCancel={vi.fn()} />);
    await userEvent.type(screen.getByLabelText(/Company/), "Acme");
    await userEvent.type(screen.getByLabelText(/Position/), "SRE");
    await userEvent.type(screen.getByLabelText(/Tags/), "remote, python");
    await userEvent.selectOptions(screen.getByLabelText("Work mode"), "REMOTE");
    await userEvent.click(screen.getByRole("button", { name: "Add application" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ name: created.name })));
    expect(calls[0].url).toMatch(/^\/v1\/jobs\?requestId=[0-9a-f-]{36}$/);
    expect(calls[0].body).toMatchObject({ company: "Acme", position: "SRE", tags: ["remote", "python"], workMode: "REMOTE", status: "APPLIED" });
    expect(calls[0].body).not.toHaveProperty("salary");
    expect(calls[0].body).not.toHaveProperty("notes");
  });
});
