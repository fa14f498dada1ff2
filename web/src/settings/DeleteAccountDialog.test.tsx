import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { confirmsDeletion, DeleteAccountDialog } from "./DeleteAccountDialog";

const EMAIL = "ada@example.com";

function setup(onConfirm = vi.fn().mockResolvedValue(undefined)) {
  const onClose = vi.fn();
  render(<DeleteAccountDialog open email={EMAIL} onClose={onClose} onConfirm={onConfirm} />);
  return {
    onClose,
    onConfirm,
    input: screen.getByLabelText(/type your email or delete/i),
    button: screen.getByRole("button", { name: /delete my account/i }),
  };
}

describe("confirmsDeletion", () => {
  it("accepts the email (any case, spaces around) or DELETE, nothing else", () => {
    expect(confirmsDeletion(EMAIL, EMAIL)).toBe(true);
    expect(confirmsDeletion("  ADA@example.COM ", EMAIL)).toBe(true);
    expect(confirmsDeletion("DELETE", EMAIL)).toBe(true);
    expect(confirmsDeletion("delete", EMAIL)).toBe(false);
    expect(confirmsDeletion("ada@example.co", EMAIL)).toBe(false);
    expect(confirmsDeletion("", EMAIL)).toBe(false);
    expect(confirmsDeletion("", "")).toBe(false);
  });
});

describe("DeleteAccountDialog", () => {
  it("keeps the delete button disabled until the email or DELETE is typed", async () => {
    const { input, button, onConfirm } = setup();
    expect(screen.getByRole("heading", { name: /delete your account/i })).toBeInTheDocument();
    expect(screen.getByText(/cannot be undone/i)).toBeInTheDocument();
    expect(button).toBeDisabled();

    await userEvent.type(input, "ada@example");
    expect(button).toBeDisabled();
    await userEvent.type(input, "{Enter}");
    expect(onConfirm).not.toHaveBeenCalled();

    await userEvent.type(input, ".com");
    expect(button).toBeEnabled();
    await userEvent.click(button);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("accepts DELETE too", async () => {
    const { input, button, onConfirm } = setup();
    await userEvent.type(input, "DELETE{Enter}");
    expect(button).toHaveTextContent(/deleting/i);
    await waitFor(() => expect(onConfirm).toHaveBeenCalledTimes(1));
  });

  it("shows a failure and lets the user try again", async () => {
    const onConfirm = vi
      .fn()
      .mockRejectedValueOnce(new ApiError({ status: 503, reason: "SERVICE_UNAVAILABLE", message: "jobs is down" }))
      .mockResolvedValueOnce(undefined);
    const { input, button } = setup(onConfirm);
    await userEvent.type(input, "DELETE");
    await userEvent.click(button);
    expect(await screen.findByRole("alert")).toHaveTextContent(/not available right now/i);
    expect(button).toBeEnabled();
    await userEvent.click(button);
    expect(onConfirm).toHaveBeenCalledTimes(2);
  });

  it("cancels without deleting", async () => {
    const { onClose, onConfirm } = setup();
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onClose).toHaveBeenCalled();
    expect(onConfirm).not.toHaveBeenCalled();
  });
});
