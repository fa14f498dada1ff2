import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { Field, inputProps, invalidClass } from "../Field";
import type { Interview, Interview_Kind, Interview_Outcome, Job } from "../model";
import {
  INTERVIEW_KINDS,
  INTERVIEW_KIND_LABELS,
  OUTCOMES,
  OUTCOME_LABELS,
  durationToMinutes,
  formatTime,
  jobId,
  inputToTime,
  minutesToDuration,
  parseTags,
} from "../model";
import { InlineError, SaveBar, Section, useSave, type SaveFn } from "./Section";

interface Draft {
  kind: Interview_Kind;
  start: string;
  minutes: string;
  location: string;
  interviewers: string;
  notes: string;
  outcome: Interview_Outcome;
}

const EMPTY: Draft = { kind: "VIDEO", start: "", minutes: "45", location: "", interviewers: "", notes: "", outcome: "PENDING" };

const sortKey = (i: Interview) => (i.startTime ? Date.parse(i.startTime) : Number.MAX_SAFE_INTEGER);

/** Interview rounds: date and time, format, who, how it went. */
export function InterviewsSection({ job, save }: { job: Job; save: SaveFn }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [startError, setStartError] = useState("");
  const { saving, error, run, reset } = useSave(save);
  const interviews = job.interviews;
  // Show in time order, but keep each one's index in the stored list for edits.
  const ordered = interviews.map((iv, index) => ({ iv, index })).sort((a, b) => sortKey(a.iv) - sortKey(b.iv));
  const now = Date.now();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    const startTime = inputToTime(draft.start);
    if (!startTime) {
      setStartError("Choose the date and time it starts.");
      return;
    }
    const minutes = Number(draft.minutes);
    const interview: Interview = {
      kind: draft.kind,
      startTime,
      duration: draft.minutes.trim() && minutes > 0 ? minutesToDuration(minutes) : undefined,
      location: draft.location.trim(),
      interviewers: parseTags(draft.interviewers),
      notes: draft.notes.trim(),
      outcome: draft.outcome,
    };
    if (await run({ interviews: [...interviews, interview] }, ["interviews"])) setDraft(null);
  };

  const removeAt = (index: number) => run({ interviews: interviews.filter((_, i) => i !== index) }, ["interviews"]);
  const setOutcome = (index: number, outcome: Interview_Outcome) =>
    run({ interviews: interviews.map((iv, i) => (i === index ? { ...iv, outcome } : iv)) }, ["interviews"]);

  const set = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));

  return (
    <Section
      title="Interviews"
      testId="interviews-section"
      actions={
        !draft && (
          <button
            type="button"
            className="btn-secondary px-3 py-1.5"
            onClick={() => {
              reset();
              setStartError("");
              setDraft({ ...EMPTY });
            }}
          >
            Add interview
          </button>
        )
      }
    >
      {interviews.length === 0 && !draft && <p className="text-sm text-slate-600">No interviews scheduled yet.</p>}
      {ordered.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {ordered.map(({ iv, index }) => (
            <InterviewItem
              key={`${iv.startTime}-${index}`}
              interview={iv}
              upcoming={sortKey(iv) > now}
              saving={saving}
              onRemove={() => removeAt(index)}
              onOutcome={(o) => setOutcome(index, o)}
            />
          ))}
        </ul>
      )}
      {draft && (
        <form onSubmit={onSubmit} noValidate aria-label="Add interview" className="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-2">
          <Field id="interview-start" label="Starts" required error={startError}>
            <input
              {...inputProps("interview-start", startError)}
              type="datetime-local"
              className={`input ${invalidClass}`}
              value={draft.start}
              onChange={(e) => {
                set({ start: e.target.value });
                setStartError("");
              }}
            />
          </Field>
          <Field id="interview-minutes" label="Length (minutes)">
            <input
              {...inputProps("interview-minutes")}
              type="number"
              min={0}
              step={5}
              className="input"
              value={draft.minutes}
              onChange={(e) => set({ minutes: e.target.value })}
            />
          </Field>
          <Field id="interview-kind" label="Format">
            <select {...inputProps("interview-kind")} className="input" value={draft.kind} onChange={(e) => set({ kind: e.target.value as Interview_Kind })}>
              {INTERVIEW_KINDS.map((k) => (
                <option key={k} value={k}>
                  {INTERVIEW_KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </Field>
          <Field id="interview-outcome" label="Outcome">
            <select
              {...inputProps("interview-outcome")}
              className="input"
              value={draft.outcome}
              onChange={(e) => set({ outcome: e.target.value as Interview_Outcome })}
            >
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {OUTCOME_LABELS[o]}
                </option>
              ))}
            </select>
          </Field>
          <Field id="interview-location" label="Where" hint="An address or a meeting link">
            <input
              {...inputProps("interview-location", undefined, true)}
              className="input"
              value={draft.location}
              onChange={(e) => set({ location: e.target.value })}
            />
          </Field>
          <Field id="interview-interviewers" label="Interviewers" hint="Separated by commas">
            <input
              {...inputProps("interview-interviewers", undefined, true)}
              className="input"
              value={draft.interviewers}
              onChange={(e) => set({ interviewers: e.target.value })}
            />
          </Field>
          <Field id="interview-notes" label="Notes" className="sm:col-span-2">
            <textarea {...inputProps("interview-notes")} rows={3} className="input" value={draft.notes} onChange={(e) => set({ notes: e.target.value })} />
          </Field>
          <div className="sm:col-span-2">
            <InlineError message={error} />
            <SaveBar saving={saving} onCancel={() => setDraft(null)} label="Add interview" />
          </div>
        </form>
      )}
      {!draft && <InlineError message={error} />}
      {!draft && (
        <p className="mt-3 text-sm">
          <Link to={`/assistant?tab=interview&job=${encodeURIComponent(jobId(job))}`} className="link">
            Prepare: practice questions for this job<span aria-hidden="true"> →</span>
          </Link>
        </p>
      )}
    </Section>
  );
}

function InterviewItem({
  interview: iv,
  upcoming,
  saving,
  onRemove,
  onOutcome,
}: {
  interview: Interview;
  upcoming: boolean;
  saving: boolean;
  onRemove: () => void;
  onOutcome: (o: Interview_Outcome) => void;
}) {
  const outcomeId = useId();
  const minutes = durationToMinutes(iv.duration);
  const when = formatTime(iv.startTime) || "Time not set";
  return (
    <li className="flex flex-col gap-2 py-3 first:pt-0 sm:flex-row sm:items-start sm:justify-between">
      <div className="min-w-0 text-sm">
        <p className="font-medium text-slate-900">
          {INTERVIEW_KIND_LABELS[iv.kind] ?? "Interview"} · <time dateTime={iv.startTime}>{when}</time>
          {minutes ? <span className="font-normal text-slate-700"> · {minutes} min</span> : null}
          {upcoming && <span className="ml-2 rounded-full bg-brand-50 px-2 py-0.5 text-xs font-medium text-brand-800">Upcoming</span>}
        </p>
        {iv.location && (
          <p className="break-words text-slate-700">
            {/^https?:\/\//i.test(iv.location) ? (
              <a className="link break-all" href={iv.location} target="_blank" rel="noopener noreferrer">
                {iv.location}
              </a>
            ) : (
              iv.location
            )}
          </p>
        )}
        {(iv.interviewers ?? []).length > 0 && <p className="text-slate-700">With {iv.interviewers.join(", ")}</p>}
        {iv.notes && <p className="mt-1 whitespace-pre-wrap break-words text-slate-700">{iv.notes}</p>}
      </div>
      <div className="flex shrink-0 items-center gap-2">
        <label htmlFor={outcomeId} className="sr-only">
          Outcome of the {INTERVIEW_KIND_LABELS[iv.kind]?.toLowerCase() ?? "interview"} on {when}
        </label>
        <select
          id={outcomeId}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-900"
          value={iv.outcome === "OUTCOME_UNSPECIFIED" ? "PENDING" : iv.outcome}
          disabled={saving}
          onChange={(e) => onOutcome(e.target.value as Interview_Outcome)}
        >
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {OUTCOME_LABELS[o]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn-ghost px-2 py-1 text-rose-800"
          onClick={onRemove}
          disabled={saving}
          aria-label={`Remove the interview on ${when}`}
        >
          Remove
        </button>
      </div>
    </li>
  );
}
