import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokens } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import AuthPage from "./AuthPage";

const fetchMock = vi.fn<typeof fetch>();

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function renderAuth(entry: string | { pathname: string; state?: unknown } = "/signin") {
  return render(
    <MemoryRouter initialEntries={[entry]}>
      <AuthProvider>
        <Routes>
          <Route path="/signin" element={<AuthPage />} />
          <Route path="/dashboard" element={<p>Dashboard page</p>} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
  tokens.reset();
  tokens.clear();
});

afterEach(() => vi.unstubAllGlobals());

describe("AuthPage", () => {
  it("starts on sign-in and switches to sign-up, which shows #displayName", async () => {
    const user = userEvent.setup();
    const { container } = renderAuth();
    expect(container.querySelector("#email")).toBeInTheDocument();
    expect(container.querySelector("#password")).toBeInTheDocument();
    expect(container.querySelector("#displayName")).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(container.querySelector("#displayName")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Create your account" })).toBeInTheDocument();
    expect(container.querySelectorAll('button[type="submit"]')).toHaveLength(1);
    expect(screen.getByLabelText("Your name")).toBe(container.querySelector("#displayName"));
  });

  it("signs in and goes to the dashboard", async () => {
    const user = userEvent.setup();
    fetchMock
      .mockResolvedValueOnce(
        jsonResponse(200, { tokens: { accessToken: "A", refreshToken: "R", expiresIn: 900, tokenType: "Bearer" } }),
      )
      .mockResolvedValueOnce(jsonResponse(200, { name: "users/u1", email: "a@example.com", displayName: "Ada" }));
    const { container } = renderAuth();
    await user.type(container.querySelector("#email") as HTMLElement, "a@example.com");
    await user.type(container.querySelector("#password") as HTMLElement, "Sup3r-Secret!");
    await user.click(container.querySelector('button[type="submit"]') as HTMLElement);
    expect(await screen.findByText("Dashboard page")).toBeInTheDocument();
    expect(JSON.parse(String(fetchMock.mock.calls[0][1]?.body))).toEqual({ email: "a@example.com", password: "Sup3r-Secret!" });
  });

  it("asks for the MFA code when sign-in returns a challenge", async () => {
    const user = userEvent.setup();
    fetchMock
      .mockResolvedValueOnce(jsonResponse(200, { challenge: { type: "SOFTWARE_TOKEN_MFA", session: "S1" } }))
      .mockResolvedValueOnce(jsonResponse(200, { tokens: { accessToken: "A", refreshToken: "R", expiresIn: 900 } }))
      .mockResolvedValueOnce(jsonResponse(200, { name: "users/u1", email: "a@example.com" }));
    const { container } = renderAuth();
    await user.type(container.querySelector("#email") as HTMLElement, "a@example.com");
    await user.type(container.querySelector("#password") as HTMLElement, "Sup3r-Secret!");
    await user.click(container.querySelector('button[type="submit"]') as HTMLElement);
    const code = await screen.findByLabelText("Authentication code");
    await user.type(code, "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText("Dashboard page")).toBeInTheDocument();
    expect(JSON.parse(String(fetchMock.mock.calls[1][1]?.body))).toEqual({ session: "S1", code: "123456" });
  });

  it("shows a readable error for a wrong password", async () => {
    const user = userEvent.setup();
    fetchMock.mockResolvedValueOnce(
      jsonResponse(401, {
        code: 16,
        message: "The email or password is wrong.",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_CREDENTIALS" }],
      }),
    );
    const { container } = renderAuth();
    await user.type(container.querySelector("#email") as HTMLElement, "a@example.com");
    await user.type(container.querySelector("#password") as HTMLElement, "nope");
    await user.click(container.querySelector('button[type="submit"]') as HTMLElement);
    expect(await screen.findByRole("alert")).toHaveTextContent(/email or password is not right/);
  });

  it("shows the notice passed in navigation state (e.g. from Settings)", async () => {
    const user = userEvent.setup();
    const notice = "Your password was changed. Sign in with the new one.";
    renderAuth({ pathname: "/signin", state: { notice } });
    expect(screen.getByRole("status")).toHaveTextContent(notice);
    expect(screen.getByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
    // It is an ordinary notice: the next step replaces it.
    await user.click(screen.getByRole("button", { name: "Forgot password?" }));
    expect(screen.queryByText(notice)).not.toBeInTheDocument();
  });

  it("shows no notice without one in the state", () => {
    renderAuth({ pathname: "/signin", state: { from: "/settings" } });
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("asks for the confirmation code when sign-up needs it", async () => {
    const user = userEvent.setup();
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { user: { email: "a@example.com" }, confirmationRequired: true }));
    const { container } = renderAuth();
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await user.type(container.querySelector("#displayName") as HTMLElement, "Ada");
    await user.type(container.querySelector("#email") as HTMLElement, "a@example.com");
    await user.type(container.querySelector("#password") as HTMLElement, "Sup3r-Secret!");
    await user.click(container.querySelector('button[type="submit"]') as HTMLElement);
    await waitFor(() => expect(container.querySelector("#confirmCode")).toBeInTheDocument());
    expect(screen.getByRole("heading", { name: "Confirm your email" })).toBeInTheDocument();
  });
});
