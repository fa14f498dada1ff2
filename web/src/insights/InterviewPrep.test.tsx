import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../api/client";
import type { InterviewQuestion, JobApplication } from "../api/types.gen";
import InterviewPrep, { groupQuestions } from "./InterviewPrep";
import type { JobsState } from "./useJobs";

const q = (category: string, text: string): InterviewQuestion => ({
  text,
  category,
  rationale: `Why: ${text}`,
  answerPoints: [`Cover ${text}`],
});

const QUESTIONS = [q("company", "Why us?"), q("technical", "Python?"), q("role", "Why this role?"), q("technical", "Kubernetes?"), q("culture", "Team?")];

const JOBS: JobsState = {
  jobs: [{ name: "jobs/1", company: "Globex", position: "SRE", jobDescription: "Python and Kubernetes." } as JobApplication],
  loading: false,
  error: null,
  reload: () => {},
};

afterEach(() => vi.restoreAllMocks());

describe("groupQuestions", () => {
  it("groups by category in a sensible order, unknown categories last", () => {
    expect(groupQuestions(QUESTIONS).map((g) => [g.category, g.questions.map((x) => x.text)])).toEqual([
      ["role", ["Why this role?"]],
      ["technical", ["Python?", "Kubernetes?"]],
      ["company", ["Why us?"]],
      ["culture", ["Team?"]],
    ]);
  });
});

describe("InterviewPrep", () => {
  it("asks for a saved job's questions and shows them by category with rationale and answer points", async () => {
    const post = vi.spyOn(api, "post").mockResolvedValue({
      questions: QUESTIONS,
      provider: { name: "local", model: "m", fellBack: false, reason: "" },
    } as never);
    const user = userEvent.setup();
    render(
      <MemoryRouter>
        <InterviewPrep jobs={JOBS} initialJob="jobs/1" />
      </MemoryRouter>,
    );
    expect(screen.getByLabelText("Saved job")).toHaveValue("jobs/1");
    await user.clear(screen.getByLabelText("Questions"));
    await user.type(screen.getByLabelText("Questions"), "5");
    await user.click(screen.getByRole("button", { name: "Prepare questions" }));
    expect(post).toHaveBeenCalledWith("/v1/interviews:prepare", { job: "jobs/1", questionCount: 5 });

    expect(await screen.findByRole("heading", { name: "5 questions to prepare" })).toBeInTheDocument();
    const technical = screen.getByRole("region", { name: "Technical (2)" });
    const items = within(technical).getAllByTestId("interview-question");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("Python?");
    expect(items[0]).toHaveTextContent("Why: Python?");
    expect(within(items[0]).getByText("Cover Python?")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "About the company (1)" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Culture (1)" })).toBeInTheDocument();
    expect(screen.getByTestId("provider-badge")).toHaveTextContent("Local assistant");
  });

  it("sends a pasted description with the resume when given", async () => {
    const post = vi.spyOn(api, "post").mockResolvedValue({ questions: [], provider: undefined } as never);
    const user = userEvent.setup();
    render(
      <MemoryRouter>
        <InterviewPrep jobs={JOBS} />
      </MemoryRouter>,
    );
    await user.type(screen.getByLabelText("Job description"), "Data analyst: SQL.");
    await user.type(screen.getByLabelText(/Your resume/), "SQL for 5 years.");
    await user.click(screen.getByRole("button", { name: "Prepare questions" }));
    expect(post).toHaveBeenCalledWith("/v1/interviews:prepare", {
      jobDescription: "Data analyst: SQL.",
      resumeText: "SQL for 5 years.",
      questionCount: 10,
    });
  });
});
