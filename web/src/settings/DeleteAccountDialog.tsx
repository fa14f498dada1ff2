import { useEffect, useId, useState } from "react";
import { Modal } from "../components/Modal";
import { ErrorMessage } from "../components/ErrorMessage";

/** Whether `typed` confirms deleting the account of `email`: the email itself or the word DELETE. */
export function confirmsDeletion(typed: string, email: string): boolean {
  const t = typed.trim();
  if (!t) return false;
  if (t === "DELETE") return true;
  return email.trim() !== "" && t.toLowerCase() === email.trim().toLowerCase();
}

/**
 * "Delete my account" confirmation: says what goes, and enables the button only once the user
 * has typed their email or DELETE. `onConfirm` deletes (and then leaves the page); a failure is
 * shown in the dialog.
 */
export function DeleteAccountDialog({
  open,
  email,
  onClose,
  onConfirm,
}: {
  open: boolean;
  email: string;
  onClose: () => void;
  onConfirm: () => Promise<void>;
}) {
  const inputId = useId();
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (open) {
      setTyped("");
      setError(null);
    }
  }, [open]);

  const ok = confirmsDeletion(typed, email);

  const submit = async () => {
    if (!ok || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      onClose={() => {
        if (!busy) onClose();
      }}
      title="Delete your account?"
      size="sm"
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        className="space-y-4"
      >
        <div className="space-y-2 text-sm text-slate-700">
          <p>
            This permanently deletes your account <strong className="break-all font-semibold text-slate-900">{email}</strong>{" "}
            and everything in it: your job applications, their history, notes, contacts and interviews, saved
            analyses and your calendar feed.
          </p>
          <p className="font-medium text-red-800">It cannot be undone.</p>
          <p>If you want a copy, use “Export my data” first.</p>
        </div>
        <div>
          <label htmlFor={inputId} className="label">
            To confirm, type your email or <span className="font-mono">DELETE</span>
          </label>
          <input
            id={inputId}
            className="input"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            disabled={busy}
            data-testid="delete-confirm-input"
          />
        </div>
        <ErrorMessage error={error} />
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <button type="button" className="btn-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn-danger" disabled={!ok || busy} data-testid="delete-confirm-btn">
            {busy ? "Deleting…" : "Delete my account"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export default DeleteAccountDialog;
