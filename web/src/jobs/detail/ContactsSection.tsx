import { useState, type FormEvent } from "react";
import { Field, inputProps, invalidClass } from "../Field";
import type { Contact, Job } from "../model";
import { InlineError, SaveBar, Section, useSave, type SaveFn } from "./Section";

const EMPTY: Contact = { name: "", role: "", email: "", phone: "", linkedinUrl: "", notes: "" };

/** People met along the way: listed, added and removed (the whole list is saved each time). */
export function ContactsSection({ job, save }: { job: Job; save: SaveFn }) {
  const [draft, setDraft] = useState<Contact | null>(null);
  const [nameError, setNameError] = useState("");
  const { saving, error, run, reset } = useSave(save);
  const contacts = job.contacts;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    if (!draft.name.trim()) {
      setNameError("Enter the person's name.");
      return;
    }
    const contact: Contact = {
      name: draft.name.trim(),
      role: draft.role.trim(),
      email: draft.email.trim(),
      phone: draft.phone.trim(),
      linkedinUrl: draft.linkedinUrl.trim(),
      notes: draft.notes.trim(),
    };
    if (await run({ contacts: [...contacts, contact] }, ["contacts"])) setDraft(null);
  };

  const removeAt = (index: number) => run({ contacts: contacts.filter((_, i) => i !== index) }, ["contacts"]);

  const text = (key: keyof Contact, label: string, type = "text", autoComplete?: string) => (
    <Field id={`contact-${key}`} label={label} error={key === "name" ? nameError : undefined} required={key === "name"}>
      <input
        {...inputProps(`contact-${key}`, key === "name" ? nameError : undefined)}
        type={type}
        autoComplete={autoComplete}
        className={`input ${invalidClass}`}
        value={draft?.[key] ?? ""}
        onChange={(e) => {
          setDraft((d) => (d ? { ...d, [key]: e.target.value } : d));
          if (key === "name") setNameError("");
        }}
      />
    </Field>
  );

  return (
    <Section
      title="Contacts"
      testId="contacts-section"
      actions={
        !draft && (
          <button
            type="button"
            className="btn-secondary px-3 py-1.5"
            onClick={() => {
              reset();
              setNameError("");
              setDraft({ ...EMPTY });
            }}
          >
            Add contact
          </button>
        )
      }
    >
      {contacts.length === 0 && !draft && (
        <p className="text-sm text-slate-600">No contacts yet. Add the recruiter or hiring manager you talk to.</p>
      )}
      {contacts.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {contacts.map((c, i) => (
            <li key={`${c.name}-${i}`} className="flex items-start justify-between gap-3 py-2 first:pt-0">
              <div className="min-w-0 text-sm">
                <p className="font-medium text-slate-900">
                  {c.name}
                  {c.role && <span className="font-normal text-slate-700"> · {c.role}</span>}
                </p>
                <p className="flex flex-wrap gap-x-3 text-slate-700">
                  {c.email && (
                    <a className="link break-all" href={`mailto:${c.email}`}>
                      {c.email}
                    </a>
                  )}
                  {c.phone && (
                    <a className="link" href={`tel:${c.phone.replace(/[^\d+]/g, "")}`}>
                      {c.phone}
                    </a>
                  )}
                  {c.linkedinUrl && /^https?:\/\//i.test(c.linkedinUrl) && (
                    <a className="link" href={c.linkedinUrl} target="_blank" rel="noopener noreferrer">
                      LinkedIn<span className="sr-only"> profile of {c.name} (opens in a new tab)</span>
                    </a>
                  )}
                </p>
                {c.notes && <p className="mt-1 whitespace-pre-wrap break-words text-slate-700">{c.notes}</p>}
              </div>
              <button
                type="button"
                className="btn-ghost shrink-0 px-2 py-1 text-rose-800"
                onClick={() => removeAt(i)}
                disabled={saving}
                aria-label={`Remove contact ${c.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {draft && (
        <form onSubmit={onSubmit} noValidate aria-label="Add contact" className="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-2">
          {text("name", "Name", "text", "off")}
          {text("role", "Role", "text", "off")}
          {text("email", "Email", "email", "off")}
          {text("phone", "Phone", "tel", "off")}
          {text("linkedinUrl", "LinkedIn URL", "url", "off")}
          {text("notes", "Notes", "text", "off")}
          <div className="sm:col-span-2">
            <InlineError message={error} />
            <SaveBar saving={saving} onCancel={() => setDraft(null)} label="Add contact" />
          </div>
        </form>
      )}
      {!draft && <InlineError message={error} />}
    </Section>
  );
}
