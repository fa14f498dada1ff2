// /analyze: match a resume against a job. The resume is uploaded raw (progress shown) to the
// extraction service and its text shown for review, or pasted; the job is a saved one (its
// description) or pasted. The result shows the score, its breakdown, the skills with their
// evidence and suggestions, and can be kept on a saved job (`save: true`).
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, ApiError } from "../api/client";
import type { AnalyzeResumeRequest, ExtractedDocument, JobApplication, ResumeAnalysis } from "../api/types.gen";
import ErrorMessage from "../components/ErrorMessage";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toast";
import AnalysisResult from "../insights/AnalysisResult";
import DropZone, { type UploadState } from "../insights/DropZone";
import { checkFile, describeError } from "../insights/errors";
import { jobId, jobName, plural } from "../insights/format";
import JobPicker from "../insights/JobPicker";
import { jobLabel, useJobs } from "../insights/useJobs";

type JobMode = "saved" | "paste";

interface ReadFile {
  name: string;
  pages: number;
  type: string;
  ocr: boolean;
  warnings: string[];
}

/** What an analysis was made from, so "Save" repeats exactly that request. */
interface Basis {
  resumeText: string;
  mode: JobMode;
  job?: string;
  jobDescription?: string;
}

const MAX_TEXT = 60000;

function typeName(mime: string): string {
  if (mime === "application/pdf") return "PDF";
  if (mime.includes("wordprocessingml")) return "Word document";
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("text/")) return "text file";
  return mime || "file";
}

export default function Analyze() {
  const [params, setParams] = useSearchParams();
  const preselected = params.get("job");
  const toast = useToast();
  const jobs = useJobs();

  const [resumeText, setResumeText] = useState("");
  const [readFile, setReadFile] = useState<ReadFile | null>(null);
  const [upload, setUpload] = useState<UploadState>({ phase: "idle", progress: 0 });
  const [uploadError, setUploadError] = useState<string | null>(null);

  const [mode, setMode] = useState<JobMode>(preselected ? "saved" : "paste");
  const [job, setJob] = useState(preselected ? jobName(preselected) : "");
  const [jobDescription, setJobDescription] = useState("");

  const [analysis, setAnalysis] = useState<ResumeAnalysis | null>(null);
  const [basis, setBasis] = useState<Basis | null>(null);
  const [analyzing, setAnalyzing] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const [saveTarget, setSaveTarget] = useState("");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [savedTo, setSavedTo] = useState<JobApplication | null>(null);
  const [saveNote, setSaveNote] = useState<string | null>(null);

  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = "Resume analysis · CareerVault";
  }, []);

  // ?job=<id> preselects a saved job (also when the link is followed while on this page).
  useEffect(() => {
    if (preselected) {
      setMode("saved");
      setJob(jobName(preselected));
    }
  }, [preselected]);

  const selectedJob = useMemo(() => jobs.jobs.find((j) => j.name === job), [jobs.jobs, job]);
  const jobWithoutDescription = mode === "saved" && selectedJob !== undefined && !selectedJob.jobDescription?.trim();

  const onFile = async (file: File) => {
    setUploadError(null);
    const problem = checkFile(file);
    if (problem) {
      setUploadError(problem);
      return;
    }
    setUpload({ phase: "uploading", progress: 0, fileName: file.name, fileBytes: file.size });
    try {
      const doc = await api.upload<ExtractedDocument>("/v1/documents:upload", file, (fraction) =>
        setUpload((u) => ({ ...u, phase: fraction >= 1 ? "reading" : "uploading", progress: fraction })),
      );
      const text = (doc.text ?? "").trim();
      if (!text) {
        setUpload({ phase: "error", progress: 0 });
        setUploadError(describeError(new ApiError({ status: 400, reason: "DOCUMENT_HAS_NO_TEXT" })));
        return;
      }
      setResumeText(text);
      setReadFile({
        name: file.name,
        pages: doc.pages ?? 1,
        type: doc.detectedType ?? file.type,
        ocr: (doc.pageInfo ?? []).some((p) => p.method === "OCR"),
        warnings: doc.warnings ?? [],
      });
      setUpload({ phase: "done", progress: 1, fileName: file.name });
    } catch (err) {
      setUpload({ phase: "error", progress: 0 });
      setUploadError(describeError(err));
    }
  };

  const request = (b: Basis, save = false): AnalyzeResumeRequest =>
    b.mode === "saved"
      ? { resumeText: b.resumeText, job: b.job, ...(save ? { save } : {}) }
      : { resumeText: b.resumeText, jobDescription: b.jobDescription };

  const onAnalyze = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!resumeText.trim()) {
      setError(describeError(new ApiError({ status: 400, reason: "RESUME_MISSING" })));
      return;
    }
    if (mode === "saved" && !job) {
      setError("Pick the saved job to compare with, or paste a job description.");
      return;
    }
    if (mode === "paste" && !jobDescription.trim()) {
      setError("Paste the job description, or pick a saved job.");
      return;
    }
    if (jobWithoutDescription) {
      setError(describeError(new ApiError({ status: 400, reason: "JOB_HAS_NO_DESCRIPTION" })));
      return;
    }
    const b: Basis =
      mode === "saved"
        ? { resumeText: resumeText.trim(), mode, job }
        : { resumeText: resumeText.trim(), mode, jobDescription: jobDescription.trim() };
    setAnalyzing(true);
    try {
      const result = await api.post<ResumeAnalysis>("/v1/resumes:analyze", request(b));
      setAnalysis(result);
      setBasis(b);
      setSavedTo(null);
      setSaveError(null);
      setSaveNote(null);
      setSaveTarget(b.mode === "saved" ? (b.job ?? "") : "");
      requestAnimationFrame(() => {
        resultRef.current?.scrollIntoView?.({ behavior: "smooth", block: "start" });
        resultRef.current?.querySelector<HTMLElement>("h2")?.focus();
      });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setAnalyzing(false);
    }
  };

  const onSave = async () => {
    if (!basis || !analysis) return;
    const target = basis.mode === "saved" ? basis.job : saveTarget;
    const targetJob = jobs.jobs.find((j) => j.name === target);
    if (!target) {
      setSaveError("Choose the saved job to keep this analysis on.");
      return;
    }
    setSaving(true);
    setSaveError(null);
    setSaveNote(null);
    try {
      let note: string | null = null;
      if (basis.mode === "paste" && targetJob) {
        const own = targetJob.jobDescription?.trim() ?? "";
        if (!own) {
          // Keep the pasted description on the job, so the saved analysis matches it.
          await api.patch<JobApplication>(
            `/v1/${targetJob.name}`,
            { jobDescription: basis.jobDescription, etag: targetJob.etag },
            ["jobDescription"],
          );
          note = "The pasted description was added to the job too.";
        } else if (own !== basis.jobDescription) {
          note = "This job has its own description; the analysis was made again against it.";
        }
      }
      const before = analysis.matchScore;
      const saved = await api.post<ResumeAnalysis>(
        "/v1/resumes:analyze",
        request({ resumeText: basis.resumeText, mode: "saved", job: target }, true),
      );
      if (!note && saved.matchScore !== before) {
        note = `Against the saved job (its title counts too) the match is ${saved.matchScore} instead of ${before}.`;
      }
      setAnalysis(saved);
      setBasis({ resumeText: basis.resumeText, mode: "saved", job: target });
      const label = targetJob ? jobLabel(targetJob) : "the job";
      setSavedTo(targetJob ?? ({ name: target } as JobApplication));
      setSaveNote(note);
      toast.show(`Analysis saved to ${label}.`);
      jobs.reload();
    } catch (err) {
      setSaveError(describeError(err));
    } finally {
      setSaving(false);
    }
  };

  const chooseMode = (m: JobMode) => {
    setMode(m);
    setError(null);
    if (m === "paste" && params.get("job")) {
      params.delete("job");
      setParams(params, { replace: true });
    }
  };

  const busy = upload.phase === "uploading" || upload.phase === "reading";

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold text-slate-900">Resume analysis</h1>
        <p className="mt-1 text-sm text-slate-600">
          See how well your resume matches a job, which skills it shows and what to add.
        </p>
      </div>

      <form onSubmit={onAnalyze} className="space-y-4" noValidate>
        <div className="grid gap-4 lg:grid-cols-2">
          <section className="card space-y-4" aria-labelledby="resume-heading">
            <h2 id="resume-heading" className="text-lg font-semibold text-slate-900">
              1. Your resume
            </h2>
            <DropZone state={upload} onFile={(f) => void onFile(f)} disabled={analyzing} />
            {uploadError && <ErrorMessage error={uploadError} title="The file could not be used" />}
            {readFile && upload.phase === "done" && (
              <div className="rounded-lg bg-green-50 p-3 text-sm text-green-900" role="status" data-testid="upload-done">
                Read {plural(readFile.pages, "page")} from <span className="font-medium break-all">{readFile.name}</span> (
                {typeName(readFile.type)}
                {readFile.ocr ? ", scanned text recognised" : ""}). Check the text below; you can edit it.
                {readFile.warnings.length > 0 && (
                  <ul className="mt-2 list-disc pl-5 text-amber-900">
                    {readFile.warnings.map((w, i) => (
                      <li key={i}>{w}</li>
                    ))}
                  </ul>
                )}
              </div>
            )}
            <div>
              <div className="flex items-baseline justify-between gap-2">
                <label htmlFor="resumeText" className="label">
                  Resume text
                </label>
                {resumeText && (
                  <button
                    type="button"
                    className="text-sm font-medium text-brand-700 hover:underline"
                    onClick={() => {
                      setResumeText("");
                      setReadFile(null);
                      setUpload({ phase: "idle", progress: 0 });
                    }}
                  >
                    Clear
                  </button>
                )}
              </div>
              <textarea
                id="resumeText"
                className="input min-h-48 font-mono text-xs sm:text-sm"
                placeholder="Upload a file above, or paste your resume here."
                value={resumeText}
                maxLength={MAX_TEXT}
                disabled={busy}
                onChange={(e) => setResumeText(e.target.value)}
              />
            </div>
          </section>

          <section className="card space-y-4" aria-labelledby="job-heading">
            <h2 id="job-heading" className="text-lg font-semibold text-slate-900">
              2. The job
            </h2>
            <fieldset>
              <legend className="label">Compare with</legend>
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
                    <input
                      type="radio"
                      name="jobMode"
                      value={value}
                      className="sr-only"
                      checked={mode === value}
                      onChange={() => chooseMode(value)}
                    />
                    {text}
                  </label>
                ))}
              </div>
            </fieldset>
            {mode === "saved" ? (
              <div className="space-y-2">
                <JobPicker id="job" label="Saved job" state={jobs} value={job} onChange={setJob} />
                {jobWithoutDescription && (
                  <p className="text-sm text-amber-800">
                    This job has no description yet.{" "}
                    <button type="button" className="link" onClick={() => chooseMode("paste")}>
                      Paste one
                    </button>{" "}
                    or{" "}
                    <Link className="link" to={`/jobs/${jobId(job)}`}>
                      add it on the job's page
                    </Link>
                    .
                  </p>
                )}
                {selectedJob?.jobDescription?.trim() && (
                  <details className="text-sm text-slate-700">
                    <summary className="cursor-pointer font-medium">Show the description</summary>
                    <p className="mt-2 max-h-48 overflow-y-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2">
                      {selectedJob.jobDescription}
                    </p>
                  </details>
                )}
              </div>
            ) : (
              <div>
                <label htmlFor="jobDescription" className="label">
                  Job description
                </label>
                <textarea
                  id="jobDescription"
                  className="input min-h-48"
                  placeholder="Paste the posting: the role, its requirements and nice-to-haves."
                  value={jobDescription}
                  maxLength={MAX_TEXT}
                  onChange={(e) => setJobDescription(e.target.value)}
                />
              </div>
            )}
          </section>
        </div>

        {error && <ErrorMessage error={error} />}
        <div className="flex flex-wrap items-center gap-3">
          <button type="submit" className="btn-primary px-6 py-2.5 text-base" disabled={analyzing || busy}>
            {analyzing && <Spinner className="h-4 w-4 text-white" />}
            {analyzing ? "Analyzing…" : "Analyze match"}
          </button>
          {analyzing && (
            <span className="text-sm text-slate-600" role="status">
              Comparing your resume with the job…
            </span>
          )}
        </div>
      </form>

      <div ref={resultRef} className="scroll-mt-20">
        {analysis && basis && (
          <AnalysisResult
            analysis={analysis}
            actions={
              <SaveControls
                basis={basis}
                jobs={jobs}
                target={saveTarget}
                onTarget={setSaveTarget}
                saving={saving}
                onSave={() => void onSave()}
                savedTo={savedTo}
                note={saveNote}
                error={saveError}
              />
            }
          />
        )}
      </div>
    </div>
  );
}

function SaveControls({
  basis,
  jobs,
  target,
  onTarget,
  saving,
  onSave,
  savedTo,
  note,
  error,
}: {
  basis: Basis;
  jobs: ReturnType<typeof useJobs>;
  target: string;
  onTarget: (name: string) => void;
  saving: boolean;
  onSave: () => void;
  savedTo: JobApplication | null;
  note: string | null;
  error: string | null;
}) {
  if (savedTo) {
    return (
      <div className="space-y-1 text-sm">
        <p className="flex flex-wrap items-center justify-center gap-2 text-green-800 sm:justify-start" data-testid="saved-note">
          <span aria-hidden="true">✓</span> Saved to {savedTo.company ? jobLabel(savedTo) : "the job"}.
          <Link to={`/jobs/${jobId(savedTo.name)}`} className="link">
            Open the job
          </Link>
        </p>
        {note && <p className="text-slate-700">{note}</p>}
      </div>
    );
  }
  const failed = error ? <ErrorMessage error={error} title="Not saved" className="w-full text-left" /> : null;
  if (basis.mode === "saved") {
    return (
      <>
        <button type="button" className="btn-secondary" onClick={onSave} disabled={saving}>
          {saving && <Spinner className="h-4 w-4" />}
          Save to job
        </button>
        {failed}
      </>
    );
  }
  if (!jobs.loading && jobs.jobs.length === 0) return null;
  return (
    <div className="w-full space-y-2">
      <div className="flex w-full flex-col gap-2 sm:flex-row sm:items-end">
        <div className="min-w-0 flex-1 text-left">
          <JobPicker
            id="saveTarget"
            label="Keep this analysis on"
            state={jobs}
            value={target}
            onChange={onTarget}
            markMissingDescription={false}
          />
        </div>
        <button type="button" className="btn-secondary" onClick={onSave} disabled={saving || !target}>
          {saving && <Spinner className="h-4 w-4" />}
          Save to job
        </button>
      </div>
      {failed}
    </div>
  );
}
