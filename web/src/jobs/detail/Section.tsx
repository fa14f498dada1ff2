import { useCallback, useId, useState, type ReactNode } from "react";
import { friendlyMessage } from "../../api/client";
import { isConflict, violationsByField } from "../api";
import type { Job, JobField } from "../model";

export type SaveFn = (changes: Partial<Job>, fields: JobField[]) => Promise<Job>;

/** A card with a heading and actions (Edit, Add, ...). */
export function Section({
  title,
  actions,
  children,
  testId,
  className = "",
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
  className?: string;
}) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className={`card ${className}`} data-testid={testId}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={headingId} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export const CONFLICT_HINT = "Not saved: someone else changed this application. Reload it (above), then save again — what you typed stays here.";

/** Saving from a section: busy flag, an error in words, and field errors keyed by API field. */
export function useSave(save: SaveFn) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const run = useCallback(
    async (changes: Partial<Job>, fields: JobField[]): Promise<boolean> => {
      setSaving(true);
      setError("");
      setFieldErrors({});
      try {
        if (fields.length > 0) await save(changes, fields);
        return true;
      } catch (err) {
        if (isConflict(err)) {
          setError(CONFLICT_HINT);
        } else {
          const byField = violationsByField(err);
          setFieldErrors(byField);
          setError(Object.keys(byField).length > 0 ? "Check the highlighted fields." : friendlyMessage(err));
        }
        return false;
      } finally {
        setSaving(false);
      }
    },
    [save],
  );

  const reset = useCallback(() => {
    setError("");
    setFieldErrors({});
  }, []);

  return { saving, error, fieldErrors, run, reset };
}

export function SaveBar({ saving, onCancel, label = "Save" }: { saving: boolean; onCancel: () => void; label?: string }) {
  return (
    <div className="mt-4 flex flex-wrap justify-end gap-2">
      <button type="button" className="btn-secondary" onClick={onCancel} disabled={saving}>
        Cancel
      </button>
      <button type="submit" className="btn-primary" disabled={saving}>
        {saving ? "Saving…" : label}
      </button>
    </div>
  );
}

export function InlineError({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p role="alert" className="mt-3 rounded-lg border border-red-200 bg-red-50 p-2 text-sm text-red-900">
      {message}
    </p>
  );
}

export function EditButton({ onClick, label, children = "Edit" }: { onClick: () => void; label: string; children?: ReactNode }) {
  return (
    <button type="button" className="btn-secondary px-3 py-1.5" onClick={onClick} aria-label={label}>
      {children}
    </button>
  );
}
