import type { ReactNode } from "react";

/** Props that tie an input to its label and its error message. */
export function inputProps(id: string, error?: string, hint?: boolean) {
  const describedBy = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  return {
    id,
    name: id,
    "aria-invalid": error ? (true as const) : undefined,
    "aria-describedby": describedBy || undefined,
  };
}

/** A labelled form field: label, the control (children), a hint and the error next to it. */
export function Field({
  id,
  label,
  error,
  hint,
  required = false,
  className = "",
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={id} className="label">
        {label}
        {required && (
          <span className="text-rose-800" aria-hidden="true">
            {" "}
            *
          </span>
        )}
      </label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      )}
      <FieldError id={id} error={error} />
    </div>
  );
}

export function FieldError({ id, error }: { id: string; error?: string }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="mt-1 text-sm text-rose-800" data-testid={`${id}-error`}>
      {error}
    </p>
  );
}

/** A red outline on invalid inputs (added to the shared `.input` class). */
export const invalidClass = "aria-[invalid=true]:border-rose-700 aria-[invalid=true]:ring-rose-700/30";
