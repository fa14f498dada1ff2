// Helpers for the jobs components' tests: a scripted fetch and a router + toast wrapper.
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { ToastProvider } from "../components/Toast";
import type { Job } from "./model";

export interface Call {
  method: string;
  url: string;
  body: unknown;
}

type Handler = (call: Call) => { status: number; body?: unknown } | undefined;

/** Replaces fetch: each request goes to the first handler that answers; all calls are kept. */
export function mockFetch(...handlers: Handler[]) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input.toString();
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" && init.body ? (JSON.parse(init.body) as unknown) : undefined;
    const call = { method, url, body };
    calls.push(call);
    for (const h of handlers) {
      const answer = h(call);
      if (answer) {
        return new Response(answer.body === undefined ? "" : JSON.stringify(answer.body), {
          status: answer.status,
          headers: { "Content-Type": "application/json" },
        });
      }
    }
    return new Response(JSON.stringify({ code: 5, message: `no handler for ${method} ${url}` }), { status: 404 });
  });
  vi.stubGlobal("fetch", fn);
  return { calls, fn };
}

export function errorBody(code: number, message: string, reason = "", violations: { field: string; description: string }[] = []) {
  const details: unknown[] = [];
  if (reason) details.push({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "careervault.dev", metadata: {} });
  if (violations.length) details.push({ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: violations });
  return { code, message, details };
}

export const CONFLICT = {
  status: 409,
  body: errorBody(10, "This application changed since you read it; reload and try again.", "ETAG_MISMATCH"),
};

let counter = 0;
export function makeJob(overrides: Partial<Job> = {}): Job {
  counter += 1;
  const id = String(counter).padStart(32, "0");
  return {
    name: `jobs/${id}`,
    company: "Acme",
    position: `Engineer ${counter}`,
    status: "APPLIED",
    location: "",
    workMode: "WORK_MODE_UNSPECIFIED",
    jobUrl: "",
    jobDescription: "",
    notes: "",
    tags: [],
    source: "",
    statusHistory: [{ fromStatus: "STATUS_UNSPECIFIED", status: "APPLIED", changeTime: "2026-11-20T10:00:00Z" }],
    contacts: [],
    interviews: [],
    createTime: "2026-11-20T10:00:00Z",
    updateTime: "2026-11-20T10:00:00Z",
    etag: `etag-${counter}`,
    ...overrides,
  };
}

/** Renders `ui` at `path` (matched by `route`) inside a router and the toast provider. */
export function renderAt(ui: ReactElement, { path = "/", route = "/" }: { path?: string; route?: string } = {}) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <ToastProvider>
        <Routes>
          <Route path={route} element={ui} />
          <Route path="*" element={<p>elsewhere</p>} />
        </Routes>
      </ToastProvider>
    </MemoryRouter>,
  );
}
