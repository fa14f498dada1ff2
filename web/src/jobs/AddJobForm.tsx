// The add-application form (in a Modal on the dashboard). Company and position are required;
// the service's field violations are shown next to their inputs.
import { useRef, useState, type FormEvent } from "react";
import { ApiError, friendlyMessage } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { jobsApi, violationsByField } from "./api";
import { checkDraft, draftKeyOf, draftToNewJob, emptyDraft, type JobDraft } from "./jobDraft";
import { ALL_KEYS, JobFormFields, type DraftErrors } from "./JobFormFields";
import type { Job } from "./model";
import { newRequestId, todayInput } from "./model";

export function AddJobForm({ onCreated, onCancel }: { onCreated: (job: Job) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState<JobDraft>(() => emptyDraft(todayInput()));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [formError, setFormError] = useState<string>("");
  const [saving, setSaving] = useState(false);
  // One id per form: a double submit or a retry after a lost answer creates one application.
  const requestId = useRef(newRequestId());
  const formRef = useRef<HTMLFormElement>(null);

  const focusFirstError = (errs: DraftErrors) => {
    const first = ALL_KEYS.find((k) => errs[k]);
    if (first) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`#${first}`)?.focus());
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving) return;
    const local = checkDraft(draft, ALL_KEYS);
    setErrors(local);
    setFormError("");
    if (Object.keys(local).length > 0) {
      setFormError("Check the highlighted fields.");
      focusFirstError(local);
      return;
    }
    setSaving(true);
    try {
      const job = await jobsApi.create(draftToNewJob(draft), requestId.current);
      onCreated(job);
    } catch (err) {
      const byField = violationsByField(err);
      const mapped: DraftErrors = {};
      const unmapped: string[] = [];
      for (const [field, message] of Object.entries(byField)) {
        const key = draftKeyOf(field);
        if (key) mapped[key] = message;
        else unmapped.push(message);
      }
      setErrors(mapped);
      if (Object.keys(mapped).length > 0) {
        setFormError(["Check the highlighted fields.", ...unmapped].join(" "));
        focusFirstError(mapped);
      } else {
        setFormError(friendlyMessage(err));
      }
      // A validation error means nothing was stored: the same id may be reused. Anything else
      // (lost answer, 5xx) keeps it, so a retry cannot create a duplicate.
      if (err instanceof ApiError && err.status === 400) requestId.current = newRequestId();
    } finally {
      setSaving(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-busy={saving} className="space-y-4" data-testid="add-job-form">
      {formError && <ErrorMessage error={formError} />}
      <JobFormFields
        draft={draft}
        errors={errors}
        onChange={(patch) => {
          setDraft((d) => ({ ...d, ...patch }));
          // An edited field's error no longer applies.
          setErrors((errs) => {
            const next = { ...errs };
            for (const k of Object.keys(patch) as (keyof JobDraft)[]) delete next[k];
            return next;
          });
        }}
      />
      <p className="text-xs text-slate-600">
        <span aria-hidden="true">* </span>Required
      </p>
      <div className="flex flex-col-reverse gap-2 border-t border-slate-200 pt-4 sm:flex-row sm:justify-end">
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Add application"}
        </button>
      </div>
    </form>
  );
}
