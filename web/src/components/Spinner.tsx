/** A small spinning indicator; decorative unless `label` is given. */
export function Spinner({ className = "h-5 w-5", label }: { className?: string; label?: string }) {
  return (
    <svg
      className={`animate-spin text-brand-700 ${className}`}
      viewBox="0 0 24 24"
      fill="none"
      role={label ? "img" : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
    >
      <circle className="opacity-25" cx="12" cy="12" r="10" stroke="currentColor" strokeWidth="4" />
      <path className="opacity-90" fill="currentColor" d="M4 12a8 8 0 0 1 8-8v4a4 4 0 0 0-4 4H4z" />
    </svg>
  );
}

/** A loading state for a page or a list: a spinner and a short text, announced politely. */
export function Loading({ label = "Loading…", className = "" }: { label?: string; className?: string }) {
  return (
    <div role="status" aria-live="polite" className={`flex items-center justify-center gap-3 py-12 text-slate-600 ${className}`}>
      <Spinner />
      <span className="text-sm">{label}</span>
    </div>
  );
}

export default Spinner;
