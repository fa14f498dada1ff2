// The inputs of a job's plain fields, shared by the add form and the detail page's editor.
import { useId } from "react";
import { Field, inputProps, invalidClass } from "./Field";
import type { DraftKey, JobDraft } from "./jobDraft";
import { PERIODS, PERIOD_LABELS, SOURCE_SUGGESTIONS, STATUSES, STATUS_LABELS, WORK_MODES, WORK_MODE_LABELS } from "./model";
import type { JobApplication_WorkMode, SalaryRange_Period, Status } from "./model";

export type DraftErrors = Partial<Record<DraftKey, string>>;

export const ALL_KEYS: readonly DraftKey[] = [
  "company",
  "position",
  "status",
  "appliedDate",
  "location",
  "workMode",
  "jobUrl",
  "source",
  "salaryMin",
  "salaryMax",
  "salaryCurrency",
  "salaryPeriod",
  "tags",
  "jobDescription",
  "notes",
];

export const DETAIL_KEYS: readonly DraftKey[] = ALL_KEYS.filter(
  (k) => k !== "status" && k !== "jobDescription" && k !== "notes",
);

const input = `input ${invalidClass}`;

export function JobFormFields({
  draft,
  onChange,
  errors,
  keys = ALL_KEYS,
}: {
  draft: JobDraft;
  onChange: (patch: Partial<JobDraft>) => void;
  errors: DraftErrors;
  keys?: readonly DraftKey[];
}) {
  const sourcesId = useId();
  const show = (k: DraftKey) => keys.includes(k);
  const text = (k: DraftKey, hint = false) => ({
    ...inputProps(k, errors[k], hint),
    value: draft[k],
    onChange: (e: { target: { value: string } }) => onChange({ [k]: e.target.value } as Partial<JobDraft>),
  });

  return (
    <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
      {show("company") && (
        <Field id="company" label="Company" required error={errors.company}>
          <input {...text("company")} className={input} autoComplete="organization" maxLength={200} required aria-required="true" />
        </Field>
      )}
      {show("position") && (
        <Field id="position" label="Position" required error={errors.position}>
          <input {...text("position")} className={input} autoComplete="organization-title" maxLength={200} required aria-required="true" />
        </Field>
      )}
      {show("status") && (
        <Field id="status" label="Stage" error={errors.status}>
          <select
            {...inputProps("status", errors.status)}
            className={input}
            value={draft.status}
            onChange={(e) => onChange({ status: e.target.value as Status })}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </Field>
      )}
      {show("appliedDate") && (
        <Field id="appliedDate" label="Applied on" error={errors.appliedDate}>
          <input {...text("appliedDate")} type="date" className={input} />
        </Field>
      )}
      {show("location") && (
        <Field id="location" label="Location" error={errors.location}>
          <input {...text("location")} className={input} placeholder="City, region or country" maxLength={200} />
        </Field>
      )}
      {show("workMode") && (
        <Field id="workMode" label="Work mode" error={errors.workMode}>
          <select
            {...inputProps("workMode", errors.workMode)}
            className={input}
            value={draft.workMode}
            onChange={(e) => onChange({ workMode: e.target.value as JobApplication_WorkMode })}
          >
            <option value="WORK_MODE_UNSPECIFIED">{WORK_MODE_LABELS.WORK_MODE_UNSPECIFIED}</option>
            {WORK_MODES.map((m) => (
              <option key={m} value={m}>
                {WORK_MODE_LABELS[m]}
              </option>
            ))}
          </select>
        </Field>
      )}
      {show("jobUrl") && (
        <Field id="jobUrl" label="Job posting URL" error={errors.jobUrl} className="sm:col-span-2">
          <input {...text("jobUrl")} type="url" inputMode="url" className={input} placeholder="https://…" maxLength={2048} />
        </Field>
      )}
      {show("source") && (
        <Field id="source" label="Source" error={errors.source} hint="Where you found it">
          <input {...text("source", true)} list={sourcesId} className={input} maxLength={100} />
          <datalist id={sourcesId}>
            {SOURCE_SUGGESTIONS.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </Field>
      )}
      {show("tags") && (
        <Field id="tags" label="Tags" error={errors.tags} hint="Separated by commas, e.g. remote, python">
          <input {...text("tags", true)} className={input} />
        </Field>
      )}
      {show("salaryMin") && (
        <fieldset className="sm:col-span-2">
          <legend className="label">Salary</legend>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            <Field id="salaryMin" label={<span className="text-xs text-slate-700">From</span>} error={errors.salaryMin}>
              <input {...text("salaryMin")} type="number" min={0} step="any" inputMode="decimal" className={input} />
            </Field>
            <Field id="salaryMax" label={<span className="text-xs text-slate-700">To</span>} error={errors.salaryMax}>
              <input {...text("salaryMax")} type="number" min={0} step="any" inputMode="decimal" className={input} />
            </Field>
            <Field id="salaryCurrency" label={<span className="text-xs text-slate-700">Currency</span>} error={errors.salaryCurrency}>
              <input
                {...text("salaryCurrency")}
                className={`${input} uppercase`}
                placeholder="USD"
                maxLength={3}
                autoCapitalize="characters"
              />
            </Field>
            <Field id="salaryPeriod" label={<span className="text-xs text-slate-700">Per</span>} error={errors.salaryPeriod}>
              <select
                {...inputProps("salaryPeriod", errors.salaryPeriod)}
                className={input}
                value={draft.salaryPeriod}
                onChange={(e) => onChange({ salaryPeriod: e.target.value as SalaryRange_Period })}
              >
                {PERIODS.map((p) => (
                  <option key={p} value={p}>
                    {PERIOD_LABELS[p].replace(/^per /, "")}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </fieldset>
      )}
      {show("jobDescription") && (
        <Field id="jobDescription" label="Job description" error={errors.jobDescription} className="sm:col-span-2" hint="Paste the posting; resume analysis compares against it">
          <textarea {...text("jobDescription", true)} rows={5} className={input} />
        </Field>
      )}
      {show("notes") && (
        <Field id="notes" label="Notes" error={errors.notes} className="sm:col-span-2">
          <textarea {...text("notes")} rows={3} className={input} />
        </Field>
      )}
    </div>
  );
}
