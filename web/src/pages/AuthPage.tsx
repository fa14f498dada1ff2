import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";
import { ApiError } from "../api/client";
import { useAuth, type AuthResult } from "../auth/AuthContext";
import ErrorMessage from "../components/ErrorMessage";
import { Logo } from "../components/Layout";
import { Spinner } from "../components/Spinner";

export type AuthMode = "signin" | "signup" | "mfa" | "confirm" | "forgot" | "reset";

const TITLES: Record<AuthMode, { title: string; subtitle: string }> = {
  signin: { title: "Welcome back", subtitle: "Sign in to keep track of your job search." },
  signup: { title: "Create your account", subtitle: "Free, private, and yours: it takes a minute." },
  mfa: { title: "Two-step verification", subtitle: "Enter the 6-digit code from your authenticator app." },
  confirm: { title: "Confirm your email", subtitle: "We sent a code to your email address. Enter it below." },
  forgot: { title: "Reset your password", subtitle: "We'll send a reset code to your email address." },
  reset: { title: "Choose a new password", subtitle: "Enter the code we sent you and your new password." },
};

const PASSWORD_HINT = "At least 8 characters, with upper and lower case letters, a digit and a symbol.";

function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="label">
        {label}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="mt-1 text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, hint: boolean, error: boolean): string | undefined {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

export default function AuthPage({ initialMode }: { initialMode?: AuthMode }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  // Navigation state: `from` (where a signed-out visit wanted to go) and `notice` (a message from
  // the page that sent us here, e.g. Settings after a password change or account deletion).
  const navState = location.state as { from?: string; notice?: string } | null;
  const from = navState?.from;
  const initialNotice = typeof navState?.notice === "string" ? navState.notice : "";
  const [mode, setMode] = useState<AuthMode>(initialMode ?? (location.pathname === "/signup" ? "signup" : "signin"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [code, setCode] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string>(initialNotice);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  const formId = useId();

  // The notice was shown once: drop it from the history entry, so a reload or Back does not show
  // it again (the rest of the state, `from`, stays).
  useEffect(() => {
    if (!initialNotice) return;
    navigate(location.pathname + location.search, { replace: true, state: from ? { from } : null });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- only on arrival

  // Move focus to the heading when the step changes, so screen readers announce it.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [mode]);

  if (auth.ready && auth.user) {
    return <Navigate to={from && from !== "/signin" ? from : "/dashboard"} replace />;
  }

  const go = (next: AuthMode, message = "") => {
    setError(null);
    setNotice(message);
    setCode("");
    setMode(next);
  };

  const after = (result: AuthResult) => {
    if (result.status === "signedIn") {
      navigate(from && from !== "/signin" ? from : "/dashboard", { replace: true });
    } else if (result.status === "mfa") {
      go("mfa");
    } else {
      go("confirm");
    }
  };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice("");
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const trimmedEmail = email.trim();
    switch (mode) {
      case "signin":
        void run(async () => after(await auth.signIn(trimmedEmail, password)));
        break;
      case "signup":
        void run(async () => after(await auth.signUp(trimmedEmail, password, displayName.trim())));
        break;
      case "mfa":
        void run(async () => {
          try {
            after(await auth.respondMfa(code.trim()));
          } catch (err) {
            if (err instanceof ApiError && err.reason === "CHALLENGE_EXPIRED") {
              go("signin");
            }
            throw err;
          }
        });
        break;
      case "confirm":
        void run(async () => {
          await auth.confirm(trimmedEmail, code.trim());
          if (password) after(await auth.signIn(trimmedEmail, password));
          else go("signin", "Your account is confirmed. Sign in to continue.");
        });
        break;
      case "forgot":
        void run(async () => {
          await auth.forgotPassword(trimmedEmail);
          go("reset", "If an account exists for this email, a reset code is on its way.");
        });
        break;
      case "reset":
        void run(async () => {
          await auth.confirmForgotPassword(trimmedEmail, code.trim(), newPassword);
          setPassword("");
          setNewPassword("");
          go("signin", "Your password was changed. Sign in with the new one.");
        });
        break;
    }
  };

  const apiErr = error instanceof ApiError ? error : null;
  const emailErr = apiErr?.fieldError("email");
  const passwordErr = apiErr?.fieldError(mode === "reset" ? "new_password" : "password");
  const nameErr = apiErr?.fieldError("display_name");
  const codeErr = apiErr?.fieldError("code");
  const { title, subtitle } = TITLES[mode];
  const isEntry = mode === "signin" || mode === "signup";

  const submitLabel: Record<AuthMode, string> = {
    signin: "Sign in",
    signup: "Create my account",
    mfa: "Verify",
    confirm: "Confirm account",
    forgot: "Send reset code",
    reset: "Set new password",
  };

  return (
    <div className="flex min-h-screen bg-slate-50">
      <aside className="relative hidden w-[44%] max-w-xl flex-col justify-between overflow-hidden bg-gradient-to-br from-brand-800 via-brand-700 to-teal-600 p-10 text-white lg:flex">
        <span className="inline-flex items-center gap-2 text-lg font-semibold">
          <svg aria-hidden="true" viewBox="0 0 32 32" className="h-8 w-8">
            <rect width="32" height="32" rx="8" fill="#ffffff" fillOpacity="0.15" />
            <path d="M9 12h14v11a2 2 0 0 1-2 2H11a2 2 0 0 1-2-2z" fill="#fff" />
            <path d="M13 12V9.5A1.5 1.5 0 0 1 14.5 8h3A1.5 1.5 0 0 1 19 9.5V12" stroke="#fff" strokeWidth="2" fill="none" />
          </svg>
          CareerVault
        </span>
        <div>
          <h2 className="text-3xl font-semibold leading-tight">Your whole job search, in one calm place.</h2>
          <ul className="mt-6 space-y-3 text-brand-50">
            {[
              "A board of every application, from saved to offer",
              "Honest, explainable resume matching",
              "Interview prep and a career assistant",
              "Your data stays yours: export or delete it any time",
            ].map((t) => (
              <li key={t} className="flex items-start gap-3">
                <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="mt-0.5 h-5 w-5 shrink-0 text-brand-200">
                  <path
                    fillRule="evenodd"
                    d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0z"
                    clipRule="evenodd"
                  />
                </svg>
                <span>{t}</span>
              </li>
            ))}
          </ul>
        </div>
        <p className="text-sm text-brand-100">Self-hosted. No tracking.</p>
      </aside>

      <main className="flex flex-1 items-start justify-center px-4 py-10 sm:items-center sm:px-6">
        <div className="w-full max-w-md">
          <div className="mb-8 lg:hidden">
            <Logo className="text-lg" />
          </div>

          {isEntry && (
            <div className="mb-6 grid grid-cols-2 rounded-lg bg-slate-200/70 p-1 text-sm font-medium" role="group" aria-label="Choose">
              <button
                type="button"
                aria-pressed={mode === "signin"}
                onClick={() => go("signin")}
                className={`rounded-md px-3 py-2 transition-colors ${mode === "signin" ? "bg-white text-slate-900 shadow-sm" : "text-slate-700 hover:text-slate-900"}`}
              >
                Sign in
              </button>
              <button
                type="button"
                aria-pressed={mode === "signup"}
                onClick={() => go("signup")}
                className={`rounded-md px-3 py-2 transition-colors ${mode === "signup" ? "bg-white text-slate-900 shadow-sm" : "text-slate-700 hover:text-slate-900"}`}
              >
                Create account
              </button>
            </div>
          )}

          <div className="card">
            <h1 ref={headingRef} tabIndex={-1} className="text-2xl font-semibold tracking-tight text-slate-900 focus:outline-none">
              {title}
            </h1>
            <p className="mt-1 text-sm text-slate-600">{subtitle}</p>

            {notice && (
              <p role="status" className="mt-4 rounded-lg border border-brand-200 bg-brand-50 p-3 text-sm text-brand-900">
                {notice}
              </p>
            )}
            <ErrorMessage error={error} className="mt-4" />

            <form id={formId} onSubmit={onSubmit} noValidate={false} className="mt-6 space-y-4">
              {mode === "signup" && (
                <Field id="displayName" label="Your name" error={nameErr}>
                  <input
                    id="displayName"
                    name="displayName"
                    type="text"
                    autoComplete="name"
                    className="input"
                    value={displayName}
                    onChange={(e) => setDisplayName(e.target.value)}
                    maxLength={100}
                    aria-invalid={nameErr ? true : undefined}
                    aria-describedby={describedBy("displayName", false, !!nameErr)}
                  />
                </Field>
              )}

              {(mode === "signin" || mode === "signup" || mode === "forgot" || (mode === "confirm" && !email) || (mode === "reset" && !email)) && (
                <Field id="email" label="Email" error={emailErr}>
                  <input
                    id="email"
                    name="email"
                    type="email"
                    autoComplete={mode === "signup" ? "email" : "username"}
                    required
                    className="input"
                    value={email}
                    onChange={(e) => setEmail(e.target.value)}
                    aria-invalid={emailErr ? true : undefined}
                    aria-describedby={describedBy("email", false, !!emailErr)}
                  />
                </Field>
              )}

              {(mode === "signin" || mode === "signup") && (
                <Field id="password" label="Password" hint={mode === "signup" ? PASSWORD_HINT : undefined} error={passwordErr}>
                  <input
                    id="password"
                    name="password"
                    type="password"
                    autoComplete={mode === "signup" ? "new-password" : "current-password"}
                    required
                    minLength={mode === "signup" ? 8 : undefined}
                    className="input"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    aria-invalid={passwordErr ? true : undefined}
                    aria-describedby={describedBy("password", mode === "signup", !!passwordErr)}
                  />
                </Field>
              )}

              {mode === "signin" && (
                <div className="-mt-1 flex justify-end">
                  <button type="button" className="link text-sm" onClick={() => go("forgot")}>
                    Forgot password?
                  </button>
                </div>
              )}

              {(mode === "mfa" || mode === "confirm" || mode === "reset") && (
                <Field
                  id={mode === "mfa" ? "mfaCode" : mode === "confirm" ? "confirmCode" : "resetCode"}
                  label={mode === "mfa" ? "Authentication code" : mode === "confirm" ? "Confirmation code" : "Reset code"}
                  error={codeErr}
                >
                  <input
                    id={mode === "mfa" ? "mfaCode" : mode === "confirm" ? "confirmCode" : "resetCode"}
                    name="code"
                    type="text"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    required
                    autoFocus
                    className="input tracking-[0.3em]"
                    value={code}
                    onChange={(e) => setCode(e.target.value.replace(/\s+/g, ""))}
                    maxLength={mode === "mfa" ? 6 : 12}
                    pattern={mode === "mfa" ? "[0-9]{6}" : undefined}
                    aria-invalid={codeErr ? true : undefined}
                  />
                </Field>
              )}

              {mode === "reset" && (
                <Field id="newPassword" label="New password" hint={PASSWORD_HINT} error={passwordErr}>
                  <input
                    id="newPassword"
                    name="newPassword"
                    type="password"
                    autoComplete="new-password"
                    required
                    minLength={8}
                    className="input"
                    value={newPassword}
                    onChange={(e) => setNewPassword(e.target.value)}
                    aria-invalid={passwordErr ? true : undefined}
                    aria-describedby={describedBy("newPassword", true, !!passwordErr)}
                  />
                </Field>
              )}

              <button type="submit" className="btn-primary w-full py-2.5" disabled={busy}>
                {busy && <Spinner className="h-4 w-4 text-white" />}
                {submitLabel[mode]}
              </button>
            </form>

            {!isEntry && (
              <div className="mt-6 flex flex-wrap items-center justify-between gap-2 text-sm">
                <button type="button" className="link" onClick={() => go("signin")}>
                  Back to sign in
                </button>
                {mode === "reset" && (
                  <button
                    type="button"
                    className="link"
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        await auth.forgotPassword(email.trim());
                        setNotice("A new code is on its way.");
                      })
                    }
                  >
                    Send a new code
                  </button>
                )}
              </div>
            )}
          </div>

          {mode === "signin" && (
            <p className="mt-6 text-center text-sm text-slate-600">
              New to CareerVault?{" "}
              <button type="button" className="link" onClick={() => go("signup")}>
                Create an account
              </button>
            </p>
          )}
        </div>
      </main>
    </div>
  );
}
