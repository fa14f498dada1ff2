// Errors of the analysis, interview and chat calls in words a person understands. The client's
// ApiError.friendly covers the general cases; these are the ones specific to these screens.
import { ApiError, friendlyMessage } from "../api/client";

const MAX_MB = 10;

const REASONS: Record<string, string> = {
  RESUME_MISSING: "Add your resume first: upload a file or paste its text.",
  RESUME_AMBIGUOUS: "Use either the uploaded file or pasted text, not both.",
  RESUME_TOO_LONG: "The resume is too long to analyze. Shorten it to the parts that matter for this job.",
  JOB_MISSING: "Add the job: pick a saved job or paste its description.",
  JOB_AMBIGUOUS: "Use either a saved job or a pasted description, not both.",
  JOB_TOO_LONG: "The job description is too long. Paste only the role's description and requirements.",
  JOB_HAS_NO_DESCRIPTION:
    "This saved job has no description yet. Paste the description here, or add it on the job's page.",
  INVALID_JOB_NAME: "That job could not be found. Pick it again from the list.",
  SAVE_NEEDS_JOB: "Pick the saved job to keep this analysis on.",
  JOB_CHANGED: "The job was changed while it was being analyzed. Analyze it again, then save.",
  DOCUMENT_HAS_NO_TEXT:
    "No text could be read from this file. If it is a scan, try a sharper one; or paste the resume's text.",
  EMPTY_FILE: "The file is empty. Choose the resume file again.",
  FILE_TOO_LARGE: `The file is larger than ${MAX_MB} MB. Save a smaller version (for example a PDF without images).`,
  PDF_ENCRYPTED: "This PDF is password-protected. Save a copy without a password, or paste the text.",
  PDF_UNREADABLE: "This PDF could not be read; it may be damaged. Export it again, or paste the text.",
  DOCX_UNREADABLE: "This Word file could not be read; it may be damaged. Save it again, or paste the text.",
  DOCX_TOO_LARGE: "This Word file is too large to read. Save it as PDF, or paste the text.",
  IMAGE_UNREADABLE: "This image could not be read. Try a PNG or JPEG scan, or paste the text.",
  IMAGE_TOO_LARGE: "This image is too large. Scan at a lower resolution (300 dpi is plenty).",
  TOO_MANY_PAGES: "This document has too many pages for a resume. Upload just the resume.",
  TYPE_MISMATCH: "The file's contents do not match its type. Save it again as PDF or DOCX.",
  UNSUPPORTED_TYPE: "This kind of file cannot be read. Use a PDF, Word (DOCX), text file or an image (PNG, JPEG, TIFF, WebP).",
  OCR_TIMEOUT: "Reading the scanned pages took too long. Try a PDF with selectable text, or paste the text.",
  DOCUMENT_TOO_COMPLEX: "This document is too complex to read. Save it as a simple PDF, or paste the text.",
  EXTRACTION_BUSY: "Many files are being read right now. Try again in a few seconds.",
  EXTRACTION_WORKER_FAILED: "Reading this file failed. Try again, save it as PDF, or paste the text.",
  AI_BUSY: "The analysis service is busy right now. Try again in a few seconds.",
  AI_ENGINE_UNAVAILABLE: "The analysis engine is not available right now. Try again in a moment.",
  QUESTION_COUNT_OUT_OF_RANGE: "Choose between 1 and 30 questions.",
  CHAT_EMPTY: "Type a message first.",
  CHAT_LAST_NOT_USER: "Type a message first.",
  CHAT_MESSAGE_TOO_LONG: "That message is too long. Keep it under 8,000 characters.",
  CHAT_TOO_LONG: "This conversation is too long. Start a new one.",
  CHAT_TOO_MANY_MESSAGES: "This conversation is too long. Start a new one.",
};

/** A sentence for any error thrown by these screens' calls. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.reason && REASONS[err.reason]) return REASONS[err.reason];
    if (err.status === 413) return REASONS.FILE_TOO_LARGE;
    // The only thing these calls can miss is the saved job they name.
    if (err.status === 404) return "That saved job could not be found; it may have been deleted. Pick another one.";
    if (err.status === 429) return "Too many requests right now. Try again in a few seconds.";
  }
  return friendlyMessage(err);
}

/** Checks a file before uploading it; a sentence when it cannot be sent. */
export function checkFile(file: File): string | null {
  if (file.size === 0) return REASONS.EMPTY_FILE;
  if (file.size > MAX_MB * 1024 * 1024) return REASONS.FILE_TOO_LARGE;
  return null;
}

export const ACCEPTED_FILES =
  ".pdf,.docx,.txt,.md,.png,.jpg,.jpeg,.tif,.tiff,.webp,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain,text/markdown,image/png,image/jpeg,image/tiff,image/webp";
