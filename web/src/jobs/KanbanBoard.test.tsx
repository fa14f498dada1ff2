import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it, vi } from "vitest";
import { KanbanBoard } from "./KanbanBoard";
import { STATUSES, STATUS_LABELS } from "./model";
import { makeJob } from "./test-utils";

function renderBoard(props: Parameters<typeof KanbanBoard>[0]) {
  return render(
    <MemoryRouter>
      <KanbanBoard {...props} />
    </MemoryRouter>,
  );
}

describe("KanbanBoard", () => {
  it("shows one column per stage with its count and cards", () => {
    const jobs = [
      makeJob({ position: "Backend Engineer", status: "APPLIED" }),
      makeJob({ position: "SRE", status: "PHONE_SCREEN" }),
      makeJob({ position: "Data Engineer", status: "PHONE_SCREEN" }),
    ];
    renderBoard({ jobs, onMove: vi.fn() });
    for (const status of STATUSES) {
      expect(screen.getByRole("heading", { name: new RegExp(STATUS_LABELS[status]) })).toBeInTheDocument();
    }
    expect(screen.getByTestId("count-APPLIED")).toHaveTextContent("1");
    expect(screen.getByTestId("count-PHONE_SCREEN")).toHaveTextContent("2");
    expect(screen.getByTestId("count-OFFER")).toHaveTextContent("0");
    const phone = screen.getByTestId("column-PHONE_SCREEN");
    expect(within(phone).getAllByTestId("job-card")).toHaveLength(2);
    expect(within(phone).getByRole("link", { name: "SRE" })).toHaveAttribute("href", `/jobs/${jobs[1].name.split("/")[1]}`);
  });

  it("moves a card with its Move to menu", async () => {
    const job = makeJob({ position: "Backend Engineer", company: "Globex", status: "APPLIED" });
    const onMove = vi.fn();
    renderBoard({ jobs: [job], onMove });
    const menu = screen.getByLabelText(/Move to/);
    expect(menu).toHaveValue("APPLIED");
    await userEvent.selectOptions(menu, "PHONE_SCREEN");
    expect(onMove).toHaveBeenCalledWith(job, "PHONE_SCREEN");
  });

  it("gives every card a keyboard drag handle and disables a card while it saves", () => {
    const job = makeJob({ position: "SRE", company: "Acme" });
    renderBoard({ jobs: [job], onMove: vi.fn(), pending: new Set([job.name]) });
    const handle = screen.getByRole("button", { name: "Drag SRE at Acme" });
    expect(handle).toHaveAttribute("aria-roledescription", "draggable");
    expect(screen.getByLabelText(/Move to/)).toBeDisabled();
  });
});
