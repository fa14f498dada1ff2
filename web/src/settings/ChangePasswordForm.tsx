import { useId, useState } from "react";
import { api, ApiError } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";

/** What the new password still needs, in the words of the identity service's policy. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 8) problems.push("at least 8 characters");
  if (!/[A-Z]/.test(password)) problems.push("an upper-case letter");
  if (!/[a-z]/.test(password)) problems.push("a lower-case letter");
  if (!/\d/.test(password)) problems.push("a digit");
  if (!/[^A-Za-z0-9]/.test(password)) problems.push("a symbol");
  return problems;
}

/**
 * Current password + new password (twice). The server ends every session when the password
 * changes (this one too), so `onChanged` signs out and sends the user to sign in again.
 */
export function ChangePasswordForm({ onChanged }: { onChanged: () => Promise<void> }) {
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [touched, setTouched] = useState(false);

  const problems = next ? passwordProblems(next) : [];
  const mismatch = again !== "" && again !== next;
  const apiError = error instanceof ApiError ? error : null;
  const currentError = apiError?.reason === "WRONG_PASSWORD" ? apiError.friendly : apiError?.fieldError("current_password");
  const newError = apiError?.fieldError("new_password");

  const submit = async () => {
    setTouched(true);
    if (!current || !next || problems.length > 0 || next !== again) return;
    setBusy(true);
    setError(null);
    try {
      await api.post("/v1/users/me:changePassword", { name: "users/me", currentPassword: current, newPassword: next });
      setCurrent("");
      setNext("");
      setAgain("");
      await onChanged();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      noValidate
      className="space-y-4"
    >
      <p className="text-sm text-slate-600">
        Changing your password signs you out everywhere, including here; sign in again with the new one.
      </p>
      <div className="grid gap-4 sm:grid-cols-3">
        <div>
          <label htmlFor={`${id}-current`} className="label">
            Current password
          </label>
          <input
            id={`${id}-current`}
            type="password"
            className="input"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            aria-invalid={currentError || (touched && !current) ? true : undefined}
            aria-describedby={currentError || (touched && !current) ? `${id}-current-error` : undefined}
          />
          {(currentError || (touched && !current)) && (
            <p id={`${id}-current-error`} className="mt-1 text-sm text-red-700">
              {currentError ? sentence(currentError) : "Enter your current password."}
            </p>
          )}
        </div>
        <div>
          <label htmlFor={`${id}-new`} className="label">
            New password
          </label>
          <input
            id={`${id}-new`}
            type="password"
            className="input"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            aria-invalid={newError || (touched && (problems.length > 0 || !next)) ? true : undefined}
            aria-describedby={`${id}-new-help`}
          />
          <p
            id={`${id}-new-help`}
            className={`mt-1 text-xs ${newError || (touched && (problems.length > 0 || !next)) ? "text-red-700" : "text-slate-600"}`}
          >
            {newError
              ? sentence(newError)
              : problems.length > 0
                ? `Needs ${problems.join(", ")}.`
                : next
                  ? "Looks good."
                  : "8+ characters with upper and lower case, a digit and a symbol."}
          </p>
        </div>
        <div>
          <label htmlFor={`${id}-again`} className="label">
            New password again
          </label>
          <input
            id={`${id}-again`}
            type="password"
            className="input"
            autoComplete="new-password"
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            aria-invalid={mismatch || (touched && next !== again) ? true : undefined}
            aria-describedby={mismatch || (touched && next !== again) ? `${id}-again-error` : undefined}
          />
          {(mismatch || (touched && next !== again)) && (
            <p id={`${id}-again-error`} className="mt-1 text-sm text-red-700">
              The two new passwords differ.
            </p>
          )}
        </div>
      </div>
      {error !== null && !currentError && !newError && <ErrorMessage error={error} />}
      <button type="submit" className="btn-secondary" disabled={busy} data-testid="change-password-btn">
        {busy ? "Changing…" : "Change password"}
      </button>
    </form>
  );
}

function sentence(s: string): string {
  const t = s.trim();
  const u = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(u) ? u : `${u}.`;
}

export default ChangePasswordForm;
