import { useState, type FormEvent, type ReactNode } from "react";
import { diffDrafts, draftFromJob, draftKeyOf, checkDraft, type JobDraft } from "../jobDraft";
import { DETAIL_KEYS, JobFormFields, type DraftErrors } from "../JobFormFields";
import type { Job, JobField } from "../model";
import { WORK_MODE_LABELS, formatDate, formatSalary } from "../model";
import { EditButton, InlineError, SaveBar, Section, useSave, type SaveFn } from "./Section";

const DETAIL_FIELDS: JobField[] = [
  "company",
  "position",
  "appliedDate",
  "location",
  "workMode",
  "jobUrl",
  "source",
  "salary",
  "tags",
];

/** Company, position, where, when, pay, link, source, tags: shown, and edited together. */
export function DetailsSection({ job, save }: { job: Job; save: SaveFn }) {
  const [editing, setEditing] = useState<{ base: JobDraft; draft: JobDraft } | null>(null);
  const [localErrors, setLocalErrors] = useState<DraftErrors>({});
  const { saving, error, fieldErrors, run, reset } = useSave(save);

  const start = () => {
    const base = draftFromJob(job);
    setEditing({ base, draft: base });
    setLocalErrors({});
    reset();
  };
  const cancel = () => {
    setEditing(null);
    reset();
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const local = checkDraft(editing.draft, DETAIL_KEYS);
    setLocalErrors(local);
    if (Object.keys(local).length > 0) return;
    // Only what the user changed since opening the editor: a reload after a conflict keeps
    // other people's changes to the fields left alone.
    const { mask, changes } = diffDrafts(editing.base, editing.draft, DETAIL_FIELDS);
    if (await run(changes, mask)) setEditing(null);
  };

  const errors: DraftErrors = { ...localErrors };
  for (const [field, message] of Object.entries(fieldErrors)) {
    const key = draftKeyOf(field);
    if (key) errors[key] = message;
  }

  return (
    <Section
      title="Details"
      testId="details-section"
      actions={!editing && <EditButton onClick={start} label="Edit details" />}
    >
      {editing ? (
        <form onSubmit={onSubmit} noValidate aria-label="Edit details">
          <JobFormFields
            draft={editing.draft}
            errors={errors}
            keys={DETAIL_KEYS}
            onChange={(patch) => {
              setEditing((ed) => (ed ? { ...ed, draft: { ...ed.draft, ...patch } } : ed));
              setLocalErrors((errs) => {
                const next = { ...errs };
                for (const k of Object.keys(patch) as (keyof JobDraft)[]) delete next[k];
                return next;
              });
            }}
          />
          <InlineError message={error} />
          <SaveBar saving={saving} onCancel={cancel} />
        </form>
      ) : (
        <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
          <Item label="Company">{job.company}</Item>
          <Item label="Position">{job.position}</Item>
          <Item label="Location">{job.location}</Item>
          <Item label="Work mode">
            {job.workMode && job.workMode !== "WORK_MODE_UNSPECIFIED" ? WORK_MODE_LABELS[job.workMode] : ""}
          </Item>
          <Item label="Applied on">{formatDate(job.appliedDate)}</Item>
          <Item label="Source">{job.source}</Item>
          <Item label="Salary">{formatSalary(job.salary)}</Item>
          <Item label="Tags">
            {job.tags.length > 0 && (
              <ul className="flex flex-wrap gap-1">
                {job.tags.map((t) => (
                  <li key={t} className="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-800">
                    {t}
                  </li>
                ))}
              </ul>
            )}
          </Item>
          <Item label="Job posting" wide>
            {job.jobUrl && (
              <a href={job.jobUrl} target="_blank" rel="noopener noreferrer" className="link break-all">
                {job.jobUrl}
                <span className="sr-only"> (opens in a new tab)</span>
              </a>
            )}
          </Item>
        </dl>
      )}
    </Section>
  );
}

function Item({ label, children, wide = false }: { label: string; children: ReactNode; wide?: boolean }) {
  const empty = children === "" || children === null || children === undefined || children === false;
  return (
    <div className={`min-w-0 ${wide ? "sm:col-span-2" : ""}`}>
      <dt className="text-xs font-medium tracking-wide text-slate-600 uppercase">{label}</dt>
      <dd className="mt-0.5 break-words text-slate-900">{empty ? <NotSet /> : children}</dd>
    </div>
  );
}

export function NotSet() {
  return (
    <>
      <span aria-hidden="true" className="text-slate-600">
        —
      </span>
      <span className="sr-only">Not set</span>
    </>
  );
}
