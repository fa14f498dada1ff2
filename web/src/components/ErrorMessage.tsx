import { friendlyMessage } from "../api/client";

/** An error in words a person understands (ApiError.friendly), with an optional retry. */
export function ErrorMessage({
  error,
  title,
  onRetry,
  className = "",
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  className?: string;
}) {
  if (error === null || error === undefined || error === false) return null;
  const text = typeof error === "string" ? error : friendlyMessage(error);
  return (
    <div role="alert" className={`flex items-start gap-3 rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-800 ${className}`}>
      <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="mt-0.5 h-4 w-4 shrink-0">
        <path
          fillRule="evenodd"
          d="M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0zm-8-5a.75.75 0 0 1 .75.75v4.5a.75.75 0 0 1-1.5 0v-4.5A.75.75 0 0 1 10 5zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2z"
          clipRule="evenodd"
        />
      </svg>
      <div className="min-w-0 flex-1">
        {title && <p className="font-semibold">{title}</p>}
        <p className="break-words">{text}</p>
      </div>
      {onRetry && (
        <button type="button" onClick={onRetry} className="shrink-0 font-medium text-red-900 underline underline-offset-2 hover:no-underline">
          Try again
        </button>
      )}
    </div>
  );
}

export default ErrorMessage;
