import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, errorFromBody, formatBytes, readJsonStream, tokens } from "./client";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
}

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
  tokens.reset();
  tokens.clear();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function withReason(status: number, code: number, reason: string, message: string, metadata?: Record<string, string>) {
  return errorFromBody(
    status,
    JSON.stringify({
      code,
      message,
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "careervault.dev", metadata }],
    }),
  );
}

describe("error mapping", () => {
  it("reads ErrorInfo reason, metadata and field violations", () => {
    const err = errorFromBody(
      400,
      JSON.stringify({
        code: 3,
        message: "company: must not be empty",
        details: [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_JOB", metadata: { field: "company" } },
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "company", description: "must not be empty" }],
          },
        ],
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe(3);
    expect(err.reason).toBe("INVALID_JOB");
    expect(err.metadata).toEqual({ field: "company" });
    expect(err.violations).toEqual([{ field: "company", description: "must not be empty" }]);
    expect(err.fieldError("company")).toBe("must not be empty");
    expect(err.friendly).toBe("Must not be empty.");
  });

  it("uses words a person understands for known reasons", () => {
    const err = errorFromBody(
      401,
      JSON.stringify({
        code: 16,
        message: "bad credentials",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_CREDENTIALS" }],
      }),
    );
    expect(err.friendly).toMatch(/email or password is not right/);
  });

  it("hides Envoy's technical texts and non-JSON bodies behind the status", () => {
    expect(errorFromBody(503, JSON.stringify({ code: 14, message: "no healthy upstream" })).friendly).toMatch(
      /not available right now/,
    );
    expect(errorFromBody(502, "<html>Bad gateway</html>").friendly).toMatch(/not available/);
    expect(errorFromBody(429, "").friendly).toMatch(/Wait a moment/);
  });

  it("explains a lost update (ETAG_MISMATCH from jobs, JOB_CHANGED from ai) in plain words", () => {
    const etag = withReason(409, 10, "ETAG_MISMATCH", "etag mismatch: the job changed");
    expect(etag.friendly).toMatch(/changed somewhere else/);
    expect(etag.friendly).toMatch(/Reload/);
    expect(etag.friendly).not.toMatch(/etag/i);
    expect(withReason(409, 10, "JOB_CHANGED", "The job changed while it was being analysed; analyse it again.").friendly).toBe(
      "The job was changed while it was being analyzed. Analyze it again.",
    );
    // Without a reason, a 409/412 still reads as a lost update.
    expect(errorFromBody(412, "").friendly).toMatch(/changed somewhere else/);
  });

  it("has words for the reasons the services send", () => {
    const cases: Array<[number, number, string, string, RegExp]> = [
      [429, 8, "EXTRACTION_BUSY", "The extraction service is busy; try again in a few seconds.", /files are being read/],
      [429, 8, "AI_BUSY", "The AI service is busy; try again in a few seconds.", /assistant is busy/],
      [429, 8, "RATE_LIMITED", "Too many requests; wait a moment and try again.", /Wait a moment/],
      [400, 9, "PDF_ENCRYPTED", "The PDF is password-protected; remove the password and upload it again.", /password-protected/],
      [400, 3, "TYPE_MISMATCH", "The file is a PDF, but its content is a PNG image (image/png).", /do not match its name or type/],
      [429, 8, "OCR_TIMEOUT", "Reading the scan took longer than allowed (15 s a page, 60 s).", /took too long/],
      [400, 3, "IMAGE_TOO_LARGE", "The image has 90000000 pixels; at most 40000000 are accepted.", /image is too large/],
      [400, 3, "DOCX_TOO_LARGE", "The DOCX expands to more than 52428800 bytes; it is refused as a possible zip bomb.", /Word file is too large/],
      [400, 3, "UNSUPPORTED_TYPE", "Unsupported file type: send a PDF, DOCX, ...", /not supported/],
      [401, 16, "UNAUTHENTICATED", "no valid credentials", /session has ended/],
      [401, 16, "TOKEN_MISSING", "Sign in first: a bearer token is required.", /session has ended/],
      [503, 14, "STORE_UNAVAILABLE", "The job store is unavailable at the moment; try again shortly.", /cannot be reached/],
      [503, 14, "JOBS_UNAVAILABLE", "The jobs service cannot be reached at the moment; try again shortly.", /not available right now/],
      [504, 4, "EXTRACTION_TIMEOUT", "The extraction service did not answer in time.", /took too long/],
      [429, 8, "STORAGE_LIMIT", "Your account reached its storage limit.", /storage limit/],
      [400, 3, "RECORD_TOO_LARGE", "This application is too large to store (500000 bytes; at most 400000).", /Shorten/],
      [400, 3, "INVALID_PAGE_TOKEN", "page_token is invalid or belongs to another query.", /Reload the page/],
      [400, 9, "MFA_NOT_SET_UP", "Set up MFA first.", /two-step verification/i],
      [500, 13, "INTERNAL", "Internal error.", /on our side/],
    ];
    for (const [status, code, reason, message, expected] of cases) {
      const err = withReason(status, code, reason, message);
      expect(err.friendly, reason).toMatch(expected);
      expect(err.friendly, reason).not.toMatch(/_|bytes|token|pixels/);
    }
  });

  it("carries the limit or the wait from the service's message into the words", () => {
    expect(
      withReason(400, 3, "FILE_TOO_LARGE", "The file is 12582912 bytes; at most 10485760 are accepted.").friendly,
    ).toMatch(/the limit is 10 MB/);
    expect(withReason(400, 3, "TOO_MANY_PAGES", "The PDF has 31 pages; at most 20 are accepted.").friendly).toMatch(
      /too many pages \(at most 20\)/,
    );
    expect(
      withReason(429, 8, "TOO_MANY_ATTEMPTS", "Too many attempts; try again in 30 seconds.", { retryAfterSeconds: "30" }).friendly,
    ).toBe("Too many attempts. Wait 30 seconds and try again.");
    expect(withReason(429, 8, "TOO_MANY_ATTEMPTS", "Too many attempts; wait a while.").friendly).toMatch(/few minutes/);
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(1536 * 1024)).toBe("1.5 MB");
    expect(formatBytes(2048)).toBe("2 KB");
  });

  it("shows the service's own sentence for a reason without special words", () => {
    const err = withReason(400, 3, "IMPORT_TOO_MANY_ROWS", "The file has more than 1000 rows; split it into smaller files.");
    expect(err.friendly).toBe("The file has more than 1000 rows; split it into smaller files.");
  });

  it("turns a failed fetch into a network ApiError", async () => {
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    const err = await api.get("/v1/jobs").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).friendly).toMatch(/connection/);
  });
});

describe("requests", () => {
  it("attaches the bearer token, query and update mask", async () => {
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { jobs: [] }));
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { name: "jobs/1" }));
    await api.get("/v1/jobs", { pageSize: 20, filter: "", orderBy: undefined });
    await api.patch("/v1/jobs/1", { status: "APPLIED" }, ["status", "notes"]);
    const [url1, init1] = fetchMock.mock.calls[0];
    expect(url1).toBe("/v1/jobs?pageSize=20");
    expect((init1?.headers as Record<string, string>).Authorization).toBe("Bearer A1");
    const [url2, init2] = fetchMock.mock.calls[1];
    expect(url2).toBe("/v1/jobs/1?updateMask=status%2Cnotes");
    expect(init2?.method).toBe("PATCH");
    expect(init2?.body).toBe(JSON.stringify({ status: "APPLIED" }));
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    tokens.set({ accessToken: "old", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    fetchMock
      .mockResolvedValueOnce(jsonResponse(401, { code: 16, message: "Jwt is expired" }))
      .mockResolvedValueOnce(
        jsonResponse(200, { tokens: { accessToken: "new", refreshToken: "R2", expiresIn: 900, tokenType: "Bearer" } }),
      )
      .mockResolvedValueOnce(jsonResponse(200, { name: "users/me" }));
    const me = await api.get<{ name: string }>("/v1/users/me");
    expect(me.name).toBe("users/me");
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(fetchMock.mock.calls[1][0]).toBe("/v1/auth:refresh");
    expect(JSON.parse(String(fetchMock.mock.calls[1][1]?.body))).toEqual({ refreshToken: "R1" });
    expect((fetchMock.mock.calls[2][1]?.headers as Record<string, string>).Authorization).toBe("Bearer new");
    expect(tokens.get()?.refreshToken).toBe("R2");
    expect(JSON.parse(sessionStorage.getItem("careervault.tokens") ?? "{}").accessToken).toBe("new");
  });

  it("does not loop: a second 401 after the refresh is an error", async () => {
    tokens.set({ accessToken: "old", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    fetchMock
      .mockResolvedValueOnce(jsonResponse(401, { code: 16, message: "Jwt is expired" }))
      .mockResolvedValueOnce(jsonResponse(200, { tokens: { accessToken: "new", refreshToken: "R2", expiresIn: 900 } }))
      .mockResolvedValueOnce(jsonResponse(401, { code: 16, message: "Jwt is expired" }));
    const err = await api.get("/v1/users/me").catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it("ends the session when the refresh is refused", async () => {
    tokens.set({ accessToken: "old", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    const seen: unknown[] = [];
    const unsubscribe = tokens.subscribe((t) => seen.push(t));
    fetchMock
      .mockResolvedValueOnce(jsonResponse(401, { code: 16, message: "Jwt is expired" }))
      .mockResolvedValueOnce(
        jsonResponse(401, {
          code: 16,
          message: "refresh token reused",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "REFRESH_TOKEN_REUSED" }],
        }),
      );
    const err = await api.get("/v1/jobs").catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(401);
    expect(tokens.get()).toBeNull();
    expect(sessionStorage.getItem("careervault.tokens")).toBeNull();
    expect(seen).toContain(null);
    unsubscribe();
  });

  it("shares one refresh between concurrent 401s", async () => {
    tokens.set({ accessToken: "old", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    let refreshes = 0;
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input);
      if (url === "/v1/auth:refresh") {
        refreshes++;
        return jsonResponse(200, { tokens: { accessToken: "new", refreshToken: "R2", expiresIn: 900 } });
      }
      const auth = (init?.headers as Record<string, string>).Authorization;
      return auth === "Bearer new" ? jsonResponse(200, { ok: url }) : jsonResponse(401, { code: 16, message: "expired" });
    });
    await Promise.all([api.get("/v1/a"), api.get("/v1/b"), api.get("/v1/c")]);
    expect(refreshes).toBe(1);
  });

  it("never sends a token to the sign-in routes", async () => {
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    fetchMock.mockResolvedValueOnce(jsonResponse(401, { code: 16, message: "bad" }));
    await api.post("/v1/auth:signIn", { email: "a@b.c", password: "x" }).catch(() => undefined);
    expect((fetchMock.mock.calls[0][1]?.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe("NDJSON streams", () => {
  it("parses objects split across chunks and lines", async () => {
    const got: Array<{ delta: string; done: boolean }> = [];
    await readJsonStream(
      streamOf(['{"delta":"Hel', 'lo","done":false}\n{"delta":" wor', 'ld","done":false}\n{"delta":"","done":true}']),
      (m: { delta: string; done: boolean }) => got.push(m),
    );
    expect(got.map((m) => m.delta).join("")).toBe("Hello world");
    expect(got.at(-1)?.done).toBe(true);
  });

  it("also reads a JSON array stream", async () => {
    const got: Array<{ n: number }> = [];
    await readJsonStream(streamOf(['[{"n":1}\n', ',{"n":2}\n', ',{"n":3}]']), (m: { n: number }) => got.push(m));
    expect(got.map((m) => m.n)).toEqual([1, 2, 3]);
  });

  it("api.stream posts the body and delivers every message", async () => {
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 60_000 });
    fetchMock.mockResolvedValueOnce(
      new Response(streamOf(['{"delta":"a","done":false}\n', '{"delta":"b","done":true}\n']), { status: 200 }),
    );
    const deltas: string[] = [];
    await api.stream<{ delta: string }>("/v1/assistant:chat", { messages: [{ role: "user", content: "hi" }] }, (m) =>
      deltas.push(m.delta),
    );
    expect(deltas).toEqual(["a", "b"]);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/v1/assistant:chat");
    expect(init?.method).toBe("POST");
  });

  it("api.stream rejects with ApiError on an HTTP error", async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(503, { code: 14, message: "no healthy upstream" }));
    const err = await api.stream("/v1/assistant:chat", {}, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
  });
});
