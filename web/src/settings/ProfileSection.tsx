import { useEffect, useId, useState } from "react";
import { api, ApiError } from "../api/client";
import type { User } from "../api/types.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { useToast } from "../components/Toast";
import { ConsentToggle } from "./ConsentToggle";
import { Section, SubSection } from "./Section";
import { ChangePasswordForm } from "./ChangePasswordForm";

export const MAX_DISPLAY_NAME = 100;

/** PATCH /v1/users/me with the given fields (and the etag when given, to catch concurrent edits). */
export function updateProfile(fields: Partial<Pick<User, "displayName" | "externalAiConsent">>, etag?: string): Promise<User> {
  const mask = Object.keys(fields);
  return api.patch<User>("/v1/users/me", { name: "users/me", ...fields, ...(etag ? { etag } : {}) }, mask);
}

/** Display name, email, consent to external AI, and the password. */
export function ProfileSection({
  user,
  onUpdated,
  onPasswordChanged,
}: {
  user: User;
  onUpdated: (user: User) => void;
  onPasswordChanged: () => Promise<void>;
}) {
  const nameId = useId();
  const emailId = useId();
  const toast = useToast();
  const [name, setName] = useState(user.displayName);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // A profile that changed elsewhere (another tab, a reload after a conflict) resets the field.
  useEffect(() => {
    setName(user.displayName);
  }, [user.displayName]);

  const trimmed = name.trim();
  const changed = trimmed !== user.displayName;
  const nameError = error instanceof ApiError ? error.fieldError("display_name") : undefined;
  const conflict = error instanceof ApiError && (error.status === 409 || error.code === 10);

  const save = async () => {
    if (!trimmed) {
      setError("Enter the name you want to be shown.");
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const updated = await updateProfile({ displayName: trimmed }, user.etag);
      onUpdated(updated);
      toast.show("Display name saved");
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const reload = async () => {
    setError(null);
    try {
      onUpdated(await api.get<User>("/v1/users/me"));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section id="profile" title="Profile" description="How you appear in CareerVault, and what may leave this server.">
      <div className="space-y-6">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
          className="space-y-4"
          noValidate
        >
          <div className="grid gap-4 sm:grid-cols-2">
            <div>
              <label htmlFor={nameId} className="label">
                Display name
              </label>
              <input
                id={nameId}
                name="displayName"
                className="input"
                value={name}
                maxLength={MAX_DISPLAY_NAME}
                autoComplete="name"
                onChange={(e) => setName(e.target.value)}
                aria-invalid={nameError ? true : undefined}
                aria-describedby={nameError ? `${nameId}-error` : undefined}
                data-testid="display-name-input"
              />
              {nameError && (
                <p id={`${nameId}-error`} className="mt-1 text-sm text-red-700">
                  {nameError}
                </p>
              )}
            </div>
            <div>
              <label htmlFor={emailId} className="label">
                Email
              </label>
              <input
                id={emailId}
                className="input bg-slate-50 text-slate-700"
                value={user.email}
                readOnly
                aria-describedby={`${emailId}-help`}
                data-testid="profile-email"
              />
              <p id={`${emailId}-help`} className="mt-1 text-xs text-slate-600">
                Your sign-in email{user.emailVerified ? " (confirmed)" : ""}. It cannot be changed here.
              </p>
            </div>
          </div>
          {error !== null && !nameError && (
            <ErrorMessage error={error} onRetry={conflict ? () => void reload() : undefined} />
          )}
          <div className="flex flex-wrap items-center gap-3">
            <button type="submit" className="btn-primary" disabled={!changed || saving} data-testid="save-profile-btn">
              {saving ? "Saving…" : "Save name"}
            </button>
            {changed && !saving && (
              <button type="button" className="btn-ghost" onClick={() => setName(user.displayName)}>
                Undo
              </button>
            )}
          </div>
        </form>

        <SubSection title="External AI">
          <ConsentToggle
            checked={user.externalAiConsent}
            consentTime={user.consentTime}
            onChange={async (next) => {
              const updated = await updateProfile({ externalAiConsent: next });
              onUpdated(updated);
              toast.show(next ? "External AI turned on" : "External AI turned off: everything stays local");
            }}
          />
        </SubSection>

        <SubSection title="Password">
          <ChangePasswordForm onChanged={onPasswordChanged} />
        </SubSection>
      </div>
    </Section>
  );
}

export default ProfileSection;
