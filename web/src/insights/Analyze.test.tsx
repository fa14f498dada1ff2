import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, ApiError } from "../api/client";
import type { ExtractedDocument, JobApplication, ResumeAnalysis } from "../api/types.gen";
import { ToastProvider } from "../components/Toast";
import Analyze from "../pages/Analyze";

const JOB = {
  name: "jobs/42",
  company: "Globex",
  position: "Backend Engineer",
  jobDescription: "Requirements: Python and React.",
  etag: "e1",
} as JobApplication;

const RESULT: ResumeAnalysis = {
  matchScore: 64,
  summary: "Match score 64/100.",
  scoreBreakdown: [{ component: "required_skills", score: 50, weight: 1, explanation: "1 of 2 required skills." }],
  matchedSkills: [{ skill: "Python", evidence: ["Built services in Python."], requirement: "Python", similarity: 1, required: true }],
  missingSkills: [{ skill: "React", evidence: [], requirement: "Requirements: Python and React.", similarity: 0, required: true }],
  suggestions: ["Name React."],
  provider: { name: "local", model: "m", fellBack: false, reason: "" },
};

const DOC = { text: "Jane Doe\nBuilt services in Python.", pages: 1, detectedType: "application/pdf", pageInfo: [], warnings: [] } as unknown as ExtractedDocument;

let upload: ReturnType<typeof vi.spyOn>;
let post: ReturnType<typeof vi.spyOn>;
let release: (() => void) | null;

beforeEach(() => {
  release = null;
  vi.spyOn(api, "get").mockResolvedValue({ jobs: [JOB], nextPageToken: "", totalSize: 1 });
  upload = vi.spyOn(api, "upload").mockImplementation(async (_path, _file, onProgress) => {
    onProgress?.(0.4);
    await new Promise<void>((resolve) => (release = resolve));
    onProgress?.(1);
    return DOC as never;
  });
  post = vi.spyOn(api, "post").mockResolvedValue(RESULT as never);
});

afterEach(() => vi.restoreAllMocks());

function renderAt(url = "/analyze") {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <ToastProvider>
        <Analyze />
      </ToastProvider>
    </MemoryRouter>,
  );
}

const pdf = () => new File(["%PDF-1.7 resume"], "cv.pdf", { type: "application/pdf" });

describe("Analyze", () => {
  it("uploads with progress, fills the text, analyses against a pasted job and shows the result", async () => {
    const user = userEvent.setup();
    renderAt();
    await user.upload(screen.getByTestId("resume-file"), pdf());
    expect(upload).toHaveBeenCalledWith("/v1/documents:upload", expect.any(File), expect.any(Function));
    expect(await screen.findByRole("progressbar", { name: "Upload progress" })).toHaveAttribute("aria-valuenow", "40");
    await act(async () => release?.());
    expect(await screen.findByTestId("upload-done")).toHaveTextContent("Read 1 page from cv.pdf (PDF)");
    expect(screen.getByLabelText("Resume text")).toHaveValue(DOC.text);

    await user.type(screen.getByLabelText("Job description"), "Requirements: Python and React.");
    await user.click(screen.getByRole("button", { name: "Analyze match" }));
    expect(post).toHaveBeenCalledWith("/v1/resumes:analyze", {
      resumeText: DOC.text,
      jobDescription: "Requirements: Python and React.",
    });
    expect(await screen.findByRole("img", { name: /Match score 64 out of 100/ })).toBeInTheDocument();
    expect(screen.getByTestId("matched-skill")).toHaveTextContent("Python");
    expect(screen.getByTestId("missing-skill")).toHaveTextContent("React");
  });

  it("explains a file that cannot be read", async () => {
    upload.mockRejectedValue(
      new ApiError({ status: 400, code: 9, reason: "PDF_ENCRYPTED", message: "The PDF is password-protected." }),
    );
    const user = userEvent.setup();
    renderAt();
    await user.upload(screen.getByTestId("resume-file"), pdf());
    expect(await screen.findByRole("alert")).toHaveTextContent("This PDF is password-protected.");
  });

  it("refuses a file over 10 MB before sending it", async () => {
    const user = userEvent.setup();
    renderAt();
    const big = new File(["x"], "big.pdf", { type: "application/pdf" });
    Object.defineProperty(big, "size", { value: 11 * 1024 * 1024 });
    await user.upload(screen.getByTestId("resume-file"), big);
    expect(await screen.findByRole("alert")).toHaveTextContent("larger than 10 MB");
    expect(upload).not.toHaveBeenCalled();
  });

  it("preselects ?job= and saves the analysis on that job", async () => {
    const user = userEvent.setup();
    renderAt("/analyze?job=42");
    expect(screen.getByRole("radio", { name: "A saved job" })).toBeChecked();
    await waitFor(() => expect(screen.getByLabelText("Saved job")).toHaveValue("jobs/42"));
    await user.type(screen.getByLabelText("Resume text"), "Built services in Python.");
    await user.click(screen.getByRole("button", { name: "Analyze match" }));
    expect(post).toHaveBeenLastCalledWith("/v1/resumes:analyze", {
      resumeText: "Built services in Python.",
      job: "jobs/42",
    });
    await user.click(await screen.findByRole("button", { name: "Save to job" }));
    expect(post).toHaveBeenLastCalledWith("/v1/resumes:analyze", {
      resumeText: "Built services in Python.",
      job: "jobs/42",
      save: true,
    });
    expect(await screen.findByText("Analysis saved to Globex — Backend Engineer.")).toBeInTheDocument();
    expect(screen.getByTestId("saved-note")).toHaveTextContent("Saved to Globex — Backend Engineer.");
    expect(screen.getByRole("link", { name: "Open the job" })).toHaveAttribute("href", "/jobs/42");
  });

  it("asks for what is missing instead of sending", async () => {
    const user = userEvent.setup();
    renderAt();
    await user.click(screen.getByRole("button", { name: "Analyze match" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Add your resume first");
    expect(post).not.toHaveBeenCalled();
  });
});
