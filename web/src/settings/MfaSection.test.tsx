import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError } from "../api/client";
import type { User } from "../api/types.gen";
import { ToastProvider } from "../components/Toast";
import { MfaSection } from "./MfaSection";

const USER: User = {
  name: "users/me",
  email: "ada@example.com",
  displayName: "Ada",
  mfaEnabled: false,
  externalAiConsent: false,
  emailVerified: true,
  etag: 'W/"1"',
};

const SETUP = {
  secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  otpauthUri: "otpauth://totp/CareerVault:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=CareerVault",
};

function Harness({ initial = USER }: { initial?: User }) {
  const [user, setUser] = useState(initial);
  return (
    <ToastProvider>
      <MfaSection user={user} onUpdated={setUser} />
    </ToastProvider>
  );
}

afterEach(() => vi.restoreAllMocks());

describe("MfaSection", () => {
  it("sets up MFA: QR code and key, then a code turns it on", async () => {
    const post = vi.spyOn(api, "post").mockImplementation(async (path: string) => {
      if (path.endsWith("mfa:setup")) return SETUP;
      if (path.endsWith("mfa:verify")) return { ...USER, mfaEnabled: true };
      throw new Error(path);
    });
    render(<Harness />);
    expect(screen.getByTestId("mfa-status")).toHaveTextContent("Off");
    await userEvent.click(screen.getByRole("button", { name: /set up two-step verification/i }));

    expect(await screen.findByRole("img", { name: /qr code/i })).toBeInTheDocument();
    expect(screen.getByTestId("mfa-secret").textContent?.replace(/\s/g, "")).toBe(SETUP.secret);

    const code = screen.getByLabelText(/6-digit code from your app/i);
    await userEvent.click(screen.getByRole("button", { name: /verify and turn on/i }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/6-digit code/i);
    expect(post).toHaveBeenCalledTimes(1);

    await userEvent.type(code, "123 456");
    await userEvent.click(screen.getByRole("button", { name: /verify and turn on/i }));
    await waitFor(() => expect(post).toHaveBeenCalledWith("/v1/users/me/mfa:verify", { name: "users/me", code: "123456" }));
    expect(await screen.findByTestId("mfa-enabled")).toHaveTextContent(/two-step verification is on/i);
    expect(screen.getByTestId("mfa-status")).toHaveTextContent("On");
  });

  it("shows a wrong code in words and keeps the setup open", async () => {
    vi.spyOn(api, "post").mockImplementation(async (path: string) => {
      if (path.endsWith("mfa:setup")) return SETUP;
      throw new ApiError({ status: 400, code: 3, reason: "MFA_CODE_INVALID", message: "That code is not right" });
    });
    render(<Harness />);
    await userEvent.click(screen.getByRole("button", { name: /set up two-step verification/i }));
    await userEvent.type(await screen.findByLabelText(/6-digit code from your app/i), "000000");
    await userEvent.click(screen.getByRole("button", { name: /verify and turn on/i }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/current 6-digit code/i);
    expect(screen.getByTestId("mfa-secret")).toBeInTheDocument();
  });

  it("turns MFA off with a code", async () => {
    const post = vi.spyOn(api, "post").mockResolvedValue({ ...USER, mfaEnabled: false });
    render(<Harness initial={{ ...USER, mfaEnabled: true }} />);
    expect(screen.getByTestId("mfa-status")).toHaveTextContent("On");
    await userEvent.click(screen.getByRole("button", { name: /turn off two-step verification/i }));
    await userEvent.type(screen.getByLabelText(/code from your authenticator app/i), "654321");
    await userEvent.click(screen.getByRole("button", { name: /^turn off$/i }));
    await waitFor(() => expect(post).toHaveBeenCalledWith("/v1/users/me/mfa:disable", { name: "users/me", code: "654321" }));
    expect(await screen.findByTestId("mfa-status")).toHaveTextContent("Off");
  });
});
