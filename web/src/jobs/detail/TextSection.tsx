import { useState, type FormEvent } from "react";
import { FieldError, inputProps, invalidClass } from "../Field";
import type { Job } from "../model";
import { EditButton, InlineError, SaveBar, Section, useSave, type SaveFn } from "./Section";

type TextField = "notes" | "jobDescription";

/** A long text field (notes, the job description): shown with its line breaks, edited in place. */
export function TextSection({
  job,
  save,
  field,
  title,
  empty,
  rows = 6,
}: {
  job: Job;
  save: SaveFn;
  field: TextField;
  title: string;
  empty: string;
  rows?: number;
}) {
  const [editing, setEditing] = useState<{ base: string; value: string } | null>(null);
  const { saving, error, fieldErrors, run, reset } = useSave(save);
  const value = job[field] ?? "";
  const [expanded, setExpanded] = useState(false);
  const long = value.length > 600;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    if (editing.value === editing.base) {
      setEditing(null);
      return;
    }
    if (await run({ [field]: editing.value }, [field])) setEditing(null);
  };

  const id = `${field}-editor`;
  return (
    <Section
      title={title}
      testId={`${field}-section`}
      actions={
        !editing && (
          <EditButton
            label={`Edit ${title.toLowerCase()}`}
            onClick={() => {
              reset();
              setEditing({ base: value, value });
            }}
          />
        )
      }
    >
      {editing ? (
        <form onSubmit={onSubmit} noValidate aria-label={`Edit ${title.toLowerCase()}`}>
          <label htmlFor={id} className="sr-only">
            {title}
          </label>
          <textarea
            {...inputProps(id, fieldErrors[field])}
            rows={rows}
            className={`input ${invalidClass}`}
            value={editing.value}
            onChange={(e) => setEditing((ed) => (ed ? { ...ed, value: e.target.value } : ed))}
            autoFocus
          />
          <FieldError id={id} error={fieldErrors[field]} />
          <InlineError message={error} />
          <SaveBar saving={saving} onCancel={() => setEditing(null)} />
        </form>
      ) : value ? (
        <div>
          <p className={`text-sm whitespace-pre-wrap break-words text-slate-800 ${long && !expanded ? "line-clamp-[12]" : ""}`}>{value}</p>
          {long && (
            <button type="button" className="link mt-2 text-sm" aria-expanded={expanded} onClick={() => setExpanded((x) => !x)}>
              {expanded ? "Show less" : "Show all"}
            </button>
          )}
        </div>
      ) : (
        <p className="text-sm text-slate-600">{empty}</p>
      )}
    </Section>
  );
}
