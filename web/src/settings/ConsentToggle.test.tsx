import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { ConsentToggle } from "./ConsentToggle";

function Harness({ initial = false, save }: { initial?: boolean; save: (next: boolean) => Promise<void> }) {
  const [on, setOn] = useState(initial);
  return (
    <ConsentToggle
      checked={on}
      onChange={async (next) => {
        await save(next);
        setOn(next);
      }}
    />
  );
}

describe("ConsentToggle", () => {
  it("is an accessible switch, off by default, that explains what it does", () => {
    render(<ConsentToggle checked={false} onChange={vi.fn()} />);
    const sw = screen.getByRole("switch", { name: /external ai processing/i });
    expect(sw).toHaveAttribute("aria-checked", "false");
    // The explanation is tied to the switch and says what happens either way.
    expect(sw).toHaveAccessibleDescription(/nothing you store leaves this server/i);
    expect(sw).toHaveAccessibleDescription(/google gemini/i);
    expect(sw).toHaveAccessibleDescription(/email addresses and phone numbers are removed/i);
    expect(screen.getByText(/everything stays on this server/i)).toBeInTheDocument();
  });

  it("turns on through onChange and shows the new state", async () => {
    const save = vi.fn().mockResolvedValue(undefined);
    render(<Harness save={save} />);
    const sw = screen.getByRole("switch");
    await userEvent.click(sw);
    expect(save).toHaveBeenCalledWith(true);
    await waitFor(() => expect(sw).toHaveAttribute("aria-checked", "true"));
    expect(screen.getByText(/external ai may be used/i)).toBeInTheDocument();
    await userEvent.click(sw);
    expect(save).toHaveBeenLastCalledWith(false);
    await waitFor(() => expect(sw).toHaveAttribute("aria-checked", "false"));
  });

  it("is busy while saving and ignores more clicks", async () => {
    let finish: () => void = () => undefined;
    const save = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<Harness save={save} />);
    const sw = screen.getByRole("switch");
    await userEvent.click(sw);
    expect(sw).toBeDisabled();
    expect(sw).toHaveAttribute("aria-busy", "true");
    await userEvent.click(sw);
    expect(save).toHaveBeenCalledTimes(1);
    finish();
    await waitFor(() => expect(sw).toBeEnabled());
    expect(sw).toHaveAttribute("aria-checked", "true");
  });

  it("stays where it was and says why when saving fails", async () => {
    const save = vi.fn().mockRejectedValue(new ApiError({ status: 503, message: "upstream connect error" }));
    render(<Harness save={save} />);
    const sw = screen.getByRole("switch");
    await userEvent.click(sw);
    expect(await screen.findByRole("alert")).toHaveTextContent(/not available right now/i);
    expect(sw).toHaveAttribute("aria-checked", "false");
  });

  it("shows when the consent last changed", () => {
    render(<ConsentToggle checked consentTime="2026-03-04T10:00:00Z" onChange={vi.fn()} />);
    expect(screen.getByText(/consent given on/i)).toBeInTheDocument();
  });
});
