import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokens } from "./api/client";
import App from "./App";
import { AuthProvider } from "./auth/AuthContext";
import { ToastProvider } from "./components/Toast";

const fetchMock = vi.fn<typeof fetch>();

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const ME = { name: "users/u1", email: "ada@example.com", displayName: "Ada" };
const TOKENS = { accessToken: "A2", refreshToken: "R2", expiresIn: 900, tokenType: "Bearer" };

/** A tiny fake API: the profile, sign-in/out, and empty answers for everything a page loads. */
function fakeApi(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = String(input);
  const method = init?.method ?? "GET";
  if (url.startsWith("/v1/users/me")) {
    return Promise.resolve(tokens.get() ? jsonResponse(200, ME) : jsonResponse(401, { code: 16, message: "Sign in first." }));
  }
  if (url === "/v1/auth:signIn" && method === "POST") return Promise.resolve(jsonResponse(200, { tokens: TOKENS }));
  if (url === "/v1/auth:signOut" && method === "POST") return Promise.resolve(jsonResponse(200, {}));
  return Promise.resolve(jsonResponse(200, {}));
}

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + JSON.stringify(location.state ?? null)}</output>;
}

function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <ToastProvider>
        <AuthProvider>
          <App />
          <Where />
        </AuthProvider>
      </ToastProvider>
    </MemoryRouter>,
  );
}

beforeEach(() => {
  fetchMock.mockReset();
  fetchMock.mockImplementation(fakeApi);
  vi.stubGlobal("fetch", fetchMock);
  tokens.reset();
  tokens.clear();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const meCalls = () => fetchMock.mock.calls.filter(([url]) => String(url).startsWith("/v1/users/me")).length;

describe("routes", () => {
  it("a signed-out visit to a protected page goes to sign-in and keeps the way back", async () => {
    renderApp("/no-such-page");
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent('/signin{"from":"/no-such-page"}'));
    expect(await screen.findByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
  });

  it("after an explicit sign-out, signing in again lands on the dashboard, not the page left", async () => {
    const user = userEvent.setup();
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 600_000 });
    // A signed-in page inside the layout that needs no data: the not-found page.
    renderApp("/no-such-page");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent("/signin"));
    expect(screen.getByTestId("where")).not.toHaveTextContent("from");
    expect(tokens.get()).toBeNull();
    expect(fetchMock.mock.calls.some(([url]) => String(url) === "/v1/auth:signOut")).toBe(true);

    await user.type(document.querySelector("#email") as HTMLElement, "ada@example.com");
    await user.type(document.querySelector("#password") as HTMLElement, "Sup3r-Secret!");
    await user.click(document.querySelector('form button[type="submit"]') as HTMLElement);
    await waitFor(() => expect(screen.getByTestId("where")).toHaveTextContent(/^\/dashboard/));
  });

  it("a stored session is kept when the account cannot be loaded just now, and Try again resumes it", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 600_000 });
    let limited = true;
    fetchMock.mockImplementation((input, init) => {
      if (limited && String(input).startsWith("/v1/users/me")) {
        // The gateway's rate limit: 429 with the JSON error body and no details.
        return Promise.resolve(jsonResponse(429, { code: 8, message: "Too many requests: slow down and retry after 1 s.", details: [] }));
      }
      return fakeApi(input, init);
    });
    renderApp("/no-such-page");
    await vi.advanceTimersByTimeAsync(3_500);
    expect(await screen.findByRole("heading", { name: "Your account could not be loaded" })).toBeInTheDocument();
    // The gateway's own words (gateway/render.py, local_reply_config) are meant for people.
    expect(screen.getByRole("alert")).toHaveTextContent("Too many requests: slow down and retry after 1 s.");
    expect(screen.getByTestId("where")).toHaveTextContent("/no-such-page");
    expect(tokens.get()).not.toBeNull();
    expect(meCalls()).toBe(3); // the first try and two more after a pause

    limited = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });

  it("a stored session the API refuses ends: sign-in, tokens dropped, no retry", async () => {
    tokens.set({ accessToken: "A1", refreshToken: "R1", expiresAt: Date.now() + 600_000 });
    fetchMock.mockImplementation((input, init) =>
      String(input).startsWith("/v1/users/me")
        ? Promise.resolve(jsonResponse(401, { code: 16, message: "Sign in first." }))
        : fakeApi(input, init),
    );
    renderApp("/no-such-page");
    expect(await screen.findByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
    expect(tokens.get()).toBeNull();
    expect(meCalls()).toBe(1);
  });
});
