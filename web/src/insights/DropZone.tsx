// Drop a resume file here, or choose one. Shows the upload's progress and what was read.
import { useId, useRef, useState, type DragEvent } from "react";
import { ACCEPTED_FILES } from "./errors";
import { fileSize } from "./format";

export interface UploadState {
  phase: "idle" | "uploading" | "reading" | "done" | "error";
  /** 0..1 while uploading. */
  progress: number;
  fileName?: string;
  fileBytes?: number;
}

export default function DropZone({
  state,
  onFile,
  disabled = false,
}: {
  state: UploadState;
  onFile: (file: File) => void;
  disabled?: boolean;
}) {
  const inputId = useId();
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const busy = state.phase === "uploading" || state.phase === "reading";

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    if (disabled || busy) return;
    const file = e.dataTransfer.files?.[0];
    if (file) onFile(file);
  };

  const pct = Math.round(state.progress * 100);
  return (
    <div
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled && !busy) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="drop-zone"
      className={`relative rounded-xl border-2 border-dashed p-5 text-center transition-colors focus-within:border-brand-600 ${
        over ? "border-brand-600 bg-brand-50" : "border-slate-300 bg-slate-50"
      }`}
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" className="mx-auto h-8 w-8 text-brand-700">
        <path strokeLinecap="round" strokeLinejoin="round" d="M12 16.5V3.75m0 0L7.5 8.25M12 3.75l4.5 4.5M3.75 15v3A2.25 2.25 0 0 0 6 20.25h12A2.25 2.25 0 0 0 20.25 18v-3" />
      </svg>
      <p className="mt-2 text-sm text-slate-800">
        <span className="font-medium">Drop your resume here</span> or{" "}
        <label htmlFor={inputId} className="cursor-pointer font-medium text-brand-700 underline underline-offset-2">
          choose a file
        </label>
      </p>
      <p id={hintId} className="mt-1 text-xs text-slate-600">
        PDF, Word (DOCX), a scan (PNG, JPEG, TIFF, WebP) or text; up to 10 MB.
      </p>
      <input
        ref={input}
        id={inputId}
        type="file"
        accept={ACCEPTED_FILES}
        aria-describedby={hintId}
        data-testid="resume-file"
        className="sr-only"
        disabled={disabled || busy}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          // Choosing the same file again must fire again.
          e.target.value = "";
        }}
      />
      {busy && (
        <div className="mt-4 text-left" role="status" aria-live="polite">
          <div className="flex justify-between text-xs text-slate-700">
            <span className="min-w-0 truncate">
              {state.phase === "uploading" ? `Uploading ${state.fileName ?? "file"}` : `Reading ${state.fileName ?? "file"}…`}
            </span>
            <span className="tabular-nums">{state.phase === "uploading" ? `${pct}%` : ""}</span>
          </div>
          <div
            className="mt-1 h-2 w-full overflow-hidden rounded-full bg-slate-200"
            role="progressbar"
            aria-label={state.phase === "uploading" ? "Upload progress" : "Reading the file"}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={state.phase === "uploading" ? pct : undefined}
          >
            <div
              className={`h-full rounded-full bg-brand-600 ${state.phase === "reading" ? "w-full animate-pulse" : ""}`}
              style={state.phase === "uploading" ? { width: `${pct}%` } : undefined}
            />
          </div>
          {state.fileBytes !== undefined && <p className="mt-1 text-xs text-slate-600">{fileSize(state.fileBytes)}</p>}
        </div>
      )}
    </div>
  );
}
