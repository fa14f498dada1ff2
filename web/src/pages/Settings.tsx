import { startTransition, useCallback, useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { tokens } from "../api/client";
import type { User } from "../api/types.gen";
import { useAuth } from "../auth/AuthContext";
import { ErrorMessage } from "../components/ErrorMessage";
import { Loading } from "../components/Spinner";
import { useToast } from "../components/Toast";
import { CalendarFeedSection } from "../settings/CalendarFeedSection";
import { DataSection } from "../settings/DataSection";
import { MfaSection } from "../settings/MfaSection";
import { ProfileSection } from "../settings/ProfileSection";
import { Section } from "../settings/Section";

const SECTIONS = [
  { id: "profile", label: "Profile" },
  { id: "security", label: "Security" },
  { id: "calendar", label: "Calendar" },
  { id: "data", label: "Your data" },
] as const;

/** /settings: profile and consent, password, two-step verification, calendar feed, export and delete. */
export default function Settings() {
  const { user: sessionUser, refreshUser } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  // The newest profile this page has seen (a PATCH answer arrives before the context's refresh).
  const [user, setUser] = useState<User | null>(sessionUser);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const fresh = await refreshUser();
      if (fresh) setUser(fresh);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [refreshUser]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (sessionUser) setUser(sessionUser);
  }, [sessionUser]);

  useEffect(() => {
    document.title = "Settings · CareerVault";
  }, []);

  const onUpdated = useCallback(
    (updated: User) => {
      setUser(updated);
      // Keep the rest of the app (the name in the top bar) in step.
      void refreshUser().catch(() => undefined);
    },
    [refreshUser],
  );

  /**
   * Ends the session here and goes to sign-in with a message (shown there and as a toast). Used
   * after a password change and after deleting the account: the server has already ended every
   * session then, so only the local tokens go. Clearing them and navigating in one transition
   * renders the sign-in page directly; otherwise the signed-out /settings would first redirect
   * to sign-in on its own, with a "come back to /settings" that wins over this navigation.
   */
  const leave = useCallback(
    async (notice: string) => {
      startTransition(() => {
        tokens.clear();
        navigate("/signin", { replace: true, state: { notice } });
      });
      toast.show(notice, "info");
    },
    [toast, navigate],
  );

  let body;
  if (!user && loading) {
    body = <Loading label="Loading your settings…" />;
  } else if (!user) {
    body = <ErrorMessage error={error ?? "Your profile could not be loaded."} title="Settings could not be loaded" onRetry={() => void load()} />;
  } else {
    body = (
      <div className="space-y-6">
        {error !== null && <ErrorMessage error={error} title="Showing what was loaded earlier" onRetry={() => void load()} />}
        <ProfileSection
          user={user}
          onUpdated={onUpdated}
          onPasswordChanged={() => leave("Your password was changed. Sign in with the new password.")}
        />
        <Section
          id="security"
          title="Security"
          description="Two-step verification asks for a code from your phone when you sign in, so a password alone is not enough."
        >
          <MfaSection user={user} onUpdated={onUpdated} />
        </Section>
        <CalendarFeedSection />
        <DataSection user={user} onDeleted={() => leave("Your account and all your data were deleted.")} />
      </div>
    );
  }

  return (
    <div className="mx-auto w-full max-w-3xl">
      <header className="mb-6">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Settings</h1>
        <p className="mt-1 text-sm text-slate-600">Your profile, sign-in security, calendar and data.</p>
        {user && (
          <nav aria-label="Settings sections" className="mt-4">
            <ul className="flex flex-wrap gap-2">
              {SECTIONS.map((s) => (
                <li key={s.id}>
                  <a
                    href={`#${s.id}`}
                    className="inline-block rounded-full border border-slate-300 bg-white px-3 py-1 text-sm font-medium text-slate-700 hover:bg-slate-100"
                  >
                    {s.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      {body}
    </div>
  );
}
