// Interview preparation: questions for a saved or pasted job (optionally tailored to the
// resume's gaps), grouped by category, each with why it is likely and what to cover.
import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, ApiError } from "../api/client";
import type { InterviewQuestion, PrepareInterviewRequest, PrepareInterviewResponse } from "../api/types.gen";
import ErrorMessage from "../components/ErrorMessage";
import { Spinner } from "../components/Spinner";
import { describeError } from "./errors";
import { humanize, jobId, plural } from "./format";
import JobPicker from "./JobPicker";
import ProviderBadge from "./ProviderBadge";
import type { JobsState } from "./useJobs";

const CATEGORY_ORDER = ["role", "technical", "behavioral", "behavioural", "gap", "gaps", "company"];

/** Questions by category, categories in a sensible order (unknown ones last, as they came). */
export function groupQuestions(questions: InterviewQuestion[]): Array<{ category: string; questions: InterviewQuestion[] }> {
  const groups = new Map<string, InterviewQuestion[]>();
  for (const q of questions) {
    const key = (q.category || "other").toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()]
    .map(([category, qs]) => ({ category, questions: qs }))
    .sort((a, b) => rank(a.category) - rank(b.category));
}

const CATEGORY_TITLES: Record<string, string> = {
  role: "About the role",
  technical: "Technical",
  behavioral: "Behavioral",
  behavioural: "Behavioral",
  company: "About the company",
  gap: "Gaps in your resume",
  gaps: "Gaps in your resume",
};

type Mode = "saved" | "paste";

export default function InterviewPrep({ jobs, initialJob }: { jobs: JobsState; initialJob?: string }) {
  const [mode, setMode] = useState<Mode>(initialJob ? "saved" : "paste");
  const [job, setJob] = useState(initialJob ?? "");
  const [description, setDescription] = useState("");
  const [resume, setResume] = useState("");
  const [count, setCount] = useState(10);
  const [result, setResult] = useState<PrepareInterviewResponse | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const countHint = useId();

  useEffect(() => {
    if (initialJob) {
      setMode("saved");
      setJob(initialJob);
    }
  }, [initialJob]);

  // A saved job without a description cannot be prepared for; say so before sending.
  const selected = jobs.jobs.find((j) => j.name === job);
  const noDescription = mode === "saved" && selected !== undefined && !selected.jobDescription?.trim();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (mode === "saved" && !job) return setError("Pick the saved job to prepare for, or paste a description.");
    if (mode === "paste" && !description.trim()) return setError("Paste the job description, or pick a saved job.");
    if (noDescription) return setError(describeError(new ApiError({ status: 400, reason: "JOB_HAS_NO_DESCRIPTION" })));
    const n = Math.max(1, Math.min(30, Math.round(count) || 10));
    const body: PrepareInterviewRequest = {
      ...(mode === "saved" ? { job } : { jobDescription: description.trim() }),
      ...(resume.trim() ? { resumeText: resume.trim() } : {}),
      questionCount: n,
    };
    setLoading(true);
    try {
      setResult(await api.post<PrepareInterviewResponse>("/v1/interviews:prepare", body));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  };

  const groups = useMemo(() => groupQuestions(result?.questions ?? []), [result]);

  return (
    <div className="space-y-6">
      <form onSubmit={onSubmit} className="card space-y-4" noValidate>
        <fieldset>
          <legend className="label">Prepare for</legend>
          <div className="inline-flex flex-wrap rounded-lg border border-slate-300 p-0.5">
            {(
              [
                ["paste", "A pasted description"],
                ["saved", "A saved job"],
              ] as const
            ).map(([value, text]) => (
              <label
                key={value}
                className={`cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium focus-within:outline-2 focus-within:outline-brand-600 ${
                  mode === value ? "bg-brand-700 text-white" : "text-slate-700 hover:bg-slate-100"
                }`}
              >
                <input type="radio" name="prepMode" value={value} className="sr-only" checked={mode === value} onChange={() => setMode(value)} />
                {text}
              </label>
            ))}
          </div>
        </fieldset>
        {mode === "saved" ? (
          <div className="space-y-2">
            <JobPicker id="prep-job" label="Saved job" state={jobs} value={job} onChange={setJob} />
            {noDescription && (
              <p className="text-sm text-amber-800">
                This job has no description yet: paste one, or{" "}
                <Link to={`/jobs/${jobId(job)}`} className="link">
                  add it on the job's page
                </Link>
                .
              </p>
            )}
          </div>
        ) : (
          <div>
            <label htmlFor="prep-description" className="label">
              Job description
            </label>
            <textarea
              id="prep-description"
              className="input min-h-36"
              placeholder="Paste the posting: the role, its requirements and nice-to-haves."
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </div>
        )}
        <div>
          <label htmlFor="prep-resume" className="label">
            Your resume <span className="font-normal text-slate-600">(optional: questions about its gaps)</span>
          </label>
          <textarea
            id="prep-resume"
            className="input min-h-24"
            placeholder="Paste your resume's text."
            value={resume}
            onChange={(e) => setResume(e.target.value)}
          />
        </div>
        <div className="flex flex-wrap items-end gap-4">
          <div>
            <label htmlFor="prep-count" className="label">
              Questions
            </label>
            <input
              id="prep-count"
              type="number"
              min={1}
              max={30}
              className="input w-24"
              aria-describedby={countHint}
              value={count}
              onChange={(e) => setCount(Number(e.target.value))}
            />
            <p id={countHint} className="mt-1 text-xs text-slate-600">
              1 to 30
            </p>
          </div>
          <button type="submit" className="btn-primary mb-5" disabled={loading}>
            {loading && <Spinner className="h-4 w-4 text-white" />}
            {loading ? "Preparing…" : "Prepare questions"}
          </button>
        </div>
        {error && <ErrorMessage error={error} />}
      </form>

      {result && (
        <section aria-labelledby="prep-heading" className="space-y-4" data-testid="interview-questions">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="prep-heading" className="text-lg font-semibold text-slate-900">
              {plural(result.questions?.length ?? 0, "question")} to prepare
            </h2>
            <ProviderBadge provider={result.provider} />
          </div>
          {groups.length === 0 && <p className="text-sm text-slate-700">No questions came back. Add more detail to the description.</p>}
          {groups.map((g) => (
            <section key={g.category} aria-labelledby={`cat-${g.category}`} className="space-y-3">
              <h3 id={`cat-${g.category}`} className="text-base font-semibold text-slate-800">
                {CATEGORY_TITLES[g.category] ?? humanize(g.category)}{" "}
                <span className="font-normal text-slate-600">({g.questions.length})</span>
              </h3>
              <ol className="space-y-3">
                {g.questions.map((q, i) => (
                  <li key={i} className="card p-4!" data-testid="interview-question" data-category={g.category}>
                    <p className="font-medium text-slate-900">{q.text}</p>
                    {q.rationale && <p className="mt-1 text-sm text-slate-700">{q.rationale}</p>}
                    {(q.answerPoints ?? []).length > 0 && (
                      <details className="mt-2 text-sm" open={i === 0}>
                        <summary className="cursor-pointer font-medium text-brand-700">What to cover</summary>
                        <ul className="mt-2 list-disc space-y-1 pl-5 text-slate-800">
                          {q.answerPoints.map((p, k) => (
                            <li key={k}>{p}</li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </li>
                ))}
              </ol>
            </section>
          ))}
        </section>
      )}
    </div>
  );
}
