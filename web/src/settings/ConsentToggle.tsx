import { useId, useState } from "react";
import { ErrorMessage } from "../components/ErrorMessage";
import { Spinner } from "../components/Spinner";

/**
 * The switch for consent to external AI processing, with what it means in plain words. Off by
 * default. `onChange` saves the new value; while it runs the switch is busy, and a failure is
 * shown under it (the switch stays where the server has it).
 */
export function ConsentToggle({
  checked,
  consentTime,
  onChange,
}: {
  checked: boolean;
  /** When the consent last changed (RFC 3339), if ever. */
  consentTime?: string;
  onChange: (next: boolean) => Promise<void>;
}) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const toggle = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onChange(!checked);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const when = consentTime ? formatWhen(consentTime) : "";

  return (
    <div className="space-y-3">
      <div className="flex items-start justify-between gap-4">
        <div className="min-w-0">
          <p id={`${id}-label`} className="text-sm font-medium text-slate-900">
            Allow external AI processing (Google Gemini)
          </p>
          <p className="mt-0.5 text-sm text-slate-600" aria-live="polite">
            {checked ? "On: external AI may be used." : "Off: everything stays on this server."}
            {when && <span className="block text-xs text-slate-600">{checked ? `Consent given on ${when}.` : `Consent withdrawn on ${when}.`}</span>}
          </p>
        </div>
        <div className="flex shrink-0 items-center gap-2">
          {busy && <Spinner className="h-4 w-4" label="Saving" />}
          <button
            type="button"
            role="switch"
            aria-checked={checked}
            aria-labelledby={`${id}-label`}
            aria-describedby={`${id}-help`}
            aria-busy={busy || undefined}
            disabled={busy}
            onClick={() => void toggle()}
            data-testid="consent-toggle"
            className={`relative inline-flex h-7 w-12 shrink-0 cursor-pointer items-center rounded-full border-2 border-transparent transition-colors disabled:cursor-wait disabled:opacity-70 ${
              checked ? "bg-brand-700" : "bg-slate-500"
            }`}
          >
            <span
              aria-hidden="true"
              className={`inline-block h-6 w-6 rounded-full bg-white shadow transition-transform ${checked ? "translate-x-5" : "translate-x-0"}`}
            />
          </button>
        </div>
      </div>
      <div id={`${id}-help`} className="rounded-lg bg-slate-50 p-3 text-sm text-slate-700">
        <p>
          <strong className="font-semibold">Off (the default):</strong> resume analysis, interview prep and the
          assistant use CareerVault's built-in local engine. Nothing you store leaves this server.
        </p>
        <p className="mt-2">
          <strong className="font-semibold">On:</strong> if the person running this CareerVault has set up Google
          Gemini, the text of your resumes and job descriptions is sent to Google Gemini to produce those
          answers. Email addresses and phone numbers are removed before anything is sent. If Gemini is not set
          up, nothing changes.
        </p>
        <p className="mt-2">You can turn this off at any time; it applies from your next request.</p>
      </div>
      <ErrorMessage error={error} />
    </div>
  );
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export default ConsentToggle;
