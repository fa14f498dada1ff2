// A <select> of the caller's saved jobs, with loading, error and empty states.
import { Link } from "react-router-dom";
import ErrorMessage from "../components/ErrorMessage";
import { Spinner } from "../components/Spinner";
import { jobLabel, type JobsState } from "./useJobs";

export default function JobPicker({
  id,
  label,
  state,
  value,
  onChange,
  placeholder = "Choose a saved job…",
  markMissingDescription = true,
}: {
  id: string;
  label: string;
  state: JobsState;
  value: string;
  onChange: (name: string) => void;
  placeholder?: string;
  markMissingDescription?: boolean;
}) {
  if (state.loading && state.jobs.length === 0) {
    return (
      <div className="flex items-center gap-2 py-2 text-sm text-slate-600" role="status">
        <Spinner className="h-4 w-4" /> Loading your jobs…
      </div>
    );
  }
  if (state.error && state.jobs.length === 0) {
    return <ErrorMessage error={state.error} title="Could not load your jobs" onRetry={state.reload} />;
  }
  if (state.jobs.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 p-3 text-sm text-slate-700">
        No saved jobs yet. Paste a description instead, or{" "}
        <Link to="/dashboard" className="link">
          add a job on the dashboard
        </Link>
        .
      </p>
    );
  }
  const known = state.jobs.some((j) => j.name === value);
  return (
    <div>
      <label htmlFor={id} className="label">
        {label}
      </label>
      <select id={id} className="input" value={known ? value : ""} onChange={(e) => onChange(e.target.value)}>
        <option value="">{placeholder}</option>
        {state.jobs.map((j) => (
          <option key={j.name} value={j.name}>
            {jobLabel(j)}
            {markMissingDescription && !j.jobDescription?.trim() ? " (no description)" : ""}
          </option>
        ))}
      </select>
    </div>
  );
}
