import { useEffect, useId, useRef, useState } from "react";
import { api, ApiError } from "../api/client";
import type { SetupMfaResponse, User } from "../api/types.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { useToast } from "../components/Toast";
import { MfaQrCode } from "./MfaQrCode";
import { copyText } from "./clipboard";

/** The base32 secret in groups of four, easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");
}

/** Digits only (people paste "123 456"). */
function digits(code: string): string {
  return code.replace(/\D/g, "");
}

type Phase = { kind: "idle" } | { kind: "setup"; setup: SetupMfaResponse } | { kind: "disabling" };

/** TOTP two-step verification: set up with a QR code (or the key), confirm with a code; turn off with a code. */
export function MfaSection({ user, onUpdated }: { user: User; onUpdated: (user: User) => void }) {
  const toast = useToast();
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [justEnabled, setJustEnabled] = useState(false);

  const start = async () => {
    setBusy(true);
    setError(null);
    setJustEnabled(false);
    try {
      const setup = await api.post<SetupMfaResponse>("/v1/users/me/mfa:setup", { name: "users/me" });
      setPhase({ kind: "setup", setup });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (code: string) => {
    const updated = await api.post<User>("/v1/users/me/mfa:verify", { name: "users/me", code: digits(code) });
    setPhase({ kind: "idle" });
    setJustEnabled(true);
    onUpdated(updated);
    toast.show("Two-step verification is on");
  };

  const disable = async (code: string) => {
    const updated = await api.post<User>("/v1/users/me/mfa:disable", { name: "users/me", code: digits(code) });
    setPhase({ kind: "idle" });
    setJustEnabled(false);
    onUpdated(updated);
    toast.show("Two-step verification is off");
  };

  if (user.mfaEnabled) {
    return (
      <div className="space-y-4" data-testid="mfa-section">
        <StatusBadge on />
        {justEnabled ? (
          <div role="status" className="rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="mfa-enabled">
            <p className="font-semibold">Two-step verification is on.</p>
            <p className="mt-1">
              From now on, signing in asks for the 6-digit code from your authenticator app after your password.
            </p>
          </div>
        ) : (
          <p className="text-sm text-slate-600">
            Signing in asks for the 6-digit code from your authenticator app after your password.
          </p>
        )}
        {phase.kind === "disabling" ? (
          <CodeForm
            label="Code from your authenticator app"
            submitLabel="Turn off"
            busyLabel="Turning off…"
            danger
            help="To turn two-step verification off, enter a current code from your app."
            onSubmit={disable}
            onCancel={() => setPhase({ kind: "idle" })}
            testId="mfa-disable"
            autoFocus
          />
        ) : (
          <button type="button" className="btn-secondary" onClick={() => setPhase({ kind: "disabling" })}>
            Turn off two-step verification
          </button>
        )}
      </div>
    );
  }

  return (
    <div className="space-y-4" data-testid="mfa-section">
      <StatusBadge on={false} />
      {phase.kind === "setup" ? (
        <SetupPanel
          setup={phase.setup}
          onVerify={verify}
          onCancel={() => {
            setPhase({ kind: "idle" });
            setError(null);
          }}
          onCopy={async () => {
            toast.show((await copyText(phase.setup.secret)) ? "Key copied" : "Could not copy; select the key and copy it", "info");
          }}
        />
      ) : (
        <>
          <p className="text-sm text-slate-600">
            Protect your account with a second step at sign-in: a 6-digit code from an authenticator app such as
            Google Authenticator, Microsoft Authenticator, 1Password or Aegis.
          </p>
          <ErrorMessage error={error} />
          <button type="button" className="btn-primary" onClick={() => void start()} disabled={busy} data-testid="mfa-setup-btn">
            {busy ? "Starting…" : "Set up two-step verification"}
          </button>
        </>
      )}
    </div>
  );
}

function StatusBadge({ on }: { on: boolean }) {
  return (
    <p className="flex items-center gap-2 text-sm">
      <span className="font-medium text-slate-900">Two-step verification:</span>
      <span
        data-testid="mfa-status"
        className={`rounded-full px-2 py-0.5 text-xs font-semibold ${on ? "bg-emerald-100 text-emerald-900" : "bg-slate-200 text-slate-800"}`}
      >
        {on ? "On" : "Off"}
      </span>
    </p>
  );
}

function SetupPanel({
  setup,
  onVerify,
  onCancel,
  onCopy,
}: {
  setup: SetupMfaResponse;
  onVerify: (code: string) => Promise<void>;
  onCancel: () => void;
  onCopy: () => Promise<void>;
}) {
  const secretId = useId();
  const intro = useRef<HTMLParagraphElement>(null);
  // The button that opened this panel is gone: move focus here so keyboard and screen reader
  // users continue from the instructions.
  useEffect(() => intro.current?.focus(), []);
  return (
    <div className="space-y-5">
      <p ref={intro} tabIndex={-1} className="text-sm font-medium text-slate-900 focus:outline-none">
        Set up your authenticator app
      </p>
      <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700">
        <li>Open your authenticator app and add an account.</li>
        <li>Scan the QR code, or type the key shown below it.</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <div className="flex flex-col items-start gap-5 sm:flex-row">
        <MfaQrCode uri={setup.otpauthUri} />
        <div className="min-w-0 flex-1 space-y-2">
          <p id={secretId} className="text-sm font-medium text-slate-800">
            Can't scan it? Enter this key:
          </p>
          <code
            aria-labelledby={secretId}
            className="block break-all rounded-lg bg-slate-100 px-3 py-2 font-mono text-base tracking-wide text-slate-900"
            data-testid="mfa-secret"
          >
            {groupSecret(setup.secret)}
          </code>
          <p className="text-xs text-slate-600">Time-based (TOTP), 6 digits, every 30 seconds.</p>
          <button type="button" className="btn-ghost -ml-2 px-2 py-1" onClick={() => void onCopy()}>
            Copy key
          </button>
        </div>
      </div>
      <CodeForm
        label="6-digit code from your app"
        submitLabel="Verify and turn on"
        busyLabel="Verifying…"
        onSubmit={onVerify}
        onCancel={onCancel}
        testId="mfa-verify"
      />
    </div>
  );
}

/** A 6-digit code field with submit and cancel; shows the API's error under the field. */
function CodeForm({
  label,
  help,
  submitLabel,
  busyLabel,
  danger = false,
  onSubmit,
  onCancel,
  testId,
  autoFocus = false,
}: {
  autoFocus?: boolean;
  label: string;
  help?: string;
  submitLabel: string;
  busyLabel: string;
  danger?: boolean;
  onSubmit: (code: string) => Promise<void>;
  onCancel: () => void;
  testId: string;
}) {
  const id = useId();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const valid = digits(code).length === 6;
  const fieldError = error instanceof ApiError ? error.friendly : typeof error === "string" ? error : null;

  return (
    <form
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (!valid) {
          setError("Enter the 6-digit code from your authenticator app.");
          return;
        }
        setBusy(true);
        setError(null);
        try {
          await onSubmit(code);
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
      className="space-y-3"
    >
      {help && <p className="text-sm text-slate-600">{help}</p>}
      <div className="max-w-xs">
        <label htmlFor={id} className="label">
          {label}
        </label>
        <input
          id={id}
          className="input font-mono text-lg tracking-[0.3em]"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={7}
          placeholder="123456"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? `${id}-error` : undefined}
          disabled={busy}
          autoFocus={autoFocus}
          data-testid={`${testId}-code`}
        />
        {fieldError && (
          <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-700">
            {fieldError}
          </p>
        )}
      </div>
      {error !== null && !fieldError && <ErrorMessage error={error} />}
      <div className="flex flex-wrap gap-2">
        <button type="submit" className={danger ? "btn-danger" : "btn-primary"} disabled={busy} data-testid={`${testId}-btn`}>
          {busy ? busyLabel : submitLabel}
        </button>
        <button type="button" className="btn-ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export default MfaSection;
