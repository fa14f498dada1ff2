import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import type { ResumeAnalysis } from "../api/types.gen";
import AnalysisResult from "./AnalysisResult";
import ScoreBreakdown from "./ScoreBreakdown";

const REQUIREMENT = "Requirements: 5+ years of Python, Kubernetes and PostgreSQL. Experience with React and GraphQL.";

const ANALYSIS: ResumeAnalysis = {
  matchScore: 75,
  summary: "Match score 75/100. The resume names 3 of 5 required skills; missing: React, GraphQL.",
  scoreBreakdown: [
    { component: "experience_years", score: 100, weight: 0.1667, explanation: "8 years, which meets the 5+ asked." },
    { component: "required_skills", score: 60, weight: 0.625, explanation: "3 of 5 required skills named." },
    { component: "education", score: 0, weight: 0, explanation: "The job asks for no degree." },
    { component: "preferred_skills", score: 100, weight: 0.2083, explanation: "1 of 1 nice-to-have skills." },
  ],
  matchedSkills: [
    {
      skill: "Kubernetes",
      evidence: [
        "Led a team of four engineers through a migration to Kubernetes.",
        "Python, Go, Kubernetes, PostgreSQL",
        "Ran Kubernetes upgrades every quarter.",
      ],
      requirement: REQUIREMENT,
      similarity: 1,
      required: true,
    },
    { skill: "Apache Kafka", evidence: ["Python, Go, Kafka, Terraform"], requirement: "Nice to have: Kafka.", similarity: 1, required: false },
  ],
  missingSkills: [{ skill: "React", evidence: [], requirement: REQUIREMENT, similarity: 0, required: true }],
  suggestions: ["The job requires React. If you have worked with React, name it in a bullet."],
  provider: { name: "local", model: "careervault-local/1", fellBack: true, reason: "Gemini timed out" },
};

describe("ScoreBreakdown", () => {
  it("lists the counted components by weight with score, weight, points and why", () => {
    render(<ScoreBreakdown components={ANALYSIS.scoreBreakdown} />);
    const items = screen.getAllByTestId("score-component");
    expect(items.map((i) => i.dataset.component)).toEqual(["required_skills", "preferred_skills", "experience_years"]);
    const required = items[0];
    expect(within(required).getByText("Required skills")).toBeInTheDocument();
    expect(required).toHaveTextContent("60/100");
    expect(required).toHaveTextContent("weight 63%");
    expect(required).toHaveTextContent("37.5 points");
    expect(required).toHaveTextContent("3 of 5 required skills named.");
    expect(items[1]).toHaveTextContent("Nice-to-have skills");
  });

  it("keeps components without weight apart, with their explanation", () => {
    render(<ScoreBreakdown components={ANALYSIS.scoreBreakdown} />);
    const uncounted = screen.getAllByTestId("score-component-uncounted");
    expect(uncounted).toHaveLength(1);
    expect(uncounted[0]).toHaveTextContent("Education — The job asks for no degree.");
    expect(screen.getByText("Not counted for this job (1)")).toBeInTheDocument();
  });

  it("renders nothing without components", () => {
    const { container } = render(<ScoreBreakdown components={[]} />);
    expect(container).toBeEmptyDOMElement();
  });
});

describe("AnalysisResult", () => {
  const renderResult = () =>
    render(
      <MemoryRouter>
        <AnalysisResult analysis={ANALYSIS} actions={<button type="button">Save to job</button>} />
      </MemoryRouter>,
    );

  it("shows the score as a labelled gauge with the summary and the actions", () => {
    renderResult();
    expect(screen.getByRole("img", { name: "Match score 75 out of 100: strong match" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Strong match" })).toBeInTheDocument();
    expect(screen.getByText(/3 of 5 required skills; missing: React, GraphQL/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save to job" })).toBeInTheDocument();
  });

  it("marks the skill inside each evidence line, and more lines on demand", async () => {
    renderResult();
    const kubernetes = screen.getAllByTestId("matched-skill").find((el) => el.dataset.skill === "Kubernetes")!;
    let lines = within(kubernetes).getAllByTestId("evidence");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.querySelector("mark")).toHaveTextContent(/^Kubernetes$/);
    expect(within(kubernetes).getByText("Required")).toBeInTheDocument();

    await userEvent.click(within(kubernetes).getByRole("button", { name: "Show 1 more line" }));
    lines = within(kubernetes).getAllByTestId("evidence");
    expect(lines).toHaveLength(3);

    const kafka = screen.getAllByTestId("matched-skill").find((el) => el.dataset.skill === "Apache Kafka")!;
    expect(kafka.querySelector("mark")).toHaveTextContent(/^Kafka$/);
    expect(within(kafka).getByText("Nice to have")).toBeInTheDocument();
  });

  it("shows a missing skill with the job's sentence asking for it", () => {
    renderResult();
    const react = screen.getByTestId("missing-skill");
    expect(react).toHaveTextContent("React");
    expect(react).toHaveTextContent("Experience with React and GraphQL.");
    expect(react.querySelector("blockquote mark")).toHaveTextContent(/^React$/);
  });

  it("lists suggestions and says who answered, and why it fell back", () => {
    renderResult();
    expect(screen.getByTestId("suggestions")).toHaveTextContent("The job requires React.");
    const badge = screen.getByTestId("provider-badge");
    expect(badge).toHaveTextContent("Local assistant");
    expect(badge).toHaveTextContent("Fell back");
    expect(screen.getByTestId("provider-reason")).toHaveTextContent("Gemini timed out");
  });
});
