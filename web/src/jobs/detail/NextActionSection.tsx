import { useState, type FormEvent } from "react";
import { Field, inputProps, invalidClass } from "../Field";
import type { Job, NextAction } from "../model";
import { dateToInput, formatDate, inputToDate, isOverdue } from "../model";
import { EditButton, InlineError, SaveBar, Section, useSave, type SaveFn } from "./Section";

/** What to do next, and by when. */
export function NextActionSection({ job, save }: { job: Job; save: SaveFn }) {
  const [editing, setEditing] = useState<{ description: string; dueDate: string } | null>(null);
  const { saving, error, fieldErrors, run, reset } = useSave(save);
  const action = job.nextAction;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const description = editing.description.trim();
    const dueDate = inputToDate(editing.dueDate);
    const next: NextAction | undefined = description || dueDate ? { description, dueDate } : undefined;
    if (await run(next ? { nextAction: next } : {}, ["nextAction"])) setEditing(null);
  };

  const clear = async () => {
    await run({}, ["nextAction"]);
  };

  const overdue = isOverdue(action?.dueDate);
  return (
    <Section
      title="Next action"
      testId="next-action-section"
      actions={
        !editing && (
          <>
            {action?.description && (
              <button type="button" className="btn-ghost px-3 py-1.5" onClick={clear} disabled={saving}>
                Mark done
              </button>
            )}
            <EditButton
              label={action?.description ? "Edit next action" : "Set next action"}
              onClick={() => {
                reset();
                setEditing({ description: action?.description ?? "", dueDate: dateToInput(action?.dueDate) });
              }}
            >
              {action?.description ? "Edit" : "Set"}
            </EditButton>
          </>
        )
      }
    >
      {editing ? (
        <form onSubmit={onSubmit} noValidate aria-label="Edit next action" className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <Field id="nextActionDescription" label="What to do" error={fieldErrors["nextAction.description"]} className="sm:col-span-2">
            <input
              {...inputProps("nextActionDescription", fieldErrors["nextAction.description"])}
              className={`input ${invalidClass}`}
              placeholder="e.g. Send a thank-you note"
              value={editing.description}
              onChange={(e) => setEditing((ed) => (ed ? { ...ed, description: e.target.value } : ed))}
              autoFocus
            />
          </Field>
          <Field id="nextActionDue" label="By" error={fieldErrors["nextAction.dueDate"]}>
            <input
              {...inputProps("nextActionDue", fieldErrors["nextAction.dueDate"])}
              type="date"
              className={`input ${invalidClass}`}
              value={editing.dueDate}
              onChange={(e) => setEditing((ed) => (ed ? { ...ed, dueDate: e.target.value } : ed))}
            />
          </Field>
          <div className="sm:col-span-3">
            <InlineError message={error} />
            <SaveBar saving={saving} onCancel={() => setEditing(null)} />
          </div>
        </form>
      ) : action?.description || action?.dueDate ? (
        <div className="text-sm">
          <p className="font-medium text-slate-900">{action.description || "(no description)"}</p>
          {action.dueDate && (
            <p className={overdue ? "mt-1 font-medium text-rose-800" : "mt-1 text-slate-700"}>
              {overdue ? "Overdue — was due " : "Due "}
              {formatDate(action.dueDate)}
            </p>
          )}
          <InlineError message={error} />
        </div>
      ) : (
        <p className="text-sm text-slate-600">Nothing planned. Set a next step so it shows on your board and calendar.</p>
      )}
    </Section>
  );
}
