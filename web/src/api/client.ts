// The one way the SPA talks to the REST API (Envoy's gRPC-JSON transcoder on the same origin).
// Tokens are attached automatically; a 401 triggers one silent refresh (RefreshTokens) and one
// retry, and when that fails the session ends (tokens cleared, listeners told).
import type { AuthTokens, SignInResponse } from "./types.gen";

// ---------------------------------------------------------------------------------------------
// Errors

export interface FieldViolation {
  field: string;
  description: string;
}

/** gRPC status codes as Envoy puts them in `code`. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

// Words a person understands, by ErrorInfo reason (the reasons the services send; see
// `reason=` in services/*/src and the defaults in libs/src/careervault/runtime/errors.py).
// A function gets the service's message and metadata, to carry a number (a limit, a wait) over.
// Reasons not listed here fall back to field violations, then to the service's own message when
// it reads like a sentence for people, then to words for the HTTP status.
type ReasonText = string | ((message: string, metadata: Record<string, string>) => string);

const SESSION_ENDED = "Your session has ended. Sign in again.";
const WRONG_CREDENTIALS = "The email or password is not right. Check them and try again.";
const CHANGED_ELSEWHERE =
  "This was changed somewhere else (maybe in another tab) since you opened it. Reload to see the latest version, then try again.";
const TRY_AGAIN_SOON = "The service is not available right now. Try again in a moment.";
const TOO_SLOW = "That took too long. Try again in a moment.";

/** The first number after `at most` in a service message (limits are in the messages). */
function atMost(message: string): number | null {
  const m = /at most (\d[\d,_]*)/i.exec(message);
  if (!m) return null;
  const n = Number(m[1].replace(/[,_]/g, ""));
  return Number.isFinite(n) ? n : null;
}

/** Bytes as "10 MB" / "512 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) {
    const mb = bytes / (1024 * 1024);
    return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  }
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const REASON_TEXT: Record<string, ReasonText> = {
  // Signing in and the session
  INVALID_CREDENTIALS: WRONG_CREDENTIALS,
  USER_NOT_FOUND: WRONG_CREDENTIALS,
  WRONG_PASSWORD: "The current password is not right.",
  USER_NOT_CONFIRMED: "Your account is not confirmed yet. Enter the code we sent you.",
  ALREADY_CONFIRMED: "This account is confirmed already. Sign in.",
  EMAIL_TAKEN: "An account with this email exists already. Sign in instead?",
  PASSWORD_RESET_REQUIRED: "Choose a new password first: use “Forgot password?” to get a reset code.",
  TOO_MANY_ATTEMPTS: (_m, meta) => {
    const s = Number(meta.retryAfterSeconds);
    if (Number.isFinite(s) && s > 0) {
      const wait = s >= 90 ? `${Math.ceil(s / 60)} minutes` : `${s} second${s === 1 ? "" : "s"}`;
      return `Too many attempts. Wait ${wait} and try again.`;
    }
    return "Too many attempts. Wait a few minutes and try again.";
  },
  RATE_LIMITED: "You're going a bit fast. Wait a moment and try again.",
  CODE_MISMATCH: "That code is not right. Check it and try again.",
  CODE_EXPIRED: "That code has expired. Ask for a new one.",
  CODE_DELIVERY_FAILED: "The code could not be sent right now. Try again in a few minutes.",
  MFA_CODE_INVALID: "That code is not right. Use the current 6-digit code from your app.",
  MFA_CODE_REPLAYED: "That code was used already. Wait for the next one in your app.",
  MFA_ALREADY_ENABLED: "Two-step verification is on already.",
  MFA_NOT_ENABLED: "Two-step verification is not on.",
  MFA_NOT_SET_UP: "Set up two-step verification first.",
  MFA_SETUP_CHANGED: "Two-step verification setup was restarted elsewhere. Use the newest QR code.",
  CHALLENGE_EXPIRED: "The sign-in took too long. Enter your email and password again.",
  UNSUPPORTED_CHALLENGE: "This account needs a sign-in step CareerVault does not support.",
  REFUSED: "The sign-in service refused this request. Check what you entered and try again.",
  UNAUTHENTICATED: SESSION_ENDED,
  TOKEN_MISSING: SESSION_ENDED,
  TOKEN_EXPIRED: SESSION_ENDED,
  TOKEN_REVOKED: SESSION_ENDED,
  TOKEN_MALFORMED: SESSION_ENDED,
  TOKEN_INVALID: SESSION_ENDED,
  TOKEN_UNKNOWN_KEY: SESSION_ENDED,
  TOKEN_WRONG_USE: SESSION_ENDED,
  TOKEN_WRONG_AUDIENCE: SESSION_ENDED,
  TOKEN_CLAIMS_INVALID: SESSION_ENDED,
  TOKEN_ALGORITHM_NOT_ALLOWED: SESSION_ENDED,
  REFRESH_TOKEN_INVALID: SESSION_ENDED,
  REFRESH_TOKEN_REUSED: "For your security this session was ended. Sign in again.",
  JWKS_UNAVAILABLE: "Your sign-in could not be checked right now. Try again in a moment.",
  USER_DELETED: "This account was deleted.",
  ACCOUNT_DELETED: "This account was deleted.",
  ACCOUNT_DELETION_PENDING: "This account is being deleted. Try again later.",
  PERMISSION_DENIED: "You're not allowed to do that.",

  // Changes that crossed (optimistic concurrency)
  ETAG_MISMATCH: CHANGED_ELSEWHERE,
  CONCURRENT_CHANGE: "Other changes were being saved at the same moment. Try again.",
  JOB_CHANGED: "The job was changed while it was being analyzed. Analyze it again.",

  // Job applications
  NOT_FOUND: "This could not be found. It may have been deleted.",
  JOB_NOT_FOUND: "This job application does not exist (any more).",
  INVALID_NAME: "This job application does not exist (any more).",
  FEED_NOT_FOUND: "This calendar feed does not exist any more. Create a new link in Settings.",
  JOB_TOO_LARGE: "This application is too large to save. Shorten the description or notes.",
  RECORD_TOO_LARGE: "This application is too large to save. Shorten the description or notes.",
  STORAGE_LIMIT: "Your account has reached its storage limit. Delete some old applications to make room.",
  INVALID_FILTER: "The list could not be filtered that way. Clear the filter and try again.",
  INVALID_ORDER_BY: "The list could not be sorted that way. Reload the page.",
  INVALID_PAGE_TOKEN: "The list changed while more of it was loading. Reload the page.",
  IMPORT_TOO_LARGE: (m) => {
    const max = atMost(m);
    return `The file is too large to import${max ? ` (the limit is ${formatBytes(max)})` : ""}. Split it into smaller files.`;
  },

  // Files (extraction)
  FILE_TOO_LARGE: (m) => {
    const max = atMost(m);
    return `The file is too large${max ? `: the limit is ${formatBytes(max)}` : ""}. Try a smaller file (for example a PDF without images).`;
  },
  EMPTY_FILE: "The file is empty. Choose the file again.",
  UNSUPPORTED_TYPE: "This kind of file is not supported. Use a PDF, Word (DOCX), text file or an image (PNG, JPEG, TIFF, WebP).",
  TYPE_MISMATCH:
    "The file's contents do not match its name or type (was it renamed?). Save it again in its real format and upload that.",
  PDF_ENCRYPTED: "The PDF is password-protected. Save a copy without a password and try again.",
  PDF_UNREADABLE: "The PDF could not be read; it may be damaged. Export it again and try again.",
  DOCX_UNREADABLE: "The Word file could not be read; it may be damaged. Save it again and try again.",
  DOCX_TOO_LARGE: "The Word file is too large or complex to read. Save it as a PDF and try again.",
  IMAGE_UNREADABLE: "The image could not be read. Try a PNG or JPEG.",
  IMAGE_TOO_LARGE: "The image is too large. Scan or save it at a lower resolution (300 dpi is plenty).",
  TOO_MANY_PAGES: (m) => {
    const max = atMost(m);
    return `The document has too many pages${max ? ` (at most ${max})` : ""}. Upload only the pages you need.`;
  },
  OCR_TIMEOUT: "Reading the scanned pages took too long. Try a PDF with selectable text, or fewer pages.",
  DOCUMENT_TOO_COMPLEX: "The document is too complex to read. Save a simpler version (fewer or smaller images, fewer pages).",
  DOCUMENT_HAS_NO_TEXT: "No text could be read from the document. Try a sharper scan or a file with selectable text.",
  EXTRACTION_WORKER_FAILED: "Reading the file failed. Try again, or save it as a PDF.",

  // Busy or unreachable
  EXTRACTION_BUSY: "Many files are being read right now. Try again in a moment.",
  AI_BUSY: "The assistant is busy. Try again in a moment.",
  RESOURCE_EXHAUSTED: "Too many requests. Wait a moment and try again.",
  UNAVAILABLE: TRY_AGAIN_SOON,
  SERVICE_UNAVAILABLE: TRY_AGAIN_SOON,
  JOBS_UNAVAILABLE: TRY_AGAIN_SOON,
  EXTRACTION_UNAVAILABLE: TRY_AGAIN_SOON,
  AI_ENGINE_UNAVAILABLE: "The assistant is not available right now. Try again later.",
  STORE_UNAVAILABLE: "Your data cannot be reached right now. Try again in a moment.",
  IDENTITY_PROVIDER_UNAVAILABLE: "Sign-in is not available right now. Try again in a moment.",
  JOBS_TIMEOUT: TOO_SLOW,
  EXTRACTION_TIMEOUT: TOO_SLOW,
  INTERNAL: "Something went wrong on our side. Try again.",
  NOT_IMPLEMENTED: "This is not available in this version of CareerVault.",
};

/** The friendly text for a reason, if it has one (also for `<SERVICE>_UNAVAILABLE` / `_TIMEOUT`). */
function reasonText(reason: string, message: string, metadata: Record<string, string>): string | undefined {
  const text = REASON_TEXT[reason] ?? (reason.endsWith("_UNAVAILABLE") ? TRY_AGAIN_SOON : reason.endsWith("_TIMEOUT") ? TOO_SLOW : undefined);
  return typeof text === "function" ? text(message, metadata) : text;
}

const STATUS_TEXT: Record<number, string> = {
  0: "Can't reach CareerVault. Check your connection and try again.",
  400: "Some of the information is not valid. Check the highlighted fields.",
  401: "Your session has ended. Sign in again.",
  403: "You're not allowed to do that.",
  404: "This could not be found.",
  409: CHANGED_ELSEWHERE,
  412: CHANGED_ELSEWHERE,
  413: "That is too large to upload. Try a smaller file.",
  429: "Too many requests. Wait a moment and try again.",
  500: "Something went wrong on our side. Try again.",
  502: "The service is not available right now. Try again in a moment.",
  503: "The service is not available right now. Try again in a moment.",
  504: "That took too long. Try again.",
};

/** Envoy's own texts and other technical messages that should not be shown as they are. */
const TECHNICAL = /^(jwt|upstream|no healthy|grpc|http\/|unexpected|internal|exception|traceback)|stream|protocol/i;

export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly reason: string;
  readonly metadata: Record<string, string>;
  readonly violations: FieldViolation[];
  /** Words a person understands. */
  readonly friendly: string;

  constructor(init: {
    status: number;
    code?: number;
    message?: string;
    reason?: string;
    metadata?: Record<string, string>;
    violations?: FieldViolation[];
  }) {
    const message = init.message ?? `HTTP ${init.status}`;
    super(message);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.metadata = init.metadata ?? {};
    this.violations = init.violations ?? [];
    this.friendly = friendlyText(this.status, this.reason, message, this.metadata, this.violations);
  }

  /** The violation for a field (its proto or JSON name), for inline form errors. */
  fieldError(field: string): string | undefined {
    const camel = field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return this.violations.find(
      (v) => v.field === field || v.field === camel || v.field.endsWith(`.${field}`) || v.field.endsWith(`.${camel}`),
    )?.description;
  }
}

function friendlyText(
  status: number,
  reason: string,
  message: string,
  metadata: Record<string, string>,
  violations: FieldViolation[],
): string {
  const known = reason ? reasonText(reason, message, metadata) : undefined;
  if (known) return known;
  if (status === 400 && violations.length > 0) {
    return violations.map((v) => sentence(v.description)).join(" ");
  }
  const human = message && !TECHNICAL.test(message) && !/^HTTP \d+$/.test(message) && message.length < 300;
  if (human && status !== 0 && status < 500) return sentence(message);
  if (human && (status === 503 || status === 500) && reason) return sentence(message);
  return STATUS_TEXT[status] ?? (status >= 500 ? STATUS_TEXT[500] : "Something went wrong. Try again.");
}

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

interface ErrorBody {
  code?: number;
  message?: string;
  details?: Array<{
    "@type"?: string;
    reason?: string;
    metadata?: Record<string, string>;
    fieldViolations?: Array<{ field?: string; description?: string }>;
  }>;
}

/** An ApiError from a status and a (maybe empty, maybe non-JSON) response body. */
export function errorFromBody(status: number, text: string): ApiError {
  let body: ErrorBody = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as ErrorBody;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  let reason = "";
  let metadata: Record<string, string> = {};
  const violations: FieldViolation[] = [];
  for (const d of body.details ?? []) {
    const type = d["@type"] ?? "";
    if (type.endsWith("google.rpc.ErrorInfo")) {
      reason = d.reason ?? "";
      metadata = d.metadata ?? {};
    } else if (type.endsWith("google.rpc.BadRequest")) {
      for (const v of d.fieldViolations ?? []) {
        violations.push({ field: v.field ?? "", description: v.description ?? "" });
      }
    }
  }
  return new ApiError({ status, code: body.code, message: body.message, reason, metadata, violations });
}

export function networkError(cause?: unknown): ApiError {
  const e = new ApiError({ status: 0, code: GrpcCode.UNAVAILABLE, message: "Network error" });
  if (cause !== undefined) (e as { cause?: unknown }).cause = cause;
  return e;
}

/** A person-readable message for anything thrown (ApiError or not). */
export function friendlyMessage(err: unknown): string {
  if (err instanceof ApiError) return err.friendly;
  if (err instanceof DOMException && err.name === "AbortError") return "Stopped.";
  return "Something went wrong. Try again.";
}

// ---------------------------------------------------------------------------------------------
// Tokens
//
// Where tokens live: the access token in memory, and both tokens mirrored in sessionStorage so a
// reload of the tab keeps the user signed in. sessionStorage rather than localStorage because:
// - it is scoped to one tab and gone when the tab or browser closes, so a refresh token is not
//   left on disk for the next person at a shared computer;
// - the server rotates refresh tokens with reuse detection: tabs sharing one refresh token via
//   localStorage would race to rotate it, and the loser's use of the old token looks like theft
//   and revokes the whole session. One token family per tab avoids that.
// (Any storage readable by JavaScript is exposed to XSS; React escaping and no inline scripts
// are the defence there, and rotation + reuse detection limit what a stolen token is worth.)

const STORAGE_KEY = "careervault.tokens";

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  /** ms since epoch when the access token expires. */
  expiresAt: number;
}

type Listener = (tokens: StoredTokens | null) => void;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null;
  }
}

function loadTokens(): StoredTokens | null {
  try {
    const raw = storage()?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const t = JSON.parse(raw) as Partial<StoredTokens>;
    if (typeof t.accessToken !== "string" || typeof t.refreshToken !== "string") return null;
    return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: Number(t.expiresAt) || 0 };
  } catch {
    return null;
  }
}

class TokenStore {
  private current: StoredTokens | null | undefined = undefined;
  private listeners = new Set<Listener>();

  get(): StoredTokens | null {
    if (this.current === undefined) this.current = loadTokens();
    return this.current;
  }

  /** Stores tokens from SignIn/RespondToChallenge/RefreshTokens (a refresh may omit the refresh token). */
  setFromResponse(tokens: AuthTokens): StoredTokens {
    const previous = this.get();
    const next: StoredTokens = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken || previous?.refreshToken || "",
      expiresAt: Date.now() + Math.max(0, tokens.expiresIn || 0) * 1000,
    };
    this.set(next);
    return next;
  }

  set(tokens: StoredTokens | null): void {
    this.current = tokens;
    try {
      if (tokens) storage()?.setItem(STORAGE_KEY, JSON.stringify(tokens));
      else storage()?.removeItem(STORAGE_KEY);
    } catch {
      // storage full or blocked: memory still holds the tokens for this page
    }
    for (const l of [...this.listeners]) l(tokens);
  }

  clear(): void {
    this.set(null);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** For tests: forget the in-memory copy so the next get() reads storage again. */
  reset(): void {
    this.current = undefined;
  }
}

export const tokens = new TokenStore();

// One refresh at a time: concurrent 401s wait for the same refresh.
let refreshing: Promise<boolean> | null = null;

/** Exchanges the refresh token for new tokens. False (and tokens cleared) when the session is over. */
export function refreshTokens(): Promise<boolean> {
  if (refreshing) return refreshing;
  const current = tokens.get();
  if (!current) return Promise.resolve(false);
  if (!current.refreshToken) {
    tokens.clear();
    return Promise.resolve(false);
  }
  refreshing = (async () => {
    try {
      const res = await fetch("/v1/auth:refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (!res.ok) {
        // A network blip (5xx) keeps the tokens for a later try; a refusal ends the session.
        if (res.status === 400 || res.status === 401 || res.status === 403) tokens.clear();
        return false;
      }
      const body = (await res.json()) as SignInResponse;
      if (!body.tokens?.accessToken) {
        tokens.clear();
        return false;
      }
      tokens.setFromResponse(body.tokens);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// ---------------------------------------------------------------------------------------------
// Requests

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>;
export type Query = Record<string, QueryValue>;

export function withQuery(path: string, params?: Query): string {
  if (!params) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
    else q.append(k, String(v));
  }
  const s = q.toString();
  if (!s) return path;
  return path + (path.includes("?") ? "&" : "?") + s;
}

/** Routes that never carry a bearer token and never trigger a refresh. */
function isPublic(path: string): boolean {
  return path.startsWith("/v1/auth:") && !path.startsWith("/v1/auth:signOut");
}

function authHeaders(path: string): Record<string, string> {
  const t = tokens.get();
  return t && !isPublic(path) ? { Authorization: `Bearer ${t.accessToken}` } : {};
}

interface SendOptions {
  method: string;
  body?: BodyInit | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** fetch with the bearer token and a single refresh-and-retry on 401. */
export async function send(path: string, opts: SendOptions): Promise<Response> {
  const attempt = async () => {
    try {
      return await fetch(path, {
        method: opts.method,
        body: opts.body,
        signal: opts.signal,
        headers: { Accept: "application/json", ...opts.headers, ...authHeaders(path) },
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw networkError(err);
    }
  };
  let res = await attempt();
  // One silent refresh and one retry. A refused refresh ends the session (refreshTokens clears
  // the tokens); a refresh that could not reach the server keeps them for the next try.
  if (res.status === 401 && !isPublic(path) && tokens.get()) {
    if (await refreshTokens()) res = await attempt();
  }
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw errorFromBody(res.status, text);
  }
  return res;
}

async function json<T>(res: Response): Promise<T> {
  if (res.status === 204) return {} as T;
  const text = await res.text();
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError({ status: res.status, message: "The server sent an unreadable answer." });
  }
}

const JSON_HEADERS = { "Content-Type": "application/json" };

/** Parses newline-delimited JSON from a byte stream, calling onMessage for each object. Also
 * accepts a JSON array stream (`[{...}\n,{...}]`) in case the gateway is not set to NDJSON. */
export async function readJsonStream<T>(
  body: ReadableStream<Uint8Array>,
  onMessage: (msg: T) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const emit = (line: string) => {
    let s = line.trim();
    if (s.startsWith("[")) s = s.slice(1);
    if (s.startsWith(",")) s = s.slice(1);
    if (s.endsWith("]")) s = s.slice(0, -1);
    if (s.endsWith(",")) s = s.slice(0, -1);
    s = s.trim();
    if (!s) return;
    onMessage(JSON.parse(s) as T);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      emit(line);
    }
  }
  buffer += decoder.decode();
  // The last object may arrive without a newline; an array stream may also put several
  // objects on one line separated by "},{": split those.
  const rest = buffer.trim();
  if (rest) {
    const inner = rest.replace(/^\[/, "").replace(/\]$/, "").trim();
    if (!inner) return;
    try {
      emit(inner);
    } catch {
      const parsed = JSON.parse(`[${inner}]`) as T[];
      parsed.forEach(onMessage);
    }
  }
}

export const api = {
  async get<T>(path: string, params?: Query, signal?: AbortSignal): Promise<T> {
    return json<T>(await send(withQuery(path, params), { method: "GET", signal }));
  },

  async post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return json<T>(
      await send(path, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body ?? {}), signal }),
    );
  },

  /** PATCH with `?updateMask=a,b` (field names in the API's JSON or proto spelling). */
  async patch<T>(path: string, body: unknown, updateMask: string[]): Promise<T> {
    const url = withQuery(path, updateMask.length ? { updateMask: updateMask.join(",") } : undefined);
    return json<T>(await send(url, { method: "PATCH", headers: JSON_HEADERS, body: JSON.stringify(body ?? {}) }));
  },

  async del(path: string, params?: Query): Promise<void> {
    await send(withQuery(path, params), { method: "DELETE" });
  },

  /** A GET whose answer is not JSON (HttpBody: CSV, ICS, ...). */
  async blob(path: string, params?: Query): Promise<Blob> {
    const res = await send(withQuery(path, params), { method: "GET", headers: { Accept: "*/*" } });
    return res.blob();
  },

  /**
   * Uploads a file as the raw request body (an HttpBody route such as `/v1/documents:upload`),
   * reporting progress (0..1). `filename` is added to the query unless the path has one.
   */
  upload<T>(path: string, file: File, onProgress?: (fraction: number) => void): Promise<T> {
    const url = /[?&]filename=/.test(path) ? path : withQuery(path, { filename: file.name });
    const once = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", url);
        xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
        xhr.setRequestHeader("Accept", "application/json");
        for (const [k, v] of Object.entries(authHeaders(url))) xhr.setRequestHeader(k, v);
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && onProgress) onProgress(e.total ? e.loaded / e.total : 0);
        };
        xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
        xhr.onerror = () => reject(networkError());
        xhr.onabort = () => reject(new DOMException("Aborted", "AbortError"));
        xhr.send(file);
      });
    return (async () => {
      let r = await once();
      if (r.status === 401 && tokens.get() && (await refreshTokens())) r = await once();
      if (r.status < 200 || r.status >= 300) throw errorFromBody(r.status, r.text);
      onProgress?.(1);
      return (r.text ? JSON.parse(r.text) : {}) as T;
    })();
  },

  /**
   * A server-streaming call (the assistant chat): POSTs `body` and calls onMessage for every
   * message as it arrives. Envoy sends one JSON object per line (NDJSON). Resolves at the end
   * of the stream; rejects with ApiError on an HTTP error, or AbortError when `signal` aborts.
   */
  async stream<T>(path: string, body: unknown, onMessage: (msg: T) => void, signal?: AbortSignal): Promise<void> {
    const res = await send(path, {
      method: "POST",
      headers: { ...JSON_HEADERS, Accept: "application/x-ndjson, application/json" },
      body: JSON.stringify(body ?? {}),
      signal,
    });
    if (!res.body) {
      const text = await res.text();
      const parsed: unknown = text ? JSON.parse(text) : [];
      (Array.isArray(parsed) ? parsed : [parsed]).forEach((m) => onMessage(m as T));
      return;
    }
    await readJsonStream<T>(res.body, onMessage);
  },
};

export default api;
